/**
 * Entry point of `npm run synth` and `cdktf synth`: reads the configuration, builds both stacks,
 * checks them against AWS's rules, and only then writes cdktf.out/. Any bad input ends in one
 * line on stderr and exit code 1, with nothing written.
 */
import { loadConfig } from "./src/config";
import { buildApp } from "./src/app";
import { failIfAwsWouldReject } from "./src/analysis/check-app";
import { reportFailure } from "./src/errors";

try {
  const config = loadConfig();
  const built = buildApp(config);
  failIfAwsWouldReject(built.app);
  built.app.synth();
} catch (e) {
  process.exitCode = reportFailure(e);
}
