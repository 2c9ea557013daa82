/**
 * jest/system-sequencer.js: the terraform plan files first, in jest's own order, then the others in
 * jest's own order (here, without timings from an earlier run: the largest file first).
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
// eslint-disable-next-line @typescript-eslint/no-require-imports
const SystemSequencer = require("../jest/system-sequencer");

const cacheDirectory = fs.mkdtempSync(path.join(os.tmpdir(), "sequencer-"));
afterAll(() => fs.rmSync(cacheDirectory, { recursive: true, force: true }));

const sizes: Record<string, number> = {
  "/r/bootstrap-join.test.ts": 9000,
  "/r/terraform-plan-workers.test.ts": 3000,
  "/r/cli.test.ts": 12000,
  "/r/terraform-plan.test.ts": 8000,
  "/r/hcl-fmt.test.ts": 900,
};
const context = { config: { cacheDirectory, name: "system" }, hasteFS: { getSize: (p: string) => sizes[p] } };

test("plan files first, each group largest first", () => {
  const tests = Object.keys(sizes).map((p) => ({ path: p, context }));
  expect(new SystemSequencer().sort(tests).map((t: { path: string }) => path.basename(t.path))).toEqual([
    "terraform-plan.test.ts",
    "terraform-plan-workers.test.ts",
    "cli.test.ts",
    "bootstrap-join.test.ts",
    "hcl-fmt.test.ts",
  ]);
});
