/**
 * Test order for the system tier: the terraform plans first, then jest's own order (the slowest
 * first by the last run's timings; without them, as in a fresh clone, the largest file first).
 * A plan file is one long test: started last, it would run alone while the other worker idles.
 */
const Sequencer = require("@jest/test-sequencer").default;
const path = require("path");

const planFirst = (t) => (path.basename(t.path).startsWith("terraform-plan") ? 0 : 1);

class SystemSequencer extends Sequencer {
  sort(tests) {
    const ordered = super.sort(tests);
    return ordered
      .map((t, i) => [t, i])
      .sort(([a, i], [b, j]) => planFirst(a) - planFirst(b) || i - j)
      .map(([t]) => t);
  }
}

module.exports = SystemSequencer;
