/**
 * External tools the bootstrap tests run. A missing tool fails the test with one line that says
 * what to install; it never skips, so a CI without the tool cannot pass by accident.
 */
import { spawnSync, SpawnSyncReturns } from "child_process";

export const TOOLS = {
  "cloud-init": "cloud-init",
  shellcheck: "shellcheck",
  bash: "bash",
} as const;

export function requireTool(tool: keyof typeof TOOLS): void {
  const r = spawnSync(tool, ["--version"], { encoding: "utf8" });
  if (r.error) {
    throw new Error(`${tool} is not installed (${(r.error as NodeJS.ErrnoException).code}): run 'apt-get install -y ${TOOLS[tool]}' (CI must install it)`);
  }
}

export function run(tool: keyof typeof TOOLS, args: readonly string[], input?: string): SpawnSyncReturns<string> {
  requireTool(tool);
  return spawnSync(tool, args, { encoding: "utf8", input, timeout: 60_000 });
}
