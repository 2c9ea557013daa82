/**
 * The HCL hand-off as terraform reads it: parsed and already formatted (terraform fmt -check), as
 * the GitHub workflow checks it.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { spawnSync } from "child_process";
import { resolveConfig } from "../../src/config";
import { buildApp, synthesize } from "../../src/app";

const hclOut = fs.mkdtempSync(path.join(os.tmpdir(), "synth-hcl-"));
synthesize(buildApp(resolveConfig({}), hclOut, true));
afterAll(() => fs.rmSync(hclOut, { recursive: true, force: true }));

test("terraform parses the HCL and finds it formatted (terraform fmt -check)", () => {
  // fmt parses every file without loading the provider.
  const r = spawnSync("terraform", ["fmt", "-check", "-recursive", path.join(hclOut, "stacks")], {
    encoding: "utf8",
    env: { ...process.env, CHECKPOINT_DISABLE: "1" },
  });
  if (r.error) throw new Error(`terraform is not on PATH: ${r.error.message}`);
  expect({
    status: r.status,
    out: r.stdout + r.stderr.replace(/[\s\S]*Warning: Unable to open CLI configuration file[\s\S]*?╵\n*/, ""),
  }).toEqual({ status: 0, out: "" });
});
