/** The AWS cloud controller manager's statements (control-plane nodes only); see policy.ts for the scoping rule. */
import { CLUSTER_TAG_VALUES } from "../tags";
import { PolicyContext, PolicyStatement, arn, check, createsTaggedFor, ec2, elb, taggedFor } from "./policy";

/**
 * The AWS cloud controller manager (control-plane nodes only).
 * Actions: cloud-provider-aws docs/prerequisites.md, Control Plane Policy (its duplicate
 * elasticloadbalancing:AddTags listed once), plus three calls the code makes that the document
 * does not list: DescribeTargetGroupAttributes and ModifyTargetGroupAttributes
 * (pkg/providers/v1/aws_loadbalancer.go, every NLB target group) and ec2:DeleteTags (tags.go
 * UntagResource, the tagging controller). Left out: the document's volume actions (AttachVolume,
 * CreateVolume, DeleteVolume, DescribeVolumes, DetachVolume, ModifyVolume) and kms:DescribeKey,
 * which served the in-tree EBS plugin: no code of v1.33.4, v1.34.3 or v1.35.2 calls them
 * (pkg/providers/v1 builds a KMS client and never uses it). Volumes are the EBS CSI driver's
 * (src/aws/iam/ebs-csi-driver.ts).
 */
export function cloudControllerStatements(ctx: PolicyContext): PolicyStatement[] {
  check(ctx);
  const lbArns = [elb(ctx, "loadbalancer/*"), elb(ctx, "targetgroup/*"), elb(ctx, "listener/*")];
  return [
    {
      // Read-only calls; EC2, ELB and Auto Scaling Describe* actions accept no resource ARN.
      Sid: "CcmDescribe",
      Effect: "Allow",
      Action: [
        "autoscaling:DescribeAutoScalingGroups",
        "autoscaling:DescribeLaunchConfigurations",
        "autoscaling:DescribeTags",
        "ec2:DescribeAvailabilityZones",
        "ec2:DescribeInstances",
        "ec2:DescribeInstanceTopology",
        "ec2:DescribeRegions",
        "ec2:DescribeRouteTables",
        "ec2:DescribeSecurityGroups",
        "ec2:DescribeSubnets",
        "ec2:DescribeVpcs",
        "elasticloadbalancing:DescribeListeners",
        "elasticloadbalancing:DescribeLoadBalancerAttributes",
        "elasticloadbalancing:DescribeLoadBalancerPolicies",
        "elasticloadbalancing:DescribeLoadBalancers",
        "elasticloadbalancing:DescribeTargetGroupAttributes",
        "elasticloadbalancing:DescribeTargetGroups",
        "elasticloadbalancing:DescribeTargetHealth",
      ],
      Resource: "*",
    },
    {
      // The load balancer security groups it creates carry the cluster tag in the request
      // (aws.go ensureSecurityGroup sets TagSpecifications). CreateSecurityGroup also authorizes the VPC.
      Sid: "CcmCreateTaggedEc2",
      Effect: "Allow",
      Action: ["ec2:CreateSecurityGroup"],
      Resource: [ec2(ctx, "security-group/*"), ec2(ctx, "vpc/*")],
      Condition: { StringEquals: createsTaggedFor(ctx) },
    },
    {
      // Tag-on-create needs ec2:CreateTags too; allowed only inside that create call.
      Sid: "CcmTagOnCreate",
      Effect: "Allow",
      Action: ["ec2:CreateTags"],
      Resource: ec2(ctx, "security-group/*"),
      Condition: {
        StringEquals: { "ec2:CreateAction": ["CreateSecurityGroup"], ...createsTaggedFor(ctx) },
      },
    },
    {
      // Everything else it changes in EC2, only on cluster-tagged resources: re-tagging (security
      // group read-repair in tags.go, the tagging controller's instance tags), ingress rules on
      // its load balancer groups and on the nodes' cluster-tagged group (it picks the tagged one
      // when an instance has several), the route controller's routes and source/dest check
      // (unused with the VPC CNI: --configure-cloud-routes=false; it only finds cluster-tagged
      // route tables).
      Sid: "CcmManageClusterEc2",
      Effect: "Allow",
      Action: [
        "ec2:AuthorizeSecurityGroupIngress",
        "ec2:CreateRoute",
        "ec2:CreateTags",
        "ec2:DeleteRoute",
        "ec2:DeleteTags",
        "ec2:ModifyInstanceAttribute",
        "ec2:RevokeSecurityGroupIngress",
      ],
      Resource: [ec2(ctx, "instance/*"), ec2(ctx, "route-table/*"), ec2(ctx, "security-group/*")],
      Condition: taggedFor(ctx),
    },
    {
      // It deletes only the load balancer groups it created, which it tags "owned".
      Sid: "CcmDeleteSecurityGroup",
      Effect: "Allow",
      Action: ["ec2:DeleteSecurityGroup"],
      Resource: ec2(ctx, "security-group/*"),
      Condition: taggedFor(ctx, [CLUSTER_TAG_VALUES.owned]),
    },
    {
      // Classic and Network Load Balancers, target groups and listeners are created with the
      // cluster tag in the request (aws_loadbalancer.go passes Tags to all three).
      Sid: "CcmCreateLoadBalancers",
      Effect: "Allow",
      Action: [
        "elasticloadbalancing:CreateListener",
        "elasticloadbalancing:CreateLoadBalancer",
        "elasticloadbalancing:CreateTargetGroup",
      ],
      Resource: lbArns,
      Condition: { StringEquals: createsTaggedFor(ctx) },
    },
    {
      // ELB checks elasticloadbalancing:AddTags for tags given at creation; allow it only there.
      Sid: "CcmTagLoadBalancersOnCreate",
      Effect: "Allow",
      Action: ["elasticloadbalancing:AddTags"],
      Resource: lbArns,
      Condition: {
        StringEquals: {
          "elasticloadbalancing:CreateAction": ["CreateListener", "CreateLoadBalancer", "CreateTargetGroup"],
          ...createsTaggedFor(ctx),
        },
      },
    },
    {
      // Every other load balancer mutation (Classic ELB API and ELBv2) on resources the
      // controller created, which it tags "owned"; all of them accept aws:ResourceTag.
      Sid: "CcmManageLoadBalancers",
      Effect: "Allow",
      Action: [
        "elasticloadbalancing:AddTags",
        "elasticloadbalancing:ApplySecurityGroupsToLoadBalancer",
        "elasticloadbalancing:AttachLoadBalancerToSubnets",
        "elasticloadbalancing:ConfigureHealthCheck",
        "elasticloadbalancing:CreateLoadBalancerListeners",
        "elasticloadbalancing:CreateLoadBalancerPolicy",
        "elasticloadbalancing:DeleteListener",
        "elasticloadbalancing:DeleteLoadBalancer",
        "elasticloadbalancing:DeleteLoadBalancerListeners",
        "elasticloadbalancing:DeleteTargetGroup",
        "elasticloadbalancing:DeregisterInstancesFromLoadBalancer",
        "elasticloadbalancing:DeregisterTargets",
        "elasticloadbalancing:DetachLoadBalancerFromSubnets",
        "elasticloadbalancing:ModifyListener",
        "elasticloadbalancing:ModifyLoadBalancerAttributes",
        "elasticloadbalancing:ModifyTargetGroup",
        "elasticloadbalancing:ModifyTargetGroupAttributes",
        "elasticloadbalancing:RegisterInstancesWithLoadBalancer",
        "elasticloadbalancing:RegisterTargets",
        "elasticloadbalancing:SetLoadBalancerPoliciesForBackendServer",
        "elasticloadbalancing:SetLoadBalancerPoliciesOfListener",
        "elasticloadbalancing:SetSecurityGroups",
      ],
      Resource: lbArns,
      Condition: taggedFor(ctx, [CLUSTER_TAG_VALUES.owned]),
    },
    {
      // First load balancer in an account creates the ELB service-linked role; nothing else.
      Sid: "CcmElbServiceLinkedRole",
      Effect: "Allow",
      Action: ["iam:CreateServiceLinkedRole"],
      Resource: arn(
        ctx,
        "iam",
        "role/aws-service-role/elasticloadbalancing.amazonaws.com/AWSServiceRoleForElasticLoadBalancing",
        "",
      ),
      Condition: { StringEquals: { "iam:AWSServiceName": "elasticloadbalancing.amazonaws.com" } },
    },
  ];
}
