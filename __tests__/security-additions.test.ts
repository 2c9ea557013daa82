/**
 * The security-group additions (docs/additions.md) as rows: each with
 * its id, what it is, why and its switch, and built only while its switch is on.
 */
import { resolveConfig } from "../src/config";
import { SECURITY_ADDITIONS, SECURITY_ADDITION_ROWS } from "../src/aws/security-additions";
import { RulePlan, planSecurityGroups } from "../src/aws/security-rules";
import { planNetwork } from "../src/aws/network-plan";
import { synthCluster } from "./helpers/synth";

const RULE_TYPES = ["aws_vpc_security_group_ingress_rule", "aws_vpc_security_group_egress_rule"];
/** Every rule resource of a configuration's cluster stack, by address. */
function ruleResources(input: Record<string, unknown>): Map<string, unknown> {
  const resource = synthCluster(input).json.resource as Record<string, Record<string, unknown>>;
  const byType = (type: string) =>
    Object.entries(resource[type]).map(([name, body]) => [`${type}.${name}`, body] as const);
  return new Map(RULE_TYPES.flatMap(byType));
}

describe("every security-group addition", () => {
  const additions = SECURITY_ADDITIONS.map((a, i) => [i, a.id, a] as const);
  test.each(additions)("addition %i (%s) has an id, what it is, a one-line why, a switch and rows", (_i, _id, a) => {
    expect(a.id).toMatch(/^A\d+$/);
    expect(a.why.trim()).not.toBe("");
    expect(a.why).not.toMatch(/\n/);
    expect(a.what.trim()).not.toBe("");
    // "always", or a configuration field that is true or false.
    if (a.switch !== "always") expect(typeof resolveConfig({})[a.switch]).toBe("boolean");
    expect(a.rows.length).toBeGreaterThan(0);
  });

  test("the additions are A4-A8 and A13, in that order", () =>
    expect(SECURITY_ADDITIONS.map((a) => a.id)).toEqual(["A4", "A5", "A6", "A7", "A8", "A13"]));

  test("each rule row carries its addition's id, what, why and switch, in the additions' order", () =>
    expect(SECURITY_ADDITION_ROWS.map((r) => [r.id, r.what, r.why, r.switch])).toEqual(
      SECURITY_ADDITIONS.flatMap((a) => a.rows.map(() => [a.id, a.what, a.why, a.switch])),
    ));

  test("only A6 has a switch: bootstrapEgress", () =>
    expect(SECURITY_ADDITIONS.filter((a) => a.switch !== "always").map((a) => [a.id, a.switch])).toEqual([
      ["A6", "bootstrapEgress"],
    ]));

  test("each row becomes at least one rule of its group, with the row's description", () => {
    const config = resolveConfig({});
    const plans = planSecurityGroups(config, planNetwork(config));
    for (const row of SECURITY_ADDITION_ROWS) {
      const fromRow = (r: RulePlan) =>
        r.sources.some((s) => s.kind === "addition" && s.id === row.id) &&
        r.direction === row.direction &&
        r.description === row.description;
      expect(plans.find((p) => p.group === row.group)!.rules.filter(fromRow).length).toBeGreaterThan(0);
    }
  });
});

describe("bootstrapEgress: false", () => {
  const on = ruleResources({});
  const off = ruleResources({ bootstrapEgress: false });

  test("removes exactly A6's rules: tcp 80 and 443 to 0.0.0.0/0 from the control-plane and worker groups", () => {
    expect([...on.keys()].filter((a) => !off.has(a)).sort()).toEqual([
      "aws_vpc_security_group_egress_rule.api_endpoint_egress_tcp_443_to_anywhere",
      "aws_vpc_security_group_egress_rule.api_endpoint_egress_tcp_80_to_anywhere",
      "aws_vpc_security_group_egress_rule.worker_nodes_egress_tcp_443_to_anywhere",
      "aws_vpc_security_group_egress_rule.worker_nodes_egress_tcp_80_to_anywhere",
    ]);
  });
  test("adds no rule and changes no other rule", () => {
    expect([...off.keys()].filter((a) => !on.has(a))).toEqual([]);
    for (const [address, body] of off) expect({ address, body }).toEqual({ address, body: on.get(address) });
  });
  test("the removed rules are the ones the plan traces to A6 alone", () => {
    const config = resolveConfig({});
    const fromA6 = planSecurityGroups(config, planNetwork(config))
      .flatMap((p) => p.rules)
      .filter((r) => r.sources.every((s) => s.kind === "addition" && s.id === "A6"))
      .map((r) => `aws_vpc_security_group_${r.direction}_rule.${r.key}`);
    expect(fromA6.sort()).toEqual([...on.keys()].filter((a) => !off.has(a)).sort());
  });
  test("the bastion keeps its own way out (A7) and the pods theirs (A8)", () => {
    expect(off.has("aws_vpc_security_group_egress_rule.bastion_egress_tcp_443_to_anywhere")).toBe(true);
    expect(off.has("aws_vpc_security_group_egress_rule.pods_egress_all_to_anywhere")).toBe(true);
  });
});
