/**
 * The spec's intent, proven on the synthesized JSON by the flow analysis (stateful security
 * groups, route tables, public/private subnets): one expectation per Description row of the
 * security-group tables, and the denials the architecture exists for.
 */
import { analyzeFlows, Port, FlowModel } from "../tools/flows";
import { synthCluster } from "./helpers/synth";

const tcp = (port: number): Port => ({ protocol: "tcp", port });
const udp = (port: number): Port => ({ protocol: "udp", port });
const icmp34: Port = { protocol: "icmp", icmpType: 3, icmpCode: 4 };
const all: Port = { protocol: "all" };
const S3 = "aws_vpc_endpoint.s3_endpoint";

function suite(title: string, model: () => FlowModel) {
  let m: FlowModel;
  beforeAll(() => (m = model()));
  const allowed = (from: string, to: string, port: Port) => {
    const v = m.check(from, to, port);
    expect({ ...v, reason: v.reason ?? "" }).toMatchObject({ verdict: "allowed" });
  };
  const openPorts = (from: string, to: string) =>
    m.anyAllowed(from, to).map((v) => `${v.port.label ?? v.port.protocol}:${v.verdict}`);

  describe(`${title}: sg-k8s-api-endpoint rows`, () => {
    test("Worker -> API Server 6443", () => allowed("workers", "apiEndpoint", tcp(6443)));
    test("Worker -> API Server 12250 (cluster agent port)", () => allowed("workers", "apiEndpoint", tcp(12250)));
    test("Worker -> API Server: Path MTU Discovery", () => allowed("workers", "apiEndpoint", icmp34));
    test("Pod -> API Server 6443", () => allowed("pods", "apiEndpoint", tcp(6443)));
    test("Pod -> API Server 12250", () => allowed("pods", "apiEndpoint", tcp(12250)));
    test("Bastion -> API Server admin access 6443", () => allowed("bastion", "apiEndpoint", tcp(6443)));
    test("Bastion -> API endpoint SSH 22", () => allowed("bastion", "apiEndpoint", tcp(22)));
    test("API Server -> AWS services (VPCE) TCP", () => allowed("apiEndpoint", S3, tcp(443)));
    test("API Server -> AWS services (VPCE) Path MTU Discovery", () => allowed("apiEndpoint", S3, icmp34));
    test("API Server -> Worker kubelet 10250", () => allowed("apiEndpoint", "workers", tcp(10250)));
    test("API Server -> Worker Path MTU Discovery", () => allowed("apiEndpoint", "workers", icmp34));
    test("API Server -> Pods, all traffic", () => allowed("apiEndpoint", "pods", all));
    test("bastion to ssh (egress to the bastion subnet on 22, as listed)", () =>
      allowed("apiEndpoint", "bastion", tcp(22)));
  });

  describe(`${title}: sg-worker-nodes rows`, () => {
    test("API Server -> Worker kubelet 10250", () => allowed("apiEndpoint", "workers", tcp(10250)));
    test("Path MTU Discovery from 0.0.0.0/0: in from the VPC; the internet cannot address private workers", () => {
      allowed("apiEndpoint", "workers", icmp34);
      expect(m.check("internet", "workers", icmp34).verdict).toBe("denied");
    });
    test("SSH to Worker Nodes from the bastion", () => allowed("bastion", "workers", tcp(22)));
    test("Load balancer -> NodePorts 30000-32767, tcp and udp", () => {
      for (const p of [tcp(30000), tcp(32767), udp(30000), udp(32767)]) allowed("loadBalancers", "workers", p);
    });
    test("LB -> kube-proxy 10256, tcp and udp", () => {
      allowed("loadBalancers", "workers", tcp(10256));
      allowed("loadBalancers", "workers", udp(10256));
    });
    test("Worker -> Pods, all traffic", () => allowed("workers", "pods", all));
    test("Worker -> internet Path MTU Discovery (through the NAT gateway)", () =>
      allowed("workers", "internet", icmp34));
    test("Worker -> AWS Control Plane through the S3 endpoint", () => allowed("workers", S3, tcp(443)));
    test("Worker -> API Server 6443 and 12250", () => {
      allowed("workers", "apiEndpoint", tcp(6443));
      allowed("workers", "apiEndpoint", tcp(12250));
    });
  });

  describe(`${title}: sg-loadbalancers rows`, () => {
    test("LB Listener 80 and 443 from the internet", () => {
      allowed("internet", "loadBalancers", tcp(80));
      allowed("internet", "loadBalancers", tcp(443));
    });
    test("LB -> NodePort and LB -> kube-proxy", () => {
      allowed("loadBalancers", "workers", tcp(31000));
      allowed("loadBalancers", "workers", udp(10256));
    });
  });

  describe(`${title}: sg-bastion rows`, () => {
    test("SSH from the internet", () => allowed("internet", "bastion", tcp(22)));
    test("kubectl API calls", () => allowed("bastion", "apiEndpoint", tcp(6443)));
    test("SSH to api-endpoints", () => allowed("bastion", "apiEndpoint", tcp(22)));
    test("SSH to Worker", () => allowed("bastion", "workers", tcp(22)));
  });

  describe(`${title}: additions`, () => {
    test("control-plane peers: etcd and API between control plane nodes", () => {
      allowed("apiEndpoint", "apiEndpoint", tcp(2379));
      allowed("apiEndpoint", "apiEndpoint", tcp(2380));
      allowed("apiEndpoint", "apiEndpoint", tcp(6443));
    });
    test("bootstrap egress through the NAT gateway", () => {
      allowed("workers", "internet", tcp(443));
      allowed("apiEndpoint", "internet", tcp(443));
    });
  });

  describe(`${title}: what must be denied`, () => {
    test.each(["apiEndpoint", "workers", "pods"])("the internet reaches no %s address on any port", (tier) =>
      expect(openPorts("internet", tier)).toEqual([]),
    );
    test("load balancers reach workers only on the NodePort range and 10256", () =>
      expect(openPorts("loadBalancers", "workers").sort()).toEqual([
        "tcp/10256:allowed",
        "tcp/30000-32767:allowed",
        "udp/10256:allowed",
        "udp/30000-32767:allowed",
      ]));
    test("load balancers never reach the API endpoint", () =>
      expect(openPorts("loadBalancers", "apiEndpoint")).toEqual([]));
    test("load balancers never reach pods or the bastion", () => {
      expect(openPorts("loadBalancers", "pods")).toEqual([]);
      expect(openPorts("loadBalancers", "bastion")).toEqual([]);
    });
    test("the bastion reaches workers only on 22", () =>
      expect(openPorts("bastion", "workers")).toEqual(["tcp/22:allowed"]));
    test("workers never reach the bastion", () => expect(openPorts("workers", "bastion")).toEqual([]));
    test("the internet reaches the bastion only on 22 and the load balancers only on their listeners", () => {
      expect(openPorts("internet", "bastion")).toEqual(["tcp/22:allowed"]);
      expect(openPorts("internet", "loadBalancers").sort()).toEqual(["tcp/443:allowed", "tcp/80:allowed"]);
    });
  });
}

/**
 * Every ordered pair of tiers, with exactly the ports open between them and why; every pair and port
 * not listed is denied (an empty list: nothing at all). The tiers: the internet, the four subnets'
 * instances, the pods' ENIs and the S3 gateway endpoint ("s3").
 */
const EXPECTED_OPEN: [from: string, to: string, open: string[], why: string][] = [
  ["internet", "bastion", ["tcp/22"], "sg-bastion: SSH from the admin CIDRs (0.0.0.0/0 as the spec lists)"],
  ["internet", "loadBalancers", ["tcp/80", "tcp/443"], "sg-loadbalancers: the listeners, from the client CIDRs"],
  ["internet", "apiEndpoint", [], "private API endpoint: no route from the internet"],
  ["internet", "workers", [], "private workers"],
  ["internet", "pods", [], "private pods"],
  ["bastion", "internet", ["tcp/80", "tcp/443"], "A7: Session Manager and updates"],
  ["bastion", "bastion", [], "nothing between bastions"],
  ["bastion", "loadBalancers", ["tcp/80", "tcp/443"], "A7 to any address, and the listeners accept 0.0.0.0/0"],
  ["bastion", "apiEndpoint", ["tcp/22", "tcp/6443"], "sg-bastion rows: SSH and kubectl to the API endpoint"],
  ["bastion", "workers", ["tcp/22"], "sg-bastion: SSH to the worker nodes"],
  ["bastion", "pods", [], "the spec grants the bastion nothing to pods"],
  ["bastion", "s3", ["tcp/80", "tcp/443"], "A7 egress (0.0.0.0/0 includes the S3 prefix list)"],
  ["loadBalancers", "internet", [], "load balancers answer, they do not open connections"],
  ["loadBalancers", "bastion", [], "nothing"],
  ["loadBalancers", "loadBalancers", [], "nothing"],
  ["loadBalancers", "apiEndpoint", [], "the public load balancers never reach the API"],
  [
    "loadBalancers",
    "workers",
    ["tcp/10256", "tcp/30000-32767", "udp/10256", "udp/30000-32767"],
    "sg-loadbalancers egress: NodePorts and kube-proxy health",
  ],
  ["loadBalancers", "pods", [], "no pod-direct targets"],
  ["loadBalancers", "s3", [], "nothing"],
  ["apiEndpoint", "internet", ["tcp/80", "tcp/443"], "A6: bootstrap egress through the NAT gateway"],
  ["apiEndpoint", "bastion", ["tcp/22"], "sg-k8s-api-endpoint egress row: bastion subnet on 22, as listed"],
  ["apiEndpoint", "loadBalancers", ["tcp/80", "tcp/443"], "A6 egress to any address"],
  [
    "apiEndpoint",
    "apiEndpoint",
    ["tcp/2379-2380", "tcp/6443", "tcp/10250"],
    "A4 control-plane peers (etcd, API, kubelet) and A5 the internal API load balancer",
  ],
  ["apiEndpoint", "workers", ["tcp/10250", "icmp 3/4"], "API server to kubelet; Path MTU Discovery"],
  ["apiEndpoint", "pods", ["all traffic"], "API server to pods (webhooks, aggregated APIs)"],
  [
    "apiEndpoint",
    "s3",
    ["tcp/all", "icmp 3/4"],
    "sg-k8s-api-endpoint egress: AWS services (VPCE) TCP and Path MTU Discovery",
  ],
  ["workers", "internet", ["tcp/80", "tcp/443", "icmp 3/4"], "A6 bootstrap egress; Path MTU Discovery"],
  ["workers", "bastion", [], "workers never reach the bastion"],
  ["workers", "loadBalancers", ["tcp/80", "tcp/443"], "A6 egress to any address"],
  [
    "workers",
    "apiEndpoint",
    ["tcp/6443", "tcp/12250", "icmp 3/4"],
    "sg-k8s-api-endpoint ingress rows from the worker subnet",
  ],
  ["workers", "workers", ["icmp 3/4"], "only Path MTU Discovery between nodes: pods have their own ENIs"],
  ["workers", "pods", ["all traffic"], "worker to pods (kubelet probes)"],
  ["workers", "s3", ["tcp/all", "icmp 3/4"], "sg-worker-nodes egress: AWS Control Plane (VPCE)"],
  ["pods", "internet", ["all traffic"], "sg-pods egress: all, through the NAT gateway"],
  ["pods", "bastion", ["tcp/22"], "sg-bastion SSH from 0.0.0.0/0 (the spec's admin CIDR) includes the pods"],
  ["pods", "loadBalancers", ["tcp/80", "tcp/443"], "the listeners accept 0.0.0.0/0"],
  [
    "pods",
    "apiEndpoint",
    ["tcp/6443", "tcp/10250", "tcp/12250"],
    "Pod -> API server rows, and A13 pods to every kubelet",
  ],
  ["pods", "workers", ["tcp/10250", "icmp 3/4"], "A13 pods to every kubelet; Path MTU Discovery from 0.0.0.0/0"],
  ["pods", "pods", ["all traffic"], "A8 pod to pod"],
  ["pods", "s3", ["all traffic"], "sg-pods egress: all"],
];
const TIER_NAMES = ["internet", "bastion", "loadBalancers", "apiEndpoint", "workers", "pods", "s3"];

function everyPair(title: string, model: () => FlowModel) {
  let m: FlowModel;
  beforeAll(() => (m = model()));
  describe(`${title}: every pair of tiers, exactly these ports and nothing else`, () => {
    test("the table covers every ordered pair (the S3 endpoint only as a destination)", () => {
      const pairs = EXPECTED_OPEN.map(([a, b]) => `${a}->${b}`).sort();
      const all = TIER_NAMES.filter((t) => t !== "s3")
        .flatMap((a) =>
          TIER_NAMES.filter((b) => !(a === "internet" && (b === "internet" || b === "s3"))).map((b) => `${a}->${b}`),
        )
        .sort();
      expect(pairs).toEqual(all);
    });
    test.each(EXPECTED_OPEN)("%s -> %s: %j (%s)", (from, to, open) => {
      const ports = m.anyAllowed(from, to === "s3" ? S3 : to);
      expect(ports.every((v) => v.verdict === "allowed")).toBe(true);
      expect(ports.map((v) => v.port.label ?? v.port.protocol).sort()).toEqual([...open].sort());
    });
    test("etcd (2379-2380) is open only between control-plane peers", () => {
      const toEtcd = EXPECTED_OPEN.filter(([, to]) => to === "apiEndpoint").flatMap(([from]) =>
        [tcp(2379), tcp(2380)].map((p) => `${from}:${p.port}:${m.check(from, "apiEndpoint", p).verdict}`),
      );
      expect(toEtcd.filter((v) => v.endsWith(":allowed"))).toEqual([
        "apiEndpoint:2379:allowed",
        "apiEndpoint:2380:allowed",
      ]);
    });
  });
}

everyPair("azCount 1", () => analyzeFlows(synthCluster().json));
everyPair("azCount 3, per-AZ NAT", () => analyzeFlows(synthCluster({ azCount: 3, natGateways: "perAz" }).json));

suite("azCount 1", () => analyzeFlows(synthCluster().json));
suite("azCount 3, per-AZ NAT", () => analyzeFlows(synthCluster({ azCount: 3, natGateways: "perAz" }).json));
