/**
 * src/spec holds the spec's tables as data; this file reads spec/seed-k8s-infra.md itself (the
 * user's document, in the repository unchanged) and checks every cell of every table against that
 * data. A value typed wrong in src/spec, a row lost or one invented fails here, whatever the
 * constructs then do with it.
 */
import * as fs from "fs";
import * as path from "path";
import { routeTableTables, subnetTables, vpcTable } from "../src/spec/network";
import { Peer, securityGroupTables } from "../src/spec/security-groups";

const doc = fs.readFileSync(path.resolve(__dirname, "../spec/seed-k8s-infra.md"), "utf8");

/** The document's tables, each under the headings that lead to it ("sg-worker-nodes > Ingress"). */
function tablesOf(markdown: string): Map<string, string[][]> {
  const tables = new Map<string, string[][]>();
  const headings: string[] = [];
  let current: string[][] | undefined;
  for (const line of markdown.split("\n")) {
    const h = /^(#+)\s+(.*?)\s*$/.exec(line);
    if (h) {
      headings.length = h[1].length - 1;
      headings[h[1].length - 1] = h[2];
      current = undefined;
      continue;
    }
    if (!line.startsWith("|")) {
      current = undefined;
      continue;
    }
    const cells = line
      .trim()
      .replace(/^\||\|$/g, "")
      .split("|")
      .map((c) => c.trim().replace(/^\*\*(.*)\*\*$/, "$1"));
    if (cells.every((c) => /^-+$/.test(c))) continue;
    if (!current) {
      current = [];
      // The header row names the columns; the rows follow.
      tables.set(headings.filter(Boolean).slice(-2).join(" > "), current);
      continue;
    }
    current.push(cells);
  }
  return tables;
}
const tables = tablesOf(doc);
const table = (key: string) => {
  const t = tables.get(key);
  if (!t) throw new Error(`no table "${key}" in spec/seed-k8s-infra.md; have: ${[...tables.keys()].join("; ")}`);
  return t;
};
const keyValue = (key: string) => Object.fromEntries(table(key).map(([k, v]) => [k, v]));

describe("VPN 구성 정보 (the VPC table)", () => {
  const row = keyValue("VPN 구성 정보");
  test.each([
    ["VPN Name", vpcTable.name],
    ["CIDR Block", vpcTable.cidrBlock],
    ["DNS Resolution", vpcTable.dnsResolution],
    ["DNS Hostnames", vpcTable.dnsHostnames],
    ["Internet Gateway", vpcTable.internetGateway],
    ["NAT Gateway", vpcTable.natGateway],
    ["DHCP Options", vpcTable.dhcpOptions],
  ])("%s = %s", (k, v) => expect(row[k]).toBe(v));
  test("VPC Endpoints: only the services the first build needs, (s3)", () => {
    expect(row["VPC Endpoints"]).toMatch(/\(s3\)\)$/);
    expect(vpcTable.vpcEndpoints).toEqual(["s3"]);
  });
  test("no other row", () => expect(Object.keys(row).length).toBe(8));
});

describe.each(subnetTables.map((t) => [t.heading, t] as const))("Subnet table %s", (heading, t) => {
  // Looked up inside the test: a heading missing from the document is a failed test, not a load error.
  const row = () => keyValue(`Subnet 구성 정보 > ${heading}`);
  const expected: Record<string, string | undefined> = {
    Name: t.name,
    Type: t.type,
    "CIDR Block": t.cidrBlock,
    "Route Table": t.routeTable,
    "Subnet Access": t.subnetAccess,
    "DNS Resolution": t.dnsResolution,
    "DHCP Options": t.dhcpOptions,
    "Security Group": t.securityGroup,
  };
  test("every row as written, and no other", () =>
    expect(row()).toEqual(Object.fromEntries(Object.entries(expected).filter(([, v]) => v !== undefined))));
});

test("the document has exactly these subnet tables", () =>
  expect([...tables.keys()].filter((k) => k.startsWith("Subnet 구성 정보 > ")).map((k) => k.split(" > ")[1])).toEqual(
    subnetTables.map((t) => t.heading),
  ));

describe.each(routeTableTables.map((t) => [t.heading, t] as const))("Route table %s", (heading, t) => {
  test("Name", () => expect(keyValue(`AWS Route Table 구성 정보 > ${heading}`)).toEqual({ Name: t.name }));
  test("every route rule as written, in order, and no other", () => {
    // Route Rules tables sit under their route table's heading.
    const keys = [...tables.keys()];
    const rules = table(keys[keys.indexOf(`AWS Route Table 구성 정보 > ${heading}`) + 1]);
    expect(rules).toEqual(t.routes.map((r) => [r.destination, r.targetAsWritten]));
  });
});

const peerAsWritten = (p: Peer) => p.asWritten;
describe.each(securityGroupTables.map((t) => [t.name, t] as const))("Security group %s", (name, t) => {
  test.each(["ingress", "egress"] as const)(
    "%s: every row as written (peer, protocol, port, description), in order, and no other",
    (direction) => {
      const rows = table(`${name} > ${direction === "ingress" ? "Ingress" : "Egress"}`);
      expect(t[direction].map((r) => [peerAsWritten(r.peer), r.protocol, r.ports, r.descriptionAsWritten])).toEqual(
        rows,
      );
    },
  );
});

test("the document has exactly these security groups", () =>
  expect([
    ...new Set([...tables.keys()].filter((k) => / > (Ingress|Egress)$/.test(k)).map((k) => k.split(" > ")[0])),
  ]).toEqual(securityGroupTables.map((t) => t.name)));

test("D10 names: each other name a subnet table uses is an alias of exactly the group or route table it means", () => {
  const groups = securityGroupTables.map((g) => ({ name: g.name, aliases: g.aliases }));
  for (const t of subnetTables) {
    const owners = groups.filter((g) => g.name === t.securityGroup || g.aliases.includes(t.securityGroup));
    expect(owners.map((g) => g.name)).toEqual([securityGroupTables.find((g) => g.tier === t.tier)!.name]);
  }
  // Every alias is a name the document really uses for that group.
  expect(groups.filter((g) => g.aliases.length).map((g) => [g.name, g.aliases])).toEqual([
    ["sg-loadbalancers", ["sg-lb"]],
  ]);
  for (const g of groups) for (const alias of g.aliases) expect(doc).toContain(`| ${alias} |`);
});
