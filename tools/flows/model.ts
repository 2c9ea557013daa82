/**
 * The flow analysis's model: what a caller asks about (tiers, ports), what it gets back (verdicts),
 * and the network as read from a stack (subnets, security-group rules, route tables, network
 * ACLs, and the places whose members send and receive).
 */
import { PORTS } from "../../src/aws/ports";
import type { Coverage, Range } from "./ranges";

export type Protocol = "tcp" | "udp" | "icmp" | "all";

/**
 * A protocol and port. tcp/udp without `port` mean every port (1-65535); icmp without
 * `icmpType` means every type, with a type but no `icmpCode` every code of that type; "all" is
 * all traffic (every protocol), which only protocol -1 rules allow.
 */
export interface Port {
  readonly protocol: Protocol;
  readonly port?: number;
  readonly icmpType?: number;
  readonly icmpCode?: number;
  readonly label?: string;
}

export interface FlowVerdict {
  readonly from: string;
  readonly to: string;
  readonly port: Port;
  readonly verdict: "allowed" | "partial" | "denied";
  /**
   * Addresses of the security group rules that allow the flow. On a denied verdict: the rules
   * that matched on the side that did allow, if any (the reason says which side failed).
   */
  readonly egressRules: string[];
  readonly ingressRules: string[];
  /**
   * Why not, when denied or partial; on an allowed flow from/to the internet that only some
   * outside addresses get, which ones.
   */
  readonly reason?: string;
}

export interface FlowModel {
  /** Tier ids found (in order of first appearance), plus "internet". */
  readonly tiers: readonly string[];
  check(from: string, to: string, port: Port): FlowVerdict;
  /**
   * Every port at all (tcp 1-65535, udp 1-65535, any icmp) allowed from -> to, as verdicts over
   * maximal ranges; empty when none.
   */
  anyAllowed(from: string, to: string): FlowVerdict[];
  /** Every ordered pair of distinct tiers x ports. */
  matrix(ports: readonly Port[]): FlowVerdict[];
}

/** The model with what the analysis could not resolve (tokens it cannot evaluate offline). */
export interface FlowModelWithNotes extends FlowModel {
  readonly notes: readonly string[];
}

export const INTERNET = "internet";

const p = (protocol: Protocol, port: number, label: string): Port => ({
  protocol,
  port,
  label: `${protocol}/${port} ${label}`,
});

/** The ports the spec's security group tables name (NodePort range by its two ends). */
export const SPEC_PORTS: readonly Port[] = [
  p("tcp", 22, "ssh"),
  p("tcp", 80, "http"),
  p("tcp", 443, "https"),
  p("tcp", PORTS.kubeApiserver, "kube-apiserver"),
  p("tcp", PORTS.kubelet, "kubelet"),
  p("tcp", 12250, "cluster-agent"),
  p("tcp", PORTS.etcd.from, "etcd-client"),
  p("tcp", PORTS.etcd.to, "etcd-peer"),
  p("tcp", PORTS.kubeProxyHealth, "kube-proxy-health"),
  p("udp", PORTS.kubeProxyHealth, "kube-proxy-health"),
  p("tcp", PORTS.nodePorts.from, "nodeport-first"),
  p("tcp", PORTS.nodePorts.to, "nodeport-last"),
  p("udp", PORTS.nodePorts.from, "nodeport-first"),
  p("udp", PORTS.nodePorts.to, "nodeport-last"),
  { protocol: "icmp", icmpType: 3, icmpCode: 4, label: "icmp 3/4 path-mtu" },
];

// ---------------------------------------------------------------------------------------------
// The network, as read from the stack

/** The other end a security group rule names. */
export type Peer =
  | { readonly kind: "cidr"; readonly range: Range }
  | { readonly kind: "sg"; readonly group: string }
  | { readonly kind: "service"; readonly endpoint: string };

export interface SgRule {
  readonly address: string;
  readonly group: string;
  readonly direction: "ingress" | "egress";
  readonly cov: Coverage;
  readonly peers: readonly Peer[];
}

export interface RouteInfo {
  readonly range: Range;
  readonly kind: "igw" | "nat" | "other";
  readonly target: string;
}

export interface RouteTableInfo {
  readonly address: string;
  readonly label: string;
  readonly routes: RouteInfo[];
  readonly endpoints: Set<string>;
}

export interface NatInfo {
  readonly label: string;
  readonly subnet?: string;
  readonly private: boolean;
}

export interface NaclRule {
  readonly label: string;
  readonly number: number;
  readonly allow: boolean;
  readonly cov: Coverage;
  readonly range?: Range;
}

export interface NaclInfo {
  readonly label: string;
  readonly ingress: NaclRule[];
  readonly egress: NaclRule[];
}

export interface SubnetInfo {
  readonly address: string;
  readonly name: string;
  readonly label: string;
  readonly tier?: string;
  readonly vpc?: string;
  readonly cidr?: Range;
  readonly mapPublic: boolean;
}

/**
 * What sends or receives: one subnet of a place with the groups of what sits in it, the internet,
 * or an AWS service behind a gateway endpoint. `reps` are its elementary address ranges.
 */
export interface Member {
  readonly id: number;
  readonly place: string;
  readonly kind: "subnet" | "internet" | "service";
  readonly subnet?: SubnetInfo;
  readonly groups: readonly string[];
  readonly public: boolean;
  readonly reps: readonly Range[];
  readonly service?: string;
}

/** A name a flow goes from or to: a tier, the internet, or a VPC endpoint. */
export interface Place {
  readonly name: string;
  readonly kind: "tier" | "internet" | "service";
  readonly members: Member[];
}

/** Everything the evaluation needs, keyed by Terraform address. */
export interface Network {
  /** Tier ids in order of first appearance, then "internet". */
  readonly tiers: string[];
  /** What could not be resolved offline. */
  readonly notes: string[];
  readonly places: ReadonlyMap<string, Place>;
  readonly subnets: ReadonlyMap<string, SubnetInfo>;
  /** Security group address to its Name tag (or name). */
  readonly groupLabels: ReadonlyMap<string, string>;
  readonly rulesByGroup: ReadonlyMap<string, { readonly ingress: SgRule[]; readonly egress: SgRule[] }>;
  readonly routeTables: ReadonlyMap<string, RouteTableInfo>;
  /** Subnet address to the route table associated with it. */
  readonly subnetTable: ReadonlyMap<string, string>;
  /** VPC address to its main route table. */
  readonly mainTable: ReadonlyMap<string, string>;
  readonly nats: ReadonlyMap<string, NatInfo>;
  readonly subnetNacl: ReadonlyMap<string, NaclInfo>;
  /** VPC address to its default network ACL. */
  readonly defaultNacl: ReadonlyMap<string, NaclInfo>;
}
