/**
 * The control plane: 1, 3 or 5 auto scaling groups of exactly one instance each (the kops shape),
 * group i in API endpoint subnet i % azCount, all made from one launch template with one user data
 * (which node initialises the cluster is decided at boot by a lock, not by an index). The groups
 * register their instance with the target group of an internal NLB on 6443, kubeadm's
 * controlPlaneEndpoint; the NLB carries sg-k8s-api-endpoint (the spec's "API endpoint" rows).
 *
 * Targets are instances with client IP preservation off, so a control-plane node can reach its
 * own API server through the NLB. An internal NLB with instance targets keeps the client's address
 * by default, and a target that dials its own NLB then gets a packet from itself to itself, which
 * it drops: the connection times out (AWS, "Requests from a target to its load balancer time out",
 * https://docs.aws.amazon.com/elasticloadbalancing/latest/network/load-balancer-troubleshooting.html#loopback-timeout).
 * With preserve_client_ip.enabled = false an instance target receives the load balancer's own
 * address as the source for IPv4 clients (AWS, "Client IP preservation", the table "When client IP
 * preservation is disabled", edit-target-group-attributes.html#client-ip-preservation in the same
 * guide), so source and destination differ and the hairpin works.
 */
import { Construct } from "constructs";
import { Precondition, TerraformResource } from "cdktf";
import { Lb } from "@cdktf/provider-aws/lib/lb";
import { LbTargetGroup } from "@cdktf/provider-aws/lib/lb-target-group";
import { LbListener } from "@cdktf/provider-aws/lib/lb-listener";
import { LaunchTemplate } from "@cdktf/provider-aws/lib/launch-template";
import { AutoscalingGroup } from "@cdktf/provider-aws/lib/autoscaling-group";
import { Subnet } from "@cdktf/provider-aws/lib/subnet";
import { SecurityGroup } from "@cdktf/provider-aws/lib/security-group";
import { IamInstanceProfile } from "@cdktf/provider-aws/lib/iam-instance-profile";
import { named } from "./network";
import { PORTS } from "../aws/ports";
import { apiLoadBalancerName, controlPlaneGroupName, elbName } from "../aws/cluster-names";
import { NodeMachine, nodeGroupSettings, nodeGroupTags, nodeLaunchTemplate } from "./node-groups";

export { elbName };

export interface ControlPlaneProps {
  readonly clusterName: string;
  readonly count: number;
  readonly machine: NodeMachine;
  readonly subnets: readonly Subnet[];
  readonly azs: readonly string[];
  readonly securityGroup: SecurityGroup;
  readonly instanceProfile: IamInstanceProfile;
  /** base64(gzip(cloud-config)) of every control-plane node. */
  readonly userDataBase64: string;
  /** Preconditions the launch template checks at plan time (e.g. the Kubernetes upgrade order). */
  readonly launchTemplatePreconditions?: Precondition[];
}

/**
 * Instance refresh of a control-plane group: launch before terminate. With one instance per group,
 * min healthy 100% keeps the old node in service and max healthy 200% lets the group start the new
 * one beside it; the new node completes its launch hook only once its Node is Ready and its etcd
 * member healthy, and only then is the old one terminated, whose terminate hook removes its own
 * etcd member first. etcd admits one learner at a time, so when every group refreshes at once (one
 * apply changes the template of all of them) the new nodes join one after another (kubeadm retries
 * its member add for up to 10 minutes: timeouts.etcdAPICall in src/bootstrap/kubeadm.ts), and the
 * member list only ever gains a started member before it loses one: quorum holds throughout.
 */
export const CONTROL_PLANE_REFRESH = {
  minHealthyPercentage: 100,
  maxHealthyPercentage: 200,
} as const;

export class ControlPlane extends Construct {
  readonly loadBalancer: Lb;
  readonly targetGroup: LbTargetGroup;
  readonly launchTemplate: LaunchTemplate;
  readonly groups: AutoscalingGroup[] = [];

  /** Makes every group wait for what its node needs at first boot (created after the NLB exists). */
  bootAfter(dependencies: readonly TerraformResource[]): void {
    // depends_on takes bare addresses (type.name), not interpolations.
    const addresses = dependencies.map((d) => `${d.terraformResourceType}.${d.friendlyUniqueId}`);
    for (const group of this.groups) group.dependsOn = [...(group.dependsOn ?? []), ...addresses];
  }

  constructor(scope: Construct, id: string, props: ControlPlaneProps) {
    super(scope, id);
    const name = `${props.clusterName}-control-plane`;

    this.loadBalancer = named(
      new Lb(this, "api-nlb", {
        name: apiLoadBalancerName(props.clusterName),
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
        name: apiLoadBalancerName(props.clusterName),
        port: PORTS.kubeApiserver,
        protocol: "TCP",
        // Registered by the groups, by instance id (see the file comment for the hairpin).
        targetType: "instance",
        vpcId: props.subnets[0].vpcId,
        preserveClientIp: "false",
        connectionTermination: true,
        deregistrationDelay: "30",
        // Explicit timeout below the interval (AWS's HTTPS default timeout equals a 10 s interval).
        healthCheck: {
          protocol: "HTTPS",
          port: String(PORTS.kubeApiserver),
          path: "/readyz",
          matcher: "200",
          interval: 10,
          timeout: 5,
          healthyThreshold: 2,
          unhealthyThreshold: 2,
        },
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

    this.launchTemplate = named(
      nodeLaunchTemplate(this, "launch-template", {
        clusterName: props.clusterName,
        name,
        description: `Control-plane nodes of Kubernetes cluster ${props.clusterName}`,
        machine: props.machine,
        securityGroup: props.securityGroup,
        instanceProfile: props.instanceProfile,
        userDataBase64: props.userDataBase64,
        // The instance's Name comes from its group's tag (one per slot).
        instanceTags: { Role: "control-plane" },
        // A new user data, instance type or key pair rolls the control plane one node per group
        // (CONTROL_PLANE_REFRESH). A newer Ubuntu image alone does not: the lookup finds one every few
        // weeks, and an unrelated apply must not roll the whole cluster. Move to a new image with
        // `terraform apply -replace=aws_launch_template.control_plane_launch_template`.
        lifecycle: { ignoreChanges: ["image_id"], precondition: props.launchTemplatePreconditions },
      }),
      "control_plane_launch_template",
    );

    for (let i = 0; i < props.count; i++) {
      const groupName = controlPlaneGroupName(props.clusterName, i);
      this.groups.push(
        named(
          new AutoscalingGroup(this, `group-${i}`, {
            name: groupName,
            minSize: 1,
            maxSize: 1,
            desiredCapacity: 1,
            vpcZoneIdentifier: [props.subnets[i % props.subnets.length].id],
            targetGroupArns: [this.targetGroup.arn],
            // EC2 status checks only (nodeGroupSettings), never the NLB's /readyz: when the whole control
            // plane fails its health check at once (etcd without quorum, expired certificates, a bad flag),
            // ELB health would replace every member together and their etcd data with them.
            ...nodeGroupSettings(this.launchTemplate, CONTROL_PLANE_REFRESH),
            tag: nodeGroupTags(groupName, props.clusterName),
          }),
          `control_plane_${i}`,
        ),
      );
    }
  }
}
