/** The traceability report: every spec row maps to the Terraform resources that implement it. */
import { resolveConfig } from "../src/config";
import { buildApp } from "../src/app";
import { stackToJson } from "../src/analysis/tf-json";
import { traceMarkdown, traceRows } from "../src/analysis/trace";
import { routeTableTables, subnetTables } from "../src/spec/network";
import { securityGroupTables } from "../src/spec/security-groups";
import { DEVIATIONS, NETWORK_ADDITIONS } from "../src/aws/deviations";
import { SECURITY_ADDITIONS } from "../src/aws/security-rules";

function trace(input: Record<string, unknown> = {}) {
  const { cluster } = buildApp(resolveConfig(input));
  return traceRows(stackToJson(cluster), cluster.plan, cluster.securityPlan);
}

const specRowCount =
  8 /* VPC table */ +
  subnetTables.length * 8 +
  routeTableTables.reduce((n, t) => n + 1 + t.routes.length, 0) +
  securityGroupTables.reduce((n, t) => n + t.ingress.length + t.egress.length, 0);

describe.each([
  ["azCount 1", {}],
  ["azCount 3, per-AZ NAT", { azCount: 3, natGateways: "perAz" }],
])("%s", (_name, input) => {
  const rows = trace(input);
  test("every spec row is in the report", () => expect(rows).toHaveLength(specRowCount));
  test("every row has at least one Terraform address", () => expect(rows.filter((r) => r.addresses.length === 0)).toEqual([]));
  test("every security-group row lists the rules that implement it", () => {
    for (const t of securityGroupTables)
      for (const d of ["ingress", "egress"] as const)
        t[d].forEach((row, i) => {
          const r = rows.find((x) => x.table === `${t.name} ${d}` && x.row === `row ${i + 1}`)!;
          expect(r.spec).toContain(row.descriptionAsWritten);
          expect(r.addresses.every((a) => a.startsWith(`aws_vpc_security_group_${d}_rule.`))).toBe(true);
        });
  });
});

test("the markdown lists every deviation and addition with its reason", () => {
  const md = traceMarkdown(trace());
  for (const d of DEVIATIONS) expect(md).toContain(`| ${d.id} |`);
  for (const a of [...NETWORK_ADDITIONS, ...SECURITY_ADDITIONS]) expect(md).toContain(`| ${a.id} |`);
  expect(md).not.toContain("**MISSING**");
});

test("D7 is visible: the two worker SSH rows share one rule", () => {
  const rows = trace().filter((r) => r.table === "sg-worker-nodes ingress" && /22/.test(r.spec) && /bastion|Bastion/.test(r.spec));
  expect(rows).toHaveLength(2);
  expect(rows[0].addresses).toEqual(rows[1].addresses);
  expect(rows[0].note).toMatch(/D7/);
});
