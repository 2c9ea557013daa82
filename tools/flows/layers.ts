/**
 * The flow analysis's layers: what AWS lets through from one address range of a member to one of
 * another, layer by layer: the route tables (local route, internet gateway and public address,
 * NAT gateway, gateway endpoints), the security groups of both sides (stateful: the source's
 * egress and the destination's ingress), and the network ACLs of both subnets (stateless, in
 * rule-number order, the forward direction and the return traffic on ephemeral ports).
 */
import { Member, NaclInfo, NaclRule, Network, Peer, RouteInfo, RouteTableInfo, SgRule, SubnetInfo } from "./model";
import {
  Coverage,
  EMPTY,
  EPHEMERAL,
  FULL,
  MAX_ADDRESS,
  Query,
  Range,
  containsRange,
  coversRange,
  intersectCov,
  mapCoverage,
  reqText,
  subtractCov,
  subtractRanges,
  touchesRange,
  unionCov,
} from "./ranges";

type Direction = "ingress" | "egress";

/** One network ACL's check on a flow: the forward direction, or the return traffic. */
export interface NaclPart {
  readonly acl: NaclInfo;
  readonly direction: Direction;
  readonly forward: boolean;
  /** The other end's address range, as this ACL sees it. */
  readonly peer: Range;
  readonly peerName: string;
  readonly cov: Coverage;
}

/** One source address range to one destination address range: what each side lets through. */
export interface SpotData {
  readonly route?: string;
  readonly egress: Coverage;
  readonly egressRules: readonly SgRule[];
  readonly ingress: Coverage;
  readonly ingressRules: readonly SgRule[];
  readonly nacl: readonly NaclPart[];
  readonly allowed: Coverage;
}

/** The layers of one network; each address pair is judged once and remembered. */
export class Layers {
  private readonly spotCache = new Map<string, SpotData>();

  constructor(private readonly net: Network) {}

  private routeTableOf(s: SubnetInfo): RouteTableInfo | undefined {
    const rt = this.net.subnetTable.get(s.address) ?? (s.vpc ? this.net.mainTable.get(s.vpc) : undefined);
    return rt ? this.net.routeTables.get(rt) : undefined;
  }

  private lpm(rt: RouteTableInfo | undefined, r: Range): RouteInfo | undefined {
    let best: RouteInfo | undefined;
    for (const route of rt?.routes ?? [])
      if (containsRange(route.range, r) && (!best || route.range[1] - route.range[0] < best.range[1] - best.range[0]))
        best = route;
    return best;
  }

  /** Why a subnet member cannot send to the outside address range r (undefined: it can). */
  private outboundProblem(m: Member, r: Range, what: string): string | undefined {
    const s = m.subnet!;
    const rt = this.routeTableOf(s);
    const route = this.lpm(rt, r);
    const table = rt ? `route table ${rt.label}` : "the VPC main route table (local only)";
    const subnet = `no route to ${what}: ${m.place} subnet ${s.label}`;
    if (!route) return `${subnet} uses ${table}, with no route to an internet gateway or NAT gateway`;
    if (route.kind === "igw")
      return m.public
        ? undefined
        : `${subnet} routes to internet gateway ${route.target} but its members get no public address`;
    if (route.kind === "nat") {
      const nat = this.net.nats.get(route.target);
      if (!nat) return undefined;
      const gateway = `no route to ${what}: NAT gateway ${nat.label}`;
      if (nat.private) return `${gateway} is private (connectivity_type private)`;
      const natSubnet = nat.subnet ? this.net.subnets.get(nat.subnet) : undefined;
      const natRoute = natSubnet ? this.lpm(this.routeTableOf(natSubnet), r) : undefined;
      if (natSubnet && natRoute?.kind !== "igw")
        return `${gateway} sits in ${natSubnet.label}, which has no route to an internet gateway`;
      return undefined;
    }
    return `${subnet} sends it to ${route.target}, which this analysis does not model`;
  }

  private routeProblem(src: Member, s: Range, dst: Member, d: Range): string | undefined {
    if (src.kind === "internet") {
      const sub = dst.subnet!;
      const route = this.lpm(this.routeTableOf(sub), s);
      const privateSubnets = `no route from internet: ${dst.place} subnets are private`;
      if (route?.kind !== "igw") return `${privateSubnets} (${sub.label} has no route to an internet gateway)`;
      if (!dst.public)
        return `${privateSubnets} (${sub.label} routes to an internet gateway but its members get no public address)`;
      return undefined;
    }
    if (dst.kind === "internet") return this.outboundProblem(src, d, "internet");
    if (dst.kind === "service") {
      const rt = this.routeTableOf(src.subnet!);
      if (rt?.endpoints.has(dst.service!)) return undefined;
      const out = this.outboundProblem(src, d, dst.service!);
      return out
        ? `${out} (and ${rt ? `route table ${rt.label}` : "the main route table"} is not associated with the endpoint)`
        : undefined;
    }
    if (src.subnet!.vpc !== dst.subnet!.vpc)
      return `no route: ${src.subnet!.label} and ${dst.subnet!.label} are in different VPCs`;
    return undefined;
  }

  private peerMatches(peer: Peer, m: Member, r: Range): boolean {
    switch (peer.kind) {
      case "cidr":
        return m.kind === "service"
          ? peer.range[0] === 0 && peer.range[1] === MAX_ADDRESS
          : containsRange(peer.range, r);
      case "sg":
        return m.kind === "subnet" && m.groups.includes(peer.group);
      case "service":
        return m.kind === "service" && m.service === peer.endpoint;
    }
  }

  private sgSide(
    owner: Member,
    direction: "ingress" | "egress",
    other: Member,
    r: Range,
  ): { cov: Coverage; rules: SgRule[] } {
    if (owner.kind !== "subnet") return { cov: FULL, rules: [] };
    let cov = EMPTY;
    const rules: SgRule[] = [];
    for (const g of owner.groups)
      for (const rule of this.net.rulesByGroup.get(g)?.[direction] ?? [])
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
    return (
      this.net.subnetNacl.get(m.subnet!.address) ??
      (m.subnet!.vpc ? this.net.defaultNacl.get(m.subnet!.vpc) : undefined)
    );
  }

  private naclParts(src: Member, s: Range, dst: Member, d: Range): NaclPart[] {
    if (src.subnet && src.subnet === dst.subnet) return []; // ACLs filter at the subnet boundary only
    const returnCov = (allowed: Coverage): Coverage =>
      mapCoverage((sp) => ((sp === "tcp" || sp === "udp") && !coversRange(allowed[sp], EPHEMERAL) ? [] : FULL[sp]));
    // Each ACL checks the flow leaving (or entering) its subnet, and the return traffic the other way.
    const sides = (acl: NaclInfo, forward: Direction, back: Direction, peer: Range, peerName: string): NaclPart[] => [
      { acl, direction: forward, forward: true, peer, peerName, cov: this.naclAllowed(acl[forward], peer) },
      { acl, direction: back, forward: false, peer, peerName, cov: returnCov(this.naclAllowed(acl[back], peer)) },
    ];
    const srcAcl = this.naclOf(src);
    const dstAcl = this.naclOf(dst);
    const srcName = src.subnet ? src.place : "internet";
    const dstName = dst.subnet ? dst.place : dst.kind === "service" ? dst.service! : "internet";
    return [
      ...(srcAcl ? sides(srcAcl, "egress", "ingress", d, dstName) : []),
      ...(dstAcl ? sides(dstAcl, "ingress", "egress", s, srcName) : []),
    ];
  }

  /** The layers' verdicts from the si-th address range of src to the di-th of dst. */
  spot(src: Member, si: number, dst: Member, di: number): SpotData {
    const key = `${src.id}/${si}>${dst.id}/${di}`;
    const cached = this.spotCache.get(key);
    if (cached) return cached;
    const s = src.reps[si];
    const d = dst.reps[di];
    const route = this.routeProblem(src, s, dst, d);
    const eg = this.sgSide(src, "egress", dst, d);
    const ing = this.sgSide(dst, "ingress", src, s);
    const nacl = this.naclParts(src, s, dst, d);
    const allowed = route
      ? EMPTY
      : nacl.reduce((acc, part) => intersectCov(acc, part.cov), intersectCov(eg.cov, ing.cov));
    const data: SpotData = {
      route,
      egress: eg.cov,
      egressRules: eg.rules,
      ingress: ing.cov,
      ingressRules: ing.rules,
      nacl,
      allowed,
    };
    this.spotCache.set(key, data);
    return data;
  }

  /** Why a network ACL stops the query, naming the rule that decides (or the implicit deny). */
  naclReason(part: NaclPart, q: Query): string {
    const dir = part.direction === "ingress" ? "inbound" : "outbound";
    if (!part.forward) {
      const toward = part.direction === "ingress" ? "from" : "to";
      const returning = `${dir} return traffic ${toward} ${part.peerName}`;
      return `network ACL ${part.acl.label} does not allow ${returning} on ephemeral ports 1024-65535`;
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
      const toward = `${part.direction === "ingress" ? "from" : "to"} ${part.peerName}`;
      return rule
        ? `network ACL ${part.acl.label} denies ${dir} ${what} ${toward} (rule ${rule.label})`
        : `network ACL ${part.acl.label} has no ${dir} rule allowing ${what} ${toward} (implicit deny)`;
    }
    return `network ACL ${part.acl.label} denies it`;
  }
}
