/** The flow analysis's output: a port's readable name and the verdicts as a fixed-width text table. */
import { FlowVerdict, Port } from "./model";
import { queryOf, queryText } from "./ranges";

/** A Port's readable name: its label, or e.g. "tcp/22", "icmp 3/4", "all". */
export function portLabel(port: Port): string {
  if (port.label) return port.label;
  return port.protocol === "all" ? "all" : queryText(queryOf(port));
}

const shortRule = (address: string) => address.replace(/^aws_vpc_security_group_/, "");

/** A fixed-width table: from, to, port, verdict, then the rules (egress > ingress) or the reason. */
export function formatMatrix(verdicts: readonly FlowVerdict[]): string {
  const rows = verdicts.map((v) => {
    const rules =
      v.verdict === "denied"
        ? ""
        : `${v.egressRules.map(shortRule).join(",") || "-"} > ${v.ingressRules.map(shortRule).join(",") || "-"}`;
    const detail = [rules, v.reason ?? ""].filter(Boolean).join("  ");
    return [v.from, v.to, portLabel(v.port), v.verdict, detail];
  });
  const header = ["FROM", "TO", "PORT", "VERDICT", "RULES (egress > ingress) / REASON"];
  const widths = [0, 1, 2, 3].map((i) => Math.max(header[i].length, ...rows.map((r) => r[i].length)));
  const line = (r: string[]) =>
    r
      .map((c, i) => (i < 4 ? c.padEnd(widths[i]) : c))
      .join("  ")
      .trimEnd();
  return [line(header), ...rows.map(line)].join("\n");
}
