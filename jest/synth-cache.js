/**
 * globalSetup and globalTeardown of `npm test` and `npm run test:system`: one folder per run in which
 * __tests__/helpers/synth.ts keeps each configuration's synthesized cluster stack, so that a stack
 * is synthesized once per run however many test files read it (17 files read the default one).
 * The folder is made empty at the start of every run and removed at its end: a run never reads a
 * stack synthesized from another run's source. Mutation runs (stryker.config.mjs) have neither
 * hook, so every mutant's stacks are synthesized from the mutated source.
 */
const fs = require("fs");
const os = require("os");
const path = require("path");

const ENV = "SEED_K8S_SYNTH_CACHE";

async function setup() {
  process.env[ENV] = fs.mkdtempSync(path.join(os.tmpdir(), "seed-k8s-synth-"));
}

async function teardown() {
  const dir = process.env[ENV];
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
  delete process.env[ENV];
}

module.exports = { setup, teardown, ENV };
