/**
 * The network tier: VPC, gateways, subnets by tier, route tables and the S3 gateway endpoint,
 * rendered from the NetworkPlan (src/aws/network-plan.ts). This construct makes no decisions of
 * its own about CIDRs or names: it renders what the plan says.
 */
import { Construct } from "constructs";
import { TerraformElement, TerraformResource } from "cdktf";
import { Vpc } from "@cdktf/provider-aws/lib/vpc";
import { InternetGateway } from "@cdktf/provider-aws/lib/internet-gateway";
import { Subnet } from "@cdktf/provider-aws/lib/subnet";
import { Eip } from "@cdktf/provider-aws/lib/eip";
import { NatGateway } from "@cdktf/provider-aws/lib/nat-gateway";
import { RouteTable } from "@cdktf/provider-aws/lib/route-table";
import { Route } from "@cdktf/provider-aws/lib/route";
import { RouteTableAssociation } from "@cdktf/provider-aws/lib/route-table-association";
import { VpcEndpoint } from "@cdktf/provider-aws/lib/vpc-endpoint";
import { VpcEndpointRouteTableAssociation } from "@cdktf/provider-aws/lib/vpc-endpoint-route-table-association";
import { NetworkPlan, RouteTablePlan } from "../aws/network-plan";
import { TierId, TIER_IDS } from "../spec/network";
import { INTERNAL_ELB_SUBNET_TAG_KEY, PUBLIC_ELB_SUBNET_TAG_KEY, clusterOwnedTag } from "../aws/tags";

export interface NetworkProps {
  readonly plan: NetworkPlan;
  readonly clusterName: string;
  readonly region: string;
}

import { terraformName } from "../naming";
import { azKey } from "../aws/cluster-names";
export { azKey };

/**
 * Gives a resource its stable, snake_case Terraform name (every address of the stacks goes through
 * here). Names that earlier releases wrote in camelCase (aws_subnet.apiEndpoint_a) get a `moved`
 * block, so an existing deployment's resources are renamed in state, never replaced.
 */
export function named<T extends TerraformElement>(resource: T, logicalId: string): T {
  const name = terraformName(logicalId);
  resource.overrideLogicalId(name);
  const before = logicalId.replace(/[^A-Za-z0-9_-]/g, "_");
  if (before !== name && resource instanceof TerraformResource)
    resource.moveFromId(`${resource.terraformResourceType}.${before}`);
  return resource;
}

export { terraformName };

export class Network extends Construct {
  readonly vpc: Vpc;
  readonly internetGateway: InternetGateway;
  readonly natGateways: NatGateway[] = [];
  readonly s3Endpoint: VpcEndpoint;
  /** Subnets by tier, in AZ order (apiEndpointSubnets, workerSubnets, ...). */
  readonly subnets: Record<TierId, Subnet[]>;
  readonly routeTables: Record<string, RouteTable[]> = {};
  /** Every default route; nodes depend on them so package downloads work at first boot. */
  readonly defaultRoutes: Route[] = [];

  constructor(scope: Construct, id: string, props: NetworkProps) {
    super(scope, id);
    const { plan, clusterName } = props;
    const clusterTag = clusterOwnedTag(clusterName);

    this.vpc = named(
      new Vpc(this, "vpc", {
        cidrBlock: plan.vpcCidr,
        enableDnsSupport: plan.enableDnsSupport,
        enableDnsHostnames: plan.enableDnsHostnames,
        // No aws_vpc_dhcp_options: the spec asks for the default DHCP option set.
        tags: { Name: plan.vpcName },
      }),
      "vpc",
    );

    this.internetGateway = named(
      new InternetGateway(this, "igw", { vpcId: this.vpc.id, tags: { Name: plan.internetGatewayName } }),
      "internet_gateway",
    );

    this.subnets = {} as Record<TierId, Subnet[]>;
    for (const tierId of TIER_IDS) {
      const tier = plan.tiers[tierId];
      this.subnets[tierId] = tier.subnets.map((s) => {
        const roleTags: Record<string, string> =
          tierId === "loadBalancers"
            ? { [PUBLIC_ELB_SUBNET_TAG_KEY]: "1" }
            : tierId === "workers"
              ? { [INTERNAL_ELB_SUBNET_TAG_KEY]: "1" }
              : {};
        return named(
          new Subnet(this, `${tierId}-${s.az}`, {
            vpcId: this.vpc.id,
            cidrBlock: s.cidr,
            availabilityZone: s.az,
            mapPublicIpOnLaunch: tier.public,
            tags: { Name: s.name, Tier: tierId, ...clusterTag, ...roleTags },
          }),
          `${tierId}_${azKey(s.az)}`,
        );
      });
    }

    plan.natGatewayAzs.forEach((az, i) => {
      const index = plan.tiers[plan.natGatewayTier].subnets.findIndex((s) => s.az === az);
      const subnet = this.subnets[plan.natGatewayTier][index];
      const natName = i === 0 ? plan.natGatewayName : plan.natGatewayName.replace(/\d+$/, String(i));
      const eip = named(
        new Eip(this, `nat-eip-${az}`, { domain: "vpc", tags: { Name: `${natName}-eip` } }),
        `nat_eip_${azKey(az)}`,
      );
      const nat = named(
        new NatGateway(this, `nat-${az}`, {
          allocationId: eip.allocationId,
          subnetId: subnet.id,
          connectivityType: "public",
          tags: { Name: natName },
          dependsOn: [this.internetGateway],
        }),
        `nat_gateway_${azKey(az)}`,
      );
      this.natGateways.push(nat);
    });

    this.s3Endpoint = named(
      new VpcEndpoint(this, "s3-endpoint", {
        vpcId: this.vpc.id,
        serviceName: `com.amazonaws.${props.region}.s3`,
        vpcEndpointType: "Gateway",
        tags: { Name: `${clusterName}-s3` },
      }),
      "s3_endpoint",
    );

    for (const rt of plan.routeTables) this.renderRouteTable(plan, rt);
  }

  /** NAT gateway serving an AZ: its own with one per AZ, else the single one. */
  private natFor(plan: NetworkPlan, az: string): NatGateway {
    const i = plan.natGatewayAzs.indexOf(az);
    return this.natGateways[i >= 0 ? i : 0];
  }

  private renderRouteTable(plan: NetworkPlan, rt: RouteTablePlan): void {
    const usesNat = rt.routes.some((r) => r.target === "nat");
    // Subnet resources, paired with their plans (a resource's attributes are tokens at synth).
    const subnets = plan.tiers[rt.tier].subnets.map((p, i) => ({ az: p.az, resource: this.subnets[rt.tier][i] }));
    // One table per AZ only when each AZ has its own NAT gateway to point at.
    const perAz = usesNat && plan.natGatewayAzs.length > 1;
    const groups = perAz ? subnets.map((s) => [s]) : [subnets];
    const key = rt.name.replace(/^rtb-/, "").replace(/-/g, "_");
    this.routeTables[rt.name] = groups.map((group) => {
      const az = group[0].az;
      const suffix = perAz ? `_${azKey(az)}` : "";
      const table = named(
        new RouteTable(this, `${rt.name}${suffix}`, {
          vpcId: this.vpc.id,
          tags: { Name: perAz ? `${rt.name}-${az}` : rt.name },
        }),
        `rtb_${key}${suffix}`,
      );
      rt.routes.forEach((r) => {
        if (r.target === "s3Endpoint") {
          named(
            new VpcEndpointRouteTableAssociation(this, `${rt.name}${suffix}-s3`, {
              routeTableId: table.id,
              vpcEndpointId: this.s3Endpoint.id,
            }),
            `rtb_${key}${suffix}_s3_endpoint`,
          );
          return;
        }
        const route = named(
          new Route(this, `${rt.name}${suffix}-${r.target}`, {
            routeTableId: table.id,
            destinationCidrBlock: r.destination,
            ...(r.target === "nat"
              ? { natGatewayId: this.natFor(plan, az).id }
              : { gatewayId: this.internetGateway.id }),
          }),
          `rtb_${key}${suffix}_default_via_${r.target}`,
        );
        this.defaultRoutes.push(route);
      });
      for (const s of group) {
        named(
          new RouteTableAssociation(this, `${rt.name}-${s.az}-assoc`, {
            subnetId: s.resource.id,
            routeTableId: table.id,
          }),
          `${key}_${azKey(s.az)}_association`,
        );
      }
      return table;
    });
  }
}
