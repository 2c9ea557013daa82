/**
 * Issue 11, the AWS side: every auto scaling group's lifecycle hooks, how `terraform apply` rolls
 * the groups, the boot-failure alarms, the node termination handler's queue and event rules, and
 * the Kubernetes upgrade-order precondition (its behaviour in a real plan is in the system tier,
 * __tests__/system/terraform-plan.test.ts).
 */
import { AutoscalingGroup } from "@cdktf/provider-aws/lib/autoscaling-group";
import { CloudwatchMetricAlarm } from "@cdktf/provider-aws/lib/cloudwatch-metric-alarm";
import { SqsQueue } from "@cdktf/provider-aws/lib/sqs-queue";
import { SsmParameter } from "@cdktf/provider-aws/lib/ssm-parameter";
import { LIFECYCLE_HOOKS, BOOT_FAILURE_METRIC } from "../src/aws/lifecycle";
import { jsonencoded, synthCluster, ref, resource } from "./helpers/synth";
import "./helpers/cdktf-matchers";

const s = synthCluster();
const res = (type: string) => ((s.json.resource as any)[type] ?? {}) as Record<string, any>;
const CP_GROUPS = ["control_plane_0", "control_plane_1", "control_plane_2"];
const ALL_GROUPS = [...CP_GROUPS, "worker_asg"];
const groupName = (tf: string) => res("aws_autoscaling_group")[tf].name as string;

describe("lifecycle hooks on every group, present before its first instance launches", () => {
  test("the groups: one per control-plane slot and the workers', nothing else", () =>
    expect(Object.keys(res("aws_autoscaling_group")).sort()).toEqual(ALL_GROUPS));
  test.each(ALL_GROUPS)(
    "%s: exactly the launch hook (1200 s, then ABANDON) and the terminate hook (600 s, then CONTINUE)",
    (g) =>
      expect(res("aws_autoscaling_group")[g].initial_lifecycle_hook).toEqual([
        {
          name: LIFECYCLE_HOOKS.launch,
          lifecycle_transition: "autoscaling:EC2_INSTANCE_LAUNCHING",
          heartbeat_timeout: 1200,
          default_result: "ABANDON",
        },
        {
          name: LIFECYCLE_HOOKS.terminate,
          lifecycle_transition: "autoscaling:EC2_INSTANCE_TERMINATING",
          heartbeat_timeout: 600,
          default_result: "CONTINUE",
        },
      ]),
  );
  test("no separate aws_autoscaling_lifecycle_hook (it would be created after the group's first instances)", () =>
    expect(res("aws_autoscaling_lifecycle_hook")).toEqual({}));
  test.each(ALL_GROUPS)(
    "%s: EC2 health checks, never ELB; Terraform does not wait for InService; cluster tag propagated",
    (g) => {
      const body = res("aws_autoscaling_group")[g];
      expect(body.health_check_type).toBe("EC2");
      expect(body.wait_for_capacity_timeout).toBe("0");
      expect(body.tag).toContainEqual({
        key: "kubernetes.io/cluster/k8s-cluster",
        value: "owned",
        propagate_at_launch: true,
      });
    },
  );
});

describe("terraform apply rolls the nodes: a new launch template version starts an instance refresh", () => {
  test.each(CP_GROUPS)("%s: the template's latest version; launch before terminate (min 100%%, max 200%%)", (g) => {
    const body = res("aws_autoscaling_group")[g];
    expect(body.launch_template.version).toBe(
      ref("aws_launch_template.control_plane_launch_template", "latest_version"),
    );
    expect(body.instance_refresh).toEqual({
      strategy: "Rolling",
      preferences: { min_healthy_percentage: 100, max_healthy_percentage: 200, instance_warmup: "60" },
    });
  });
  // Launch before terminating: the AWS console's preset of that name sends min 100 / max 110
  // (aws/aws-cli#8338 shows its StartInstanceRefresh request).
  test("workers: the template's latest version, launch before terminating (100% to 110% healthy)", () => {
    const body = res("aws_autoscaling_group").worker_asg;
    expect(body.launch_template.version).toBe(ref("aws_launch_template.worker_launch_template", "latest_version"));
    expect(body.instance_refresh).toEqual({
      strategy: "Rolling",
      preferences: { min_healthy_percentage: 100, max_healthy_percentage: 110, instance_warmup: "60" },
    });
  });
  test("both templates become their own default version and ignore only a newer image", () => {
    for (const t of ["control_plane_launch_template", "worker_launch_template"]) {
      expect(res("aws_launch_template")[t].update_default_version).toBe(true);
      expect(res("aws_launch_template")[t].lifecycle.ignore_changes).toEqual(["image_id"]);
    }
  });
});

describe("the node termination handler drains workers only", () => {
  test("only the workers' instances carry its managed tag", () => {
    expect(res("aws_autoscaling_group").worker_asg.tag).toContainEqual({
      key: "aws-node-termination-handler/managed",
      value: "true",
      propagate_at_launch: true,
    });
    for (const g of CP_GROUPS)
      expect(JSON.stringify(res("aws_autoscaling_group")[g].tag)).not.toContain("aws-node-termination-handler");
    for (const t of Object.values(res("aws_launch_template")))
      expect(JSON.stringify(t.tag_specifications)).not.toContain("aws-node-termination-handler");
  });
  test("an SQS queue with server-side encryption (SSE-SQS), messages kept past the 600 s terminate hook", () =>
    expect(s.text).toHaveResourceWithProperties(SqsQueue, {
      name: "k8s-cluster-node-termination",
      sqs_managed_sse_enabled: true,
      message_retention_seconds: 900,
    }));
  const patterns = () =>
    Object.fromEntries(
      Object.entries(res("aws_cloudwatch_event_rule")).map(([n, r]) => [n, jsonencoded(r.event_pattern)]),
    );
  // The rules of the handler's README at v1.25.6 ("aws events put-rule" commands, including the AWS
  // Health scheduled change rule), the terminate action narrowed to the workers' group; not its
  // rebalance rule (README: not needed with capacity rebalancing, which our Spot groups have).
  test("four rules: workers' terminate action, spot interruption, state change, scheduled change", () =>
    expect(patterns()).toEqual({
      node_termination_worker_termination: {
        source: ["aws.autoscaling"],
        "detail-type": ["EC2 Instance-terminate Lifecycle Action"],
        detail: { AutoScalingGroupName: ["k8s-cluster-workers"] },
      },
      node_termination_spot_interruption: {
        source: ["aws.ec2"],
        "detail-type": ["EC2 Spot Instance Interruption Warning"],
      },
      node_termination_instance_state_change: {
        source: ["aws.ec2"],
        "detail-type": ["EC2 Instance State-change Notification"],
      },
      node_termination_scheduled_change: {
        source: ["aws.health"],
        "detail-type": ["AWS Health Event"],
        detail: { service: ["EC2"], eventTypeCategory: ["scheduledChange"] },
      },
    }));
  test("denied: launch events (the nodes complete their own hook), control-plane terminations, rebalance", () => {
    const text = JSON.stringify(patterns());
    expect(text).not.toContain("Launch");
    // A drain at the recommendation would come before the replacement capacity rebalancing launches.
    expect(text).not.toContain("Rebalance");
    expect(text).not.toContain("control-plane");
  });
  test("every rule targets the queue, nothing else", () => {
    const targets = Object.values(res("aws_cloudwatch_event_target"));
    expect(targets).toHaveLength(4);
    expect(targets.map((t) => t.rule).sort()).toEqual(
      Object.keys(res("aws_cloudwatch_event_rule"))
        .map((n) => ref(`aws_cloudwatch_event_rule.${n}`, "name"))
        .sort(),
    );
    for (const t of targets) expect(t.arn).toBe(ref("aws_sqs_queue.node_termination_queue", "arn"));
  });
  test("the queue policy: EventBridge may send, only from these four rules; nobody else, nothing else", () => {
    const policy = jsonencoded(resource(s, "aws_sqs_queue_policy.node_termination_queue_policy").policy);
    expect(policy.Statement).toEqual([
      {
        Sid: "EventBridgeRulesSend",
        Effect: "Allow",
        Principal: { Service: "events.amazonaws.com" },
        Action: "sqs:SendMessage",
        Resource: ref("aws_sqs_queue.node_termination_queue", "arn"),
        Condition: {
          ArnEquals: {
            "aws:SourceArn": [
              "worker_termination",
              "spot_interruption",
              "instance_state_change",
              "scheduled_change",
            ].map((n) => ref(`aws_cloudwatch_event_rule.node_termination_${n}`, "arn")),
          },
        },
      },
    ]);
  });
  test("its URL reaches the control-plane nodes as an SSM String parameter", () =>
    expect(s.text).toHaveResourceWithProperties(SsmParameter, {
      name: "/k8s/k8s-cluster/node-termination/queue-url",
      type: "String",
      value: ref("aws_sqs_queue.node_termination_queue", "url"),
    }));
});

describe("a boot that fails for good is seen: one alarm per group", () => {
  test("exactly one alarm per group, on the nodes' boot-failure metric of that group", () => {
    const alarms = Object.values(res("aws_cloudwatch_metric_alarm"));
    expect(
      alarms.map((a) => a.dimensions).sort((a, b) => a.AutoScalingGroupName.localeCompare(b.AutoScalingGroupName)),
    ).toEqual(
      [
        "k8s-cluster-control-plane-0",
        "k8s-cluster-control-plane-1",
        "k8s-cluster-control-plane-2",
        "k8s-cluster-workers",
      ].map((g) => ({
        ClusterName: "k8s-cluster",
        AutoScalingGroupName: g,
      })),
    );
    // The dimension is the group's real name.
    expect(ALL_GROUPS.map(groupName).sort()).toEqual(alarms.map((a) => a.dimensions.AutoScalingGroupName).sort());
  });
  test.each(ALL_GROUPS)("%s: Sum >= 1 within 15 minutes, no data is fine, the description names the runbook", (g) =>
    expect(s.text).toHaveResourceWithProperties(CloudwatchMetricAlarm, {
      alarm_name: `${groupName(g)}-boot-failed`,
      namespace: BOOT_FAILURE_METRIC.namespace,
      metric_name: BOOT_FAILURE_METRIC.name,
      statistic: "Sum",
      period: 900,
      evaluation_periods: 1,
      threshold: 1,
      comparison_operator: "GreaterThanOrEqualToThreshold",
      treat_missing_data: "notBreaching",
      alarm_description: expect.stringMatching(new RegExp(`${groupName(g)}.*docs/troubleshooting\\.md`)),
    }),
  );
  test("count 5 gives five control-plane alarms", () => {
    const c = synthCluster({ controlPlane: { count: 5 } });
    expect(Object.keys((c.json.resource as any).aws_cloudwatch_metric_alarm)).toHaveLength(6);
  });
});

describe("the Kubernetes upgrade order is checked at plan time", () => {
  test("the published version is read by path: a missing parameter is an empty list, not an error", () => {
    expect((s.json as any).data.aws_ssm_parameters_by_path.cluster_parameters).toMatchObject({
      path: "/k8s/k8s-cluster/cluster",
      recursive: false,
    });
    expect((s.json as any).data.aws_ssm_parameter).toBeUndefined();
  });
  test("the control-plane template fails the plan unless the running minor is the configured one (or none)", () => {
    const [pre] = res("aws_launch_template").control_plane_launch_template.lifecycle.precondition;
    expect(pre.condition).toBe('${contains(["none", "1.35"], local.running_kubernetes_minor)}');
    expect(pre.error_message).toContain("${local.running_kubernetes_minor}");
    expect(pre.error_message).toContain("kubernetesVersion is 1.35");
    expect(pre.error_message).toContain("docs/upgrades.md");
    expect((s.json as any).locals.running_kubernetes_minor).toContain(
      'index(data.aws_ssm_parameters_by_path.cluster_parameters.names, "/k8s/k8s-cluster/cluster/kubernetes-version")',
    );
  });
  test("the configured minor is the configuration's", () => {
    const c = synthCluster({ kubernetesVersion: "1.34" });
    const [pre] = (c.json.resource as any).aws_launch_template.control_plane_launch_template.lifecycle.precondition;
    expect(pre.condition).toBe('${contains(["none", "1.34"], local.running_kubernetes_minor)}');
  });
  test("the workers' template has no such check (the control plane's fails the plan already)", () =>
    expect(res("aws_launch_template").worker_launch_template.lifecycle.precondition).toBeUndefined());
});

test("the control-plane groups depend on nothing the workers make, and the workers come after them", () => {
  const workers = res("aws_autoscaling_group").worker_asg.depends_on as string[];
  for (const g of CP_GROUPS) expect(workers).toContain(`aws_autoscaling_group.${g}`);
  for (const g of CP_GROUPS)
    expect(res("aws_autoscaling_group")[g].depends_on.filter((d: string) => d.includes("worker_asg"))).toEqual([]);
  expect(s.text).toHaveResourceWithProperties(AutoscalingGroup, { name: "k8s-cluster-workers" });
});
