/**
 * The size rules of docs/development.md: no source file over 500 lines, and no shell line over 120
 * characters (ESLint's max-len holds TypeScript and JavaScript to the same width; `npm run lint`).
 * The sources are the files git tracks (TypeScript, JavaScript, shell, Markdown, and .ci/run),
 * except what this repository does not author: the vendored add-ons (addons/), the upstream data
 * (data/), the user's spec (spec/), the golden stacks synth writes (__tests__/golden/) and build output.
 * And one rule of the tests: a test file that mocks a module does not share synthesized stacks.
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";

const ROOT = path.resolve(__dirname, "..");
const FILE_LINES_MAX = 500;
const SHELL_LINE_MAX = 120;
// Not authored here, or generated (untracked, but present where the files are listed without git).
const NOT_AUTHORED = ["addons/", "data/", "spec/", "__tests__/golden/", "cdktf.out/", "dist/", "reports/", ".gen/"];
const SHELL = (file: string) => file.endsWith(".sh") || file === ".ci/run";
const SOURCE = (file: string) => /\.(ts|js|cjs|mjs|md)$/.test(file) || SHELL(file);

/**
 * The files git tracks, relative to ROOT. Outside a checkout of its own (Stryker's sandbox copy
 * lies inside this one, ignored), the files under ROOT instead, but for node_modules and dot folders.
 */
function trackedFiles(): string[] {
  const top = spawnSync("git", ["rev-parse", "--show-toplevel"], { cwd: ROOT, encoding: "utf8" });
  if (top.status === 0 && path.resolve(top.stdout.trim()) === ROOT) {
    const listed = spawnSync("git", ["ls-files", "-z"], { cwd: ROOT, encoding: "utf8", maxBuffer: 64 << 20 });
    if (listed.status !== 0) throw new Error(`git ls-files failed: ${listed.stderr}`);
    // A file deleted in the work tree but not yet in the index is gone.
    return listed.stdout.split("\0").filter((f) => f && fs.existsSync(path.join(ROOT, f)));
  }
  const walk = (dir: string): string[] =>
    fs.readdirSync(path.join(ROOT, dir), { withFileTypes: true }).flatMap((e) => {
      const rel = dir ? `${dir}/${e.name}` : e.name;
      if (e.isDirectory())
        return e.name === "node_modules" || (e.name.startsWith(".") && rel !== ".ci") ? [] : walk(rel);
      return e.isFile() ? [rel] : [];
    });
  return walk("");
}

/** Lines as an editor numbers them: a final newline ends the last line, it does not start another. */
function linesOf(file: string): string[] {
  const text = fs.readFileSync(path.join(ROOT, file), "utf8");
  const lines = text.split("\n");
  return text.endsWith("\n") ? lines.slice(0, -1) : lines;
}

const sources = trackedFiles()
  .filter(SOURCE)
  .filter((f) => !NOT_AUTHORED.some((dir) => f.startsWith(dir)))
  .sort();

test("the sources checked include the app, the tests, the scripts, the node's shell scripts and the docs", () => {
  expect(sources).toEqual(
    expect.arrayContaining([
      "main.ts",
      "src/config.ts",
      "__tests__/harness/node.ts",
      "__tests__/harness/stubs.sh",
      "src/bootstrap/scripts/lib.sh",
      "scripts/system-tools.sh",
      ".ci/run",
      "README.md",
      "src/bootstrap/README.md",
    ]),
  );
  expect(sources.filter((f) => NOT_AUTHORED.some((dir) => f.startsWith(dir)))).toEqual([]);
});

test(`no source file is over ${FILE_LINES_MAX} lines`, () => {
  const long = sources
    .map((f) => ({ f, n: linesOf(f).length }))
    .filter(({ n }) => n > FILE_LINES_MAX)
    .map(({ f, n }) => `${f}: ${n} lines`);
  expect(long).toEqual([]);
});

test(`no shell line is over ${SHELL_LINE_MAX} characters`, () => {
  const shell = sources.filter(SHELL);
  expect(shell.length).toBeGreaterThan(20);
  const long = shell.flatMap((f) =>
    linesOf(f).flatMap((line, i) => {
      const n = [...line].length;
      return n > SHELL_LINE_MAX ? [`${f}:${i + 1}: ${n} characters`] : [];
    }),
  );
  expect(long).toEqual([]);
});

test("no test file that mocks a module reads the run's shared stacks (helpers/synth.ts)", () => {
  // A mocked module would change the stack that file synthesizes and shares with every other file.
  const tests = sources.filter((f) => f.startsWith("__tests__/") && f.endsWith(".test.ts"));
  expect(tests.length).toBeGreaterThan(40);
  const mocking = tests.filter((f) => {
    const text = fs.readFileSync(path.join(ROOT, f), "utf8");
    return /\bjest\.(mock|doMock|spyOn|replaceProperty)\(/.test(text) && /helpers\/synth"/.test(text);
  });
  expect(mocking).toEqual([]);
});
