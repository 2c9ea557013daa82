import { execFileSync, spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

export const ROOT = path.resolve(__dirname, "../..");
/** The app as `npm run synth` runs it: bundled by esbuild into dist/main.js (built once per test file). */
let bundled: string | undefined;
export function bundle(): string {
  if (!bundled) {
    const out = path.join(ROOT, "dist", "main.js");
    execFileSync(path.join(ROOT, "node_modules/.bin/esbuild"), ["main.ts", "--bundle", "--platform=node", "--target=node20", "--packages=external", `--outfile=${out}`, "--log-level=warning"], { cwd: ROOT });
    bundled = out;
  }
  return bundled;
}

export interface RunResult {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly cwd: string;
}

/** Runs `npm run synth`'s command (node on the bundled main.ts) in a fresh folder, with an optional config file. */
export function runSynth(config?: unknown, env: NodeJS.ProcessEnv = {}): RunResult {
  const cwd = fs.mkdtempSync(path.join(os.tmpdir(), "synth-"));
  if (config !== undefined)
    fs.writeFileSync(path.join(cwd, "cluster.config.json"), typeof config === "string" ? config : JSON.stringify(config));
  const r = spawnSync(process.execPath, [bundle()], {
    cwd,
    env: { ...process.env, CHECKPOINT_DISABLE: "1", CLUSTER_CONFIG: "", ...env },
    encoding: "utf8",
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr, cwd };
}
