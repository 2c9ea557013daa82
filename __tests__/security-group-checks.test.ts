/** Synth-time security-group checks: each failure names the group and the rule. */
import { resolveConfig } from "../src/config";
import { buildApp } from "../src/app";
import { checkAwsRules } from "../src/analysis/aws-rules";
import { stackToJson } from "../src/analysis/tf-json";

const defaultJson = stackToJson(buildApp(resolveConfig({})).cluster);
/** A fresh copy of the default cluster's JSON for each case to break. */
const base = () => structuredClone(defaultJson) as any;
const messages = (tf: any) => checkAwsRules(tf).map((f) => `${f.resource}: ${f.message}`);
const WORKERS = "${aws_security_group.sg_worker_nodes.id}";
const BASTION_SSH = "worker_nodes_ingress_tcp_22_from_bastion_a";

test("the default cluster's groups pass", () => expect(messages(base())).toEqual([]));
test("azCount 3 with narrowed CIDRs passes", () =>
  expect(
    messages(
      stackToJson(
        buildApp(resolveConfig({ azCount: 3, bastion: { adminCidrs: ["203.0.113.0/24", "198.51.100.7/32"] } })).cluster,
      ),
    ),
  ).toEqual([]));

const cases: [string, (tf: any) => void, string][] = [
  [
    "a duplicate rule (identical after canonicalizing the protocol)",
    (tf) =>
      (tf.resource.aws_vpc_security_group_ingress_rule.again = {
        ...tf.resource.aws_vpc_security_group_ingress_rule[BASTION_SSH],
        ip_protocol: "6",
      }),
    "aws_vpc_security_group_ingress_rule.again in aws_security_group.sg_worker_nodes (sg-worker-nodes): duplicates " +
      "aws_vpc_security_group_ingress_rule.worker_nodes_ingress_tcp_22_from_bastion_a (InvalidPermission.Duplicate)",
  ],
  [
    "protocol -1 with ports",
    (tf) =>
      Object.assign(tf.resource.aws_vpc_security_group_egress_rule.worker_nodes_egress_all_to_pods_a, {
        from_port: 30000,
        to_port: 32767,
      }),
    "aws_vpc_security_group_egress_rule.worker_nodes_egress_all_to_pods_a in aws_security_group.sg_worker_nodes " +
      "(sg-worker-nodes): protocol -1 means every port: " +
      "from_port/to_port must not be set (use tcp and udp rules for a range)",
  ],
  [
    "an ICMP type out of range",
    (tf) =>
      (tf.resource.aws_vpc_security_group_ingress_rule.worker_nodes_ingress_icmp_3_4_from_anywhere.from_port = 300),
    "aws_vpc_security_group_ingress_rule.worker_nodes_ingress_icmp_3_4_from_anywhere in " +
      "aws_security_group.sg_worker_nodes (sg-worker-nodes): icmp type 300 / code 4 is outside -1..255",
  ],
  [
    "a tcp range out of order",
    (tf) =>
      Object.assign(
        tf.resource.aws_vpc_security_group_ingress_rule.worker_nodes_ingress_tcp_30000_32767_from_load_balancers_a,
        { from_port: 32767, to_port: 30000 },
      ),
    "aws_vpc_security_group_ingress_rule.worker_nodes_ingress_tcp_30000_32767_from_load_balancers_a in " +
      "aws_security_group.sg_worker_nodes (sg-worker-nodes): " +
      "tcp port range 32767-30000 is not within 0-65535 in order",
  ],
  [
    "a description in Korean with an arrow (D4)",
    (tf) => (tf.resource.aws_vpc_security_group_ingress_rule[BASTION_SSH].description = "bastion → 워커"),
    "aws_vpc_security_group_ingress_rule.worker_nodes_ingress_tcp_22_from_bastion_a in " +
      "aws_security_group.sg_worker_nodes (sg-worker-nodes): " +
      'description "bastion → 워커" has characters AWS rejects: "→워커"',
  ],
  [
    "a description over 255 characters",
    (tf) => (tf.resource.aws_vpc_security_group_ingress_rule[BASTION_SSH].description = "x".repeat(256)),
    "aws_vpc_security_group_ingress_rule.worker_nodes_ingress_tcp_22_from_bastion_a in " +
      "aws_security_group.sg_worker_nodes (sg-worker-nodes): description is 256 characters; AWS allows 255",
  ],
  [
    "a group name starting with sg- (D12)",
    (tf) => (tf.resource.aws_security_group.sg_bastion.name = "sg-bastion"),
    'aws_security_group.sg_bastion (sg-bastion): name "sg-bastion" starts with "sg-", which AWS reserves for group ids',
  ],
  [
    "inline rule blocks (D13)",
    (tf) =>
      (tf.resource.aws_security_group.sg_bastion.ingress = [
        { protocol: "tcp", from_port: 22, to_port: 22, cidr_blocks: ["0.0.0.0/0"] },
      ]),
    "aws_security_group.sg_bastion (sg-bastion): has inline ingress blocks; use standalone rule resources so " +
      "cloud-controller rules survive an apply (D13)",
  ],
  [
    "a rule with two peers",
    (tf) => (tf.resource.aws_vpc_security_group_ingress_rule[BASTION_SSH].referenced_security_group_id = WORKERS),
    "aws_vpc_security_group_ingress_rule.worker_nodes_ingress_tcp_22_from_bastion_a in " +
      "aws_security_group.sg_worker_nodes (sg-worker-nodes): needs exactly one of cidr_ipv4, cidr_ipv6, " +
      "prefix_list_id, referenced_security_group_id (has cidr_ipv4, referenced_security_group_id)",
  ],
];

describe("each rule AWS would reject is named", () => {
  test.each(cases)("%s", (_what, mutate, expected) => {
    const tf = base();
    mutate(tf);
    expect(messages(tf)).toEqual([expected]);
  });

  test("more than 60 rules in one group and direction", () => {
    const tf = base();
    for (let i = 0; i < 61; i++)
      tf.resource.aws_vpc_security_group_ingress_rule[`extra_${i}`] = {
        security_group_id: WORKERS,
        ip_protocol: "tcp",
        from_port: 1000 + i,
        to_port: 1000 + i,
        cidr_ipv4: "10.0.0.0/8",
      };
    expect(messages(tf)).toEqual([
      "aws_security_group.sg_worker_nodes (sg-worker-nodes): " +
        "has 69 ingress rules; AWS allows 60 per direction by default",
    ]);
  });
});
