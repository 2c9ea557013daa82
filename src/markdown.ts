/** Markdown tables shared by the README's generated sections and the spec trace report. */
import { DEVIATIONS, Deviation, Addition } from "./aws/deviations";

/** A table cell: pipes escaped. */
export const cell = (s: string) => s.replace(/\|/g, "\\|");

export function deviationTable(deviations: readonly Deviation[] = DEVIATIONS): string {
  return [
    "| # | spec says | AWS fact | what we build |",
    "|---|---|---|---|",
    ...deviations.map((d) => `| ${d.id} | ${cell(d.specSays)} | ${cell(d.awsFact)} | ${cell(d.weBuild)} |`),
  ].join("\n");
}

export function additionTable(additions: readonly Addition[]): string {
  return [
    "| # | addition | why | switch |",
    "|---|---|---|---|",
    ...additions.map((a) => `| ${a.id} | ${cell(a.what)} | ${cell(a.why)} | ${a.setting ? `\`${a.setting}\`` : "always"} |`),
  ].join("\n");
}
