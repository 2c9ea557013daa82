/**
 * `npm run test:system`: the system tier alone (jest/tiers.js); `-- <file> -t <name>` narrows it as
 * usual. Its tests run bash, terraform and openssl hundreds of times: on a loaded 2-core machine one
 * harness test has taken minutes, so a test fails on time only after 10 minutes (a hung script still
 * fails). The terraform plans start first (jest/system-sequencer.js), and jest/progress-reporter.js
 * prints which files run while nothing else is printed.
 */
const { system } = require("./tiers");
const { maxWorkers } = require("../jest.config");
module.exports = {
  ...system,
  maxWorkers,
  testTimeout: 600000,
  testSequencer: "<rootDir>/jest/system-sequencer.js",
  reporters: ["default", "<rootDir>/jest/progress-reporter.js"],
};
