/**
 * The one place where the spec's security-group tables meet AWS semantics. Each row of
 * src/spec/security-groups.ts becomes concrete rules: "ssh" is tcp 22, ICMP "3,4" is type 3
 * code 4 (D6), protocol ALL with ports is a tcp and a udp rule (D5), "AWS Services (VPCE)" is the
 * S3 endpoint's prefix list (D8), tier peers expand to the tier's real subnets (D1, D2), and
 * identical rules merge into one (D7). The additions a working cluster needs are appended here,
 * each with its reason. The SecurityGroups construct renders the result as it is.
 */
import { ClusterConfig } from "../config";
import { canonical } from "./cidr";
import { NetworkPlan } from "./network-plan";
import { TierId } from "../spec/network";
import { Peer, SecurityGroupRow, SecurityGroupTable, securityGroupTables } from "../spec/security-groups";

export type Direction = "ingress" | "egress";
export type IpProtocol = "tcp" | "udp" | "icmp" | "-1";

import { terraformName } from "../naming";
import { PORTS } from "./ports";
/** The Terraform variables (list of CIDRs) that configured peers become; see constructs/variables.ts. */
export type CidrListVariable = "bastion_admin_cidrs" | "load_balancer_client_cidrs";

export type RulePeer =
  | { readonly kind: "cidr"; readonly cidr: string; readonly key: string }
  /** One rule per CIDR of a list variable (for_each), defaulting to the configured list. */
  | { readonly kind: "cidrList"; readonly variable: CidrListVariable; readonly defaults: readonly string[]; readonly key: string }
  | { readonly kind: "group"; readonly group: TierId; readonly key: string }
  | { readonly kind: "prefixList"; readonly service: "s3"; readonly key: string };

export type RuleSource =
  | { readonly kind: "spec"; readonly table: string; readonly direction: Direction; readonly row: number; readonly text: string }
  | { readonly kind: "addition"; readonly id: string };

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
  /** The spec's name, the Name tag (D12). Pods: our addition. */
  readonly nameTag: string;
  readonly aliases: readonly string[];
  /** The AWS group name: derived from the cluster, never starting with "sg-" (D12). */
  readonly groupName: string;
  readonly description: string;
  /** The one group per instance role the AWS cloud controller recognises as the cluster's. */
  readonly clusterTagged: boolean;
  readonly rules: readonly RulePlan[];
}

export interface SecurityAddition {
  readonly id: string;
  readonly what: string;
  readonly why: string;
  readonly setting?: string;
}

export const SECURITY_ADDITIONS: readonly SecurityAddition[] = [
  {
    id: "A4",
    what: "control-plane peers: tcp 2379-2380 (etcd), 6443 and 10250 between control-plane nodes (group references itself)",
    why: "stacked etcd and API servers of an HA control plane talk to each other",
  },
  {
    id: "A5",
    what: "sg-k8s-api-endpoint: tcp 6443 from and to the API endpoint subnets",
    why: "the internal NLB (instance targets, client IP preservation off) connects from its own addresses and health-checks 6443; control-plane nodes dial the NLB themselves",
  },
  {
    id: "A6",
    what: "bootstrap egress: tcp 80 and 443 to 0.0.0.0/0 from control-plane and worker nodes (through the NAT gateway)",
    why: "nodes install containerd/kubeadm from package repositories, pull images and call AWS APIs (cloud controller, VPC CNI, SSM)",
    setting: "bootstrapEgress",
  },
  {
    id: "A7",
    what: "bastion egress: tcp 80 and 443 to 0.0.0.0/0",
    why: "Session Manager (the key-less way in) and package updates need HTTPS out",
  },
  {
    id: "A8",
    what: "sg-pods: a group for pod ENIs (VPC CNI custom networking): all traffic from pods, worker and API endpoint subnets; all egress",
    why: "VPC-native pods carry their own security group; nodes (health probes, NodePort forwarding) and the control plane (webhooks) must reach them",
  },
  {
    id: "A13",
    what: "tcp 10250 from the pods subnets to worker and control-plane nodes",
    why: "in-cluster agents that run as pods (metrics-server, monitoring) call the kubelet API of every node",
  },
];

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

/** D5, D6: the spec's protocol and port cells as AWS protocol/port tuples. */
export function portsOf(row: Pick<SecurityGroupRow, "protocol" | "ports">, listeners: readonly { port: number; protocol: "tcp" | "udp" }[] = []): PortSpec[] {
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

function peersOf(peer: Peer, network: NetworkPlan, config: ClusterConfig): RulePeer[] {
  switch (peer.kind) {
    case "tier":
      // D1/D2: a tier is its real subnets, whatever CIDR the spec wrote.
      return network.tiers[peer.tier].subnets.map((s) => ({ kind: "cidr", cidr: s.cidr, key: `${peer.tier}_${s.az.slice(-1)}` }));
    case "cidr":
      return [{ kind: "cidr", cidr: peer.cidr, key: cidrKey(peer.cidr) }];
    case "awsServices":
      // D8: the gateway endpoint's managed prefix list (S3 is the only endpoint, as the spec asks).
      return [{ kind: "prefixList", service: "s3", key: "s3" }];
    case "configured":
      // Ops teams change these without re-synthesizing: a Terraform list variable, one rule per CIDR.
      return peer.setting === "bastion.adminCidrs"
        ? [{ kind: "cidrList", variable: "bastion_admin_cidrs", defaults: config.bastion.adminCidrs, key: "admin_cidrs" }]
        : [{ kind: "cidrList", variable: "load_balancer_client_cidrs", defaults: config.loadBalancers.clientCidrs, key: "client_cidrs" }];
  }
}

function portKey(p: PortSpec): string {
  if (p.protocol === "-1") return "all";
  if (p.protocol === "icmp") return `icmp_${p.fromPort}_${p.toPort}`;
  const ports = p.fromPort === 0 && p.toPort === 65535 ? "all" : p.fromPort === p.toPort ? `${p.fromPort}` : `${p.fromPort}_${p.toPort}`;
  return `${p.protocol}_${ports}`;
}

function peerIdentity(peer: RulePeer): string {
  if (peer.kind === "cidr") return `cidr:${canonical(peer.cidr)}`;
  if (peer.kind === "group") return `group:${peer.group}`;
  if (peer.kind === "cidrList") return `list:${peer.variable}`;
  return `pl:${peer.service}`;
}

class RuleSet {
  private readonly rules = new Map<string, RulePlan>();

  add(group: TierId, direction: Direction, ports: PortSpec, peer: RulePeer, description: string, source: RuleSource): void {
    const identity = [group, direction, ports.protocol, ports.fromPort, ports.toPort, peerIdentity(peer)].join("|");
    const existing = this.rules.get(identity);
    if (existing) {
      // D7: AWS rejects identical rules (InvalidPermission.Duplicate); keep one, trace both rows.
      existing.sources.push(source);
      return;
    }
    const logicalId = `${GROUP_KEYS[group]}_${direction}_${portKey(ports)}_${direction === "ingress" ? "from" : "to"}_${peer.key}`;
    this.rules.set(identity, { group, direction, ...ports, peer, description, sources: [source], key: terraformName(logicalId), logicalId });
  }

  forGroup(group: TierId): RulePlan[] {
    return [...this.rules.values()].filter((r) => r.group === group);
  }
}

export function planSecurityGroups(config: ClusterConfig, network: NetworkPlan): SecurityGroupPlan[] {
  const set = new RuleSet();
  const tables = new Map<TierId, SecurityGroupTable>(securityGroupTables.map((t) => [t.tier, t]));

  for (const table of securityGroupTables) {
    for (const direction of ["ingress", "egress"] as const) {
      table[direction].forEach((row, i) => {
        const source: RuleSource = {
          kind: "spec",
          table: table.name,
          direction,
          row: i + 1,
          text: `${row.peer.asWritten} | ${row.protocol} | ${row.ports} | ${row.descriptionAsWritten}`,
        };
        for (const ports of portsOf(row, config.loadBalancers.listeners))
          for (const peer of peersOf(row.peer, network, config)) set.add(table.tier, direction, ports, peer, row.description, source);
      });
    }
  }

  const tierPeers = (tier: TierId) => peersOf({ kind: "tier", tier, asWritten: tier }, network, config);
  const self = (group: TierId): RulePeer => ({ kind: "group", group, key: "self" });
  const anywhere: RulePeer = { kind: "cidr", cidr: "0.0.0.0/0", key: "anywhere" };
  const tcp = (port: number, to = port): PortSpec => ({ protocol: "tcp", fromPort: port, toPort: to });

  // A4: control-plane peers.
  for (const [ports, what] of [
    [tcp(PORTS.etcd.from, PORTS.etcd.to), "etcd peers and clients between control plane nodes"],
    [tcp(PORTS.kubeApiserver), "API server between control plane nodes"],
    [tcp(PORTS.kubelet), "kubelet API between control plane nodes"],
  ] as const) {
    set.add("apiEndpoint", "ingress", ports, self("apiEndpoint"), what, { kind: "addition", id: "A4" });
    set.add("apiEndpoint", "egress", ports, self("apiEndpoint"), what, { kind: "addition", id: "A4" });
  }
  // A5: the internal API load balancer lives in the API endpoint subnets.
  for (const peer of tierPeers("apiEndpoint")) {
    set.add("apiEndpoint", "ingress", tcp(PORTS.kubeApiserver), peer, "Internal API load balancer and its health checks", { kind: "addition", id: "A5" });
    set.add("apiEndpoint", "egress", tcp(PORTS.kubeApiserver), peer, "Control plane nodes to the internal API load balancer", { kind: "addition", id: "A5" });
  }
  // A6: bootstrap egress through the NAT gateway.
  if (config.bootstrapEgress)
    for (const group of ["apiEndpoint", "workers"] as const)
      for (const port of [80, 443])
        set.add(group, "egress", tcp(port), anywhere, `Bootstrap: packages, images and AWS APIs over ${port === 443 ? "HTTPS" : "HTTP"}`, { kind: "addition", id: "A6" });
  // A7: the bastion's own way out (Session Manager, updates).
  for (const port of [80, 443])
    set.add("bastion", "egress", tcp(port), anywhere, `Session Manager and updates over ${port === 443 ? "HTTPS" : "HTTP"}`, { kind: "addition", id: "A7" });
  // A13: pods (metrics-server and the like) to every kubelet.
  for (const group of ["workers", "apiEndpoint"] as const)
    for (const peer of tierPeers("pods"))
      set.add(group, "ingress", tcp(PORTS.kubelet), peer, "Pods to kubelet API (metrics-server, monitoring agents)", { kind: "addition", id: "A13" });
  // A8: the pods group.
  set.add("pods", "ingress", { protocol: "-1" }, self("pods"), "Pod to pod", { kind: "addition", id: "A8" });
  for (const tier of ["workers", "apiEndpoint"] as const)
    for (const peer of tierPeers(tier))
      set.add("pods", "ingress", { protocol: "-1" }, peer, tier === "workers" ? "Nodes to pods (probes, NodePort forwarding)" : "Control plane to pods (webhooks)", { kind: "addition", id: "A8" });
  set.add("pods", "egress", { protocol: "-1" }, anywhere, "Pods to anywhere (API, DNS, other pods, internet through rtb-pods)", { kind: "addition", id: "A8" });

  const groups: TierId[] = ["apiEndpoint", "workers", "loadBalancers", "bastion", "pods"];
  return groups.map((group) => {
    const table = tables.get(group);
    return {
      group,
      key: `sg_${GROUP_KEYS[group]}`,
      nameTag: table?.name ?? "sg-pods",
      aliases: table?.aliases ?? [],
      groupName: `${config.clusterName}-${GROUP_NAMES[group]}`,
      description: `${GROUP_DESCRIPTIONS[group]} (${config.clusterName})`,
      clusterTagged: group === "apiEndpoint" || group === "workers",
      rules: set.forGroup(group),
    };
  });
}
