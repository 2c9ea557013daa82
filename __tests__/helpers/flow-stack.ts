/**
 * Hand-written Terraform JSON for the flow analysis's engine tests (flows-engine-*.test.ts): one
 * small VPC with four tiers and no rules, and builders that add the rules each test is about.
 */
import { FlowVerdict, Port } from "../../tools/flows";
import { TfJson } from "../../src/analysis/tf-json";

export const ref = (address: string, attr = "id") => `\${${address}.${attr}}`;
export const tcp = (port: number): Port => ({ protocol: "tcp", port });
export const udp = (port: number): Port => ({ protocol: "udp", port });
export const icmp = (icmpType?: number, icmpCode?: number): Port => ({ protocol: "icmp", icmpType, icmpCode });

type Res = Record<string, Record<string, any>>;
export interface Stack extends TfJson {
  resource: Record<string, Res>;
}

export const subnet = (cidr: string, tier: string, isPublic = false) => ({
  vpc_id: ref("aws_vpc.vpc"),
  cidr_block: cidr,
  map_public_ip_on_launch: isPublic,
  tags: { Name: `${tier}-subnet`, Tier: tier },
});

/**
 * One VPC 10.0.0.0/16: apiEndpoint 10.0.0.0/28 (no default route), workers 10.0.1.0/24 (NAT),
 * loadBalancers 10.0.2.0/24 and bastion 10.0.3.0/24 (public, IGW). One security group per tier,
 * tagged Tier=<tier>, and no rules: each test adds the rules it is about.
 */
export function base(): Stack {
  return {
    resource: {
      aws_vpc: { vpc: { cidr_block: "10.0.0.0/16" } },
      aws_internet_gateway: { igw: { vpc_id: ref("aws_vpc.vpc") } },
      aws_eip: { nat: { domain: "vpc" } },
      aws_nat_gateway: {
        nat: { subnet_id: ref("aws_subnet.lb_a"), allocation_id: ref("aws_eip.nat", "allocation_id") },
      },
      aws_subnet: {
        api_a: subnet("10.0.0.0/28", "apiEndpoint"),
        workers_a: subnet("10.0.1.0/24", "workers"),
        lb_a: subnet("10.0.2.0/24", "loadBalancers", true),
        bastion_a: subnet("10.0.3.0/24", "bastion", true),
      },
      aws_route_table: {
        public: { vpc_id: ref("aws_vpc.vpc") },
        private: { vpc_id: ref("aws_vpc.vpc") },
        api: { vpc_id: ref("aws_vpc.vpc") },
      },
      aws_route: {
        public_default: {
          route_table_id: ref("aws_route_table.public"),
          destination_cidr_block: "0.0.0.0/0",
          gateway_id: ref("aws_internet_gateway.igw"),
        },
        private_default: {
          route_table_id: ref("aws_route_table.private"),
          destination_cidr_block: "0.0.0.0/0",
          nat_gateway_id: ref("aws_nat_gateway.nat"),
        },
      },
      aws_route_table_association: {
        lb_a: { subnet_id: ref("aws_subnet.lb_a"), route_table_id: ref("aws_route_table.public") },
        bastion_a: { subnet_id: ref("aws_subnet.bastion_a"), route_table_id: ref("aws_route_table.public") },
        workers_a: { subnet_id: ref("aws_subnet.workers_a"), route_table_id: ref("aws_route_table.private") },
        api_a: { subnet_id: ref("aws_subnet.api_a"), route_table_id: ref("aws_route_table.api") },
      },
      aws_security_group: {
        api: { name: "api", vpc_id: ref("aws_vpc.vpc"), tags: { Name: "sg-k8s-api-endpoint", Tier: "apiEndpoint" } },
        workers: { name: "workers", vpc_id: ref("aws_vpc.vpc"), tags: { Name: "sg-worker-nodes", Tier: "workers" } },
        lb: { name: "lb", vpc_id: ref("aws_vpc.vpc"), tags: { Name: "sg-lb", Tier: "loadBalancers" } },
        bastion: { name: "bastion", vpc_id: ref("aws_vpc.vpc"), tags: { Name: "sg-bastion", Tier: "bastion" } },
      },
      aws_vpc_security_group_ingress_rule: {},
      aws_vpc_security_group_egress_rule: {},
    },
  };
}

export interface Peer {
  cidr?: string;
  sg?: string;
  pl?: string;
}
/** A rule resource of one direction: `ingress(tf, name, group, protocol, from?, to?, peer?)`, and `egress` alike. */
const ruleOf =
  (direction: "ingress" | "egress") =>
  (tf: Stack, name: string, group: string, protocol: string, from?: number, to?: number, peer: Peer = {}): void => {
    tf.resource[`aws_vpc_security_group_${direction}_rule`][name] = {
      security_group_id: ref(`aws_security_group.${group}`),
      ip_protocol: protocol,
      ...(from !== undefined ? { from_port: from, to_port: to ?? from } : {}),
      ...(peer.cidr ? { cidr_ipv4: peer.cidr } : {}),
      ...(peer.sg ? { referenced_security_group_id: ref(`aws_security_group.${peer.sg}`) } : {}),
      ...(peer.pl ? { prefix_list_id: peer.pl } : {}),
    };
  };
export const ingress = ruleOf("ingress");
export const egress = ruleOf("egress");

export const IN = (name: string) => `aws_vpc_security_group_ingress_rule.${name}`;
export const OUT = (name: string) => `aws_vpc_security_group_egress_rule.${name}`;

/** bastion -> workers ssh, by CIDRs, as the spec writes it. */
export function withBastionSsh(tf = base()): Stack {
  egress(tf, "bastion_ssh_workers", "bastion", "tcp", 22, 22, { cidr: "10.0.1.0/24" });
  ingress(tf, "workers_ssh_from_bastion", "workers", "tcp", 22, 22, { cidr: "10.0.3.0/24" });
  return tf;
}

export const summary = (vs: FlowVerdict[]) => vs.map((v) => `${v.verdict} ${v.port.label}`);
