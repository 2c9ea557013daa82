/**
 * The cluster autoscaler for the workers' groups (one per availability zone): upstream's AWS example
 * cluster-autoscaler/cloudprovider/aws/examples/cluster-autoscaler-autodiscover.yaml, vendored
 * unchanged under addons/cluster-autoscaler/<version>/, with this cluster's changes as visible
 * patches. Flags and their defaults: cluster-autoscaler/config/flags/flags.go at the pinned tags;
 * the AWS provider's behaviour: cluster-autoscaler/cloudprovider/aws/README.md.
 *
 * Bounds: with auto-discovery the autoscaler keeps each group between its own min_size and max_size
 * (the README: "Cluster Autoscaler will respect the minimum and maximum values of each Auto Scaling
 * Group. It will only adjust the desired value"), which are the Terraform variables
 * worker_min_size and worker_max_size (workers.min and workers.max), split over the zones' groups
 * (src/constructs/workers.ts zoneShare). No --nodes flag: the README says not to combine it with
 * auto-discovery, and the variables stay the one place to change the bounds.
 *
 * Scale-in: the autoscaler itself taints the node (ToBeDeletedByClusterAutoscaler), evicts its pods
 * (PodDisruptionBudgets respected: core/scaledown/actuation/actuator.go and drain.go), then calls
 * TerminateInstanceInAutoScalingGroup with ShouldDecrementDesiredCapacity
 * (cloudprovider/aws/auto_scaling_groups.go). The group's terminate hook then sends the event to
 * the node termination handler, which cordons and drains again (nothing is left but DaemonSet
 * pods) and completes the hook. So the autoscaler drains; the handler is the safety net it already
 * is for instance refreshes, rebalancing and spot interruptions.
 */
import { KubeObject, PatchError, appendFlags, container, find, podSpec, replaceFlag } from "./patches";
import { onControlPlaneNodes, setEnv, setImageTag } from "./patches";
import { AUTOSCALING_ADDON_VERSIONS, CLUSTER_AUTOSCALER_IMAGE } from "../bootstrap/versions";
import { CLUSTER_AUTOSCALER_ENABLED_TAG_KEY, clusterAutoscalerTagKey } from "../aws/tags";
import { BOOT_DEADLINE_SECONDS } from "../aws/lifecycle";
import { LIFECYCLE_LABEL } from "../bootstrap/kubelet";

export const CLUSTER_AUTOSCALER_NAME = "cluster-autoscaler";

/** The flag whose value names the tags of the groups it scales; upstream's has a placeholder. */
export const AUTO_DISCOVERY_FLAG = "--node-group-auto-discovery";

export function autoDiscoveryValue(clusterName: string): string {
  return `asg:tag=${CLUSTER_AUTOSCALER_ENABLED_TAG_KEY},${clusterAutoscalerTagKey(clusterName)}`;
}

/**
 * Flags upstream's example already sets the way this cluster wants them: checked, not changed.
 * Pods with emptyDir volumes (most) do not pin a node; least-waste picks the group that leaves the
 * least CPU and memory idle.
 */
export const CLUSTER_AUTOSCALER_KEPT_FLAGS: readonly string[] = Object.freeze([
  "--cloud-provider=aws",
  "--skip-nodes-with-local-storage=false",
  "--expander=least-waste",
]);

/**
 * How long a new instance may take to become a Node before the autoscaler gives up on it and
 * terminates it (kubernetes/autoscaler cluster-autoscaler/config/flags/flags.go
 * --max-node-provision-time, default 15m): the nodes' own boot deadline (k8s-boot-watch reports a
 * boot that is not done by then, and the launch hook keeps a failed one for inspection) plus five
 * minutes, so the autoscaler does not cut a slow boot short or take the evidence of a failed one.
 */
export const MAX_NODE_PROVISION_MINUTES = Math.ceil(BOOT_DEADLINE_SECONDS / 60) + 5;

/**
 * Flags added: node groups that differ only in their zone are kept the same size, and the time a
 * node may take to boot. The workers are one group per zone (src/constructs/workers.ts), which the
 * AWS README's "Common Notes and Gotchas" asks for with EBS volumes: "an ASG-per-AZ while enabling
 * --balance-similar-node-groups" (FAQ.md: the flag balances groups with the same instance type and
 * labels "except for automatically added zone label"; processors/nodegroupset/aws_nodegroups.go
 * also ignores topology.ebs.csi.aws.com/zone, the label the EBS CSI node plugin adds).
 */
export const CLUSTER_AUTOSCALER_ADDED_FLAGS: readonly string[] = Object.freeze([
  "--balance-similar-node-groups",
  // Groups differ in a label outside the ignored set are not similar (nodegroupset/compare_nodegroups.go
  // compareLabels); aws_nodegroups.go ignores "lifecycle" but not our node.kubernetes.io/lifecycle
  // (spot or on-demand, set by each node), which differs between zones when the On-Demand base falls
  // in one zone's group, and is missing on the template of a group at zero (aws_manager.go
  // buildGenericLabels). config/flags/flags.go: --balancing-ignore-label.
  `--balancing-ignore-label=${LIFECYCLE_LABEL}`,
  `--max-node-provision-time=${MAX_NODE_PROVISION_MINUTES}m`,
]);

/**
 * From 1.35 the autoscaler always handles Dynamic Resource Allocation objects (flags.go locks
 * --enable-dynamic-resource-allocation to true) and lists and watches them; the example's
 * ClusterRole does not allow it, upstream's chart at the same tag does (charts/cluster-autoscaler/
 * templates/clusterrole.yaml). Read-only, added for every minor.
 */
export const DRA_READ_RULE = Object.freeze({
  apiGroups: ["resource.k8s.io"],
  resources: ["resourceslices", "deviceclasses", "resourceclaims"],
  verbs: ["watch", "list", "get"],
});

/**
 * The host's CA bundle the example mounts over the image's own: its hostPath is Amazon Linux's
 * /etc/ssl/certs/ca-bundle.crt, which Ubuntu does not have (the "Common Notes and Gotchas" of the
 * cluster autoscaler's AWS README, kubernetes/autoscaler cluster-autoscaler/cloudprovider/aws/README.md,
 * name Ubuntu's path for other distributions).
 */
export const HOST_CA_BUNDLE = "/etc/ssl/certs/ca-certificates.crt";

export interface ClusterAutoscalerSettings {
  readonly clusterName: string;
  readonly region: string;
  readonly kubernetesMinor: string;
}

/** The image tag of the autoscaler release meant for the Kubernetes minor. */
export function clusterAutoscalerTag(minor: string): string {
  const tag = AUTOSCALING_ADDON_VERSIONS.clusterAutoscaler[minor];
  if (!tag) throw new Error(`addons: no cluster autoscaler release pinned for Kubernetes ${minor}`);
  return tag;
}

/**
 * This cluster's changes to the example. Credentials: pods cannot reach the instance metadata
 * service (hop limit 1), so, like the node termination handler, it runs with the host's network on
 * control-plane nodes and uses their role (its IAM: src/aws/iam/cluster-autoscaler.ts); with the
 * host's network its metrics port (:8085, flags.go --address) is a host port, so the one replica
 * is replaced by Recreate. The SDK finds no region by itself (aws_sdk_provider.go getRegion reads
 * AWS_REGION, else the default config, which does not ask the metadata service), so AWS_REGION is
 * set.
 */
export function patchClusterAutoscaler(objects: KubeObject[], s: ClusterAutoscalerSettings, where: string): void {
  const role = find(objects, "ClusterRole", CLUSTER_AUTOSCALER_NAME, where);
  const rules = role.rules as object[];
  rules.push(structuredClone(DRA_READ_RULE) as object);
  const deployment = find(objects, "Deployment", CLUSTER_AUTOSCALER_NAME, where);
  const spec = podSpec(deployment, where);
  const c = container(spec, CLUSTER_AUTOSCALER_NAME, where);
  setImageTag(c, CLUSTER_AUTOSCALER_IMAGE, clusterAutoscalerTag(s.kubernetesMinor), where);
  for (const flag of CLUSTER_AUTOSCALER_KEPT_FLAGS)
    if (!(c.command ?? []).includes(flag))
      throw new PatchError(`${where}: container ${c.name} no longer runs with ${flag}; re-check the vendored example`);
  replaceFlag(c, "command", AUTO_DISCOVERY_FLAG, autoDiscoveryValue(s.clusterName), where);
  appendFlags(c, "command", CLUSTER_AUTOSCALER_ADDED_FLAGS, where);
  setEnv(c, { AWS_REGION: s.region });
  const certs = (spec.volumes ?? []).find((v) => v.name === "ssl-certs");
  if (!certs?.hostPath) throw new PatchError(`${where}: no hostPath volume ssl-certs`);
  certs.hostPath = { path: HOST_CA_BUNDLE, type: "File" };
  spec.hostNetwork = true;
  onControlPlaneNodes(spec);
  (deployment.spec as { strategy?: unknown }).strategy = { type: "Recreate" };
}
