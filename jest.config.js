/** `npm test`: the unit tier; `npm run test:system`: the system tier; `npm run test:all`: both (jest/tiers.js). */
const { unit, system } = require("./jest/tiers");
module.exports = {
  testTimeout: 180000,
  // Two workers on the 2-core machine: terraform and bash run in child processes,
  // so the second worker is not idle time.
  maxWorkers: 2,
  projects: [unit, system],
  // As `npm run test:system` (jest/system.config.js): the plan files first, and progress lines.
  testSequencer: "<rootDir>/jest/system-sequencer.js",
  reporters: ["default", "<rootDir>/jest/progress-reporter.js"],
};
