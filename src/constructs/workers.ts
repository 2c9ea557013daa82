/**
 * Worker nodes: a launch template and an autoscaling group over the worker subnets. Nodes join
 * with the token the control plane keeps fresh in SSM, so instances started days later join too.
 */
import { Construct } from "constructs";
import { ITerraformDependable } from "cdktf";
import { LaunchTemplate } from "@cdktf/provider-aws/lib/launch-template";
import { AutoscalingGroup } from "@cdktf/provider-aws/lib/autoscaling-group";
import { Subnet } from "@cdktf/provider-aws/lib/subnet";
import { SecurityGroup } from "@cdktf/provider-aws/lib/security-group";
import { IamInstanceProfile } from "@cdktf/provider-aws/lib/iam-instance-profile";
import { METADATA_OPTIONS, NodeMachine } from "./control-plane";
import { named } from "./network";
import { CLUSTER_TAG_VALUES, clusterOwnedTag, clusterTagKey } from "../aws/tags";

export interface WorkersProps {
  readonly clusterName: string;
  readonly machine: NodeMachine;
  readonly min: number;
  readonly desired: number;
  readonly max: number;
  readonly subnets: readonly Subnet[];
  readonly securityGroup: SecurityGroup;
  readonly instanceProfile: IamInstanceProfile;
  readonly userDataBase64: string;
  readonly dependsOn?: ITerraformDependable[];
}

export class Workers extends Construct {
  readonly launchTemplate: LaunchTemplate;
  readonly autoscalingGroup: AutoscalingGroup;

  constructor(scope: Construct, id: string, props: WorkersProps) {
    super(scope, id);
    const name = `${props.clusterName}-worker`;
    const clusterTag = clusterOwnedTag(props.clusterName);
    this.launchTemplate = named(
      new LaunchTemplate(this, "launch-template", {
        name,
        description: `Worker nodes of Kubernetes cluster ${props.clusterName}`,
        imageId: props.machine.imageId,
        instanceType: props.machine.instanceType,
        keyName: props.machine.sshKeyName,
        vpcSecurityGroupIds: [props.securityGroup.id],
        iamInstanceProfile: { arn: props.instanceProfile.arn },
        userData: props.userDataBase64,
        metadataOptions: METADATA_OPTIONS,
        updateDefaultVersion: true,
        blockDeviceMappings: [
          { deviceName: "/dev/sda1", ebs: { volumeType: "gp3", volumeSize: props.machine.rootVolumeGiB, encrypted: "true", deleteOnTermination: "true" } },
        ],
        tagSpecifications: [
          { resourceType: "instance", tags: { Name: name, Role: "worker", ...clusterTag } },
          { resourceType: "volume", tags: { Name: name, ...clusterTag } },
        ],
        tags: { Name: name },
        // A newer Ubuntu image must not roll every worker on some unrelated apply: move workers
        // to a new image deliberately with `terraform apply -replace=aws_launch_template.worker_launch_template`.
        lifecycle: { ignoreChanges: ["image_id"] },
      }),
      "worker_launch_template",
    );
    this.autoscalingGroup = named(
      new AutoscalingGroup(this, "asg", {
        name: `${props.clusterName}-workers`,
        minSize: props.min,
        desiredCapacity: props.desired,
        maxSize: props.max,
        vpcZoneIdentifier: props.subnets.map((s) => s.id),
        launchTemplate: { id: this.launchTemplate.id, version: this.launchTemplate.latestVersion.toString() },
        healthCheckType: "EC2",
        healthCheckGracePeriod: 300,
        // A new launch template version (image, bootstrap) rolls the workers gradually.
        instanceRefresh: { strategy: "Rolling", preferences: { minHealthyPercentage: 90 } },
        tag: [
          { key: "Name", value: name, propagateAtLaunch: true },
          { key: clusterTagKey(props.clusterName), value: CLUSTER_TAG_VALUES.owned, propagateAtLaunch: true },
        ],
        dependsOn: props.dependsOn,
      }),
      "worker_asg",
    );
  }
}
