/** npm run synth:hcl: the same stacks as HCL, produced offline, formatted, with the same resources. */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { resolveConfig } from "../src/config";
import { buildApp, synthesize } from "../src/app";
import { spawnSync } from "child_process";

const config = resolveConfig({});
const jsonOut = fs.mkdtempSync(path.join(os.tmpdir(), "synth-json-"));
const hclOut = fs.mkdtempSync(path.join(os.tmpdir(), "synth-hcl-"));
synthesize(buildApp(config, jsonOut, false));
synthesize(buildApp(config, hclOut, true));
afterAll(() => [jsonOut, hclOut].forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

const addressesInHcl = (text: string) => [...text.matchAll(/^(resource|data) "([^"]+)" "([^"]+)"/gm)].map((m) => `${m[1] === "data" ? "data." : ""}${m[2]}.${m[3]}`);
const addressesInJson = (tf: any) => [
  ...Object.entries(tf.resource ?? {}).flatMap(([t, byName]) => Object.keys(byName as object).map((n) => `${t}.${n}`)),
  ...Object.entries(tf.data ?? {}).flatMap(([t, byName]) => Object.keys(byName as object).map((n) => `data.${t}.${n}`)),
];

describe.each(["cluster", "state-bucket"])("%s stack", (stack) => {
  const hcl = () => fs.readFileSync(path.join(hclOut, "stacks", stack, "cdk.tf"), "utf8");
  const json = () => JSON.parse(fs.readFileSync(path.join(jsonOut, "stacks", stack, "cdk.tf.json"), "utf8"));
  test("HCL output exists and no stale JSON beside it", () => {
    expect(hcl()).toMatch(/^terraform \{/);
    expect(fs.existsSync(path.join(hclOut, "stacks", stack, "cdk.tf.json"))).toBe(false);
  });
  test("the same resources and data sources as the JSON", () => expect(addressesInHcl(hcl()).sort()).toEqual(addressesInJson(json()).sort()));
  test("the same outputs", () => expect([...hcl().matchAll(/^output "([^"]+)"/gm)].map((m) => m[1]).sort()).toEqual(Object.keys(json().output ?? {}).sort()));
  test("formatted (terraform fmt)", () => expect(hcl()).toMatch(/^  required_providers \{$/m));
  test("the same check blocks", () => expect([...hcl().matchAll(/^check "([^"]+)"/gm)].map((m) => m[1]).sort()).toEqual(Object.keys(json().check ?? {}).sort()));
});

test("terraform parses the HCL and finds it formatted (terraform fmt -check)", () => {
  // fmt parses every file without loading the provider; the GitHub workflow runs the same check.
  const r = spawnSync("terraform", ["fmt", "-check", "-recursive", path.join(hclOut, "stacks")], { encoding: "utf8", env: { ...process.env, CHECKPOINT_DISABLE: "1" } });
  if (r.error) throw new Error(`terraform is not on PATH: ${r.error.message}`);
  expect({ status: r.status, out: r.stdout + r.stderr.replace(/[\s\S]*Warning: Unable to open CLI configuration file[\s\S]*?╵\n*/, "") }).toEqual({ status: 0, out: "" });
});
