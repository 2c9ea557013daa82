import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { App } from "cdktf";
import { TfJson, stackToJson } from "./analysis/tf-json";
import { traceMarkdown, traceRows } from "./analysis/trace";
import { bootListingMarkdown } from "./bootstrap";
import { ClusterConfig } from "./config";
import { bootListingFile } from "./output";
import { ClusterStack } from "./stacks/cluster-stack";
import { StateBucketStack } from "./stacks/state-bucket-stack";

export const CLUSTER_STACK = "cluster";
export const STATE_BUCKET_STACK = "state-bucket";

export interface BuiltApp {
  readonly app: App;
  readonly cluster: ClusterStack;
  readonly stateBucket: StateBucketStack;
}

/** Both stacks of one configuration. Throws ConfigError on bad configuration, before any output. */
export function buildApp(config: ClusterConfig, outdir?: string, hclOutput?: boolean): BuiltApp {
  // hclOutput undefined: cdktf reads SYNTH_HCL_OUTPUT (npm run synth:hcl sets it).
  const app = new App({ outdir, skipValidation: false, ...(hclOutput === undefined ? {} : { hclOutput }) });
  // cdktf 0.21's stacks read SYNTH_HCL_OUTPUT themselves when constructed; keep them in step with the app.
  const saved = process.env.SYNTH_HCL_OUTPUT;
  process.env.SYNTH_HCL_OUTPUT = String(app.hclOutput);
  try {
    const stateBucket = new StateBucketStack(app, STATE_BUCKET_STACK, { config });
    const cluster = new ClusterStack(app, CLUSTER_STACK, { config });
    return { app, cluster, stateBucket };
  } finally {
    if (saved === undefined) delete process.env.SYNTH_HCL_OUTPUT;
    else process.env.SYNTH_HCL_OUTPUT = saved;
  }
}

/**
 * Writes cdktf.out (both stacks), and next to the cluster stack the spec trace report and the boot
 * listing of each node role.
 */
export function synthesize(built: BuiltApp, rendered?: ReadonlyMap<string, TfJson>): string {
  // Into a fresh folder (main's staging folder): publishOutput removes what an earlier run left in the output.
  built.app.synth();
  const tf = rendered?.get(CLUSTER_STACK) ?? stackToJson(built.cluster);
  if (built.app.hclOutput) {
    const clusterHcl = path.join(built.app.outdir, "stacks", CLUSTER_STACK, "cdk.tf");
    repairHcl(clusterHcl, tf);
    repairHcl(
      path.join(built.app.outdir, "stacks", STATE_BUCKET_STACK, "cdk.tf"),
      rendered?.get(STATE_BUCKET_STACK) ?? stackToJson(built.stateBucket),
    );
    appendCheckBlocks(clusterHcl, tf);
    formatHcl(path.join(built.app.outdir, "stacks"));
  }
  const clusterDir = path.join(built.app.outdir, "stacks", CLUSTER_STACK);
  const file = path.join(clusterDir, "spec-trace.md");
  fs.writeFileSync(file, traceMarkdown(traceRows(tf, built.cluster.plan, built.cluster.securityPlan)));
  for (const [role, { nodes, rendered: userData }] of built.cluster.userData)
    fs.writeFileSync(path.join(clusterDir, bootListingFile(role)), bootListingMarkdown(role, nodes, userData));
  return file;
}

/** cdktf writes HCL without indentation; `terraform fmt` makes it what ops teams expect to read. */
function formatHcl(stacksDir: string): void {
  const r = spawnSync("terraform", ["fmt", "-recursive", stacksDir], {
    encoding: "utf8",
    env: { ...process.env, CHECKPOINT_DISABLE: "1" },
  });
  if (r.error || r.status !== 0)
    process.stderr.write(
      `warning: terraform fmt could not run (${r.error?.message ?? r.stderr.trim().split("\n").pop()}); the HCL is ` +
        `valid but unformatted\n`,
    );
}

/** Index just past the `}` that closes the block whose `{` is at `open`, skipping quoted strings. */
function blockEnd(text: string, open: number): number {
  let depth = 0;
  for (let i = open; i < text.length; i++) {
    const c = text[i];
    if (c === '"') {
      for (i++; i < text.length && text[i] !== '"'; i++) if (text[i] === "\\") i++;
    } else if (c === "{") depth++;
    else if (c === "}" && --depth === 0) return i + 1;
  }
  throw new Error("unbalanced braces in the HCL output");
}

/**
 * depends_on and ignore_changes entries without quotes, line by line (cdktf writes one entry per
 * line between `name = [` and `]`), so nothing inside a string elsewhere is touched.
 */
function unquoteReferenceLists(text: string): string {
  const lines = text.split("\n");
  let inList = false;
  for (let i = 0; i < lines.length; i++) {
    const single = /^(\s*(?:depends_on|ignore_changes)\s*=\s*\[)(.*)\](\s*)$/.exec(lines[i]);
    if (single) {
      lines[i] = `${single[1]}${single[2].replace(/"([A-Za-z0-9_.-]+)"/g, "$1")}]${single[3]}`;
    } else if (/^\s*(depends_on|ignore_changes)\s*=\s*\[\s*$/.test(lines[i])) inList = true;
    else if (inList && /^\s*\]\s*$/.test(lines[i])) inList = false;
    else if (inList) lines[i] = lines[i].replace(/^(\s*)"([A-Za-z0-9_.-]+)"(,?\s*)$/, "$1$2$3");
  }
  return lines.join("\n");
}

/**
 * lifecycle preconditions as blocks: cdktf writes `precondition = [ { condition = "${...}" ... }, ]`,
 * an argument Terraform rejects ("did you mean to define a block"). Line by line: one entry's
 * `condition` and `error_message` lines between `precondition = [` and `]`.
 */
function preconditionBlocks(text: string): string {
  const out: string[] = [];
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const head = /^(\s*)precondition\s*=\s*\[\s*$/.exec(lines[i]);
    if (!head) {
      out.push(lines[i]);
      continue;
    }
    for (i++; i < lines.length && !/^\s*\]\s*$/.test(lines[i]); i++) {
      const line = lines[i].trim();
      if (line === "{") out.push(`${head[1]}precondition {`);
      else if (/^},?$/.test(line)) out.push(`${head[1]}}`);
      else {
        // A condition that is one interpolation is an expression.
        const condition = /^condition\s*=\s*"\$\{([\s\S]*)\}"$/.exec(line);
        out.push(`${head[1]}  ${condition ? `condition = ${condition[1]}` : line}`);
      }
    }
  }
  return out.join("\n");
}

/**
 * What cdktf 0.21's HCL writer gets wrong, put right from the JSON the same app renders:
 * variable attributes it drops (`nullable`, an empty-string `default`), quoted `depends_on` and
 * `ignore_changes` entries (deprecated: terraform validate warns once per entry), and lifecycle
 * preconditions written as a list.
 */
function repairHcl(file: string, tf: TfJson): void {
  let text = fs.readFileSync(file, "utf8");
  text = preconditionBlocks(unquoteReferenceLists(text));
  const variables = (tf.variable ?? {}) as Record<string, Record<string, unknown>>;
  for (const [name, v] of Object.entries(variables)) {
    const head = `variable "${name}" {`;
    const at = text.indexOf(head);
    if (at < 0) throw new Error(`the HCL output has no variable ${name}`);
    const end = blockEnd(text, at + head.length - 1);
    const body = text.slice(at + head.length, end);
    const missing = (["default", "nullable"] as const).filter(
      (k) => k in v && !new RegExp(`^\\s*${k}\\s*=`, "m").test(body),
    );
    if (missing.length) {
      const added = missing.map((k) => `${k} = ${JSON.stringify(v[k])}`).join("\n");
      text = `${text.slice(0, at + head.length)}\n${added}${text.slice(at + head.length)}`;
    }
  }
  fs.writeFileSync(file, text);
}

/** cdktf 0.21's HCL writer drops top-level `check` blocks (set by override): write them ourselves. */
function appendCheckBlocks(file: string, tf: TfJson): void {
  const checks = (tf.check ?? {}) as Record<string, { assert: { condition: string; error_message: string }[] }>;
  const blocks = Object.entries(checks).map(([name, c]) =>
    [
      `check "${name}" {`,
      ...c.assert.flatMap((a) => [
        "  assert {",
        `    condition = ${a.condition.replace(/^\$\{([\s\S]*)\}$/, "$1")}`,
        `    error_message = ${JSON.stringify(a.error_message)}`,
        "  }",
      ]),
      "}",
    ].join("\n"),
  );
  if (blocks.length) fs.appendFileSync(file, `\n${blocks.join("\n\n")}\n`);
}
