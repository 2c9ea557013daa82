/**
 * The traceability report: every spec row maps to the Terraform resources that implement it, and
 * every security-group rule resource is listed once under its group with the spec rows or
 * additions it implements.
 */
import { ClusterConfig, resolveConfig } from "../src/config";
import { buildApp } from "../src/app";
import { TfJson, refOf, resourcesOf, stackToJson } from "../src/analysis/tf-json";
import { TraceRow, traceMarkdown, traceRows } from "../src/analysis/trace";
import { securityGroupTables } from "../src/spec/security-groups";
import { DEVIATIONS, NETWORK_ADDITIONS } from "../src/aws/deviations";
import { SECURITY_ADDITION_ROWS, isSwitchedOn } from "../src/aws/security-additions";

const built = new Map<string, { tf: TfJson; cluster: ReturnType<typeof buildApp>["cluster"]; config: ClusterConfig }>();

/** One build per configuration in this file; the tests read it and change only copies. */
function build(input: Record<string, unknown> = {}) {
  const key = JSON.stringify(input);
  if (!built.has(key)) {
    const config = resolveConfig(input);
    const { cluster } = buildApp(config);
    built.set(key, { tf: stackToJson(cluster), cluster, config });
  }
  return built.get(key)!;
}

function trace(input: Record<string, unknown> = {}) {
  const { tf, cluster } = build(input);
  return traceRows(tf, cluster.plan, cluster.securityPlan);
}

/**
 * Rows per table as the spec document has them (counted in seed-k8s-infra.md, not from src/spec,
 * so a row lost from the data fails here). The bastion's subnet table has 7 rows; the report adds
 * its Route Table as "(none)", pointing at the route table D3 adds (a public bastion subnet needs a
 * route to the internet gateway).
 */
const SPEC_ROWS_PER_TABLE: Record<string, number> = {
  "VPN 구성 정보 (VPC)": 8,
  "Subnet: Private Subnet for Kubernetes API Endpoint": 8,
  "Subnet: Private Subnet for Worker Nodes": 8,
  "Subnet: Public Subnet for Service Load Balancers": 8,
  "Subnet: Public Subnet for Bastion": 7 + 1,
  "Route table: Route Table for Kubernetes API Endpoint Subnet": 1 + 2,
  "Route table: Route Table for Worker Nodes Subnet": 1 + 1,
  "Route table: Route Table for Pods Subnet": 1 + 2,
  "Route table: Route Table for Public Load Balancers Subnet": 1 + 1,
};
/** Rows of the spec's security-group tables, also counted in the document. */
const SPEC_SECURITY_ROWS: Record<string, number> = {
  "sg-k8s-api-endpoint ingress": 7,
  "sg-k8s-api-endpoint egress": 6,
  "sg-worker-nodes ingress": 6,
  "sg-worker-nodes egress": 5,
  "sg-loadbalancers ingress": 1,
  "sg-loadbalancers egress": 2,
  "sg-bastion ingress": 1,
  "sg-bastion egress": 3,
};
const SECURITY_SECTIONS = [...Object.keys(SPEC_SECURITY_ROWS), "sg-pods ingress", "sg-pods egress"];
const RULE_TYPES = ["aws_vpc_security_group_ingress_rule", "aws_vpc_security_group_egress_rule"] as const;

const perTable = (rows: { table: string }[]) =>
  rows.reduce<Record<string, number>>((c, r) => ({ ...c, [r.table]: (c[r.table] ?? 0) + 1 }), {});

/** The report's sections as a reader sees them: title -> the cells of each table line. */
function sections(md: string): Map<string, string[][]> {
  const out = new Map<string, string[][]>();
  for (const part of md.split(/^## /m).slice(1)) {
    const [title, ...lines] = part.split("\n");
    const body = lines.filter((l) => l.startsWith("| ")).slice(1);
    out.set(
      title,
      body.map((l) => l.slice(2, -2).split(/ (?<!\\)\| /)),
    );
  }
  return out;
}

const addressesIn = (cell: string) => [...cell.matchAll(/`([^`]+)`/g)].map((m) => m[1]);

/** Each rule resource of the stack and the report section it belongs to, read from the stack alone. */
function ruleResources(tf: TfJson): { address: string; section: string }[] {
  const groupName = new Map(resourcesOf(tf, "aws_security_group").map((g) => [g.address, g.body.tags!.Name]));
  return RULE_TYPES.flatMap((type) =>
    resourcesOf(tf, type).map((r) => ({
      address: r.address,
      section: `${groupName.get(refOf(r.body.security_group_id)!.address)} ${type.split("_").at(-2)}`,
    })),
  );
}

/** Where each rule address appears in the report's security-group sections. */
function reportedRules(md: string): { address: string; section: string; row: string }[] {
  const found = [...sections(md)].filter(([title]) => SECURITY_SECTIONS.includes(title));
  return found.flatMap(([section, lines]) =>
    lines.flatMap(([row, , addresses]) => addressesIn(addresses).map((address) => ({ address, section, row }))),
  );
}

describe.each([
  ["azCount 1", {}],
  ["azCount 3, per-AZ NAT", { azCount: 3, natGateways: "perAz" }],
  ["bootstrapEgress off", { bootstrapEgress: false }],
])("%s", (_name, input) => {
  const { tf, cluster, config } = build(input);
  const rows = traceRows(tf, cluster.plan, cluster.securityPlan);
  const md = traceMarkdown(rows);

  test("every spec row of the VPC, subnet and route tables is in the report, table by table", () => {
    const counts = perTable(rows);
    const reported = Object.keys(SPEC_ROWS_PER_TABLE).map((t) => [t, counts[t]]);
    expect(Object.fromEntries(reported)).toEqual(SPEC_ROWS_PER_TABLE);
  });
  test("the report's sections are those tables and one per security group and direction, nothing else", () => {
    const expected = [...Object.keys(SPEC_ROWS_PER_TABLE), ...SECURITY_SECTIONS];
    expect(Object.keys(perTable(rows)).sort()).toEqual(expected.sort());
  });
  test("every row has at least one Terraform address", () =>
    expect(rows.filter((r) => r.addresses.length === 0)).toEqual([]));

  test("every spec row of a security-group table is cited under its group, by its number", () => {
    const byTitle = sections(md);
    for (const [section, count] of Object.entries(SPEC_SECURITY_ROWS)) {
      const numbers = (row: string) =>
        (/^rows? ([\d, ]+)/.exec(row)?.[1] ?? "").split(", ").filter(Boolean).map(Number);
      const cited = byTitle.get(section)!.flatMap(([row]) => numbers(row));
      expect([...new Set(cited)].sort((a, b) => a - b)).toEqual(Array.from({ length: count }, (_, i) => i + 1));
    }
  });
  test("the spec's cells of each security-group row are in the line that cites it", () => {
    for (const t of securityGroupTables)
      for (const d of ["ingress", "egress"] as const)
        t[d].forEach((row, i) => {
          const cites = new RegExp(`^rows? (\\d+, )*${i + 1}(,|$)`);
          const lines = rows.filter((x) => x.table === `${t.name} ${d}` && cites.test(x.row));
          expect(lines.length).toBeGreaterThan(0);
          for (const line of lines) expect(line.spec).toContain(`${row.ports} | ${row.descriptionAsWritten}`);
        });
  });

  test("every rule resource of the stack is in the report exactly once, under its group and direction", () => {
    const reported = reportedRules(md);
    const resources = ruleResources(tf);
    expect(resources.length).toBeGreaterThan(30);
    for (const r of resources)
      expect(reported.filter((x) => x.address === r.address)).toEqual([{ ...r, row: expect.any(String) }]);
  });
  test("every line under a group is one rule resource of that group and direction, citing a row or addition", () => {
    const resources = new Map(ruleResources(tf).map((r) => [r.address, r.section]));
    for (const [title, lines] of [...sections(md)].filter(([t]) => SECURITY_SECTIONS.includes(t)))
      for (const [row, , addresses] of lines) {
        expect(addressesIn(addresses)).toHaveLength(1);
        expect(resources.get(addressesIn(addresses)[0])).toBe(title);
        expect(row).toMatch(/^(rows? [\d, ]+(, A\d+)*|A\d+(, A\d+)*)$/);
      }
  });
  test("the addition lines are the switched-on addition rows' rules, by id", () => {
    const ids = new Set(SECURITY_ADDITION_ROWS.filter((r) => isSwitchedOn(r, config)).map((r) => r.id));
    const cited = new Set(reportedRules(md).flatMap((r) => r.row.match(/A\d+/g) ?? []));
    expect(cited).toEqual(ids);
  });
});

describe("the report shows what the stack lacks or has beyond the plan", () => {
  const { tf, cluster } = build();
  const lacking: TfJson = JSON.parse(JSON.stringify(tf));
  delete lacking.resource!.aws_vpc_security_group_egress_rule.bastion_egress_tcp_443_to_anywhere;
  const extra: TfJson = JSON.parse(JSON.stringify(tf));
  extra.resource!.aws_vpc_security_group_ingress_rule.worker_nodes_ingress_tcp_8080_from_anywhere = {
    security_group_id: "${aws_security_group.sg_worker_nodes.id}",
    ip_protocol: "tcp",
    from_port: 8080,
    to_port: 8080,
    cidr_ipv4: "0.0.0.0/0",
  };

  test("a planned rule whose resource is missing: MISSING on its addition's line under sg-bastion egress", () => {
    const rows = traceRows(lacking, cluster.plan, cluster.securityPlan);
    expect(rows.filter((r) => r.addresses.length === 0)).toEqual([
      expect.objectContaining({
        table: "sg-bastion egress",
        row: "A7",
        spec: "(addition) Session Manager and updates over HTTPS",
      }),
    ]);
    expect(traceMarkdown(rows)).toContain("**MISSING**");
  });
  test("a rule resource nothing planned: listed under its group, citing no row", () => {
    const md = traceMarkdown(traceRows(extra, cluster.plan, cluster.securityPlan));
    const stray = reportedRules(md).filter((r) => r.address.endsWith("8080_from_anywhere"));
    expect(stray).toEqual([
      {
        address: "aws_vpc_security_group_ingress_rule.worker_nodes_ingress_tcp_8080_from_anywhere",
        section: "sg-worker-nodes ingress",
        row: "(none)",
      },
    ]);
  });
});

test("the markdown lists every deviation and addition with its reason", () => {
  const md = traceMarkdown(trace());
  for (const d of DEVIATIONS) expect(md).toContain(`| ${d.id} |`);
  for (const a of NETWORK_ADDITIONS) expect(md).toContain(`| ${a.id} | ${a.what} | ${a.why} |`);
  const line = (id: string, reason: string) =>
    new RegExp(`^\\| ${id} \\| .* \\| ${reason.replace(/[()]/g, "\\$&")} \\|`, "m");
  for (const a of SECURITY_ADDITION_ROWS) expect(md).toMatch(line(a.id, a.why));
  expect(md).not.toContain("**MISSING**");
});

test("D7 is visible: the two worker SSH rows share one rule, on one line that cites both", () => {
  const ssh = (r: TraceRow) => r.addresses.some((a) => a.endsWith("_tcp_22_from_bastion_a"));
  const lines = trace().filter((r) => r.table === "sg-worker-nodes ingress" && ssh(r));
  expect(lines).toEqual([expect.objectContaining({ row: "rows 3, 6", note: expect.stringMatching(/duplicate.*D7/) })]);
  expect(lines[0].spec).toContain("Bastion CIDR | TCP | 22");
  expect(lines[0].spec).toContain("172.31.3.0/24 | ssh | 22");
});

test("D5 is visible: a row of protocol ALL with ports is two lines, tcp and udp", () => {
  const lines = trace().filter((r) => r.table === "sg-loadbalancers egress" && r.row === "row 1");
  expect(lines.map((l) => l.addresses[0].replace(/^.*egress_/, ""))).toEqual([
    "tcp_30000_32767_to_workers_a",
    "udp_30000_32767_to_workers_a",
  ]);
  for (const l of lines) expect(l.note).toMatch(/one tcp and one udp rule \(D5\)/);
});
