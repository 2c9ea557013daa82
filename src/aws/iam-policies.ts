/**
 * IAM policy statements for the cluster's instance roles, as plain data (jsonencode-able with
 * Terraform tokens inside the strings).
 *
 * Sources (read, not copied):
 * - kubernetes/cloud-provider-aws docs/prerequisites.md ("Control Plane Policy") for the cloud
 *   controller's action list, checked against the API calls in pkg/providers/v1/*.go;
 * - aws/amazon-vpc-cni-k8s docs/iam-policy.md (AmazonEKS_CNI_Policy and its "scope-down" sample)
 *   and pkg/awsutils/awsutils.go for the ENI tags the CNI writes;
 * - AWS managed policies AmazonEC2ContainerRegistryReadOnly and AmazonSSMManagedInstanceCore;
 * - the Service Authorization Reference (which actions take resource ARNs / aws:ResourceTag /
 *   aws:RequestTag) and the ELB "tag resources during creation" page (AddTags on create).
 *
 * Scoping rule: a mutating action is limited to resources carrying the cluster tag
 * `kubernetes.io/cluster/<name>` (aws:ResourceTag) or, when it creates one, to requests that set
 * it (aws:RequestTag). Describe/List calls take no resource ARN in EC2, ELB and Auto Scaling and
 * stay on "*". Every action is named; none is "*" or "<service>:*".
 */

export interface PolicyStatement {
  readonly Sid: string;
  readonly Effect: "Allow";
  readonly Action: string[];
  readonly Resource: string | string[];
  readonly Condition?: Record<string, Record<string, string | string[]>>;
}

export interface PolicyContext {
  readonly clusterName: string;
  readonly partition: string;
  readonly region: string;
  readonly accountId: string;
  /** Parameter Store path prefix, e.g. "/k8s-cluster" (leading slash, no trailing slash). */
  readonly ssmPrefix: string;
  readonly etcdBackupBucketArn?: string;
  /** The add-on assets bucket (control-plane nodes read the bundles). */
  readonly assetsBucketArn?: string;
  /** ARN of the cluster's VPC: the VPC CNI may change network interfaces only inside it. */
  readonly vpcArn: string;
}

export interface PolicyDocument {
  Version: "2012-10-17";
  Statement: PolicyStatement[];
}

/** IAM's limit for one managed policy, whitespace not counted. */
export const MANAGED_POLICY_MAX_CHARS = 6144;
/** IAM's limit for all inline policies of one role together, whitespace not counted. */
export const ROLE_INLINE_POLICIES_MAX_CHARS = 10240;

/** The tag the cloud controller reads and writes: kubernetes.io/cluster/<name> = owned | shared. */
export function clusterTagKey(clusterName: string): string {
  return `kubernetes.io/cluster/${clusterName}`;
}

/** The tag the VPC CNI puts on the ENIs it creates when aws-node runs with CLUSTER_NAME set. */
export const CNI_CLUSTER_TAG_KEY = "cluster.k8s.amazonaws.com/name";

const isToken = (s: string): boolean => s.includes("${");

function check(ctx: PolicyContext): void {
  if (!ctx.clusterName) throw new Error("PolicyContext.clusterName is empty");
  if (!isToken(ctx.ssmPrefix) && !/^\/[A-Za-z0-9_.\-/]*[A-Za-z0-9_.-]$/.test(ctx.ssmPrefix)) {
    throw new Error(`PolicyContext.ssmPrefix "${ctx.ssmPrefix}" must start with "/" and not end with "/"`);
  }
}

function arn(ctx: PolicyContext, service: string, resource: string, region = ctx.region, account = ctx.accountId): string {
  return `arn:${ctx.partition}:${service}:${region}:${account}:${resource}`;
}

const ec2 = (ctx: PolicyContext, resource: string) => arn(ctx, "ec2", resource);
const elb = (ctx: PolicyContext, resource: string) => arn(ctx, "elasticloadbalancing", resource);

/** Existing resource tagged for this cluster (the values the cloud controller recognises). */
function taggedFor(ctx: PolicyContext, values: string[] = ["owned", "shared"]): PolicyStatement["Condition"] {
  return { StringEquals: { [`aws:ResourceTag/${clusterTagKey(ctx.clusterName)}`]: values } };
}

/** Create request that sets the cluster tag (the cloud controller always writes "owned"). */
function createsTaggedFor(ctx: PolicyContext): Record<string, string | string[]> {
  return { [`aws:RequestTag/${clusterTagKey(ctx.clusterName)}`]: "owned" };
}

/**
 * The AWS cloud controller manager (control-plane nodes only).
 * Actions: cloud-provider-aws docs/prerequisites.md, Control Plane Policy (its duplicate
 * elasticloadbalancing:AddTags listed once), plus three calls the code makes that the document
 * does not list: DescribeTargetGroupAttributes and ModifyTargetGroupAttributes
 * (pkg/providers/v1/aws_loadbalancer.go, every NLB target group) and ec2:DeleteTags (tags.go
 * UntagResource, the tagging controller).
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
        "ec2:DescribeVolumes",
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
      // EC2 resources it creates carry the cluster tag in the request: load balancer security
      // groups (aws.go ensureSecurityGroup sets TagSpecifications) and, from the document's legacy
      // in-tree EBS list, volumes. CreateSecurityGroup also authorizes the VPC.
      Sid: "CcmCreateTaggedEc2",
      Effect: "Allow",
      Action: ["ec2:CreateSecurityGroup", "ec2:CreateVolume"],
      Resource: [ec2(ctx, "security-group/*"), ec2(ctx, "vpc/*"), ec2(ctx, "volume/*")],
      Condition: { StringEquals: createsTaggedFor(ctx) },
    },
    {
      // Tag-on-create needs ec2:CreateTags too; allowed only inside those two create calls.
      Sid: "CcmTagOnCreate",
      Effect: "Allow",
      Action: ["ec2:CreateTags"],
      Resource: [ec2(ctx, "security-group/*"), ec2(ctx, "volume/*")],
      Condition: {
        StringEquals: { "ec2:CreateAction": ["CreateSecurityGroup", "CreateVolume"], ...createsTaggedFor(ctx) },
      },
    },
    {
      // Everything else it changes in EC2, only on cluster-tagged resources: re-tagging (security
      // group read-repair in tags.go, the tagging controller's instance tags), ingress rules on
      // its load balancer groups and on the nodes' cluster-tagged group (it picks the tagged one
      // when an instance has several), the route controller's routes and source/dest check
      // (unused with the VPC CNI: --configure-cloud-routes=false; it only finds cluster-tagged
      // route tables), and the document's legacy volume actions (not called by the current code).
      Sid: "CcmManageClusterEc2",
      Effect: "Allow",
      Action: [
        "ec2:AttachVolume",
        "ec2:AuthorizeSecurityGroupIngress",
        "ec2:CreateRoute",
        "ec2:CreateTags",
        "ec2:DeleteRoute",
        "ec2:DeleteTags",
        "ec2:DeleteVolume",
        "ec2:DetachVolume",
        "ec2:ModifyInstanceAttribute",
        "ec2:ModifyVolume",
        "ec2:RevokeSecurityGroupIngress",
      ],
      Resource: [ec2(ctx, "instance/*"), ec2(ctx, "route-table/*"), ec2(ctx, "security-group/*"), ec2(ctx, "volume/*")],
      Condition: taggedFor(ctx),
    },
    {
      // It deletes only the load balancer groups it created, which it tags "owned".
      Sid: "CcmDeleteSecurityGroup",
      Effect: "Allow",
      Action: ["ec2:DeleteSecurityGroup"],
      Resource: ec2(ctx, "security-group/*"),
      Condition: taggedFor(ctx, ["owned"]),
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
      Condition: taggedFor(ctx, ["owned"]),
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
    {
      // Read-only key lookup (volume encryption keys); keys of this account and region only.
      Sid: "CcmDescribeKmsKeys",
      Effect: "Allow",
      Action: ["kms:DescribeKey"],
      Resource: arn(ctx, "kms", "key/*"),
    },
  ];
}

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
      Condition: { StringEquals: { "ec2:CreateAction": "CreateNetworkInterface", [`aws:RequestTag/${CNI_CLUSTER_TAG_KEY}`]: ctx.clusterName } },
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

/**
 * Image pulls from ECR: the pull subset of AmazonEC2ContainerRegistryReadOnly.
 * GetAuthorizationToken takes no resource. The pull actions are limited to ECR repositories but
 * not to this account or region: the VPC CNI images live in AWS-owned EKS registries
 * (602401143452 and others), and the upstream manifest pulls them from us-west-2.
 */
export function ecrReadStatements(ctx: PolicyContext): PolicyStatement[] {
  check(ctx);
  return [
    {
      Sid: "EcrAuthToken",
      Effect: "Allow",
      Action: ["ecr:GetAuthorizationToken"],
      Resource: "*",
    },
    {
      Sid: "EcrPullImages",
      Effect: "Allow",
      Action: ["ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"],
      Resource: arn(ctx, "ecr", "repository/*", "*", "*"),
    },
  ];
}

/**
 * Parameter Store: kubeadm join material. Every node reads <ssmPrefix>/*; control-plane nodes
 * also write <ssmPrefix>/join/* (the first control-plane node publishes the token, CA hash and
 * certificate key). No kms:Decrypt/Encrypt: SecureStrings use the AWS managed key aws/ssm, whose
 * key policy already lets every principal of the account use it through Parameter Store.
 */
export function ssmParameterStatements(ctx: PolicyContext, role: "control-plane" | "worker"): PolicyStatement[] {
  check(ctx);
  const read: PolicyStatement = {
    Sid: "SsmReadClusterParameters",
    Effect: "Allow",
    Action: ["ssm:GetParameter", "ssm:GetParameters"],
    Resource: arn(ctx, "ssm", `parameter${ctx.ssmPrefix}/*`),
  };
  // Workers read only what a worker join needs: never the certificate key, which with a token
  // downloads the cluster's CA keys (control-plane join material).
  if (role === "worker")
    return [
      {
        Sid: "SsmReadWorkerJoinParameters",
        Effect: "Allow",
        Action: ["ssm:GetParameter", "ssm:GetParameters"],
        // join/api-endpoint tells which deployment the join parameters belong to (stale ones are ignored).
        // cluster/kubernetes-version: the kubelet version to install (never newer than the API servers).
        Resource: ["api-endpoint", "join/token", "join/ca-cert-hash", "join/api-endpoint", "cluster/kubernetes-version"].map((name) => arn(ctx, "ssm", `parameter${ctx.ssmPrefix}/${name}`)),
      },
    ];
  return [
    read,
    {
      Sid: "SsmWriteJoinParameters",
      Effect: "Allow",
      Action: ["ssm:PutParameter"],
      Resource: [arn(ctx, "ssm", `parameter${ctx.ssmPrefix}/join/*`), arn(ctx, "ssm", `parameter${ctx.ssmPrefix}/cluster/kubernetes-version`)],
    },
  ];
}

/**
 * Session Manager for the bastion and every node: AmazonSSMManagedInstanceCore without its
 * Parameter Store reads (on "*"), documents, associations, inventory, compliance and patching.
 * ssmmessages and ec2messages actions take no resource ARN.
 */
export function sessionManagerStatements(ctx: PolicyContext): PolicyStatement[] {
  check(ctx);
  return [
    {
      // SSM Agent registers and heartbeats the instance; the resource is the EC2 instance ARN.
      Sid: "SessionRegisterInstance",
      Effect: "Allow",
      Action: ["ssm:UpdateInstanceInformation"],
      Resource: ec2(ctx, "instance/*"),
    },
    {
      // Session Manager's control and data channels.
      Sid: "SessionChannels",
      Effect: "Allow",
      Action: [
        "ssmmessages:CreateControlChannel",
        "ssmmessages:CreateDataChannel",
        "ssmmessages:OpenControlChannel",
        "ssmmessages:OpenDataChannel",
      ],
      Resource: "*",
    },
    {
      // The agent's message delivery (Run Command, older agents' session setup).
      Sid: "SessionAgentMessages",
      Effect: "Allow",
      Action: [
        "ec2messages:AcknowledgeMessage",
        "ec2messages:DeleteMessage",
        "ec2messages:FailMessage",
        "ec2messages:GetEndpoint",
        "ec2messages:GetMessages",
        "ec2messages:SendReply",
      ],
      Resource: "*",
    },
  ];
}

/**
 * etcd snapshots of control-plane nodes to one bucket: write and read back objects, list the
 * bucket to find the latest. No DeleteObject: retention is the bucket's lifecycle rule's job, and
 * a compromised node cannot erase backups. Empty when no bucket is configured.
 */
export function etcdBackupStatements(ctx: PolicyContext): PolicyStatement[] {
  check(ctx);
  const bucket = ctx.etcdBackupBucketArn;
  if (!bucket) return [];
  return [
    {
      Sid: "EtcdBackupListBucket",
      Effect: "Allow",
      Action: ["s3:ListBucket"],
      Resource: bucket,
    },
    {
      Sid: "EtcdBackupObjects",
      Effect: "Allow",
      Action: ["s3:GetObject", "s3:PutObject"],
      Resource: `${bucket}/*`,
    },
  ];
}

/**
 * The add-on bundles, read by control-plane nodes (the first one applies them): list and get below
 * addons/ of the assets bucket, nothing else. Empty without a bucket.
 */
export function addonAssetsStatements(ctx: PolicyContext): PolicyStatement[] {
  check(ctx);
  const bucket = ctx.assetsBucketArn;
  if (!bucket) return [];
  return [
    {
      // aws s3 cp --recursive lists the bundle's prefix first.
      Sid: "AddonBundleList",
      Effect: "Allow",
      Action: ["s3:ListBucket"],
      Resource: bucket,
      Condition: { StringLike: { "s3:prefix": ["addons/*"] } },
    },
    {
      Sid: "AddonBundleRead",
      Effect: "Allow",
      Action: ["s3:GetObject"],
      Resource: `${bucket}/addons/*`,
    },
  ];
}

/** A policy document; throws on an empty list or a Sid used twice (IAM requires unique Sids). */
export function policyDocument(statements: PolicyStatement[]): PolicyDocument {
  if (statements.length === 0) throw new Error("a policy document needs at least one statement");
  const seen = new Set<string>();
  for (const s of statements) {
    if (seen.has(s.Sid)) throw new Error(`duplicate Sid ${s.Sid}`);
    seen.add(s.Sid);
  }
  return { Version: "2012-10-17", Statement: statements };
}

/** Every action of every statement that is "*" or "<service>:*"; the tests fail on any */
export function wildcardActions(statements: PolicyStatement[]): string[] {
  return statements.flatMap((s) => s.Action).filter((a) => a.trim() === "*" || /^[A-Za-z0-9-]+:\*$/.test(a.trim()));
}

/** Size as IAM counts it: the JSON without whitespace (string values are kept as they are). */
export function policySize(doc: PolicyDocument): number {
  return JSON.stringify(doc).length;
}
