/**
 * The flow analysis engine (tools/flows/) on hand-written Terraform JSON, security groups and
 * ports: stateful rules that need both sides, group references, CIDR containment, ICMP types and
 * codes, protocol -1, the rule shapes Terraform writes, and the allowed port ranges between two
 * tiers. The spec-intent tests over the real synthesized stack are in flows.test.ts.
 */
import { FlowVerdict, Port, analyzeFlows, analyzeFlowsWithNotes } from "../tools/flows";
import {
  IN,
  OUT,
  Stack,
  base,
  egress,
  icmp,
  ingress,
  ref,
  subnet,
  summary,
  tcp,
  udp,
  withBastionSsh,
} from "./helpers/flow-stack";

describe("tiers", () => {
  test("are the Tier tags of the subnets, plus internet", () => {
    expect(analyzeFlows(base()).tiers).toEqual(["apiEndpoint", "workers", "loadBalancers", "bastion", "internet"]);
  });
  test("an unknown tier is an error naming the known ones", () => {
    expect(() => analyzeFlows(base()).check("worker", "bastion", tcp(22))).toThrow(
      /unknown tier "worker" \(known: apiEndpoint, workers/,
    );
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
    expect(analyzeFlows(tf).check("bastion", "workers", tcp(22)).reason).toMatch(
      /workers subnet workers_a .* has no security group: tag one Tier=workers/,
    );
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

  test("groups on instances, launch templates (via ASGs) and load balancers count for their subnets' tier", () => {
    const tf = base();
    for (const t of ["bastion", "workers", "lb"]) delete tf.resource.aws_security_group[t].tags.Tier;
    tf.resource.aws_instance = {
      bastion: { subnet_id: ref("aws_subnet.bastion_a"), vpc_security_group_ids: [ref("aws_security_group.bastion")] },
    };
    tf.resource.aws_launch_template = {
      workers: { network_interfaces: [{ security_groups: [ref("aws_security_group.workers")] }] },
    };
    tf.resource.aws_autoscaling_group = {
      workers: {
        vpc_zone_identifier: [ref("aws_subnet.workers_a")],
        launch_template: { id: ref("aws_launch_template.workers"), version: "$Latest" },
      },
    };
    tf.resource.aws_lb = {
      ingress: { internal: false, subnets: [ref("aws_subnet.lb_a")], security_groups: [ref("aws_security_group.lb")] },
    };
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
    expect(analyzeFlows(tf).check("workers", "apiEndpoint", tcp(6443)).reason).toMatch(
      /^no egress rule on sg sg-worker-nodes/,
    );
  });

  test("a CIDR written as a reference to the subnet's cidr_block resolves", () => {
    expect(apiFromWorkers(ref("aws_subnet.workers_a", "cidr_block")).verdict).toBe("allowed");
  });

  test("a CIDR that cannot be resolved offline matches nothing and is noted", () => {
    const tf = base();
    ingress(tf, "api_from_var", "api", "tcp", 6443, 6443, { cidr: "${var.admin_cidr}" });
    expect(analyzeFlowsWithNotes(tf).notes).toEqual([
      expect.stringMatching(/api_from_var: cannot resolve CIDR \$\{var.admin_cidr\}/),
    ]);
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
    expect(summary(vs)).toEqual([
      "allowed tcp/10256",
      "allowed tcp/30000-32767",
      "allowed udp/10256",
      "allowed udp/30000-32767",
    ]);
    expect(vs[1]).toMatchObject({
      port: { protocol: "tcp", port: 30000 },
      egressRules: [OUT("lb_nodeports_tcp")],
      ingressRules: [IN("workers_nodeports_tcp")],
    });
  });

  test("only the overlap of egress and ingress ranges is allowed", () => {
    const tf = base();
    egress(tf, "wide_out", "bastion", "tcp", 1000, 2000, { cidr: "10.0.1.0/24" });
    ingress(tf, "wide_in", "workers", "tcp", 1500, 3000, { cidr: "10.0.0.0/16" });
    ingress(tf, "icmp_in", "workers", "icmp", 3, -1, { cidr: "10.0.0.0/16" });
    egress(tf, "icmp_out", "bastion", "icmp", -1, -1, { cidr: "10.0.1.0/24" });
    expect(summary(analyzeFlows(tf).anyAllowed("bastion", "workers"))).toEqual([
      "allowed tcp/1500-2000",
      "allowed icmp 3/any",
    ]);
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
      {
        from: "bastion",
        to: "workers",
        port: { protocol: "all", label: "all traffic" },
        verdict: "allowed",
        egressRules: [OUT("all_out")],
        ingressRules: [IN("all_in")],
      },
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
      egress: [
        { protocol: "tcp", from_port: 22, to_port: 22, cidr_blocks: ["10.0.1.0/24"], security_groups: [], self: false },
      ],
    });
    tf.resource.aws_security_group_rule = {
      ssh: {
        type: "ingress",
        security_group_id: ref("aws_security_group.workers"),
        protocol: "tcp",
        from_port: 22,
        to_port: 22,
        source_security_group_id: ref("aws_security_group.bastion"),
      },
    };
    const v = analyzeFlows(tf).check("bastion", "workers", tcp(22));
    expect(v).toMatchObject({
      verdict: "allowed",
      egressRules: ["aws_security_group.bastion.egress[0]"],
      ingressRules: ["aws_security_group_rule.ssh"],
    });
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
