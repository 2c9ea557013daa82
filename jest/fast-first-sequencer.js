/**
 * Test order for mutation runs: the files that failed for this process's latest mutants (most
 * recent first), the broad, fast checks (the golden stacks, the spec document), then the rest
 * smallest file first. Stryker stops a mutant at its first failing test file, so a mutant that
 * changes the output dies in seconds instead of after the whole tier.
 * With a mutant active, only the test files that executed it in Stryker's initial run
 * (jest/file-coverage.js).
 */
const Sequencer = require("@jest/test-sequencer").default;
const fs = require("fs");
const path = require("path");
const { ACTIVE_MUTANT, filesExecuting, recentKillers } = require("./file-coverage");

const FIRST = ["golden.test.ts", "spec-document.test.ts"];

class FastFirstSequencer extends Sequencer {
  sort(tests) {
    const killers = recentKillers();
    const rank = (t) => {
      const k = killers.indexOf(t.path);
      if (k !== -1) return k;
      const i = FIRST.findIndex((f) => t.path.endsWith(`/${f}`));
      return killers.length + (i === -1 ? FIRST.length : i);
    };
    const size = (t) => fs.statSync(t.path).size;
    const mutant = process.env[ACTIVE_MUTANT];
    const files = mutant && tests.length && filesExecuting(tests[0].context.config.rootDir, mutant);
    const executing = files && tests.filter((t) => files.includes(path.relative(t.context.config.rootDir, t.path)));
    if (executing?.length) tests = executing;
    return [...tests].sort((a, b) => rank(a) - rank(b) || size(a) - size(b));
  }
}

module.exports = FastFirstSequencer;
