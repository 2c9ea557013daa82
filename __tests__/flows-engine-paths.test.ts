/**
 * The flow analysis engine (tools/flows/) on hand-written Terraform JSON, paths and output: public
 * and private subnets, NAT and internet gateways, gateway endpoints, network ACLs (stateless),
 * several subnets per tier, the matrix and its table, and the CLI scripts/flows.ts.
 */
import * as path from "path";
import { spawnSync } from "child_process";
import { runFlows } from "../scripts/flows";
import { SPEC_PORTS, analyzeFlows, formatMatrix } from "../tools/flows";
import { IN, OUT, Stack, base, egress, ingress, ref, subnet, tcp, withBastionSsh } from "./helpers/flow-stack";

describe("from the internet: public and private subnets", () => {
  function open(tf = base()): Stack {
    for (const g of ["bastion", "workers", "lb", "api"])
      ingress(tf, `${g}_from_anywhere`, g, "tcp", 22, 22, { cidr: "0.0.0.0/0" });
    return tf;
  }

  test("a public subnet (IGW route, public IPs on launch) is reachable", () => {
    const v = analyzeFlows(open()).check("internet", "bastion", tcp(22));
    expect(v).toMatchObject({ verdict: "allowed", egressRules: [], ingressRules: [IN("bastion_from_anywhere")] });
    expect(v.reason).toBeUndefined();
  });

  test("a private subnet is not, whatever its security groups say", () => {
    const m = analyzeFlows(open());
    expect(m.check("internet", "workers", tcp(22)).reason).toMatch(
      /^no route from internet: workers subnets are private/,
    );
    expect(m.check("internet", "apiEndpoint", tcp(22)).verdict).toBe("denied");
  });

  test("an IGW route without public addresses is not enough; an internet-facing LB or a public instance is", () => {
    const tf = open();
    tf.resource.aws_subnet.lb_a.map_public_ip_on_launch = false;
    expect(analyzeFlows(tf).check("internet", "loadBalancers", tcp(22)).reason).toMatch(
      /members get no public address/,
    );
    tf.resource.aws_lb = {
      internal: { internal: true, subnets: [ref("aws_subnet.lb_a")], security_groups: [ref("aws_security_group.lb")] },
    };
    expect(analyzeFlows(tf).check("internet", "loadBalancers", tcp(22)).verdict).toBe("denied");
    tf.resource.aws_lb = {
      public: { internal: false, subnets: [ref("aws_subnet.lb_a")], security_groups: [ref("aws_security_group.lb")] },
    };
    expect(analyzeFlows(tf).check("internet", "loadBalancers", tcp(22)).verdict).toBe("allowed");
    delete tf.resource.aws_lb;
    tf.resource.aws_instance = {
      box: {
        subnet_id: ref("aws_subnet.lb_a"),
        associate_public_ip_address: true,
        vpc_security_group_ids: [ref("aws_security_group.lb")],
      },
    };
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
    expect(analyzeFlows(tf).check("internet", "bastion", tcp(22)).reason).toMatch(
      /^no route from internet: bastion subnets are private/,
    );
  });
});

describe("to the internet: NAT and internet gateways", () => {
  function out(tf = base()): ReturnType<typeof analyzeFlows> {
    for (const g of ["bastion", "workers", "api"])
      egress(tf, `${g}_https_out`, g, "tcp", 443, 443, { cidr: "0.0.0.0/0" });
    return analyzeFlows(tf);
  }

  test("a private subnet routed to a NAT gateway in a public subnet gets out", () => {
    expect(out().check("workers", "internet", tcp(443))).toMatchObject({
      verdict: "allowed",
      egressRules: [OUT("workers_https_out")],
      ingressRules: [],
    });
  });

  test("a public subnet gets out through the internet gateway", () => {
    expect(out().check("bastion", "internet", tcp(443)).verdict).toBe("allowed");
  });

  test("a subnet with no default route does not", () => {
    expect(out().check("apiEndpoint", "internet", tcp(443)).reason).toMatch(
      /^no route to internet: apiEndpoint subnet api_a .* no route to an internet gateway or NAT gateway/,
    );
  });

  test("a NAT gateway in a subnet without an internet gateway route is a dead end", () => {
    const tf = base();
    tf.resource.aws_nat_gateway.nat.subnet_id = ref("aws_subnet.api_a");
    expect(out(tf).check("workers", "internet", tcp(443)).reason).toMatch(
      /NAT gateway aws_nat_gateway.nat sits in api_a .* no route to an internet gateway/,
    );
  });

  test("without a security group rule the route alone does nothing", () => {
    expect(out().check("workers", "internet", tcp(80)).verdict).toBe("denied");
  });
});

describe("AWS services behind a gateway endpoint", () => {
  function s3(associate: boolean, nat = true): ReturnType<typeof analyzeFlows> {
    const tf = base();
    tf.resource.aws_vpc_endpoint = {
      s3: { vpc_id: ref("aws_vpc.vpc"), service_name: "com.amazonaws.eu-west-1.s3", vpc_endpoint_type: "Gateway" },
    };
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
    expect(m.check("workers", "aws_vpc_endpoint.s3", tcp(443))).toMatchObject({
      verdict: "allowed",
      egressRules: [OUT("workers_to_s3")],
    });
    expect(m.check("workers", "internet", tcp(443)).verdict).toBe("denied");
    expect(m.tiers).not.toContain("aws_vpc_endpoint.s3");
  });

  test("without the endpoint on its route table the service is only reachable another way out", () => {
    expect(s3(false, true).check("workers", "aws_vpc_endpoint.s3", tcp(443)).verdict).toBe("allowed");
    expect(s3(false, false).check("workers", "aws_vpc_endpoint.s3", tcp(443)).reason).toMatch(
      /not associated with the endpoint/,
    );
  });
});

describe("network ACLs", () => {
  function withAcl(ingressRules: object[], egressRules: object[]): Stack {
    const tf = withBastionSsh();
    tf.resource.aws_network_acl = {
      workers: { vpc_id: ref("aws_vpc.vpc"), subnet_ids: [ref("aws_subnet.workers_a")], tags: { Name: "acl-workers" } },
    };
    tf.resource.aws_network_acl_rule = {};
    const add = (egressFlag: boolean, rules: object[]) =>
      rules.forEach(
        (r, i) =>
          (tf.resource.aws_network_acl_rule[`${egressFlag ? "out" : "in"}_${i}`] = {
            network_acl_id: ref("aws_network_acl.workers"),
            egress: egressFlag,
            ...r,
          }),
      );
    add(false, ingressRules);
    add(true, egressRules);
    return tf;
  }
  const allowAll = {
    rule_number: 200,
    protocol: "-1",
    rule_action: "allow",
    cidr_block: "0.0.0.0/0",
    from_port: 0,
    to_port: 0,
  };
  const denySsh = {
    rule_number: 100,
    protocol: "tcp",
    rule_action: "deny",
    cidr_block: "10.0.3.0/24",
    from_port: 22,
    to_port: 22,
  };

  test("a deny rule numbered before the allow blocks the flow, naming the rule", () => {
    const v = analyzeFlows(withAcl([denySsh, allowAll], [allowAll])).check("bastion", "workers", tcp(22));
    expect(v.verdict).toBe("denied");
    expect(v.reason).toBe(
      "network ACL aws_network_acl.workers (acl-workers) denies inbound tcp/22 from bastion (rule " +
        "aws_network_acl_rule.in_0 #100)",
    );
  });

  test("rules apply in number order, not in the order written", () => {
    const allowSshFirst = { ...denySsh, rule_number: 300 };
    expect(
      analyzeFlows(withAcl([allowSshFirst, allowAll], [allowAll])).check("bastion", "workers", tcp(22)).verdict,
    ).toBe("allowed");
  });

  test("with no matching rule the implicit deny applies", () => {
    const onlyHttps = { ...allowAll, protocol: "tcp", from_port: 443, to_port: 443 };
    expect(analyzeFlows(withAcl([onlyHttps], [allowAll])).check("bastion", "workers", tcp(22)).reason).toMatch(
      /has no inbound rule allowing tcp\/22 from bastion \(implicit deny\)/,
    );
  });

  test("stateless: the reply needs ephemeral ports 1024-65535 outbound", () => {
    const sshOut = { ...allowAll, protocol: "tcp", from_port: 22, to_port: 22 };
    const v = analyzeFlows(withAcl([allowAll], [sshOut])).check("bastion", "workers", tcp(22));
    expect(v.reason).toMatch(/does not allow outbound return traffic to bastion on ephemeral ports 1024-65535/);
    const ephemeralOut = { ...sshOut, from_port: 1024, to_port: 65535 };
    expect(analyzeFlows(withAcl([allowAll], [ephemeralOut])).check("bastion", "workers", tcp(22)).verdict).toBe(
      "allowed",
    );
  });

  test("inline rules on aws_network_acl work the same way", () => {
    const tf = withBastionSsh();
    tf.resource.aws_network_acl = {
      workers: {
        subnet_ids: [ref("aws_subnet.workers_a")],
        ingress: [
          { rule_no: 100, protocol: "tcp", action: "deny", cidr_block: "10.0.0.0/16", from_port: 0, to_port: 65535 },
        ],
        egress: [{ rule_no: 100, protocol: "-1", action: "allow", cidr_block: "0.0.0.0/0", from_port: 0, to_port: 0 }],
      },
    };
    expect(analyzeFlows(tf).check("bastion", "workers", tcp(22)).reason).toMatch(
      /denies inbound tcp\/22 from bastion \(rule aws_network_acl.workers.ingress #100\)/,
    );
  });

  test("without any ACL the default one allows everything", () => {
    expect(analyzeFlows(withBastionSsh()).check("bastion", "workers", tcp(22)).verdict).toBe("allowed");
  });
});

describe("several subnets per tier", () => {
  function twoAz(): Stack {
    const tf = base();
    tf.resource.aws_subnet.workers_b = subnet("10.0.11.0/24", "workers");
    tf.resource.aws_route_table_association.workers_b = {
      subnet_id: ref("aws_subnet.workers_b"),
      route_table_id: ref("aws_route_table.private"),
    };
    egress(tf, "bastion_ssh_workers", "bastion", "tcp", 22, 22, { sg: "workers" });
    return tf;
  }

  test("a rule CIDR covering one AZ's subnet only gives a partial verdict naming the denied pair", () => {
    const tf = twoAz();
    delete tf.resource.aws_vpc_security_group_egress_rule.bastion_ssh_workers;
    egress(tf, "bastion_ssh_workers_a", "bastion", "tcp", 22, 22, { cidr: "10.0.1.0/24" });
    ingress(tf, "workers_ssh_from_bastion", "workers", "tcp", 22, 22, { sg: "bastion" });
    const v = analyzeFlows(tf).check("bastion", "workers", tcp(22));
    expect(v).toMatchObject({
      verdict: "partial",
      egressRules: [OUT("bastion_ssh_workers_a")],
      ingressRules: [IN("workers_ssh_from_bastion")],
    });
    expect(v.reason).toBe(
      "denied for 1 of 2 subnet pairs, e.g. bastion_a -> workers_b: no egress rule on sg sg-bastion " +
        "(aws_security_group.bastion) for tcp/22 to workers",
    );
  });

  test("a network ACL on one AZ only gives partial; on both, denied", () => {
    const tf = twoAz();
    ingress(tf, "workers_ssh_from_bastion", "workers", "tcp", 22, 22, { cidr: "10.0.3.0/24" });
    tf.resource.aws_network_acl = { closed: { subnet_ids: [ref("aws_subnet.workers_b")] } };
    const m = analyzeFlows(tf);
    const v = m.check("bastion", "workers", tcp(22));
    expect(v).toMatchObject({
      verdict: "partial",
      egressRules: [OUT("bastion_ssh_workers")],
      ingressRules: [IN("workers_ssh_from_bastion")],
    });
    expect(v.reason).toMatch(/bastion_a -> workers_b: network ACL aws_network_acl.closed has no inbound rule/);
    tf.resource.aws_network_acl.closed.subnet_ids.push(ref("aws_subnet.workers_a"));
    expect(analyzeFlows(tf).check("bastion", "workers", tcp(22)).verdict).toBe("denied");
  });
});

describe("matrix and formatMatrix", () => {
  const m = analyzeFlows(withBastionSsh());

  test("SPEC_PORTS are the ports the spec names", () => {
    expect(SPEC_PORTS.map((p) => p.label!.split(" ")[0])).toEqual([
      "tcp/22",
      "tcp/80",
      "tcp/443",
      "tcp/6443",
      "tcp/10250",
      "tcp/12250",
      "tcp/2379",
      "tcp/2380",
      "tcp/10256",
      "udp/10256",
      "tcp/30000",
      "tcp/32767",
      "udp/30000",
      "udp/32767",
      "icmp",
    ]);
  });

  test("every ordered pair of distinct tiers times every port", () => {
    const vs = m.matrix(SPEC_PORTS);
    expect(vs).toHaveLength(5 * 4 * SPEC_PORTS.length);
    expect(vs.filter((v) => v.verdict !== "denied").map((v) => `${v.from}>${v.to} ${v.port.label}`)).toEqual([
      "bastion>workers tcp/22 ssh",
    ]);
  });

  test("formatMatrix is a fixed-width table", () => {
    const text = formatMatrix(m.matrix([tcp(22)]).filter((v) => v.from === "bastion"));
    const lines = text.split("\n");
    expect(lines[0]).toMatch(/^FROM\s+TO\s+PORT\s+VERDICT\s+RULES/);
    expect(lines).toContain(
      "bastion  workers        tcp/22  allowed  egress_rule.bastion_ssh_workers > " +
        "ingress_rule.workers_ssh_from_bastion",
    );
    expect(
      new Set(lines.map((l) => l.indexOf(l.includes("allowed") ? "allowed" : "denied")).filter((i) => i > 0)).size,
    ).toBe(1);
  });
});

describe("CLI scripts/flows.ts", () => {
  const fixture = path.join(__dirname, "fixtures/flows/spec-like.tf.json");
  function run(...argv: string[]): { code: number; out: string; err: string } {
    const out: string[] = [];
    const err: string[] = [];
    const code = runFlows(
      argv,
      (l) => out.push(l),
      (l) => err.push(l),
    );
    return { code, out: out.join("\n"), err: err.join("\n") };
  }

  test("prints the matrix of a synthesized stack, filtered by --from/--to and --denied/--allowed", () => {
    const all = run(fixture);
    expect(all.code).toBe(0);
    expect(all.out).toMatch(/^FROM\s+TO\s+PORT/);
    const ssh = run(fixture, "--from", "bastion", "--to", "workers", "--allowed");
    expect(ssh.out.split("\n").slice(1)).toEqual([
      expect.stringMatching(/^bastion\s+workers\s+tcp\/22 ssh\s+allowed\s/),
      "1 flows: 1 allowed, 0 partial, 0 denied",
    ]);
    const denied = run(fixture, "--from", "internet", "--to", "workers", "--denied");
    expect(denied.out).toMatch(/15 flows: 0 allowed, 0 partial, 15 denied/);
    expect(run(fixture, "--from", "loadBalancers", "--to", "workers", "--any").out).toMatch(/tcp\/30000-32767/);
  });

  test("bad input: one line, exit 1", () => {
    expect(run("does/not/exist.json")).toEqual({ code: 1, out: "", err: "flows: does/not/exist.json does not exist" });
    expect(run(path.join(__dirname, "../package.json"))).toMatchObject({
      code: 1,
      err: expect.stringMatching(/is not Terraform JSON \(no "resource" object\)$/),
    });
    expect(run(fixture, "--from", "nobody")).toMatchObject({
      code: 1,
      err: expect.stringMatching(/^flows: unknown tier "nobody"/),
    });
  });

  test("as a process, a missing file exits 1 without a stack trace", () => {
    const r = spawnSync(process.execPath, ["--import", "tsx", "scripts/flows.ts", "missing.tf.json"], {
      cwd: path.join(__dirname, ".."),
      encoding: "utf8",
    });
    expect(r.status).toBe(1);
    expect(r.stderr.trim()).toBe("flows: missing.tf.json does not exist");
  });
});
