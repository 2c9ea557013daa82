/**
 * The network plan (src/aws/network-plan.ts), where the spec's network tables meet AWS: which
 * deviation of the README's table applies to which tier (D1 the /29 built as a /28, D2 one subnet
 * per zone, D3 the public bastion, D9 the pods tier without a subnet table, D10 the route table
 * names the tables disagree on), and the route tables with where each route comes from.
 */
import { planNetwork } from "../src/aws/network-plan";
import { resolveConfig } from "../src/config";

const plan = (input: Record<string, unknown> = {}) => planNetwork(resolveConfig(input));
const deviationsOf = (input: Record<string, unknown> = {}) =>
  Object.fromEntries(Object.values(plan(input).tiers).map((t) => [t.id, t.deviations]));

describe("deviations per tier", () => {
  test("one zone: D1 and D10 on the API endpoint tier, D10 on the workers, D3 on the bastion, D9 on pods", () =>
    expect(deviationsOf()).toEqual({
      apiEndpoint: ["D1", "D10"],
      workers: ["D10"],
      loadBalancers: [],
      bastion: ["D3"],
      pods: ["D9"],
    }));
  test("three zones: D2 on every tier as well", () =>
    expect(deviationsOf({ azCount: 3 })).toEqual({
      apiEndpoint: ["D2", "D1", "D10"],
      workers: ["D2", "D10"],
      loadBalancers: ["D2"],
      bastion: ["D2", "D3"],
      pods: ["D9", "D2"],
    }));
  test("a configured API endpoint block is not the spec's /29: no D1", () =>
    expect(deviationsOf({ network: { subnets: { apiEndpoint: "172.31.0.0/28" } } }).apiEndpoint).toEqual(["D10"]));
});

describe("tiers", () => {
  test("route tables, public or not, and the spec's names", () =>
    expect(Object.values(plan().tiers).map((t) => [t.id, t.routeTable, t.public, t.specName])).toEqual([
      ["apiEndpoint", "rtb-k8s-api-endpoint", false, "KubernetesAPIendpoint"],
      ["workers", "rtb-worker-nodes", false, "workernodes"],
      ["loadBalancers", "rtb-loadbalancers", true, "loadbalancers"],
      ["bastion", "rtb-bastion", true, "bastion"],
      ["pods", "rtb-pods", false, "pods"],
    ]));
  test("the VPC resolves DNS and names hosts; one NAT gateway in the first zone; the S3 gateway endpoint", () => {
    const p = plan({ azCount: 2 });
    expect([p.enableDnsSupport, p.enableDnsHostnames, p.natGatewayAzs, p.gatewayEndpoints]).toEqual([
      true,
      true,
      ["ap-northeast-2a"],
      ["s3"],
    ]);
    expect(plan({ azCount: 2, natGateways: "perAz" }).natGatewayAzs).toEqual(["ap-northeast-2a", "ap-northeast-2b"]);
  });
});

describe("route tables", () => {
  test("each with the spec's other name (D10), its routes and where each comes from", () =>
    expect(plan().routeTables).toEqual([
      {
        name: "rtb-k8s-api-endpoint",
        aliases: ["rtb-KubernetesAPIendpoint"],
        tier: "apiEndpoint",
        routes: [
          { destination: "0.0.0.0/0", target: "nat", origin: "spec" },
          { destination: "s3", target: "s3Endpoint", origin: "spec" },
        ],
        specHeading: "Route Table for Kubernetes API Endpoint Subnet",
      },
      {
        name: "rtb-worker-nodes",
        aliases: ["rtb-workernodes"],
        tier: "workers",
        routes: [
          { destination: "0.0.0.0/0", target: "nat", origin: "addition", why: "bootstrap egress (A1)" },
          { destination: "s3", target: "s3Endpoint", origin: "spec" },
        ],
        specHeading: "Route Table for Worker Nodes Subnet",
      },
      {
        name: "rtb-pods",
        aliases: [],
        tier: "pods",
        routes: [
          { destination: "0.0.0.0/0", target: "nat", origin: "spec" },
          { destination: "s3", target: "s3Endpoint", origin: "spec" },
        ],
        specHeading: "Route Table for Pods Subnet",
      },
      {
        name: "rtb-loadbalancers",
        aliases: [],
        tier: "loadBalancers",
        routes: [{ destination: "0.0.0.0/0", target: "igw", origin: "spec" }],
        specHeading: "Route Table for Public Load Balancers Subnet",
      },
      {
        name: "rtb-bastion",
        aliases: [],
        tier: "bastion",
        routes: [{ destination: "0.0.0.0/0", target: "igw", origin: "addition", why: "public bastion (D3)" }],
      },
    ]));
  test("without bootstrap egress the workers' table has only the spec's S3 route", () =>
    expect(plan({ bootstrapEgress: false }).routeTables[1].routes).toEqual([
      { destination: "s3", target: "s3Endpoint", origin: "spec" },
    ]));
});

describe("problems of the network configuration", () => {
  const problem = (input: Record<string, unknown>) => {
    try {
      plan(input);
    } catch (e) {
      return (e as Error).message;
    }
    return "accepted";
  };
  test("every spec block outside a configured VPC: one line naming them all", () =>
    expect(problem({ network: { vpcCidr: "10.0.0.0/16" } })).toBe(
      'invalid configuration: network.vpcCidr = "10.0.0.0/16": 172.31.0.0/28 (apiEndpoint), ' +
        "172.31.1.0/24 (workers), 172.31.2.0/24 (loadBalancers), 172.31.3.0/24 (bastion), 172.31.32.0/19 (pods) " +
        "are not inside the VPC 10.0.0.0/16",
    ));
  test("one spec block outside: is, not are", () =>
    expect(problem({ network: { vpcCidr: "172.31.0.0/20" } })).toBe(
      'invalid configuration: network.vpcCidr = "172.31.0.0/20": 172.31.32.0/19 (pods) is not inside ' +
        "the VPC 172.31.0.0/20",
    ));
  test("an overlap is blamed on the configured tier, whichever comes first", () => {
    expect(problem({ network: { subnets: { apiEndpoint: "172.31.1.0/28" } } })).toBe(
      'invalid configuration: network.subnets.apiEndpoint = "172.31.1.0/28": overlaps the workers tier (172.31.1.0/24)',
    );
    expect(problem({ network: { subnets: { pods: "172.31.1.0/24" } } })).toBe(
      'invalid configuration: network.subnets.pods = "172.31.1.0/24": overlaps the workers tier (172.31.1.0/24)',
    );
  });
});
