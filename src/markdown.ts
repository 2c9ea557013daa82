/** Markdown tables shared by the README's generated sections and the spec trace report. */
import { DEVIATIONS, Deviation, Addition } from "./aws/deviations";
import { AdditionRow, SECURITY_ADDITIONS, SecurityAddition } from "./aws/security-additions";
import { nameTagOf } from "./aws/security-rules";

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
    ...additions.map(
      (a) => `| ${a.id} | ${cell(a.what)} | ${cell(a.why)} | ${a.switch === "always" ? "always" : `\`${a.switch}\``} |`,
    ),
  ].join("\n");
}

/** "tcp 80, 443" or "all traffic": rows' protocols and ports as AWS reads them, each protocol once. */
function trafficOf(rows: readonly AdditionRow[]): string {
  const ports = new Map<string, string[]>();
  for (const row of rows) {
    // Protocol ALL with ports ALL is AWS's protocol -1: every protocol and port.
    const protocol = row.protocol === "ALL" && row.ports === "ALL" ? "all traffic" : row.protocol.toLowerCase();
    ports.set(protocol, [...(ports.get(protocol) ?? []), ...(protocol === "all traffic" ? [] : [row.ports])]);
  }
  return [...ports].map(([protocol, list]) => (list.length ? `${protocol} ${list.join(", ")}` : protocol)).join(", ");
}

/** Items grouped by a key, groups in the order their first item comes. */
function groupBy<T>(items: readonly T[], key: (item: T) => string): T[][] {
  const groups = new Map<string, T[]>();
  for (const item of items) groups.set(key(item), [...(groups.get(key(item)) ?? []), item]);
  return [...groups.values()];
}

/** "a", "a and b", "a, b and c". */
const inWords = (items: readonly string[]) =>
  items.length > 1 ? `${items.slice(0, -1).join(", ")} and ${items.at(-1)}` : items[0];

/**
 * The security-group additions, each with its exact rules read from its rows: one clause per
 * group and direction and the same traffic ("sg-bastion egress tcp 80, 443 to 0.0.0.0/0").
 */
export function securityAdditions(additions: readonly SecurityAddition[] = SECURITY_ADDITIONS): Addition[] {
  return additions.map(({ rows, ...addition }) => {
    const byPeer = groupBy(rows, (r) => [r.group, r.direction, r.peer.asWritten].join("|")).map((rules) => ({
      head: `${nameTagOf(rules[0].group)} ${rules[0].direction}`,
      traffic: trafficOf(rules),
      peer: rules[0].peer.asWritten,
      to: rules[0].direction === "ingress" ? "from" : "to",
    }));
    const clauses = groupBy(byPeer, (c) => [c.head, c.traffic].join("|")).map(
      (same) => `${same[0].head} ${same[0].traffic} ${same[0].to} ${inWords(same.map((c) => c.peer))}`,
    );
    return { ...addition, what: `${addition.what}: ${clauses.join("; ")}` };
  });
}
