/**
 * `npm run tf:check`: the offline terraform init / validate / test plan of every stack in
 * cdktf.out (run `npm run synth` first). Exits 1 with terraform's output on any failure.
 */
import * as fs from "fs";
import * as path from "path";
import { loadConfig } from "../src/config";
import { checkStackOffline } from "../tools/terraform-check";
import { reportFailure } from "../src/errors";

async function main(): Promise<void> {
  const config = loadConfig();
  const stacksDir = path.resolve(process.env.CDKTF_OUTDIR ?? "cdktf.out", "stacks");
  if (!fs.existsSync(stacksDir)) throw new Error(`${stacksDir} does not exist: run npm run synth first`);
  // JSON stacks get validate and a test plan; HCL stacks (npm run synth:hcl), if present, validate.
  const hclDir = path.join(path.dirname(stacksDir), "hcl", "stacks");
  const dirs = [stacksDir, ...(fs.existsSync(hclDir) ? [hclDir] : [])];
  for (const dir of dirs)
    for (const stack of fs.readdirSync(dir).sort()) {
      const region = stack === "state-bucket" ? config.state.region : config.region;
      const started = Date.now();
      const r = await checkStackOffline(path.join(dir, stack), region);
      const summary = r.test.trim().split("\n").pop();
      const label = dir === hclDir ? `${stack} (HCL)` : stack;
      console.log(`${label}: terraform validate ok, ${summary} (${((Date.now() - started) / 1000).toFixed(1)} s)`);
    }
}

main().catch((e) => {
  process.exitCode = reportFailure(e, "terraform check");
});
