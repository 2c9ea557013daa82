/**
 * `npm run mutation:score`: the mutation score per folder from Stryker's JSON reports
 * (reports/mutation/*.json: mutation.json from `npm run mutation`, and any report of a run over
 * part of src/ saved beside it; for a file in several reports the newest counts). Score = killed
 * (and timed out) over all mutants that ran; mutants no test covers count as survivors; run errors
 * are left out, as in Stryker's own score.
 */
import * as fs from "fs";
import * as path from "path";

const REPORTS = path.resolve(__dirname, "../reports/mutation");
/** The folders and files whose score the project holds at 85% or more. */
export const HELD_AT_85 = [
  "src/spec",
  "src/aws",
  "src/constructs",
  "src/config.ts",
  // What src/config.ts held before it was split: the schema and the cross-field checks.
  "src/validation/config-schema.ts",
  "src/validation/config-checks.ts",
  "src/analysis/aws-rules.ts",
  "src/analysis/security-group-rules.ts",
];

interface Report {
  files: Record<string, { mutants: { status: string }[] }>;
}

// As Stryker scores: mutants that failed to compile or crashed the run are left out.
const KILLED = new Set(["Killed", "Timeout"]);
const COUNTED = new Set(["Killed", "Timeout", "Survived", "NoCoverage"]);

function groupOf(file: string): string {
  const held = HELD_AT_85.find((g) => file === g || file.startsWith(`${g}/`));
  return held ?? path.dirname(file);
}

function main(): void {
  const reports = fs.existsSync(REPORTS)
    ? fs
        .readdirSync(REPORTS)
        .filter((f) => f.endsWith(".json"))
        .map((f) => path.join(REPORTS, f))
    : [];
  if (reports.length === 0) {
    process.stderr.write(
      `no mutation report in ${path.relative(process.cwd(), REPORTS)}: run npm run mutation first\n`,
    );
    process.exitCode = 1;
    return;
  }
  // Newest report last, so its files replace older results for the same files.
  reports.sort((a, b) => fs.statSync(a).mtimeMs - fs.statSync(b).mtimeMs);
  const files: Report["files"] = {};
  for (const r of reports) Object.assign(files, (JSON.parse(fs.readFileSync(r, "utf8")) as Report).files);
  const groups = new Map<string, { killed: number; total: number }>();
  for (const [file, { mutants }] of Object.entries(files)) {
    const rel = path.relative(path.resolve(__dirname, ".."), path.resolve(file)).split(path.sep).join("/");
    const g = groups.get(groupOf(rel)) ?? { killed: 0, total: 0 };
    for (const m of mutants) {
      if (!COUNTED.has(m.status)) continue;
      g.total++;
      if (KILLED.has(m.status)) g.killed++;
    }
    groups.set(groupOf(rel), g);
  }
  const rows = [...groups].sort(([a], [b]) => a.localeCompare(b));
  let below = 0;
  for (const [g, { killed, total }] of rows) {
    const score = total ? (100 * killed) / total : 100;
    const held = HELD_AT_85.includes(g);
    if (held && score < 85) below++;
    process.stdout.write(
      `${score.toFixed(1).padStart(5)}%  ${String(killed).padStart(5)} / ${String(total).padEnd(5)} ` +
        `${g}${held ? (score < 85 ? "  (below 85%)" : "  (held at 85%)") : ""}\n`,
    );
  }
  const all = rows.reduce((a, [, g]) => ({ killed: a.killed + g.killed, total: a.total + g.total }), {
    killed: 0,
    total: 0,
  });
  process.stdout.write(
    `${((100 * all.killed) / Math.max(all.total, 1)).toFixed(1).padStart(5)}%  ${String(all.killed).padStart(5)} / ` +
      `${String(all.total).padEnd(5)} all mutated files\n`,
  );
  if (below) process.exitCode = 1;
}

main();
