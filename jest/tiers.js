/**
 * The two test tiers. unit: everything in-process (synth, rule plans, policies, rendering), run by
 * `npm test` and by the mutation tests. system: what needs real tools (terraform with the AWS
 * provider, the bootstrap scripts in bash against the stub harness, the CLI as a process,
 * cloud-init, shellcheck, systemd-analyze, yamllint), run by `npm run test:system`.
 * Type checking is done once by `tsc --noEmit` (npm run typecheck); ts-jest only transpiles.
 */
const path = require("path");
const rootDir = path.resolve(__dirname, "..");
const common = {
  rootDir,
  testEnvironment: "node",
  // isolatedModules is set in tsconfig.json: ts-jest then only transpiles each file.
  transform: { "^.+\\.ts$": ["ts-jest", { diagnostics: false }] },
  setupFilesAfterEnv: ["<rootDir>/__tests__/setup.ts"],
  // One synthesis per configuration and run, shared by the test files (jest/synth-cache.js).
  globalSetup: "<rootDir>/jest/synth-cache-setup.js",
  globalTeardown: "<rootDir>/jest/synth-cache-teardown.js",
  testMatch: ["**/*.test.ts"],
};
module.exports = {
  unit: {
    ...common,
    displayName: "unit",
    roots: ["<rootDir>/__tests__", "<rootDir>/src", "<rootDir>/tools"],
    testPathIgnorePatterns: ["/__tests__/system/"],
  },
  system: {
    ...common,
    displayName: "system",
    roots: ["<rootDir>/__tests__/system", "<rootDir>/src", "<rootDir>/tools"],
  },
};
