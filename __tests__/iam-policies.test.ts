/**
 * The instance roles' IAM statements (src/aws/iam-policies.ts): named actions only, mutations
 * scoped to the cluster, Parameter Store limited to the prefix, valid documents within IAM's
 * size limits. Pure data, no synth.
 */
import {
  PolicyContext,
  PolicyStatement,
  MANAGED_POLICY_MAX_CHARS,
  ROLE_INLINE_POLICIES_MAX_CHARS,
  CNI_CLUSTER_TAG_KEY,
  clusterTagKey,
  cloudControllerStatements,
  vpcCniStatements,
  ecrReadStatements,
  ssmParameterStatements,
  sessionManagerStatements,
  etcdBackupStatements,
  addonAssetsStatements,
  policyDocument,
  policySize,
  wildcardActions,
} from "../src/aws/iam-policies";
import { EC2_CONDITION_KEYS, conditionKeysFor, referenceKey } from "../src/aws/ec2-condition-keys";
import { nodeLifecycleStatements, nodeTerminationHandlerStatements } from "../src/aws/iam-lifecycle-policies";

/** The names the lifecycle statements (src/aws/iam-lifecycle-policies.ts) scope to. */
const LIFECYCLE_NAMES = {
  controlPlaneGroups: ["k8s-cluster-control-plane-0", "k8s-cluster-control-plane-1", "k8s-cluster-control-plane-2"],
  workerGroup: "k8s-cluster-workers",
  nodeTerminationQueue: "k8s-cluster-node-termination",
  apiTargetGroup: "k8s-cluster-api",
};

const ctx: PolicyContext = {
  clusterName: "k8s-cluster",
  partition: "aws",
  region: "ap-northeast-2",
  accountId: "123456789012",
  ssmPrefix: "/k8s-cluster",
  etcdBackupBucketArn: "arn:aws:s3:::k8s-cluster-etcd-backup",
  assetsBucketArn: "arn:aws:s3:::k8s-cluster-assets-20261201000000000000000001",
  vpcArn: "arn:aws:ec2:ap-northeast-2:123456789012:vpc/vpc-0123456789abcdef0",
};

/** Terraform tokens as the stack passes them: interpolated verbatim. */
const tokenCtx: PolicyContext = {
  clusterName: "k8s-cluster",
  partition: "${data.aws_partition.current.partition}",
  region: "${data.aws_region.current.name}",
  accountId: "${data.aws_caller_identity.current.account_id}",
  ssmPrefix: "/k8s-cluster",
  etcdBackupBucketArn: "${aws_s3_bucket.etcd_backup.arn}",
  assetsBucketArn: "${aws_s3_bucket.assets.arn}",
  vpcArn: "${aws_vpc.vpc.arn}",
};

/** Longest realistic values after Terraform resolves them: what IAM measures. */
const worstCase: PolicyContext = {
  clusterName: "c".repeat(32), // config allows 2-32 characters
  partition: "aws-us-gov",
  region: "ap-southeast-5",
  accountId: "123456789012",
  ssmPrefix: "/" + "p".repeat(40),
  etcdBackupBucketArn: "arn:aws-us-gov:s3:::" + "b".repeat(63),
  assetsBucketArn: "arn:aws-us-gov:s3:::" + "a".repeat(63),
  vpcArn: "arn:aws-us-gov:ec2:ap-southeast-5:123456789012:vpc/vpc-0123456789abcdef0",
};

function roles(c: PolicyContext): Record<"controlPlane" | "worker" | "bastion", PolicyStatement[]> {
  return {
    controlPlane: [
      ...cloudControllerStatements(c),
      ...vpcCniStatements(c),
      ...ecrReadStatements(c),
      ...ssmParameterStatements(c, "control-plane"),
      ...sessionManagerStatements(c),
      ...etcdBackupStatements(c),
      ...addonAssetsStatements(c),
      ...nodeLifecycleStatements({ ...c, ...LIFECYCLE_NAMES }, "control-plane"),
      ...nodeTerminationHandlerStatements({ ...c, ...LIFECYCLE_NAMES }),
    ],
    worker: [
      ...vpcCniStatements(c),
      ...ecrReadStatements(c),
      ...ssmParameterStatements(c, "worker"),
      ...sessionManagerStatements(c),
      ...nodeLifecycleStatements({ ...c, ...LIFECYCLE_NAMES }, "worker"),
    ],
    bastion: sessionManagerStatements(c),
  };
}

const all = (c: PolicyContext): PolicyStatement[] => Object.values(roles(c)).flat();
const resources = (s: PolicyStatement): string[] => (Array.isArray(s.Resource) ? s.Resource : [s.Resource]);
const actions = (ss: PolicyStatement[]): string[] => [...new Set(ss.flatMap((s) => s.Action))].sort();
const conditionKeys = (s: PolicyStatement): string[] => Object.values(s.Condition ?? {}).flatMap((o) => Object.keys(o));
const isRead = (a: string): boolean => /^[a-z0-9-]+:(Describe|Get|List)/.test(a);

// kubernetes/cloud-provider-aws docs/prerequisites.md, Control Plane Policy (AddTags is listed twice there).
const CCM_DOCUMENTED = [
  "autoscaling:DescribeAutoScalingGroups", "autoscaling:DescribeLaunchConfigurations", "autoscaling:DescribeTags",
  "ec2:DescribeInstances", "ec2:DescribeRegions", "ec2:DescribeRouteTables", "ec2:DescribeSecurityGroups",
  "ec2:DescribeSubnets", "ec2:DescribeVolumes", "ec2:DescribeAvailabilityZones", "ec2:CreateSecurityGroup",
  "ec2:CreateTags", "ec2:CreateVolume", "ec2:ModifyInstanceAttribute", "ec2:ModifyVolume", "ec2:AttachVolume",
  "ec2:AuthorizeSecurityGroupIngress", "ec2:CreateRoute", "ec2:DeleteRoute", "ec2:DeleteSecurityGroup",
  "ec2:DeleteVolume", "ec2:DetachVolume", "ec2:RevokeSecurityGroupIngress", "ec2:DescribeVpcs",
  "ec2:DescribeInstanceTopology", "elasticloadbalancing:AddTags", "elasticloadbalancing:AttachLoadBalancerToSubnets",
  "elasticloadbalancing:ApplySecurityGroupsToLoadBalancer", "elasticloadbalancing:CreateLoadBalancer",
  "elasticloadbalancing:CreateLoadBalancerPolicy", "elasticloadbalancing:CreateLoadBalancerListeners",
  "elasticloadbalancing:ConfigureHealthCheck", "elasticloadbalancing:DeleteLoadBalancer",
  "elasticloadbalancing:DeleteLoadBalancerListeners", "elasticloadbalancing:DescribeLoadBalancers",
  "elasticloadbalancing:DescribeLoadBalancerAttributes", "elasticloadbalancing:DetachLoadBalancerFromSubnets",
  "elasticloadbalancing:DeregisterInstancesFromLoadBalancer", "elasticloadbalancing:ModifyLoadBalancerAttributes",
  "elasticloadbalancing:RegisterInstancesWithLoadBalancer", "elasticloadbalancing:SetLoadBalancerPoliciesForBackendServer",
  "elasticloadbalancing:CreateListener", "elasticloadbalancing:CreateTargetGroup", "elasticloadbalancing:DeleteListener",
  "elasticloadbalancing:DeleteTargetGroup", "elasticloadbalancing:DescribeListeners",
  "elasticloadbalancing:DescribeLoadBalancerPolicies", "elasticloadbalancing:DescribeTargetGroups",
  "elasticloadbalancing:DescribeTargetHealth", "elasticloadbalancing:ModifyListener", "elasticloadbalancing:ModifyTargetGroup",
  "elasticloadbalancing:RegisterTargets", "elasticloadbalancing:DeregisterTargets",
  "elasticloadbalancing:SetLoadBalancerPoliciesOfListener", "elasticloadbalancing:SetSecurityGroups",
  "iam:CreateServiceLinkedRole", "kms:DescribeKey",
];
// Called by the code but missing from the document: target group attributes on every NLB
// (pkg/providers/v1/aws_loadbalancer.go), DeleteTags by the tagging controller (tags.go UntagResource).
const CCM_ADDED = ["elasticloadbalancing:DescribeTargetGroupAttributes", "elasticloadbalancing:ModifyTargetGroupAttributes", "ec2:DeleteTags"];

// aws/amazon-vpc-cni-k8s docs/iam-policy.md, IPv4 (= AmazonEKS_CNI_Policy).
const CNI_DOCUMENTED = [
  "ec2:AssignPrivateIpAddresses", "ec2:AttachNetworkInterface", "ec2:CreateNetworkInterface", "ec2:DeleteNetworkInterface",
  "ec2:DescribeInstances", "ec2:DescribeTags", "ec2:DescribeNetworkInterfaces", "ec2:DescribeInstanceTypes",
  "ec2:DescribeSecurityGroups", "ec2:DescribeSubnets", "ec2:DetachNetworkInterface", "ec2:ModifyNetworkInterfaceAttribute",
  "ec2:UnassignPrivateIpAddresses", "ec2:CreateTags",
];

// AWS managed policy AmazonSSMManagedInstanceCore (v2).
const SSM_MANAGED_INSTANCE_CORE = [
  "ssm:DescribeAssociation", "ssm:GetDeployablePatchSnapshotForInstance", "ssm:GetDocument", "ssm:DescribeDocument",
  "ssm:GetManifest", "ssm:GetParameter", "ssm:GetParameters", "ssm:ListAssociations", "ssm:ListInstanceAssociations",
  "ssm:PutInventory", "ssm:PutComplianceItems", "ssm:PutConfigurePackageResult", "ssm:UpdateAssociationStatus",
  "ssm:UpdateInstanceAssociationStatus", "ssm:UpdateInstanceInformation", "ssmmessages:CreateControlChannel",
  "ssmmessages:CreateDataChannel", "ssmmessages:OpenControlChannel", "ssmmessages:OpenDataChannel",
  "ec2messages:AcknowledgeMessage", "ec2messages:DeleteMessage", "ec2messages:FailMessage", "ec2messages:GetEndpoint",
  "ec2messages:GetMessages", "ec2messages:SendReply",
];

/**
 * Actions that take no resource ARN (or, for ECR pulls, are deliberately account-wide); the one
 * mutation among them, cloudwatch:PutMetricData, only inside a cloudwatch:namespace condition.
 */
const UNSCOPABLE_ON_STAR = (a: string, s: PolicyStatement): boolean =>
  /^(ec2|elasticloadbalancing|autoscaling):Describe[A-Za-z]+$/.test(a) ||
  a === "ecr:GetAuthorizationToken" ||
  a.startsWith("ssmmessages:") ||
  a.startsWith("ec2messages:") ||
  (a === "cloudwatch:PutMetricData" && typeof s.Condition?.StringEquals?.["cloudwatch:namespace"] === "string");

describe("no wildcard actions", () => {
  test.each(Object.keys(roles(ctx)))("%s role: wildcardActions() finds none", (role) => {
    expect(wildcardActions(roles(ctx)[role as keyof ReturnType<typeof roles>])).toEqual([]);
  });
  test("no action contains * at all (no Describe* prefixes either) and every action is service:Name", () => {
    for (const a of actions(all(ctx))) expect(a).toMatch(/^[a-z0-9-]+:[A-Za-z0-9]+$/);
  });
  test('wildcardActions() catches "*" and "<service>:*"', () => {
    const s: PolicyStatement[] = [
      { Sid: "A", Effect: "Allow", Action: ["*", "ec2:*", "elasticloadbalancing:*", "ec2:DescribeInstances"], Resource: "*" },
    ];
    expect(wildcardActions(s)).toEqual(["*", "ec2:*", "elasticloadbalancing:*"]);
  });
  test('statements on Resource "*" hold only actions that accept no resource ARN', () => {
    for (const s of all(ctx).filter((s) => resources(s).includes("*"))) {
      for (const a of s.Action)
        expect({ sid: s.Sid, action: a, ok: UNSCOPABLE_ON_STAR(a, s) }).toEqual({ sid: s.Sid, action: a, ok: true });
    }
  });
  test("denied: PutMetricData on * without its namespace condition, and any other mutation on *, are caught", () => {
    const put: PolicyStatement = { Sid: "M", Effect: "Allow", Action: ["cloudwatch:PutMetricData"], Resource: "*" };
    expect(UNSCOPABLE_ON_STAR("cloudwatch:PutMetricData", put)).toBe(false);
    expect(UNSCOPABLE_ON_STAR("autoscaling:SetInstanceHealth", put)).toBe(false);
    expect(UNSCOPABLE_ON_STAR("sqs:DeleteMessage", put)).toBe(false);
  });
});

describe("cloud controller manager", () => {
  const ccm = cloudControllerStatements(ctx);
  const tagKey = clusterTagKey(ctx.clusterName);

  test("same actions as the documented control-plane policy, plus the three the code calls", () => {
    expect(actions(ccm)).toEqual([...new Set([...CCM_DOCUMENTED, ...CCM_ADDED])].sort());
  });

  test("every mutating action is only granted under the cluster tag condition", () => {
    const mutating = actions(ccm).filter((a) => !isRead(a) && a !== "iam:CreateServiceLinkedRole");
    expect(mutating.length).toBe(39);
    for (const a of mutating) {
      for (const s of ccm.filter((s) => s.Action.includes(a))) {
        const keys = conditionKeys(s);
        expect({ action: a, sid: s.Sid, scoped: keys.some((k) => k === `aws:ResourceTag/${tagKey}` || k === `aws:RequestTag/${tagKey}`) }).toEqual({
          action: a,
          sid: s.Sid,
          scoped: true,
        });
        expect(resources(s)).not.toContain("*");
      }
    }
  });

  test.each([
    "ec2:CreateTags",
    "ec2:DeleteTags",
    "ec2:AuthorizeSecurityGroupIngress",
    "ec2:RevokeSecurityGroupIngress",
    "ec2:DeleteSecurityGroup",
    "elasticloadbalancing:DeleteLoadBalancer",
    "elasticloadbalancing:RegisterTargets",
    "elasticloadbalancing:ModifyListener",
    "elasticloadbalancing:SetSecurityGroups",
  ])("%s acts only on resources already tagged for the cluster (or tags a resource it is creating)", (a) => {
    for (const s of ccm.filter((s) => s.Action.includes(a))) {
      const resourceTag = s.Condition?.StringEquals?.[`aws:ResourceTag/${tagKey}`];
      const createAction = s.Condition?.StringEquals?.["ec2:CreateAction"] ?? s.Condition?.StringEquals?.["elasticloadbalancing:CreateAction"];
      expect(resourceTag !== undefined || createAction !== undefined).toBe(true);
    }
  });

  test("creates require the request to set kubernetes.io/cluster/<name>=owned", () => {
    for (const a of ["ec2:CreateSecurityGroup", "ec2:CreateVolume", "elasticloadbalancing:CreateLoadBalancer", "elasticloadbalancing:CreateTargetGroup", "elasticloadbalancing:CreateListener"]) {
      const ss = ccm.filter((s) => s.Action.includes(a));
      expect(ss).toHaveLength(1);
      expect(ss[0].Condition?.StringEquals?.[`aws:RequestTag/${tagKey}`]).toBe("owned");
    }
  });

  test("security groups and load balancers are deleted only when tagged owned", () => {
    for (const a of ["ec2:DeleteSecurityGroup", "elasticloadbalancing:DeleteLoadBalancer", "elasticloadbalancing:DeleteTargetGroup"]) {
      for (const s of ccm.filter((s) => s.Action.includes(a))) expect(s.Condition?.StringEquals?.[`aws:ResourceTag/${tagKey}`]).toEqual(["owned"]);
    }
  });

  test("tag-on-create is only allowed inside the create calls", () => {
    const ec2 = ccm.find((s) => s.Sid === "CcmTagOnCreate")!;
    expect(ec2.Condition?.StringEquals?.["ec2:CreateAction"]).toEqual(["CreateSecurityGroup", "CreateVolume"]);
    const lb = ccm.find((s) => s.Sid === "CcmTagLoadBalancersOnCreate")!;
    expect(lb.Condition?.StringEquals?.["elasticloadbalancing:CreateAction"]).toEqual(["CreateListener", "CreateLoadBalancer", "CreateTargetGroup"]);
  });

  test("the service-linked role is only ELB's", () => {
    const s = ccm.find((s) => s.Action.includes("iam:CreateServiceLinkedRole"))!;
    expect(s.Action).toEqual(["iam:CreateServiceLinkedRole"]);
    expect(s.Resource).toBe("arn:aws:iam::123456789012:role/aws-service-role/elasticloadbalancing.amazonaws.com/AWSServiceRoleForElasticLoadBalancing");
    expect(s.Condition).toEqual({ StringEquals: { "iam:AWSServiceName": "elasticloadbalancing.amazonaws.com" } });
  });

  test("scoped resources stay in the cluster's account and region", () => {
    for (const s of ccm) {
      for (const r of resources(s).filter((r) => r !== "*" && !r.startsWith("arn:aws:iam::"))) {
        expect(r.startsWith("arn:aws:") && r.includes(":ap-northeast-2:123456789012:")).toBe(true);
      }
    }
  });
});

describe("VPC CNI and ECR", () => {
  const cni = vpcCniStatements(ctx);

  test("the AmazonEKS_CNI_Policy actions, nothing more", () => {
    expect(actions(cni)).toEqual([...new Set(CNI_DOCUMENTED)].sort());
  });

  test("ENI mutations only on ENIs the CNI tagged for this cluster, or on cluster-tagged instances/subnets", () => {
    const eni = `arn:aws:ec2:ap-northeast-2:123456789012:network-interface/*`;
    for (const s of cni.filter((s) => s.Action.some((a) => !isRead(a)))) {
      const cond = s.Condition?.StringEquals ?? {};
      if (s.Sid === "CniTagEnis") {
        // The primary ENI is untagged until the CNI tags it: any existing ENI of the cluster's VPC, nothing else.
        expect(s).toEqual({ Sid: "CniTagEnis", Effect: "Allow", Action: ["ec2:CreateTags"], Resource: eni, Condition: { ArnEquals: { "ec2:Vpc": ctx.vpcArn } } });
      } else if (s.Sid === "CniTagEnisOnCreate") {
        // A new ENI has no ec2:Vpc in the request context (Service Authorization Reference): tag-on-create
        // only, with the cluster tag (AWS's AmazonEKSNetworkingPolicy scopes it the same way).
        expect(s).toEqual({
          Sid: "CniTagEnisOnCreate",
          Effect: "Allow",
          Action: ["ec2:CreateTags"],
          Resource: eni,
          Condition: { StringEquals: { "ec2:CreateAction": "CreateNetworkInterface", [`aws:RequestTag/${CNI_CLUSTER_TAG_KEY}`]: "k8s-cluster" } },
        });
      } else if (s.Sid === "CniEniSecurityGroups") {
        expect(s.Resource).toBe("arn:aws:ec2:ap-northeast-2:123456789012:security-group/*");
        expect(s.Condition).toEqual({ ArnEquals: { "ec2:Vpc": ctx.vpcArn } });
      } else if (s.Resource === eni) {
        const key = s.Sid === "CniCreateEni" ? `aws:RequestTag/${CNI_CLUSTER_TAG_KEY}` : `aws:ResourceTag/${CNI_CLUSTER_TAG_KEY}`;
        expect(cond[key]).toBe("k8s-cluster");
      } else {
        expect(cond[`aws:ResourceTag/${clusterTagKey("k8s-cluster")}`]).toEqual(["owned", "shared"]);
      }
    }
  });

  test("every statement that changes an existing ENI, subnet or security group is limited to the cluster's VPC (ec2:Vpc)", () => {
    // ec2:Vpc exists in the request context of existing network interfaces, subnets and security
    // groups, not of an interface being created: a condition on a missing key denies.
    // upstream's scope-down sample (aws/amazon-vpc-cni-k8s docs/iam-policy.md) puts ec2:Vpc on
    // CreateNetworkInterface's subnet and security group; here also on CreateTags and the ENI mutations.
    const scoped = cni.filter((s) => s.Action.some((a) => !isRead(a)) && !["CniCreateEni", "CniTagEnisOnCreate", "CniClusterInstances"].includes(s.Sid)).map((s) => s.Sid);
    expect(scoped).toEqual(["CniTagEnis", "CniCreateEniInClusterSubnet", "CniEniSecurityGroups", "CniManageClusterEnis"]);
    for (const s of cni.filter((x) => scoped.includes(x.Sid))) expect(s.Condition?.ArnEquals).toEqual({ "ec2:Vpc": ctx.vpcArn });
    // A new ENI is authorized on the subnet and security group too, both scoped above; instances carry no ec2:Vpc here.
    expect(cni.find((s) => s.Sid === "CniClusterInstances")!.Resource).toBe("arn:aws:ec2:ap-northeast-2:123456789012:instance/*");
  });

  test("DeleteNetworkInterface is only allowed on CNI-tagged ENIs of the cluster's VPC", () => {
    const ss = cni.filter((s) => s.Action.includes("ec2:DeleteNetworkInterface"));
    expect(ss).toHaveLength(1);
    expect(ss[0].Condition).toEqual({ StringEquals: { [`aws:ResourceTag/${CNI_CLUSTER_TAG_KEY}`]: "k8s-cluster" }, ArnEquals: { "ec2:Vpc": ctx.vpcArn } });
  });

  test("both node roles carry the CNI permissions (aws-node runs on control-plane nodes too)", () => {
    const r = roles(ctx);
    for (const a of CNI_DOCUMENTED) {
      expect(actions(r.controlPlane)).toContain(a);
      expect(actions(r.worker)).toContain(a);
    }
    expect(actions(r.bastion)).not.toContain("ec2:CreateNetworkInterface");
  });

  test("ECR: pull only", () => {
    expect(actions(ecrReadStatements(ctx))).toEqual(
      ["ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:GetAuthorizationToken", "ecr:GetDownloadUrlForLayer"].sort(),
    );
    expect(ecrReadStatements(ctx).find((s) => s.Sid === "EcrPullImages")!.Resource).toBe("arn:aws:ecr:*:*:repository/*");
  });
});

describe("SSM Parameter Store", () => {
  const prefixArn = "arn:aws:ssm:ap-northeast-2:123456789012:parameter/k8s-cluster/";
  const paramActions = (ss: PolicyStatement[]) => ss.filter((s) => s.Action.some((a) => /^ssm:(Get|Put|Delete)Parameter/.test(a)));

  test.each(["controlPlane", "worker", "bastion"] as const)("%s: every parameter action is limited to the prefix", (role) => {
    for (const s of paramActions(roles(ctx)[role])) for (const r of resources(s)) expect(r.startsWith(prefixArn)).toBe(true);
  });

  test("control-plane nodes read <prefix>/*", () => {
    expect(ssmParameterStatements(ctx, "control-plane")[0]).toEqual({
      Sid: "SsmReadClusterParameters",
      Effect: "Allow",
      Action: ["ssm:GetParameter", "ssm:GetParameters"],
      Resource: `${prefixArn}*`,
    });
  });

  test("workers read only the API endpoint, token, CA hash and the parameters' deployment: never the certificate key", () => {
    const st = ssmParameterStatements(ctx, "worker");
    expect(st).toHaveLength(1);
    expect(st[0].Resource).toEqual([
      `${prefixArn}api-endpoint`,
      `${prefixArn}join/token`,
      `${prefixArn}join/ca-cert-hash`,
      `${prefixArn}join/api-endpoint`,
      `${prefixArn}cluster/kubernetes-version`,
    ]);
    expect(JSON.stringify(st)).not.toContain("certificate-key");
  });

  test("PutParameter: control-plane only, and only on <prefix>/join/*, the cluster's version and the init lock", () => {
    const r = roles(ctx);
    expect(actions(r.worker)).not.toContain("ssm:PutParameter");
    expect(actions(r.bastion)).not.toContain("ssm:PutParameter");
    const puts = r.controlPlane.filter((s) => s.Action.includes("ssm:PutParameter"));
    expect(puts.map((p) => [p.Action, p.Resource])).toEqual([
      [["ssm:PutParameter"], [`${prefixArn}join/*`, `${prefixArn}cluster/kubernetes-version`]],
      [["ssm:DeleteParameter", "ssm:PutParameter"], `${prefixArn}init/lock`],
    ]);
  });

  test("DeleteParameter: control-plane only, and only the init lock", () => {
    const r = roles(ctx);
    expect([...actions(r.worker), ...actions(r.bastion)]).not.toContain("ssm:DeleteParameter");
    const deletes = r.controlPlane.filter((s) => s.Action.includes("ssm:DeleteParameter"));
    expect(deletes.map((d) => d.Resource)).toEqual([`${prefixArn}init/lock`]);
  });

  test("no kms statement: SecureStrings use the AWS managed key aws/ssm", () => {
    expect(actions(all(ctx)).filter((a) => a.startsWith("kms:"))).toEqual(["kms:DescribeKey"]);
  });

  test("the prefix must be a /path", () => {
    expect(() => ssmParameterStatements({ ...ctx, ssmPrefix: "k8s" }, "worker")).toThrow(/ssmPrefix/);
    expect(() => ssmParameterStatements({ ...ctx, ssmPrefix: "/k8s/" }, "worker")).toThrow(/ssmPrefix/);
  });
});

describe("Session Manager", () => {
  const sm = sessionManagerStatements(ctx);

  test("a subset of AmazonSSMManagedInstanceCore: registration, channels, agent messages", () => {
    expect(actions(sm).every((a) => SSM_MANAGED_INSTANCE_CORE.includes(a))).toBe(true);
    expect(actions(sm)).toEqual(
      SSM_MANAGED_INSTANCE_CORE.filter((a) => a === "ssm:UpdateInstanceInformation" || !a.startsWith("ssm:")).sort(),
    );
  });

  test("no Parameter Store reads on * (the managed policy has them)", () => {
    expect(actions(sm).filter((a) => a.includes("Parameter"))).toEqual([]);
  });

  test("instance registration is limited to the account's instances", () => {
    expect(sm.find((s) => s.Action.includes("ssm:UpdateInstanceInformation"))!.Resource).toBe(
      "arn:aws:ec2:ap-northeast-2:123456789012:instance/*",
    );
  });
});

describe("etcd backup", () => {
  test("list the bucket, put and get its objects; no delete", () => {
    const s = etcdBackupStatements(ctx);
    expect(s).toEqual([
      { Sid: "EtcdBackupListBucket", Effect: "Allow", Action: ["s3:ListBucket"], Resource: "arn:aws:s3:::k8s-cluster-etcd-backup" },
      { Sid: "EtcdBackupObjects", Effect: "Allow", Action: ["s3:GetObject", "s3:PutObject"], Resource: "arn:aws:s3:::k8s-cluster-etcd-backup/*" },
    ]);
  });
  test("only the control-plane role has it, and nothing without a bucket", () => {
    expect(actions(roles(ctx).worker).filter((a) => a.startsWith("s3:"))).toEqual([]);
    expect(etcdBackupStatements({ ...ctx, etcdBackupBucketArn: undefined })).toEqual([]);
  });
});

describe("add-on bundle", () => {
  test("control-plane nodes list and read addons/ of the assets bucket, nothing else, and never write", () => {
    expect(addonAssetsStatements(ctx)).toEqual([
      { Sid: "AddonBundleList", Effect: "Allow", Action: ["s3:ListBucket"], Resource: ctx.assetsBucketArn, Condition: { StringLike: { "s3:prefix": ["addons/*"] } } },
      { Sid: "AddonBundleRead", Effect: "Allow", Action: ["s3:GetObject"], Resource: `${ctx.assetsBucketArn}/addons/*` },
    ]);
    expect(actions(roles(ctx).worker).filter((a) => a.startsWith("s3:"))).toEqual([]);
  });

  test("nothing without a bucket", () => {
    expect(addonAssetsStatements({ ...ctx, assetsBucketArn: undefined })).toEqual([]);
  });
});

describe("policy documents", () => {
  test.each(Object.keys(roles(ctx)))("%s: valid JSON policy document", (role) => {
    const doc = policyDocument(roles(ctx)[role as keyof ReturnType<typeof roles>]);
    const parsed = JSON.parse(JSON.stringify(doc));
    expect(parsed.Version).toBe("2012-10-17");
    expect(Object.keys(parsed).sort()).toEqual(["Statement", "Version"]);
    for (const s of parsed.Statement) {
      expect(Object.keys(s).every((k) => ["Sid", "Effect", "Action", "Resource", "Condition"].includes(k))).toBe(true);
      expect(s.Effect).toBe("Allow");
      expect(Array.isArray(s.Action) && s.Action.length > 0).toBe(true);
      const rs = Array.isArray(s.Resource) ? s.Resource : [s.Resource];
      expect(rs.length).toBeGreaterThan(0);
      for (const r of rs) expect(r === "*" || /^arn:[^:]+:[a-z0-9-]+:[^:]*:[^:]*:.+/.test(r)).toBe(true);
      for (const [op, kv] of Object.entries(s.Condition ?? {})) {
        expect(["StringEquals", "StringLike", "ArnEquals"]).toContain(op);
        for (const v of Object.values(kv as Record<string, unknown>)) {
          expect(typeof v === "string" || (Array.isArray(v) && v.length > 0 && v.every((x) => typeof x === "string"))).toBe(true);
        }
      }
    }
  });

  test.each(Object.keys(roles(ctx)))("%s: Sids unique and alphanumeric", (role) => {
    const sids = roles(ctx)[role as keyof ReturnType<typeof roles>].map((s) => s.Sid);
    expect(new Set(sids).size).toBe(sids.length);
    for (const sid of sids) expect(sid).toMatch(/^[A-Za-z0-9]+$/);
  });

  test("policyDocument rejects duplicate Sids and empty lists", () => {
    const s: PolicyStatement = { Sid: "A", Effect: "Allow", Action: ["ec2:DescribeInstances"], Resource: "*" };
    expect(() => policyDocument([s, s])).toThrow(/duplicate Sid A/);
    expect(() => policyDocument([])).toThrow();
  });

  test("Terraform tokens are interpolated verbatim and survive JSON encoding", () => {
    const doc = policyDocument(roles(tokenCtx).controlPlane);
    const text = JSON.stringify(doc);
    expect(JSON.parse(text)).toEqual(doc);
    expect(text).toContain(
      '"arn:${data.aws_partition.current.partition}:ssm:${data.aws_region.current.name}:${data.aws_caller_identity.current.account_id}:parameter/k8s-cluster/join/*"',
    );
    expect(text).toContain('"${aws_s3_bucket.etcd_backup.arn}/*"');
  });
});

describe("IAM size limits (whitespace not counted; measured with resolved worst-case values)", () => {
  const r = roles(worstCase);
  const size = (ss: PolicyStatement[]) => policySize(policyDocument(ss));

  test("policySize is the JSON length without whitespace", () => {
    const doc = policyDocument(r.worker);
    expect(policySize(doc)).toBe(JSON.stringify(doc).length);
    expect(policySize(doc)).toBeLessThan(JSON.stringify(doc, null, 2).length);
  });

  test.each([
    ["cloud controller", cloudControllerStatements(worstCase)],
    ["vpc cni", vpcCniStatements(worstCase)],
    ["ecr", ecrReadStatements(worstCase)],
    ["ssm control-plane", ssmParameterStatements(worstCase, "control-plane")],
    ["session manager", sessionManagerStatements(worstCase)],
    ["etcd backup", etcdBackupStatements(worstCase)],
  ])("%s alone fits one managed policy (6144)", (_name, ss) => {
    expect(size(ss)).toBeLessThanOrEqual(MANAGED_POLICY_MAX_CHARS);
  });

  test("worker and bastion: one document each, under 6144", () => {
    expect(size(r.worker)).toBeLessThanOrEqual(MANAGED_POLICY_MAX_CHARS);
    expect(size(r.bastion)).toBeLessThanOrEqual(MANAGED_POLICY_MAX_CHARS);
  });

  test("control plane: over 6144 as one document, so split it: cloud controller + the rest", () => {
    expect(size(r.controlPlane)).toBeGreaterThan(MANAGED_POLICY_MAX_CHARS);
    const ccm = cloudControllerStatements(worstCase);
    const rest = [
      ...vpcCniStatements(worstCase),
      ...ecrReadStatements(worstCase),
      ...ssmParameterStatements(worstCase, "control-plane"),
      ...sessionManagerStatements(worstCase),
      ...etcdBackupStatements(worstCase),
      ...addonAssetsStatements(worstCase),
    ];
    // The lifecycle statements are their own managed policies (__tests__/iam-lifecycle-policies.test.ts).
    const lifecycle = [
      ...nodeLifecycleStatements({ ...worstCase, ...LIFECYCLE_NAMES }, "control-plane"),
      ...nodeTerminationHandlerStatements({ ...worstCase, ...LIFECYCLE_NAMES }),
    ];
    expect(size(ccm) + size(rest) + size(lifecycle)).toBeGreaterThanOrEqual(size(r.controlPlane));
    expect(size(ccm)).toBeLessThanOrEqual(MANAGED_POLICY_MAX_CHARS);
    expect(size(rest)).toBeLessThanOrEqual(MANAGED_POLICY_MAX_CHARS);
    // Inline, the role's aggregate limit (10240) would be exceeded: they are managed policies, one per concern.
    expect(size(ccm) + size(rest)).toBeGreaterThan(ROLE_INLINE_POLICIES_MAX_CHARS);
  });
});

describe("VPC CNI conditions use only keys EC2 puts in the request context (Service Authorization Reference)", () => {
  const cni = vpcCniStatements(ctx);
  const resourceType = (arn: string) => /:ec2:[^:]*:[^:]*:([a-z-]+)\//.exec(arn)?.[1] ?? "";
  const keysOf = (s: PolicyStatement) => Object.values(s.Condition ?? {}).flatMap((kv) => Object.keys(kv)).map(referenceKey);
  const resources = (s: PolicyStatement) => (Array.isArray(s.Resource) ? s.Resource : [s.Resource]).filter((r) => r !== "*");

  test("every key of every statement exists for each of its actions and resource types", () => {
    const missing: string[] = [];
    for (const s of cni)
      for (const action of s.Action.map((a) => a.split(":")[1]).filter((a) => !a.startsWith("Describe")))
        for (const rt of resources(s).map(resourceType)) {
          const available = conditionKeysFor(action, rt);
          if (!available) missing.push(`${s.Sid}: no reference row for ${action} on ${rt}`);
          else for (const k of keysOf(s)) if (!available.includes(k)) missing.push(`${s.Sid}: ${k} is not in the context of ${action} on ${rt}`);
        }
    expect(missing).toEqual([]);
  });

  test("tag-on-create of a new ENI is allowed by a CreateTags statement whose keys exist while the ENI is being created", () => {
    // EC2 authorizes the tags of CreateNetworkInterface's TagSpecifications as ec2:CreateTags on the
    // new interface, whose context has only CreateNetworkInterface's network-interface keys.
    const available = [...EC2_CONDITION_KEYS.CreateNetworkInterface["network-interface"], ...EC2_CONDITION_KEYS.CreateTags[""]];
    const usable = cni.filter(
      (s) =>
        s.Action.includes("ec2:CreateTags") &&
        resources(s).some((r) => resourceType(r) === "network-interface") &&
        keysOf(s).every((k) => available.includes(k)) &&
        [s.Condition?.StringEquals?.["ec2:CreateAction"]].flat().every((a) => a === undefined || a === "CreateNetworkInterface"),
    );
    expect(usable.map((s) => s.Sid)).toEqual(["CniTagEnisOnCreate"]);
  });

  test("a statement that conditioned tag-on-create on ec2:Vpc (the broken variant) is caught", () => {
    const broken: PolicyStatement = { Sid: "Broken", Effect: "Allow", Action: ["ec2:CreateTags"], Resource: "arn:aws:ec2:r:1:network-interface/*", Condition: { ArnEquals: { "ec2:Vpc": "v" } } };
    expect(keysOf(broken).every((k) => EC2_CONDITION_KEYS.CreateNetworkInterface["network-interface"].includes(k))).toBe(false);
  });
});
