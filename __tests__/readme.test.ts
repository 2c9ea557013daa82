/** The README is the user's manual: its generated tables must match the code, and its commands exist. */
import * as fs from "fs";
import * as path from "path";
import { readmeSections, replaceSections } from "../src/docs";
import { configFieldPaths, resolveConfig } from "../src/config";

const readme = fs.readFileSync(path.resolve(__dirname, "../README.md"), "utf8");
const pkg = JSON.parse(fs.readFileSync(path.resolve(__dirname, "../package.json"), "utf8"));

test("generated sections are up to date (run npm run docs)", () => expect(replaceSections(readme, readmeSections())).toBe(readme));

test("the two fresh-clone command lines are there", () => {
  expect(readme).toContain("npm ci && npm run synth\nnpm test\n");
});

test("every `npm run X` the README mentions exists", () => {
  const used = [...readme.matchAll(/npm run ([a-z:]+)/g)].map((m) => m[1]);
  for (const script of new Set(used)) expect(Object.keys(pkg.scripts)).toContain(script);
});

test(".ci/run runs the README's test command after a clean install", () => {
  const ci = fs.readFileSync(path.resolve(__dirname, "../.ci/run"), "utf8");
  expect(ci).toMatch(/npm ci[\s\S]*npm run typecheck[\s\S]*npm test/);
});

test("every configuration field is in the README's configuration table", () => {
  const table = readme.slice(readme.indexOf("## Configuration (synth time)"), readme.indexOf("## Terraform variables"));
  const missing = configFieldPaths().filter((f) => !table.includes(`| \`${f}\``));
  expect(missing).toEqual([]);
});

test("the README's example cluster.config.json is a valid configuration", () => {
  const example = /Example `cluster\.config\.json`[\s\S]*?```json\n([\s\S]*?)```/.exec(readme)![1];
  expect(() => resolveConfig(JSON.parse(example))).not.toThrow();
});

test("cdktf synth and deploy run the same app command as npm run synth", () => {
  const cdktf = JSON.parse(fs.readFileSync(path.resolve(__dirname, "../cdktf.json"), "utf8"));
  expect(cdktf.app).toBe(pkg.scripts.synth);
});
