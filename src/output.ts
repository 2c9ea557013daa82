/**
 * Where synth's files land. cdktf writes into a private staging folder; only a synth that got all
 * the way through replaces the stacks it wrote in the output folder (each stack folder whole, so no
 * file of an earlier run, or of the other format, stays beside the new one). A failed synth removes
 * the stacks it would have written, so no earlier result can be mistaken for this one.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

/** The output folder: CDKTF_OUTDIR (as `cdktf synth` and `npm run synth:hcl` set it), or cdktf.out. */
export function outputDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.CDKTF_OUTDIR && env.CDKTF_OUTDIR.trim() !== "" ? env.CDKTF_OUTDIR : "cdktf.out";
}

/** A fresh folder for cdktf to write into. */
export function stagingDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), "cdktf-staging-"));
}

/** The key under which manifest.json records which configuration the stacks were made from. */
const CONFIG_KEY = "configurationSha256";

/**
 * cdktf's manifest.json, without what only the machine that wrote it knows (stack traces with
 * absolute paths), and with the SHA-256 of the configuration the stacks were made from.
 */
function portableManifest(text: string, configSha256: string): string {
  const manifest = JSON.parse(text) as { stacks?: Record<string, { annotations?: { stacktrace?: unknown }[] }>; [CONFIG_KEY]?: string };
  for (const stack of Object.values(manifest.stacks ?? {})) for (const a of stack.annotations ?? []) delete a.stacktrace;
  manifest[CONFIG_KEY] = configSha256;
  return `${JSON.stringify(manifest, null, 2)}\n`;
}

function recordedConfig(dir: string): string | undefined {
  try {
    return (JSON.parse(fs.readFileSync(path.join(dir, "manifest.json"), "utf8")) as Record<string, unknown>)[CONFIG_KEY] as string | undefined;
  } catch {
    return undefined;
  }
}

/** The other format's output next to `target`: cdktf.out/hcl for cdktf.out, and back. */
function siblingOutput(target: string): string {
  const resolved = path.resolve(target);
  return path.basename(resolved) === "hcl" ? path.dirname(resolved) : path.join(resolved, "hcl");
}

/**
 * Moves the staged stacks into `target` (each stack folder replaced whole) with the manifest, and
 * returns one line per stack written.
 */
export function publishOutput(staging: string, target: string, stacks: readonly string[], configSha256: string): string[] {
  const lines: string[] = [];
  fs.mkdirSync(path.join(target, "stacks"), { recursive: true });
  for (const stack of stacks) {
    const from = path.join(staging, "stacks", stack);
    const to = path.join(target, "stacks", stack);
    fs.rmSync(to, { recursive: true, force: true });
    fs.cpSync(from, to, { recursive: true });
    lines.push(`wrote ${path.join(target, "stacks", stack)}: ${fs.readdirSync(to).sort().join(", ")}`);
  }
  const manifest = path.join(staging, "manifest.json");
  if (fs.existsSync(manifest)) fs.writeFileSync(path.join(target, "manifest.json"), portableManifest(fs.readFileSync(manifest, "utf8"), configSha256));
  // The other format's stacks of another configuration would be handed off beside these: remove them.
  const sibling = siblingOutput(target);
  const siblingStacks = stacks.filter((s) => fs.existsSync(path.join(sibling, "stacks", s)));
  if (siblingStacks.length && recordedConfig(sibling) !== configSha256) {
    for (const s of siblingStacks) fs.rmSync(path.join(sibling, "stacks", s), { recursive: true, force: true });
    lines.push(`removed ${path.relative(process.cwd(), path.join(sibling, "stacks")) || "."}/{${siblingStacks.join(",")}}: made from another configuration`);
  }
  return lines;
}

/** After a failed synth: the stacks it would have written, and folders left empty, are gone from `target`. */
export function removeStaleOutput(target: string, stacks: readonly string[]): void {
  if (!fs.existsSync(target)) return;
  for (const stack of stacks) fs.rmSync(path.join(target, "stacks", stack), { recursive: true, force: true });
  const stacksDir = path.join(target, "stacks");
  if (fs.existsSync(stacksDir) && fs.readdirSync(stacksDir).length === 0) fs.rmdirSync(stacksDir);
  const rest = fs.readdirSync(target);
  if (rest.length === 1 && rest[0] === "manifest.json") fs.rmSync(path.join(target, "manifest.json"));
  if (fs.readdirSync(target).length === 0) fs.rmdirSync(target);
}
