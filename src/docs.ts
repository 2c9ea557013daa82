/** Markdown tables the README carries, rendered from the same data the code uses. */
import { NETWORK_ADDITIONS, CLUSTER_ADDITIONS } from "./aws/deviations";
import { additionTable, cell, deviationTable } from "./markdown";
import { resolveConfig } from "./config";
import { buildApp } from "./app";
import { stackToJson } from "./analysis/tf-json";
import * as fs from "fs";
import * as path from "path";
import { SECURITY_ADDITIONS } from "./aws/security-rules";

/** Every generated README section, by marker name. */
export function readmeSections(): Record<string, string> {
  return {
    deviations: deviationTable(),
    "network-additions": additionTable(NETWORK_ADDITIONS),
    "security-additions": additionTable(SECURITY_ADDITIONS),
    "cluster-additions": additionTable(CLUSTER_ADDITIONS),
    ...clusterTables(),
    "etcd-restore": restoreProcedure(),
  };
}

/** `text` with each marked section's body replaced; throws when markers are missing. */
export function replaceSections(text: string, sections: Record<string, string>): string {
  for (const [name, body] of Object.entries(sections)) {
    const re = new RegExp(`(<!-- ${name}:start -->\\n)[\\s\\S]*?(<!-- ${name}:end -->)`);
    if (!re.test(text)) throw new Error(`README.md has no ${name} section markers`);
    text = text.replace(re, (_m, a: string, b: string) => `${a}${body}\n${b}`);
  }
  return text;
}

/** Variables and outputs tables, read from the default cluster as synthesized. */
function clusterTables(): Record<string, string> {
  const { cluster } = buildApp(resolveConfig({}));
  const tf = stackToJson(cluster) as { variable?: Record<string, { default: unknown }>; output?: Record<string, { description?: string }> };
  const variables = [
    "| variable | type | default (from the configuration) | set at synth by | meaning |",
    "|---|---|---|---|---|",
    ...cluster.variables.specs.map(
      (v) => `| \`${v.name}\` | \`${v.type}\` | \`${JSON.stringify(tf.variable?.[v.name]?.default)}\` | \`${v.setting}\` | ${cell(v.description)} |`,
    ),
  ].join("\n");
  const outputs = [
    "| output | what it gives you |",
    "|---|---|",
    ...Object.entries(tf.output ?? {}).map(([name, o]) => `| \`${name}\` | ${cell(o.description ?? "")} |`),
  ].join("\n");
  return { variables, outputs };
}

/** src/bootstrap/ETCD-RESTORE.md with its headings moved under the README's etcd section. */
function restoreProcedure(): string {
  const text = fs.readFileSync(path.join(__dirname, "bootstrap", "ETCD-RESTORE.md"), "utf8");
  let inCode = false;
  return text
    .trimEnd()
    .split("\n")
    .map((line) => {
      if (line.startsWith("```")) inCode = !inCode;
      if (inCode || !/^#+ /.test(line)) return line.replace("(README.md)", "(#etcd-backups-and-restore)");
      return `##${line}`;
    })
    .join("\n");
}
