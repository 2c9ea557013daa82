/**
 * Synth-time checks for what AWS rejects at apply but `terraform plan` does not: subnet sizes,
 * containment and overlap, subnets without a route table, a NAT gateway without a way out, a
 * mixed instances policy AWS refuses (autoscaling-rules.ts).
 * Each finding names the resource. main.ts runs these before anything is written.
 */
import { Cidr, cidrProblem, contains, overlaps, parseCidr } from "../aws/cidr";
import { AWS_MAX_SUBNET_PREFIX, AWS_MIN_SUBNET_PREFIX } from "../aws/limits";
import { TfJson, TfResource, byAddress, label, refOf, resourcesOf, withVariableDefaults } from "./tf-json";
import { checkSecurityGroups } from "./security-group-rules";
import { checkMixedInstancesPolicies } from "./autoscaling-rules";

export interface Finding {
  readonly resource: string;
  readonly message: string;
}

export class AwsRuleError extends Error {
  constructor(readonly findings: readonly Finding[]) {
    super(findings.map((f) => `AWS would reject ${f.resource}: ${f.message}`).join("\n"));
    this.name = "AwsRuleError";
  }
}

type Check = (tf: TfJson) => Finding[];

function cidrOf(r: TfResource, findings: Finding[]): Cidr | undefined {
  const text = r.body.cidr_block;
  if (typeof text !== "string") return undefined; // computed (IPAM): nothing to check at synth
  const problem = cidrProblem(text);
  if (problem) {
    findings.push({ resource: label(r), message: `cidr_block ${JSON.stringify(text)} ${problem}` });
    return undefined;
  }
  return parseCidr(text);
}

const vpcAndSubnetSizes: Check = (tf) => {
  const findings: Finding[] = [];
  const vpcs = new Map<string, Cidr>();
  for (const vpc of resourcesOf(tf, "aws_vpc")) {
    const c = cidrOf(vpc, findings);
    if (!c) continue;
    if (c.prefix < AWS_MIN_SUBNET_PREFIX || c.prefix > AWS_MAX_SUBNET_PREFIX)
      findings.push({ resource: label(vpc), message: `VPC CIDR ${c.text} is outside /16 to /28` });
    vpcs.set(vpc.address, c);
  }
  const subnets: { r: TfResource; c: Cidr; vpc?: string }[] = [];
  for (const s of resourcesOf(tf, "aws_subnet")) {
    const c = cidrOf(s, findings);
    if (!c) continue;
    if (c.prefix < AWS_MIN_SUBNET_PREFIX || c.prefix > AWS_MAX_SUBNET_PREFIX)
      findings.push({
        resource: label(s),
        message: `subnet CIDR ${c.text} is outside /16 to /28 (AWS's smallest subnet is a /28)`,
      });
    const vpc = refOf(s.body.vpc_id)?.address;
    const vpcCidr = vpc ? vpcs.get(vpc) : undefined;
    if (vpcCidr && !contains(vpcCidr, c))
      findings.push({ resource: label(s), message: `subnet CIDR ${c.text} is not inside its VPC's ${vpcCidr.text}` });
    subnets.push({ r: s, c, vpc });
  }
  for (let i = 0; i < subnets.length; i++)
    for (let j = i + 1; j < subnets.length; j++) {
      const a = subnets[i];
      const b = subnets[j];
      if (a.vpc === b.vpc && overlaps(a.c, b.c))
        findings.push({
          resource: label(b.r),
          message: `subnet CIDR ${b.c.text} overlaps ${label(a.r)} (${a.c.text})`,
        });
    }
  return findings;
};

/** Route table of each subnet address, from explicit associations. */
function routeTableOfSubnets(tf: TfJson): Map<string, string[]> {
  const map = new Map<string, string[]>();
  for (const a of resourcesOf(tf, "aws_route_table_association")) {
    const subnet = refOf(a.body.subnet_id)?.address;
    const table = refOf(a.body.route_table_id)?.address;
    if (!subnet || !table) continue;
    map.set(subnet, [...(map.get(subnet) ?? []), table]);
  }
  return map;
}

const everySubnetAssociated: Check = (tf) => {
  const assoc = routeTableOfSubnets(tf);
  const findings: Finding[] = [];
  for (const s of resourcesOf(tf, "aws_subnet")) {
    const tables = assoc.get(s.address) ?? [];
    if (tables.length === 0)
      findings.push({
        resource: label(s),
        message: "has no route table association (it would silently use the VPC's main route table)",
      });
    if (tables.length > 1)
      findings.push({
        resource: label(s),
        message: `is associated with ${tables.length} route tables; AWS allows one`,
      });
  }
  return findings;
};

/** Routes of a route table: inline blocks and standalone aws_route resources. */
export function routesOf(tf: TfJson, tableAddress: string): Record<string, unknown>[] {
  const table = byAddress(tf, tableAddress);
  const inline = Array.isArray(table?.body.route) ? (table!.body.route as Record<string, unknown>[]) : [];
  const standalone = resourcesOf(tf, "aws_route")
    .filter((r) => refOf(r.body.route_table_id)?.address === tableAddress)
    .map((r) => r.body);
  return [...inline, ...standalone];
}

const routesAreUnique: Check = (tf) => {
  const findings: Finding[] = [];
  for (const t of resourcesOf(tf, "aws_route_table")) {
    const seen = new Set<string>();
    for (const r of routesOf(tf, t.address)) {
      const dest = String(r.destination_cidr_block ?? r.destination_prefix_list_id ?? r.destination_ipv6_cidr_block);
      if (seen.has(dest))
        findings.push({ resource: label(t), message: `has two routes to ${dest} (RouteAlreadyExists)` });
      seen.add(dest);
    }
  }
  return findings;
};

const natGatewaysReachInternet: Check = (tf) => {
  const findings: Finding[] = [];
  const assoc = routeTableOfSubnets(tf);
  for (const nat of resourcesOf(tf, "aws_nat_gateway")) {
    if (nat.body.connectivity_type === "private") continue;
    const subnet = refOf(nat.body.subnet_id)?.address;
    const tables = subnet ? (assoc.get(subnet) ?? []) : [];
    const viaIgw = tables.some((t) =>
      routesOf(tf, t).some(
        (r) => r.destination_cidr_block === "0.0.0.0/0" && refOf(r.gateway_id)?.type === "aws_internet_gateway",
      ),
    );
    if (!viaIgw)
      findings.push({
        resource: label(nat),
        message:
          `sits in ${subnet ?? "an unknown subnet"}, ` +
          "whose route table has no 0.0.0.0/0 route to an internet gateway",
      });
    if (!nat.body.allocation_id)
      findings.push({ resource: label(nat), message: "is public but has no Elastic IP allocation" });
  }
  return findings;
};

export const NETWORK_CHECKS: readonly Check[] = [
  vpcAndSubnetSizes,
  everySubnetAssociated,
  routesAreUnique,
  natGatewaysReachInternet,
];

/** Every check, on the configuration as it applies with the variables' defaults. */
export function checkAwsRules(tf: TfJson): Finding[] {
  const applied = withVariableDefaults(tf);
  return [...NETWORK_CHECKS, checkSecurityGroups, checkMixedInstancesPolicies].flatMap((c) => c(applied));
}
