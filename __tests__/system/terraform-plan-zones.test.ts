/**
 * Workers in three zones with the real provider, offline: one group per zone, and Terraform's own
 * evaluation of the split bounds (src/constructs/workers.ts zoneShare): worker_min_size 4,
 * worker_desired_capacity 5 and worker_max_size 10 become 2/1/1, 2/2/1 and 4/3/3, adding up to the totals.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { resolveConfig } from "../../src/config";
import { buildApp } from "../../src/app";
import { checkStackOffline } from "../../tools/terraform-check";

const outdir = fs.mkdtempSync(path.join(os.tmpdir(), "tfplan-zones-"));
afterAll(() => fs.rmSync(outdir, { recursive: true, force: true }));

const config = resolveConfig({
  azCount: 3,
  bastion: { adminCidrs: ["203.0.113.0/24"] },
  workers: { min: 4, desired: 5, max: 10 },
});
buildApp(config, outdir).app.synth();
const GROUPS = ["a", "b", "c"].map((z) => `aws_autoscaling_group.worker_asg_${z}`);
const each = (attr: string) => `[${GROUPS.map((g) => `${g}.${attr}`).join(", ")}]`;

test("three zones: a group per zone, the bounds split so that they add up to the variables", async () => {
  const r = await checkStackOffline(path.join(outdir, "stacks/cluster"), config.region, [
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
  ]);
  expect(r.validate).toMatch(/The configuration is valid/);
  expect(r.test).toMatch(/1 passed, 0 failed/);
}, 900_000);
