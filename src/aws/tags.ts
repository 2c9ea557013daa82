/**
 * The tag keys that tell AWS-side Kubernetes components which resources are the cluster's: the
 * stacks write them, the IAM policies condition on them. One home for each key.
 *
 * Sources: kubernetes/cloud-provider-aws pkg/providers/v1/tags.go (the cluster tag and its values)
 * and aws.go (TagNameSubnetPublicELB, TagNameSubnetInternalELB: the subnet role tags);
 * aws/amazon-vpc-cni-k8s pkg/awsutils/awsutils.go (the tag the CNI puts on its ENIs).
 */

/** The cluster tag, kubernetes.io/cluster/<name>: the cloud controller's mark of the cluster's resources. */
export function clusterTagKey(clusterName: string): string {
  return `kubernetes.io/cluster/${clusterName}`;
}

/** The cluster tag's values: "owned" (the cluster's alone, deleted with it) or "shared". */
export const CLUSTER_TAG_VALUES = Object.freeze({ owned: "owned", shared: "shared" });

/** The cluster tag as these stacks write it on what they create: owned by the cluster. */
export function clusterOwnedTag(clusterName: string): Record<string, string> {
  return { [clusterTagKey(clusterName)]: CLUSTER_TAG_VALUES.owned };
}

/** Subnets the cloud controller puts internet-facing load balancers in (value "1"). */
export const PUBLIC_ELB_SUBNET_TAG_KEY = "kubernetes.io/role/elb";
/** Subnets the cloud controller puts internal load balancers in (value "1"). */
export const INTERNAL_ELB_SUBNET_TAG_KEY = "kubernetes.io/role/internal-elb";

/** The tag the VPC CNI puts on the ENIs it creates when aws-node runs with CLUSTER_NAME set. */
export const CNI_CLUSTER_TAG_KEY = "cluster.k8s.amazonaws.com/name";

/**
 * The tags the AWS EBS CSI driver puts on every volume and snapshot it creates: its own mark
 * (always, pkg/cloud/cloud.go AwsEbsDriverTagKey, value "true": pkg/driver/controller.go) and,
 * with --k8s-tag-cluster-id, the cluster's name (pkg/driver/constants.go ClusterNameTagKey).
 */
export const EBS_CSI_MANAGED_TAG = Object.freeze({ key: "ebs.csi.aws.com/cluster", value: "true" });
export const EBS_CSI_CLUSTER_NAME_TAG_KEY = "ebs.csi.aws.com/cluster-name";

/**
 * The cluster autoscaler's auto-discovery tags on an auto scaling group (kubernetes/autoscaler
 * cluster-autoscaler/cloudprovider/aws/README.md, "Auto-Discovery Setup": it scales the groups
 * that carry every tag its --node-group-auto-discovery flag names; with no value in the flag, any
 * value matches). The per-cluster key keeps another cluster's autoscaler in the same account off
 * this cluster's group; its value "owned" is what the autoscaler's IAM condition checks.
 */
export const CLUSTER_AUTOSCALER_ENABLED_TAG_KEY = "k8s.io/cluster-autoscaler/enabled";

export function clusterAutoscalerTagKey(clusterName: string): string {
  return `k8s.io/cluster-autoscaler/${clusterName}`;
}

/** Both auto-discovery tags with the values this stack writes. */
export function clusterAutoscalerTags(clusterName: string): Record<string, string> {
  return {
    [CLUSTER_AUTOSCALER_ENABLED_TAG_KEY]: "true",
    [clusterAutoscalerTagKey(clusterName)]: CLUSTER_TAG_VALUES.owned,
  };
}
