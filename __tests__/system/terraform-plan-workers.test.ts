/**
 * Workers over three zones on Spot (azCount 3, workers.spot) with the real provider, offline: a group
 * per zone whose bounds and On-Demand base add up to the totals, each with the mixed instances policy
 * as synthesized, and worker_instance_type refused outside the listed types. One stack holds both
 * variants: each plan of the cluster stack loads the provider again, the slowest step of the tier.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { resolveConfig } from "../../src/config";
import { buildApp } from "../../src/app";
import { checkStackOffline } from "../../tools/terraform-check";

const outdir = fs.mkdtempSync(path.join(os.tmpdir(), "tfplan-workers-"));
afterAll(() => fs.rmSync(outdir, { recursive: true, force: true }));

// A narrowed admin CIDR: the bastion's check block then has nothing to warn about.
const config = resolveConfig({
  azCount: 3,
  bastion: { adminCidrs: ["203.0.113.0/24"] },
  workers: {
    min: 4,
    desired: 5,
    max: 10,
    instanceType: "m7i.large",
    spot: { instanceTypes: ["m6i.large", "m7i.large", "m5.large"], onDemandBaseCapacity: 1 },
  },
});
buildApp(config, outdir).app.synth();
const GROUPS = ["a", "b", "c"].map((z) => `aws_autoscaling_group.worker_asg_${z}`);
const each = (attr: string) => `[${GROUPS.map((g) => `${g}.${attr}`).join(", ")}]`;
const POLICY = "mixed_instances_policy[0]";
const DISTRIBUTION = `${POLICY}.instances_distribution[0]`;
const everyGroup = (condition: (group: string) => string) => `alltrue([${GROUPS.map((g) => condition(g)).join(", ")}])`;

const zones = [
  { condition: `${each("min_size")} == [2, 1, 1]`, message: "min 4 over three zones" },
  { condition: `${each("desired_capacity")} == [2, 2, 1]`, message: "desired 5 over three zones" },
  { condition: `${each("max_size")} == [4, 3, 3]`, message: "max 10 over three zones" },
  {
    condition: `sum(${each("max_size")}) == var.worker_max_size && sum(${each("min_size")}) == var.worker_min_size`,
    message: "the shares add up to the totals",
  },
  {
    condition: `${each("name")} == ["k8s-cluster-workers-a", "k8s-cluster-workers-b", "k8s-cluster-workers-c"]`,
    message: "one name per zone",
  },
];
const spot = [
  { condition: everyGroup((g) => `${g}.capacity_rebalance == true`), message: "capacity rebalancing" },
  {
    condition: everyGroup((g) => `${g}.${DISTRIBUTION}.spot_allocation_strategy == "price-capacity-optimized"`),
    message: "price-capacity-optimized",
  },
  {
    condition: `${each(`${DISTRIBUTION}.on_demand_base_capacity`)} == [1, 0, 0]`,
    message: "the On-Demand base of 1 in the first zone's group",
  },
  {
    condition: everyGroup(
      (g) =>
        `[for o in ${g}.${POLICY}.launch_template[0].override : o.instance_type] == ` +
        '["m7i.large", "m6i.large", "m5.large"]',
    ),
    message: "workers.instanceType first, then the others as listed",
  },
];

test("spot workers over three zones: plan, and worker_instance_type limited to the listed types", async () => {
  const r = await checkStackOffline(path.join(outdir, "stacks/cluster"), config.region, [...zones, ...spot], {
    // terraform-plan.test.ts validates the default stack; terraform test validates this one too.
    validate: false,
    rejected: [
      {
        name: "worker_instance_type_outside_the_spot_types",
        variables: { worker_instance_type: "t3.large" },
        expectFailures: ["worker_instance_type"],
      },
    ],
  });
  expect(r.test).toMatch(/2 passed, 0 failed/);
  expect(r.test).toContain('run "plan"... pass');
  expect(r.test).toContain('run "worker_instance_type_outside_the_spot_types"... pass');
}, 900_000);
