/**
 * Copies of booted nodes (nodeRunner in boot.ts): a node's folder as its first boot left it, laid
 * out again in a folder of its own.
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import type { RunResult } from "./node";

/**
 * A node's folder copied right after its first boot (dir), the folder it was copied from (base), and
 * that boot's result. A node started from it is that node as it booted, in a folder of its own.
 */
export interface BootedNode {
  readonly dir: string;
  readonly base: string;
  readonly first: RunResult;
}

/** cp -a: files with their modes, symlinks as links (the stub's names link to "stub"). */
export function copyTree(from: string, to: string) {
  const r = spawnSync("cp", ["-a", `${from}/.`, to], { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`harness: cannot copy ${from} to ${to}: ${r.stderr || r.error?.message}`);
}

/**
 * Lays out a booted node's copy at base. What its scripts and stubs wrote that names the first
 * node's folder (the calls' temporary files, absolute symlinks) names this one instead.
 */
export function copyNode(booted: BootedNode, base: string) {
  copyTree(booted.dir, base);
  const walk = (d: string): void => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.isSymbolicLink()) {
        const target = fs.readlinkSync(p);
        if (target.includes(booted.base)) {
          fs.unlinkSync(p);
          fs.symlinkSync(target.split(booted.base).join(base), p);
        }
      } else {
        const text = fs.readFileSync(p, "latin1");
        if (text.includes(booted.base)) fs.writeFileSync(p, text.split(booted.base).join(base), "latin1");
      }
    }
  };
  walk(base);
}
