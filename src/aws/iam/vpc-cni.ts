/** The VPC CNI's statements (both node roles); see policy.ts for the scoping rule. */
import { CNI_CLUSTER_TAG_KEY } from "../tags";
import { PolicyContext, PolicyStatement, check, ec2, taggedFor } from "./policy";

/**
 * The VPC CNI (aws-node). Actions: AmazonEKS_CNI_Policy as aws/amazon-vpc-cni-k8s
 * docs/iam-policy.md lists it; scope: that page's "scope-down" policy, with the account and
 * region filled in. Needs aws-node to run with CLUSTER_NAME=<clusterName>: only then does the CNI
 * put cluster.k8s.amazonaws.com/name on the ENIs it creates and on the node's attached ENIs.
 * Both roles get these: the aws-node DaemonSet runs on control-plane nodes too, and a node whose
 * CNI cannot start stays NotReady.
 */
export function vpcCniStatements(ctx: PolicyContext): PolicyStatement[] {
  check(ctx);
  const eniTag = { [`aws:ResourceTag/${CNI_CLUSTER_TAG_KEY}`]: ctx.clusterName };
  // Network interfaces, subnets and security groups all carry ec2:Vpc: nothing outside the cluster's VPC.
  const inVpc = { ArnEquals: { "ec2:Vpc": ctx.vpcArn } };
  return [
    {
      // Read-only; EC2 Describe* accepts no resource ARN.
      Sid: "CniDescribe",
      Effect: "Allow",
      Action: [
        "ec2:DescribeInstances",
        "ec2:DescribeInstanceTypes",
        "ec2:DescribeNetworkInterfaces",
        "ec2:DescribeSecurityGroups",
        "ec2:DescribeSubnets",
        "ec2:DescribeTags",
      ],
      Resource: "*",
    },
    {
      // The CNI tags the ENIs it manages that exist already, including the instance's primary ENI,
      // which starts without the cluster tag: so no tag condition (as in AmazonEKS_CNI_Policy), but
      // only network interfaces in the cluster's VPC (upstream's sample leaves CreateTags unscoped; a
      // node could otherwise tag an ENI elsewhere in the account and then detach or delete it).
      Sid: "CniTagEnis",
      Effect: "Allow",
      Action: ["ec2:CreateTags"],
      Resource: ec2(ctx, "network-interface/*"),
      Condition: inVpc,
    },
    {
      // Tag-on-create of a new ENI: a network interface being created has no ec2:Vpc in the
      // request context (Service Authorization Reference, CreateTags on a new network-interface:
      // aws:RequestTag, aws:TagKeys, ec2:CreateAction), so it is scoped by the create call and by
      // the cluster tag it must carry (as AWS's AmazonEKSNetworkingPolicy does).
      Sid: "CniTagEnisOnCreate",
      Effect: "Allow",
      Action: ["ec2:CreateTags"],
      Resource: ec2(ctx, "network-interface/*"),
      Condition: {
        StringEquals: {
          "ec2:CreateAction": "CreateNetworkInterface",
          [`aws:RequestTag/${CNI_CLUSTER_TAG_KEY}`]: ctx.clusterName,
        },
      },
    },
    {
      // New ENIs must be created with the CNI's cluster tag.
      Sid: "CniCreateEni",
      Effect: "Allow",
      Action: ["ec2:CreateNetworkInterface"],
      Resource: ec2(ctx, "network-interface/*"),
      Condition: { StringEquals: { [`aws:RequestTag/${CNI_CLUSTER_TAG_KEY}`]: ctx.clusterName } },
    },
    {
      // ... in a cluster-tagged subnet of the cluster's VPC (the scope-down sample's ec2:Vpc,
      // aws/amazon-vpc-cni-k8s docs/iam-policy.md, plus the cluster tag every subnet here carries).
      Sid: "CniCreateEniInClusterSubnet",
      Effect: "Allow",
      Action: ["ec2:CreateNetworkInterface"],
      Resource: ec2(ctx, "subnet/*"),
      Condition: { ...taggedFor(ctx), ...inVpc },
    },
    {
      // ... with the ENIConfig's / node's security groups of the cluster's VPC, which need not be cluster-tagged.
      Sid: "CniEniSecurityGroups",
      Effect: "Allow",
      Action: ["ec2:CreateNetworkInterface", "ec2:ModifyNetworkInterfaceAttribute"],
      Resource: ec2(ctx, "security-group/*"),
      Condition: inVpc,
    },
    {
      // IP assignment, attach/detach, delete-on-termination and deletion only on ENIs the CNI
      // tagged for this cluster, inside its VPC.
      Sid: "CniManageClusterEnis",
      Effect: "Allow",
      Action: [
        "ec2:AssignPrivateIpAddresses",
        "ec2:AttachNetworkInterface",
        "ec2:DeleteNetworkInterface",
        "ec2:DetachNetworkInterface",
        "ec2:ModifyNetworkInterfaceAttribute",
        "ec2:UnassignPrivateIpAddresses",
      ],
      Resource: ec2(ctx, "network-interface/*"),
      Condition: { StringEquals: eniTag, ...inVpc },
    },
    {
      // Attach/detach touch the instance too: only cluster-tagged instances.
      Sid: "CniClusterInstances",
      Effect: "Allow",
      Action: ["ec2:AttachNetworkInterface", "ec2:DetachNetworkInterface", "ec2:ModifyNetworkInterfaceAttribute"],
      Resource: ec2(ctx, "instance/*"),
      Condition: taggedFor(ctx),
    },
  ];
}
