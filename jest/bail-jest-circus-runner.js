/**
 * jest-circus, stopping at the first failing test file: for mutation runs only (stryker.config.mjs).
 * Jest cannot bail when it is run programmatically, as Stryker runs it (jestjs/jest#11766), so a
 * mutant that a test already killed would still run the whole unit tier. Once a file fails, the
 * files after it in this run are reported as pending without being loaded; jest/bail-reset.js
 * clears the mark at the start of every run.
 */
const circus = require("jest-circus/runner");
const { createEmptyTestResult } = require("@jest/test-result");
const fileCoverage = require("./file-coverage");

const FAILED = Symbol.for("seed-k8s-infra.jest.runFailed");

module.exports = async function bailingCircus(globalConfig, config, environment, runtime, testPath, sendMessageToJest) {
  if (process[FAILED]) {
    // One pending entry: jest refuses a file result with no test at all.
    const title = "not run: an earlier test file of this run failed";
    const pending = {
      ancestorTitles: [],
      duration: 0,
      failureDetails: [],
      failureMessages: [],
      fullName: title,
      location: null,
      numPassingAsserts: 0,
      status: "pending",
      title,
    };
    return { ...createEmptyTestResult(), testFilePath: testPath, numPendingTests: 1, testResults: [pending] };
  }
  // Stryker's initial run (no mutant active): note which mutants this file executes (jest/file-coverage.js).
  const stryker = environment.global[environment.global.__strykerGlobalNamespace__ ?? "__stryker__"];
  const initial = stryker && !process.env[fileCoverage.ACTIVE_MUTANT];
  const before = initial && fileCoverage.totals(stryker.mutantCoverage);
  const result = await circus(globalConfig, config, environment, runtime, testPath, sendMessageToJest);
  if (initial)
    fileCoverage.record(
      config.rootDir,
      testPath,
      fileCoverage.raised(before, fileCoverage.totals(stryker.mutantCoverage)),
    );
  if (result.numFailingTests > 0 || result.testExecError) {
    process[FAILED] = true;
    fileCoverage.killedBy(testPath);
  }
  return result;
};
