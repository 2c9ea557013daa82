/**
 * Who can reach whom, read from synthesized Terraform JSON (see tools/flows/).
 *
 *   node --import tsx scripts/flows.ts [path/to/cdk.tf.json] [--from TIER] [--to TIER] [--allowed | --denied] [--any]
 *
 * Default file: cdktf.out/stacks/cluster/cdk.tf.json (run `npm run synth` first). Prints the
 * matrix of every ordered pair of tiers over the spec's ports. --allowed keeps allowed and partial
 * rows, --denied keeps denied and partial rows. --any (with --from and --to) lists every port
 * range allowed between the two, not only the spec's ports. Exits 1 with one line on bad input.
 */
import * as fs from "fs";
import { FlowVerdict, SPEC_PORTS, analyzeFlowsWithNotes, formatMatrix } from "../tools/flows";
import { TfJson } from "../src/analysis/tf-json";

const DEFAULT_PATH = "cdktf.out/stacks/cluster/cdk.tf.json";
const USAGE = "usage: flows [path/to/cdk.tf.json] [--from TIER] [--to TIER] [--allowed | --denied] [--any]";

class UsageError extends Error {}

interface Options {
  path: string;
  from?: string;
  to?: string;
  allowed: boolean;
  denied: boolean;
  any: boolean;
}

function parseArgs(argv: readonly string[]): Options {
  const o: Options = { path: DEFAULT_PATH, allowed: false, denied: false, any: false };
  let positional = 0;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = () => {
      const v = argv[++i];
      if (v === undefined || v.startsWith("--")) throw new UsageError(`${a} needs a tier name; ${USAGE}`);
      return v;
    };
    if (a === "--from") o.from = value();
    else if (a === "--to") o.to = value();
    else if (a === "--allowed") o.allowed = true;
    else if (a === "--denied") o.denied = true;
    else if (a === "--any") o.any = true;
    else if (a === "--help" || a === "-h") throw new UsageError(USAGE);
    else if (a.startsWith("-")) throw new UsageError(`unknown option ${a}; ${USAGE}`);
    else if (positional++ === 0) o.path = a;
    else throw new UsageError(`one file at a time; ${USAGE}`);
  }
  if (o.allowed && o.denied) throw new UsageError("--allowed and --denied exclude each other");
  if (o.any && (!o.from || !o.to)) throw new UsageError("--any needs --from and --to");
  return o;
}

function readTerraformJson(path: string): TfJson {
  let text: string;
  try {
    text = fs.readFileSync(path, "utf8");
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const hint = path === DEFAULT_PATH ? " (run npm run synth first)" : "";
    throw new UsageError(
      code === "ENOENT" ? `${path} does not exist${hint}` : `cannot read ${path}: ${code ?? String(e)}`,
    );
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new UsageError(`${path} is not Terraform JSON (not JSON at all)`);
  }
  const resource = (json as Record<string, unknown> | null)?.resource;
  if (
    typeof json !== "object" ||
    json === null ||
    Array.isArray(json) ||
    typeof resource !== "object" ||
    resource === null ||
    Array.isArray(resource)
  )
    throw new UsageError(`${path} is not Terraform JSON (no "resource" object)`);
  return json as TfJson;
}

/** The CLI, minus the process: returns the exit code. */
export function runFlows(argv: readonly string[], out: (line: string) => void, err: (line: string) => void): number {
  try {
    const o = parseArgs(argv);
    const model = analyzeFlowsWithNotes(readTerraformJson(o.path));
    for (const name of [o.from, o.to])
      if (name !== undefined && !model.tiers.includes(name) && !name.startsWith("aws_vpc_endpoint."))
        throw new UsageError(`unknown tier ${JSON.stringify(name)} (tiers in ${o.path}: ${model.tiers.join(", ")})`);
    let verdicts: FlowVerdict[];
    if (o.any) verdicts = model.anyAllowed(o.from!, o.to!);
    else if (o.from && o.to && !model.tiers.includes(o.to))
      verdicts = SPEC_PORTS.map((p) => model.check(o.from!, o.to!, p));
    else verdicts = model.matrix(SPEC_PORTS).filter((v) => (!o.from || v.from === o.from) && (!o.to || v.to === o.to));
    if (o.allowed) verdicts = verdicts.filter((v) => v.verdict !== "denied");
    if (o.denied) verdicts = verdicts.filter((v) => v.verdict !== "allowed");
    if (verdicts.length) out(formatMatrix(verdicts));
    const count = (k: FlowVerdict["verdict"]) => verdicts.filter((v) => v.verdict === k).length;
    out(
      `${verdicts.length} flows: ${count("allowed")} allowed, ${count("partial")} partial, ${count("denied")} denied`,
    );
    for (const n of model.notes) err(`note: ${n}`);
    return 0;
  } catch (e) {
    err(`flows: ${e instanceof Error ? e.message.split("\n")[0] : String(e)}`);
    if (!(e instanceof UsageError) && process.env.DEBUG) err((e as Error).stack ?? "");
    return 1;
  }
}

if (require.main === module) {
  process.exitCode = runFlows(
    process.argv.slice(2),
    (l) => process.stdout.write(`${l}\n`),
    (l) => process.stderr.write(`${l}\n`),
  );
}
