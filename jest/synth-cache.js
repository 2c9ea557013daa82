/**
 * globalSetup and globalTeardown of `npm test` and `npm run test:system` (jest/tiers.js): one folder
 * per jest run in which __tests__/helpers/synth.ts keeps each configuration's synthesized cluster
 * stack, so that a stack is synthesized once per run however many test files read it (17 files
 * read the default one). The folder is new and empty at the start of every run and removed at its
 * end: a run never reads a stack synthesized from another run's source. Mutation runs
 * (stryker.config.mjs) set neither hook, and the helper ignores the folder under Stryker anyway,
 * so every mutant's stacks are synthesized from the mutated source.
 */
const fs = require("fs");
const os = require("os");
const path = require("path");

const ENV = "SEED_K8S_SYNTH_CACHE";
const PREFIX = "seed-k8s-synth-";
/** Folders of runs that ended without their teardown (interrupted) are removed after a day. */
const STALE_MS = 24 * 3600 * 1000;

/** The folder this process's setup made: the only one its teardown removes. */
let made;

async function setup() {
  const tmp = os.tmpdir();
  for (const name of fs.readdirSync(tmp).filter((n) => n.startsWith(PREFIX))) {
    const dir = path.join(tmp, name);
    try {
      if (Date.now() - fs.statSync(dir).mtimeMs > STALE_MS) fs.rmSync(dir, { recursive: true, force: true });
    } catch {
      // Another run removed it first.
    }
  }
  made = fs.mkdtempSync(path.join(tmp, PREFIX));
  process.env[ENV] = made;
}

async function teardown() {
  if (made) fs.rmSync(made, { recursive: true, force: true });
  made = undefined;
  delete process.env[ENV];
}

module.exports = { setup, teardown, ENV };
