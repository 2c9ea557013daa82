/**
 * The flow analysis engine (tools/flows/) on hand-written Terraform JSON: stateful
 * security groups, routes, network ACLs, several subnets per tier, port ranges. The spec-intent
 * tests over the real synthesized stack live elsewhere; these pin the AWS model itself.
 */
import * as path from "path";
import { spawnSync } from "child_process";
import { FlowVerdict, Port, SPEC_PORTS, analyzeFlows, analyzeFlowsWithNotes, formatMatrix } from "../tools/flows";
import { TfJson } from "../src/analysis/tf-json";
import { runFlows } from "../scripts/flows";

const ref = (address: string, attr = "id") => `\${${address}.${attr}}`;
const tcp = (port: number): Port => ({ protocol: "tcp", port });
const udp = (port: number): Port => ({ protocol: "udp", port });
const icmp = (icmpType?: number, icmpCode?: number): Port => ({ protocol: "icmp", icmpType, icmpCode });

type Res = Record<string, Record<string, any>>;
interface Stack extends TfJson {
  resource: Record<string, Res>;
}

const subnet = (cidr: string, tier: string, isPublic = false) => ({
  vpc_id: ref("aws_vpc.vpc"),
  cidr_block: cidr,
  map_public_ip_on_launch: isPublic,
  tags: { Name: `${tier}-subnet`, Tier: tier },
});

/**
 * One VPC 10.0.0.0/16: apiEndpoint 10.0.0.0/28 (no default route), workers 10.0.1.0/24 (NAT),
 * loadBalancers 10.0.2.0/24 and bastion 10.0.3.0/24 (public, IGW). One security group per tier,
 * tagged Tier=<tier>, and no rules: each test adds the rules it is about.
 */
function base(): Stack {
  return {
    resource: {
      aws_vpc: { vpc: { cidr_block: "10.0.0.0/16" } },
      aws_internet_gateway: { igw: { vpc_id: ref("aws_vpc.vpc") } },
      aws_eip: { nat: { domain: "vpc" } },
      aws_nat_gateway: { nat: { subnet_id: ref("aws_subnet.lb_a"), allocation_id: ref("aws_eip.nat", "allocation_id") } },
      aws_subnet: {
        api_a: subnet("10.0.0.0/28", "apiEndpoint"),
        workers_a: subnet("10.0.1.0/24", "workers"),
        lb_a: subnet("10.0.2.0/24", "loadBalancers", true),
        bastion_a: subnet("10.0.3.0/24", "bastion", true),
      },
      aws_route_table: { public: { vpc_id: ref("aws_vpc.vpc") }, private: { vpc_id: ref("aws_vpc.vpc") }, api: { vpc_id: ref("aws_vpc.vpc") } },
      aws_route: {
        public_default: { route_table_id: ref("aws_route_table.public"), destination_cidr_block: "0.0.0.0/0", gateway_id: ref("aws_internet_gateway.igw") },
        private_default: { route_table_id: ref("aws_route_table.private"), destination_cidr_block: "0.0.0.0/0", nat_gateway_id: ref("aws_nat_gateway.nat") },
      },
      aws_route_table_association: {
        lb_a: { subnet_id: ref("aws_subnet.lb_a"), route_table_id: ref("aws_route_table.public") },
        bastion_a: { subnet_id: ref("aws_subnet.bastion_a"), route_table_id: ref("aws_route_table.public") },
        workers_a: { subnet_id: ref("aws_subnet.workers_a"), route_table_id: ref("aws_route_table.private") },
        api_a: { subnet_id: ref("aws_subnet.api_a"), route_table_id: ref("aws_route_table.api") },
      },
      aws_security_group: {
        api: { name: "api", vpc_id: ref("aws_vpc.vpc"), tags: { Name: "sg-k8s-api-endpoint", Tier: "apiEndpoint" } },
        workers: { name: "workers", vpc_id: ref("aws_vpc.vpc"), tags: { Name: "sg-worker-nodes", Tier: "workers" } },
        lb: { name: "lb", vpc_id: ref("aws_vpc.vpc"), tags: { Name: "sg-lb", Tier: "loadBalancers" } },
        bastion: { name: "bastion", vpc_id: ref("aws_vpc.vpc"), tags: { Name: "sg-bastion", Tier: "bastion" } },
      },
      aws_vpc_security_group_ingress_rule: {},
      aws_vpc_security_group_egress_rule: {},
    },
  };
}

interface Peer {
  cidr?: string;
  sg?: string;
  pl?: string;
}
function rule(tf: Stack, direction: "ingress" | "egress", name: string, group: string, protocol: string, from?: number, to?: number, peer: Peer = {}): void {
  tf.resource[`aws_vpc_security_group_${direction}_rule`][name] = {
    security_group_id: ref(`aws_security_group.${group}`),
    ip_protocol: protocol,
    ...(from !== undefined ? { from_port: from, to_port: to ?? from } : {}),
    ...(peer.cidr ? { cidr_ipv4: peer.cidr } : {}),
    ...(peer.sg ? { referenced_security_group_id: ref(`aws_security_group.${peer.sg}`) } : {}),
    ...(peer.pl ? { prefix_list_id: peer.pl } : {}),
  };
}
const ingress = (tf: Stack, name: string, group: string, protocol: string, from?: number, to?: number, peer?: Peer) =>
  rule(tf, "ingress", name, group, protocol, from, to, peer);
const egress = (tf: Stack, name: string, group: string, protocol: string, from?: number, to?: number, peer?: Peer) =>
  rule(tf, "egress", name, group, protocol, from, to, peer);

const IN = (name: string) => `aws_vpc_security_group_ingress_rule.${name}`;
const OUT = (name: string) => `aws_vpc_security_group_egress_rule.${name}`;

/** bastion -> workers ssh, by CIDRs, as the spec writes it. */
function withBastionSsh(tf = base()): Stack {
  egress(tf, "bastion_ssh_workers", "bastion", "tcp", 22, 22, { cidr: "10.0.1.0/24" });
  ingress(tf, "workers_ssh_from_bastion", "workers", "tcp", 22, 22, { cidr: "10.0.3.0/24" });
  return tf;
}

const summary = (vs: FlowVerdict[]) => vs.map((v) => `${v.verdict} ${v.port.label}`);

describe("tiers", () => {
  test("are the Tier tags of the subnets, plus internet", () => {
    expect(analyzeFlows(base()).tiers).toEqual(["apiEndpoint", "workers", "loadBalancers", "bastion", "internet"]);
  });
  test("an unknown tier is an error naming the known ones", () => {
    expect(() => analyzeFlows(base()).check("worker", "bastion", tcp(22))).toThrow(/unknown tier "worker" \(known: apiEndpoint, workers/);
  });
});

describe("security groups are stateful and need both sides", () => {
  const m = analyzeFlows(withBastionSsh());

  test("egress on the source and ingress on the destination allow the flow, naming both rules", () => {
    expect(m.check("bastion", "workers", tcp(22))).toEqual({
      from: "bastion",
      to: "workers",
      port: tcp(22),
      verdict: "allowed",
      egressRules: [OUT("bastion_ssh_workers")],
      ingressRules: [IN("workers_ssh_from_bastion")],
    });
  });

  test("the reply needs no rule, but a connection the other way does", () => {
    const back = m.check("workers", "bastion", tcp(22));
    expect(back.verdict).toBe("denied");
    expect(back.reason).toBe("no egress rule on sg sg-worker-nodes (aws_security_group.workers) for tcp/22 to bastion");
  });

  test("egress alone is not enough: the reason names the destination group, port and source", () => {
    const tf = base();
    egress(tf, "bastion_ssh_workers", "bastion", "tcp", 22, 22, { cidr: "10.0.1.0/24" });
    const v = analyzeFlows(tf).check("bastion", "workers", tcp(22));
    expect(v.verdict).toBe("denied");
    expect(v.reason).toBe("no ingress rule on sg sg-worker-nodes (aws_security_group.workers) for tcp/22 from bastion");
    expect(v.egressRules).toEqual([OUT("bastion_ssh_workers")]); // the side that did allow
    expect(v.ingressRules).toEqual([]);
  });

  test("ingress alone is not enough either", () => {
    const tf = base();
    ingress(tf, "workers_ssh_from_bastion", "workers", "tcp", 22, 22, { cidr: "10.0.3.0/24" });
    expect(analyzeFlows(tf).check("bastion", "workers", tcp(22)).reason).toMatch(/^no egress rule on sg sg-bastion/);
  });

  test("other ports and protocols stay closed", () => {
    expect(m.check("bastion", "workers", tcp(23)).verdict).toBe("denied");
    expect(m.check("bastion", "workers", udp(22)).verdict).toBe("denied");
  });

  test("a tier with no security group at all says so", () => {
    const tf = withBastionSsh();
    delete tf.resource.aws_security_group.workers.tags.Tier;
    expect(analyzeFlows(tf).check("bastion", "workers", tcp(22)).reason).toMatch(/workers subnet workers_a .* has no security group: tag one Tier=workers/);
  });
});

describe("security group references", () => {
  function lbToWorkers(ingressFrom: string): Stack {
    const tf = base();
    egress(tf, "lb_nodeports", "lb", "tcp", 30000, 32767, { sg: "workers" });
    ingress(tf, "workers_nodeports", "workers", "tcp", 30000, 32767, { sg: ingressFrom });
    return tf;
  }

  test("a rule referencing a group matches the members carrying it", () => {
    const v = analyzeFlows(lbToWorkers("lb")).check("loadBalancers", "workers", tcp(31000));
    expect(v.verdict).toBe("allowed");
    expect(v.ingressRules).toEqual([IN("workers_nodeports")]);
  });

  test("a reference to a group the source does not carry does not match", () => {
    const v = analyzeFlows(lbToWorkers("bastion")).check("loadBalancers", "workers", tcp(31000));
    expect(v.verdict).toBe("denied");
    expect(v.reason).toMatch(/no ingress rule .* from loadBalancers/);
  });

  test("groups attached to instances, launch templates (through autoscaling groups) and load balancers count for their subnets' tier", () => {
    const tf = base();
    for (const t of ["bastion", "workers", "lb"]) delete tf.resource.aws_security_group[t].tags.Tier;
    tf.resource.aws_instance = { bastion: { subnet_id: ref("aws_subnet.bastion_a"), vpc_security_group_ids: [ref("aws_security_group.bastion")] } };
    tf.resource.aws_launch_template = { workers: { network_interfaces: [{ security_groups: [ref("aws_security_group.workers")] }] } };
    tf.resource.aws_autoscaling_group = {
      workers: { vpc_zone_identifier: [ref("aws_subnet.workers_a")], launch_template: { id: ref("aws_launch_template.workers"), version: "$Latest" } },
    };
    tf.resource.aws_lb = { ingress: { internal: false, subnets: [ref("aws_subnet.lb_a")], security_groups: [ref("aws_security_group.lb")] } };
    withBastionSsh(tf);
    egress(tf, "lb_nodeports", "lb", "tcp", 30000, 32767, { sg: "workers" });
    ingress(tf, "workers_nodeports", "workers", "tcp", 30000, 32767, { sg: "lb" });
    const m = analyzeFlows(tf);
    expect(m.check("bastion", "workers", tcp(22)).verdict).toBe("allowed");
    expect(m.check("loadBalancers", "workers", tcp(30000)).verdict).toBe("allowed");
  });
});

describe("CIDR containment", () => {
  function apiFromWorkers(cidr: string): FlowVerdict {
    const tf = base();
    egress(tf, "workers_api", "workers", "tcp", 6443, 6443, { cidr: "10.0.0.0/28" });
    ingress(tf, "api_from_workers", "api", "tcp", 6443, 6443, { cidr });
    return analyzeFlows(tf).check("workers", "apiEndpoint", tcp(6443));
  }

  test("a rule CIDR containing the source subnet allows it", () => {
    expect(apiFromWorkers("10.0.1.0/24").verdict).toBe("allowed");
    expect(apiFromWorkers("10.0.0.0/16").verdict).toBe("allowed");
  });

  test("a rule CIDR covering only part of the subnet does not", () => {
    expect(apiFromWorkers("10.0.1.0/25").verdict).toBe("denied");
    expect(apiFromWorkers("10.0.2.0/24").verdict).toBe("denied");
  });

  test("the spec's /29 for a /28 API subnet (D1) leaves half the subnet out", () => {
    const tf = base();
    egress(tf, "workers_api", "workers", "tcp", 6443, 6443, { cidr: "10.0.0.0/29" });
    ingress(tf, "api_from_workers", "api", "tcp", 6443, 6443, { cidr: "10.0.1.0/24" });
    expect(analyzeFlows(tf).check("workers", "apiEndpoint", tcp(6443)).reason).toMatch(/^no egress rule on sg sg-worker-nodes/);
  });

  test("a CIDR written as a reference to the subnet's cidr_block resolves", () => {
    expect(apiFromWorkers(ref("aws_subnet.workers_a", "cidr_block")).verdict).toBe("allowed");
  });

  test("a CIDR that cannot be resolved offline matches nothing and is noted", () => {
    const tf = base();
    ingress(tf, "api_from_var", "api", "tcp", 6443, 6443, { cidr: "${var.admin_cidr}" });
    expect(analyzeFlowsWithNotes(tf).notes).toEqual([expect.stringMatching(/api_from_var: cannot resolve CIDR \$\{var.admin_cidr\}/)]);
  });
});

describe("icmp type and code", () => {
  function api(type: number, code: number): ReturnType<typeof analyzeFlows> {
    const tf = base();
    egress(tf, "workers_icmp", "workers", "icmp", type, code, { cidr: "10.0.0.0/28" });
    ingress(tf, "api_icmp", "api", "icmp", type, code, { cidr: "10.0.1.0/24" });
    return analyzeFlows(tf);
  }

  test("type 3 code 4 allows exactly fragmentation-needed", () => {
    const m = api(3, 4);
    expect(m.check("workers", "apiEndpoint", icmp(3, 4)).verdict).toBe("allowed");
    expect(m.check("workers", "apiEndpoint", icmp(3, 3)).verdict).toBe("denied");
    expect(m.check("workers", "apiEndpoint", icmp(8, 0)).verdict).toBe("denied");
    expect(m.check("workers", "apiEndpoint", icmp(3)).verdict).toBe("denied"); // every code of type 3
  });

  test("code -1 is every code of the type; type -1 every type", () => {
    expect(api(3, -1).check("workers", "apiEndpoint", icmp(3)).verdict).toBe("allowed");
    expect(api(3, -1).check("workers", "apiEndpoint", icmp(8, 0)).verdict).toBe("denied");
    expect(api(-1, -1).check("workers", "apiEndpoint", icmp()).verdict).toBe("allowed");
    expect(api(-1, -1).check("workers", "apiEndpoint", tcp(22)).verdict).toBe("denied");
  });
});

describe("protocol -1", () => {
  const tf = base();
  egress(tf, "workers_all_out", "workers", "-1", undefined, undefined, { cidr: "0.0.0.0/0" });
  ingress(tf, "bastion_all_in", "bastion", "-1", undefined, undefined, { cidr: "10.0.0.0/16" });
  egress(tf, "lb_tcp_all", "lb", "tcp", 0, 65535, { cidr: "10.0.3.0/24" });
  const m = analyzeFlows(tf);

  test("allows every protocol and port", () => {
    for (const port of [tcp(1), tcp(65535), udp(53), icmp(8, 0), { protocol: "all" } as Port])
      expect(m.check("workers", "bastion", port).verdict).toBe("allowed");
  });

  test("tcp 0-65535 is not all traffic", () => {
    expect(m.check("loadBalancers", "bastion", tcp(443)).verdict).toBe("allowed");
    expect(m.check("loadBalancers", "bastion", { protocol: "all" }).verdict).toBe("denied");
    expect(m.check("loadBalancers", "bastion", udp(53)).verdict).toBe("denied");
  });
});

describe("from the internet: public and private subnets", () => {
  function open(tf = base()): Stack {
    for (const g of ["bastion", "workers", "lb", "api"]) ingress(tf, `${g}_from_anywhere`, g, "tcp", 22, 22, { cidr: "0.0.0.0/0" });
    return tf;
  }

  test("a public subnet (IGW route, public IPs on launch) is reachable", () => {
    const v = analyzeFlows(open()).check("internet", "bastion", tcp(22));
    expect(v).toMatchObject({ verdict: "allowed", egressRules: [], ingressRules: [IN("bastion_from_anywhere")] });
    expect(v.reason).toBeUndefined();
  });

  test("a private subnet is not, whatever its security groups say", () => {
    const m = analyzeFlows(open());
    expect(m.check("internet", "workers", tcp(22)).reason).toMatch(/^no route from internet: workers subnets are private/);
    expect(m.check("internet", "apiEndpoint", tcp(22)).verdict).toBe("denied");
  });

  test("an IGW route without public addresses is not enough; an internet-facing LB or a public instance is", () => {
    const tf = open();
    tf.resource.aws_subnet.lb_a.map_public_ip_on_launch = false;
    expect(analyzeFlows(tf).check("internet", "loadBalancers", tcp(22)).reason).toMatch(/members get no public address/);
    tf.resource.aws_lb = { internal: { internal: true, subnets: [ref("aws_subnet.lb_a")], security_groups: [ref("aws_security_group.lb")] } };
    expect(analyzeFlows(tf).check("internet", "loadBalancers", tcp(22)).verdict).toBe("denied");
    tf.resource.aws_lb = { public: { internal: false, subnets: [ref("aws_subnet.lb_a")], security_groups: [ref("aws_security_group.lb")] } };
    expect(analyzeFlows(tf).check("internet", "loadBalancers", tcp(22)).verdict).toBe("allowed");
    delete tf.resource.aws_lb;
    tf.resource.aws_instance = { box: { subnet_id: ref("aws_subnet.lb_a"), associate_public_ip_address: true, vpc_security_group_ids: [ref("aws_security_group.lb")] } };
    expect(analyzeFlows(tf).check("internet", "loadBalancers", tcp(22)).verdict).toBe("allowed");
  });

  test("an ingress CIDR narrower than the internet allows only that part, and says which", () => {
    const tf = base();
    ingress(tf, "bastion_ssh_admin", "bastion", "tcp", 22, 22, { cidr: "203.0.113.0/24" });
    const v = analyzeFlows(tf).check("internet", "bastion", tcp(22));
    expect(v.verdict).toBe("allowed");
    expect(v.reason).toBe("only from 203.0.113.0/24");
  });

  test("a subnet without a route table association uses the main route table (local only)", () => {
    const tf = open();
    delete tf.resource.aws_route_table_association.bastion_a;
    expect(analyzeFlows(tf).check("internet", "bastion", tcp(22)).reason).toMatch(/^no route from internet: bastion subnets are private/);
  });
});

describe("to the internet: NAT and internet gateways", () => {
  function out(tf = base()): ReturnType<typeof analyzeFlows> {
    for (const g of ["bastion", "workers", "api"]) egress(tf, `${g}_https_out`, g, "tcp", 443, 443, { cidr: "0.0.0.0/0" });
    return analyzeFlows(tf);
  }

  test("a private subnet routed to a NAT gateway in a public subnet gets out", () => {
    expect(out().check("workers", "internet", tcp(443))).toMatchObject({ verdict: "allowed", egressRules: [OUT("workers_https_out")], ingressRules: [] });
  });

  test("a public subnet gets out through the internet gateway", () => {
    expect(out().check("bastion", "internet", tcp(443)).verdict).toBe("allowed");
  });

  test("a subnet with no default route does not", () => {
    expect(out().check("apiEndpoint", "internet", tcp(443)).reason).toMatch(/^no route to internet: apiEndpoint subnet api_a .* no route to an internet gateway or NAT gateway/);
  });

  test("a NAT gateway in a subnet without an internet gateway route is a dead end", () => {
    const tf = base();
    tf.resource.aws_nat_gateway.nat.subnet_id = ref("aws_subnet.api_a");
    expect(out(tf).check("workers", "internet", tcp(443)).reason).toMatch(/NAT gateway aws_nat_gateway.nat sits in api_a .* no route to an internet gateway/);
  });

  test("without a security group rule the route alone does nothing", () => {
    expect(out().check("workers", "internet", tcp(80)).verdict).toBe("denied");
  });
});

describe("AWS services behind a gateway endpoint", () => {
  function s3(associate: boolean, nat = true): ReturnType<typeof analyzeFlows> {
    const tf = base();
    tf.resource.aws_vpc_endpoint = { s3: { vpc_id: ref("aws_vpc.vpc"), service_name: "com.amazonaws.eu-west-1.s3", vpc_endpoint_type: "Gateway" } };
    if (associate)
      tf.resource.aws_vpc_endpoint_route_table_association = {
        private: { route_table_id: ref("aws_route_table.private"), vpc_endpoint_id: ref("aws_vpc_endpoint.s3") },
      };
    if (!nat) delete tf.resource.aws_route.private_default;
    egress(tf, "workers_to_s3", "workers", "tcp", 0, 65535, { pl: ref("aws_vpc_endpoint.s3", "prefix_list_id") });
    return analyzeFlows(tf);
  }

  test("a prefix-list rule reaches the service, not any tier or the internet", () => {
    const m = s3(true, false);
    expect(m.check("workers", "aws_vpc_endpoint.s3", tcp(443))).toMatchObject({ verdict: "allowed", egressRules: [OUT("workers_to_s3")] });
    expect(m.check("workers", "internet", tcp(443)).verdict).toBe("denied");
    expect(m.tiers).not.toContain("aws_vpc_endpoint.s3");
  });

  test("without the endpoint on its route table the service is only reachable another way out", () => {
    expect(s3(false, true).check("workers", "aws_vpc_endpoint.s3", tcp(443)).verdict).toBe("allowed");
    expect(s3(false, false).check("workers", "aws_vpc_endpoint.s3", tcp(443)).reason).toMatch(/not associated with the endpoint/);
  });
});

describe("network ACLs", () => {
  function withAcl(ingressRules: object[], egressRules: object[]): Stack {
    const tf = withBastionSsh();
    tf.resource.aws_network_acl = { workers: { vpc_id: ref("aws_vpc.vpc"), subnet_ids: [ref("aws_subnet.workers_a")], tags: { Name: "acl-workers" } } };
    tf.resource.aws_network_acl_rule = {};
    const add = (egressFlag: boolean, rules: object[]) =>
      rules.forEach((r, i) => (tf.resource.aws_network_acl_rule[`${egressFlag ? "out" : "in"}_${i}`] = { network_acl_id: ref("aws_network_acl.workers"), egress: egressFlag, ...r }));
    add(false, ingressRules);
    add(true, egressRules);
    return tf;
  }
  const allowAll = { rule_number: 200, protocol: "-1", rule_action: "allow", cidr_block: "0.0.0.0/0", from_port: 0, to_port: 0 };
  const denySsh = { rule_number: 100, protocol: "tcp", rule_action: "deny", cidr_block: "10.0.3.0/24", from_port: 22, to_port: 22 };

  test("a deny rule numbered before the allow blocks the flow, naming the rule", () => {
    const v = analyzeFlows(withAcl([denySsh, allowAll], [allowAll])).check("bastion", "workers", tcp(22));
    expect(v.verdict).toBe("denied");
    expect(v.reason).toBe(
      "network ACL aws_network_acl.workers (acl-workers) denies inbound tcp/22 from bastion (rule aws_network_acl_rule.in_0 #100)",
    );
  });

  test("rules apply in number order, not in the order written", () => {
    const allowSshFirst = { ...denySsh, rule_number: 300 };
    expect(analyzeFlows(withAcl([allowSshFirst, allowAll], [allowAll])).check("bastion", "workers", tcp(22)).verdict).toBe("allowed");
  });

  test("with no matching rule the implicit deny applies", () => {
    const onlyHttps = { ...allowAll, protocol: "tcp", from_port: 443, to_port: 443 };
    expect(analyzeFlows(withAcl([onlyHttps], [allowAll])).check("bastion", "workers", tcp(22)).reason).toMatch(/has no inbound rule allowing tcp\/22 from bastion \(implicit deny\)/);
  });

  test("stateless: the reply needs ephemeral ports 1024-65535 outbound", () => {
    const sshOut = { ...allowAll, protocol: "tcp", from_port: 22, to_port: 22 };
    const v = analyzeFlows(withAcl([allowAll], [sshOut])).check("bastion", "workers", tcp(22));
    expect(v.reason).toMatch(/does not allow outbound return traffic to bastion on ephemeral ports 1024-65535/);
    const ephemeralOut = { ...sshOut, from_port: 1024, to_port: 65535 };
    expect(analyzeFlows(withAcl([allowAll], [ephemeralOut])).check("bastion", "workers", tcp(22)).verdict).toBe("allowed");
  });

  test("inline rules on aws_network_acl work the same way", () => {
    const tf = withBastionSsh();
    tf.resource.aws_network_acl = {
      workers: {
        subnet_ids: [ref("aws_subnet.workers_a")],
        ingress: [{ rule_no: 100, protocol: "tcp", action: "deny", cidr_block: "10.0.0.0/16", from_port: 0, to_port: 65535 }],
        egress: [{ rule_no: 100, protocol: "-1", action: "allow", cidr_block: "0.0.0.0/0", from_port: 0, to_port: 0 }],
      },
    };
    expect(analyzeFlows(tf).check("bastion", "workers", tcp(22)).reason).toMatch(/denies inbound tcp\/22 from bastion \(rule aws_network_acl.workers.ingress #100\)/);
  });

  test("without any ACL the default one allows everything", () => {
    expect(analyzeFlows(withBastionSsh()).check("bastion", "workers", tcp(22)).verdict).toBe("allowed");
  });
});

describe("several subnets per tier", () => {
  function twoAz(): Stack {
    const tf = base();
    tf.resource.aws_subnet.workers_b = subnet("10.0.11.0/24", "workers");
    tf.resource.aws_route_table_association.workers_b = { subnet_id: ref("aws_subnet.workers_b"), route_table_id: ref("aws_route_table.private") };
    egress(tf, "bastion_ssh_workers", "bastion", "tcp", 22, 22, { sg: "workers" });
    return tf;
  }

  test("a rule CIDR covering one AZ's subnet only gives a partial verdict naming the denied pair", () => {
    const tf = twoAz();
    delete tf.resource.aws_vpc_security_group_egress_rule.bastion_ssh_workers;
    egress(tf, "bastion_ssh_workers_a", "bastion", "tcp", 22, 22, { cidr: "10.0.1.0/24" });
    ingress(tf, "workers_ssh_from_bastion", "workers", "tcp", 22, 22, { sg: "bastion" });
    const v = analyzeFlows(tf).check("bastion", "workers", tcp(22));
    expect(v).toMatchObject({ verdict: "partial", egressRules: [OUT("bastion_ssh_workers_a")], ingressRules: [IN("workers_ssh_from_bastion")] });
    expect(v.reason).toBe(
      "denied for 1 of 2 subnet pairs, e.g. bastion_a -> workers_b: no egress rule on sg sg-bastion (aws_security_group.bastion) for tcp/22 to workers",
    );
  });

  test("a network ACL on one AZ only gives partial; on both, denied", () => {
    const tf = twoAz();
    ingress(tf, "workers_ssh_from_bastion", "workers", "tcp", 22, 22, { cidr: "10.0.3.0/24" });
    tf.resource.aws_network_acl = { closed: { subnet_ids: [ref("aws_subnet.workers_b")] } };
    const m = analyzeFlows(tf);
    const v = m.check("bastion", "workers", tcp(22));
    expect(v).toMatchObject({ verdict: "partial", egressRules: [OUT("bastion_ssh_workers")], ingressRules: [IN("workers_ssh_from_bastion")] });
    expect(v.reason).toMatch(/bastion_a -> workers_b: network ACL aws_network_acl.closed has no inbound rule/);
    tf.resource.aws_network_acl.closed.subnet_ids.push(ref("aws_subnet.workers_a"));
    expect(analyzeFlows(tf).check("bastion", "workers", tcp(22)).verdict).toBe("denied");
  });
});

describe("anyAllowed reasons over port ranges", () => {
  test("returns the exact allowed ranges, merged, per protocol", () => {
    const tf = base();
    for (const proto of ["tcp", "udp"]) {
      egress(tf, `lb_nodeports_${proto}`, "lb", proto, 30000, 32767, { cidr: "10.0.1.0/24" });
      egress(tf, `lb_proxy_${proto}`, "lb", proto, 10256, 10256, { cidr: "10.0.1.0/24" });
      ingress(tf, `workers_nodeports_${proto}`, "workers", proto, 30000, 32767, { cidr: "10.0.2.0/24" });
      ingress(tf, `workers_proxy_${proto}`, "workers", proto, 10256, 10256, { cidr: "10.0.2.0/24" });
    }
    const vs = analyzeFlows(tf).anyAllowed("loadBalancers", "workers");
    expect(summary(vs)).toEqual(["allowed tcp/10256", "allowed tcp/30000-32767", "allowed udp/10256", "allowed udp/30000-32767"]);
    expect(vs[1]).toMatchObject({ port: { protocol: "tcp", port: 30000 }, egressRules: [OUT("lb_nodeports_tcp")], ingressRules: [IN("workers_nodeports_tcp")] });
  });

  test("only the overlap of egress and ingress ranges is allowed", () => {
    const tf = base();
    egress(tf, "wide_out", "bastion", "tcp", 1000, 2000, { cidr: "10.0.1.0/24" });
    ingress(tf, "wide_in", "workers", "tcp", 1500, 3000, { cidr: "10.0.0.0/16" });
    ingress(tf, "icmp_in", "workers", "icmp", 3, -1, { cidr: "10.0.0.0/16" });
    egress(tf, "icmp_out", "bastion", "icmp", -1, -1, { cidr: "10.0.1.0/24" });
    expect(summary(analyzeFlows(tf).anyAllowed("bastion", "workers"))).toEqual(["allowed tcp/1500-2000", "allowed icmp 3/any"]);
  });

  test("nothing at all gives an empty list (the internet cannot reach private workers on any port)", () => {
    const tf = base();
    ingress(tf, "workers_all", "workers", "-1", undefined, undefined, { cidr: "0.0.0.0/0" });
    expect(analyzeFlows(tf).anyAllowed("internet", "workers")).toEqual([]);
  });

  test("all traffic allowed is one verdict", () => {
    const tf = base();
    egress(tf, "all_out", "bastion", "-1", undefined, undefined, { cidr: "0.0.0.0/0" });
    ingress(tf, "all_in", "workers", "-1", undefined, undefined, { sg: "bastion" });
    expect(analyzeFlows(tf).anyAllowed("bastion", "workers")).toEqual([
      { from: "bastion", to: "workers", port: { protocol: "all", label: "all traffic" }, verdict: "allowed", egressRules: [OUT("all_out")], ingressRules: [IN("all_in")] },
    ]);
  });

  test("ranges allowed to one AZ only come back partial", () => {
    const tf = base();
    tf.resource.aws_subnet.workers_b = subnet("10.0.11.0/24", "workers");
    egress(tf, "out", "bastion", "tcp", 8000, 8100, { cidr: "10.0.0.0/16" });
    ingress(tf, "in_a", "workers", "tcp", 8000, 8100, { cidr: "10.0.3.0/24" });
    ingress(tf, "in_narrow", "workers", "tcp", 8050, 8050, { sg: "bastion" });
    tf.resource.aws_network_acl = { b: { subnet_ids: [ref("aws_subnet.workers_b")], ingress: [], egress: [] } };
    expect(summary(analyzeFlows(tf).anyAllowed("bastion", "workers"))).toEqual(["partial tcp/8000-8100"]);
  });
});

describe("other rule shapes", () => {
  test("inline ingress/egress blocks and legacy aws_security_group_rule", () => {
    const tf = base();
    Object.assign(tf.resource.aws_security_group.bastion, {
      egress: [{ protocol: "tcp", from_port: 22, to_port: 22, cidr_blocks: ["10.0.1.0/24"], security_groups: [], self: false }],
    });
    tf.resource.aws_security_group_rule = {
      ssh: { type: "ingress", security_group_id: ref("aws_security_group.workers"), protocol: "tcp", from_port: 22, to_port: 22, source_security_group_id: ref("aws_security_group.bastion") },
    };
    const v = analyzeFlows(tf).check("bastion", "workers", tcp(22));
    expect(v).toMatchObject({ verdict: "allowed", egressRules: ["aws_security_group.bastion.egress[0]"], ingressRules: ["aws_security_group_rule.ssh"] });
  });
  test("self: true matches members of the same group, in other subnets too", () => {
    const tf = base();
    tf.resource.aws_subnet.workers_b = subnet("10.0.11.0/24", "workers");
    Object.assign(tf.resource.aws_security_group.workers, {
      ingress: [{ protocol: "tcp", from_port: 10250, to_port: 10250, self: true }],
      egress: [{ protocol: "-1", from_port: 0, to_port: 0, cidr_blocks: ["10.0.0.0/16"] }],
    });
    const v = analyzeFlows(tf).check("workers", "workers", tcp(10250));
    expect(v).toMatchObject({ verdict: "allowed", ingressRules: ["aws_security_group.workers.ingress[0]"] });
    expect(analyzeFlows(tf).check("workers", "workers", tcp(10251)).verdict).toBe("denied");
  });
});

describe("matrix and formatMatrix", () => {
  const m = analyzeFlows(withBastionSsh());

  test("SPEC_PORTS are the ports the spec names", () => {
    expect(SPEC_PORTS.map((p) => p.label!.split(" ")[0])).toEqual([
      "tcp/22", "tcp/80", "tcp/443", "tcp/6443", "tcp/10250", "tcp/12250", "tcp/2379", "tcp/2380",
      "tcp/10256", "udp/10256", "tcp/30000", "tcp/32767", "udp/30000", "udp/32767", "icmp",
    ]);
  });

  test("every ordered pair of distinct tiers times every port", () => {
    const vs = m.matrix(SPEC_PORTS);
    expect(vs).toHaveLength(5 * 4 * SPEC_PORTS.length);
    expect(vs.filter((v) => v.verdict !== "denied").map((v) => `${v.from}>${v.to} ${v.port.label}`)).toEqual(["bastion>workers tcp/22 ssh"]);
  });

  test("formatMatrix is a fixed-width table", () => {
    const text = formatMatrix(m.matrix([tcp(22)]).filter((v) => v.from === "bastion"));
    const lines = text.split("\n");
    expect(lines[0]).toMatch(/^FROM\s+TO\s+PORT\s+VERDICT\s+RULES/);
    expect(lines).toContain("bastion  workers        tcp/22  allowed  egress_rule.bastion_ssh_workers > ingress_rule.workers_ssh_from_bastion");
    expect(new Set(lines.map((l) => l.indexOf(l.includes("allowed") ? "allowed" : "denied")).filter((i) => i > 0)).size).toBe(1);
  });
});

describe("CLI scripts/flows.ts", () => {
  const fixture = path.join(__dirname, "fixtures/flows/spec-like.tf.json");
  function run(...argv: string[]): { code: number; out: string; err: string } {
    const out: string[] = [];
    const err: string[] = [];
    const code = runFlows(argv, (l) => out.push(l), (l) => err.push(l));
    return { code, out: out.join("\n"), err: err.join("\n") };
  }

  test("prints the matrix of a synthesized stack, filtered by --from/--to and --denied/--allowed", () => {
    const all = run(fixture);
    expect(all.code).toBe(0);
    expect(all.out).toMatch(/^FROM\s+TO\s+PORT/);
    const ssh = run(fixture, "--from", "bastion", "--to", "workers", "--allowed");
    expect(ssh.out.split("\n").slice(1)).toEqual([expect.stringMatching(/^bastion\s+workers\s+tcp\/22 ssh\s+allowed\s/), "1 flows: 1 allowed, 0 partial, 0 denied"]);
    const denied = run(fixture, "--from", "internet", "--to", "workers", "--denied");
    expect(denied.out).toMatch(/15 flows: 0 allowed, 0 partial, 15 denied/);
    expect(run(fixture, "--from", "loadBalancers", "--to", "workers", "--any").out).toMatch(/tcp\/30000-32767/);
  });

  test("bad input: one line, exit 1", () => {
    expect(run("does/not/exist.json")).toEqual({ code: 1, out: "", err: "flows: does/not/exist.json does not exist" });
    expect(run(path.join(__dirname, "../package.json"))).toMatchObject({ code: 1, err: expect.stringMatching(/is not Terraform JSON \(no "resource" object\)$/) });
    expect(run(fixture, "--from", "nobody")).toMatchObject({ code: 1, err: expect.stringMatching(/^flows: unknown tier "nobody"/) });
  });

  test("as a process, a missing file exits 1 without a stack trace", () => {
    const r = spawnSync(process.execPath, ["--import", "tsx", "scripts/flows.ts", "missing.tf.json"], { cwd: path.join(__dirname, ".."), encoding: "utf8" });
    expect(r.status).toBe(1);
    expect(r.stderr.trim()).toBe("flows: missing.tf.json does not exist");
  });
});
