/**
 * The flow analysis's range maths: ports and addresses as sets of integer ranges. A rule's ports
 * are a Coverage (ranges per protocol space); a question about a Port is a Query. ICMP type/code
 * pairs are numbered type * 256 + code; IPv4 addresses are 32-bit integers.
 */
import { addressText } from "../../src/aws/cidr";
import type { Port } from "./model";

export type Space = "tcp" | "udp" | "icmp" | "other";
export const SPACES: readonly Space[] = ["tcp", "udp", "icmp", "other"];
export type Range = readonly [number, number];
export type Ranges = readonly Range[];
/** What a rule or a path lets through: ranges per protocol space. */
export type Coverage = Readonly<Record<Space, Ranges>>;
export interface Req {
  readonly space: Space;
  readonly range: Range;
}
/** A question: every range of every space named must be let through. */
export type Query = readonly Req[];

export const MAX_ADDRESS = 2 ** 32 - 1;
const SPACE_MAX: Record<Space, number> = { tcp: 65535, udp: 65535, icmp: 65535, other: 255 };
export const EMPTY: Coverage = { tcp: [], udp: [], icmp: [], other: [] };
export const FULL: Coverage = { tcp: [[0, 65535]], udp: [[0, 65535]], icmp: [[0, 65535]], other: [[0, 255]] };
/** The ports return traffic comes back on, as network ACLs must allow it. */
export const EPHEMERAL: Range = [1024, 65535];

export function normalize(rs: readonly Range[]): Range[] {
  const sorted = rs.filter((r) => r[0] <= r[1]).sort((a, b) => a[0] - b[0]);
  const out: [number, number][] = [];
  for (const [lo, hi] of sorted) {
    const last = out[out.length - 1];
    if (last && lo <= last[1] + 1) last[1] = Math.max(last[1], hi);
    else out.push([lo, hi]);
  }
  return out;
}

export function intersectRanges(a: Ranges, b: Ranges): Range[] {
  const out: Range[] = [];
  for (const x of a)
    for (const y of b)
      if (Math.max(x[0], y[0]) <= Math.min(x[1], y[1])) out.push([Math.max(x[0], y[0]), Math.min(x[1], y[1])]);
  return normalize(out);
}

export function subtractRanges(a: Ranges, b: Ranges): Range[] {
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

export const coversRange = (a: Ranges, r: Range) => a.some(([lo, hi]) => lo <= r[0] && r[1] <= hi);
export const touchesRange = (a: Ranges, r: Range) => a.some(([lo, hi]) => lo <= r[1] && r[0] <= hi);
export const containsRange = (outer: Range, inner: Range) => outer[0] <= inner[0] && inner[1] <= outer[1];

export function mapCoverage(f: (s: Space) => Ranges): Coverage {
  return { tcp: f("tcp"), udp: f("udp"), icmp: f("icmp"), other: f("other") };
}
export const unionCov = (a: Coverage, b: Coverage) => mapCoverage((s) => normalize([...a[s], ...b[s]]));
export const intersectCov = (a: Coverage, b: Coverage) => mapCoverage((s) => intersectRanges(a[s], b[s]));
export const subtractCov = (a: Coverage, b: Coverage) => mapCoverage((s) => subtractRanges(a[s], b[s]));
export const coversQuery = (c: Coverage, q: Query) => q.every((r) => coversRange(c[r.space], r.range));
export const touchesQuery = (c: Coverage, q: Query) => q.some((r) => touchesRange(c[r.space], r.range));
const only = (space: Space, range: Range): Coverage => ({ ...EMPTY, [space]: [range] });

/** A whole number written as a number or a string, else undefined. */
export function num(v: unknown): number | undefined {
  if (typeof v === "number" && Number.isFinite(v)) return v;
  if (typeof v === "string" && /^-?\d+$/.test(v.trim())) return Number(v);
  return undefined;
}

function protocolOf(v: unknown): Space | "all" | undefined {
  const s = String(v ?? "")
    .trim()
    .toLowerCase();
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
export function coverageOf(
  protocol: unknown,
  from: unknown,
  to: unknown,
  icmpType?: unknown,
  icmpCode?: unknown,
): Coverage {
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

/** The question a Port asks. */
export function queryOf(port: Port): Query {
  switch (port.protocol) {
    case "all":
      return SPACES.map((space) => ({ space, range: [0, SPACE_MAX[space]] as Range }));
    case "icmp": {
      const code = port.icmpType === undefined ? -1 : (port.icmpCode ?? -1);
      return [{ space: "icmp", range: icmpRange(port.icmpType ?? -1, code) }];
    }
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

/** A range of one space as people write it: "tcp/22", "udp/30000-32767", "icmp 3/4", "protocol 47". */
export function reqText(r: Req): string {
  const [lo, hi] = r.range;
  if (r.space === "icmp") return icmpText(r.range);
  if (r.space === "other")
    return lo === 0 && hi === 255 ? "other protocols" : `protocol ${lo === hi ? lo : `${lo}-${hi}`}`;
  if (lo <= 1 && hi === 65535) return `${r.space}/all`;
  return `${r.space}/${lo === hi ? lo : `${lo}-${hi}`}`;
}

export function queryText(q: Query): string {
  return q.length === SPACES.length ? "all traffic" : q.map(reqText).join(", ");
}

/** The fewest CIDRs covering exactly the addresses [lo, hi]. */
export function rangeToCidrs([lo, hi]: Range): string[] {
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
