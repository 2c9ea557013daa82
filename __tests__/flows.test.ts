/**
 * The spec's intent, proven on the synthesized JSON by the flow analysis (stateful security
 * groups, route tables, public/private subnets): one expectation per Description row of the
 * security-group tables, and the denials the architecture exists for.
 */
import { analyzeFlows, Port, FlowModel } from "../src/analysis/flows";
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
  const openPorts = (from: string, to: string) => m.anyAllowed(from, to).map((v) => `${v.port.label ?? v.port.protocol}:${v.verdict}`);

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
    test("bastion to ssh (egress to the bastion subnet on 22, as listed)", () => allowed("apiEndpoint", "bastion", tcp(22)));
  });

  describe(`${title}: sg-worker-nodes rows`, () => {
    test("API Server -> Worker kubelet 10250", () => allowed("apiEndpoint", "workers", tcp(10250)));
    test("Path MTU Discovery from 0.0.0.0/0: in from inside the VPC; the internet cannot address private workers", () => {
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
    test("Worker -> internet Path MTU Discovery (through the NAT gateway)", () => allowed("workers", "internet", icmp34));
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
    test.each(["apiEndpoint", "workers", "pods"])("the internet reaches no %s address on any port", (tier) => expect(openPorts("internet", tier)).toEqual([]));
    test("load balancers reach workers only on the NodePort range and 10256", () =>
      expect(openPorts("loadBalancers", "workers").sort()).toEqual(["tcp/10256:allowed", "tcp/30000-32767:allowed", "udp/10256:allowed", "udp/30000-32767:allowed"]));
    test("load balancers never reach the API endpoint", () => expect(openPorts("loadBalancers", "apiEndpoint")).toEqual([]));
    test("load balancers never reach pods or the bastion", () => {
      expect(openPorts("loadBalancers", "pods")).toEqual([]);
      expect(openPorts("loadBalancers", "bastion")).toEqual([]);
    });
    test("the bastion reaches workers only on 22", () => expect(openPorts("bastion", "workers")).toEqual(["tcp/22:allowed"]));
    test("workers never reach the bastion", () => expect(openPorts("workers", "bastion")).toEqual([]));
    test("the internet reaches the bastion only on 22 and the load balancers only on their listeners", () => {
      expect(openPorts("internet", "bastion")).toEqual(["tcp/22:allowed"]);
      expect(openPorts("internet", "loadBalancers").sort()).toEqual(["tcp/443:allowed", "tcp/80:allowed"]);
    });
  });
}

suite("azCount 1", () => analyzeFlows(synthCluster().json));
suite("azCount 3, per-AZ NAT", () => analyzeFlows(synthCluster({ azCount: 3, natGateways: "perAz" }).json));
