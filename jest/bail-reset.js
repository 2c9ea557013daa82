/**
 * globalSetup of mutation runs (stryker.config.mjs). A new run starts with no failed file
 * (jest/bail-jest-circus-runner.js), and with this runner process's shared stacks emptied: within
 * one mutant run the test files share each configuration's synthesized stack, as the unit tier does
 * (__tests__/helpers/synth.ts), and the next run has another mutant.
 */
const fs = require("fs");
const path = require("path");
const { ACTIVE_MUTANT, RECORD } = require("./file-coverage");

/** The folder of this process's current mutant run's stacks, in the project (Stryker's sandbox). */
const strykerSynthFolder = (rootDir) => path.join(rootDir, ".stryker-synth", String(process.pid));

module.exports = async (_globalConfig, projectConfig) => {
  process[Symbol.for("seed-k8s-infra.jest.runFailed")] = false;
  fs.rmSync(strykerSynthFolder(projectConfig.rootDir), { recursive: true, force: true });
  // A run without a mutant is Stryker's initial run: it records anew (jest/file-coverage.js).
  if (!process.env[ACTIVE_MUTANT]) fs.rmSync(path.join(projectConfig.rootDir, RECORD), { force: true });
};
module.exports.strykerSynthFolder = strykerSynthFolder;
