/**
 * Spot workers (workers.spot) with the real provider, offline: the mixed instances policy plans
 * as synthesized, and worker_instance_type refuses a type outside the listed ones.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { resolveConfig } from "../../src/config";
import { buildApp } from "../../src/app";
import { checkStackOffline } from "../../tools/terraform-check";

const outdir = fs.mkdtempSync(path.join(os.tmpdir(), "tfplan-spot-"));
afterAll(() => fs.rmSync(outdir, { recursive: true, force: true }));

// A narrowed admin CIDR: the bastion's check block then has nothing to warn about.
const config = resolveConfig({
  bastion: { adminCidrs: ["203.0.113.0/24"] },
  workers: {
    instanceType: "m7i.large",
    spot: { instanceTypes: ["m6i.large", "m7i.large", "m5.large"], onDemandBaseCapacity: 1 },
  },
});
buildApp(config, outdir).app.synth();
const POLICY = "aws_autoscaling_group.worker_asg.mixed_instances_policy[0]";
const OVERRIDE_TYPES = `[for o in ${POLICY}.launch_template[0].override : o.instance_type]`;

test("spot workers: validate, plan, and worker_instance_type limited to the listed types", async () => {
  const r = await checkStackOffline(
    path.join(outdir, "stacks/cluster"),
    config.region,
    [
      { condition: "aws_autoscaling_group.worker_asg.capacity_rebalance == true", message: "capacity rebalancing" },
      {
        condition: `${POLICY}.instances_distribution[0].spot_allocation_strategy == "price-capacity-optimized"`,
        message: "price-capacity-optimized",
      },
      { condition: `${POLICY}.instances_distribution[0].on_demand_base_capacity == 1`, message: "On-Demand base" },
      {
        condition: `${OVERRIDE_TYPES} == ["m7i.large", "m6i.large", "m5.large"]`,
        message: "workers.instanceType first, then the others as listed",
      },
    ],
    {
      rejected: [
        {
          name: "worker_instance_type_outside_the_spot_types",
          variables: { worker_instance_type: "t3.large" },
          expectFailures: ["worker_instance_type"],
        },
      ],
    },
  );
  expect(r.validate).toMatch(/The configuration is valid/);
  expect(r.test).toMatch(/2 passed, 0 failed/);
  expect(r.test).toContain('run "worker_instance_type_outside_the_spot_types"... pass');
}, 900_000);
