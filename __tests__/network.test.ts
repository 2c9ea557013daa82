/**
 * The spec's network tables (VPN 구성 정보, Subnet 구성 정보, AWS Route Table 구성 정보), one
 * describe per table and one expectation per row, for the default single-AZ cluster.
 */
import { Vpc } from "@cdktf/provider-aws/lib/vpc";
import { InternetGateway } from "@cdktf/provider-aws/lib/internet-gateway";
import { NatGateway } from "@cdktf/provider-aws/lib/nat-gateway";
import { Subnet } from "@cdktf/provider-aws/lib/subnet";
import { RouteTable } from "@cdktf/provider-aws/lib/route-table";
import { Route } from "@cdktf/provider-aws/lib/route";
import { RouteTableAssociation } from "@cdktf/provider-aws/lib/route-table-association";
import { VpcEndpoint } from "@cdktf/provider-aws/lib/vpc-endpoint";
import { VpcEndpointRouteTableAssociation } from "@cdktf/provider-aws/lib/vpc-endpoint-route-table-association";
import { VpcDhcpOptions } from "@cdktf/provider-aws/lib/vpc-dhcp-options";
import { Eip } from "@cdktf/provider-aws/lib/eip";
import { synthCluster, resource, ref } from "./helpers/synth";
import "./helpers/cdktf-matchers";

const s = synthCluster();

describe("VPC table (VPN 구성 정보)", () => {
  test("VPN Name k8s-cluster", () =>
    expect(s.text).toHaveResourceWithProperties(Vpc, { tags: { Name: "k8s-cluster" } }));
  test("CIDR Block 172.31.0.0/16", () =>
    expect(s.text).toHaveResourceWithProperties(Vpc, { cidr_block: "172.31.0.0/16" }));
  test("DNS Resolution Enabled", () => expect(s.text).toHaveResourceWithProperties(Vpc, { enable_dns_support: true }));
  test("DNS Hostnames Enabled", () => expect(s.text).toHaveResourceWithProperties(Vpc, { enable_dns_hostnames: true }));
  test("Internet Gateway internet-gateway-0", () =>
    expect(s.text).toHaveResourceWithProperties(InternetGateway, {
      vpc_id: ref("aws_vpc.vpc"),
      tags: { Name: "internet-gateway-0" },
    }));
  test("NAT Gateway nat-gateway-0, with its EIP, in the public loadbalancers subnet", () => {
    expect(s.text).toHaveResourceWithProperties(NatGateway, {
      tags: { Name: "nat-gateway-0" },
      allocation_id: ref("aws_eip.nat_eip_a", "allocation_id"),
      subnet_id: ref("aws_subnet.load_balancers_a"),
    });
    expect(s.text).toHaveResourceWithProperties(Eip, { domain: "vpc" });
    expect(Object.keys(s.json.resource!.aws_nat_gateway)).toHaveLength(1);
  });
  test("VPC Endpoints: S3 as a gateway endpoint", () =>
    expect(s.text).toHaveResourceWithProperties(VpcEndpoint, {
      vpc_id: ref("aws_vpc.vpc"),
      service_name: "com.amazonaws.ap-northeast-2.s3",
      vpc_endpoint_type: "Gateway",
    }));
  test("DHCP Options: the default set (no custom option set is created)", () =>
    expect(s.text).not.toHaveResource(VpcDhcpOptions));
});

const subnetRows: [string, string, string, boolean, string][] = [
  // [spec table, Name, CIDR as built, public, route table]
  [
    "Private Subnet for Kubernetes API Endpoint",
    "KubernetesAPIendpoint",
    "172.31.0.0/28",
    false,
    "rtb_k8s_api_endpoint",
  ],
  ["Private Subnet for Worker Nodes", "workernodes", "172.31.1.0/24", false, "rtb_worker_nodes"],
  ["Public Subnet for Service Load Balancers", "loadbalancers", "172.31.2.0/24", true, "rtb_loadbalancers"],
  ["Public Subnet for Bastion", "bastion", "172.31.3.0/24", true, "rtb_bastion"],
  ["pods subnet (D9, from rtb-pods and the 172.31.32.0/19 rules)", "pods", "172.31.32.0/19", false, "rtb_pods"],
];

describe.each(subnetRows)("Subnet table: %s", (_heading, name, cidr, isPublic, table) => {
  const address = () => {
    const found = Object.entries(s.json.resource!.aws_subnet).find(([, b]) => (b as any).tags.Name === name);
    if (!found) throw new Error(`no subnet named ${name}`);
    return `aws_subnet.${found[0]}`;
  };
  test(`Name ${name}`, () =>
    expect(s.text).toHaveResourceWithProperties(Subnet, { tags: expect.objectContaining({ Name: name }) }));
  test(`CIDR Block ${cidr}`, () => expect(resource(s, address()).cidr_block).toBe(cidr));
  test("Type Regional: one subnet in the single default AZ (D2)", () =>
    expect(resource(s, address()).availability_zone).toBe("ap-northeast-2a"));
  test(`Subnet Access ${isPublic ? "Public" : "Private"}`, () =>
    expect(resource(s, address()).map_public_ip_on_launch).toBe(isPublic));
  test(`Route Table ${table}`, () =>
    expect(s.text).toHaveResourceWithProperties(RouteTableAssociation, {
      subnet_id: ref(address()),
      route_table_id: ref(`aws_route_table.${table}`),
    }));
  test("in the VPC", () => expect(resource(s, address()).vpc_id).toBe(ref("aws_vpc.vpc")));
  test("DHCP Options Default / DNS Resolution Selected: the VPC resolves DNS with AWS's DHCP options, not ours", () => {
    expect(resource(s, "aws_vpc.vpc").enable_dns_support).toBe(true);
    expect(s.json.resource!.aws_vpc_dhcp_options).toBeUndefined();
    expect(s.json.resource!.aws_vpc_dhcp_options_association).toBeUndefined();
  });
});

describe("Subnet table rows AWS changes", () => {
  test("KubernetesAPIendpoint 172.31.0.0/29 becomes the enclosing /28 (D1)", () =>
    expect(s.text).toHaveResourceWithProperties(Subnet, {
      tags: expect.objectContaining({ Name: "KubernetesAPIendpoint" }),
      cidr_block: "172.31.0.0/28",
    }));
  test("bastion is public although its table says Private (D3)", () =>
    expect(s.text).toHaveResourceWithProperties(Subnet, {
      tags: expect.objectContaining({ Name: "bastion" }),
      map_public_ip_on_launch: true,
    }));
  test("private subnets do not map public IPs", () => {
    for (const name of ["KubernetesAPIendpoint", "workernodes", "pods"])
      expect(s.text).toHaveResourceWithProperties(Subnet, {
        tags: expect.objectContaining({ Name: name }),
        map_public_ip_on_launch: false,
      });
  });
  test("cloud controller tags: cluster on every subnet, role/elb on loadbalancers", () => {
    expect(s.text).toHaveResourceWithProperties(Subnet, {
      tags: expect.objectContaining({
        Name: "loadbalancers",
        "kubernetes.io/role/elb": "1",
        "kubernetes.io/cluster/k8s-cluster": "owned",
      }),
    });
    for (const b of Object.values(s.json.resource!.aws_subnet))
      expect((b as any).tags["kubernetes.io/cluster/k8s-cluster"]).toBe("owned");
  });
});

function routesOfTable(table: string) {
  return Object.values(s.json.resource!.aws_route as Record<string, any>).filter(
    (r) => r.route_table_id === ref(`aws_route_table.${table}`),
  );
}
function s3AssociationsOf(table: string) {
  return Object.values(s.json.resource!.aws_vpc_endpoint_route_table_association as Record<string, any>).filter(
    (r) => r.route_table_id === ref(`aws_route_table.${table}`),
  );
}

describe("Route table rtb-k8s-api-endpoint", () => {
  test("Name rtb-k8s-api-endpoint", () =>
    expect(s.text).toHaveResourceWithProperties(RouteTable, { tags: { Name: "rtb-k8s-api-endpoint" } }));
  test("0.0.0.0/0 -> NAT Gateway (nat-gateway-0)", () =>
    expect(s.text).toHaveResourceWithProperties(Route, {
      route_table_id: ref("aws_route_table.rtb_k8s_api_endpoint"),
      destination_cidr_block: "0.0.0.0/0",
      nat_gateway_id: ref("aws_nat_gateway.nat_gateway_a"),
    }));
  test("AWS Services (S3) -> VPC Endpoint", () =>
    expect(s.text).toHaveResourceWithProperties(VpcEndpointRouteTableAssociation, {
      route_table_id: ref("aws_route_table.rtb_k8s_api_endpoint"),
      vpc_endpoint_id: ref("aws_vpc_endpoint.s3_endpoint"),
    }));
  test("no other routes", () => expect(routesOfTable("rtb_k8s_api_endpoint")).toHaveLength(1));
});

describe("Route table rtb-worker-nodes", () => {
  test("Name rtb-worker-nodes", () =>
    expect(s.text).toHaveResourceWithProperties(RouteTable, { tags: { Name: "rtb-worker-nodes" } }));
  test("AWS Services -> VPC Endpoint", () => expect(s3AssociationsOf("rtb_worker_nodes")).toHaveLength(1));
  test("addition A1: 0.0.0.0/0 -> NAT for bootstrap egress", () =>
    expect(s.text).toHaveResourceWithProperties(Route, {
      route_table_id: ref("aws_route_table.rtb_worker_nodes"),
      destination_cidr_block: "0.0.0.0/0",
      nat_gateway_id: ref("aws_nat_gateway.nat_gateway_a"),
    }));
  test("with bootstrapEgress off, only the spec's endpoint route remains", () => {
    const off = synthCluster({ bootstrapEgress: false });
    const routes = Object.values(off.json.resource!.aws_route as Record<string, any>).filter(
      (r) => r.route_table_id === ref("aws_route_table.rtb_worker_nodes"),
    );
    expect(routes).toHaveLength(0);
    expect(off.text).toHaveResourceWithProperties(VpcEndpointRouteTableAssociation, {
      route_table_id: ref("aws_route_table.rtb_worker_nodes"),
    });
  });
});

describe("Route table rtb-pods", () => {
  test("Name rtb-pods", () => expect(s.text).toHaveResourceWithProperties(RouteTable, { tags: { Name: "rtb-pods" } }));
  test("0.0.0.0/0 -> NAT Gateway (nat-gateway-0)", () =>
    expect(s.text).toHaveResourceWithProperties(Route, {
      route_table_id: ref("aws_route_table.rtb_pods"),
      destination_cidr_block: "0.0.0.0/0",
      nat_gateway_id: ref("aws_nat_gateway.nat_gateway_a"),
    }));
  test("AWS Services -> VPC Endpoint", () => expect(s3AssociationsOf("rtb_pods")).toHaveLength(1));
});

describe("Route table rtb-loadbalancers", () => {
  test("Name rtb-loadbalancers", () =>
    expect(s.text).toHaveResourceWithProperties(RouteTable, { tags: { Name: "rtb-loadbalancers" } }));
  test("0.0.0.0/0 -> Internet Gateway (igw-0)", () =>
    expect(s.text).toHaveResourceWithProperties(Route, {
      route_table_id: ref("aws_route_table.rtb_loadbalancers"),
      destination_cidr_block: "0.0.0.0/0",
      gateway_id: ref("aws_internet_gateway.internet_gateway"),
    }));
  test("no S3 endpoint route (the spec lists none)", () =>
    expect(s3AssociationsOf("rtb_loadbalancers")).toHaveLength(0));
});

describe("Route table rtb-bastion (addition for D3)", () => {
  test("0.0.0.0/0 -> Internet Gateway", () =>
    expect(s.text).toHaveResourceWithProperties(Route, {
      route_table_id: ref("aws_route_table.rtb_bastion"),
      destination_cidr_block: "0.0.0.0/0",
      gateway_id: ref("aws_internet_gateway.internet_gateway"),
    }));
});

describe("every subnet is explicitly associated", () => {
  test("one association per subnet", () => {
    const assoc = Object.values(s.json.resource!.aws_route_table_association as Record<string, any>).map(
      (a) => a.subnet_id,
    );
    const subnets = Object.keys(s.json.resource!.aws_subnet).map((n) => ref(`aws_subnet.${n}`));
    expect(assoc.sort()).toEqual(subnets.sort());
  });
});

/**
 * Each route table's whole route set, exactly ("no other routes" for every table): its aws_route
 * resources, its S3 gateway endpoint association, and no inline routes. azCount 3 with per-AZ NAT
 * gives each private table of a zone that zone's NAT gateway.
 */
describe("exact routes of every route table", () => {
  const routeSet = (synth: ReturnType<typeof synthCluster>) => {
    const tables = synth.json.resource!.aws_route_table as Record<string, any>;
    const target = (r: any) =>
      (r.nat_gateway_id ?? r.gateway_id ?? JSON.stringify(r)).replace(/^\$\{aws_(\w+)\.(\w+)\.id\}$/, "$1.$2");
    const endpoint = (address: string) => address.replace(/^\$\{aws_vpc_endpoint\.(\w+)\.id\}$/, "vpc_endpoint.$1");
    return Object.fromEntries(
      Object.entries(tables).map(([name, t]) => {
        const id = ref(`aws_route_table.${name}`);
        const routes = Object.values(synth.json.resource!.aws_route as Record<string, any>)
          .filter((r) => r.route_table_id === id)
          .map((r) => `${r.destination_cidr_block} -> ${target(r)}`);
        const s3 = Object.values(
          (synth.json.resource!.aws_vpc_endpoint_route_table_association ?? {}) as Record<string, any>,
        )
          .filter((a) => a.route_table_id === id)
          .map((a) => `S3 prefix list -> ${endpoint(a.vpc_endpoint_id)}`);
        return [name, [...routes, ...s3, ...(t.route === undefined ? [] : ["inline routes"])].sort()];
      }),
    );
  };

  test("azCount 1: the spec's routes, A1 for the workers, the bastion's (D3); nothing else", () =>
    expect(routeSet(s)).toEqual({
      rtb_k8s_api_endpoint: ["0.0.0.0/0 -> nat_gateway.nat_gateway_a", "S3 prefix list -> vpc_endpoint.s3_endpoint"],
      rtb_worker_nodes: ["0.0.0.0/0 -> nat_gateway.nat_gateway_a", "S3 prefix list -> vpc_endpoint.s3_endpoint"],
      rtb_pods: ["0.0.0.0/0 -> nat_gateway.nat_gateway_a", "S3 prefix list -> vpc_endpoint.s3_endpoint"],
      rtb_loadbalancers: ["0.0.0.0/0 -> internet_gateway.internet_gateway"],
      rtb_bastion: ["0.0.0.0/0 -> internet_gateway.internet_gateway"],
    }));

  test("azCount 3, per-AZ NAT: a private table per zone and tier, each to its zone's NAT gateway; nothing else", () => {
    const three = routeSet(synthCluster({ azCount: 3, natGateways: "perAz" }));
    const expected: Record<string, string[]> = {
      rtb_loadbalancers: ["0.0.0.0/0 -> internet_gateway.internet_gateway"],
      rtb_bastion: ["0.0.0.0/0 -> internet_gateway.internet_gateway"],
    };
    for (const tier of ["rtb_k8s_api_endpoint", "rtb_worker_nodes", "rtb_pods"])
      for (const zone of ["a", "b", "c"])
        expected[`${tier}_${zone}`] = [
          `0.0.0.0/0 -> nat_gateway.nat_gateway_${zone}`,
          "S3 prefix list -> vpc_endpoint.s3_endpoint",
        ];
    expect(three).toEqual(expected);
  });

  test("bootstrapEgress off: the workers' table keeps only the S3 endpoint", () =>
    expect(routeSet(synthCluster({ bootstrapEgress: false })).rtb_worker_nodes).toEqual([
      "S3 prefix list -> vpc_endpoint.s3_endpoint",
    ]));
});
