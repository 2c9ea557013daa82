/**
 * The traceability report: every row of the spec's tables mapped to the Terraform addresses that
 * implement it, found in the synthesized JSON (so a row whose resource is missing shows as
 * MISSING), plus every deviation and addition with its reason. Written next to the stack as
 * spec-trace.md for reviewers who hold the spec beside the plan.
 */
import { CLUSTER_ADDITIONS, NETWORK_ADDITIONS } from "../aws/deviations";
import { additionTable, cell, deviationTable } from "../markdown";
import { NetworkPlan } from "../aws/network-plan";
import { SECURITY_ADDITIONS, SecurityGroupPlan } from "../aws/security-rules";
import { routeTableTables, subnetTables, vpcTable } from "../spec/network";
import { securityGroupTables } from "../spec/security-groups";
import { TfJson, refOf, resourcesOf } from "./tf-json";

export interface TraceRow {
  readonly table: string;
  readonly row: string;
  readonly spec: string;
  readonly addresses: readonly string[];
  readonly note?: string;
}

const addr = (type: string, names: string[]) => names.map((n) => `${type}.${n}`);

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
    { table: vpcTableName, row: "DNS Resolution", spec: vpcTable.dnsResolution, addresses: vpc, note: "enable_dns_support" },
    { table: vpcTableName, row: "DNS Hostnames", spec: vpcTable.dnsHostnames, addresses: vpc, note: "enable_dns_hostnames" },
    { table: vpcTableName, row: "Internet Gateway", spec: vpcTable.internetGateway, addresses: byTag(tf, "aws_internet_gateway", (t) => t.Name === vpcTable.internetGateway) },
    {
      table: vpcTableName,
      row: "NAT Gateway",
      spec: vpcTable.natGateway,
      addresses: [...resourcesOf(tf, "aws_nat_gateway").map((r) => r.address), ...resourcesOf(tf, "aws_eip").map((r) => r.address)],
      note: plan.natGatewayAzs.length > 1 ? "one per AZ (natGateways: perAz)" : undefined,
    },
    { table: vpcTableName, row: "VPC Endpoints", spec: vpcTable.vpcEndpoints.join(", "), addresses: resourcesOf(tf, "aws_vpc_endpoint").map((r) => r.address) },
    { table: vpcTableName, row: "DHCP Options", spec: vpcTable.dhcpOptions, addresses: vpc, note: "no aws_vpc_dhcp_options: AWS associates the default set" },
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
      { table, row: "Type", spec: t.type, addresses: subnets, note: plan.availabilityZones.length > 1 ? "D2: one subnet per AZ" : "D2: one AZ" },
      { table, row: "CIDR Block", spec: t.cidrBlock, addresses: subnets, note: `built: ${tier.subnets.map((s) => s.cidr).join(", ")}${tier.deviations.includes("D1") ? " (D1)" : ""}` },
      { table, row: "Route Table", spec: t.routeTable ?? "(none)", addresses: [...tables, ...assoc], note: t.routeTable === rtName ? undefined : `built as ${rtName} (${t.routeTable ? "D10" : "D3"})` },
      { table, row: "Subnet Access", spec: t.subnetAccess, addresses: subnets, note: `map_public_ip_on_launch = ${tier.public}${t.tier === "bastion" ? " (D3)" : ""}` },
      { table, row: "DNS Resolution", spec: t.dnsResolution, addresses: vpc, note: "VPC-wide (enable_dns_support)" },
      { table, row: "DHCP Options", spec: t.dhcpOptions, addresses: vpc, note: "VPC default DHCP option set" },
      { table, row: "Security Group", spec: t.securityGroup, addresses: [`aws_security_group.${sg.key}`], note: sg.nameTag !== t.securityGroup ? `named ${sg.nameTag} (D10)` : undefined },
    );
  }

  for (const t of routeTableTables) {
    const table = `Route table: ${t.heading}`;
    const tables = byTag(tf, "aws_route_table", (tags) => tags.Name === t.name || tags.Name?.startsWith(`${t.name}-`));
    rows.push({ table, row: "Name", spec: t.name, addresses: tables });
    t.routes.forEach((r, i) => {
      const addresses =
        r.target === "vpcEndpoint"
          ? resourcesOf(tf, "aws_vpc_endpoint_route_table_association").filter((a) => refersTo(a.body.route_table_id, tables)).map((a) => a.address)
          : resourcesOf(tf, "aws_route")
              .filter((a) => refersTo(a.body.route_table_id, tables) && a.body.destination_cidr_block === r.destination)
              .filter((a) => (r.target === "natGateway" ? a.body.nat_gateway_id : a.body.gateway_id) !== undefined)
              .map((a) => a.address);
      rows.push({ table, row: `route ${i + 1}`, spec: `${r.destination} -> ${r.targetAsWritten}`, addresses });
    });
  }

  for (const t of securityGroupTables) {
    const sg = security.find((s) => s.group === t.tier)!;
    for (const direction of ["ingress", "egress"] as const) {
      t[direction].forEach((row, i) => {
        const rules = sg.rules.filter((r) => r.sources.some((s) => s.kind === "spec" && s.table === t.name && s.direction === direction && s.row === i + 1));
        const type = `aws_vpc_security_group_${direction}_rule`;
        const present = new Set(resourcesOf(tf, type).map((r) => r.name));
        const merged = rules.some((r) => r.sources.filter((s) => s.kind === "spec").length > 1);
        rows.push({
          table: `${t.name} ${direction}`,
          row: `row ${i + 1}`,
          spec: `${row.peer.asWritten} | ${row.protocol} | ${row.ports} | ${row.descriptionAsWritten}`,
          addresses: addr(type, rules.map((r) => r.key).filter((k) => present.has(k))),
          note: merged ? "identical to another row: one rule (D7)" : undefined,
        });
      });
    }
  }
  return rows;
}

export function traceMarkdown(rows: readonly TraceRow[]): string {
  const out: string[] = [
    "# Spec trace: every row of spec/seed-k8s-infra.md and the Terraform resources that implement it",
    "",
    "Generated by `npm run synth` next to cdk.tf.json. MISSING means no resource implements the row.",
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
  out.push("", "## Additions (what a working cluster needs beyond the tables)", "", additionTable([...NETWORK_ADDITIONS, ...SECURITY_ADDITIONS, ...CLUSTER_ADDITIONS]));
  return `${out.join("\n")}\n`;
}
