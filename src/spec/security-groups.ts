/**
 * The spec's "Security groupts and NACL" tables, one typed object per security group, each row as
 * written: peer, protocol, ports, and the description (the spec's text, and an English rendering
 * within AWS's description characters, D4). Peers name tiers, not CIDRs, so rules follow the
 * tiers' real subnets (the /28 of D1, per-AZ subnets of D2). AWS semantics (D5-D8: ports of
 * protocol ALL, ICMP type and code, identical rows, the S3 endpoint's prefix list; the README's
 * "Deviations from the spec") are applied in src/aws/security-rules.ts.
 */
import { TierId } from "./network";

export type Peer =
  /** A tier's subnets; `asWritten` is the spec's cell ("172.31.1.0/24", "Bastion CIDR"). */
  | { readonly kind: "tier"; readonly tier: TierId; readonly asWritten: string }
  /** A literal CIDR the spec means literally (0.0.0.0/0). */
  | { readonly kind: "cidr"; readonly cidr: string; readonly asWritten: string }
  /** "AWS Services (VPCE)": the services behind the VPC endpoints, built as the S3 endpoint's prefix list (D8). */
  | { readonly kind: "awsServices"; readonly asWritten: string }
  /** A configurable list: the bastion's admin CIDRs or the load balancers' client CIDRs. */
  | {
      readonly kind: "configured";
      readonly setting: "bastion.adminCidrs" | "loadBalancers.clientCidrs";
      readonly asWritten: string;
    };

export type ProtocolAsWritten = "TCP" | "ICMP" | "ALL" | "ssh" | "TCP/UDP";

export interface SecurityGroupRow {
  readonly peer: Peer;
  readonly protocol: ProtocolAsWritten;
  /** As written: "6443", "3,4", "30000-32767", "ALL", "App-specific". */
  readonly ports: string;
  readonly descriptionAsWritten: string;
  /** English, AWS-safe characters only (D4). */
  readonly description: string;
}

export interface SecurityGroupTable {
  /** The spec's name; becomes the Name tag, since an AWS group name may not start with "sg-" (D12). */
  readonly name: string;
  readonly aliases: readonly string[];
  /** The tier whose members carry this group. */
  readonly tier: TierId;
  readonly ingress: readonly SecurityGroupRow[];
  readonly egress: readonly SecurityGroupRow[];
}

const workers = (asWritten = "172.31.1.0/24"): Peer => ({ kind: "tier", tier: "workers", asWritten });
const pods = (asWritten = "172.31.32.0/19"): Peer => ({ kind: "tier", tier: "pods", asWritten });
const apiEndpoint = (asWritten = "172.31.0.0/29"): Peer => ({ kind: "tier", tier: "apiEndpoint", asWritten });
const bastion = (asWritten: string): Peer => ({ kind: "tier", tier: "bastion", asWritten });
const loadBalancers = (asWritten = "172.31.2.0/24"): Peer => ({ kind: "tier", tier: "loadBalancers", asWritten });
const awsServices: Peer = { kind: "awsServices", asWritten: "AWS Services (VPCE)" };
const anywhere: Peer = { kind: "cidr", cidr: "0.0.0.0/0", asWritten: "0.0.0.0/0" };

export const apiEndpointSecurityGroupTable: SecurityGroupTable = {
  name: "sg-k8s-api-endpoint",
  aliases: [],
  tier: "apiEndpoint",
  ingress: [
    {
      peer: workers(),
      protocol: "TCP",
      ports: "6443",
      descriptionAsWritten: "Worker → API Server (Kubelet 인증/통신)",
      description: "Worker to API server (kubelet auth and API calls)",
    },
    {
      peer: workers(),
      protocol: "TCP",
      ports: "12250",
      descriptionAsWritten: "Worker → API Server (Cluster Agent 포트)",
      description: "Worker to API server (OKE cluster agent port, unused by kubeadm)",
    },
    {
      peer: workers(),
      protocol: "ICMP",
      ports: "3,4",
      descriptionAsWritten: "Path MTU Discovery",
      description: "Path MTU discovery from workers",
    },
    {
      peer: pods(),
      protocol: "TCP",
      ports: "6443",
      descriptionAsWritten: "Pod → API Server (CNI가 VPC native일 때)",
      description: "Pod to API server (VPC-native CNI)",
    },
    {
      peer: pods(),
      protocol: "TCP",
      ports: "12250",
      descriptionAsWritten: "Pod → API Server",
      description: "Pod to API server (OKE cluster agent port, unused by kubeadm)",
    },
    {
      peer: bastion("Bastion CIDR"),
      protocol: "TCP",
      ports: "6443",
      descriptionAsWritten: "(Optional) Bastion → API Server admin 접근",
      description: "Bastion to API server, admin access (optional)",
    },
    {
      peer: bastion("Bastion CIDR"),
      protocol: "TCP",
      ports: "22",
      descriptionAsWritten: "(Optional) SSH to Worker Nodes",
      description: "SSH from bastion to control plane nodes (optional)",
    },
  ],
  egress: [
    {
      peer: awsServices,
      protocol: "TCP",
      ports: "ALL",
      descriptionAsWritten: "API Server → EKS/Cloud services",
      description: "API server to AWS services through the VPC endpoint",
    },
    {
      peer: awsServices,
      protocol: "ICMP",
      ports: "3,4",
      descriptionAsWritten: "Path MTU Discovery",
      description: "Path MTU discovery to AWS services",
    },
    {
      peer: workers(),
      protocol: "TCP",
      ports: "10250",
      descriptionAsWritten: "API Server → Worker (kubelet API)",
      description: "API server to worker kubelet API",
    },
    {
      peer: workers(),
      protocol: "ICMP",
      ports: "3,4",
      descriptionAsWritten: "Path MTU Discovery",
      description: "Path MTU discovery to workers",
    },
    {
      peer: pods(),
      protocol: "ALL",
      ports: "ALL",
      descriptionAsWritten: "API Server → Pods",
      description: "API server to pods (webhooks, proxy)",
    },
    {
      peer: bastion("172.31.3.0/24"),
      protocol: "ssh",
      ports: "22",
      descriptionAsWritten: "bastion to ssh",
      description: "SSH to the bastion subnet (as the spec lists it)",
    },
  ],
};

export const workerSecurityGroupTable: SecurityGroupTable = {
  name: "sg-worker-nodes",
  aliases: [],
  tier: "workers",
  ingress: [
    {
      peer: apiEndpoint(),
      protocol: "TCP",
      ports: "10250",
      descriptionAsWritten: "API Server → Worker (kubelet API)",
      description: "API server to kubelet API",
    },
    {
      peer: anywhere,
      protocol: "ICMP",
      ports: "3,4",
      descriptionAsWritten: "Path MTU Discovery",
      description: "Path MTU discovery",
    },
    {
      peer: bastion("Bastion CIDR"),
      protocol: "TCP",
      ports: "22",
      descriptionAsWritten: "(Optional) SSH to Worker Nodes",
      description: "SSH from bastion to worker nodes",
    },
    {
      peer: loadBalancers(),
      protocol: "ALL",
      ports: "30000–32767",
      descriptionAsWritten: "Load balancer → NodePorts",
      description: "Load balancer to NodePorts",
    },
    {
      peer: loadBalancers(),
      protocol: "ALL",
      ports: "10256",
      descriptionAsWritten: "LB → kube-proxy",
      description: "Load balancer to kube-proxy health check",
    },
    {
      peer: bastion("172.31.3.0/24"),
      protocol: "ssh",
      ports: "22",
      descriptionAsWritten: "bastion to ssh",
      description: "SSH from bastion to worker nodes",
    },
  ],
  egress: [
    {
      peer: pods(),
      protocol: "ALL",
      ports: "ALL",
      descriptionAsWritten: "Worker → Pods",
      description: "Worker to pods",
    },
    {
      peer: anywhere,
      protocol: "ICMP",
      ports: "3,4",
      descriptionAsWritten: "Path MTU Discovery",
      description: "Path MTU discovery",
    },
    {
      peer: awsServices,
      protocol: "TCP",
      ports: "ALL",
      descriptionAsWritten: "Worker → AWS Control Plane",
      description: "Worker to AWS services through the VPC endpoint",
    },
    {
      peer: apiEndpoint(),
      protocol: "TCP",
      ports: "6443",
      descriptionAsWritten: "Worker → API Server",
      description: "Worker to API server",
    },
    {
      peer: apiEndpoint(),
      protocol: "TCP",
      ports: "12250",
      descriptionAsWritten: "Worker → API Server",
      description: "Worker to API server (OKE cluster agent port, unused by kubeadm)",
    },
  ],
};

export const loadBalancerSecurityGroupTable: SecurityGroupTable = {
  name: "sg-loadbalancers",
  aliases: ["sg-lb"],
  tier: "loadBalancers",
  ingress: [
    {
      peer: { kind: "configured", setting: "loadBalancers.clientCidrs", asWritten: "0.0.0.0/0 or specific CIDR" },
      protocol: "TCP/UDP",
      ports: "App-specific",
      descriptionAsWritten: "LB Listener (예: 80, 443)",
      description: "Load balancer listener",
    },
  ],
  egress: [
    {
      peer: workers(),
      protocol: "ALL",
      ports: "30000–32767",
      descriptionAsWritten: "LB → NodePort",
      description: "Load balancer to NodePorts",
    },
    {
      peer: workers(),
      protocol: "ALL",
      ports: "10256",
      descriptionAsWritten: "LB → kube-proxy",
      description: "Load balancer to kube-proxy health check",
    },
  ],
};

export const bastionSecurityGroupTable: SecurityGroupTable = {
  name: "sg-bastion",
  aliases: [],
  tier: "bastion",
  ingress: [
    {
      peer: { kind: "configured", setting: "bastion.adminCidrs", asWritten: "0.0.0.0/0" },
      protocol: "TCP",
      ports: "22",
      descriptionAsWritten: "(Optional) SSH",
      description: "SSH from admin networks",
    },
  ],
  egress: [
    {
      peer: apiEndpoint(),
      protocol: "TCP",
      ports: "6443",
      descriptionAsWritten: "(Optional) kubectl API 호출",
      description: "kubectl to the API server (optional)",
    },
    {
      peer: apiEndpoint(),
      protocol: "TCP",
      ports: "22",
      descriptionAsWritten: "(Optional) SSH to api-endpoints",
      description: "SSH to control plane nodes (optional)",
    },
    {
      peer: workers(),
      protocol: "TCP",
      ports: "22",
      descriptionAsWritten: "(Optional) SSH to Worker",
      description: "SSH to worker nodes (optional)",
    },
  ],
};

export const securityGroupTables: readonly SecurityGroupTable[] = [
  apiEndpointSecurityGroupTable,
  workerSecurityGroupTable,
  loadBalancerSecurityGroupTable,
  bastionSecurityGroupTable,
];
