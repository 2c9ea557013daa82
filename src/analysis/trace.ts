/**
 * The traceability report: every row of the spec's tables mapped to the Terraform addresses that
 * implement it, found in the synthesized JSON (so a row whose resource is missing shows as
 * MISSING); every rule of every security group under its group, spec rows and additions alike,
 * with its rule resource; and every deviation and addition with its reason. Written next to the
 * stack as spec-trace.md for reviewers who hold the spec beside the plan.
 */
import { CLUSTER_ADDITIONS, NETWORK_ADDITIONS } from "../aws/deviations";
import { additionTable, cell, deviationTable, securityAdditions } from "../markdown";
import { NetworkPlan } from "../aws/network-plan";
import { RulePlan, RuleSource, SecurityGroupPlan, asWritten } from "../aws/security-rules";
import { routeTableTables, subnetTables, vpcTable } from "../spec/network";
import { SecurityGroupRow, securityGroupTables } from "../spec/security-groups";
import { TfJson, refOf, resourcesOf } from "./tf-json";

export interface TraceRow {
  readonly table: string;
  readonly row: string;
  readonly spec: string;
  readonly addresses: readonly string[];
  readonly note?: string;
}

function byTag(tf: TfJson, type: string, pred: (tags: Record<string, string>) => boolean): string[] {
  return resourcesOf(tf, type)
    .filter((r) => pred(r.body.tags ?? {}))
    .map((r) => r.address);
}

function refersTo(value: unknown, addresses: readonly string[]): boolean {
  const r = refOf(value);
  return !!r && addresses.includes(r.address);
}

export function traceRows(tf: TfJson, plan: NetworkPlan, security: readonly SecurityGroupPlan[]): TraceRow[] {
  const rows: TraceRow[] = [];
  const vpc = byTag(tf, "aws_vpc", (t) => t.Name === vpcTable.name);
  const vpcTableName = "VPN 구성 정보 (VPC)";
  rows.push(
    { table: vpcTableName, row: "VPN Name", spec: vpcTable.name, addresses: vpc },
    { table: vpcTableName, row: "CIDR Block", spec: vpcTable.cidrBlock, addresses: vpc },
    {
      table: vpcTableName,
      row: "DNS Resolution",
      spec: vpcTable.dnsResolution,
      addresses: vpc,
      note: "enable_dns_support",
    },
    {
      table: vpcTableName,
      row: "DNS Hostnames",
      spec: vpcTable.dnsHostnames,
      addresses: vpc,
      note: "enable_dns_hostnames",
    },
    {
      table: vpcTableName,
      row: "Internet Gateway",
      spec: vpcTable.internetGateway,
      addresses: byTag(tf, "aws_internet_gateway", (t) => t.Name === vpcTable.internetGateway),
    },
    {
      table: vpcTableName,
      row: "NAT Gateway",
      spec: vpcTable.natGateway,
      addresses: [
        ...resourcesOf(tf, "aws_nat_gateway").map((r) => r.address),
        ...resourcesOf(tf, "aws_eip").map((r) => r.address),
      ],
      note: plan.natGatewayAzs.length > 1 ? "one per AZ (natGateways: perAz)" : undefined,
    },
    {
      table: vpcTableName,
      row: "VPC Endpoints",
      spec: vpcTable.vpcEndpoints.join(", "),
      addresses: resourcesOf(tf, "aws_vpc_endpoint").map((r) => r.address),
    },
    {
      table: vpcTableName,
      row: "DHCP Options",
      spec: vpcTable.dhcpOptions,
      addresses: vpc,
      note: "no aws_vpc_dhcp_options: AWS associates the default set",
    },
  );

  for (const t of subnetTables) {
    const tier = plan.tiers[t.tier];
    const subnets = byTag(tf, "aws_subnet", (tags) => tags.Tier === t.tier);
    const table = `Subnet: ${t.heading}`;
    const rtName = tier.routeTable;
    const tables = byTag(tf, "aws_route_table", (tags) => tags.Name === rtName || tags.Name?.startsWith(`${rtName}-`));
    const assoc = resourcesOf(tf, "aws_route_table_association")
      .filter((a) => refersTo(a.body.subnet_id, subnets))
      .map((a) => a.address);
    const sg = security.find((s) => s.group === t.tier)!;
    rows.push(
      { table, row: "Name", spec: t.name, addresses: subnets },
      {
        table,
        row: "Type",
        spec: t.type,
        addresses: subnets,
        note: plan.availabilityZones.length > 1 ? "D2: one subnet per AZ" : "D2: one AZ",
      },
      {
        table,
        row: "CIDR Block",
        spec: t.cidrBlock,
        addresses: subnets,
        note: `built: ${tier.subnets.map((s) => s.cidr).join(", ")}${tier.deviations.includes("D1") ? " (D1)" : ""}`,
      },
      {
        table,
        row: "Route Table",
        spec: t.routeTable ?? "(none)",
        addresses: [...tables, ...assoc],
        note: t.routeTable === rtName ? undefined : `built as ${rtName} (${t.routeTable ? "D10" : "D3"})`,
      },
      {
        table,
        row: "Subnet Access",
        spec: t.subnetAccess,
        addresses: subnets,
        note: `map_public_ip_on_launch = ${tier.public}${t.tier === "bastion" ? " (D3)" : ""}`,
      },
      { table, row: "DNS Resolution", spec: t.dnsResolution, addresses: vpc, note: "VPC-wide (enable_dns_support)" },
      { table, row: "DHCP Options", spec: t.dhcpOptions, addresses: vpc, note: "VPC default DHCP option set" },
      {
        table,
        row: "Security Group",
        spec: t.securityGroup,
        addresses: [`aws_security_group.${sg.key}`],
        note: sg.nameTag !== t.securityGroup ? `named ${sg.nameTag} (D10)` : undefined,
      },
    );
  }

  for (const t of routeTableTables) {
    const table = `Route table: ${t.heading}`;
    const tables = byTag(tf, "aws_route_table", (tags) => tags.Name === t.name || tags.Name?.startsWith(`${t.name}-`));
    rows.push({ table, row: "Name", spec: t.name, addresses: tables });
    t.routes.forEach((r, i) => {
      const addresses =
        r.target === "vpcEndpoint"
          ? resourcesOf(tf, "aws_vpc_endpoint_route_table_association")
              .filter((a) => refersTo(a.body.route_table_id, tables))
              .map((a) => a.address)
          : resourcesOf(tf, "aws_route")
              .filter((a) => refersTo(a.body.route_table_id, tables) && a.body.destination_cidr_block === r.destination)
              .filter((a) => (r.target === "natGateway" ? a.body.nat_gateway_id : a.body.gateway_id) !== undefined)
              .map((a) => a.address);
      rows.push({ table, row: `route ${i + 1}`, spec: `${r.destination} -> ${r.targetAsWritten}`, addresses });
    });
  }

  for (const sg of security)
    for (const direction of ["ingress", "egress"] as const) rows.push(...securityRuleRows(tf, sg, direction));
  return rows;
}

/** "row 3", "rows 3, 6", "A6": the spec rows and additions a rule implements. */
function sourcesLabel(sources: readonly RuleSource[]): string {
  const specRows = sources.flatMap((s) => (s.kind === "spec" ? [s.row] : []));
  const additions = sources.flatMap((s) => (s.kind === "addition" ? [s.id] : []));
  const spec = specRows.length ? [`row${specRows.length > 1 ? "s" : ""} ${specRows.join(", ")}`] : [];
  return [...spec, ...additions].join(", ");
}

/** The spec's cells of each spec row the rule implements; for an addition, the rule's description. */
const sourcesText = (rule: RulePlan): string =>
  rule.sources.map((s) => (s.kind === "spec" ? s.text : `(addition) ${rule.description}`)).join("<br>");

/**
 * Why a line is not simply its row: rows merged into one rule, a row that became several rules;
 * for an addition, why it is built and the switch it is built by.
 */
function ruleNote(rule: RulePlan, planned: readonly RulePlan[], specRows: readonly SecurityGroupRow[]) {
  const spec = rule.sources.flatMap((s) => (s.kind === "spec" ? [s] : []));
  const additions = rule.sources.flatMap((s) => (s.kind === "addition" ? [s] : []));
  const rowsOf = new Set(spec.map((s) => s.row));
  const fromSameRow = (r: RulePlan) => r.sources.some((s) => s.kind === "spec" && rowsOf.has(s.row));
  const siblings = planned.filter(fromSameRow);
  const differ = (f: (r: RulePlan) => unknown) => new Set(siblings.map(f)).size > 1;
  const listeners = spec.some((s) => specRows[s.row - 1]?.protocol === "TCP/UDP");
  const notes = [
    spec.length > 1 ? "identical rows: AWS rejects a duplicate rule, so one rule (D7)" : "",
    listeners && siblings.length > 1 ? "one rule per listener (loadBalancers.listeners)" : "",
    !listeners && differ((r) => r.protocol) ? "protocol ALL with ports: one tcp and one udp rule (D5)" : "",
    differ((r) => r.peer.key) ? "one rule per subnet of the tier (D2)" : "",
    ...additions.map((s) => (s.switch === "always" ? s.why : `${s.why}; built while ${s.switch} is true`)),
  ];
  return notes.filter(Boolean).join("; ") || undefined;
}

/**
 * One line per rule of a group and direction, in the plan's order: the spec rows or additions it
 * implements and its rule resource (MISSING when the stack lacks it). A spec row with no rule and a
 * rule resource of the group that nothing planned get a line each too, so nothing hides.
 */
function securityRuleRows(tf: TfJson, sg: SecurityGroupPlan, direction: "ingress" | "egress"): TraceRow[] {
  const table = `${sg.nameTag} ${direction}`;
  const type = `aws_vpc_security_group_${direction}_rule`;
  const group = `aws_security_group.${sg.key}`;
  const resources = resourcesOf(tf, type).filter((r) => refOf(r.body.security_group_id)?.address === group);
  const planned = sg.rules.filter((r) => r.direction === direction);
  const present = new Set(resources.map((r) => r.name));
  const specRows = securityGroupTables.find((t) => t.tier === sg.group)?.[direction] ?? [];
  const rows: TraceRow[] = planned.map((rule) => ({
    table,
    row: sourcesLabel(rule.sources),
    spec: sourcesText(rule),
    addresses: present.has(rule.key) ? [`${type}.${rule.key}`] : [],
    note: ruleNote(rule, planned, specRows),
  }));
  const keys = new Set(planned.map((r) => r.key));
  for (const r of resources.filter((x) => !keys.has(x.name)))
    rows.push({ table, row: "(none)", spec: "no spec row or addition plans this rule", addresses: [r.address] });
  specRows.forEach((row, i) => {
    if (!planned.some((r) => r.sources.some((s) => s.kind === "spec" && s.row === i + 1)))
      rows.push({ table, row: `row ${i + 1}`, spec: asWritten(row), addresses: [] });
  });
  return rows;
}

export function traceMarkdown(rows: readonly TraceRow[]): string {
  const out: string[] = [
    "# Spec trace: every row of spec/seed-k8s-infra.md and the Terraform resources that implement it",
    "",
    "Generated by `npm run synth` next to cdk.tf.json. MISSING means no resource implements the row.",
    "Each security group's sections list every rule of the group, one line per rule resource: the spec rows",
    "(row N of the group's table) or additions (A4, ...: see the table at the end) it implements.",
    "",
  ];
  let current = "";
  for (const r of rows) {
    if (r.table !== current) {
      current = r.table;
      out.push("", `## ${current}`, "", "| row | spec | Terraform address(es) | note |", "|---|---|---|---|");
    }
    const addresses = r.addresses.length ? r.addresses.map((a) => `\`${a}\``).join("<br>") : "**MISSING**";
    out.push(`| ${cell(r.row)} | ${cell(r.spec)} | ${addresses} | ${cell(r.note ?? "")} |`);
  }
  out.push("", "## Deviations (what AWS forces)", "", deviationTable());
  const additions = [...NETWORK_ADDITIONS, ...securityAdditions(), ...CLUSTER_ADDITIONS];
  out.push("", "## Additions (what a working cluster needs beyond the tables)", "", additionTable(additions));
  return `${out.join("\n")}\n`;
}
