/**
 * The cluster autoscaler's IAM (src/aws/iam/cluster-autoscaler.ts): upstream's recommended action
 * list (kubernetes/autoscaler cluster-autoscaler/cloudprovider/aws/README.md, "Full Cluster
 * Autoscaler Features Policy") without the EKS action, reads on "*", the two mutations only on the
 * workers' groups (one per availability zone) and only while they carry this cluster's auto-discovery
 * tag. Denied: a wildcard action, a mutation on "*" or on another group, a mutation without the
 * tag condition. In the stack: attached to the control-plane role only, and gone with addons.clusterAutoscaler false.
 */
import { clusterAutoscalerStatements, ClusterAutoscalerPolicyContext } from "../src/aws/iam/cluster-autoscaler";
import { PolicyStatement, policyDocument, policySize, wildcardActions } from "../src/aws/iam/policy";
import { IAM_POLICY_LIMITS, IAM_ROLE_LIMITS } from "../src/aws/limits";
import { managedPolicies } from "../src/constructs/iam";
import { clusterAutoscalerTagKey } from "../src/aws/tags";
import { resolveConfig } from "../src/config";
import { buildApp } from "../src/app";
import { synthCluster } from "./helpers/synth";
import { ctx as baseCtx, worstCase } from "./helpers/iam";

const GROUPS = ["k8s-cluster-workers-a", "k8s-cluster-workers-b", "k8s-cluster-workers-c"];
const ctx: ClusterAutoscalerPolicyContext = { ...baseCtx, workerGroups: GROUPS };
const ASG = "arn:aws:autoscaling:ap-northeast-2:123456789012:autoScalingGroup:*:autoScalingGroupName/";
const WORKERS = GROUPS.map((g) => `${ASG}${g}`);
const MUTATIONS = ["autoscaling:SetDesiredCapacity", "autoscaling:TerminateInstanceInAutoScalingGroup"];
const TAG_CONDITION = { StringEquals: { "aws:ResourceTag/k8s.io/cluster-autoscaler/k8s-cluster": "owned" } };

const resources = (s: PolicyStatement): string[] => (Array.isArray(s.Resource) ? s.Resource : [s.Resource]);
const isRead = (a: string) => /^[a-z0-9-]+:(Describe|Get|List)[A-Za-z]+$/.test(a);

/**
 * Why a statement is not scoped as this policy must be: a wildcard action, a mutation on "*", on
 * another resource than the workers' group, or without the auto-discovery tag condition.
 */
function scopeProblems(ss: PolicyStatement[]): string[] {
  return [
    ...wildcardActions(ss).map((a) => `wildcard action ${a}`),
    ...ss.flatMap((s) =>
      s.Action.filter((a) => !isRead(a)).flatMap((a) => [
        ...resources(s)
          .filter((r) => !WORKERS.includes(r))
          .map((r) => `${s.Sid}: ${a} on ${r}`),
        ...(JSON.stringify(s.Condition) === JSON.stringify(TAG_CONDITION) ? [] : [`${s.Sid}: ${a} without the tag`]),
      ]),
    ),
  ];
}

describe("the statements", () => {
  const ss = clusterAutoscalerStatements(ctx);

  test("exactly upstream's recommended actions without eks:DescribeNodegroup, each on exactly these resources", () => {
    const grants: Record<string, string[]> = {};
    for (const s of ss) for (const a of s.Action) grants[a] = [...(grants[a] ?? []), ...resources(s)];
    expect(grants).toEqual({
      "autoscaling:DescribeAutoScalingGroups": ["*"],
      "autoscaling:DescribeAutoScalingInstances": ["*"],
      "autoscaling:DescribeLaunchConfigurations": ["*"],
      "autoscaling:DescribeScalingActivities": ["*"],
      "ec2:DescribeImages": ["*"],
      "ec2:DescribeInstanceTypes": ["*"],
      "ec2:DescribeLaunchTemplateVersions": ["*"],
      "ec2:GetInstanceTypesFromInstanceRequirements": ["*"],
      "autoscaling:SetDesiredCapacity": WORKERS,
      "autoscaling:TerminateInstanceInAutoScalingGroup": WORKERS,
    });
  });

  test("the mutations carry the condition on this cluster's auto-discovery tag, the tag the workers' group has", () => {
    const mutating = ss.filter((s) => s.Action.some((a) => MUTATIONS.includes(a)));
    expect(mutating.map((s) => s.Condition)).toEqual([TAG_CONDITION]);
    expect(clusterAutoscalerTagKey("k8s-cluster")).toBe("k8s.io/cluster-autoscaler/k8s-cluster");
  });

  test("no wildcard action, no unscoped mutation: scopeProblems finds none", () =>
    expect(scopeProblems(ss)).toEqual([]));

  test("denied: a wildcard action, a mutation on * or on another group, a mutation without the tag", () => {
    const scale = ss.find((s) => s.Sid === "ClusterAutoscalerScaleWorkers")!;
    const other = `${ASG}k8s-cluster-control-plane-0`;
    expect(scopeProblems([{ ...scale, Action: ["autoscaling:*"] }])).toEqual(["wildcard action autoscaling:*"]);
    expect(scopeProblems([{ ...scale, Resource: "*" }])).toEqual([
      "ClusterAutoscalerScaleWorkers: autoscaling:SetDesiredCapacity on *",
      "ClusterAutoscalerScaleWorkers: autoscaling:TerminateInstanceInAutoScalingGroup on *",
    ]);
    expect(scopeProblems([{ ...scale, Resource: other }])).toEqual([
      `ClusterAutoscalerScaleWorkers: autoscaling:SetDesiredCapacity on ${other}`,
      `ClusterAutoscalerScaleWorkers: autoscaling:TerminateInstanceInAutoScalingGroup on ${other}`,
    ]);
    const { Condition: _none, ...untagged } = scale;
    expect(scopeProblems([untagged])).toEqual([
      "ClusterAutoscalerScaleWorkers: autoscaling:SetDesiredCapacity without the tag",
      "ClusterAutoscalerScaleWorkers: autoscaling:TerminateInstanceInAutoScalingGroup without the tag",
    ]);
  });

  test("a group name that is no plain name is refused, and so is no group at all", () => {
    expect(() => clusterAutoscalerStatements({ ...ctx, workerGroups: [...GROUPS, "workers/*"] })).toThrow(
      'ClusterAutoscalerPolicyContext: name "workers/*" must be letters, digits and hyphens',
    );
    expect(() => clusterAutoscalerStatements({ ...ctx, workerGroups: [] })).toThrow(/workerGroups is empty/);
  });

  test("fits one managed policy with the longest realistic names and three zones", () => {
    const workerGroups = ["a", "b", "c"].map((z) => `${"c".repeat(32)}-workers-${z}`);
    expect(policySize(policyDocument(clusterAutoscalerStatements({ ...worstCase, workerGroups })))).toBeLessThanOrEqual(
      IAM_POLICY_LIMITS.managedPolicyMaxChars,
    );
  });
});

describe("in the stack", () => {
  // Shared with the termination handler's statements (MANAGED_POLICY_OF, src/constructs/iam.ts), so
  // the control-plane role stays within the 10 managed policies AWS attaches to a role by default.
  test("in the worker-group controllers' policy with the termination handler's, on the control-plane role only", () => {
    const { cluster } = buildApp(resolveConfig({}));
    const grouped = managedPolicies({
      "node-termination-handler": cluster.iam.statements["control-plane/node-termination-handler"],
      "cluster-autoscaler": cluster.iam.statements["control-plane/cluster-autoscaler"],
    });
    expect([...grouped.keys()]).toEqual(["worker-group-controllers"]);
    expect(grouped.get("worker-group-controllers")).toEqual([
      ...cluster.iam.statements["control-plane/node-termination-handler"],
      ...cluster.iam.statements["control-plane/cluster-autoscaler"],
    ]);
    expect(Object.keys(cluster.iam.policies).filter((k) => /autoscaler|termination|controllers/.test(k))).toEqual([
      "control-plane/worker-group-controllers",
    ]);
    const resources = synthCluster().json.resource as any;
    expect(resources.aws_iam_policy.control_plane_worker_group_controllers.name).toBe(
      "k8s-cluster-control-plane-worker-group-controllers",
    );
    expect(
      Object.entries(resources.aws_iam_role_policy_attachment as Record<string, any>)
        .filter(([, a]) => a.policy_arn === "${aws_iam_policy.control_plane_worker_group_controllers.arn}")
        .map(([, a]) => a.role),
    ).toEqual(["${aws_iam_role.control_plane_role.name}"]);
  });
  test("the shared policy fits one managed policy with the longest realistic names and three zones", () => {
    const { cluster } = buildApp(resolveConfig({ clusterName: "c".repeat(32), azCount: 3 }));
    const shared = [
      ...cluster.iam.statements["control-plane/node-termination-handler"],
      ...cluster.iam.statements["control-plane/cluster-autoscaler"],
    ];
    expect(policySize(policyDocument(shared))).toBeLessThanOrEqual(IAM_POLICY_LIMITS.managedPolicyMaxChars);
  });
  test("every role within the 10 managed policies AWS attaches by default, with every add-on and backups on", () => {
    const { cluster } = buildApp(resolveConfig({ etcdBackup: { bucket: "acme-etcd-backups" } }));
    const perRole = Object.keys(cluster.iam.policies).reduce<Record<string, number>>((n, k) => {
      const role = k.split("/")[0];
      return { ...n, [role]: (n[role] ?? 0) + 1 };
    }, {});
    // The EBS CSI controller's policy is on its own role (workload identity), not the control plane's.
    expect(perRole).toEqual({ "control-plane": 9, workers: 5, bastion: 1, "ebs-csi-controller": 1 });
    expect(IAM_ROLE_LIMITS.managedPoliciesPerRole).toBe(10);
  });
  test("addons.clusterAutoscaler false: no such policy on any role", () => {
    const { cluster } = buildApp(resolveConfig({ addons: { clusterAutoscaler: false } }));
    expect(Object.keys(cluster.iam.statements).filter((k) => k.endsWith("/cluster-autoscaler"))).toEqual([]);
    const policies = (synthCluster({ addons: { clusterAutoscaler: false } }).json.resource as any).aws_iam_policy;
    expect(Object.keys(policies).filter((k) => k.includes("autoscaler"))).toEqual([]);
  });
});
