/**
 * Entry point of `npm run synth` and `cdktf synth`: reads the configuration, builds both stacks,
 * checks them against AWS's rules, and only then writes the output folder (cdktf.out, or
 * CDKTF_OUTDIR), one line per stack on stdout. Bad input ends in one line per problem on stderr and
 * exit code 1; the stacks a failed synth would have written are removed, nothing new is written.
 */
import * as fs from "fs";
import { sha256 } from "./src/addons/vendored";
import { loadConfig } from "./src/config";
import { reportFailure } from "./src/errors";
import { outputDir, publishOutput, removeStaleOutput, stagingDir } from "./src/output";

const STACKS = ["cluster", "state-bucket"] as const;

async function main(): Promise<void> {
  const target = outputDir();
  let staging: string | undefined;
  try {
    const config = loadConfig();
    // Loaded after the configuration is valid: bad input fails fast, without the provider bindings.
    const { buildApp, synthesize } = await import("./src/app");
    const { failIfAwsWouldReject, warningsOf } = await import("./src/analysis/check-app");
    staging = stagingDir();
    const built = buildApp(config, staging);
    const rendered = failIfAwsWouldReject(built.app);
    synthesize(built, rendered);
    const record = {
      configurationSha256: sha256(JSON.stringify(config)),
      stacksSha256: sha256(JSON.stringify([...rendered].sort(([a], [b]) => a.localeCompare(b)))),
    };
    for (const line of publishOutput(staging, target, STACKS, record)) process.stdout.write(`${line}\n`);
    for (const line of [...config.warnings.map((w) => `warning: ${w}`), ...warningsOf(built.app)])
      process.stderr.write(`${line}\n`);
  } catch (e) {
    removeStaleOutput(target, STACKS);
    throw e;
  } finally {
    if (staging) fs.rmSync(staging, { recursive: true, force: true });
  }
}

main().catch((e) => {
  process.exitCode = reportFailure(e);
});
