/** The README is the user's manual: its generated tables must match the code, and its commands exist. */
import * as fs from "fs";
import * as path from "path";
import { readmeSections, replaceSections } from "../src/docs";

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
