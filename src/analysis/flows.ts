/**
 * Offline network flow analysis over synthesized Terraform JSON: who can reach whom, on which
 * protocol and port, modelling what AWS does with security groups (stateful), route tables
 * (local route, internet gateway + public address, NAT gateway, gateway endpoints) and network
 * ACLs (stateless, rule-number order, return traffic on ephemeral ports 1024-65535).
 *
 * It reads only the Terraform JSON, never our constructs, so it judges what would be applied.
 *
 * Model:
 * - A tier is the set of subnets tagged `Tier=<id>`; `internet` is every address outside the VPCs.
 *   A gateway VPC endpoint can be named as a destination by its address (`aws_vpc_endpoint.s3`),
 *   meaning the AWS service behind it; an interface endpoint by its address too (its subnets and
 *   security groups).
 * - The members of a tier's subnet carry the groups tagged `Tier=<id>` plus those of the
 *   instances, autoscaling groups (through their launch template), load balancers and network
 *   interfaces placed in that subnet (their union: a flow is allowed when any of them allows it).
 * - Addresses are reasoned about exactly: the address space is cut at every CIDR the stack
 *   mentions, so a rule CIDR that covers only part of a subnet does not allow that subnet, and
 *   `internet` is reachable when some outside address is (the verdict then says which).
 * - Ports are sets of ranges per protocol; ICMP type/code pairs are numbered type * 256 + code.
 */
import { TfJson, TfResource, byAddress, refOf, resourcesOf, withVariableDefaults } from "./tf-json";
import { addressText, cidrRange } from "../aws/cidr";
import { PORTS } from "../aws/ports";

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
  /** Why not, when denied or partial; on an allowed flow from/to the internet that only some outside addresses get, which ones. */
  readonly reason?: string;
}

export interface FlowModel {
  /** Tier ids found (in order of first appearance), plus "internet". */
  readonly tiers: readonly string[];
  check(from: string, to: string, port: Port): FlowVerdict;
  /** Every port at all (tcp 1-65535, udp 1-65535, any icmp) allowed from -> to, as verdicts over maximal ranges; empty when none. */
  anyAllowed(from: string, to: string): FlowVerdict[];
  /** Every ordered pair of distinct tiers x ports. */
  matrix(ports: readonly Port[]): FlowVerdict[];
}

/** The model with what the analysis could not resolve (tokens it cannot evaluate offline). */
export interface FlowModelWithNotes extends FlowModel {
  readonly notes: readonly string[];
}

export const INTERNET = "internet";

const p = (protocol: Protocol, port: number, label: string): Port => ({ protocol, port, label: `${protocol}/${port} ${label}` });

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
// Ranges and port coverage

type Space = "tcp" | "udp" | "icmp" | "other";
const SPACES: readonly Space[] = ["tcp", "udp", "icmp", "other"];
type Range = readonly [number, number];
type Ranges = readonly Range[];
type Coverage = Readonly<Record<Space, Ranges>>;
interface Req {
  readonly space: Space;
  readonly range: Range;
}
type Query = readonly Req[];

const MAX_ADDRESS = 2 ** 32 - 1;
const SPACE_MAX: Record<Space, number> = { tcp: 65535, udp: 65535, icmp: 65535, other: 255 };
const EMPTY: Coverage = { tcp: [], udp: [], icmp: [], other: [] };
const FULL: Coverage = { tcp: [[0, 65535]], udp: [[0, 65535]], icmp: [[0, 65535]], other: [[0, 255]] };
const EPHEMERAL: Range = [1024, 65535];

function normalize(rs: readonly Range[]): Range[] {
  const sorted = rs.filter((r) => r[0] <= r[1]).sort((a, b) => a[0] - b[0]);
  const out: [number, number][] = [];
  for (const [lo, hi] of sorted) {
    const last = out[out.length - 1];
    if (last && lo <= last[1] + 1) last[1] = Math.max(last[1], hi);
    else out.push([lo, hi]);
  }
  return out;
}

function intersectRanges(a: Ranges, b: Ranges): Range[] {
  const out: Range[] = [];
  for (const x of a) for (const y of b) if (Math.max(x[0], y[0]) <= Math.min(x[1], y[1])) out.push([Math.max(x[0], y[0]), Math.min(x[1], y[1])]);
  return normalize(out);
}

function subtractRanges(a: Ranges, b: Ranges): Range[] {
  let cur: Range[] = [...a];
  for (const [lo, hi] of b) {
    const next: Range[] = [];
    for (const [x, y] of cur) {
      if (hi < x || lo > y) next.push([x, y]);
      else {
        if (x < lo) next.push([x, lo - 1]);
        if (y > hi) next.push([hi + 1, y]);
      }
    }
    cur = next;
  }
  return normalize(cur);
}

const coversRange = (a: Ranges, r: Range) => a.some(([lo, hi]) => lo <= r[0] && r[1] <= hi);
const touchesRange = (a: Ranges, r: Range) => a.some(([lo, hi]) => lo <= r[1] && r[0] <= hi);
const containsRange = (outer: Range, inner: Range) => outer[0] <= inner[0] && inner[1] <= outer[1];

function mapCoverage(f: (s: Space) => Ranges): Coverage {
  return { tcp: f("tcp"), udp: f("udp"), icmp: f("icmp"), other: f("other") };
}
const unionCov = (a: Coverage, b: Coverage) => mapCoverage((s) => normalize([...a[s], ...b[s]]));
const intersectCov = (a: Coverage, b: Coverage) => mapCoverage((s) => intersectRanges(a[s], b[s]));
const subtractCov = (a: Coverage, b: Coverage) => mapCoverage((s) => subtractRanges(a[s], b[s]));
const coversQuery = (c: Coverage, q: Query) => q.every((r) => coversRange(c[r.space], r.range));
const touchesQuery = (c: Coverage, q: Query) => q.some((r) => touchesRange(c[r.space], r.range));
const only = (space: Space, range: Range): Coverage => ({ ...EMPTY, [space]: [range] });

function num(v: unknown): number | undefined {
  if (typeof v === "number" && Number.isFinite(v)) return v;
  if (typeof v === "string" && /^-?\d+$/.test(v.trim())) return Number(v);
  return undefined;
}

function protocolOf(v: unknown): Space | "all" | undefined {
  const s = String(v ?? "").trim().toLowerCase();
  if (s === "-1" || s === "all") return "all";
  if (s === "tcp" || s === "6") return "tcp";
  if (s === "udp" || s === "17") return "udp";
  if (s === "icmp" || s === "1") return "icmp";
  if (/^\d+$/.test(s) && Number(s) <= 255) return "other";
  return undefined; // icmpv6 and the like: never IPv4 traffic here
}

function icmpRange(type: number, code: number): Range {
  if (type < 0) return [0, 65535];
  if (code < 0) return [type * 256, type * 256 + 255];
  return [type * 256 + code, type * 256 + code];
}

/** Ports a rule covers: protocol plus from/to port (for icmp: type and code, -1 = any). */
function coverageOf(protocol: unknown, from: unknown, to: unknown, icmpType?: unknown, icmpCode?: unknown): Coverage {
  const space = protocolOf(protocol);
  if (space === undefined) return EMPTY;
  if (space === "all") return FULL;
  if (space === "icmp") return only("icmp", icmpRange(num(icmpType ?? from) ?? -1, num(icmpCode ?? to) ?? -1));
  if (space === "other") return only("other", [Number(protocol), Number(protocol)]);
  const lo = num(from);
  const hi = num(to);
  if (lo === undefined || lo < 0) return only(space, [0, 65535]);
  return only(space, [lo, hi === undefined || hi < 0 ? lo : hi]);
}

function queryOf(port: Port): Query {
  switch (port.protocol) {
    case "all":
      return SPACES.map((space) => ({ space, range: [0, SPACE_MAX[space]] as Range }));
    case "icmp":
      return [{ space: "icmp", range: icmpRange(port.icmpType ?? -1, port.icmpType === undefined ? -1 : (port.icmpCode ?? -1)) }];
    case "tcp":
    case "udp":
      return [{ space: port.protocol, range: port.port === undefined ? [1, 65535] : [port.port, port.port] }];
    default:
      throw new Error(`unknown protocol ${JSON.stringify((port as Port).protocol)}`);
  }
}

function icmpText([lo, hi]: Range): string {
  if (lo === 0 && hi === 65535) return "icmp/all";
  const t = (n: number) => Math.floor(n / 256);
  const c = (n: number) => n % 256;
  if (c(lo) === 0 && c(hi) === 255) return t(lo) === t(hi) ? `icmp ${t(lo)}/any` : `icmp ${t(lo)}-${t(hi)}/any`;
  if (lo === hi) return `icmp ${t(lo)}/${c(lo)}`;
  return `icmp ${t(lo)}/${c(lo)}-${t(hi)}/${c(hi)}`;
}

function reqText(r: Req): string {
  const [lo, hi] = r.range;
  if (r.space === "icmp") return icmpText(r.range);
  if (r.space === "other") return lo === 0 && hi === 255 ? "other protocols" : `protocol ${lo === hi ? lo : `${lo}-${hi}`}`;
  if (lo <= 1 && hi === 65535) return `${r.space}/all`;
  return `${r.space}/${lo === hi ? lo : `${lo}-${hi}`}`;
}

function queryText(q: Query): string {
  return q.length === SPACES.length ? "all traffic" : q.map(reqText).join(", ");
}

/** A Port's readable name: its label, or e.g. "tcp/22", "icmp 3/4", "all". */
export function portLabel(port: Port): string {
  if (port.label) return port.label;
  return port.protocol === "all" ? "all" : queryText(queryOf(port));
}

// ---------------------------------------------------------------------------------------------
// Addresses

/** The fewest CIDRs covering exactly [lo, hi]. */
function rangeToCidrs([lo, hi]: Range): string[] {
  const out: string[] = [];
  let cur = lo;
  while (cur <= hi) {
    let size = 1;
    while (cur % (size * 2) === 0 && cur + size * 2 - 1 <= hi && size < 2 ** 32) size *= 2;
    out.push(`${addressText(cur)}/${32 - Math.log2(size)}`);
    cur += size;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// The stack, read

type Peer =
  | { readonly kind: "cidr"; readonly range: Range }
  | { readonly kind: "sg"; readonly group: string }
  | { readonly kind: "service"; readonly endpoint: string };

interface SgRule {
  readonly address: string;
  readonly group: string;
  readonly direction: "ingress" | "egress";
  readonly cov: Coverage;
  readonly peers: readonly Peer[];
}

interface RouteInfo {
  readonly range: Range;
  readonly kind: "igw" | "nat" | "other";
  readonly target: string;
}

interface RouteTableInfo {
  readonly address: string;
  readonly label: string;
  readonly routes: RouteInfo[];
  readonly endpoints: Set<string>;
}

interface NaclRule {
  readonly label: string;
  readonly number: number;
  readonly allow: boolean;
  readonly cov: Coverage;
  readonly range?: Range;
}

interface NaclInfo {
  readonly label: string;
  readonly ingress: NaclRule[];
  readonly egress: NaclRule[];
}

interface SubnetInfo {
  readonly address: string;
  readonly name: string;
  readonly label: string;
  readonly tier?: string;
  readonly vpc?: string;
  readonly cidr?: Range;
  readonly mapPublic: boolean;
}

interface Member {
  readonly id: number;
  readonly place: string;
  readonly kind: "subnet" | "internet" | "service";
  readonly subnet?: SubnetInfo;
  readonly groups: readonly string[];
  readonly public: boolean;
  readonly reps: readonly Range[];
  readonly service?: string;
}

interface Place {
  readonly name: string;
  readonly kind: "tier" | "internet" | "service";
  readonly members: Member[];
}

interface NaclPart {
  readonly acl: NaclInfo;
  readonly direction: "ingress" | "egress";
  readonly forward: boolean;
  /** The other end's address range, as this ACL sees it. */
  readonly peer: Range;
  readonly peerName: string;
  readonly cov: Coverage;
}

interface SpotData {
  readonly route?: string;
  readonly egress: Coverage;
  readonly egressRules: readonly SgRule[];
  readonly ingress: Coverage;
  readonly ingressRules: readonly SgRule[];
  readonly nacl: readonly NaclPart[];
  readonly allowed: Coverage;
}

interface Outcome {
  readonly ok: boolean;
  /** How far the flow got: 0 route, 1 egress, 2 ingress, 3 network ACL, 4 through. */
  readonly stage: number;
  readonly reason?: string;
  readonly egress: readonly string[];
  readonly ingress: readonly string[];
  readonly note?: string;
}

const asArray = (v: unknown): unknown[] => (Array.isArray(v) ? v : v === undefined || v === null ? [] : [v]);
const first = (v: unknown): Record<string, any> | undefined => asArray(v)[0] as Record<string, any> | undefined;
const isTrue = (v: unknown) => v === true || v === "true";

class FlowAnalysis implements FlowModelWithNotes {
  readonly tiers: string[];
  readonly notes: string[] = [];
  private readonly places = new Map<string, Place>();
  private readonly subnets = new Map<string, SubnetInfo>();
  private readonly vpcCidrs: Range[] = [];
  private readonly groupLabels = new Map<string, string>();
  private readonly rulesByGroup = new Map<string, { ingress: SgRule[]; egress: SgRule[] }>();
  private readonly routeTables = new Map<string, RouteTableInfo>();
  private readonly subnetTable = new Map<string, string>();
  private readonly mainTable = new Map<string, string>();
  private readonly nats = new Map<string, { label: string; subnet?: string; private: boolean }>();
  private readonly subnetNacl = new Map<string, NaclInfo>();
  private readonly defaultNacl = new Map<string, NaclInfo>();
  private readonly boundaries = new Set<number>([0, MAX_ADDRESS + 1]);
  private readonly spotCache = new Map<string, SpotData>();
  private nextMember = 0;

  constructor(private readonly tf: TfJson) {
    this.readNetwork();
    this.readSecurityGroups();
    this.readRoutes();
    this.readNacls();
    this.tiers = this.buildPlaces();
  }

  // --- reading --------------------------------------------------------------------------------

  private note(text: string): void {
    if (!this.notes.includes(text)) this.notes.push(text);
  }

  private cut(r: Range): Range {
    this.boundaries.add(r[0]);
    this.boundaries.add(r[1] + 1);
    return r;
  }

  /** A CIDR written literally or as `${aws_subnet.x.cidr_block}` / `${aws_vpc.x.cidr_block}`. */
  private cidr(value: unknown, where: string): Range | undefined {
    if (typeof value !== "string") return undefined;
    const literal = cidrRange(value);
    if (literal) return this.cut(literal);
    const ref = refOf(value);
    if (ref && ref.attr === "cidr_block") {
      const target = byAddress(this.tf, ref.address)?.body.cidr_block;
      const r = typeof target === "string" ? cidrRange(target) : undefined;
      if (r) return this.cut(r);
    }
    this.note(`${where}: cannot resolve CIDR ${value} offline; treated as matching nothing`);
    return undefined;
  }

  private subnetRef(value: unknown): string | undefined {
    const r = refOf(value);
    return r && r.type === "aws_subnet" ? r.address : undefined;
  }

  private groupKey(value: unknown, where: string): string | undefined {
    if (typeof value !== "string") return undefined;
    const r = refOf(value);
    if (r && (r.type === "aws_security_group" || r.type === "aws_default_security_group")) return r.address;
    if (/^sg-[0-9a-f]+$/.test(value)) return value;
    this.note(`${where}: cannot resolve security group ${value} offline; ignored`);
    return undefined;
  }

  private groupList(value: unknown, where: string): string[] {
    return asArray(value)
      .map((v) => this.groupKey(v, where))
      .filter((g): g is string => g !== undefined);
  }

  private readNetwork(): void {
    for (const vpc of resourcesOf(this.tf, "aws_vpc")) {
      const r = this.cidr(vpc.body.cidr_block, vpc.address);
      if (r) this.vpcCidrs.push(r);
    }
    for (const s of resourcesOf(this.tf, "aws_subnet")) {
      const tier = s.body.tags?.Tier;
      this.subnets.set(s.address, {
        address: s.address,
        name: s.name,
        label: s.body.tags?.Name ? `${s.name} (${s.body.tags.Name})` : s.name,
        tier: typeof tier === "string" ? tier : undefined,
        vpc: refOf(s.body.vpc_id)?.address ?? (typeof s.body.vpc_id === "string" ? s.body.vpc_id : undefined),
        cidr: this.cidr(s.body.cidr_block, s.address),
        mapPublic: isTrue(s.body.map_public_ip_on_launch),
      });
    }
  }

  private addRule(rule: SgRule): void {
    const entry = this.rulesByGroup.get(rule.group) ?? { ingress: [], egress: [] };
    entry[rule.direction].push(rule);
    this.rulesByGroup.set(rule.group, entry);
  }

  private prefixListPeers(value: unknown, where: string): Peer[] {
    const r = refOf(value);
    if (r && r.type === "aws_vpc_endpoint" && r.attr === "prefix_list_id") return [{ kind: "service", endpoint: r.address }];
    if (r && r.type === "aws_ec2_managed_prefix_list") {
      const entries = asArray(byAddress(this.tf, r.address)?.body.entry);
      return entries
        .map((e) => this.cidr((e as Record<string, unknown>)?.cidr, r.address))
        .filter((x): x is Range => x !== undefined)
        .map((range) => ({ kind: "cidr", range }) as Peer);
    }
    this.note(`${where}: prefix list ${String(value)} is neither a VPC endpoint's nor a managed prefix list in this stack; treated as matching nothing`);
    return [];
  }

  private readSecurityGroups(): void {
    for (const sg of resourcesOf(this.tf, "aws_security_group")) {
      this.groupLabels.set(sg.address, sg.body.tags?.Name ?? sg.body.name ?? sg.address);
      for (const direction of ["ingress", "egress"] as const)
        asArray(sg.body[direction]).forEach((raw, i) => {
          const b = raw as Record<string, any>;
          const address = `${sg.address}.${direction}[${i}]`;
          const peers: Peer[] = [
            ...asArray(b.cidr_blocks).flatMap((c) => this.cidrPeer(c, address)),
            ...this.groupList(b.security_groups, address).map((group) => ({ kind: "sg", group }) as Peer),
            ...(isTrue(b.self) ? [{ kind: "sg", group: sg.address } as Peer] : []),
            ...asArray(b.prefix_list_ids).flatMap((v) => this.prefixListPeers(v, address)),
          ];
          this.addRule({ address, group: sg.address, direction, cov: coverageOf(b.protocol, b.from_port, b.to_port), peers });
        });
    }
    for (const type of ["aws_vpc_security_group_ingress_rule", "aws_vpc_security_group_egress_rule"]) {
      const direction = type.endsWith("ingress_rule") ? "ingress" : "egress";
      for (const r of resourcesOf(this.tf, type)) {
        const group = this.groupKey(r.body.security_group_id, r.address);
        if (!group) continue;
        const peers: Peer[] = [
          ...this.cidrPeer(r.body.cidr_ipv4, r.address),
          ...this.groupList(r.body.referenced_security_group_id, r.address).map((g) => ({ kind: "sg", group: g }) as Peer),
          ...(r.body.prefix_list_id !== undefined ? this.prefixListPeers(r.body.prefix_list_id, r.address) : []),
        ];
        this.addRule({ address: r.address, group, direction, cov: coverageOf(r.body.ip_protocol, r.body.from_port, r.body.to_port), peers });
      }
    }
    for (const r of resourcesOf(this.tf, "aws_security_group_rule")) {
      const group = this.groupKey(r.body.security_group_id, r.address);
      if (!group || (r.body.type !== "ingress" && r.body.type !== "egress")) continue;
      const peers: Peer[] = [
        ...asArray(r.body.cidr_blocks).flatMap((c) => this.cidrPeer(c, r.address)),
        ...this.groupList(r.body.source_security_group_id, r.address).map((g) => ({ kind: "sg", group: g }) as Peer),
        ...(isTrue(r.body.self) ? [{ kind: "sg", group } as Peer] : []),
        ...asArray(r.body.prefix_list_ids).flatMap((v) => this.prefixListPeers(v, r.address)),
      ];
      this.addRule({ address: r.address, group, direction: r.body.type, cov: coverageOf(r.body.protocol, r.body.from_port, r.body.to_port), peers });
    }
  }

  private cidrPeer(value: unknown, where: string): Peer[] {
    if (value === undefined || value === null) return [];
    const range = this.cidr(value, where);
    return range ? [{ kind: "cidr", range }] : [];
  }

  private readRoutes(): void {
    const table = (r: TfResource): RouteTableInfo => {
      const info: RouteTableInfo = { address: r.address, label: r.body.tags?.Name ?? r.address, routes: [], endpoints: new Set() };
      this.routeTables.set(r.address, info);
      for (const route of asArray(r.body.route)) this.addRoute(info, route as Record<string, any>, r.address);
      return info;
    };
    for (const r of resourcesOf(this.tf, "aws_route_table")) table(r);
    for (const r of resourcesOf(this.tf, "aws_default_route_table")) {
      table(r);
      const vpc = refOf(r.body.default_route_table_id);
      if (vpc?.type === "aws_vpc") this.mainTable.set(vpc.address, r.address);
    }
    for (const r of resourcesOf(this.tf, "aws_main_route_table_association")) {
      const vpc = refOf(r.body.vpc_id)?.address;
      const rt = refOf(r.body.route_table_id)?.address;
      if (vpc && rt) this.mainTable.set(vpc, rt);
    }
    for (const r of resourcesOf(this.tf, "aws_route")) {
      const rt = this.routeTables.get(refOf(r.body.route_table_id)?.address ?? "");
      if (rt) this.addRoute(rt, { ...r.body, cidr_block: r.body.destination_cidr_block }, r.address);
    }
    for (const r of resourcesOf(this.tf, "aws_route_table_association")) {
      const subnet = this.subnetRef(r.body.subnet_id);
      const rt = refOf(r.body.route_table_id)?.address;
      if (subnet && rt) this.subnetTable.set(subnet, rt);
    }
    for (const e of resourcesOf(this.tf, "aws_vpc_endpoint"))
      for (const rt of asArray(e.body.route_table_ids)) this.routeTables.get(refOf(rt)?.address ?? "")?.endpoints.add(e.address);
    for (const r of resourcesOf(this.tf, "aws_vpc_endpoint_route_table_association")) {
      const e = refOf(r.body.vpc_endpoint_id)?.address;
      if (e) this.routeTables.get(refOf(r.body.route_table_id)?.address ?? "")?.endpoints.add(e);
    }
    for (const n of resourcesOf(this.tf, "aws_nat_gateway"))
      this.nats.set(n.address, {
        label: n.body.tags?.Name ? `${n.address} (${n.body.tags.Name})` : n.address,
        subnet: this.subnetRef(n.body.subnet_id),
        private: n.body.connectivity_type === "private",
      });
  }

  private addRoute(rt: RouteTableInfo, body: Record<string, any>, where: string): void {
    if (body.cidr_block === undefined) return; // IPv6 or prefix-list destinations: not modelled
    const range = this.cidr(body.cidr_block, where);
    if (!range) return;
    const gw = typeof body.gateway_id === "string" ? body.gateway_id : "";
    const nat = typeof body.nat_gateway_id === "string" ? body.nat_gateway_id : "";
    const gwRef = refOf(gw);
    const natRef = refOf(nat);
    if (gwRef?.type === "aws_internet_gateway" || /^igw-/.test(gw)) rt.routes.push({ range, kind: "igw", target: gwRef?.address ?? gw });
    else if (natRef || /^nat-/.test(nat)) rt.routes.push({ range, kind: "nat", target: natRef?.address ?? nat });
    else if (gw === "local") return;
    else {
      const target = Object.entries(body).find(([k, v]) => k.endsWith("_id") && k !== "route_table_id" && typeof v === "string" && v);
      rt.routes.push({ range, kind: "other", target: target ? `${target[0]} ${target[1]}` : "an unknown target" });
    }
  }

  private readNacls(): void {
    const parse = (r: TfResource): NaclInfo => {
      const info: NaclInfo = { label: r.body.tags?.Name ? `${r.address} (${r.body.tags.Name})` : r.address, ingress: [], egress: [] };
      for (const direction of ["ingress", "egress"] as const)
        asArray(r.body[direction]).forEach((raw) => {
          const b = raw as Record<string, any>;
          info[direction].push(this.naclRule(b.rule_no, b.action, b, `${r.address}.${direction}`));
        });
      return info;
    };
    const acls = new Map<string, NaclInfo>();
    for (const r of resourcesOf(this.tf, "aws_network_acl")) {
      const info = parse(r);
      acls.set(r.address, info);
      for (const s of asArray(r.body.subnet_ids)) {
        const subnet = this.subnetRef(s);
        if (subnet) this.subnetNacl.set(subnet, info);
      }
    }
    for (const r of resourcesOf(this.tf, "aws_default_network_acl")) {
      const info = parse(r);
      acls.set(r.address, info);
      const vpc = refOf(r.body.default_network_acl_id);
      if (vpc?.type === "aws_vpc") this.defaultNacl.set(vpc.address, info);
      for (const s of asArray(r.body.subnet_ids)) {
        const subnet = this.subnetRef(s);
        if (subnet) this.subnetNacl.set(subnet, info);
      }
    }
    for (const r of resourcesOf(this.tf, "aws_network_acl_rule")) {
      const acl = acls.get(refOf(r.body.network_acl_id)?.address ?? "");
      if (acl) acl[isTrue(r.body.egress) ? "egress" : "ingress"].push(this.naclRule(r.body.rule_number, r.body.rule_action, r.body, r.address));
    }
    for (const r of resourcesOf(this.tf, "aws_network_acl_association")) {
      const acl = acls.get(refOf(r.body.network_acl_id)?.address ?? "");
      const subnet = this.subnetRef(r.body.subnet_id);
      if (acl && subnet) this.subnetNacl.set(subnet, acl);
    }
    for (const acl of acls.values()) for (const list of [acl.ingress, acl.egress]) list.sort((a, b) => a.number - b.number);
  }

  private naclRule(number: unknown, action: unknown, b: Record<string, any>, where: string): NaclRule {
    const n = num(number) ?? 32767;
    return {
      label: `${where} #${n}`,
      number: n,
      allow: String(action).toLowerCase() === "allow",
      cov: coverageOf(b.protocol, b.from_port, b.to_port, b.icmp_type ?? -1, b.icmp_code ?? -1),
      range: b.cidr_block === undefined ? undefined : this.cidr(b.cidr_block, where),
    };
  }

  private buildPlaces(): string[] {
    // Groups and public addresses of what sits in each subnet.
    const groupsIn = new Map<string, Set<string>>();
    const publicIn = new Set<string>();
    const place = (subnet: string | undefined, groups: string[], isPublic: boolean) => {
      if (!subnet) return;
      const set = groupsIn.get(subnet) ?? new Set<string>();
      groups.forEach((g) => set.add(g));
      groupsIn.set(subnet, set);
      if (isPublic) publicIn.add(subnet);
    };
    const launchTemplates = new Map<string, { groups: string[]; public: boolean }>();
    for (const lt of resourcesOf(this.tf, "aws_launch_template")) {
      const nics = asArray(lt.body.network_interfaces) as Record<string, any>[];
      launchTemplates.set(lt.address, {
        groups: [...this.groupList(lt.body.vpc_security_group_ids, lt.address), ...nics.flatMap((n) => this.groupList(n?.security_groups, lt.address))],
        public: nics.some((n) => isTrue(n?.associate_public_ip_address)),
      });
    }
    const ltOf = (spec: Record<string, any> | undefined) => {
      const r = refOf(spec?.id) ?? refOf(spec?.name) ?? refOf(spec?.launch_template_id) ?? refOf(spec?.launch_template_name);
      return r ? launchTemplates.get(r.address) : undefined;
    };
    const eipInstances = new Set<string>();
    for (const e of resourcesOf(this.tf, "aws_eip")) if (refOf(e.body.instance)) eipInstances.add(refOf(e.body.instance)!.address);
    for (const e of resourcesOf(this.tf, "aws_eip_association")) if (refOf(e.body.instance_id)) eipInstances.add(refOf(e.body.instance_id)!.address);
    for (const i of resourcesOf(this.tf, "aws_instance")) {
      const lt = ltOf(first(i.body.launch_template));
      const own = this.groupList(i.body.vpc_security_group_ids, i.address);
      place(this.subnetRef(i.body.subnet_id), own.length ? own : (lt?.groups ?? []), isTrue(i.body.associate_public_ip_address) || eipInstances.has(i.address));
    }
    for (const n of resourcesOf(this.tf, "aws_network_interface")) place(this.subnetRef(n.body.subnet_id), this.groupList(n.body.security_groups, n.address), false);
    for (const a of resourcesOf(this.tf, "aws_autoscaling_group")) {
      const mixed = first(first(a.body.mixed_instances_policy)?.launch_template)?.launch_template_specification;
      const lt = ltOf(first(a.body.launch_template)) ?? ltOf(first(mixed));
      for (const s of asArray(a.body.vpc_zone_identifier)) place(this.subnetRef(s), lt?.groups ?? [], lt?.public ?? false);
    }
    for (const lb of [...resourcesOf(this.tf, "aws_lb"), ...resourcesOf(this.tf, "aws_alb")]) {
      const subnets = [...asArray(lb.body.subnets), ...asArray(lb.body.subnet_mapping).map((m) => (m as Record<string, unknown>)?.subnet_id)];
      const internetFacing = !isTrue(lb.body.internal) && lb.body.load_balancer_type !== "gateway";
      for (const s of subnets) place(this.subnetRef(s), this.groupList(lb.body.security_groups, lb.address), internetFacing);
    }
    const tierGroups = new Map<string, string[]>();
    for (const sg of resourcesOf(this.tf, "aws_security_group")) {
      const t = sg.body.tags?.Tier;
      if (typeof t === "string") tierGroups.set(t, [...(tierGroups.get(t) ?? []), sg.address]);
    }

    // Elementary address ranges: every CIDR the stack mentions is a union of them.
    const points = [...this.boundaries].sort((a, b) => a - b);
    const elementary: Range[] = points.slice(0, -1).map((pt, i) => [pt, points[i + 1] - 1] as Range);
    const internetReps = elementary.filter((r) => !this.vpcCidrs.some((v) => containsRange(v, r)));

    const tiers: string[] = [];
    for (const s of this.subnets.values()) {
      if (!s.tier) continue;
      let pl = this.places.get(s.tier);
      if (!pl) {
        pl = { name: s.tier, kind: "tier", members: [] };
        this.places.set(s.tier, pl);
        tiers.push(s.tier);
      }
      const groups = [...new Set([...(tierGroups.get(s.tier) ?? []), ...(groupsIn.get(s.address) ?? [])])];
      pl.members.push(this.member(pl.name, "subnet", s, groups, s.mapPublic || publicIn.has(s.address), elementary));
    }
    this.places.set(INTERNET, { name: INTERNET, kind: "internet", members: [this.member(INTERNET, "internet", undefined, [], true, internetReps)] });
    for (const e of resourcesOf(this.tf, "aws_vpc_endpoint")) {
      const type = String(e.body.vpc_endpoint_type ?? "Gateway");
      if (type === "Gateway") {
        const m = this.member(e.address, "service", undefined, [], false, internetReps);
        this.places.set(e.address, { name: e.address, kind: "service", members: [{ ...m, service: e.address }] });
      } else if (type === "Interface") {
        const groups = this.groupList(e.body.security_group_ids, e.address);
        const members = asArray(e.body.subnet_ids)
          .map((s) => this.subnets.get(this.subnetRef(s) ?? ""))
          .filter((s): s is SubnetInfo => s !== undefined)
          .map((s) => this.member(e.address, "subnet", s, groups, false, elementary));
        this.places.set(e.address, { name: e.address, kind: "tier", members });
      }
    }
    return [...tiers, INTERNET];
  }

  private member(placeName: string, kind: Member["kind"], subnet: SubnetInfo | undefined, groups: string[], isPublic: boolean, reps: Range[]): Member {
    const own = subnet ? (subnet.cidr ? reps.filter((r) => containsRange(subnet.cidr!, r)) : [[-1, -1] as Range]) : reps;
    return { id: this.nextMember++, place: placeName, kind, subnet, groups, public: isPublic, reps: own };
  }

  // --- evaluating -----------------------------------------------------------------------------

  private placeOf(name: string, role: "from" | "to"): Place {
    const pl = this.places.get(name);
    if (!pl) throw new Error(`unknown tier ${JSON.stringify(name)} (known: ${this.tiers.join(", ")}${this.endpointNames()})`);
    if (role === "from" && pl.kind === "service") throw new Error(`${name} is an AWS service behind a gateway endpoint: it can only be a destination`);
    return pl;
  }

  private endpointNames(): string {
    const names = [...this.places.keys()].filter((n) => n.startsWith("aws_vpc_endpoint."));
    return names.length ? `; endpoints: ${names.join(", ")}` : "";
  }

  private groupsText(groups: readonly string[]): string {
    return groups.map((g) => `sg ${this.groupLabels.get(g) ?? g}${this.groupLabels.has(g) && this.groupLabels.get(g) !== g ? ` (${g})` : ""}`).join(", ");
  }

  private routeTableOf(s: SubnetInfo): RouteTableInfo | undefined {
    const rt = this.subnetTable.get(s.address) ?? (s.vpc ? this.mainTable.get(s.vpc) : undefined);
    return rt ? this.routeTables.get(rt) : undefined;
  }

  private lpm(rt: RouteTableInfo | undefined, r: Range): RouteInfo | undefined {
    let best: RouteInfo | undefined;
    for (const route of rt?.routes ?? [])
      if (containsRange(route.range, r) && (!best || route.range[1] - route.range[0] < best.range[1] - best.range[0])) best = route;
    return best;
  }

  /** Why a subnet member cannot send to the outside address range r (undefined: it can). */
  private outboundProblem(m: Member, r: Range, what: string): string | undefined {
    const s = m.subnet!;
    const rt = this.routeTableOf(s);
    const route = this.lpm(rt, r);
    const table = rt ? `route table ${rt.label}` : "the VPC main route table (local only)";
    if (!route) return `no route to ${what}: ${m.place} subnet ${s.label} uses ${table}, with no route to an internet gateway or NAT gateway`;
    if (route.kind === "igw")
      return m.public ? undefined : `no route to ${what}: ${m.place} subnet ${s.label} routes to internet gateway ${route.target} but its members get no public address`;
    if (route.kind === "nat") {
      const nat = this.nats.get(route.target);
      if (!nat) return undefined;
      if (nat.private) return `no route to ${what}: NAT gateway ${nat.label} is private (connectivity_type private)`;
      const natSubnet = nat.subnet ? this.subnets.get(nat.subnet) : undefined;
      const natRoute = natSubnet ? this.lpm(this.routeTableOf(natSubnet), r) : undefined;
      if (natSubnet && natRoute?.kind !== "igw") return `no route to ${what}: NAT gateway ${nat.label} sits in ${natSubnet.label}, which has no route to an internet gateway`;
      return undefined;
    }
    return `no route to ${what}: ${m.place} subnet ${s.label} sends it to ${route.target}, which this analysis does not model`;
  }

  private routeProblem(src: Member, s: Range, dst: Member, d: Range): string | undefined {
    if (src.kind === "internet") {
      const sub = dst.subnet!;
      const route = this.lpm(this.routeTableOf(sub), s);
      if (route?.kind !== "igw") return `no route from internet: ${dst.place} subnets are private (${sub.label} has no route to an internet gateway)`;
      if (!dst.public) return `no route from internet: ${dst.place} subnets are private (${sub.label} routes to an internet gateway but its members get no public address)`;
      return undefined;
    }
    if (dst.kind === "internet") return this.outboundProblem(src, d, "internet");
    if (dst.kind === "service") {
      const rt = this.routeTableOf(src.subnet!);
      if (rt?.endpoints.has(dst.service!)) return undefined;
      const out = this.outboundProblem(src, d, dst.service!);
      return out ? `${out} (and ${rt ? `route table ${rt.label}` : "the main route table"} is not associated with the endpoint)` : undefined;
    }
    if (src.subnet!.vpc !== dst.subnet!.vpc) return `no route: ${src.subnet!.label} and ${dst.subnet!.label} are in different VPCs`;
    return undefined;
  }

  private peerMatches(peer: Peer, m: Member, r: Range): boolean {
    switch (peer.kind) {
      case "cidr":
        return m.kind === "service" ? peer.range[0] === 0 && peer.range[1] === MAX_ADDRESS : containsRange(peer.range, r);
      case "sg":
        return m.kind === "subnet" && m.groups.includes(peer.group);
      case "service":
        return m.kind === "service" && m.service === peer.endpoint;
    }
  }

  private sgSide(owner: Member, direction: "ingress" | "egress", other: Member, r: Range): { cov: Coverage; rules: SgRule[] } {
    if (owner.kind !== "subnet") return { cov: FULL, rules: [] };
    let cov = EMPTY;
    const rules: SgRule[] = [];
    for (const g of owner.groups)
      for (const rule of this.rulesByGroup.get(g)?.[direction] ?? [])
        if (rule.peers.some((peer) => this.peerMatches(peer, other, r))) {
          cov = unionCov(cov, rule.cov);
          rules.push(rule);
        }
    return { cov, rules };
  }

  private naclAllowed(rules: readonly NaclRule[], peer: Range): Coverage {
    let undecided = FULL;
    let allowed = EMPTY;
    for (const rule of rules) {
      if (!rule.range || !containsRange(rule.range, peer)) continue;
      if (rule.allow) allowed = unionCov(allowed, intersectCov(rule.cov, undecided));
      undecided = subtractCov(undecided, rule.cov);
    }
    return allowed;
  }

  private naclOf(m: Member): NaclInfo | undefined {
    if (m.kind !== "subnet") return undefined;
    return this.subnetNacl.get(m.subnet!.address) ?? (m.subnet!.vpc ? this.defaultNacl.get(m.subnet!.vpc) : undefined);
  }

  private naclParts(src: Member, s: Range, dst: Member, d: Range): NaclPart[] {
    if (src.subnet && src.subnet === dst.subnet) return []; // ACLs filter at the subnet boundary only
    const parts: NaclPart[] = [];
    const returnCov = (allowed: Coverage): Coverage =>
      mapCoverage((sp) => ((sp === "tcp" || sp === "udp") && !coversRange(allowed[sp], EPHEMERAL) ? [] : FULL[sp]));
    const srcAcl = this.naclOf(src);
    const dstAcl = this.naclOf(dst);
    const srcName = src.subnet ? src.place : "internet";
    const dstName = dst.subnet ? dst.place : dst.kind === "service" ? dst.service! : "internet";
    if (srcAcl) {
      parts.push({ acl: srcAcl, direction: "egress", forward: true, peer: d, peerName: dstName, cov: this.naclAllowed(srcAcl.egress, d) });
      parts.push({ acl: srcAcl, direction: "ingress", forward: false, peer: d, peerName: dstName, cov: returnCov(this.naclAllowed(srcAcl.ingress, d)) });
    }
    if (dstAcl) {
      parts.push({ acl: dstAcl, direction: "ingress", forward: true, peer: s, peerName: srcName, cov: this.naclAllowed(dstAcl.ingress, s) });
      parts.push({ acl: dstAcl, direction: "egress", forward: false, peer: s, peerName: srcName, cov: returnCov(this.naclAllowed(dstAcl.egress, s)) });
    }
    return parts;
  }

  private spot(src: Member, si: number, dst: Member, di: number): SpotData {
    const key = `${src.id}/${si}>${dst.id}/${di}`;
    const cached = this.spotCache.get(key);
    if (cached) return cached;
    const s = src.reps[si];
    const d = dst.reps[di];
    const route = this.routeProblem(src, s, dst, d);
    const eg = this.sgSide(src, "egress", dst, d);
    const ing = this.sgSide(dst, "ingress", src, s);
    const nacl = this.naclParts(src, s, dst, d);
    const allowed = route ? EMPTY : nacl.reduce((acc, part) => intersectCov(acc, part.cov), intersectCov(eg.cov, ing.cov));
    const data: SpotData = { route, egress: eg.cov, egressRules: eg.rules, ingress: ing.cov, ingressRules: ing.rules, nacl, allowed };
    this.spotCache.set(key, data);
    return data;
  }

  private naclReason(part: NaclPart, q: Query): string {
    const dir = part.direction === "ingress" ? "inbound" : "outbound";
    if (!part.forward) {
      const toward = part.direction === "ingress" ? "from" : "to";
      return `network ACL ${part.acl.label} does not allow ${dir} return traffic ${toward} ${part.peerName} on ephemeral ports 1024-65535`;
    }
    // The first port of the query the ACL does not allow, and the rule that decides it.
    for (const req of q) {
      const missing = subtractRanges([req.range], part.cov[req.space]);
      if (!missing.length) continue;
      const point = missing[0][0];
      const rule = (part.direction === "ingress" ? part.acl.ingress : part.acl.egress).find(
        (r) => r.range && containsRange(r.range, part.peer) && touchesRange(r.cov[req.space], [point, point]),
      );
      const what = reqText({ space: req.space, range: [point, point] });
      const toward = part.direction === "ingress" ? "from" : "to";
      return rule
        ? `network ACL ${part.acl.label} denies ${dir} ${what} ${toward} ${part.peerName} (rule ${rule.label})`
        : `network ACL ${part.acl.label} has no ${dir} rule allowing ${what} ${toward} ${part.peerName} (implicit deny)`;
    }
    return `network ACL ${part.acl.label} denies it`;
  }

  private outcome(src: Member, dst: Member, data: SpotData, q: Query): Outcome {
    const egress = data.egressRules.filter((r) => touchesQuery(r.cov, q)).map((r) => r.address);
    const ingress = data.ingressRules.filter((r) => touchesQuery(r.cov, q)).map((r) => r.address);
    const fail = (stage: number, reason: string): Outcome => ({ ok: false, stage, reason, egress, ingress });
    if (data.route) return fail(0, data.route);
    const srcName = src.kind === "internet" ? "internet" : src.place;
    const dstName = dst.kind === "service" ? dst.service! : dst.place;
    if (!coversQuery(data.egress, q))
      return fail(
        1,
        src.groups.length
          ? `no egress rule on ${this.groupsText(src.groups)} for ${queryText(q)} to ${dstName}`
          : `${srcName} subnet ${src.subnet!.label} has no security group: tag one Tier=${src.place} or attach one`,
      );
    if (!coversQuery(data.ingress, q))
      return fail(
        2,
        dst.groups.length
          ? `no ingress rule on ${this.groupsText(dst.groups)} for ${queryText(q)} from ${srcName}`
          : `${dstName} subnet ${dst.subnet!.label} has no security group: tag one Tier=${dst.place} or attach one`,
      );
    for (const part of data.nacl) if (!coversQuery(part.cov, q)) return fail(3, this.naclReason(part, q));
    return { ok: true, stage: 4, egress, ingress };
  }

  /** One subnet (or the internet) to another: every address on the subnet side, some on the outside. */
  private memberPair(src: Member, dst: Member, q: Query): Outcome {
    const grid = src.reps.map((_, si) => dst.reps.map((_, di) => this.outcome(src, dst, this.spot(src, si, dst, di), q)));
    const outsideIsSrc = src.kind !== "subnet";
    const outsideIsDst = dst.kind !== "subnet";
    // Groups of outcomes that must each contain a success (exists over the outside addresses).
    const groups: Outcome[][] = outsideIsSrc
      ? dst.reps.map((_, di) => grid.map((row) => row[di]))
      : outsideIsDst
        ? grid
        : grid.flat().map((o) => [o]);
    const merge = (os: Outcome[]) => ({ egress: [...new Set(os.flatMap((o) => o.egress))], ingress: [...new Set(os.flatMap((o) => o.ingress))] });
    const failing = groups.filter((g) => !g.some((o) => o.ok));
    if (failing.length) {
      const best = failing.flat().reduce<Outcome | undefined>((a, b) => (!a || b.stage > a.stage ? b : a), undefined);
      if (!best) return { ok: false, stage: 0, reason: `no addresses to analyse between ${src.place} and ${dst.place}`, egress: [], ingress: [] };
      return { ok: false, stage: best.stage, reason: best.reason, ...merge([best]) };
    }
    const passing = groups.flatMap((g) => g.filter((o) => o.ok));
    let note: string | undefined;
    if ((outsideIsSrc || dst.kind === "internet") && groups.some((g) => g.some((o) => !o.ok))) {
      const outsideReps = outsideIsSrc ? src.reps : dst.reps;
      const okReps = normalize(outsideReps.filter((_, i) => groups.every((g) => g[i].ok)));
      const cidrs = okReps.flatMap(rangeToCidrs);
      const shown = cidrs.length > 4 ? `${cidrs.slice(0, 4).join(", ")}, ...` : cidrs.join(", ");
      note = `${outsideIsSrc ? "only from" : "only to"} ${shown || "no single outside range"}`;
    }
    return { ok: true, stage: 4, ...merge(passing), note };
  }

  private evaluate(from: string, to: string, q: Query, port: Port): FlowVerdict {
    const src = this.placeOf(from, "from");
    const dst = this.placeOf(to, "to");
    if (src.kind === "internet" && dst.kind !== "tier") throw new Error(`cannot analyse internet -> ${to}: both are outside the VPC`);
    const results: { src: Member; dst: Member; o: Outcome }[] = [];
    for (const ms of src.members) for (const md of dst.members) results.push({ src: ms, dst: md, o: this.memberPair(ms, md, q) });
    const ok = results.filter((r) => r.o.ok);
    const verdict = results.length && ok.length === results.length ? "allowed" : ok.length ? "partial" : "denied";
    const chosen = ok.length ? ok : results;
    const sorted = (xs: string[]) => [...new Set(xs)].sort();
    const egressRules = sorted(chosen.flatMap((r) => r.o.egress));
    const ingressRules = sorted(chosen.flatMap((r) => r.o.ingress));
    let reason: string | undefined;
    const where = (r: (typeof results)[number]) => `${r.src.subnet?.name ?? r.src.place} -> ${r.dst.subnet?.name ?? r.dst.place}`;
    if (!results.length) reason = `${src.members.length ? to : from} has no subnets`;
    else if (verdict === "denied") {
      const best = results.reduce((a, b) => (b.o.stage > a.o.stage ? b : a));
      reason = results.length > 1 ? `${best.o.reason} (${where(best)})` : best.o.reason;
    } else if (verdict === "partial") {
      const bad = results.filter((r) => !r.o.ok);
      reason = `denied for ${bad.length} of ${results.length} subnet pairs, e.g. ${where(bad[0])}: ${bad[0].o.reason}`;
    } else reason = ok.find((r) => r.o.note)?.o.note;
    return { from, to, port, verdict, egressRules, ingressRules, ...(reason ? { reason } : {}) };
  }

  // --- the API --------------------------------------------------------------------------------

  check(from: string, to: string, port: Port): FlowVerdict {
    return this.evaluate(from, to, queryOf(port), port);
  }

  anyAllowed(from: string, to: string): FlowVerdict[] {
    const all = this.check(from, to, { protocol: "all", label: "all traffic" });
    if (all.verdict === "allowed") return [all];
    const src = this.placeOf(from, "from");
    const dst = this.placeOf(to, "to");
    const spots: SpotData[] = [];
    for (const ms of src.members) for (const md of dst.members) ms.reps.forEach((_, si) => md.reps.forEach((__, di) => spots.push(this.spot(ms, si, md, di))));
    const out: FlowVerdict[] = [];
    for (const space of ["tcp", "udp", "icmp"] as const) {
      const domain: Range = space === "icmp" ? [0, 65535] : [1, 65535];
      const cuts = new Set<number>([domain[0], domain[1] + 1]);
      for (const sp of spots)
        for (const [lo, hi] of intersectRanges(sp.allowed[space], [domain])) {
          cuts.add(lo);
          cuts.add(hi + 1);
        }
      const pts = [...cuts].sort((a, b) => a - b);
      let prev: { range: [number, number]; v: FlowVerdict } | undefined;
      const flush = () => {
        if (prev) out.push(this.rangeVerdict(from, to, space, prev.range, prev.v));
        prev = undefined;
      };
      for (let i = 0; i + 1 < pts.length; i++) {
        const seg: Range = [pts[i], pts[i + 1] - 1];
        if (!spots.some((sp) => touchesRange(sp.allowed[space], seg))) {
          flush();
          continue;
        }
        const v = this.evaluate(from, to, [{ space, range: seg }], { protocol: space });
        if (v.verdict === "denied") {
          flush();
          continue;
        }
        const same = (a: FlowVerdict, b: FlowVerdict) =>
          a.verdict === b.verdict && a.reason === b.reason && a.egressRules.join() === b.egressRules.join() && a.ingressRules.join() === b.ingressRules.join();
        if (prev && prev.range[1] + 1 === seg[0] && same(prev.v, v)) prev.range[1] = seg[1];
        else {
          flush();
          prev = { range: [seg[0], seg[1]], v };
        }
      }
      flush();
    }
    return out;
  }

  private rangeVerdict(from: string, to: string, space: "tcp" | "udp" | "icmp", range: Range, v: FlowVerdict): FlowVerdict {
    const label = reqText({ space, range });
    let port: Port;
    if (space === "icmp") {
      const [lo, hi] = range;
      const full = lo === 0 && hi === 65535;
      const wholeType = lo % 256 === 0 && hi % 256 === 255;
      port = full
        ? { protocol: "icmp", label }
        : { protocol: "icmp", icmpType: Math.floor(lo / 256), ...(wholeType ? {} : { icmpCode: lo % 256 }), label };
    } else port = { protocol: space, port: range[0], label };
    return { ...v, from, to, port };
  }

  matrix(ports: readonly Port[]): FlowVerdict[] {
    const out: FlowVerdict[] = [];
    for (const from of this.tiers) for (const to of this.tiers) if (from !== to) for (const port of ports) out.push(this.check(from, to, port));
    return out;
  }
}

export function analyzeFlows(tf: TfJson): FlowModel {
  // Terraform variables at their defaults: what `terraform apply` without -var builds.
  return new FlowAnalysis(withVariableDefaults(tf));
}

/** analyzeFlows, plus notes on what could not be resolved offline (for the CLI). */
export function analyzeFlowsWithNotes(tf: TfJson): FlowModelWithNotes {
  return new FlowAnalysis(withVariableDefaults(tf));
}

const shortRule = (address: string) => address.replace(/^aws_vpc_security_group_/, "");

/** A fixed-width table: from, to, port, verdict, then the rules (egress > ingress) or the reason. */
export function formatMatrix(verdicts: readonly FlowVerdict[]): string {
  const rows = verdicts.map((v) => {
    const rules = v.verdict === "denied" ? "" : `${v.egressRules.map(shortRule).join(",") || "-"} > ${v.ingressRules.map(shortRule).join(",") || "-"}`;
    const detail = [rules, v.reason ?? ""].filter(Boolean).join("  ");
    return [v.from, v.to, portLabel(v.port), v.verdict, detail];
  });
  const header = ["FROM", "TO", "PORT", "VERDICT", "RULES (egress > ingress) / REASON"];
  const widths = [0, 1, 2, 3].map((i) => Math.max(header[i].length, ...rows.map((r) => r[i].length)));
  const line = (r: string[]) => r.map((c, i) => (i < 4 ? c.padEnd(widths[i]) : c)).join("  ").trimEnd();
  return [line(header), ...rows.map(line)].join("\n");
}
