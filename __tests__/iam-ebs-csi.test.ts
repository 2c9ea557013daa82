/**
 * The EBS CSI controller's statements (src/aws/iam/ebs-csi-driver.ts): the driver's documented
 * policy (kubernetes-sigs/aws-ebs-csi-driver docs/AmazonEBSCSIDriverPolicyV2.json at v1.64.0)
 * without volume copies, every mutation limited to volumes and snapshots that carry both the
 * driver's tag and this cluster's, and to this cluster's instances. The calls the driver makes are
 * evaluated against the statements (allow only, all resources of a call must be allowed, as IAM
 * does for EC2), so what must be denied is spelled out. Pure data, no synth.
 */
import { PolicyStatement, wildcardActions } from "../src/aws/iam/policy";
import { ebsCsiDriverStatements } from "../src/aws/iam/ebs-csi-driver";
import { actions, ctx, isRead, resources } from "./helpers/iam";

const ebs = ebsCsiDriverStatements(ctx);

// docs/AmazonEBSCSIDriverPolicyV2.json at v1.64.0: every action it grants.
const UPSTREAM_V2 = [
  "ec2:AttachVolume",
  "ec2:CopyVolumes",
  "ec2:CreateSnapshot",
  "ec2:CreateTags",
  "ec2:CreateVolume",
  "ec2:DeleteSnapshot",
  "ec2:DeleteTags",
  "ec2:DeleteVolume",
  "ec2:DescribeAvailabilityZones",
  "ec2:DescribeInstanceTypes",
  "ec2:DescribeInstances",
  "ec2:DescribeSnapshots",
  "ec2:DescribeVolumeStatus",
  "ec2:DescribeVolumes",
  "ec2:DescribeVolumesModifications",
  "ec2:DetachVolume",
  "ec2:EnableFastSnapshotRestores",
  "ec2:LockSnapshot",
  "ec2:ModifyVolume",
];

/** Statements that grant a wildcard action, or a mutation without a tag condition or on "*". */
function unscopedMutations(ss: PolicyStatement[]): string[] {
  const scoped = (s: PolicyStatement) =>
    Object.values(s.Condition?.StringEquals ?? {}).length > 0 &&
    Object.keys(s.Condition?.StringEquals ?? {}).some((k) => /^aws:(ResourceTag|RequestTag)\//.test(k));
  return [
    ...wildcardActions(ss).map((a) => `wildcard ${a}`),
    ...ss.flatMap((s) =>
      s.Action.filter((a) => !isRead(a))
        .filter(() => !scoped(s) || resources(s).includes("*"))
        .map((a) => `${s.Sid}: ${a}`),
    ),
  ];
}

/** One resource of an EC2 call, with the request's context. */
interface Check {
  action: string;
  resource: string;
  resourceTags?: Record<string, string>;
  requestTags?: Record<string, string>;
  createAction?: string;
}

const glob = (pattern: string, text: string) =>
  new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*")}$`).test(text);

/** Context values of a condition key (missing: undefined). */
function contextValues(c: Check, key: string): string[] | undefined {
  const tag = /^aws:(ResourceTag|RequestTag)\/(.+)$/.exec(key);
  if (tag) {
    const tags = tag[1] === "ResourceTag" ? c.resourceTags : c.requestTags;
    return tags && tag[2] in tags ? [tags[tag[2]]] : undefined;
  }
  if (key === "ec2:CreateAction") return c.createAction === undefined ? undefined : [c.createAction];
  if (key === "aws:TagKeys") return c.requestTags ? Object.keys(c.requestTags) : undefined;
  throw new Error(`the test evaluator does not know condition key ${key}`);
}

function conditionHolds(op: string, kv: Record<string, string | string[]>, c: Check): boolean {
  return Object.entries(kv).every(([key, want]) => {
    const wanted = Array.isArray(want) ? want : [want];
    const have = contextValues(c, key);
    if (op === "StringEquals") return have !== undefined && have.every((v) => wanted.includes(v));
    if (op === "Null") return (have === undefined || have.length === 0) === (wanted[0] === "true");
    if (op === "ForAllValues:StringNotEquals") return (have ?? []).every((v) => !wanted.includes(v));
    throw new Error(`the test evaluator does not know condition operator ${op}`);
  });
}

const allows = (s: PolicyStatement, c: Check) =>
  s.Action.includes(c.action) &&
  resources(s).some((r) => glob(r, c.resource)) &&
  Object.entries(s.Condition ?? {}).every(([op, kv]) => conditionHolds(op, kv, c));

/** A call is allowed when every resource it touches is allowed by some statement. */
const allowed = (...checks: Check[]) => checks.every((c) => ebs.some((s) => allows(s, c)));

const ARN = "arn:aws:ec2:ap-northeast-2:123456789012";
const CLUSTER_TAG = "kubernetes.io/cluster/k8s-cluster";
/** What the driver puts on its volumes and snapshots with --k8s-tag-cluster-id=k8s-cluster. */
const DRIVER_TAGS: Record<string, string> = {
  "ebs.csi.aws.com/cluster": "true",
  [CLUSTER_TAG]: "owned",
  "ebs.csi.aws.com/cluster-name": "k8s-cluster",
  KubernetesCluster: "k8s-cluster",
  CSIVolumeName: "pvc-1",
};
const NODE = { resource: `${ARN}:instance/i-1`, resourceTags: { [CLUSTER_TAG]: "owned" } };
const VOLUME = { resource: `${ARN}:volume/vol-1`, resourceTags: DRIVER_TAGS };
const SNAPSHOT = { resource: `${ARN}:snapshot/snap-1`, resourceTags: DRIVER_TAGS };
/** A node's root volume: the launch template tags it for the cluster, the driver never touched it. */
const ROOT_VOLUME = { resource: `${ARN}:volume/vol-root`, resourceTags: { [CLUSTER_TAG]: "owned" } };
const OTHER_CLUSTERS_VOLUME = {
  resource: `${ARN}:volume/vol-2`,
  resourceTags: { "ebs.csi.aws.com/cluster": "true", "kubernetes.io/cluster/other": "owned" },
};

const create = (requestTags: Record<string, string>): Check[] => [
  { action: "ec2:CreateVolume", resource: `${ARN}:volume/*`, requestTags },
  { action: "ec2:CreateTags", resource: `${ARN}:volume/*`, requestTags, createAction: "CreateVolume" },
];
const snapshotOf = (volume: Omit<Check, "action">, requestTags = DRIVER_TAGS): Check[] => [
  { action: "ec2:CreateSnapshot", ...volume, requestTags },
  { action: "ec2:CreateSnapshot", resource: `${ARN}:snapshot/*`, requestTags },
  { action: "ec2:CreateTags", resource: `${ARN}:snapshot/*`, requestTags, createAction: "CreateSnapshot" },
];
const on = (action: string, target: Omit<Check, "action">, extra: Partial<Check> = {}): Check => ({
  action,
  ...target,
  ...extra,
});

describe("EBS CSI controller policy: actions", () => {
  test("no wildcard action and no unscoped mutation (the checker catches both)", () => {
    expect(wildcardActions(ebs)).toEqual([]);
    expect(unscopedMutations(ebs)).toEqual([]);
    const statement = (Sid: string, action: string, Resource: string, Condition?: PolicyStatement["Condition"]) =>
      ({ Sid, Effect: "Allow", Action: [action], Resource, Condition }) as PolicyStatement;
    const loose = [
      statement("A", "ec2:*", "*"),
      statement("B", "ec2:DeleteVolume", `${ARN}:volume/*`),
      statement("C", "ec2:AttachVolume", "*", { StringEquals: { "aws:ResourceTag/x": "y" } }),
      statement("D", "ec2:ModifyVolume", `${ARN}:volume/*`, { StringEquals: { "ec2:CreateAction": "CreateVolume" } }),
    ];
    expect(unscopedMutations(loose)).toEqual([
      "wildcard ec2:*",
      "A: ec2:*",
      "B: ec2:DeleteVolume",
      "C: ec2:AttachVolume",
      "D: ec2:ModifyVolume",
    ]);
  });

  test("upstream's V2 actions except ec2:CopyVolumes (volume clones)", () => {
    expect(actions(ebs)).toEqual(UPSTREAM_V2.filter((a) => a !== "ec2:CopyVolumes"));
  });

  test('only Describe* on "*"; every ARN in the cluster\'s region and account', () => {
    for (const s of ebs.filter((s) => resources(s).includes("*"))) expect(s.Action.every(isRead)).toBe(true);
    for (const r of ebs.flatMap(resources).filter((r) => r !== "*")) expect(r.startsWith(`${ARN}:`)).toBe(true);
  });
});

describe("EBS CSI controller policy: what the driver does is allowed", () => {
  test("create a volume with its tags, attach it to a node, resize it, detach and delete it", () => {
    expect(allowed(...create(DRIVER_TAGS))).toBe(true);
    expect(allowed(on("ec2:AttachVolume", VOLUME), on("ec2:AttachVolume", NODE))).toBe(true);
    expect(allowed(on("ec2:ModifyVolume", VOLUME))).toBe(true);
    expect(allowed(on("ec2:DetachVolume", VOLUME), on("ec2:DetachVolume", NODE))).toBe(true);
    expect(allowed(on("ec2:DeleteVolume", VOLUME))).toBe(true);
  });

  test("snapshot its volume, restore a volume from its snapshot, lock and delete the snapshot", () => {
    expect(allowed(...snapshotOf(VOLUME))).toBe(true);
    expect(allowed(...create(DRIVER_TAGS), on("ec2:CreateVolume", SNAPSHOT, { requestTags: DRIVER_TAGS }))).toBe(true);
    expect(allowed(on("ec2:EnableFastSnapshotRestores", SNAPSHOT))).toBe(true);
    expect(allowed(on("ec2:LockSnapshot", SNAPSHOT), on("ec2:DeleteSnapshot", SNAPSHOT))).toBe(true);
  });

  test("change a user tag of its volume (VolumeAttributesClass tagSpecification)", () => {
    expect(allowed(on("ec2:CreateTags", VOLUME, { requestTags: { team: "a" } }))).toBe(true);
    expect(allowed(on("ec2:DeleteTags", VOLUME, { requestTags: { team: "" } }))).toBe(true);
  });
});

describe("EBS CSI controller policy: denied", () => {
  const { [CLUSTER_TAG]: _cluster, ...withoutClusterTag } = DRIVER_TAGS;
  const { "ebs.csi.aws.com/cluster": _driver, ...withoutDriverTag } = DRIVER_TAGS;

  test("creating without the driver's tag or this cluster's (owned), or tagging anything else on create", () => {
    expect(allowed(...create(withoutClusterTag))).toBe(false);
    expect(allowed(...create(withoutDriverTag))).toBe(false);
    expect(allowed(...create({ ...DRIVER_TAGS, [CLUSTER_TAG]: "shared" }))).toBe(false);
    expect(allowed(on("ec2:CreateTags", { resource: `${ARN}:volume/*` }, { requestTags: DRIVER_TAGS }))).toBe(false);
    expect(allowed(...snapshotOf(VOLUME, withoutClusterTag))).toBe(false);
  });

  test.each([
    ["a node's root volume", ROOT_VOLUME],
    ["another cluster's driver volume", OTHER_CLUSTERS_VOLUME],
    ["an untagged volume", { resource: `${ARN}:volume/vol-3` }],
  ])("any change to %s: attach, detach, modify, delete, snapshot, retag", (_name, volume) => {
    for (const a of ["ec2:AttachVolume", "ec2:DetachVolume"]) expect(allowed(on(a, volume), on(a, NODE))).toBe(false);
    for (const a of ["ec2:ModifyVolume", "ec2:DeleteVolume"]) expect(allowed(on(a, volume))).toBe(false);
    expect(allowed(...snapshotOf(volume))).toBe(false);
    expect(allowed(on("ec2:CreateTags", volume, { requestTags: { team: "a" } }))).toBe(false);
  });

  test("attaching to an instance of another cluster or none; restoring from a snapshot not its own", () => {
    const stranger = { resource: `${ARN}:instance/i-2`, resourceTags: { "kubernetes.io/cluster/other": "owned" } };
    expect(allowed(on("ec2:AttachVolume", VOLUME), on("ec2:AttachVolume", stranger))).toBe(false);
    expect(allowed(on("ec2:AttachVolume", VOLUME), on("ec2:AttachVolume", { resource: `${ARN}:instance/i-3` }))).toBe(
      false,
    );
    const foreign = { resource: `${ARN}:snapshot/snap-2`, resourceTags: { [CLUSTER_TAG]: "owned" } };
    expect(allowed(...create(DRIVER_TAGS), on("ec2:CreateVolume", foreign, { requestTags: DRIVER_TAGS }))).toBe(false);
    expect(allowed(on("ec2:DeleteSnapshot", foreign))).toBe(false);
  });

  test("removing or overwriting the tags that make a volume the driver's and the cluster's", () => {
    for (const key of ["ebs.csi.aws.com/cluster", "ebs.csi.aws.com/cluster-name", CLUSTER_TAG]) {
      expect(allowed(on("ec2:DeleteTags", VOLUME, { requestTags: { [key]: "" } }))).toBe(false);
      expect(allowed(on("ec2:CreateTags", VOLUME, { requestTags: { team: "a", [key]: "x" } }))).toBe(false);
    }
    expect(allowed(on("ec2:DeleteTags", VOLUME))).toBe(false); // no tag keys: all tags
  });

  test("volume copies, and resources of another region or account", () => {
    expect(allowed({ action: "ec2:CopyVolumes", resource: `${ARN}:volume/*`, requestTags: DRIVER_TAGS })).toBe(false);
    const elsewhere = { ...VOLUME, resource: "arn:aws:ec2:us-east-1:123456789012:volume/vol-1" };
    const otherAccount = { ...VOLUME, resource: "arn:aws:ec2:ap-northeast-2:210987654321:volume/vol-1" };
    expect(allowed(on("ec2:DeleteVolume", elsewhere))).toBe(false);
    expect(allowed(on("ec2:DeleteVolume", otherAccount))).toBe(false);
  });
});
