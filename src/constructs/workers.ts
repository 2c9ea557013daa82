/**
 * Worker nodes: a launch template and one auto scaling group per availability zone, each over its
 * zone's worker subnet. Nodes join with the token the control plane keeps fresh in SSM, so
 * instances started days later join too.
 *
 * One group per zone, not one group over every zone: EBS volumes are zonal, and the cluster
 * autoscaler's AWS README (kubernetes/autoscaler cluster-autoscaler/cloudprovider/aws/README.md at
 * cluster-autoscaler-1.35.2, "Common Notes and Gotchas") says to "use a single AZ ASG for this use
 * case, or an ASG-per-AZ while enabling --balance-similar-node-groups"; its FAQ.md ("use separate node
 * groups per zone. This way CA knows exactly which node group will create nodes in the required
 * zone") explains why: a group over several zones may start the node for a pod whose volume is in
 * zone a in zone b, again and again. The groups share the launch template, so they differ only in
 * their zone, and --balance-similar-node-groups (src/addons/cluster-autoscaler.ts) keeps them level.
 *
 * Bounds: workers.min, workers.desired and workers.max (the variables worker_min_size,
 * worker_desired_capacity and worker_max_size) are totals over the groups. Zone i of k gets
 * floor((n + k - 1 - i) / k) of a total n (zoneShare): the shares add up to n exactly, differ by at
 * most one, the first zones take the remainder, and a larger n never gives a zone less, so every
 * group keeps min <= desired <= max. With one zone the group takes the variables unchanged.
 */
import { Construct } from "constructs";
import { Fn, ITerraformDependable, Op, Token } from "cdktf";
import { LaunchTemplate } from "@cdktf/provider-aws/lib/launch-template";
import { AutoscalingGroup, AutoscalingGroupConfig } from "@cdktf/provider-aws/lib/autoscaling-group";
import { Subnet } from "@cdktf/provider-aws/lib/subnet";
import { SecurityGroup } from "@cdktf/provider-aws/lib/security-group";
import { IamInstanceProfile } from "@cdktf/provider-aws/lib/iam-instance-profile";

import { named } from "./network";
import { clusterAutoscalerTags } from "../aws/tags";
import { NodeMachine, nodeGroupSettings, nodeGroupTags, nodeLaunchTemplate } from "./node-groups";
import { azKey, workerGroupNames } from "../aws/cluster-names";
import { NTH_MANAGED_TAG } from "../addons/node-termination-handler";
import { ON_DEMAND_ALLOCATION_STRATEGY, SPOT_ALLOCATION_STRATEGY } from "../aws/spot";

/**
 * Instance refresh of the workers: launch before terminating (the AWS console's preset of that
 * name: min healthy 100%, max healthy 110%), so capacity never drops below the desired count and a
 * small group replaces one worker at a time. A new worker counts once it completed its launch
 * hook, which it does once its Node is Ready; only then is an old one drained by the handler
 * (terminate hook) and terminated.
 */
export const WORKER_REFRESH = {
  minHealthyPercentage: 100,
  maxHealthyPercentage: 110,
} as const;

/**
 * Zone i's share of a total n over k zones: floor((n + k - 1 - i) / k). The k shares add up to n
 * (Hermite's identity), differ by at most one, and grow with n.
 */
export function zoneShare(total: number, zones: number, index: number): number {
  return Math.floor((total + zones - 1 - index) / zones);
}

/** zoneShare as a Terraform expression of a number variable, so -var values are split too. */
export function zoneShareExpression(total: number, zones: number, index: number): number {
  if (zones === 1) return total;
  const offset = zones - 1 - index;
  // (cdktf renders Op.add(x, 0) as "x + undefined": no addition for the last zone.)
  return Token.asNumber(Fn.floor(Op.div(offset === 0 ? total : Op.add(total, offset), zones)));
}

export interface WorkersProps {
  readonly clusterName: string;
  readonly machine: NodeMachine;
  readonly min: number;
  readonly desired: number;
  readonly max: number;
  /** The cluster autoscaler scales this group (configuration addons.clusterAutoscaler). */
  readonly clusterAutoscaler?: boolean;
  /** The worker subnets, one per availability zone, in the order of azs. */
  readonly subnets: readonly Subnet[];
  /** The availability zones of subnets: one group each. */
  readonly azs: readonly string[];
  readonly securityGroup: SecurityGroup;
  readonly instanceProfile: IamInstanceProfile;
  readonly userDataBase64: string;
  /** Spot capacity (configuration workers.spot): a mixed instances policy instead of the plain template. */
  readonly spot?: WorkerSpot;
  readonly dependsOn?: ITerraformDependable[];
}

export interface WorkerSpot {
  /** The launch template overrides, in priority order (src/aws/spot.ts overrideOrder). */
  readonly instanceTypes: readonly string[];
  /** In total: split over the groups like the bounds (zoneShare). */
  readonly onDemandBaseCapacity: number;
  readonly onDemandPercentageAboveBaseCapacity: number;
}

export class Workers extends Construct {
  readonly launchTemplate: LaunchTemplate;
  /** One group per availability zone, in the order of the zones. */
  readonly groups: AutoscalingGroup[] = [];
  /** The groups' names, in the same order (workerGroupNames). */
  readonly groupNames: readonly string[];

  constructor(scope: Construct, id: string, props: WorkersProps) {
    super(scope, id);
    if (props.subnets.length !== props.azs.length || props.azs.length === 0)
      throw new Error(`Workers: ${props.subnets.length} subnet(s) for ${props.azs.length} zone(s); give one per zone`);
    const name = `${props.clusterName}-worker`;
    this.launchTemplate = named(
      nodeLaunchTemplate(this, "launch-template", {
        clusterName: props.clusterName,
        name,
        description: `Worker nodes of Kubernetes cluster ${props.clusterName}`,
        machine: props.machine,
        securityGroup: props.securityGroup,
        instanceProfile: props.instanceProfile,
        userDataBase64: props.userDataBase64,
        instanceTags: { Name: name, Role: "worker" },
        // A newer Ubuntu image must not roll every worker on some unrelated apply: move workers
        // to a new image deliberately with `terraform apply -replace=aws_launch_template.worker_launch_template`.
        // Everything else (user data, instance type, key pair) rolls them with drain.
        lifecycle: { ignoreChanges: ["image_id"] },
      }),
      "worker_launch_template",
    );
    const { launchTemplate, ...groupSettings } = nodeGroupSettings(this.launchTemplate, WORKER_REFRESH);
    this.groupNames = workerGroupNames(props.clusterName, props.azs);
    const zones = props.azs.length;
    props.azs.forEach((az, i) => {
      const share = (total: number) => zoneShareExpression(total, zones, i);
      // One zone: aws_autoscaling_group.worker_asg; several: worker_asg_a, worker_asg_b, ...
      const terraformName = zones === 1 ? "worker_asg" : `worker_asg_${azKey(az)}`;
      const spot = props.spot && {
        ...props.spot,
        onDemandBaseCapacity: zoneShare(props.spot.onDemandBaseCapacity, zones, i),
      };
      this.groups.push(
        named(
          new AutoscalingGroup(this, zones === 1 ? "asg" : `asg-${azKey(az)}`, {
            name: this.groupNames[i],
            minSize: share(props.min),
            desiredCapacity: share(props.desired),
            maxSize: share(props.max),
            vpcZoneIdentifier: [props.subnets[i].id],
            // EC2 status checks (nodeGroupSettings): a Ready worker's workloads are Kubernetes' business. A new
            // launch template version (bootstrap, instance type, key pair) rolls the workers of every group.
            ...groupSettings,
            ...(spot ? this.mixedInstances(launchTemplate, spot) : { launchTemplate }),
            tag: [
              ...nodeGroupTags(name, props.clusterName),
              // The node termination handler drains only instances with this tag (CHECK_TAG_BEFORE_DRAINING):
              // the workers, never a control-plane node, which leaves through its own terminate hook.
              { key: NTH_MANAGED_TAG, value: "true", propagateAtLaunch: true },
              // The cluster autoscaler's auto-discovery: the group's own tags, not its instances'.
              ...Object.entries(props.clusterAutoscaler ? clusterAutoscalerTags(props.clusterName) : {}).map(
                ([key, value]) => ({ key, value, propagateAtLaunch: false }),
              ),
            ],
            // With the cluster autoscaler the group's desired capacity is the autoscaler's: without this,
            // every apply would set it back to worker_desired_capacity and undo a scale-up or scale-in.
            // worker_desired_capacity then sets it when the group is created; worker_min_size and
            // worker_max_size still apply (AWS moves the desired capacity into a changed range).
            lifecycle: props.clusterAutoscaler ? { ignoreChanges: ["desired_capacity"] } : undefined,
            dependsOn: props.dependsOn,
          }),
          terraformName,
        ),
      );
    });
  }

  /**
   * With spot, a mixed instances policy over the same launch template (a new version still rolls
   * the group: the provider starts an instance refresh on a change of launch_template or
   * mixed_instances_policy). Capacity rebalancing: when EC2 recommends rebalancing a Spot
   * Instance, the group launches its replacement first and then terminates it through the
   * terminate hook, which the termination handler drains (its README, "Queue Processor").
   */
  private mixedInstances(
    template: { id: string; version: string },
    spot: WorkerSpot,
  ): Pick<AutoscalingGroupConfig, "capacityRebalance" | "mixedInstancesPolicy"> {
    return {
      capacityRebalance: true,
      mixedInstancesPolicy: {
        launchTemplate: {
          launchTemplateSpecification: { launchTemplateId: template.id, version: template.version },
          override: spot.instanceTypes.map((instanceType) => ({ instanceType })),
        },
        instancesDistribution: {
          onDemandAllocationStrategy: ON_DEMAND_ALLOCATION_STRATEGY,
          onDemandBaseCapacity: spot.onDemandBaseCapacity,
          onDemandPercentageAboveBaseCapacity: spot.onDemandPercentageAboveBaseCapacity,
          spotAllocationStrategy: SPOT_ALLOCATION_STRATEGY,
        },
      },
    };
  }
}
