/**
 * Which test files execute which mutant, for mutation runs only (stryker.config.mjs).
 *
 * Stryker knows coverage per test, but code that runs while a test file loads (our tests synthesize
 * stacks at load) is "static" to it: for such a mutant it runs every test file. During Stryker's
 * initial run (no active mutant) jest/bail-jest-circus-runner.js records, per test file, the mutants
 * whose coverage counters that file raised (at load or in a test). For a mutant, jest/fast-first-
 * sequencer.js then runs only the files that executed it. A file that never executed a mutant's code
 * runs the same with or without it: each test file has its own module registry, and what passes
 * between files (the stacks of one mutant run, __tests__/helpers/synth.ts) was made with the same
 * mutant. Code a file reaches only through a child process (a CLI run under tsx) is not counted for
 * it, so such a mutant can survive here where the whole tier would kill it, never the reverse. A
 * mutant not in the record (or no record at all) runs every file.
 */
const fs = require("fs");
const path = require("path");

const RECORD = ".stryker-file-coverage.json";
const ACTIVE_MUTANT = "__STRYKER_ACTIVE_MUTANT__";

/** Every mutant's coverage count, static and per test added up. */
function totals(coverage) {
  const sum = new Map();
  const add = (counts) => {
    for (const [id, n] of Object.entries(counts ?? {})) sum.set(id, (sum.get(id) ?? 0) + n);
  };
  add(coverage?.static);
  for (const counts of Object.values(coverage?.perTest ?? {})) add(counts);
  return sum;
}

/** The mutants whose count rose from `before` to `after`. */
function raised(before, after) {
  return [...after].filter(([id, n]) => n > (before.get(id) ?? 0)).map(([id]) => id);
}

const recorded = {};

/** Adds a test file's mutants to the record in rootDir (the initial run is one process, file by file). */
function record(rootDir, testPath, mutants) {
  recorded[path.relative(rootDir, testPath)] = mutants;
  fs.writeFileSync(path.join(rootDir, RECORD), JSON.stringify(recorded));
}

let byMutant;

/** The test files (relative to rootDir) that executed `mutant` in the initial run, or undefined if not known. */
function filesExecuting(rootDir, mutant) {
  if (!byMutant) {
    const file = path.join(rootDir, RECORD);
    if (!fs.existsSync(file)) return undefined;
    byMutant = new Map();
    for (const [testFile, mutants] of Object.entries(JSON.parse(fs.readFileSync(file, "utf8"))))
      for (const id of mutants) byMutant.set(id, [...(byMutant.get(id) ?? []), testFile]);
  }
  return byMutant.get(mutant);
}

const KILLERS = Symbol.for("seed-k8s-infra.jest.recentKillers");

/**
 * The test files that failed in this process's latest mutant runs, most recent first (at most 8).
 * Stryker hands out mutants in source order, so the file that failed for the last mutant is the
 * likeliest to fail for the next one; the sequencer runs these first.
 */
function recentKillers() {
  return process[KILLERS] ?? [];
}

function killedBy(testPath) {
  process[KILLERS] = [testPath, ...recentKillers().filter((p) => p !== testPath)].slice(0, 8);
}

module.exports = { ACTIVE_MUTANT, RECORD, totals, raised, record, filesExecuting, recentKillers, killedBy };
