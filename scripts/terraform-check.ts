/**
 * `npm run tf:check`: the offline terraform init / validate / test plan of every stack in
 * cdktf.out (run `npm run synth` first). Exits 1 with terraform's output on any failure.
 */
import * as fs from "fs";
import * as path from "path";
import { loadConfig } from "../src/config";
import { checkStackOffline } from "../src/analysis/terraform-check";
import { reportFailure } from "../src/errors";

async function main(): Promise<void> {
  const config = loadConfig();
  const stacksDir = path.resolve(process.env.CDKTF_OUTDIR ?? "cdktf.out", "stacks");
  if (!fs.existsSync(stacksDir)) throw new Error(`${stacksDir} does not exist: run npm run synth first`);
  for (const stack of fs.readdirSync(stacksDir).sort()) {
    const region = stack === "state-bucket" ? config.state.region : config.region;
    const started = Date.now();
    const r = await checkStackOffline(path.join(stacksDir, stack), region);
    const summary = r.test.trim().split("\n").pop();
    console.log(`${stack}: terraform validate ok, test plan: ${summary} (${((Date.now() - started) / 1000).toFixed(1)} s)`);
  }
}

main().catch((e) => {
  process.exitCode = reportFailure(e, "terraform check");
});
