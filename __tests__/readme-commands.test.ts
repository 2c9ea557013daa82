/**
 * What the README offers a fresh clone: exactly its two command lines, each done in about a minute or
 * less on 2 cores. The system tier (2 minutes) is run by CI and described in docs/development.md.
 */
import * as fs from "fs";
import * as path from "path";

const read = (rel: string) => fs.readFileSync(path.join(__dirname, "..", rel), "utf8");
const readme = read("README.md");

test("the two fresh-clone command lines are there", () => {
  expect(readme).toContain("npm ci && npm run synth\nnpm test\n");
});

test("offers no test command beyond `npm test`: the minutes-long system tier is in docs/development.md", () => {
  expect(readme.match(/npm run test:[a-z]+/g)).toBeNull();
  expect(read("docs/development.md")).toContain("| `npm run test:system` |");
  expect(read(".ci/run")).toMatch(/npm run test:system/);
});
