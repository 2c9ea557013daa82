/**
 * Workers: one auto scaling group per availability zone. EBS volumes are zonal, and the cluster
 * autoscaler's AWS README (kubernetes/autoscaler cluster-autoscaler/cloudprovider/aws/README.md at
 * cluster-autoscaler-1.35.2, "Common Notes and Gotchas") asks for "an ASG-per-AZ while enabling
 * --balance-similar-node-groups"; FAQ.md: "use separate node groups per zone". Each group has the
 * same launch template, hooks, instance refresh, tags and (with spot) mixed instances policy; the
 * termination handler's rule, the alarms and the IAM name every group; workers.min/desired/max are
 * totals, split over the groups (src/constructs/workers.ts zoneShare). One zone: one group, as before.
 */
import { synthCluster } from "./helpers/synth";
import { Workers, WorkersProps, zoneShare } from "../src/constructs/workers";
import { workerGroupNames } from "../src/aws/cluster-names";
import { CLUSTER_AUTOSCALER_ADDED_FLAGS } from "../src/addons/cluster-autoscaler";
import { LIFECYCLE_HOOKS } from "../src/aws/lifecycle";
import { resolveConfig } from "../src/config";
import { buildApp } from "../src/app";

const groupsOf = (input: Record<string, unknown>) =>
  (synthCluster(input).json.resource as any).aws_autoscaling_group as Record<string, any>;
const workerGroups = (input: Record<string, unknown>) =>
  Object.fromEntries(Object.entries(groupsOf(input)).filter(([k]) => k.startsWith("worker_asg")));
const THREE = { azCount: 3 };

describe("one group per zone", () => {
  test("one zone: exactly one group, aws_autoscaling_group.worker_asg, with the variables unsplit", () => {
    const groups = workerGroups({});
    expect(Object.keys(groups)).toEqual(["worker_asg"]);
    expect(groups.worker_asg).toMatchObject({
      name: "k8s-cluster-workers",
      min_size: "${var.worker_min_size}",
      desired_capacity: "${var.worker_desired_capacity}",
      max_size: "${var.worker_max_size}",
      vpc_zone_identifier: ["${aws_subnet.workers_a.id}"],
    });
  });

  test("three zones: worker_asg_a, _b, _c, each in its own zone's worker subnet only", () => {
    const groups = workerGroups(THREE);
    expect(Object.keys(groups)).toEqual(["worker_asg_a", "worker_asg_b", "worker_asg_c"]);
    expect(Object.values(groups).map((g) => [g.name, g.vpc_zone_identifier])).toEqual([
      ["k8s-cluster-workers-a", ["${aws_subnet.workers_a.id}"]],
      ["k8s-cluster-workers-b", ["${aws_subnet.workers_b.id}"]],
      ["k8s-cluster-workers-c", ["${aws_subnet.workers_c.id}"]],
    ]);
    expect(workerGroupNames("k8s-cluster", ["ap-northeast-2a", "ap-northeast-2c"])).toEqual([
      "k8s-cluster-workers-a",
      "k8s-cluster-workers-c",
    ]);
  });

  test("every group: the same launch template, both hooks, the rolling refresh, handler and autoscaler tags", () => {
    const groups = Object.values(workerGroups(THREE));
    const single = workerGroups({}).worker_asg;
    for (const g of groups) {
      expect(g.launch_template).toEqual(single.launch_template);
      expect(g.initial_lifecycle_hook.map((h: any) => h.name)).toEqual([
        LIFECYCLE_HOOKS.launch,
        LIFECYCLE_HOOKS.terminate,
      ]);
      expect(g.instance_refresh).toEqual(single.instance_refresh);
      expect(g.tag).toEqual(single.tag);
      expect(g.lifecycle).toEqual({ ignore_changes: ["desired_capacity"] });
      expect(g.depends_on).toEqual(single.depends_on);
    }
  });

  test("the bounds are totals: zone i of k gets floor((n + k - 1 - i) / k), as a Terraform expression", () => {
    const groups = Object.values(workerGroups(THREE));
    expect(groups.map((g) => g.min_size)).toEqual([
      "${floor(((var.worker_min_size + 2) / 3))}",
      "${floor(((var.worker_min_size + 1) / 3))}",
      "${floor((var.worker_min_size / 3))}",
    ]);
    expect(groups.map((g) => g.max_size)[0]).toBe("${floor(((var.worker_max_size + 2) / 3))}");
    expect(groups.map((g) => g.desired_capacity)[2]).toBe("${floor((var.worker_desired_capacity / 3))}");
  });

  test("the shares add up to the total, differ by at most one, and never shrink as the total grows", () => {
    for (const k of [1, 2, 3])
      for (let n = 0; n <= 30; n++) {
        const shares = Array.from({ length: k }, (_, i) => zoneShare(n, k, i));
        expect({ n, k, sum: shares.reduce((a, b) => a + b, 0) }).toEqual({ n, k, sum: n });
        expect(Math.max(...shares) - Math.min(...shares)).toBeLessThanOrEqual(1);
        shares.forEach((s, i) => expect(zoneShare(n + 1, k, i)).toBeGreaterThanOrEqual(s));
      }
    // min 2, desired 2, max 5 over three zones: 1/1/0, 1/1/0, 2/2/1.
    expect([0, 1, 2].map((i) => [zoneShare(2, 3, i), zoneShare(5, 3, i)])).toEqual([
      [1, 2],
      [1, 2],
      [0, 1],
    ]);
  });

  test("spot: every group has the mixed instances policy; the On-Demand base is split like the bounds", () => {
    const spot = { instanceTypes: ["m6i.large", "m7i.large", "m5.large"], onDemandBaseCapacity: 2 };
    const groups = Object.values(workerGroups({ ...THREE, workers: { instanceType: "m7i.large", spot } }));
    const policies = groups.map((g) => g.mixed_instances_policy);
    expect(groups.map((g) => [g.capacity_rebalance, g.launch_template])).toEqual([
      [true, undefined],
      [true, undefined],
      [true, undefined],
    ]);
    expect(policies.map((p) => p.instances_distribution.on_demand_base_capacity)).toEqual([1, 1, 0]);
    expect(new Set(policies.map((p) => JSON.stringify(p.launch_template))).size).toBe(1);
  });
});

describe("what watches and scales the groups names every one of them", () => {
  const resources = () => synthCluster(THREE).json.resource as any;
  const names = ["a", "b", "c"].map((z) => `k8s-cluster-workers-${z}`);

  test("the termination handler's terminate-hook rule matches every worker group, no control-plane group", () => {
    const pattern = resources().aws_cloudwatch_event_rule.node_termination_worker_termination.event_pattern;
    expect(pattern).toContain(`"AutoScalingGroupName" = [${names.map((n) => `"${n}"`).join(", ")}]`);
    expect(pattern).not.toContain("control-plane");
  });

  test("a boot-failure alarm per worker group, on its own group's name", () => {
    const alarms = resources().aws_cloudwatch_metric_alarm;
    expect(Object.keys(alarms).filter((k) => k.startsWith("worker_"))).toEqual([
      "worker_asg_a_boot_failed",
      "worker_asg_b_boot_failed",
      "worker_asg_c_boot_failed",
    ]);
    expect(["a", "b", "c"].map((z) => alarms[`worker_asg_${z}_boot_failed`].dimensions.AutoScalingGroupName)).toEqual(
      names,
    );
  });

  test("IAM: workers' hooks, the handler's hook completion and the autoscaler's scaling on all three", () => {
    const { cluster } = buildApp(resolveConfig(THREE));
    const groupsIn = (concern: string, action: string) =>
      cluster.iam.statements[concern]
        .filter((s) => s.Action.includes(action))
        .flatMap((s) => (Array.isArray(s.Resource) ? s.Resource : [s.Resource]))
        .map((r) => r.replace(/^.*autoScalingGroupName\//, ""));
    expect(groupsIn("workers/node-lifecycle", "autoscaling:CompleteLifecycleAction")).toEqual(names);
    expect(groupsIn("control-plane/node-termination-handler", "autoscaling:CompleteLifecycleAction")).toEqual(names);
    expect(groupsIn("control-plane/cluster-autoscaler", "autoscaling:SetDesiredCapacity")).toEqual(names);
  });

  test("the output worker_groups names the groups, one zone or three", () => {
    expect((synthCluster({}).json.output as any).worker_groups.value).toEqual([
      "${aws_autoscaling_group.worker_asg.name}",
    ]);
    expect((synthCluster(THREE).json.output as any).worker_groups.value).toEqual(
      ["a", "b", "c"].map((z) => `\${aws_autoscaling_group.worker_asg_${z}.name}`),
    );
  });

  test("the autoscaler balances the zones' groups (--balance-similar-node-groups, README's ASG-per-AZ)", () =>
    expect(CLUSTER_AUTOSCALER_ADDED_FLAGS).toContain("--balance-similar-node-groups"));
});

describe("denied: a zone's group with room for no worker (a pod bound to a volume there would stay Pending)", () => {
  test("workers.max below azCount is refused at synth, one line naming the field", () => {
    expect(() => resolveConfig({ azCount: 3, workers: { min: 1, desired: 2, max: 2 } })).toThrow(
      "invalid configuration: workers.max = 2: must be at least azCount (3): one worker per zone's group",
    );
    expect(() => resolveConfig({ azCount: 3, workers: { min: 1, desired: 3, max: 3 } })).not.toThrow();
    expect(() => resolveConfig({ workers: { min: 1, desired: 1, max: 1 } })).not.toThrow();
  });
  test("worker_max_size below the zone count is refused at plan by the variable's validation", () => {
    const max = (input: Record<string, unknown>) => (synthCluster(input).json.variable as any).worker_max_size;
    expect(max(THREE).validation).toContainEqual({
      condition: "${var.worker_max_size >= 3}",
      error_message: "worker_max_size must be at least 3: one worker per zone's group.",
    });
    expect(JSON.stringify(max({}).validation)).not.toContain(">= 1}");
  });
});

describe("the worker groups' construct refuses subnets that do not match the zones", () => {
  const { cluster } = buildApp(resolveConfig({}));
  const props: WorkersProps = {
    clusterName: "k8s-cluster",
    machine: { imageId: "ami-0123456789abcdef0", instanceType: "t3.large", rootVolumeGiB: 30 },
    min: 1,
    desired: 1,
    max: 3,
    subnets: cluster.network.subnets.workers,
    azs: ["ap-northeast-2a"],
    securityGroup: cluster.securityGroups.groups.workers,
    instanceProfile: cluster.iam.instanceProfiles.workers,
    userDataBase64: "",
  };
  test.each([
    [[], "Workers: 1 subnet(s) for 0 zone(s); give one per zone"],
    [["ap-northeast-2a", "ap-northeast-2b"], "Workers: 1 subnet(s) for 2 zone(s); give one per zone"],
  ])("zones %j", (azs, message) => {
    expect(() => new Workers(cluster, `workers-${azs.length}`, { ...props, azs })).toThrow(message);
  });
  test("no zone and no subnet", () => {
    expect(() => new Workers(cluster, "workers-none", { ...props, subnets: [], azs: [] })).toThrow(
      "Workers: 0 subnet(s) for 0 zone(s); give one per zone",
    );
  });
  test("one subnet for its one zone is accepted", () => {
    expect(() => new Workers(cluster, "workers-one", props)).not.toThrow();
  });
});
