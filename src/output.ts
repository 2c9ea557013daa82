/**
 * Where synth's files land. cdktf writes into a private staging folder; only a synth that got all
 * the way through puts its files into the output folder. Synth owns only the files it generates
 * (GENERATED_FILES in each stack folder, and manifest.json): Terraform's own files beside them
 * (terraform.tfstate of the state-bucket stack, .terraform/, the lock file, saved plans) and
 * anything else are never touched. A failed synth removes the generated files of the stacks it
 * would have written, so no earlier result can be mistaken for this one.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { NODE_ROLES, NodeRole } from "./bootstrap/settings";

/** The boot listing of a node role (src/bootstrap/boot-listing.ts), in the cluster stack's folder. */
export const bootListingFile = (role: NodeRole) => `boot-${role}.md`;

/** What synth writes into a stack folder, in either format. */
export const GENERATED_FILES: readonly string[] = Object.freeze([
  "cdk.tf.json",
  "cdk.tf",
  "metadata.json",
  "spec-trace.md",
  ...NODE_ROLES.map(bootListingFile),
]);

/** The output folder: CDKTF_OUTDIR (as `cdktf synth` and `npm run synth:hcl` set it), or cdktf.out. */
export function outputDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.CDKTF_OUTDIR && env.CDKTF_OUTDIR.trim() !== "" ? env.CDKTF_OUTDIR : "cdktf.out";
}

/** A fresh folder for cdktf to write into. */
export function stagingDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), "cdktf-staging-"));
}

/**
 * What manifest.json records of what the stacks were made from: the configuration's SHA-256, and
 * the SHA-256 of the stacks' meaning (their Terraform JSON, whichever format was written), so the
 * other format's output is known stale after a change of configuration or of this code.
 */
export interface OutputRecord {
  readonly configurationSha256: string;
  readonly stacksSha256: string;
}

/**
 * cdktf's manifest.json, without what only the machine that wrote it knows (stack traces with
 * absolute paths), and with the record of what the stacks were made from.
 */
function portableManifest(text: string, record: OutputRecord): string {
  const manifest = JSON.parse(text) as {
    stacks?: Record<string, { annotations?: { stacktrace?: unknown }[] }>;
  } & Partial<OutputRecord>;
  for (const stack of Object.values(manifest.stacks ?? {}))
    for (const a of stack.annotations ?? []) delete a.stacktrace;
  return `${JSON.stringify({ ...manifest, ...record }, null, 2)}\n`;
}

/**
 * What a folder's manifest says its stacks were made from; undefined when the folder is not synth's.
 * A manifest of an earlier version records the configuration only: no stacksSha256, so its stacks
 * never match this code's and count as another version's.
 */
function recordedOutput(dir: string): Partial<OutputRecord> | undefined {
  try {
    const manifest = JSON.parse(fs.readFileSync(path.join(dir, "manifest.json"), "utf8")) as Partial<OutputRecord>;
    return typeof manifest.configurationSha256 === "string" ? manifest : undefined;
  } catch {
    return undefined;
  }
}

/** The other format's output next to `target`: cdktf.out/hcl for cdktf.out, and back. */
function siblingOutput(target: string): string {
  const resolved = path.resolve(target);
  return path.basename(resolved) === "hcl" ? path.dirname(resolved) : path.join(resolved, "hcl");
}

/** Writes `data` to `to` through a temporary name beside it, so `to` is either whole or the old file. */
function replaceFile(to: string, data: string | Buffer): void {
  const tmp = path.join(path.dirname(to), `.${path.basename(to)}.synth-tmp`);
  fs.writeFileSync(tmp, data);
  fs.renameSync(tmp, to);
}

/** Removes synth's generated files from a stack folder (and the folder, only when nothing else is left). */
function removeGenerated(stackDir: string): string[] {
  if (!fs.existsSync(stackDir) || !fs.lstatSync(stackDir).isDirectory()) return [];
  const removed = GENERATED_FILES.filter((f) => fs.existsSync(path.join(stackDir, f)));
  for (const f of removed) fs.rmSync(path.join(stackDir, f), { force: true });
  if (fs.readdirSync(stackDir).length === 0) fs.rmdirSync(stackDir);
  return removed;
}

/**
 * Puts the staged stacks' files into `target` (each generated file replaced whole; files synth did
 * not write this time removed) with the manifest, and returns one line per stack written.
 */
export function publishOutput(
  staging: string,
  target: string,
  stacks: readonly string[],
  record: OutputRecord,
): string[] {
  const lines: string[] = [];
  for (const stack of stacks) {
    const from = path.join(staging, "stacks", stack);
    const to = path.join(target, "stacks", stack);
    fs.mkdirSync(to, { recursive: true });
    const written = fs
      .readdirSync(from)
      .filter((f) => GENERATED_FILES.includes(f))
      .sort();
    for (const f of written) replaceFile(path.join(to, f), fs.readFileSync(path.join(from, f)));
    for (const f of GENERATED_FILES.filter((g) => !written.includes(g))) fs.rmSync(path.join(to, f), { force: true });
    lines.push(`wrote ${path.join(target, "stacks", stack)}: ${written.join(", ")}`);
  }
  const manifest = path.join(staging, "manifest.json");
  if (fs.existsSync(manifest))
    replaceFile(path.join(target, "manifest.json"), portableManifest(fs.readFileSync(manifest, "utf8"), record));
  // The other format's stacks, when synth made them from another configuration, would be handed off beside these.
  const sibling = siblingOutput(target);
  const recorded = recordedOutput(sibling);
  if (recorded !== undefined && recorded.stacksSha256 !== record.stacksSha256) {
    const why =
      recorded.configurationSha256 !== record.configurationSha256
        ? "made from another configuration"
        : "made by another version of this code";
    const removed = stacks.filter((s) => removeGenerated(path.join(sibling, "stacks", s)).length > 0);
    if (removed.length)
      lines.push(
        `removed ${path.relative(process.cwd(), path.join(sibling, "stacks")) || "."}/{${removed.join(",")}}: ${why}`,
      );
  }
  return lines;
}

/**
 * After a failed synth: the generated files of the stacks it would have written are gone from
 * `target` (Terraform's own files stay). Never throws: the synth's own error is the one to report.
 */
export function removeStaleOutput(target: string, stacks: readonly string[]): void {
  try {
    if (!fs.existsSync(target) || !fs.lstatSync(target).isDirectory()) return;
    for (const stack of stacks) removeGenerated(path.join(target, "stacks", stack));
    const stacksDir = path.join(target, "stacks");
    if (fs.existsSync(stacksDir) && fs.readdirSync(stacksDir).length === 0) fs.rmdirSync(stacksDir);
    if (recordedOutput(target) !== undefined && !fs.existsSync(stacksDir))
      fs.rmSync(path.join(target, "manifest.json"), { force: true });
    if (fs.readdirSync(target).length === 0) fs.rmdirSync(target);
  } catch {
    // Best effort: a folder we cannot tidy is left as it is.
  }
}
