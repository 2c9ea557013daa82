/**
 * The synth-time AWS checks at their edges, on the default cluster's JSON with one thing changed:
 * each row says exactly which findings the change gives (often none: what AWS accepts must pass).
 * The limits are EC2's: subnet and VPC blocks /16 to /28 (VPC User Guide, "Subnet sizing"), one
 * route table per subnet, security group rules per protocol (ports for tcp/udp, type/code -1..255
 * for icmp, none for -1), rule descriptions of at most 255 characters, 60 rules per direction.
 */
import { resolveConfig } from "../src/config";
import { buildApp } from "../src/app";
import { AwsRuleError, checkAwsRules, routesOf } from "../src/analysis/aws-rules";
import { stackToJson } from "../src/analysis/tf-json";
import { cidrProblem } from "../src/aws/cidr";

const defaultJson = stackToJson(buildApp(resolveConfig({})).cluster);
const base = () => structuredClone(defaultJson) as any;
const messages = (tf: any) => checkAwsRules(tf).map((f) => `${f.resource}: ${f.message}`);
const changed = (change: (tf: any) => void) => {
  const tf = base();
  change(tf);
  return messages(tf);
};

const WORKERS_SG = "aws_security_group.sg_worker_nodes (sg-worker-nodes)";
const SSH = "worker_nodes_ingress_tcp_22_from_bastion_a";
const SSH_AT = `aws_vpc_security_group_ingress_rule.${SSH} in ${WORKERS_SG}`;
/** The SSH rule from the bastion (tcp 22 from 172.31.3.0/24) with some fields replaced (undefined: removed). */
const ssh = (fields: Record<string, unknown>) => (tf: any) => {
  const rule = tf.resource.aws_vpc_security_group_ingress_rule[SSH];
  for (const [k, v] of Object.entries(fields)) {
    if (v === undefined) delete rule[k];
    else rule[k] = v;
  }
};

test("the error names every finding, one line each", () => {
  const e = new AwsRuleError([
    { resource: "a", message: "one" },
    { resource: "b", message: "two" },
  ]);
  expect([e.name, e.message]).toEqual(["AwsRuleError", "AWS would reject a: one\nAWS would reject b: two"]);
});

describe("VPC and subnet blocks", () => {
  test("a VPC block Terraform computes (IPAM) is not checked, nor its subnets against it", () =>
    expect(changed((tf) => delete tf.resource.aws_vpc.vpc.cidr_block)).toEqual([]));
  test("a malformed VPC block is named once; its subnets are not compared with it", () =>
    expect(changed((tf) => (tf.resource.aws_vpc.vpc.cidr_block = "172.31.0.0/33"))).toEqual([
      `aws_vpc.vpc (k8s-cluster): cidr_block "172.31.0.0/33" ${cidrProblem("172.31.0.0/33")}`,
    ]));
  test("a /8 VPC is outside /16 to /28 (its subnets are inside it)", () =>
    expect(changed((tf) => (tf.resource.aws_vpc.vpc.cidr_block = "172.0.0.0/8"))).toEqual([
      "aws_vpc.vpc (k8s-cluster): VPC CIDR 172.0.0.0/8 is outside /16 to /28",
    ]));
  test("a /29 VPC is too small", () =>
    expect(
      changed((tf) => (tf.resource.aws_vpc.vpc.cidr_block = "172.31.0.0/29")).filter((m) => m.startsWith("aws_vpc")),
    ).toEqual(["aws_vpc.vpc (k8s-cluster): VPC CIDR 172.31.0.0/29 is outside /16 to /28"]));
  test("a /28 VPC is a size AWS accepts (only the subnets outside it are named)", () =>
    expect(
      changed((tf) => (tf.resource.aws_vpc.vpc.cidr_block = "172.31.0.0/28")).filter((m) => m.startsWith("aws_vpc")),
    ).toEqual([]));
  test("a /16 subnet is a size AWS accepts (it only overlaps the others)", () =>
    expect(
      changed((tf) => (tf.resource.aws_subnet.api_endpoint_a.cidr_block = "172.31.0.0/16")).filter((m) =>
        m.includes("outside"),
      ),
    ).toEqual([]));
  test("a /15 subnet is not", () =>
    expect(
      changed((tf) => (tf.resource.aws_subnet.api_endpoint_a.cidr_block = "172.30.0.0/15")).filter((m) =>
        m.includes("outside"),
      ),
    ).toEqual([
      "aws_subnet.api_endpoint_a (KubernetesAPIendpoint): subnet CIDR 172.30.0.0/15 is outside /16 to /28 " +
        "(AWS's smallest subnet is a /28)",
    ]));
  test("a malformed subnet block is named, and not compared with the others", () =>
    expect(changed((tf) => (tf.resource.aws_subnet.bastion_a.cidr_block = "172.31.1.5/24"))).toEqual([
      `aws_subnet.bastion_a (bastion): cidr_block "172.31.1.5/24" ${cidrProblem("172.31.1.5/24")}`,
    ]));
  test("a subnet of a VPC by id (not in this stack) is not compared with this VPC", () =>
    expect(
      changed((tf) =>
        Object.assign(tf.resource.aws_subnet.bastion_a, { vpc_id: "vpc-0123456789abcdef0", cidr_block: "10.1.0.0/24" }),
      ),
    ).toEqual([]));
  test("subnets of two VPCs may overlap", () =>
    expect(
      changed((tf) => {
        tf.resource.aws_vpc.other = { cidr_block: "172.31.0.0/16" };
        Object.assign(tf.resource.aws_subnet.bastion_a, { vpc_id: "${aws_vpc.other.id}", cidr_block: "172.31.1.0/24" });
      }),
    ).toEqual([]));
});

describe("route tables and NAT gateways", () => {
  test("an association without a subnet (a gateway's edge association) is not a subnet's", () =>
    expect(
      changed(
        (tf) =>
          (tf.resource.aws_route_table_association.edge = {
            gateway_id: "${aws_internet_gateway.internet_gateway.id}",
            route_table_id: "${aws_route_table.rtb_pods.id}",
          }),
      ),
    ).toEqual([]));
  test("an association with a route table by id (not in this stack) does not count as a second table", () =>
    expect(
      changed(
        (tf) =>
          (tf.resource.aws_route_table_association.by_id = {
            subnet_id: "${aws_subnet.bastion_a.id}",
            route_table_id: "rtb-0123456789abcdef0",
          }),
      ),
    ).toEqual([]));
  test("inline routes count too: two inline routes to one destination", () =>
    expect(
      changed(
        (tf) =>
          (tf.resource.aws_route_table.rtb_pods.route = [
            { destination_cidr_block: "10.0.0.0/8", gateway_id: "x" },
            { destination_cidr_block: "10.0.0.0/8", gateway_id: "y" },
          ]),
      ),
    ).toEqual(["aws_route_table.rtb_pods (rtb-pods): has two routes to 10.0.0.0/8 (RouteAlreadyExists)"]));
  test("a table's routes: its standalone aws_route resources, nothing else", () =>
    expect(routesOf(base(), "aws_route_table.rtb_pods").map((r) => r.destination_cidr_block)).toEqual(["0.0.0.0/0"]));
  test("a public NAT gateway whose table reaches the internet gateway only for another destination", () =>
    expect(
      changed((tf) => (tf.resource.aws_route.rtb_loadbalancers_default_via_igw.destination_cidr_block = "10.0.0.0/8")),
    ).toEqual([
      "aws_nat_gateway.nat_gateway_a (nat-gateway-0): sits in aws_subnet.load_balancers_a, whose route table has " +
        "no 0.0.0.0/0 route to an internet gateway",
    ]));
  test("a route of a table by id (not in this stack) is no table's here", () =>
    expect(
      changed(
        (tf) =>
          (tf.resource.aws_route.loose = {
            route_table_id: "rtb-0123456789abcdef0",
            destination_cidr_block: "0.0.0.0/0",
          }),
      ),
    ).toEqual([]));
  test("a public NAT gateway's table may hold other routes beside the one to the internet gateway", () =>
    expect(
      changed(
        (tf) =>
          (tf.resource.aws_route.extra = {
            route_table_id: "${aws_route_table.rtb_loadbalancers.id}",
            destination_cidr_block: "10.0.0.0/8",
            gateway_id: "${aws_internet_gateway.internet_gateway.id}",
          }),
      ),
    ).toEqual([]));
  test("a NAT gateway in the workers' subnet: its table's 0.0.0.0/0 goes to a NAT gateway, not the internet", () =>
    expect(
      changed((tf) => (tf.resource.aws_nat_gateway.nat_gateway_a.subnet_id = "${aws_subnet.workers_a.id}")),
    ).toEqual([
      "aws_nat_gateway.nat_gateway_a (nat-gateway-0): sits in aws_subnet.workers_a, whose route table has no " +
        "0.0.0.0/0 route to an internet gateway",
    ]));
  test("a NAT gateway in a subnet by id: an unknown subnet", () =>
    expect(changed((tf) => (tf.resource.aws_nat_gateway.nat_gateway_a.subnet_id = "subnet-0123456789abcdef0"))).toEqual(
      [
        "aws_nat_gateway.nat_gateway_a (nat-gateway-0): sits in an unknown subnet, whose route table has no " +
          "0.0.0.0/0 route to an internet gateway",
      ],
    ));
  test("a public NAT gateway without an Elastic IP", () =>
    expect(changed((tf) => delete tf.resource.aws_nat_gateway.nat_gateway_a.allocation_id)).toEqual([
      "aws_nat_gateway.nat_gateway_a (nat-gateway-0): is public but has no Elastic IP allocation",
    ]));
  test("a private NAT gateway needs neither an internet route nor an Elastic IP", () =>
    expect(
      changed((tf) => {
        const nat = tf.resource.aws_nat_gateway.nat_gateway_a;
        Object.assign(nat, { connectivity_type: "private", subnet_id: "${aws_subnet.workers_a.id}" });
        delete nat.allocation_id;
      }),
    ).toEqual([]));
});

describe("security group rules: what each protocol takes", () => {
  const rows: [string, Record<string, unknown>, string[]][] = [
    [
      "no peer",
      { cidr_ipv4: undefined },
      [
        `${SSH_AT}: needs exactly one of cidr_ipv4, cidr_ipv6, prefix_list_id, referenced_security_group_id ` +
          "(has none)",
      ],
    ],
    [
      "a malformed IPv4 peer",
      { cidr_ipv4: "172.31.3.5/24" },
      [`${SSH_AT}: cidr_ipv4 "172.31.3.5/24" ${cidrProblem("172.31.3.5/24")}`],
    ],
    ["an IPv6 peer alone", { cidr_ipv4: undefined, cidr_ipv6: "2001:db8::/64" }, []],
    ["a description that is not text", { description: 5 }, [`${SSH_AT}: description is not a string`]],
    ["a description of exactly 255 characters", { description: "x".repeat(255) }, []],
    ["tcp without from_port", { from_port: undefined }, [`${SSH_AT}: tcp needs from_port and to_port`]],
    ["tcp without to_port", { to_port: undefined }, [`${SSH_AT}: tcp needs from_port and to_port`]],
    ["tcp from port -1", { from_port: -1 }, [`${SSH_AT}: tcp port range -1-22 is not within 0-65535 in order`]],
    ["tcp to port 65536", { to_port: 65536 }, [`${SSH_AT}: tcp port range 22-65536 is not within 0-65535 in order`]],
    ["tcp 0-65535", { from_port: 0, to_port: 65535 }, []],
    [
      "protocol 6 (tcp) out of range",
      { ip_protocol: "6", to_port: 70000 },
      [`${SSH_AT}: 6 port range 22-70000 is not within 0-65535 in order`],
    ],
    [
      "udp without ports",
      { ip_protocol: "udp", from_port: undefined, to_port: undefined },
      [`${SSH_AT}: udp needs from_port and to_port`],
    ],
    [
      "protocol 17 (udp) in reverse",
      { ip_protocol: "17", from_port: 30, to_port: 20 },
      [`${SSH_AT}: 17 port range 30-20 is not within 0-65535 in order`],
    ],
    [
      "protocol all with a port",
      { ip_protocol: "all", to_port: 22, from_port: undefined },
      [
        `${SSH_AT}: protocol -1 means every port: from_port/to_port must not be set ` +
          "(use tcp and udp rules for a range)",
      ],
    ],
    [
      "protocol -1 with a from_port only",
      { ip_protocol: "-1", from_port: 0, to_port: undefined },
      [
        `${SSH_AT}: protocol -1 means every port: from_port/to_port must not be set ` +
          "(use tcp and udp rules for a range)",
      ],
    ],
    ["protocol -1 without ports", { ip_protocol: "-1", from_port: undefined, to_port: undefined }, []],
    [
      "icmp without a type",
      { ip_protocol: "icmp", from_port: undefined, to_port: 4 },
      [`${SSH_AT}: icmp needs from_port (type) and to_port (code)`],
    ],
    [
      "icmp without a code",
      { ip_protocol: "icmp", from_port: 3, to_port: undefined },
      [`${SSH_AT}: icmp needs from_port (type) and to_port (code)`],
    ],
    [
      "protocol 1 (icmp) type 256",
      { ip_protocol: "1", from_port: 256, to_port: 4 },
      [`${SSH_AT}: icmp type 256 / code 4 is outside -1..255`],
    ],
    [
      "icmp type -2",
      { ip_protocol: "icmp", from_port: -2, to_port: 4 },
      [`${SSH_AT}: icmp type -2 / code 4 is outside -1..255`],
    ],
    [
      "icmp code -2",
      { ip_protocol: "icmp", from_port: 3, to_port: -2 },
      [`${SSH_AT}: icmp type 3 / code -2 is outside -1..255`],
    ],
    [
      "icmp code 256",
      { ip_protocol: "icmp", from_port: 3, to_port: 256 },
      [`${SSH_AT}: icmp type 3 / code 256 is outside -1..255`],
    ],
    ["icmp type 255 code 255", { ip_protocol: "icmp", from_port: 255, to_port: 255 }, []],
    ["icmp any type, any code", { ip_protocol: "icmp", from_port: -1, to_port: -1 }, []],
    [
      "icmp any type with a code",
      { ip_protocol: "icmp", from_port: -1, to_port: 4 },
      [`${SSH_AT}: icmp code 4 with any type (-1) is rejected`],
    ],
    [
      "a protocol by name AWS does not know",
      { ip_protocol: "gre" },
      [`${SSH_AT}: ip_protocol "gre" is not tcp, udp, icmp, -1 or a protocol number`],
    ],
    ["a protocol by number (47, GRE)", { ip_protocol: "47" }, []],
    [
      "a number with a prefix",
      { ip_protocol: "x47" },
      [`${SSH_AT}: ip_protocol "x47" is not tcp, udp, icmp, -1 or a protocol number`],
    ],
    [
      "a number with a suffix",
      { ip_protocol: "47x" },
      [`${SSH_AT}: ip_protocol "47x" is not tcp, udp, icmp, -1 or a protocol number`],
    ],
  ];
  test.each(rows)("%s", (_what, fields, expected) => expect(changed(ssh(fields))).toEqual(expected));
});

describe("security group rules: duplicates and quotas", () => {
  const copyOfSsh = (tf: any, fields: Record<string, unknown>) => ({
    ...tf.resource.aws_vpc_security_group_ingress_rule[SSH],
    ...fields,
  });
  const duplicate =
    `aws_vpc_security_group_ingress_rule.again in ${WORKERS_SG}: ` +
    `duplicates aws_vpc_security_group_ingress_rule.${SSH} (InvalidPermission.Duplicate)`;
  test("the same rule with the CIDR written otherwise is a duplicate", () =>
    expect(
      changed(
        (tf) => (tf.resource.aws_vpc_security_group_ingress_rule.again = copyOfSsh(tf, { cidr_ipv4: "172.31.3.0/24" })),
      ),
    ).toEqual([duplicate]));
  test("udp and 17, icmp and 1, -1 and all are the same protocol", () => {
    for (const [a, b, from, to] of [
      ["udp", "17", 22, 22],
      ["icmp", "1", 3, 4],
      ["-1", "all", undefined, undefined],
    ] as const)
      expect([
        a,
        changed((tf) => {
          ssh({ ip_protocol: a, from_port: from, to_port: to })(tf);
          tf.resource.aws_vpc_security_group_ingress_rule.again = copyOfSsh(tf, { ip_protocol: b });
        }),
      ]).toEqual([a, [duplicate]]);
  });
  test("the same ports and protocol from two other groups are two rules", () =>
    expect(
      changed((tf) => {
        ssh({ cidr_ipv4: undefined, referenced_security_group_id: "${aws_security_group.sg_bastion.id}" })(tf);
        tf.resource.aws_vpc_security_group_ingress_rule.again = copyOfSsh(tf, {
          referenced_security_group_id: "${aws_security_group.sg_loadbalancers.id}",
        });
      }),
    ).toEqual([]));
  test("ports 1-123 and 11-23 are two rules (the ports are compared as numbers, not run together)", () =>
    expect(
      changed((tf) => {
        ssh({ from_port: 1, to_port: 123 })(tf);
        tf.resource.aws_vpc_security_group_ingress_rule.again = copyOfSsh(tf, { from_port: 11, to_port: 23 });
      }),
    ).toEqual([]));
  test("the same rule as egress is another rule", () =>
    expect(
      changed((tf) => {
        const rule = tf.resource.aws_vpc_security_group_ingress_rule[SSH];
        tf.resource.aws_vpc_security_group_egress_rule.again = { ...rule };
      }),
    ).toEqual([]));
  test("60 ingress rules in one group are AWS's default quota, not over it", () =>
    expect(
      changed((tf) => {
        const rules = tf.resource.aws_vpc_security_group_ingress_rule;
        const existing = Object.values(rules).filter(
          (r: any) => r.security_group_id === "${aws_security_group.sg_worker_nodes.id}",
        ).length;
        for (let i = 0; i < 60 - existing; i++)
          rules[`extra_${i}`] = { ...rules[SSH], from_port: 2000 + i, to_port: 2000 + i };
      }),
    ).toEqual([]));
});

describe("security groups", () => {
  test("a group description AWS rejects", () =>
    expect(changed((tf) => (tf.resource.aws_security_group.sg_bastion.description = "배스천"))).toEqual([
      'aws_security_group.sg_bastion (sg-bastion): description "배스천" has characters AWS rejects: "배스천"',
    ]));
  // EC2's CreateSecurityGroup: a name "cannot start with sg-"; the check refuses SG- too, stricter than that wording.
  test('a group name starting with "sg-" (AWS reserves it for ids), or "SG-"; "sg-" later in a name is fine', () => {
    const named = (name: string) =>
      changed((tf) => (tf.resource.aws_security_group.sg_bastion.name = name)).filter((m) => m.includes("group ids"));
    expect(named("SG-bastion")).toEqual([
      'aws_security_group.sg_bastion (sg-bastion): name "SG-bastion" starts with "sg-", ' +
        "which AWS reserves for group ids",
    ]);
    expect(named("k8s-sg-bastion")).toEqual([]);
  });
  test("a group name over 255 characters", () =>
    expect(changed((tf) => (tf.resource.aws_security_group.sg_bastion.name = "b".repeat(256)))).toEqual([
      "aws_security_group.sg_bastion (sg-bastion): name is 256 characters; AWS allows 255",
    ]));
  test("inline egress blocks (D13: standalone rules only)", () =>
    expect(
      changed(
        (tf) => (tf.resource.aws_security_group.sg_bastion.egress = [{ protocol: "-1", from_port: 0, to_port: 0 }]),
      ),
    ).toEqual([
      "aws_security_group.sg_bastion (sg-bastion): has inline egress blocks; use standalone rule resources so " +
        "cloud-controller rules survive an apply (D13)",
    ]));
  test("an empty inline block list is no inline rule", () =>
    expect(changed((tf) => (tf.resource.aws_security_group.sg_bastion.ingress = []))).toEqual([]));
});
