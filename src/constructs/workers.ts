/**
 * Worker nodes: a launch template and an autoscaling group over the worker subnets. Nodes join
 * with the token the control plane keeps fresh in SSM, so instances started days later join too.
 */
import { Construct } from "constructs";
import { ITerraformDependable } from "cdktf";
import { LaunchTemplate } from "@cdktf/provider-aws/lib/launch-template";
import { AutoscalingGroup, AutoscalingGroupConfig } from "@cdktf/provider-aws/lib/autoscaling-group";
import { Subnet } from "@cdktf/provider-aws/lib/subnet";
import { SecurityGroup } from "@cdktf/provider-aws/lib/security-group";
import { IamInstanceProfile } from "@cdktf/provider-aws/lib/iam-instance-profile";

import { named } from "./network";
import { clusterAutoscalerTags } from "../aws/tags";
import { NodeMachine, nodeGroupSettings, nodeGroupTags, nodeLaunchTemplate } from "./node-groups";
import { workerGroupName } from "../aws/cluster-names";
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

export interface WorkersProps {
  readonly clusterName: string;
  readonly machine: NodeMachine;
  readonly min: number;
  readonly desired: number;
  readonly max: number;
  /** The cluster autoscaler scales this group (configuration addons.clusterAutoscaler). */
  readonly clusterAutoscaler?: boolean;
  readonly subnets: readonly Subnet[];
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
  readonly onDemandBaseCapacity: number;
  readonly onDemandPercentageAboveBaseCapacity: number;
}

export class Workers extends Construct {
  readonly launchTemplate: LaunchTemplate;
  readonly autoscalingGroup: AutoscalingGroup;

  constructor(scope: Construct, id: string, props: WorkersProps) {
    super(scope, id);
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
    this.autoscalingGroup = named(
      new AutoscalingGroup(this, "asg", {
        name: workerGroupName(props.clusterName),
        minSize: props.min,
        desiredCapacity: props.desired,
        maxSize: props.max,
        vpcZoneIdentifier: props.subnets.map((s) => s.id),
        // EC2 status checks (nodeGroupSettings): a Ready worker's workloads are Kubernetes' business. A new
        // launch template version (bootstrap, instance type, key pair) rolls the workers.
        ...groupSettings,
        ...(props.spot ? this.mixedInstances(launchTemplate, props.spot) : { launchTemplate }),
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
      "worker_asg",
    );
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
