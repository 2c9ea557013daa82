/**
 * The spec's security-group tables ("Security groupts and NACL"): one describe per table and
 * direction, one expectation per row, as AWS rules (the README's "Deviations from the spec" D4-D8
 * and D11-D13), plus the additions (docs/additions.md).
 */
import { SecurityGroup } from "@cdktf/provider-aws/lib/security-group";
import { VpcSecurityGroupIngressRule } from "@cdktf/provider-aws/lib/vpc-security-group-ingress-rule";
import { VpcSecurityGroupEgressRule } from "@cdktf/provider-aws/lib/vpc-security-group-egress-rule";
import { synthCluster, ref, variableDefaults } from "./helpers/synth";
import "./helpers/cdktf-matchers";
import { SECURITY_GROUP_LIMITS } from "../src/aws/limits";

const s = synthCluster();
const SG = {
  api: ref("aws_security_group.sg_api_endpoint"),
  workers: ref("aws_security_group.sg_worker_nodes"),
  lb: ref("aws_security_group.sg_loadbalancers"),
  bastion: ref("aws_security_group.sg_bastion"),
  pods: ref("aws_security_group.sg_pods"),
};
const S3 = { prefix_list_id: ref("aws_vpc_endpoint.s3_endpoint", "prefix_list_id") };
const cidr = (c: string) => ({ cidr_ipv4: c });
const tcp = (from: number, to = from) => ({ ip_protocol: "tcp", from_port: from, to_port: to });
const udp = (from: number, to = from) => ({ ip_protocol: "udp", from_port: from, to_port: to });
const icmp34 = { ip_protocol: "icmp", from_port: 3, to_port: 4 };
const all = { ip_protocol: "-1" };

const ingress = (sg: string, proto: object, peer: object) =>
  expect(s.text).toHaveResourceWithProperties(VpcSecurityGroupIngressRule, {
    security_group_id: sg,
    ...proto,
    ...peer,
  });
const egress = (sg: string, proto: object, peer: object) =>
  expect(s.text).toHaveResourceWithProperties(VpcSecurityGroupEgressRule, { security_group_id: sg, ...proto, ...peer });

const rules = (type: string) => Object.values((s.json.resource as any)[type] as Record<string, any>);
const countOf = (type: string, sg: string) => rules(type).filter((r) => r.security_group_id === sg).length;

describe("security groups (D12)", () => {
  test.each([
    ["sg_api_endpoint", "sg-k8s-api-endpoint", "k8s-cluster-api-endpoint"],
    ["sg_worker_nodes", "sg-worker-nodes", "k8s-cluster-worker-nodes"],
    ["sg_loadbalancers", "sg-loadbalancers", "k8s-cluster-loadbalancers"],
    ["sg_bastion", "sg-bastion", "k8s-cluster-bastion"],
  ])("%s: Name tag %s (the spec's name), group name %s", (_addr, tag, name) =>
    expect(s.text).toHaveResourceWithProperties(SecurityGroup, {
      name,
      tags: expect.objectContaining({ Name: tag }),
      vpc_id: ref("aws_vpc.vpc"),
    }),
  );
  test("no group name starts with sg-", () =>
    rules("aws_security_group").forEach((g) => expect(g.name).not.toMatch(/^sg-/)));
  test("no inline ingress/egress blocks (D13)", () =>
    rules("aws_security_group").forEach((g) => {
      expect(g.ingress).toBeUndefined();
      expect(g.egress).toBeUndefined();
    }));
  test("exactly one group per instance role carries kubernetes.io/cluster/<name>", () => {
    const tagged = Object.entries((s.json.resource as any).aws_security_group)
      .filter(([, g]: [string, any]) => g.tags["kubernetes.io/cluster/k8s-cluster"] === "owned")
      .map(([n]) => n);
    expect(tagged.sort()).toEqual(["sg_api_endpoint", "sg_worker_nodes"]);
  });
  test("every description uses only AWS's allowed characters (D4)", () => {
    for (const r of [
      ...rules("aws_vpc_security_group_ingress_rule"),
      ...rules("aws_vpc_security_group_egress_rule"),
      ...rules("aws_security_group"),
    ]) {
      expect(r.description).toMatch(SECURITY_GROUP_LIMITS.allowedText);
      expect(r.description.length).toBeLessThanOrEqual(255);
    }
  });
});

describe("sg-k8s-api-endpoint ingress", () => {
  test("172.31.1.0/24 TCP 6443 Worker -> API Server", () => ingress(SG.api, tcp(6443), cidr("172.31.1.0/24")));
  test("172.31.1.0/24 TCP 12250 Worker -> API Server (kept, unused by kubeadm: D11)", () =>
    ingress(SG.api, tcp(12250), cidr("172.31.1.0/24")));
  test("172.31.1.0/24 ICMP 3,4 Path MTU Discovery (type 3 code 4: D6)", () =>
    ingress(SG.api, icmp34, cidr("172.31.1.0/24")));
  test("172.31.32.0/19 TCP 6443 Pod -> API Server", () => ingress(SG.api, tcp(6443), cidr("172.31.32.0/19")));
  test("172.31.32.0/19 TCP 12250 Pod -> API Server", () => ingress(SG.api, tcp(12250), cidr("172.31.32.0/19")));
  test("Bastion CIDR TCP 6443 Bastion -> API Server", () => ingress(SG.api, tcp(6443), cidr("172.31.3.0/24")));
  test("Bastion CIDR TCP 22 SSH", () => ingress(SG.api, tcp(22), cidr("172.31.3.0/24")));
  test("nothing from the load balancers or the internet", () => {
    const peers = rules("aws_vpc_security_group_ingress_rule")
      .filter((r) => r.security_group_id === SG.api)
      .map((r) => r.cidr_ipv4);
    expect(peers).not.toContain("172.31.2.0/24");
    expect(peers).not.toContain("0.0.0.0/0");
  });
});

describe("sg-k8s-api-endpoint egress", () => {
  test("AWS Services (VPCE) TCP ALL -> the S3 endpoint's prefix list (D8)", () => egress(SG.api, tcp(0, 65535), S3));
  test("AWS Services (VPCE) ICMP 3,4", () => egress(SG.api, icmp34, S3));
  test("172.31.1.0/24 TCP 10250 API Server -> Worker (kubelet API)", () =>
    egress(SG.api, tcp(10250), cidr("172.31.1.0/24")));
  test("172.31.1.0/24 ICMP 3,4", () => egress(SG.api, icmp34, cidr("172.31.1.0/24")));
  test("172.31.32.0/19 ALL ALL API Server -> Pods", () => egress(SG.api, all, cidr("172.31.32.0/19")));
  test("172.31.3.0/24 ssh 22 (ssh is tcp 22)", () => egress(SG.api, tcp(22), cidr("172.31.3.0/24")));
});

describe("sg-worker-nodes ingress", () => {
  test("172.31.0.0/29 TCP 10250 API Server -> Worker, from the real /28 (D1)", () =>
    ingress(SG.workers, tcp(10250), cidr("172.31.0.0/28")));
  test("0.0.0.0/0 ICMP 3,4 Path MTU Discovery", () => ingress(SG.workers, icmp34, cidr("0.0.0.0/0")));
  test("Bastion CIDR TCP 22 and 172.31.3.0/24 ssh 22: one rule (D7)", () => {
    ingress(SG.workers, tcp(22), cidr("172.31.3.0/24"));
    expect(
      rules("aws_vpc_security_group_ingress_rule").filter(
        (r) => r.security_group_id === SG.workers && r.from_port === 22,
      ),
    ).toHaveLength(1);
  });
  test("172.31.2.0/24 ALL 30000-32767 -> tcp and udp (D5)", () => {
    ingress(SG.workers, tcp(30000, 32767), cidr("172.31.2.0/24"));
    ingress(SG.workers, udp(30000, 32767), cidr("172.31.2.0/24"));
  });
  test("172.31.2.0/24 ALL 10256 -> tcp and udp (D5)", () => {
    ingress(SG.workers, tcp(10256), cidr("172.31.2.0/24"));
    ingress(SG.workers, udp(10256), cidr("172.31.2.0/24"));
  });
  test("no other ingress but A13 (pods to kubelet 10250)", () => {
    ingress(SG.workers, tcp(10250), cidr("172.31.32.0/19"));
    expect(countOf("aws_vpc_security_group_ingress_rule", SG.workers)).toBe(8);
  });
});

describe("sg-worker-nodes egress", () => {
  test("172.31.32.0/19 ALL ALL Worker -> Pods", () => egress(SG.workers, all, cidr("172.31.32.0/19")));
  test("0.0.0.0/0 ICMP 3,4", () => egress(SG.workers, icmp34, cidr("0.0.0.0/0")));
  test("AWS Services (VPCE) TCP ALL", () => egress(SG.workers, tcp(0, 65535), S3));
  test("172.31.0.0/29 TCP 6443 Worker -> API Server (the /28)", () =>
    egress(SG.workers, tcp(6443), cidr("172.31.0.0/28")));
  test("172.31.0.0/29 TCP 12250 Worker -> API Server", () => egress(SG.workers, tcp(12250), cidr("172.31.0.0/28")));
});

// Configured peers are Terraform list variables (one rule per CIDR through for_each).
const clients = { for_each: "${toset(var.load_balancer_client_cidrs)}", cidr_ipv4: "${each.value}" };
const admins = { for_each: "${toset(var.bastion_admin_cidrs)}", cidr_ipv4: "${each.value}" };

describe("sg-loadbalancers ingress", () => {
  test("0.0.0.0/0 or specific CIDR, TCP/UDP App-specific: default tcp 80 and 443 from 0.0.0.0/0", () => {
    ingress(SG.lb, tcp(80), clients);
    ingress(SG.lb, tcp(443), clients);
    expect(variableDefaults(s, ["load_balancer_client_cidrs"])).toEqual([["0.0.0.0/0"]]);
    expect(countOf("aws_vpc_security_group_ingress_rule", SG.lb)).toBe(2);
  });
  test("configured listeners and client CIDRs", () => {
    const c = synthCluster({
      loadBalancers: {
        clientCidrs: ["198.51.100.0/24", "203.0.113.0/24"],
        listeners: [{ port: 8443 }, { port: 53, protocol: "udp" }],
      },
    });
    expect(variableDefaults(c, ["load_balancer_client_cidrs"])).toEqual([["198.51.100.0/24", "203.0.113.0/24"]]);
    expect(c.text).toHaveResourceWithProperties(VpcSecurityGroupIngressRule, {
      security_group_id: SG.lb,
      ...tcp(8443),
      ...clients,
    });
    expect(c.text).toHaveResourceWithProperties(VpcSecurityGroupIngressRule, {
      security_group_id: SG.lb,
      ...udp(53),
      ...clients,
    });
  });
});

describe("sg-loadbalancers egress", () => {
  test("172.31.1.0/24 ALL 30000-32767 LB -> NodePort (tcp and udp)", () => {
    egress(SG.lb, tcp(30000, 32767), cidr("172.31.1.0/24"));
    egress(SG.lb, udp(30000, 32767), cidr("172.31.1.0/24"));
  });
  test("172.31.1.0/24 ALL 10256 LB -> kube-proxy (tcp and udp)", () => {
    egress(SG.lb, tcp(10256), cidr("172.31.1.0/24"));
    egress(SG.lb, udp(10256), cidr("172.31.1.0/24"));
  });
  test("nothing towards the API endpoint", () => expect(countOf("aws_vpc_security_group_egress_rule", SG.lb)).toBe(4));
});

describe("sg-bastion ingress", () => {
  test("0.0.0.0/0 TCP 22 SSH (the spec's default)", () => {
    ingress(SG.bastion, tcp(22), admins);
    expect(variableDefaults(s, ["bastion_admin_cidrs"])).toEqual([["0.0.0.0/0"]]);
  });
  test("configured admin CIDRs replace 0.0.0.0/0", () => {
    const c = synthCluster({ bastion: { adminCidrs: ["203.0.113.10/32"] } });
    expect(variableDefaults(c, ["bastion_admin_cidrs"])).toEqual([["203.0.113.10/32"]]);
    expect(c.text).toHaveResourceWithProperties(VpcSecurityGroupIngressRule, {
      security_group_id: SG.bastion,
      ...tcp(22),
      ...admins,
    });
  });
});

describe("sg-bastion egress", () => {
  test("172.31.0.0/29 TCP 6443 kubectl", () => egress(SG.bastion, tcp(6443), cidr("172.31.0.0/28")));
  test("172.31.0.0/29 TCP 22 SSH to api-endpoints", () => egress(SG.bastion, tcp(22), cidr("172.31.0.0/28")));
  test("172.31.1.0/24 TCP 22 SSH to Worker", () => egress(SG.bastion, tcp(22), cidr("172.31.1.0/24")));
});

describe("additions", () => {
  test("A4 control-plane peers: etcd 2379-2380, 6443, 10250 within the API endpoint group, both ways", () => {
    for (const p of [tcp(2379, 2380), tcp(6443), tcp(10250)]) {
      ingress(SG.api, p, { referenced_security_group_id: SG.api });
      egress(SG.api, p, { referenced_security_group_id: SG.api });
    }
  });
  test("A5 internal API load balancer: 6443 from and to the API endpoint subnet", () => {
    ingress(SG.api, tcp(6443), cidr("172.31.0.0/28"));
    egress(SG.api, tcp(6443), cidr("172.31.0.0/28"));
  });
  test("A6 bootstrap egress: tcp 80/443 to 0.0.0.0/0 from control plane and workers", () => {
    for (const sg of [SG.api, SG.workers]) for (const p of [80, 443]) egress(sg, tcp(p), cidr("0.0.0.0/0"));
  });
  test("A6 is switched off by bootstrapEgress: false", () => {
    const c = synthCluster({ bootstrapEgress: false });
    for (const sg of [SG.api, SG.workers])
      expect(c.text).not.toHaveResourceWithProperties(VpcSecurityGroupEgressRule, {
        security_group_id: sg,
        ...tcp(443),
        cidr_ipv4: "0.0.0.0/0",
      });
  });
  test("A7 bastion HTTPS out for Session Manager", () => egress(SG.bastion, tcp(443), cidr("0.0.0.0/0")));
  test("A8 pods group: from pods, workers and the control plane; all egress", () => {
    ingress(SG.pods, all, { referenced_security_group_id: SG.pods });
    ingress(SG.pods, all, cidr("172.31.1.0/24"));
    ingress(SG.pods, all, cidr("172.31.0.0/28"));
    egress(SG.pods, all, cidr("0.0.0.0/0"));
  });
});

describe("azCount 3: tier peers follow the per-AZ subnets", () => {
  const c = synthCluster({ azCount: 3 });
  test("worker ingress 10250 from each API endpoint /28", () => {
    for (const sub of ["172.31.0.0/28", "172.31.0.16/28", "172.31.0.32/28"])
      expect(c.text).toHaveResourceWithProperties(VpcSecurityGroupIngressRule, {
        security_group_id: SG.workers,
        ...tcp(10250),
        cidr_ipv4: sub,
      });
  });
  test("API ingress 6443 from each worker /26", () => {
    for (const sub of ["172.31.1.0/26", "172.31.1.64/26", "172.31.1.128/26"])
      expect(c.text).toHaveResourceWithProperties(VpcSecurityGroupIngressRule, {
        security_group_id: SG.api,
        ...tcp(6443),
        cidr_ipv4: sub,
      });
  });
  test("no literal spec CIDR that no longer matches a subnet", () => {
    const cidrs = Object.values(
      (c.json.resource as any).aws_vpc_security_group_ingress_rule as Record<string, any>,
    ).map((r) => r.cidr_ipv4);
    expect(cidrs).not.toContain("172.31.1.0/24");
    expect(cidrs).not.toContain("172.31.0.0/29");
  });
});

/**
 * Each group's whole rule set, exactly: the spec's rows as AWS rules plus the additions (A4-A8,
 * A13: docs/additions.md, "Additions beyond the spec's tables"), one line per rule as "direction
 * protocol port(s) peer". A rule more, a rule less or a widened one fails here even where the
 * row-by-row tests above still find theirs.
 */
describe("exact rule set of every group (azCount 1, defaults)", () => {
  const name = (ref: string) => ref.replace(/^\$\{aws_security_group\.(.*)\.id\}$/, "sg:$1");
  const peerOf = (r: any) =>
    r.cidr_ipv4 === "${each.value}"
      ? `each of ${r.for_each.replace(/^\$\{toset\((.*)\)\}$/, "$1")}`
      : (r.cidr_ipv4 ??
        (r.referenced_security_group_id
          ? name(r.referenced_security_group_id)
          : r.prefix_list_id === S3.prefix_list_id
            ? "s3-prefix-list"
            : JSON.stringify(r)));
  const portOf = (r: any) =>
    r.ip_protocol === "-1"
      ? "all"
      : r.ip_protocol === "icmp"
        ? `icmp ${r.from_port}/${r.to_port}`
        : `${r.ip_protocol} ${r.from_port === r.to_port ? r.from_port : `${r.from_port}-${r.to_port}`}`;
  const ruleSet = (sg: string) =>
    (["ingress", "egress"] as const)
      .flatMap((dir) =>
        rules(`aws_vpc_security_group_${dir}_rule`)
          .filter((r) => r.security_group_id === sg)
          .map((r) => `${dir} ${portOf(r)} ${peerOf(r)}`),
      )
      .sort();
  const exactly = (lines: string[]) => [...lines].sort();

  test("sg-k8s-api-endpoint: 7 spec ingress, 6 spec egress rows, A4 peers, A5 LB, A6 egress, A13 kubelet", () =>
    expect(ruleSet(SG.api)).toEqual(
      exactly([
        // spec ingress rows
        "ingress tcp 6443 172.31.1.0/24",
        "ingress tcp 12250 172.31.1.0/24",
        "ingress icmp 3/4 172.31.1.0/24",
        "ingress tcp 6443 172.31.32.0/19",
        "ingress tcp 12250 172.31.32.0/19",
        "ingress tcp 6443 172.31.3.0/24",
        "ingress tcp 22 172.31.3.0/24",
        // spec egress rows
        "egress tcp 0-65535 s3-prefix-list",
        "egress icmp 3/4 s3-prefix-list",
        "egress tcp 10250 172.31.1.0/24",
        "egress icmp 3/4 172.31.1.0/24",
        "egress all 172.31.32.0/19",
        "egress tcp 22 172.31.3.0/24",
        // A4: control-plane peers (etcd, API, kubelet)
        "ingress tcp 2379-2380 sg:sg_api_endpoint",
        "egress tcp 2379-2380 sg:sg_api_endpoint",
        "ingress tcp 6443 sg:sg_api_endpoint",
        "egress tcp 6443 sg:sg_api_endpoint",
        "ingress tcp 10250 sg:sg_api_endpoint",
        "egress tcp 10250 sg:sg_api_endpoint",
        // A5: the internal API load balancer in the API endpoint subnet
        "ingress tcp 6443 172.31.0.0/28",
        "egress tcp 6443 172.31.0.0/28",
        // A6: bootstrap egress through the NAT gateway
        "egress tcp 80 0.0.0.0/0",
        "egress tcp 443 0.0.0.0/0",
        // A13: pods to every kubelet
        "ingress tcp 10250 172.31.32.0/19",
      ]),
    ));

  test("sg-worker-nodes: the spec's rows, A6 egress, A13 kubelet", () =>
    expect(ruleSet(SG.workers)).toEqual(
      exactly([
        "ingress tcp 10250 172.31.0.0/28",
        "ingress icmp 3/4 0.0.0.0/0",
        "ingress tcp 22 172.31.3.0/24",
        "ingress tcp 30000-32767 172.31.2.0/24",
        "ingress udp 30000-32767 172.31.2.0/24",
        "ingress tcp 10256 172.31.2.0/24",
        "ingress udp 10256 172.31.2.0/24",
        "egress all 172.31.32.0/19",
        "egress icmp 3/4 0.0.0.0/0",
        "egress tcp 0-65535 s3-prefix-list",
        "egress tcp 6443 172.31.0.0/28",
        "egress tcp 12250 172.31.0.0/28",
        // A6: bootstrap egress through the NAT gateway
        "egress tcp 80 0.0.0.0/0",
        "egress tcp 443 0.0.0.0/0",
        // A13: pods to every kubelet
        "ingress tcp 10250 172.31.32.0/19",
      ]),
    ));

  test("sg-loadbalancers: a rule per listener from client CIDRs (variable); NodePorts, kube-proxy to workers", () =>
    expect(ruleSet(SG.lb)).toEqual(
      exactly([
        "ingress tcp 80 each of var.load_balancer_client_cidrs",
        "ingress tcp 443 each of var.load_balancer_client_cidrs",
        "egress tcp 30000-32767 172.31.1.0/24",
        "egress udp 30000-32767 172.31.1.0/24",
        "egress tcp 10256 172.31.1.0/24",
        "egress udp 10256 172.31.1.0/24",
      ]),
    ));

  test("sg-bastion: SSH from the admin CIDRs (variable), SSH and kubectl out, A7 its own way out", () =>
    expect(ruleSet(SG.bastion)).toEqual(
      exactly([
        "ingress tcp 22 each of var.bastion_admin_cidrs",
        "egress tcp 6443 172.31.0.0/28",
        "egress tcp 22 172.31.0.0/28",
        "egress tcp 22 172.31.1.0/24",
        // A7: the bastion's own way out
        "egress tcp 80 0.0.0.0/0",
        "egress tcp 443 0.0.0.0/0",
      ]),
    ));

  test("pods (A8): all from the control plane, the workers and other pods; all out", () =>
    expect(ruleSet(SG.pods)).toEqual(
      exactly([
        "ingress all 172.31.0.0/28",
        "ingress all 172.31.1.0/24",
        "ingress all sg:sg_pods",
        "egress all 0.0.0.0/0",
      ]),
    ));

  test("no rule belongs to a group that is not one of these five", () => {
    const groups = new Set(Object.values(SG));
    const stray = [
      ...rules("aws_vpc_security_group_ingress_rule"),
      ...rules("aws_vpc_security_group_egress_rule"),
    ].filter((r) => !groups.has(r.security_group_id));
    expect(stray).toEqual([]);
  });
});
