/**
 * The seed spec's network tables (spec/seed-k8s-infra.md), one typed object per table, holding
 * the values exactly as the spec writes them. Nothing here is adjusted for AWS: the changes AWS
 * forces (the README's "Deviations from the spec": D1 the /29 API subnet built as a /28, D2
 * regional subnets as one per zone, D3 the public bastion, D9 the pods block, D10 the names the
 * tables disagree on) are applied in src/aws/network-plan.ts, in one place.
 */

/**
 * The tiers of the architecture. `pods` has a route table in the spec but no subnet table; its
 * subnets are built in the spec's pod CIDR (D9).
 */
export type TierId = "apiEndpoint" | "workers" | "loadBalancers" | "bastion" | "pods";
export const TIER_IDS: readonly TierId[] = ["apiEndpoint", "workers", "loadBalancers", "bastion", "pods"];

/** "VPN 구성 정보" (the VPC table; the spec's "VPN" means the VPC). */
export interface VpcTable {
  readonly name: string;
  readonly cidrBlock: string;
  readonly dnsResolution: "Enabled" | "Disabled";
  readonly dnsHostnames: "Enabled" | "Disabled";
  readonly internetGateway: string;
  readonly natGateway: string;
  /** "초기구성 시 필요 서비스만 지정 (s3)": only S3 at first. */
  readonly vpcEndpoints: readonly string[];
  readonly dhcpOptions: "Default DHCP Option Set";
}

export const vpcTable: VpcTable = {
  name: "k8s-cluster",
  cidrBlock: "172.31.0.0/16",
  dnsResolution: "Enabled",
  dnsHostnames: "Enabled",
  internetGateway: "internet-gateway-0",
  natGateway: "nat-gateway-0",
  vpcEndpoints: ["s3"],
  dhcpOptions: "Default DHCP Option Set",
};

/** "Subnet 구성 정보": one table per subnet. */
export interface SubnetTable {
  readonly tier: TierId;
  /** The table's heading, for traceability. */
  readonly heading: string;
  readonly name: string;
  readonly type: "Regional";
  readonly cidrBlock: string;
  /** The bastion table has no Route Table row. */
  readonly routeTable?: string;
  readonly subnetAccess: "Private" | "Public";
  readonly dnsResolution: "Selected";
  readonly dhcpOptions: "Default";
  readonly securityGroup: string;
}

export const apiEndpointSubnetTable: SubnetTable = {
  tier: "apiEndpoint",
  heading: "Private Subnet for Kubernetes API Endpoint",
  name: "KubernetesAPIendpoint",
  type: "Regional",
  cidrBlock: "172.31.0.0/29",
  routeTable: "rtb-KubernetesAPIendpoint",
  subnetAccess: "Private",
  dnsResolution: "Selected",
  dhcpOptions: "Default",
  securityGroup: "sg-k8s-api-endpoint",
};

export const workerSubnetTable: SubnetTable = {
  tier: "workers",
  heading: "Private Subnet for Worker Nodes",
  name: "workernodes",
  type: "Regional",
  cidrBlock: "172.31.1.0/24",
  routeTable: "rtb-workernodes",
  subnetAccess: "Private",
  dnsResolution: "Selected",
  dhcpOptions: "Default",
  securityGroup: "sg-worker-nodes",
};

export const loadBalancerSubnetTable: SubnetTable = {
  tier: "loadBalancers",
  heading: "Public Subnet for Service Load Balancers",
  name: "loadbalancers",
  type: "Regional",
  cidrBlock: "172.31.2.0/24",
  routeTable: "rtb-loadbalancers",
  subnetAccess: "Public",
  dnsResolution: "Selected",
  dhcpOptions: "Default",
  securityGroup: "sg-lb",
};

export const bastionSubnetTable: SubnetTable = {
  tier: "bastion",
  heading: "Public Subnet for Bastion",
  name: "bastion",
  type: "Regional",
  cidrBlock: "172.31.3.0/24",
  // The spec's table gives no Route Table row and says "Private" under a "Public" heading; the
  // bastion is built public, with its own route table (D3).
  subnetAccess: "Private",
  dnsResolution: "Selected",
  dhcpOptions: "Default",
  securityGroup: "sg-bastion",
};

export const subnetTables: readonly SubnetTable[] = [
  apiEndpointSubnetTable,
  workerSubnetTable,
  loadBalancerSubnetTable,
  bastionSubnetTable,
];

/**
 * The pods block is named by the security-group tables (172.31.32.0/19, "Pod -> API Server")
 * and by rtb-pods, but the spec has no subnet table for it: its subnets are built in this block (D9).
 */
export const podsCidrFromSpec = "172.31.32.0/19";

/** "AWS Route Table 구성 정보". */
export type RouteTarget = "natGateway" | "internetGateway" | "vpcEndpoint";
export interface RouteRow {
  /** As written: a CIDR, or "AWS Services ..." for the endpoint routes. */
  readonly destination: string;
  readonly target: RouteTarget;
  /** The target column as written. */
  readonly targetAsWritten: string;
}
export interface RouteTableTable {
  readonly heading: string;
  readonly name: string;
  readonly tier: TierId;
  readonly routes: readonly RouteRow[];
}

export const apiEndpointRouteTable: RouteTableTable = {
  heading: "Route Table for Kubernetes API Endpoint Subnet",
  name: "rtb-k8s-api-endpoint",
  tier: "apiEndpoint",
  routes: [
    { destination: "0.0.0.0/0", target: "natGateway", targetAsWritten: "NAT Gateway (nat-gateway-0)" },
    {
      destination: "AWS Services (S3, etc.)",
      target: "vpcEndpoint",
      targetAsWritten: "VPC Endpoint (Gateway or Interface)",
    },
  ],
};

export const workerRouteTable: RouteTableTable = {
  heading: "Route Table for Worker Nodes Subnet",
  name: "rtb-worker-nodes",
  tier: "workers",
  routes: [
    { destination: "AWS Services", target: "vpcEndpoint", targetAsWritten: "VPC Endpoint (Gateway or Interface)" },
  ],
};

export const podsRouteTable: RouteTableTable = {
  heading: "Route Table for Pods Subnet",
  name: "rtb-pods",
  tier: "pods",
  routes: [
    { destination: "0.0.0.0/0", target: "natGateway", targetAsWritten: "NAT Gateway (nat-gateway-0)" },
    { destination: "AWS Services", target: "vpcEndpoint", targetAsWritten: "VPC Endpoint" },
  ],
};

export const loadBalancerRouteTable: RouteTableTable = {
  heading: "Route Table for Public Load Balancers Subnet",
  name: "rtb-loadbalancers",
  tier: "loadBalancers",
  routes: [{ destination: "0.0.0.0/0", target: "internetGateway", targetAsWritten: "Internet Gateway (igw-0)" }],
};

export const routeTableTables: readonly RouteTableTable[] = [
  apiEndpointRouteTable,
  workerRouteTable,
  podsRouteTable,
  loadBalancerRouteTable,
];
