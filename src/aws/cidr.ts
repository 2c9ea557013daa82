/**
 * IPv4 CIDR arithmetic. Parsing and validation come from the `ip-address` library; the range
 * maths on top of it works on unsigned 32-bit integers.
 */
import { Address4 } from "ip-address";
import { AWS_MAX_SUBNET_PREFIX, AWS_MIN_SUBNET_PREFIX } from "./limits";

export interface Cidr {
  readonly text: string;
  readonly start: number; // first address, as an unsigned 32-bit integer
  readonly prefix: number;
}

const CIDR_SHAPE = /^\d{1,3}(\.\d{1,3}){3}\/\d{1,2}$/;

/** Why `text` is not a usable IPv4 network CIDR, or undefined when it is one. */
export function cidrProblem(text: string): string | undefined {
  if (typeof text !== "string" || !CIDR_SHAPE.test(text)) return "is not an IPv4 CIDR like 10.0.0.0/16";
  if (!Address4.isValid(text)) return "is not a valid IPv4 CIDR";
  // Address4.isValid refuses a prefix past /32.
  const addr = new Address4(text);
  const network = addr.startAddress().address;
  if (network !== addr.addressMinusSuffix)
    return `has host bits set (the network address is ${network}/${addr.subnetMask})`;
  return undefined;
}

/** Why a VPC or subnet block is a size AWS refuses (/16 to /28), or undefined. */
export function awsPrefixProblem(c: Cidr, range: "allowed" | "VPC range" = "allowed"): string | undefined {
  if (c.prefix < AWS_MIN_SUBNET_PREFIX || c.prefix > AWS_MAX_SUBNET_PREFIX)
    return `prefix /${c.prefix} is outside AWS's ${range} /${AWS_MIN_SUBNET_PREFIX} to /${AWS_MAX_SUBNET_PREFIX}`;
  return undefined;
}

export function parseCidr(text: string): Cidr {
  const problem = cidrProblem(text);
  if (problem) throw new Error(`${JSON.stringify(text)} ${problem}`);
  const addr = new Address4(text);
  return { text, start: Number(addr.bigInt()), prefix: addr.subnetMask };
}

export function size(c: Cidr): number {
  return 2 ** (32 - c.prefix);
}

export function end(c: Cidr): number {
  return c.start + size(c) - 1;
}

export function contains(outer: Cidr, inner: Cidr): boolean {
  return inner.start >= outer.start && end(inner) <= end(outer);
}

export function overlaps(a: Cidr, b: Cidr): boolean {
  return a.start <= end(b) && b.start <= end(a);
}

/** Dotted text of an address given as an unsigned 32-bit integer. */
export function addressText(address: number): string {
  return Address4.fromInteger(address).address;
}

export function formatCidr(start: number, prefix: number): string {
  return `${addressText(start)}/${prefix}`;
}

/**
 * [first, last] address of an IPv4 CIDR written the way AWS accepts it in rules (host bits
 * allowed: they are ignored), or undefined when the text is not one.
 */
export function cidrRange(text: string): readonly [number, number] | undefined {
  const t = text.trim();
  if (!CIDR_SHAPE.test(t) || !Address4.isValid(t)) return undefined;
  const addr = new Address4(t);
  return [Number(addr.startAddress().bigInt()), Number(addr.endAddress().bigInt())];
}

/** The `count` consecutive blocks of size /newPrefix at the start of `block`. */
export function splitCidr(block: Cidr, newPrefix: number, count: number): string[] {
  if (newPrefix < block.prefix) throw new Error(`cannot split ${block.text} into larger /${newPrefix} blocks`);
  const step = 2 ** (32 - newPrefix);
  if (count * step > size(block)) throw new Error(`${block.text} holds fewer than ${count} /${newPrefix} blocks`);
  return Array.from({ length: count }, (_, i) => formatCidr(block.start + i * step, newPrefix));
}

/** The enclosing network of `c` with the shorter prefix `prefix` (e.g. the /28 around a /29). */
export function widen(c: Cidr, prefix: number): string {
  const mask = prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
  return formatCidr((c.start & mask) >>> 0, prefix);
}

/** Canonical text of a CIDR whose host bits may be set (for comparing rules). */
export function canonical(text: string): string {
  const addr = new Address4(text);
  return `${addr.startAddress().address}/${addr.subnetMask}`;
}
