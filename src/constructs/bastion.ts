/**
 * The bastion: one instance in the public bastion subnet with a public IP and sg-bastion. SSH
 * with `sshKeyName`, or key-less through Session Manager (its instance profile allows only that).
 */
import { Construct } from "constructs";
import { Instance } from "@cdktf/provider-aws/lib/instance";
import { Subnet } from "@cdktf/provider-aws/lib/subnet";
import { SecurityGroup } from "@cdktf/provider-aws/lib/security-group";
import { IamInstanceProfile } from "@cdktf/provider-aws/lib/iam-instance-profile";
import { METADATA_OPTIONS, NodeMachine } from "./node-groups";
import { named } from "./network";

export interface BastionProps {
  readonly clusterName: string;
  readonly machine: NodeMachine;
  readonly subnet: Subnet;
  readonly securityGroup: SecurityGroup;
  readonly instanceProfile: IamInstanceProfile;
}

export class Bastion extends Construct {
  readonly instance: Instance;

  constructor(scope: Construct, id: string, props: BastionProps) {
    super(scope, id);
    const name = `${props.clusterName}-bastion`;
    this.instance = named(
      new Instance(this, "host", {
        ami: props.machine.imageId,
        instanceType: props.machine.instanceType,
        subnetId: props.subnet.id,
        associatePublicIpAddress: true,
        vpcSecurityGroupIds: [props.securityGroup.id],
        iamInstanceProfile: props.instanceProfile.name,
        keyName: props.machine.sshKeyName,
        metadataOptions: METADATA_OPTIONS,
        rootBlockDevice: {
          volumeType: "gp3",
          volumeSize: props.machine.rootVolumeGiB,
          encrypted: true,
          deleteOnTermination: true,
          tags: { Name: name },
        },
        tags: { Name: name, Role: "bastion" },
        lifecycle: { ignoreChanges: ["ami"] },
      }),
      "bastion",
    );
  }
}
