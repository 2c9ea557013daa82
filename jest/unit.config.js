/** `npm test`: the unit tier alone (jest/tiers.js); `npm test -- <file> -t <name>` narrows it as usual. */
const { unit } = require("./tiers");
const { maxWorkers, testTimeout } = require("../jest.config");
module.exports = { ...unit, maxWorkers, testTimeout };
