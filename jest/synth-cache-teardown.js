/** globalTeardown: see jest/synth-cache.js. */
module.exports = require("./synth-cache").teardown;
