/**
 * The flow analysis's evaluation: who can reach whom over the network read from a stack, modelling
 * what AWS does with security groups (stateful: the source's egress and the destination's ingress
 * must both allow), route tables (local route, internet gateway + public address, NAT gateway,
 * gateway endpoints) and network ACLs (stateless, rule-number order, return traffic on ephemeral
 * ports 1024-65535). A flow between two places is judged for every pair of their subnets:
 * allowed for all, partial for some, denied for none; from or to the internet it is allowed when
 * some outside address gets through (the reason then says which).
 */
import { TfJson, withVariableDefaults } from "../../src/analysis/tf-json";
import { Layers, SpotData } from "./layers";
import { FlowModel, FlowModelWithNotes, FlowVerdict, Member, Network, Place, Port } from "./model";
import {
  Query,
  Range,
  coversQuery,
  intersectRanges,
  normalize,
  queryOf,
  queryText,
  rangeToCidrs,
  reqText,
  touchesQuery,
  touchesRange,
} from "./ranges";
import { readNetwork } from "./read";

/** A flow's fate for one member pair (or one address pair). */
interface Outcome {
  readonly ok: boolean;
  /** How far the flow got: 0 route, 1 egress, 2 ingress, 3 network ACL, 4 through. */
  readonly stage: number;
  readonly reason?: string;
  readonly egress: readonly string[];
  readonly ingress: readonly string[];
  readonly note?: string;
}

class FlowAnalysis implements FlowModelWithNotes {
  readonly tiers: string[];
  readonly notes: string[];
  private readonly layers: Layers;

  constructor(private readonly net: Network) {
    this.tiers = net.tiers;
    this.notes = net.notes;
    this.layers = new Layers(net);
  }

  private placeOf(name: string, role: "from" | "to"): Place {
    const pl = this.net.places.get(name);
    if (!pl)
      throw new Error(`unknown tier ${JSON.stringify(name)} (known: ${this.tiers.join(", ")}${this.endpointNames()})`);
    if (role === "from" && pl.kind === "service")
      throw new Error(`${name} is an AWS service behind a gateway endpoint: it can only be a destination`);
    return pl;
  }

  private endpointNames(): string {
    const names = [...this.net.places.keys()].filter((n) => n.startsWith("aws_vpc_endpoint."));
    return names.length ? `; endpoints: ${names.join(", ")}` : "";
  }

  private groupsText(groups: readonly string[]): string {
    const text = (g: string) => {
      const name = this.net.groupLabels.get(g);
      return `sg ${name ?? g}${name !== undefined && name !== g ? ` (${g})` : ""}`;
    };
    return groups.map(text).join(", ");
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
    for (const part of data.nacl) if (!coversQuery(part.cov, q)) return fail(3, this.layers.naclReason(part, q));
    return { ok: true, stage: 4, egress, ingress };
  }

  /** One subnet (or the internet) to another: every address on the subnet side, some on the outside. */
  private memberPair(src: Member, dst: Member, q: Query): Outcome {
    const grid = src.reps.map((_, si) =>
      dst.reps.map((_, di) => this.outcome(src, dst, this.layers.spot(src, si, dst, di), q)),
    );
    const outsideIsSrc = src.kind !== "subnet";
    const outsideIsDst = dst.kind !== "subnet";
    // Groups of outcomes that must each contain a success (exists over the outside addresses).
    const groups: Outcome[][] = outsideIsSrc
      ? dst.reps.map((_, di) => grid.map((row) => row[di]))
      : outsideIsDst
        ? grid
        : grid.flat().map((o) => [o]);
    const merge = (os: Outcome[]) => ({
      egress: [...new Set(os.flatMap((o) => o.egress))],
      ingress: [...new Set(os.flatMap((o) => o.ingress))],
    });
    const failing = groups.filter((g) => !g.some((o) => o.ok));
    if (failing.length) {
      const best = failing.flat().reduce<Outcome | undefined>((a, b) => (!a || b.stage > a.stage ? b : a), undefined);
      if (!best)
        return {
          ok: false,
          stage: 0,
          reason: `no addresses to analyse between ${src.place} and ${dst.place}`,
          egress: [],
          ingress: [],
        };
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
    if (src.kind === "internet" && dst.kind !== "tier")
      throw new Error(`cannot analyse internet -> ${to}: both are outside the VPC`);
    const results: { src: Member; dst: Member; o: Outcome }[] = [];
    for (const ms of src.members)
      for (const md of dst.members) results.push({ src: ms, dst: md, o: this.memberPair(ms, md, q) });
    const ok = results.filter((r) => r.o.ok);
    const verdict = results.length && ok.length === results.length ? "allowed" : ok.length ? "partial" : "denied";
    const chosen = ok.length ? ok : results;
    const sorted = (xs: string[]) => [...new Set(xs)].sort();
    const egressRules = sorted(chosen.flatMap((r) => r.o.egress));
    const ingressRules = sorted(chosen.flatMap((r) => r.o.ingress));
    let reason: string | undefined;
    const where = (r: (typeof results)[number]) =>
      `${r.src.subnet?.name ?? r.src.place} -> ${r.dst.subnet?.name ?? r.dst.place}`;
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
    for (const ms of src.members)
      for (const md of dst.members)
        ms.reps.forEach((_, si) => md.reps.forEach((__, di) => spots.push(this.layers.spot(ms, si, md, di))));
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
          a.verdict === b.verdict &&
          a.reason === b.reason &&
          a.egressRules.join() === b.egressRules.join() &&
          a.ingressRules.join() === b.ingressRules.join();
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

  private rangeVerdict(
    from: string,
    to: string,
    space: "tcp" | "udp" | "icmp",
    range: Range,
    v: FlowVerdict,
  ): FlowVerdict {
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
    for (const from of this.tiers)
      for (const to of this.tiers) if (from !== to) for (const port of ports) out.push(this.check(from, to, port));
    return out;
  }
}

/**
 * Who can reach whom in a stack, with its Terraform variables at their defaults (what
 * `terraform apply` without -var builds).
 */
export function analyzeFlows(tf: TfJson): FlowModel {
  return analyzeFlowsWithNotes(tf);
}

/** analyzeFlows, plus notes on what could not be resolved offline (for the CLI). */
export function analyzeFlowsWithNotes(tf: TfJson): FlowModelWithNotes {
  return new FlowAnalysis(readNetwork(withVariableDefaults(tf)));
}
