/**
 * The CIDR arithmetic under the network plan, the configuration and the AWS checks
 * (src/aws/cidr.ts): parsing on top of the ip-address library, ranges as unsigned 32-bit integers.
 */
import {
  canonical,
  cidrProblem,
  cidrRange,
  contains,
  end,
  overlaps,
  parseCidr,
  size,
  splitCidr,
  widen,
} from "../src/aws/cidr";

describe("what is a network CIDR", () => {
  test.each([
    ["10.0.0.0/16", undefined],
    ["0.0.0.0/0", undefined],
    ["10.0.0.5/32", undefined],
    ["10.0.0.0", "is not an IPv4 CIDR like 10.0.0.0/16"],
    ["x10.0.0.0/16", "is not an IPv4 CIDR like 10.0.0.0/16"],
    ["10.0.0.0/16x", "is not an IPv4 CIDR like 10.0.0.0/16"],
    [" 10.0.0.0/16", "is not an IPv4 CIDR like 10.0.0.0/16"],
    ["10.0.0.0/33", "is not a valid IPv4 CIDR"],
    ["256.0.0.0/8", "is not a valid IPv4 CIDR"],
    ["10.0.0.1/24", "has host bits set (the network address is 10.0.0.0/24)"],
  ])("%s: %s", (text, problem) => expect(cidrProblem(text)).toBe(problem));
  test("a value that is not text at all", () =>
    expect(cidrProblem(42 as unknown as string)).toBe("is not an IPv4 CIDR like 10.0.0.0/16"));
  test("parsing a bad one throws with the text and the problem", () =>
    expect(() => parseCidr("10.0.0.1/24")).toThrow(
      new Error('"10.0.0.1/24" has host bits set (the network address is 10.0.0.0/24)'),
    ));
  test("parsed: the first address as an integer, the prefix, the size and the last address", () => {
    const c = parseCidr("10.0.1.0/24");
    expect(c).toEqual({ text: "10.0.1.0/24", start: 0x0a000100, prefix: 24 });
    expect([size(c), end(c)]).toEqual([256, 0x0a0001ff]);
  });
});

describe("ranges against each other", () => {
  const c = parseCidr;
  test("a block contains itself and its parts, not its neighbours or its parent", () => {
    expect(contains(c("10.0.0.0/24"), c("10.0.0.0/24"))).toBe(true);
    expect(contains(c("10.0.0.0/24"), c("10.0.0.255/32"))).toBe(true);
    expect(contains(c("10.0.0.0/24"), c("10.0.1.0/32"))).toBe(false);
    expect(contains(c("10.0.1.0/24"), c("10.0.0.255/32"))).toBe(false);
    expect(contains(c("10.0.0.0/24"), c("10.0.0.0/23"))).toBe(false);
  });
  test("blocks overlap when they share one address, at either end, and not when they only touch", () => {
    expect(overlaps(c("10.0.0.0/24"), c("10.0.0.255/32"))).toBe(true);
    expect(overlaps(c("10.0.0.255/32"), c("10.0.0.0/24"))).toBe(true);
    expect(overlaps(c("10.0.0.0/24"), c("10.0.1.0/24"))).toBe(false);
    expect(overlaps(c("10.0.1.0/24"), c("10.0.0.0/24"))).toBe(false);
  });
});

describe("rule ranges, as AWS reads them (host bits ignored)", () => {
  test.each([
    ["10.0.0.0/24", [0x0a000000, 0x0a0000ff]],
    [" 10.0.0.7/24 ", [0x0a000000, 0x0a0000ff]],
    ["0.0.0.0/0", [0, 0xffffffff]],
    ["10.0.0.0", undefined],
    ["10.0.0.0/33", undefined],
    ["banana", undefined],
  ])("%j", (text, range) => expect(cidrRange(text)).toEqual(range));
  test("canonical text clears the host bits", () => expect(canonical("10.0.0.7/24")).toBe("10.0.0.0/24"));
});

describe("splitting and widening", () => {
  test("the first blocks of a smaller size, in order", () =>
    expect(splitCidr(parseCidr("10.0.0.0/24"), 26, 3)).toEqual(["10.0.0.0/26", "10.0.0.64/26", "10.0.0.128/26"]));
  test("all of them, exactly", () => expect(splitCidr(parseCidr("10.0.0.0/24"), 25, 2)).toHaveLength(2));
  test("into larger blocks: refused", () =>
    expect(() => splitCidr(parseCidr("10.0.0.0/24"), 23, 1)).toThrow(
      new Error("cannot split 10.0.0.0/24 into larger /23 blocks"),
    ));
  test("more blocks than fit: refused", () =>
    expect(() => splitCidr(parseCidr("10.0.0.0/24"), 26, 5)).toThrow(
      new Error("10.0.0.0/24 holds fewer than 5 /26 blocks"),
    ));
  test("the enclosing network of a shorter prefix, down to /0", () => {
    expect(widen(parseCidr("172.31.0.0/29"), 28)).toBe("172.31.0.0/28");
    expect(widen(parseCidr("172.31.0.8/29"), 24)).toBe("172.31.0.0/24");
    expect(widen(parseCidr("10.1.2.0/24"), 0)).toBe("0.0.0.0/0");
  });
});
