import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { pathToFileURL } from "url";

export const ROOT = path.resolve(__dirname, "../..");
/** tsx's loader by absolute URL, so the run works from any folder. */
export const TSX = pathToFileURL(path.join(ROOT, "node_modules/tsx/dist/loader.mjs")).href;

export interface RunResult {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly cwd: string;
}

/** Runs `npm run synth`'s command (node + tsx on main.ts) in a fresh folder, with an optional config file. */
export function runSynth(config?: unknown, env: NodeJS.ProcessEnv = {}): RunResult {
  const cwd = fs.mkdtempSync(path.join(os.tmpdir(), "synth-"));
  if (config !== undefined)
    fs.writeFileSync(path.join(cwd, "cluster.config.json"), typeof config === "string" ? config : JSON.stringify(config));
  const r = spawnSync(process.execPath, ["--import", TSX, path.join(ROOT, "main.ts")], {
    cwd,
    env: { ...process.env, CHECKPOINT_DISABLE: "1", CLUSTER_CONFIG: "", ...env },
    encoding: "utf8",
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr, cwd };
}
