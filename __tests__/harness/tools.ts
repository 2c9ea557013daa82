/**
 * External tools the bootstrap tests run. A missing tool fails the test with one line that says
 * what to install; it never skips, so a CI without the tool cannot pass by accident.
 */
import { spawnSync, SpawnSyncReturns } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

export const TOOLS = {
  "cloud-init": "cloud-init",
  shellcheck: "shellcheck",
  bash: "bash",
  yamllint: "yamllint",
  "systemd-analyze": "systemd",
  // Real on the node (Ubuntu's image) and in the harness: the control-plane scripts make keys with it.
  openssl: "openssl",
} as const;

// Each tool is probed once per test file, not before every run (cloud-init's start-up is slow).
const present = new Set<string>();

export function requireTool(tool: keyof typeof TOOLS): void {
  if (present.has(tool)) return;
  const r = spawnSync(tool, ["--version"], { encoding: "utf8" });
  if (r.error) {
    throw new Error(
      `${tool} is not installed (${(r.error as NodeJS.ErrnoException).code}): ` +
        `run 'apt-get install -y ${TOOLS[tool]}' (CI must install it)`,
    );
  }
  present.add(tool);
}

/**
 * How long one process of a system test may run before it is killed: only to end a hang, and the
 * only bound on a test blocked in spawnSync (jest's test timeout cannot fire while the event loop
 * waits). A script run takes a second or two on an idle 2-core machine and has taken over a minute
 * on a loaded one.
 */
export const PROCESS_TIMEOUT_MS = 150_000;

export function run(tool: keyof typeof TOOLS, args: readonly string[], input?: string): SpawnSyncReturns<string> {
  requireTool(tool);
  return spawnSync(tool, args, { encoding: "utf8", input, timeout: PROCESS_TIMEOUT_MS });
}

/**
 * Runs `tool` on `text` saved as a scratch file called `name` (args gets the file's path), then
 * removes the scratch folder. The result carries the path, which some tools echo back.
 */
export function runOnText(
  tool: keyof typeof TOOLS,
  name: string,
  text: string,
  args: (file: string) => readonly string[],
): SpawnSyncReturns<string> & { file: string } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `${tool}-`));
  try {
    const file = path.join(dir, name);
    fs.writeFileSync(file, text);
    return { ...run(tool, args(file)), file };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
