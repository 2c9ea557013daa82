/**
 * The one place where the spec's network tables meet AWS. It reads src/spec/network.ts and the
 * configuration and returns the concrete plan the constructs render: every AWS-forced change
 * (D1, D2, D3, D9, D10 of the README's "Deviations from the spec") and every addition (A1, A2 of
 * docs/additions.md, "Additions beyond the spec's tables") is applied here, next to a comment saying what it is.
 */
import type { ClusterConfig } from "../config";
import { ConfigError, ConfigProblem } from "../validation/config-error";
import { AWS_MAX_SUBNET_PREFIX } from "./limits";
import { awsPrefixProblem, Cidr, contains, overlaps, parseCidr, splitCidr, widen } from "./cidr";
import {
  TierId,
  TIER_IDS,
  SubnetTable,
  subnetTables,
  podsCidrFromSpec,
  routeTableTables,
  vpcTable,
  RouteTableTable,
} from "../spec/network";

export interface SubnetPlan {
  readonly tier: TierId;
  readonly az: string;
  readonly cidr: string;
  /** Name tag: the spec's subnet name, suffixed with the AZ when there is more than one. */
  readonly name: string;
}

export interface TierPlan {
  readonly id: TierId;
  /** The spec's subnet name (or "pods" for the pods tier, which has no subnet table: D9). */
  readonly specName: string;
  /** The CIDR as the spec writes it. */
  readonly specCidr: string;
  /** The block the tier's subnets are carved from (after D1, the /29 built as a /28, or the configuration). */
  readonly block: string;
  readonly subnets: readonly SubnetPlan[];
  /** Public subnets map public IPs on launch and route 0.0.0.0/0 to the internet gateway. */
  readonly public: boolean;
  readonly routeTable: string;
  readonly deviations: readonly string[];
}

export type RouteTargetKind = "nat" | "igw" | "s3Endpoint";
export interface RoutePlan {
  /** "0.0.0.0/0", or "s3" for the gateway endpoint's prefix list route. */
  readonly destination: string;
  readonly target: RouteTargetKind;
  readonly origin: "spec" | "addition";
  readonly why?: string;
}

export interface RouteTablePlan {
  readonly name: string;
  readonly aliases: readonly string[];
  readonly tier: TierId;
  readonly routes: readonly RoutePlan[];
  /** Spec table this comes from, or undefined for an addition (the bastion's route table: D3, a public bastion). */
  readonly specHeading?: string;
}

export interface NetworkPlan {
  readonly vpcName: string;
  readonly vpcCidr: string;
  readonly enableDnsSupport: boolean;
  readonly enableDnsHostnames: boolean;
  readonly internetGatewayName: string;
  readonly natGatewayName: string;
  readonly availabilityZones: readonly string[];
  /** One NAT gateway (in the first AZ) or one per AZ, always in the loadbalancers tier. */
  readonly natGatewayAzs: readonly string[];
  readonly natGatewayTier: TierId;
  readonly tiers: Readonly<Record<TierId, TierPlan>>;
  readonly routeTables: readonly RouteTablePlan[];
  readonly gatewayEndpoints: readonly string[];
}

const TIER_FIELD = (t: TierId) => `network.subnets.${t}`;

/** D10, names the tables disagree on: the names the spec uses for the same thing; the first is the one we build. */
export const ROUTE_TABLE_ALIASES: Readonly<Record<string, readonly string[]>> = {
  "rtb-k8s-api-endpoint": ["rtb-KubernetesAPIendpoint"],
  "rtb-worker-nodes": ["rtb-workernodes"],
  "rtb-loadbalancers": [],
  "rtb-pods": [],
};

const prefixProblem = (c: Cidr) => awsPrefixProblem(c);

function bitsFor(count: number): number {
  return Math.ceil(Math.log2(count));
}

/** The network plan of a configuration; throws one ConfigError with every problem of its tiers. */
export function planNetwork(config: ClusterConfig): NetworkPlan {
  const azs = config.availabilityZones;
  const overrides = config.network.subnets;

  const vpcText = config.network.vpcCidr ?? vpcTable.cidrBlock;
  const vpc = parseCidr(vpcText);
  const vpcProblem = awsPrefixProblem(vpc, "VPC range");
  if (vpcProblem) throw new ConfigError("network.vpcCidr", vpcText, vpcProblem);

  const specTables: Record<TierId, SubnetTable | undefined> = {
    apiEndpoint: undefined,
    workers: undefined,
    loadBalancers: undefined,
    bastion: undefined,
    pods: undefined,
  };
  for (const t of subnetTables) specTables[t.tier] = t;

  const tiers = {} as Record<TierId, TierPlan>;
  const problems: ConfigProblem[] = [];
  /** Spec blocks outside a configured VPC: one problem of network.vpcCidr, listing them. */
  const outsideVpc: string[] = [];
  for (const id of TIER_IDS) {
    const table = specTables[id];
    // D9, pods subnets the spec does not list: the pods tier has no subnet table; its block is the spec's pod CIDR.
    const specCidr = table?.cidrBlock ?? podsCidrFromSpec;
    const specName = table?.name ?? "pods";
    const deviations: string[] = [];
    if (!table) deviations.push("D9");
    if (azs.length > 1) deviations.push("D2");

    let block: string;
    let subnetPrefix: number;
    const override = overrides[id];
    if (override !== undefined) {
      const c = parseCidr(override);
      block = override;
      subnetPrefix = c.prefix + bitsFor(azs.length);
      const problem = prefixProblem({ ...c, prefix: Math.max(c.prefix, subnetPrefix) });
      if (problem) {
        const why =
          subnetPrefix !== c.prefix
            ? `split over ${azs.length} AZs gives /${subnetPrefix} subnets: ${problem}`
            : problem;
        problems.push({ field: TIER_FIELD(id), value: override, reason: why });
        continue;
      }
    } else {
      const spec = parseCidr(specCidr);
      if (spec.prefix > AWS_MAX_SUBNET_PREFIX) {
        // D1: AWS's smallest subnet is a /28. One AZ: the /28 holding the spec's block. Several
        // AZs: consecutive /28s inside the enclosing /24, so the tier stays the smallest AWS allows.
        deviations.push("D1");
        subnetPrefix = AWS_MAX_SUBNET_PREFIX;
        block = azs.length === 1 ? widen(spec, AWS_MAX_SUBNET_PREFIX) : widen(spec, 24);
      } else {
        block = specCidr;
        subnetPrefix = spec.prefix + bitsFor(azs.length);
      }
    }
    const blockCidr = parseCidr(block);
    if (!contains(vpc, blockCidr)) {
      const reason = `${block} (${id}) is not inside the VPC ${vpcText}`;
      if (override !== undefined) problems.push({ field: TIER_FIELD(id), value: override, reason });
      else outsideVpc.push(`${block} (${id})`);
      continue;
    }

    const cidrs = splitCidr(blockCidr, subnetPrefix, azs.length);
    const subnets = cidrs.map((cidr, i) => ({
      tier: id,
      az: azs[i],
      cidr,
      name: azs.length === 1 ? specName : `${specName}-${azs[i]}`,
    }));

    // D3: the bastion is reached from the internet, so its subnet is public whatever its
    // "Subnet Access" row says.
    const isPublic = id === "loadBalancers" || id === "bastion";
    if (id === "bastion") deviations.push("D3");
    const routeTable = id === "bastion" ? "rtb-bastion" : routeTableTables.find((r) => r.tier === id)!.name;
    if (table?.routeTable && table.routeTable !== routeTable) deviations.push("D10");

    tiers[id] = { id, specName, specCidr, block, subnets, public: isPublic, routeTable, deviations };
  }

  if (outsideVpc.length > 0) {
    const reason = `${outsideVpc.join(", ")} ${outsideVpc.length === 1 ? "is" : "are"} not inside the VPC ${vpcText}`;
    problems.push({ field: "network.vpcCidr", value: vpcText, reason });
  }

  // Tiers may not overlap each other (AWS rejects overlapping subnets in a VPC).
  const planned = TIER_IDS.filter((id) => tiers[id]).map((id) => tiers[id]);
  for (let i = 0; i < planned.length; i++) {
    for (let j = i + 1; j < planned.length; j++) {
      const [a, b] = [planned[i], planned[j]];
      if (overlaps(parseCidr(a.block), parseCidr(b.block))) {
        const culprit = overrides[b.id] !== undefined ? b : a;
        const other = culprit === b ? a : b;
        const reason = `overlaps the ${other.id} tier (${other.block})`;
        problems.push({ field: TIER_FIELD(culprit.id), value: culprit.block, reason });
      }
    }
  }
  if (problems.length > 0) throw new ConfigError(problems);

  const routeTables: RouteTablePlan[] = routeTableTables.map((t: RouteTableTable) => {
    const routes: RoutePlan[] = t.routes.map((r) => ({
      destination: r.target === "vpcEndpoint" ? "s3" : r.destination,
      target: r.target === "natGateway" ? "nat" : r.target === "internetGateway" ? "igw" : "s3Endpoint",
      origin: "spec" as const,
    }));
    if (t.tier === "workers" && config.bootstrapEgress) {
      // Addition A1, the workers' default route to the NAT gateway: nodes download packages and images at boot.
      routes.unshift({ destination: "0.0.0.0/0", target: "nat", origin: "addition", why: "bootstrap egress (A1)" });
    }
    return { name: t.name, aliases: ROUTE_TABLE_ALIASES[t.name] ?? [], tier: t.tier, routes, specHeading: t.heading };
  });
  // D3, a public bastion: the bastion's own route table, to the internet gateway.
  routeTables.push({
    name: "rtb-bastion",
    aliases: [],
    tier: "bastion",
    routes: [{ destination: "0.0.0.0/0", target: "igw", origin: "addition", why: "public bastion (D3)" }],
  });

  return {
    vpcName: vpcTable.name,
    vpcCidr: vpcText,
    enableDnsSupport: vpcTable.dnsResolution === "Enabled",
    enableDnsHostnames: vpcTable.dnsHostnames === "Enabled",
    internetGatewayName: vpcTable.internetGateway,
    natGatewayName: vpcTable.natGateway,
    availabilityZones: azs,
    natGatewayAzs: config.natGateways === "perAz" ? azs : [azs[0]],
    natGatewayTier: "loadBalancers",
    tiers,
    routeTables,
    gatewayEndpoints: vpcTable.vpcEndpoints,
  };
}
