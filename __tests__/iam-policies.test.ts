/**
 * The instance roles' IAM statements as documents (src/aws/iam/policy.ts): named actions only,
 * valid documents within IAM's size limits. Pure data, no synth. The statements of each concern
 * are tested beside this file: iam-cloud-controller, iam-vpc-cni, iam-node-access.
 */
import { PolicyStatement, check, policyDocument, policySize, wildcardActions } from "../src/aws/iam/policy";
import { cloudControllerStatements } from "../src/aws/iam/cloud-controller";
import { vpcCniStatements } from "../src/aws/iam/vpc-cni";
import { ecrReadStatements, sessionManagerStatements, ssmParameterStatements } from "../src/aws/iam/node-access";
import { etcdBackupStatements } from "../src/aws/iam/buckets";
import { IAM_POLICY_LIMITS } from "../src/aws/limits";
import { LIFECYCLE_NAMES, actions, all, ctx, resources, roles, tokenCtx, worstCase } from "./helpers/iam";
import { nodeLifecycleStatements, nodeTerminationHandlerStatements } from "../src/aws/iam/node-lifecycle";
import { ebsCsiDriverStatements } from "../src/aws/iam/ebs-csi-driver";
import { clusterAutoscalerStatements } from "../src/aws/iam/cluster-autoscaler";

const MANAGED_POLICY_MAX_CHARS = IAM_POLICY_LIMITS.managedPolicyMaxChars;
const ROLE_INLINE_POLICIES_MAX_CHARS = IAM_POLICY_LIMITS.roleInlinePoliciesMaxChars;

/**
 * Actions that take no resource ARN (or, for ECR pulls, are deliberately account-wide); the one
 * mutation among them, cloudwatch:PutMetricData, only inside a cloudwatch:namespace condition.
 */
const UNSCOPABLE_ON_STAR = (a: string, s: PolicyStatement): boolean =>
  /^(ec2|elasticloadbalancing|autoscaling):Describe[A-Za-z]+$/.test(a) ||
  a === "ecr:GetAuthorizationToken" ||
  // Read-only (the cluster autoscaler); EC2 takes no resource ARN for it.
  a === "ec2:GetInstanceTypesFromInstanceRequirements" ||
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
      {
        Sid: "A",
        Effect: "Allow",
        Action: ["*", "ec2:*", "elasticloadbalancing:*", "ec2:DescribeInstances"],
        Resource: "*",
      },
    ];
    expect(wildcardActions(s)).toEqual(["*", "ec2:*", "elasticloadbalancing:*"]);
  });
  test("wildcardActions() sees through surrounding spaces, and only a whole service's * is one", () => {
    const s: PolicyStatement[] = [
      {
        Sid: "A",
        Effect: "Allow",
        Action: [" * ", " s3:* ", "s3:*Object", "s3:Get*", "bad service:*", "ec2:DescribeInstances"],
        Resource: "*",
      },
    ];
    expect(wildcardActions(s)).toEqual([" * ", " s3:* "]);
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

describe("a policy context is checked before any statement is made", () => {
  test("an empty cluster name and a malformed SSM prefix are refused, naming the field", () => {
    expect(() => check({ ...ctx, clusterName: "" })).toThrow(/^PolicyContext\.clusterName is empty$/);
    expect(() => cloudControllerStatements({ ...ctx, clusterName: "" })).toThrow(/clusterName is empty/);
    expect(() => check({ ...ctx, ssmPrefix: "k8s/" })).toThrow(
      /^PolicyContext\.ssmPrefix "k8s\/" must start with "\/" and not end with "\/"$/,
    );
    expect(() => check(ctx)).not.toThrow();
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
        expect([
          "StringEquals",
          "StringNotEquals",
          "StringLike",
          "ArnEquals",
          "Null",
          "ForAllValues:StringNotEquals",
        ]).toContain(op);
        for (const v of Object.values(kv as Record<string, unknown>)) {
          expect(
            typeof v === "string" || (Array.isArray(v) && v.length > 0 && v.every((x) => typeof x === "string")),
          ).toBe(true);
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
    expect(() => policyDocument([])).toThrow(/^a policy document needs at least one statement$/);
  });

  test("Terraform tokens are interpolated verbatim and survive JSON encoding", () => {
    const doc = policyDocument(roles(tokenCtx).controlPlane);
    const text = JSON.stringify(doc);
    expect(JSON.parse(text)).toEqual(doc);
    expect(text).toContain(
      '"arn:${data.aws_partition.current.partition}:ssm:${data.aws_region.current.name}:' +
        '${data.aws_caller_identity.current.account_id}:parameter/k8s-cluster/join/*"',
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
    ["ebs csi driver", ebsCsiDriverStatements(worstCase)],
  ])("%s alone fits one managed policy (6144)", (_name, ss) => {
    expect(size(ss)).toBeLessThanOrEqual(MANAGED_POLICY_MAX_CHARS);
  });

  test("worker and bastion: one document each, under 6144", () => {
    expect(size(r.worker)).toBeLessThanOrEqual(MANAGED_POLICY_MAX_CHARS);
    expect(size(r.bastion)).toBeLessThanOrEqual(MANAGED_POLICY_MAX_CHARS);
  });

  test("control plane: over 6144 as one document, split: cloud controller, EBS CSI, lifecycle, SSM, the rest", () => {
    expect(size(r.controlPlane)).toBeGreaterThan(MANAGED_POLICY_MAX_CHARS);
    const ccm = cloudControllerStatements(worstCase);
    // The lifecycle statements and the worker-group controllers (termination handler, cluster
    // autoscaler) are their own managed policies (__tests__/iam-node-lifecycle.test.ts,
    // __tests__/iam-cluster-autoscaler.test.ts).
    const lifecycle = [
      ...nodeLifecycleStatements({ ...worstCase, ...LIFECYCLE_NAMES }, "control-plane"),
      ...nodeTerminationHandlerStatements({ ...worstCase, ...LIFECYCLE_NAMES }),
      ...clusterAutoscalerStatements({ ...worstCase, ...LIFECYCLE_NAMES }),
    ];
    const ebs = ebsCsiDriverStatements(worstCase);
    // Parameter Store (with the cluster secrets' key) is a managed policy of its own too.
    const ssm = ssmParameterStatements(worstCase, "control-plane");
    // The rest: VPC CNI, ECR, Session Manager, etcd backups and add-on bundles.
    const split = [...ccm, ...lifecycle, ...ebs, ...ssm];
    const rest = r.controlPlane.filter((s) => !split.some((c) => c.Sid === s.Sid));
    expect(rest).toHaveLength(r.controlPlane.length - split.length);
    expect(size(ccm) + size(rest) + size(lifecycle) + size(ebs) + size(ssm)).toBeGreaterThanOrEqual(
      size(r.controlPlane),
    );
    expect(size(ccm)).toBeLessThanOrEqual(MANAGED_POLICY_MAX_CHARS);
    expect(size(ssm)).toBeLessThanOrEqual(MANAGED_POLICY_MAX_CHARS);
    expect(size(rest)).toBeLessThanOrEqual(MANAGED_POLICY_MAX_CHARS);
    // Inline, the role's aggregate limit (10240) would be exceeded: they are managed policies, one per concern.
    expect(size(ccm) + size(rest) + size(ebs)).toBeGreaterThan(ROLE_INLINE_POLICIES_MAX_CHARS);
  });
});
