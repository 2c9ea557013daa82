import { execSync, spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { PROCESS_TIMEOUT_MS } from "../harness/tools";

export const ROOT = path.resolve(__dirname, "../..");
/**
 * The app as `npm run synth` runs it: the bundle step of package.json's synth script (esbuild into
 * dist/main.js), run once per test file; the tests then start `node dist/main.js` themselves.
 */
let bundled: string | undefined;
export function bundle(): string {
  if (!bundled) {
    const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8"));
    const [build, runApp] = (pkg.scripts.synth as string).split(" && ");
    if (runApp !== "node dist/main.js")
      throw new Error(`package.json's synth script changed shape: ${pkg.scripts.synth}`);
    execSync(build, {
      cwd: ROOT,
      env: { ...process.env, PATH: `${path.join(ROOT, "node_modules/.bin")}${path.delimiter}${process.env.PATH}` },
    });
    bundled = path.join(ROOT, "dist", "main.js");
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
export function runSynth(config?: unknown, env: NodeJS.ProcessEnv = {}, inFolder?: string): RunResult {
  const cwd = inFolder ?? fs.mkdtempSync(path.join(os.tmpdir(), "synth-"));
  if (config !== undefined)
    fs.writeFileSync(
      path.join(cwd, "cluster.config.json"),
      typeof config === "string" ? config : JSON.stringify(config),
    );
  const r = spawnSync(process.execPath, [bundle()], {
    cwd,
    env: { ...process.env, CHECKPOINT_DISABLE: "1", CLUSTER_CONFIG: "", ...env },
    encoding: "utf8",
    timeout: PROCESS_TIMEOUT_MS,
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr, cwd };
}
