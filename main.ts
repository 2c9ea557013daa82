/**
 * Entry point of `npm run synth` and `cdktf synth`: reads the configuration, builds both stacks,
 * checks them against AWS's rules, and only then writes cdktf.out/. Any bad input ends in one
 * line on stderr and exit code 1, with nothing written.
 */
import { loadConfig } from "./src/config";
import { reportFailure } from "./src/errors";

async function main(): Promise<void> {
  const config = loadConfig();
  // Loaded after the configuration is valid: bad input fails fast, without the provider bindings.
  const { buildApp, synthesize } = await import("./src/app");
  const { failIfAwsWouldReject, warningsOf } = await import("./src/analysis/check-app");
  const built = buildApp(config);
  const rendered = failIfAwsWouldReject(built.app);
  synthesize(built, rendered);
  for (const line of [...config.warnings.map((w) => `warning: ${w}`), ...warningsOf(built.app)]) process.stderr.write(`${line}\n`);
}

main().catch((e) => {
  process.exitCode = reportFailure(e);
});
