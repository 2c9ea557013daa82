/**
 * The cluster autoscaler's statements (control-plane role: it runs with the host's network on
 * control-plane nodes, src/addons/cluster-autoscaler.ts). Same scoping rule as policy.ts: every
 * action named, every mutation on named resources of this cluster.
 *
 * Actions: kubernetes/autoscaler cluster-autoscaler/cloudprovider/aws/README.md at
 * cluster-autoscaler-1.35.2, "Full Cluster Autoscaler Features Policy (Recommended)", which its
 * README asks to restrict "by either specifying Auto Scaling Group ARNs ... or using tag based
 * conditionals": here both. Left out: eks:DescribeNodegroup (only for EKS managed node groups;
 * this cluster has none). Sources for the resource types and condition keys: the Service
 * Authorization Reference for Amazon EC2 Auto Scaling (SetDesiredCapacity and
 * TerminateInstanceInAutoScalingGroup take the autoScalingGroup resource and aws:ResourceTag;
 * the Describe actions take no resource) and for Amazon EC2 (DescribeImages, DescribeInstanceTypes,
 * DescribeLaunchTemplateVersions and GetInstanceTypesFromInstanceRequirements take none).
 */
import { CLUSTER_TAG_VALUES, clusterAutoscalerTagKey } from "../tags";
import { PolicyStatement, check, checkResourceName } from "./policy";
import { LifecyclePolicyContext, workerGroupArns } from "./node-lifecycle";

export type ClusterAutoscalerPolicyContext = Omit<
  LifecyclePolicyContext,
  "controlPlaneGroups" | "nodeTerminationQueue" | "apiTargetGroup"
>;

export function clusterAutoscalerStatements(ctx: ClusterAutoscalerPolicyContext): PolicyStatement[] {
  check(ctx);
  if (ctx.workerGroups.length === 0) throw new Error("ClusterAutoscalerPolicyContext.workerGroups is empty");
  for (const g of ctx.workerGroups) checkResourceName("ClusterAutoscalerPolicyContext", g);
  return [
    {
      // Read-only: the groups and their instances (auto-discovery, node group sizes), scaling
      // activities (failed scale-ups), and the instance types and launch template versions behind a
      // group (a node's capacity before it exists). These actions accept no resource ARN.
      Sid: "ClusterAutoscalerDescribe",
      Effect: "Allow",
      Action: [
        "autoscaling:DescribeAutoScalingGroups",
        "autoscaling:DescribeAutoScalingInstances",
        "autoscaling:DescribeLaunchConfigurations",
        "autoscaling:DescribeScalingActivities",
        "ec2:DescribeImages",
        "ec2:DescribeInstanceTypes",
        "ec2:DescribeLaunchTemplateVersions",
        "ec2:GetInstanceTypesFromInstanceRequirements",
      ],
      Resource: "*",
    },
    {
      // Scale the workers' groups (one per availability zone), and terminate one of their instances on
      // scale-in: only those groups (by name), and only while they carry this cluster's auto-discovery tag.
      Sid: "ClusterAutoscalerScaleWorkers",
      Effect: "Allow",
      Action: ["autoscaling:SetDesiredCapacity", "autoscaling:TerminateInstanceInAutoScalingGroup"],
      Resource: workerGroupArns(ctx),
      Condition: {
        StringEquals: { [`aws:ResourceTag/${clusterAutoscalerTagKey(ctx.clusterName)}`]: CLUSTER_TAG_VALUES.owned },
      },
    },
  ];
}
