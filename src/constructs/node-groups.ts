/**
 * What every node group of the cluster shares: the launch template's machine, disk and metadata
 * settings, the groups' two lifecycle hooks (src/aws/lifecycle.ts names them; the nodes and the
 * termination handler complete them), and the settings and tags both kinds of group give themselves.
 */
import { Construct } from "constructs";
import {
  AutoscalingGroupConfig,
  AutoscalingGroupInitialLifecycleHook,
  AutoscalingGroupInstanceRefreshPreferences,
  AutoscalingGroupTag,
} from "@cdktf/provider-aws/lib/autoscaling-group";
import { LaunchTemplate, LaunchTemplateConfig } from "@cdktf/provider-aws/lib/launch-template";
import { SecurityGroup } from "@cdktf/provider-aws/lib/security-group";
import { IamInstanceProfile } from "@cdktf/provider-aws/lib/iam-instance-profile";
import { LAUNCH_HOOK_TIMEOUT_SECONDS, LIFECYCLE_HOOKS, TERMINATE_HOOK_TIMEOUT_SECONDS } from "../aws/lifecycle";
import { CLUSTER_TAG_VALUES, clusterOwnedTag, clusterTagKey } from "../aws/tags";

export interface NodeMachine {
  readonly imageId: string;
  readonly instanceType: string;
  readonly rootVolumeGiB: number;
  readonly sshKeyName?: string;
}

/** IMDSv2 only; one hop, so pods (other than host-network ones) cannot take the node's role. */
export const METADATA_OPTIONS = {
  httpEndpoint: "enabled",
  httpTokens: "required",
  httpPutResponseHopLimit: 1,
  instanceMetadataTags: "disabled",
} as const;

export interface NodeLaunchTemplateProps {
  readonly clusterName: string;
  /** The template's name and its volumes' Name tag. */
  readonly name: string;
  readonly description: string;
  readonly machine: NodeMachine;
  readonly securityGroup: SecurityGroup;
  readonly instanceProfile: IamInstanceProfile;
  readonly userDataBase64: string;
  /** Tags of the instances, besides the cluster tag. */
  readonly instanceTags: Readonly<Record<string, string>>;
  readonly lifecycle: LaunchTemplateConfig["lifecycle"];
}

/**
 * A node group's launch template: the machine, IMDSv2 with one hop, an encrypted gp3 root volume
 * deleted with the instance, the cluster tag on instance and volume.
 */
export function nodeLaunchTemplate(scope: Construct, id: string, props: NodeLaunchTemplateProps): LaunchTemplate {
  const clusterTag = clusterOwnedTag(props.clusterName);
  return new LaunchTemplate(scope, id, {
    name: props.name,
    description: props.description,
    imageId: props.machine.imageId,
    instanceType: props.machine.instanceType,
    keyName: props.machine.sshKeyName,
    vpcSecurityGroupIds: [props.securityGroup.id],
    iamInstanceProfile: { arn: props.instanceProfile.arn },
    userData: props.userDataBase64,
    metadataOptions: METADATA_OPTIONS,
    updateDefaultVersion: true,
    blockDeviceMappings: [
      {
        deviceName: "/dev/sda1",
        ebs: {
          volumeType: "gp3",
          volumeSize: props.machine.rootVolumeGiB,
          encrypted: "true",
          deleteOnTermination: "true",
        },
      },
    ],
    tagSpecifications: [
      { resourceType: "instance", tags: { ...props.instanceTags, ...clusterTag } },
      { resourceType: "volume", tags: { Name: props.name, ...clusterTag } },
    ],
    tags: { Name: props.name },
    lifecycle: props.lifecycle,
  });
}

export { LAUNCH_HOOK_TIMEOUT_SECONDS, TERMINATE_HOOK_TIMEOUT_SECONDS };

/**
 * Seconds an instance refresh waits after a new node is InService before it counts it: the launch
 * hook has already waited for a Ready node, so this only covers the load balancer's first health
 * checks (2 x 10 s). Without it the refresh would wait the 300 s health check grace period.
 */
const REFRESH_INSTANCE_WARMUP = "60";

/**
 * The hooks as initial_lifecycle_hook blocks: they exist before the group launches its first
 * instance (a separate aws_autoscaling_lifecycle_hook would be created after the group, too late
 * for the first nodes). The provider sets them only when it creates a group.
 */
export function groupLifecycleHooks(): AutoscalingGroupInitialLifecycleHook[] {
  return [
    {
      name: LIFECYCLE_HOOKS.launch,
      lifecycleTransition: "autoscaling:EC2_INSTANCE_LAUNCHING",
      heartbeatTimeout: LAUNCH_HOOK_TIMEOUT_SECONDS,
      // A node that stops heartbeating without completing the hook is terminated and replaced.
      defaultResult: "ABANDON",
    },
    {
      name: LIFECYCLE_HOOKS.terminate,
      lifecycleTransition: "autoscaling:EC2_INSTANCE_TERMINATING",
      heartbeatTimeout: TERMINATE_HOOK_TIMEOUT_SECONDS,
      // A drain or member removal that hangs must not keep a dead instance forever.
      defaultResult: "CONTINUE",
    },
  ];
}

/**
 * The settings of every node group: the launch template's latest version; EC2 status checks (a
 * node whose boot fails marks itself unhealthy, one that never gets Ready is abandoned by its launch
 * hook); the two hooks; a rolling instance refresh with the given healthy percentages (and
 * REFRESH_INSTANCE_WARMUP) when the template changes; and no wait for InService: a node gets there
 * only after its launch hook (up to 20 minutes), and a create that timed out would taint the group.
 */
export function nodeGroupSettings(
  launchTemplate: LaunchTemplate,
  refresh: Pick<AutoscalingGroupInstanceRefreshPreferences, "minHealthyPercentage" | "maxHealthyPercentage">,
) {
  return {
    launchTemplate: { id: launchTemplate.id, version: launchTemplate.latestVersion.toString() },
    healthCheckType: "EC2",
    healthCheckGracePeriod: 300,
    initialLifecycleHook: groupLifecycleHooks(),
    instanceRefresh: { strategy: "Rolling", preferences: { ...refresh, instanceWarmup: REFRESH_INSTANCE_WARMUP } },
    waitForCapacityTimeout: "0",
  } satisfies Partial<AutoscalingGroupConfig>;
}

/** The Name and cluster tags every node group puts on its instances. */
export function nodeGroupTags(name: string, clusterName: string): AutoscalingGroupTag[] {
  return [
    { key: "Name", value: name, propagateAtLaunch: true },
    { key: clusterTagKey(clusterName), value: CLUSTER_TAG_VALUES.owned, propagateAtLaunch: true },
  ];
}
