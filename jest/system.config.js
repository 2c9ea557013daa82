/**
 * `npm run test:system`: the system tier alone (jest/tiers.js); `-- <file> -t <name>` narrows it as
 * usual. Its tests run bash, terraform and openssl hundreds of times. The terraform plans start first
 * (jest/system-sequencer.js) and set their own time limit (15 minutes); other tests wait on their
 * child processes synchronously, where jest's timeout cannot stop them: each such process is killed
 * after 2.5 minutes (PROCESS_TIMEOUT_MS, __tests__/harness/tools.ts) and the test fails naming it.
 * jest/progress-reporter.js prints which test runs while nothing else is printed.
 */
const { system } = require("./tiers");
const { maxWorkers } = require("../jest.config");
module.exports = {
  ...system,
  maxWorkers,
  testTimeout: 180000,
  testSequencer: "<rootDir>/jest/system-sequencer.js",
  reporters: ["default", "<rootDir>/jest/progress-reporter.js"],
};
