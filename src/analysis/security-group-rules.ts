/**
 * Synth-time checks of security groups and their rules for what the EC2 API rejects at apply:
 * group names starting with "sg-", description characters and length, protocol/port
 * combinations, ICMP type/code ranges, duplicate rules, and the per-group rule quota.
 */
import { canonical, cidrProblem } from "../aws/cidr";
import { SECURITY_GROUP_LIMITS } from "../aws/limits";
import { Finding } from "./aws-rules";
import { TfJson, byAddress, label, resourcesOf } from "./tf-json";

const { allowedText, textMaxChars, reservedNamePrefix, rulesPerDirection } = SECURITY_GROUP_LIMITS;

function textProblem(what: string, text: unknown): string | undefined {
  if (text === undefined) return undefined;
  if (typeof text !== "string") return `${what} is not a string`;
  if (text.length > textMaxChars) return `${what} is ${text.length} characters; AWS allows ${textMaxChars}`;
  if (!allowedText.test(text)) {
    const bad = [...text].filter((ch) => !allowedText.test(ch));
    return `${what} ${JSON.stringify(text)} has characters AWS rejects: ${JSON.stringify([...new Set(bad)].join(""))}`;
  }
  return undefined;
}

interface NormalRule {
  readonly resource: string;
  readonly group: string;
  readonly direction: "ingress" | "egress";
  readonly body: Record<string, unknown>;
}

function standaloneRules(tf: TfJson): NormalRule[] {
  const out: NormalRule[] = [];
  for (const direction of ["ingress", "egress"] as const)
    for (const r of resourcesOf(tf, `aws_vpc_security_group_${direction}_rule`))
      out.push({ resource: r.address, group: String(r.body.security_group_id), direction, body: r.body });
  return out;
}

const isInteger = (v: unknown): v is number => Number.isInteger(v);

function ruleProblems(rule: NormalRule): string[] {
  const b = rule.body;
  const problems: string[] = [];
  const peers = ["cidr_ipv4", "cidr_ipv6", "prefix_list_id", "referenced_security_group_id"].filter(
    (k) => b[k] !== undefined,
  );
  if (peers.length !== 1)
    problems.push(
      "needs exactly one of cidr_ipv4, cidr_ipv6, prefix_list_id, referenced_security_group_id " +
        `(has ${peers.join(", ") || "none"})`,
    );
  if (typeof b.cidr_ipv4 === "string") {
    const p = cidrProblem(b.cidr_ipv4);
    if (p) problems.push(`cidr_ipv4 ${JSON.stringify(b.cidr_ipv4)} ${p}`);
  }
  const proto = String(b.ip_protocol);
  const from = b.from_port;
  const to = b.to_port;
  if (proto === "-1" || proto === "all") {
    if (from !== undefined || to !== undefined)
      problems.push(
        "protocol -1 means every port: from_port/to_port must not be set (use tcp and udp rules for a range)",
      );
  } else if (proto === "tcp" || proto === "udp" || proto === "6" || proto === "17") {
    if (!isInteger(from) || !isInteger(to)) problems.push(`${proto} needs from_port and to_port`);
    else if (from < 0 || to > 65535 || from > to)
      problems.push(`${proto} port range ${from}-${to} is not within 0-65535 in order`);
  } else if (proto === "icmp" || proto === "1") {
    // from_port is the ICMP type, to_port the code; -1 means any.
    if (!isInteger(from) || !isInteger(to)) problems.push("icmp needs from_port (type) and to_port (code)");
    else if (from < -1 || from > 255 || to < -1 || to > 255)
      problems.push(`icmp type ${from} / code ${to} is outside -1..255`);
    else if (from === -1 && to !== -1) problems.push(`icmp code ${to} with any type (-1) is rejected`);
  } else if (!/^\d+$/.test(proto)) {
    problems.push(`ip_protocol ${JSON.stringify(proto)} is not tcp, udp, icmp, -1 or a protocol number`);
  }
  const d = textProblem("description", b.description);
  if (d) problems.push(d);
  return problems;
}

function identity(rule: NormalRule): string {
  const b = rule.body;
  const peer =
    typeof b.cidr_ipv4 === "string" && !cidrProblem(b.cidr_ipv4)
      ? `cidr:${canonical(b.cidr_ipv4)}`
      : JSON.stringify([b.cidr_ipv6, b.prefix_list_id, b.referenced_security_group_id]);
  const proto = { "6": "tcp", "17": "udp", "1": "icmp", all: "-1" }[String(b.ip_protocol)] ?? String(b.ip_protocol);
  return [rule.group, rule.direction, proto, b.from_port, b.to_port, peer].join("|");
}

function groupLabel(tf: TfJson, groupRef: string): string {
  const m = /^\$\{(aws_security_group\.[^.]+)\.id\}$/.exec(groupRef);
  const g = m ? byAddress(tf, m[1]) : undefined;
  return g ? label(g) : groupRef;
}

export function checkSecurityGroups(tf: TfJson): Finding[] {
  const findings: Finding[] = [];
  for (const sg of resourcesOf(tf, "aws_security_group")) {
    const name = sg.body.name;
    if (typeof name === "string" && reservedNamePrefix.test(name)) {
      const message = `name ${JSON.stringify(name)} starts with "sg-", which AWS reserves for group ids`;
      findings.push({ resource: label(sg), message });
    }
    for (const [what, text] of [
      ["name", name],
      ["description", sg.body.description],
    ] as const) {
      const p = textProblem(what, text);
      if (p) findings.push({ resource: label(sg), message: p });
    }
    for (const direction of ["ingress", "egress"])
      if (Array.isArray(sg.body[direction]) && sg.body[direction].length)
        findings.push({
          resource: label(sg),
          message:
            `has inline ${direction} blocks; ` +
            "use standalone rule resources so cloud-controller rules survive an apply (D13)",
        });
  }

  const rules = standaloneRules(tf);
  const seen = new Map<string, string>();
  const counts = new Map<string, number>();
  for (const rule of rules) {
    const where = `${rule.resource} in ${groupLabel(tf, rule.group)}`;
    for (const p of ruleProblems(rule)) findings.push({ resource: where, message: p });
    const id = identity(rule);
    const first = seen.get(id);
    if (first) findings.push({ resource: where, message: `duplicates ${first} (InvalidPermission.Duplicate)` });
    else seen.set(id, rule.resource);
    const countKey = `${rule.group}|${rule.direction}`;
    counts.set(countKey, (counts.get(countKey) ?? 0) + 1);
  }
  for (const [key, n] of counts) {
    const [group, direction] = key.split("|");
    if (n > rulesPerDirection)
      findings.push({
        resource: groupLabel(tf, group),
        message: `has ${n} ${direction} rules; AWS allows ${rulesPerDirection} per direction by default`,
      });
  }
  return findings;
}
