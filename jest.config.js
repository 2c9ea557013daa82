/** Type checking is done once by `tsc --noEmit` (npm run typecheck); ts-jest only transpiles. */
module.exports = {
  testEnvironment: "node",
  roots: ["<rootDir>/__tests__"],
  testMatch: ["**/*.test.ts"],
  // isolatedModules is set in tsconfig.json: ts-jest then only transpiles each file.
  transform: { "^.+\\.ts$": ["ts-jest", { diagnostics: false }] },
  setupFilesAfterEnv: ["<rootDir>/__tests__/setup.ts"],
  testTimeout: 120000,
  // Two workers on the 2-core machine: terraform and bash run in child processes, so the second worker is not idle time.
  maxWorkers: 2,
};
