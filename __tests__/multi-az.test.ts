/** D2: spreading each tier over availability zones (azCount 2 and 3), and the NAT gateway modes. */
import { Subnet } from "@cdktf/provider-aws/lib/subnet";
import { Route } from "@cdktf/provider-aws/lib/route";
import { NatGateway } from "@cdktf/provider-aws/lib/nat-gateway";
import { synthCluster, ref } from "./helpers/synth";
import "./helpers/cdktf-matchers";

const subnetsByName = (json: any) =>
  Object.fromEntries(
    Object.entries(json.resource.aws_subnet).map(([n, b]: [string, any]) => [b.tags.Name, { address: n, ...b }]),
  );

describe("azCount 3, one NAT gateway (the spec's nat-gateway-0)", () => {
  const s = synthCluster({ azCount: 3 });
  const subnets = subnetsByName(s.json);
  const rows: [string, string, string][] = [
    ["KubernetesAPIendpoint", "172.31.0.0/28", "/28s inside 172.31.0.0/24 (D1)"],
    ["workernodes", "172.31.1.0/26", "172.31.1.0/24 split evenly"],
    ["loadbalancers", "172.31.2.0/26", "172.31.2.0/24 split evenly"],
    ["bastion", "172.31.3.0/26", "172.31.3.0/24 split evenly"],
    ["pods", "172.31.32.0/21", "172.31.32.0/19 split evenly"],
  ];
  const step: Record<string, number> = {
    KubernetesAPIendpoint: 16,
    workernodes: 64,
    loadbalancers: 64,
    bastion: 64,
    pods: 2048,
  };
  const add = (cidr: string, n: number) => {
    const [ip, len] = cidr.split("/");
    const v = ip.split(".").reduce((a, o) => a * 256 + Number(o), 0) + n;
    return `${[24, 16, 8, 0].map((b) => Math.floor(v / 2 ** b) % 256).join(".")}/${len}`;
  };
  test.each(rows)("%s: first subnet %s (%s), one per AZ", (name, first) => {
    ["a", "b", "c"].forEach((l, i) => {
      const sub = subnets[`${name}-ap-northeast-2${l}`];
      expect(sub).toBeDefined();
      expect(sub.availability_zone).toBe(`ap-northeast-2${l}`);
      expect(sub.cidr_block).toBe(add(first, i * step[name]));
    });
  });
  test("15 subnets in all", () => expect(Object.keys(s.json.resource!.aws_subnet)).toHaveLength(15));
  test("a single NAT gateway, nat-gateway-0, serves every private route table", () => {
    expect(Object.keys(s.json.resource!.aws_nat_gateway)).toEqual(["nat_gateway_a"]);
    for (const t of ["rtb_k8s_api_endpoint", "rtb_worker_nodes", "rtb_pods"])
      expect(s.text).toHaveResourceWithProperties(Route, {
        route_table_id: ref(`aws_route_table.${t}`),
        nat_gateway_id: ref("aws_nat_gateway.nat_gateway_a"),
      });
  });
  test("each tier keeps one route table associated with all its subnets", () => {
    const assoc = Object.values(s.json.resource!.aws_route_table_association as Record<string, any>);
    const workers = assoc.filter((a) => a.route_table_id === ref("aws_route_table.rtb_worker_nodes"));
    expect(workers.map((a) => a.subnet_id).sort()).toEqual(["a", "b", "c"].map((l) => ref(`aws_subnet.workers_${l}`)));
  });
});

describe("azCount 3, natGateways perAz", () => {
  const s = synthCluster({ azCount: 3, natGateways: "perAz" });
  test("one NAT gateway per AZ, each in that AZ's loadbalancers subnet", () => {
    ["a", "b", "c"].forEach((l, i) =>
      expect(s.text).toHaveResourceWithProperties(NatGateway, {
        subnet_id: ref(`aws_subnet.load_balancers_${l}`),
        tags: { Name: `nat-gateway-${i}` },
      }),
    );
  });
  test("private tiers get one route table per AZ, pointing at that AZ's NAT", () => {
    for (const t of ["rtb_k8s_api_endpoint", "rtb_worker_nodes", "rtb_pods"])
      for (const l of ["a", "b", "c"])
        expect(s.text).toHaveResourceWithProperties(Route, {
          route_table_id: ref(`aws_route_table.${t}_${l}`),
          destination_cidr_block: "0.0.0.0/0",
          nat_gateway_id: ref(`aws_nat_gateway.nat_gateway_${l}`),
        });
  });
  test("per-AZ route tables are named after the spec's table and the AZ", () => {
    const names = Object.values(s.json.resource!.aws_route_table as Record<string, any>).map((t) => t.tags.Name);
    expect(names).toEqual(
      expect.arrayContaining(["rtb-worker-nodes-ap-northeast-2a", "rtb-pods-ap-northeast-2c", "rtb-loadbalancers"]),
    );
  });
  test("each per-AZ table still routes S3 through the endpoint", () => {
    const s3 = Object.values(s.json.resource!.aws_vpc_endpoint_route_table_association as Record<string, any>);
    expect(s3).toHaveLength(9);
  });
});

describe("azCount 2", () => {
  const s = synthCluster({ azCount: 2 });
  test("tiers split in halves; the API tier in /28s", () => {
    const subnets = subnetsByName(s.json);
    expect(subnets["workernodes-ap-northeast-2b"].cidr_block).toBe("172.31.1.128/25");
    expect(subnets["KubernetesAPIendpoint-ap-northeast-2b"].cidr_block).toBe("172.31.0.16/28");
    expect(subnets["pods-ap-northeast-2b"].cidr_block).toBe("172.31.48.0/20");
  });
  test("explicit availabilityZones are used in order", () => {
    const z = synthCluster({ azCount: 2, availabilityZones: ["ap-northeast-2c", "ap-northeast-2d"] });
    expect(z.text).toHaveResourceWithProperties(Subnet, {
      availability_zone: "ap-northeast-2d",
      cidr_block: "172.31.1.128/25",
    });
  });
});
