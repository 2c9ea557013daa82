// Mutation testing (Stryker): `npm run mutation` breaks src/ and tools/ one point at a time and runs
// the unit tier against each mutant; `npm run mutation:score` prints the score per folder.
// Incremental: a re-run only tests mutants in code or tests changed since
// reports/stryker-incremental.json.
import { createRequire } from "module";
const require = createRequire(import.meta.url);
// The unit tier, rooted in Stryker's sandbox copy of the project rather than here.
const { rootDir: _here, ...unit } = require("./jest/tiers.js").unit;

/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  testRunner: "jest",
  jest: {
    projectType: "custom",
    config: {
      ...unit,
      testTimeout: 120000,
      // Broad, fast tests first, and stop at the first failing file (jest cannot bail programmatically).
      testSequencer: "<rootDir>/jest/fast-first-sequencer.js",
      testRunner: "<rootDir>/jest/bail-jest-circus-runner.js",
      globalSetup: "<rootDir>/jest/bail-reset.js",
      // Not the unit tier's shared stacks (jest/synth-cache.js): every mutant synthesizes its own.
      globalTeardown: undefined,
    },
    enableFindRelatedTests: true,
  },
  coverageAnalysis: "perTest",
  // The app (src/) and the developer tools the tests check (tools/), not the generated-docs renderers.
  mutate: ["src/**/*.ts", "tools/**/*.ts", "!tools/docs.ts", "!src/markdown.ts"],
  ignorePatterns: ["cdktf.out", "dist", "reports", ".stryker-tmp", "node_modules", ".gen"],
  incremental: true,
  incrementalFile: "reports/stryker-incremental.json",
  reporters: ["progress", "json", "clear-text"],
  jsonReporter: { fileName: "reports/mutation/mutation.json" },
  concurrency: 2,
  // As for the unit tier (package.json "test"): code that runs once per fresh module registry does not
  // pay back TurboFan's compile time (dry run 70 s -> 64 s on 2 cores).
  testRunnerNodeArgs: ["--no-turbofan", "--max-semi-space-size=64"],
  timeoutMS: 30000,
  thresholds: { high: 90, low: 85, break: null },
  tempDirName: ".stryker-tmp",
  cleanTempDir: true,
};
