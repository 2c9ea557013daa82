/**
 * Two tiers. `npm test` runs the unit tier: everything in-process (synth, plans of rules, policies,
 * rendering), for fast feedback. `npm run test:system` runs what needs real tools: terraform plans
 * with the AWS provider, the bootstrap scripts in bash against the stub harness, the CLI as a
 * process, cloud-init, shellcheck, systemd-analyze and yamllint. `.ci/run` runs both.
 * Type checking is done once by `tsc --noEmit` (npm run typecheck); ts-jest only transpiles.
 */
const common = {
  testEnvironment: "node",
  // isolatedModules is set in tsconfig.json: ts-jest then only transpiles each file.
  transform: { "^.+\\.ts$": ["ts-jest", { diagnostics: false }] },
  setupFilesAfterEnv: ["<rootDir>/__tests__/setup.ts"],
};
module.exports = {
  testTimeout: 120000,
  // Two workers on the 2-core machine: terraform and bash run in child processes, so the second worker is not idle time.
  maxWorkers: 2,
  projects: [
    { ...common, displayName: "unit", roots: ["<rootDir>/__tests__"], testMatch: ["**/*.test.ts"], testPathIgnorePatterns: ["/__tests__/system/"] },
    { ...common, displayName: "system", roots: ["<rootDir>/__tests__/system"], testMatch: ["**/*.test.ts"] },
  ],
};
