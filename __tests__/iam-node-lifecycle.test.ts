/**
 * The lifecycle IAM statements (src/aws/iam/node-lifecycle.ts): what the node scripts and the
 * node termination handler may call, exactly, and what they must not: a worker never touches a
 * control-plane group, the handler never completes a control-plane hook, no mutation on "*".
 */
import {
  LifecyclePolicyContext,
  autoScalingGroupArn,
  nodeLifecycleStatements,
  nodeTerminationHandlerStatements,
} from "../src/aws/iam/node-lifecycle";
import { PolicyStatement, policyDocument, policySize, wildcardActions } from "../src/aws/iam/policy";
import { IAM_POLICY_LIMITS } from "../src/aws/limits";

const MANAGED_POLICY_MAX_CHARS = IAM_POLICY_LIMITS.managedPolicyMaxChars;
import { BOOT_FAILURE_METRIC } from "../src/aws/lifecycle";
import { resolveConfig } from "../src/config";
import { buildApp } from "../src/app";
import { ref, resource, synthCluster } from "./helpers/synth";

const ctx: LifecyclePolicyContext = {
  clusterName: "k8s-cluster",
  partition: "aws",
  region: "ap-northeast-2",
  accountId: "123456789012",
  ssmPrefix: "/k8s/k8s-cluster",
  vpcArn: "arn:aws:ec2:ap-northeast-2:123456789012:vpc/vpc-0123456789abcdef0",
  controlPlaneGroups: ["k8s-cluster-control-plane-0", "k8s-cluster-control-plane-1", "k8s-cluster-control-plane-2"],
  workerGroups: ["k8s-cluster-workers-a", "k8s-cluster-workers-b"],
  nodeTerminationQueue: "k8s-cluster-node-termination",
  apiTargetGroup: "k8s-cluster-api",
};
const ASG = "arn:aws:autoscaling:ap-northeast-2:123456789012:autoScalingGroup:*:autoScalingGroupName/";
const CP_GROUP_ARNS = [0, 1, 2].map((i) => `${ASG}k8s-cluster-control-plane-${i}`);
const WORKER_GROUP_ARNS = ["a", "b"].map((z) => `${ASG}k8s-cluster-workers-${z}`);
const resources = (s: PolicyStatement): string[] => (Array.isArray(s.Resource) ? s.Resource : [s.Resource]);
/** action -> every resource any statement grants it on */
function grants(ss: PolicyStatement[]): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const s of ss) for (const a of s.Action) out[a] = [...(out[a] ?? []), ...resources(s)].sort();
  return out;
}
const isRead = (a: string) => /^[a-z0-9-]+:(Describe|Get|List)/.test(a);

describe("node scripts: each role acts on its own groups only", () => {
  test("worker: exactly these actions on exactly these resources", () =>
    expect(grants(nodeLifecycleStatements(ctx, "worker"))).toEqual({
      "autoscaling:CompleteLifecycleAction": WORKER_GROUP_ARNS,
      "autoscaling:RecordLifecycleActionHeartbeat": WORKER_GROUP_ARNS,
      "autoscaling:SetInstanceHealth": WORKER_GROUP_ARNS,
      "autoscaling:DescribeAutoScalingInstances": ["*"],
      "autoscaling:DescribeScalingActivities": ["*"],
      "cloudwatch:PutMetricData": ["*"],
    }));
  test("control plane: its groups, the EC2 read, the init lock, its own registration in the API target group", () =>
    expect(grants(nodeLifecycleStatements(ctx, "control-plane"))).toEqual({
      "autoscaling:CompleteLifecycleAction": CP_GROUP_ARNS,
      "autoscaling:RecordLifecycleActionHeartbeat": CP_GROUP_ARNS,
      "autoscaling:SetInstanceHealth": CP_GROUP_ARNS,
      "autoscaling:DescribeAutoScalingInstances": ["*"],
      "autoscaling:DescribeScalingActivities": ["*"],
      "cloudwatch:PutMetricData": ["*"],
      "ec2:DescribeInstances": ["*"],
      "ssm:DeleteParameter": ["arn:aws:ssm:ap-northeast-2:123456789012:parameter/k8s/k8s-cluster/init/lock"],
      "ssm:PutParameter": ["arn:aws:ssm:ap-northeast-2:123456789012:parameter/k8s/k8s-cluster/init/lock"],
      "elasticloadbalancing:RegisterTargets": [
        "arn:aws:elasticloadbalancing:ap-northeast-2:123456789012:targetgroup/k8s-cluster-api/*",
      ],
    }));
  test("denied: a worker cannot mark a control-plane node unhealthy or complete its hooks", () => {
    const worker = JSON.stringify(nodeLifecycleStatements(ctx, "worker"));
    expect(worker).not.toContain("control-plane");
    expect(worker).not.toContain("ssm:");
    expect(worker).not.toContain("elasticloadbalancing:");
    expect(JSON.stringify(nodeLifecycleStatements(ctx, "control-plane"))).not.toContain("k8s-cluster-workers");
  });
  test("the metric may be published to the boot-failure namespace only", () => {
    for (const role of ["worker", "control-plane"] as const) {
      const put = nodeLifecycleStatements(ctx, role).filter((s) => s.Action.includes("cloudwatch:PutMetricData"));
      expect(put).toHaveLength(1);
      expect(put[0].Action).toEqual(["cloudwatch:PutMetricData"]);
      expect(put[0].Condition).toEqual({ StringEquals: { "cloudwatch:namespace": BOOT_FAILURE_METRIC.namespace } });
    }
  });
  test("group ARNs: exact names, the AWS-made id as the only wildcard", () => {
    expect(autoScalingGroupArn(ctx, "k8s-cluster-workers-a")).toBe(WORKER_GROUP_ARNS[0]);
    expect(autoScalingGroupArn(ctx, "x").split("*")).toHaveLength(2);
  });
  test("a name that could widen the scope is refused", () => {
    expect(() => nodeLifecycleStatements({ ...ctx, workerGroups: ["k8s-*"] }, "worker")).toThrow(
      /^LifecyclePolicyContext: name "k8s-\*" must be letters, digits and hyphens$/,
    );
    expect(() => nodeLifecycleStatements({ ...ctx, controlPlaneGroups: [] }, "control-plane")).toThrow(
      /controlPlaneGroups is empty/,
    );
    expect(() => nodeLifecycleStatements({ ...ctx, workerGroups: [] }, "worker")).toThrow(/workerGroups is empty/);
  });
});

describe("node termination handler (control-plane role)", () => {
  const nth = nodeTerminationHandlerStatements(ctx);
  test("its queue, the workers' terminate hook, and reads; nothing else", () =>
    expect(grants(nth)).toEqual({
      "sqs:DeleteMessage": ["arn:aws:sqs:ap-northeast-2:123456789012:k8s-cluster-node-termination"],
      "sqs:ReceiveMessage": ["arn:aws:sqs:ap-northeast-2:123456789012:k8s-cluster-node-termination"],
      "autoscaling:CompleteLifecycleAction": WORKER_GROUP_ARNS,
      "autoscaling:DescribeAutoScalingInstances": ["*"],
      "autoscaling:DescribeTags": ["*"],
      "ec2:DescribeInstances": ["*"],
    }));
  test("the actions of its queue-processor policy (aws/aws-node-termination-handler README.md, v1.25.6)", () => {
    const upstream = [
      "autoscaling:CompleteLifecycleAction",
      "autoscaling:DescribeAutoScalingInstances",
      "autoscaling:DescribeTags",
      "ec2:DescribeInstances",
      "sqs:DeleteMessage",
      "sqs:ReceiveMessage",
    ];
    expect(Object.keys(grants(nth)).sort()).toEqual(upstream);
  });
  test("denied: completing a control-plane hook (those nodes remove their etcd member first), sending", () => {
    expect(JSON.stringify(nth)).not.toContain("control-plane");
    expect(Object.keys(grants(nth))).not.toContain("sqs:SendMessage");
  });
});

describe("every statement: named actions, no mutation on *", () => {
  const all = [
    ...nodeLifecycleStatements(ctx, "worker"),
    ...nodeLifecycleStatements(ctx, "control-plane"),
    ...nodeTerminationHandlerStatements(ctx),
  ];
  test("no wildcard action", () => expect(wildcardActions(all)).toEqual([]));
  test('on "*" only reads, and PutMetricData limited by its namespace', () => {
    for (const s of all.filter((x) => resources(x).includes("*")))
      for (const a of s.Action)
        expect({
          a,
          ok:
            isRead(a) ||
            (a === "cloudwatch:PutMetricData" && s.Condition?.StringEquals?.["cloudwatch:namespace"] !== undefined),
        }).toEqual({ a, ok: true });
  });
  test("each policy fits one managed policy", () => {
    for (const ss of [nodeLifecycleStatements(ctx, "control-plane"), nodeTerminationHandlerStatements(ctx)])
      expect(policySize(policyDocument(ss))).toBeLessThanOrEqual(MANAGED_POLICY_MAX_CHARS);
  });
});

test("in the stack: both node roles get them; every role within AWS's 10 managed policies per role", () => {
  const { cluster } = buildApp(resolveConfig({ controlPlane: { count: 5 } }));
  // (partition and account are Terraform tokens here)
  const health = (role: string) =>
    grants(cluster.iam.statements[`${role}/node-lifecycle`])["autoscaling:SetInstanceHealth"];
  expect(health("workers").map((a) => a.replace(/^.*autoScalingGroupName\//, ""))).toEqual(["k8s-cluster-workers"]);
  expect(health("control-plane").map((a) => a.replace(/^.*autoScalingGroupName\//, ""))).toEqual(
    [0, 1, 2, 3, 4].map((i) => `k8s-cluster-control-plane-${i}`),
  );
  expect(
    grants(cluster.iam.statements["control-plane/node-termination-handler"])["autoscaling:CompleteLifecycleAction"],
  ).toHaveLength(1);
  for (const role of ["control-plane", "workers", "bastion"]) {
    // Managed policies, not concerns: MANAGED_POLICY_OF groups some concerns in one policy.
    const count = Object.keys(cluster.iam.policies).filter((k) => k.startsWith(`${role}/`)).length;
    expect({ role, ok: count <= 10 }).toEqual({ role, ok: true });
  }
});

test("in the stack: it registers in exactly the target group the stack creates, its ARN in SSM", () => {
  // RegisterTargets takes the targetgroup resource type (Service Authorization Reference, Elastic Load
  // Balancing V2: arn:...:targetgroup/<name>/<id>), so the grant names the group, never the load balancer.
  const synthesized = synthCluster();
  const group = resource(synthesized, "aws_lb_target_group.api_targets");
  expect(resource(synthesized, "aws_ssm_parameter.api_target_group")).toMatchObject({
    name: "/k8s/k8s-cluster/api-target-group",
    type: "String",
    value: ref("aws_lb_target_group.api_targets", "arn"),
  });
  const { cluster } = buildApp(resolveConfig({}));
  const register = grants(cluster.iam.statements["control-plane/node-lifecycle"])[
    "elasticloadbalancing:RegisterTargets"
  ];
  expect(register).toHaveLength(1);
  expect(register[0]).toMatch(new RegExp(`:elasticloadbalancing:ap-northeast-2:.+:targetgroup/${group.name}/\\*$`));
  expect(
    grants(cluster.iam.statements["workers/node-lifecycle"])["elasticloadbalancing:RegisterTargets"],
  ).toBeUndefined();
});
