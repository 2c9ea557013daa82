/**
 * `npm run bench`: times the README's commands over several runs and prints medians and peak
 * memory (the largest single process). Targets on a 2-core machine: synth <= 1.5 s and 250 MB,
 * the test suite <= 15 s. BENCH_RUNS (default 5) and BENCH_TEST_RUNS (default 3) set the runs.
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

const ROOT = path.resolve(__dirname, "..");
const PROBE = path.join(__dirname, "rss-probe.cjs");

interface Sample {
  readonly seconds: number;
  readonly peakMb: number;
}

function measure(cmd: string, args: string[]): Sample {
  const rssFile = path.join(os.tmpdir(), `bench-rss-${process.pid}-${Date.now()}`);
  const started = process.hrtime.bigint();
  const r = spawnSync(cmd, args, {
    cwd: ROOT,
    stdio: ["ignore", "ignore", "pipe"],
    encoding: "utf8",
    env: { ...process.env, CHECKPOINT_DISABLE: "1", BENCH_RSS_FILE: rssFile, NODE_OPTIONS: `--require ${PROBE}` },
  });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(" ")} failed:\n${r.stderr}`);
  const kb = fs.existsSync(rssFile)
    ? fs
        .readFileSync(rssFile, "utf8")
        .trim()
        .split("\n")
        .map((l) => Number(l.split(" ")[1]))
    : [0];
  fs.rmSync(rssFile, { force: true });
  return { seconds, peakMb: Math.max(...kb) / 1024 };
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

function bench(name: string, runs: number, cmd: string, args: string[], targetS: number, targetMb?: number): string {
  const samples = Array.from({ length: runs }, () => measure(cmd, args));
  const wall = median(samples.map((s) => s.seconds));
  const mem = Math.max(...samples.map((s) => s.peakMb));
  const verdict = wall <= targetS && (targetMb === undefined || mem <= targetMb) ? "within target" : "OVER TARGET";
  const target = `target <= ${targetS} s${targetMb ? `, <= ${targetMb} MB` : ""}`;
  return (
    `${name.padEnd(34)} median ${wall.toFixed(2).padStart(6)} s  ` +
    `(min ${Math.min(...samples.map((s) => s.seconds)).toFixed(2)}, ` +
    `max ${Math.max(...samples.map((s) => s.seconds)).toFixed(2)}, ${runs} runs)  ` +
    `peak ${mem.toFixed(0).padStart(4)} MB  ${target}: ${verdict}`
  );
}

const runs = Number(process.env.BENCH_RUNS ?? 5);
const testRuns = Number(process.env.BENCH_TEST_RUNS ?? 3);
console.log(`node ${process.version}, ${os.cpus().length} cores, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB`);
console.log(bench("npm run synth", runs, "npm", ["run", "--silent", "synth"], 1.5, 250));
console.log(bench("node dist/main.js (bundled app)", runs, process.execPath, ["dist/main.js"], 1.5, 250));
console.log(bench("npm test", testRuns, "npm", ["test", "--silent"], 15));
