/**
 * The control plane: 1, 3 or 5 instances in the API endpoint subnets (spread over AZs), behind
 * an internal NLB on the API server port that is kubeadm's controlPlaneEndpoint. The NLB uses IP targets, which
 * keep client IP preservation off: a control-plane node that dials its own NLB would otherwise
 * time out (the hairpin). The NLB carries sg-k8s-api-endpoint, whose rules are the spec's
 * "API endpoint" rows.
 */
import { Construct } from "constructs";
import { TerraformResource } from "cdktf";
import { Instance } from "@cdktf/provider-aws/lib/instance";
import { Lb } from "@cdktf/provider-aws/lib/lb";
import { LbTargetGroup } from "@cdktf/provider-aws/lib/lb-target-group";
import { LbListener } from "@cdktf/provider-aws/lib/lb-listener";
import { LbTargetGroupAttachment } from "@cdktf/provider-aws/lib/lb-target-group-attachment";
import { Subnet } from "@cdktf/provider-aws/lib/subnet";
import { SecurityGroup } from "@cdktf/provider-aws/lib/security-group";
import { IamInstanceProfile } from "@cdktf/provider-aws/lib/iam-instance-profile";
import { named } from "./network";
import { PORTS } from "../aws/ports";
import { ELB_NAME_LIMITS } from "../aws/limits";
import { clusterOwnedTag } from "../aws/tags";

export interface NodeMachine {
  readonly imageId: string;
  readonly instanceType: string;
  readonly rootVolumeGiB: number;
  readonly sshKeyName?: string;
}

export interface ControlPlaneProps {
  readonly clusterName: string;
  readonly count: number;
  readonly machine: NodeMachine;
  readonly subnets: readonly Subnet[];
  readonly azs: readonly string[];
  readonly securityGroup: SecurityGroup;
  readonly instanceProfile: IamInstanceProfile;
  /** base64(gzip(cloud-config)) per node index: index 0 initialises the cluster. */
  readonly userData: (index: number) => string;
}

/** IMDSv2 only; one hop, so pods (other than host-network ones) cannot take the node's role. */
export const METADATA_OPTIONS = { httpEndpoint: "enabled", httpTokens: "required", httpPutResponseHopLimit: 1, instanceMetadataTags: "disabled" } as const;

/** A load balancer / target group name: cut to AWS's length, no hyphen at the end. */
export function elbName(text: string): string {
  return text.slice(0, ELB_NAME_LIMITS.maxChars).replace(/-+$/, "");
}

export class ControlPlane extends Construct {
  readonly loadBalancer: Lb;
  readonly targetGroup: LbTargetGroup;
  readonly instances: Instance[] = [];

  /** Makes every node wait for what it needs at first boot (created after the NLB exists). */
  bootAfter(dependencies: readonly TerraformResource[]): void {
    // depends_on takes bare addresses (type.name), not interpolations.
    const addresses = dependencies.map((d) => `${d.terraformResourceType}.${d.friendlyUniqueId}`);
    for (const node of this.instances) node.dependsOn = [...(node.dependsOn ?? []), ...addresses];
  }

  constructor(scope: Construct, id: string, props: ControlPlaneProps) {
    super(scope, id);
    const clusterTag = clusterOwnedTag(props.clusterName);

    this.loadBalancer = named(
      new Lb(this, "api-nlb", {
        name: elbName(`${props.clusterName}-api`),
        internal: true,
        loadBalancerType: "network",
        subnets: props.subnets.map((s) => s.id),
        securityGroups: [props.securityGroup.id],
        enableCrossZoneLoadBalancing: true,
        tags: { Name: `${props.clusterName}-api`, Role: "kubernetes-api" },
      }),
      "api_nlb",
    );
    this.targetGroup = named(
      new LbTargetGroup(this, "api-targets", {
        name: elbName(`${props.clusterName}-api`),
        port: PORTS.kubeApiserver,
        protocol: "TCP",
        targetType: "ip",
        vpcId: props.subnets[0].vpcId,
        // IP targets already disable preservation; stated so nobody "fixes" it into a hairpin.
        preserveClientIp: "false",
        connectionTermination: true,
        deregistrationDelay: "30",
        // Explicit timeout below the interval (AWS's HTTPS default timeout equals a 10 s interval).
        healthCheck: { protocol: "HTTPS", port: String(PORTS.kubeApiserver), path: "/readyz", matcher: "200", interval: 10, timeout: 5, healthyThreshold: 2, unhealthyThreshold: 2 },
        tags: { Name: `${props.clusterName}-api` },
      }),
      "api_targets",
    );
    named(
      new LbListener(this, "api-listener", {
        loadBalancerArn: this.loadBalancer.arn,
        port: PORTS.kubeApiserver,
        protocol: "TCP",
        defaultAction: [{ type: "forward", targetGroupArn: this.targetGroup.arn }],
      }),
      "api_listener",
    );

    for (let i = 0; i < props.count; i++) {
      const at = i % props.subnets.length;
      const name = `${props.clusterName}-control-plane-${i}`;
      const instance = named(
        new Instance(this, `node-${i}`, {
          ami: props.machine.imageId,
          instanceType: props.machine.instanceType,
          subnetId: props.subnets[at].id,
          vpcSecurityGroupIds: [props.securityGroup.id],
          iamInstanceProfile: props.instanceProfile.name,
          keyName: props.machine.sshKeyName,
          associatePublicIpAddress: false,
          userDataBase64: props.userData(i),
          metadataOptions: METADATA_OPTIONS,
          rootBlockDevice: { volumeType: "gp3", volumeSize: props.machine.rootVolumeGiB, encrypted: true, deleteOnTermination: true, tags: { Name: name, ...clusterTag } },
          tags: { Name: name, Role: "control-plane", ...clusterTag },
          // A new AMI, bootstrap, key pair or instance type must not replace or stop all
          // control-plane nodes at once (etcd would lose quorum): roll them one at a time with
          // `terraform apply -replace=aws_instance.control_plane_N`.
          lifecycle: { ignoreChanges: ["ami", "user_data_base64", "key_name", "instance_type"] },
        }),
        `control_plane_${i}`,
      );
      this.instances.push(instance);
      named(
        new LbTargetGroupAttachment(this, `target-${i}`, { targetGroupArn: this.targetGroup.arn, targetId: instance.privateIp, port: PORTS.kubeApiserver }),
        `api_target_${i}`,
      );
    }
  }
}
