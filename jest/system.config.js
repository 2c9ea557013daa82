/** `npm run test:system`: the system tier alone (jest/tiers.js); `-- <file> -t <name>` narrows it as usual. */
const { system } = require("./tiers");
const { maxWorkers, testTimeout } = require("../jest.config");
module.exports = { ...system, maxWorkers, testTimeout };
