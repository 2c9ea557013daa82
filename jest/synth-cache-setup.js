/** globalSetup: see jest/synth-cache.js. */
module.exports = require("./synth-cache").setup;
