/**
 * The one place where security-group rows meet AWS semantics: the spec's rows
 * (src/spec/security-groups.ts) and the additions a working cluster needs (security-additions.ts)
 * become concrete rules the same way. "ssh" is tcp 22; ICMP "3,4" is type 3 code 4 (D6: for ICMP
 * the ports are the type and the code); protocol ALL with ports is a tcp and a udp rule (D5: AWS's
 * protocol -1 cannot carry ports); "AWS Services (VPCE)" is the S3 endpoint's prefix list (D8); a
 * tier peer is the tier's real subnets (D1: the /28 AWS allows instead of the spec's /29; D2: one
 * subnet per AZ); identical rules merge into one (D7: AWS rejects a duplicate). The codes are
 * those of the README's "Deviations from the spec" table. The SecurityGroups construct renders the
 * result as it is.
 */
import { ClusterConfig } from "../config";
import { canonical } from "./cidr";
import { NetworkPlan } from "./network-plan";
import { TierId } from "../spec/network";
import { SecurityGroupRow, securityGroupTables } from "../spec/security-groups";
import { terraformName } from "../naming";
import {
  AdditionPeer,
  AdditionSwitch,
  Direction,
  PODS_GROUP_NAME,
  SECURITY_ADDITION_ROWS,
  SecurityAdditionRow,
  isSwitchedOn,
} from "./security-additions";

export type { Direction };
export type IpProtocol = "tcp" | "udp" | "icmp" | "-1";

/** The Terraform variables (list of CIDRs) that configured peers become; see constructs/variables.ts. */
export type CidrListVariable = "bastion_admin_cidrs" | "load_balancer_client_cidrs";

export type RulePeer =
  | { readonly kind: "cidr"; readonly cidr: string; readonly key: string }
  /** One rule per CIDR of a list variable (for_each), defaulting to the configured list. */
  | {
      readonly kind: "cidrList";
      readonly variable: CidrListVariable;
      readonly defaults: readonly string[];
      readonly key: string;
    }
  | { readonly kind: "group"; readonly group: TierId; readonly key: string }
  | { readonly kind: "prefixList"; readonly service: "s3"; readonly key: string };

export type RuleSource =
  | {
      readonly kind: "spec";
      readonly table: string;
      readonly direction: Direction;
      readonly row: number;
      readonly text: string;
    }
  | { readonly kind: "addition"; readonly id: string; readonly why: string; readonly switch: AdditionSwitch };

export interface RulePlan {
  readonly group: TierId;
  readonly direction: Direction;
  readonly protocol: IpProtocol;
  /** Port range (tcp/udp) or ICMP type (from) and code (to); absent for protocol -1. */
  readonly fromPort?: number;
  readonly toPort?: number;
  readonly peer: RulePeer;
  readonly description: string;
  /** Spec rows and additions this rule implements (several when identical rows merged, D7). */
  readonly sources: RuleSource[];
  /** Terraform name of the rule resource. */
  readonly key: string;
  /** The name as earlier releases wrote it, when it differs (the construct adds a moved block). */
  readonly logicalId: string;
}

export interface SecurityGroupPlan {
  readonly group: TierId;
  /** Terraform name of the group resource (sg_api_endpoint, sg_worker_nodes, ...). */
  readonly key: string;
  /**
   * The spec's name, the Name tag (D12: an AWS group name may not start with "sg-"); for the pods
   * group, which the spec has no table for, sg-pods (addition A8, the group of the pods' ENIs).
   */
  readonly nameTag: string;
  readonly aliases: readonly string[];
  /** The AWS group name: derived from the cluster, never starting with "sg-" (D12). */
  readonly groupName: string;
  readonly description: string;
  /** The one group per instance role the AWS cloud controller recognises as the cluster's. */
  readonly clusterTagged: boolean;
  readonly rules: readonly RulePlan[];
}

const GROUP_KEYS: Record<TierId, string> = {
  apiEndpoint: "api_endpoint",
  workers: "worker_nodes",
  loadBalancers: "loadbalancers",
  bastion: "bastion",
  pods: "pods",
};

const GROUP_NAMES: Record<TierId, string> = {
  apiEndpoint: "api-endpoint",
  workers: "worker-nodes",
  loadBalancers: "loadbalancers",
  bastion: "bastion",
  pods: "pods",
};

const GROUP_DESCRIPTIONS: Record<TierId, string> = {
  apiEndpoint: "Kubernetes API endpoint: control plane nodes and the internal API load balancer",
  workers: "Kubernetes worker nodes",
  loadBalancers: "Public Service load balancers",
  bastion: "Bastion host",
  pods: "Pod network interfaces (VPC CNI custom networking)",
};

interface PortSpec {
  readonly protocol: IpProtocol;
  readonly fromPort?: number;
  readonly toPort?: number;
}

/**
 * The spec's protocol and port cells as AWS protocol/port tuples: protocol ALL with ports is a tcp
 * and a udp rule (D5), and ICMP's two numbers are its type and code (D6).
 */
export function portsOf(
  row: Pick<SecurityGroupRow, "protocol" | "ports">,
  listeners: readonly { port: number; protocol: "tcp" | "udp" }[] = [],
): PortSpec[] {
  const range = (text: string): [number, number] => {
    const m = /^(\d+)(?:\s*[-–]\s*(\d+))?$/.exec(text.trim());
    if (!m) throw new Error(`unreadable port cell ${JSON.stringify(text)}`);
    return [Number(m[1]), Number(m[2] ?? m[1])];
  };
  switch (row.protocol) {
    case "ssh":
    case "TCP": {
      if (row.ports === "ALL") return [{ protocol: "tcp", fromPort: 0, toPort: 65535 }];
      const [from, to] = range(row.ports);
      return [{ protocol: "tcp", fromPort: from, toPort: to }];
    }
    case "ICMP": {
      // D6: "3,4" is ICMP type 3 (destination unreachable) code 4 (fragmentation needed).
      const [type, code] = row.ports.split(",").map((p) => Number(p.trim()));
      return [{ protocol: "icmp", fromPort: type, toPort: code }];
    }
    case "ALL": {
      if (row.ports === "ALL") return [{ protocol: "-1" }];
      // D5: protocol -1 cannot carry ports; a port range means tcp and udp.
      const [from, to] = range(row.ports);
      return [
        { protocol: "tcp", fromPort: from, toPort: to },
        { protocol: "udp", fromPort: from, toPort: to },
      ];
    }
    case "TCP/UDP":
      // "App-specific": the configured listeners.
      return listeners.map((l) => ({ protocol: l.protocol, fromPort: l.port, toPort: l.port }));
  }
}

const cidrKey = (cidr: string) => (cidr === "0.0.0.0/0" ? "anywhere" : cidr.replace(/[./]/g, "_"));

function peersOf(peer: AdditionPeer, group: TierId, network: NetworkPlan, config: ClusterConfig): RulePeer[] {
  switch (peer.kind) {
    case "self":
      return [{ kind: "group", group, key: "self" }];
    case "tier":
      // D1, D2: a tier is its real subnets (the /28, one per AZ), whatever CIDR the spec wrote.
      return network.tiers[peer.tier].subnets.map((s) => ({
        kind: "cidr",
        cidr: s.cidr,
        key: `${peer.tier}_${s.az.slice(-1)}`,
      }));
    case "cidr":
      return [{ kind: "cidr", cidr: peer.cidr, key: cidrKey(peer.cidr) }];
    case "awsServices":
      // D8: the gateway endpoint's managed prefix list (S3 is the only endpoint, as the spec asks).
      return [{ kind: "prefixList", service: "s3", key: "s3" }];
    case "configured":
      // Ops teams change these without re-synthesizing: a Terraform list variable, one rule per CIDR.
      return peer.setting === "bastion.adminCidrs"
        ? [
            {
              kind: "cidrList",
              variable: "bastion_admin_cidrs",
              defaults: config.bastion.adminCidrs,
              key: "admin_cidrs",
            },
          ]
        : [
            {
              kind: "cidrList",
              variable: "load_balancer_client_cidrs",
              defaults: config.loadBalancers.clientCidrs,
              key: "client_cidrs",
            },
          ];
  }
}

function portKey(p: PortSpec): string {
  if (p.protocol === "-1") return "all";
  if (p.protocol === "icmp") return `icmp_${p.fromPort}_${p.toPort}`;
  const ports =
    p.fromPort === 0 && p.toPort === 65535
      ? "all"
      : p.fromPort === p.toPort
        ? `${p.fromPort}`
        : `${p.fromPort}_${p.toPort}`;
  return `${p.protocol}_${ports}`;
}

function peerIdentity(peer: RulePeer): string {
  if (peer.kind === "cidr") return `cidr:${canonical(peer.cidr)}`;
  if (peer.kind === "group") return `group:${peer.group}`;
  if (peer.kind === "cidrList") return `list:${peer.variable}`;
  return `pl:${peer.service}`;
}

/** The rules of every group, built row by row. */
class RuleSet {
  private readonly rules = new Map<string, RulePlan>();

  constructor(
    private readonly network: NetworkPlan,
    private readonly config: ClusterConfig,
  ) {}

  /**
   * The rules of one spec row: its protocol and ports as AWS reads them (D5: ALL with ports as tcp
   * and udp; D6: ICMP type and code) to each of its peers (D8: the S3 prefix list; D1, D2: the
   * tier's real subnets).
   */
  addRow(group: TierId, direction: Direction, row: SecurityGroupRow, source: RuleSource): void {
    for (const ports of portsOf(row, this.config.loadBalancers.listeners))
      for (const peer of peersOf(row.peer, group, this.network, this.config))
        this.add(group, direction, ports, peer, row.description, source);
  }

  /**
   * Rows of one addition toward the same peer, read as spec rows are, subnet by subnet: every
   * row's rules to the first subnet, then the next (the internal API load balancer's 6443 in and
   * out of each API endpoint subnet, A5, stay side by side).
   */
  addRowsTogether(rows: readonly SecurityAdditionRow[]): void {
    const [first] = rows;
    for (const peer of peersOf(first.peer, first.group, this.network, this.config))
      for (const row of rows) {
        const source: RuleSource = { kind: "addition", id: row.id, why: row.why, switch: row.switch };
        for (const ports of portsOf(row, this.config.loadBalancers.listeners))
          this.add(row.group, row.direction, ports, peer, row.description, source);
      }
  }

  private add(
    group: TierId,
    direction: Direction,
    ports: PortSpec,
    peer: RulePeer,
    description: string,
    source: RuleSource,
  ): void {
    const identity = [group, direction, ports.protocol, ports.fromPort, ports.toPort, peerIdentity(peer)].join("|");
    const existing = this.rules.get(identity);
    if (existing) {
      // D7: AWS rejects identical rules (InvalidPermission.Duplicate); keep one, trace both rows.
      existing.sources.push(source);
      return;
    }
    const side = direction === "ingress" ? "from" : "to";
    const logicalId = `${GROUP_KEYS[group]}_${direction}_${portKey(ports)}_${side}_${peer.key}`;
    this.rules.set(identity, {
      group,
      direction,
      ...ports,
      peer,
      description,
      sources: [source],
      key: terraformName(logicalId),
      logicalId,
    });
  }

  forGroup(group: TierId): RulePlan[] {
    return [...this.rules.values()].filter((r) => r.group === group);
  }
}

/** A spec row's cells as the spec writes them: peer | protocol | ports | description. */
export function asWritten(row: SecurityGroupRow): string {
  return `${row.peer.asWritten} | ${row.protocol} | ${row.ports} | ${row.descriptionAsWritten}`;
}

/** A group's Name tag: the spec's name (D12: not the AWS group name), or sg-pods for the pods group (A8). */
export function nameTagOf(group: TierId): string {
  return securityGroupTables.find((t) => t.tier === group)?.name ?? PODS_GROUP_NAME;
}

/** Items split into runs of neighbours that `same` pairs. */
function consecutiveRuns<T>(items: readonly T[], same: (a: T, b: T) => boolean): T[][] {
  const runs: T[][] = [];
  for (const item of items) {
    const last = runs.at(-1);
    if (last && same(last[last.length - 1], item)) last.push(item);
    else runs.push([item]);
  }
  return runs;
}

/**
 * Every group with its rules: the spec's rows, then the addition rows whose switch is on
 * (security-additions.ts), each rendered by RuleSet.addRow. Nothing else adds a rule.
 */
export function planSecurityGroups(config: ClusterConfig, network: NetworkPlan): SecurityGroupPlan[] {
  const set = new RuleSet(network, config);
  for (const table of securityGroupTables)
    for (const direction of ["ingress", "egress"] as const)
      table[direction].forEach((row, i) => {
        const source: RuleSource = { kind: "spec", table: table.name, direction, row: i + 1, text: asWritten(row) };
        set.addRow(table.tier, direction, row, source);
      });
  const towardOnePeer = (a: SecurityAdditionRow, b: SecurityAdditionRow) =>
    a.id === b.id && a.group === b.group && JSON.stringify(a.peer) === JSON.stringify(b.peer);
  for (const rows of consecutiveRuns(
    SECURITY_ADDITION_ROWS.filter((r) => isSwitchedOn(r, config)),
    towardOnePeer,
  ))
    set.addRowsTogether(rows);

  const groups: TierId[] = ["apiEndpoint", "workers", "loadBalancers", "bastion", "pods"];
  return groups.map((group) => {
    const table = securityGroupTables.find((t) => t.tier === group);
    return {
      group,
      key: `sg_${GROUP_KEYS[group]}`,
      nameTag: nameTagOf(group),
      aliases: table?.aliases ?? [],
      groupName: `${config.clusterName}-${GROUP_NAMES[group]}`,
      description: `${GROUP_DESCRIPTIONS[group]} (${config.clusterName})`,
      clusterTagged: group === "apiEndpoint" || group === "workers",
      rules: set.forGroup(group),
    };
  });
}
