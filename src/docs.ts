/** Markdown tables the README carries, rendered from the same data the code uses. */
import { DEVIATIONS, Deviation, Addition, NETWORK_ADDITIONS } from "./aws/deviations";
import { SECURITY_ADDITIONS } from "./aws/security-rules";

const cell = (s: string) => s.replace(/\|/g, "\\|");

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

/** Every generated README section, by marker name. */
export function readmeSections(): Record<string, string> {
  return {
    deviations: deviationTable(),
    "network-additions": additionTable(NETWORK_ADDITIONS),
    "security-additions": additionTable(SECURITY_ADDITIONS),
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
