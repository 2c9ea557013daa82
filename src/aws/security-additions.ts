/**
 * The security-group rules a working cluster needs beyond the spec's tables (docs/additions.md,
 * "Additions beyond the spec's tables": A4-A8 and A13), as rows of the same shape as the spec's rows in
 * src/spec/security-groups.ts: the group and direction, a peer, a protocol and ports as a table
 * would write them, and the rule's description. Each addition has the fields of every other addition
 * (deviations.ts: its id, what it is, the one-line why and the switch that builds it: `always`, or a
 * configuration field that is true) and its rows.
 * planSecurityGroups (security-rules.ts) renders these rows exactly as it renders the spec's; the
 * README's security-additions table and the spec trace report are rendered from them.
 */
import type { ClusterConfig } from "../config";
import { TierId } from "../spec/network";
import { Peer, SecurityGroupRow } from "../spec/security-groups";
import type { Addition } from "./deviations";
import { PORTS } from "./ports";

export type Direction = "ingress" | "egress";

/** Configuration fields that switch additions on and off. */
export type AdditionSwitch = "always" | "bootstrapEgress";

/** A peer of an addition row: any peer a spec row may have, or the row's own group. */
export type AdditionPeer = Peer | { readonly kind: "self"; readonly asWritten: string };

/** One rule of an addition, shaped like a spec row (peer, protocol, ports, description). */
export interface AdditionRow extends Omit<SecurityGroupRow, "peer" | "descriptionAsWritten"> {
  /** The group that carries the rule. */
  readonly group: TierId;
  readonly direction: Direction;
  readonly peer: AdditionPeer;
}

/** A security-group addition (A4, ...): an addition like any other, with its rows (the rules it adds). */
export interface SecurityAddition extends Addition<AdditionSwitch> {
  readonly rows: readonly AdditionRow[];
}

/** One rule with its addition's id, what, why and switch: what planSecurityGroups renders and traces. */
export interface SecurityAdditionRow extends Addition<AdditionSwitch>, AdditionRow {}

/** The Name tag of the pods group, which A8 adds (the other groups are the spec's). */
export const PODS_GROUP_NAME = "sg-pods";

const itself: AdditionPeer = { kind: "self", asWritten: "the group itself" };
const anywhere: Peer = { kind: "cidr", cidr: "0.0.0.0/0", asWritten: "0.0.0.0/0" };
const subnetsOf = (tier: TierId, asWritten: string): Peer => ({ kind: "tier", tier, asWritten });
const apiEndpointSubnets = subnetsOf("apiEndpoint", "the API endpoint subnets");
const workerSubnets = subnetsOf("workers", "the worker subnets");
const podSubnets = subnetsOf("pods", "the pods subnets");

const etcdPorts = `${PORTS.etcd.from}-${PORTS.etcd.to}`;
const apiPort = `${PORTS.kubeApiserver}`;
const kubeletPort = `${PORTS.kubelet}`;

type Protocol = SecurityGroupRow["protocol"];

/** One rule of an addition, written as a spec row would be. */
const rule = (
  group: TierId,
  direction: Direction,
  peer: AdditionPeer,
  protocol: Protocol,
  ports: string,
  description: string,
): AdditionRow => ({ group, direction, peer, protocol, ports, description });

/** Both directions of one tcp rule between members of the same group. */
const bothWays = (group: TierId, ports: string, description: string) =>
  (["ingress", "egress"] as const).map((direction) => rule(group, direction, itself, "TCP", ports, description));

const nlbToNodes = "Internal API load balancer and its health checks";
const nodesToNlb = "Control plane nodes to the internal API load balancer";
const podsToAnywhere = "Pods to anywhere (API, DNS, other pods, internet through rtb-pods)";
const podsToKubelet = "Pods to kubelet API (metrics-server, monitoring agents)";

/** Every security-group addition, in the order of the README's table (a group lists its rules in this order). */
export const SECURITY_ADDITIONS: readonly SecurityAddition[] = [
  {
    id: "A4",
    what: "control-plane peers (etcd, API server and kubelet between control-plane nodes)",
    why: "stacked etcd and API servers of an HA control plane talk to each other",
    switch: "always",
    rows: [
      ...bothWays("apiEndpoint", etcdPorts, "etcd peers and clients between control plane nodes"),
      ...bothWays("apiEndpoint", apiPort, "API server between control plane nodes"),
      ...bothWays("apiEndpoint", kubeletPort, "kubelet API between control plane nodes"),
    ],
  },
  {
    id: "A5",
    what: "the internal API load balancer in the API endpoint subnets",
    why:
      "the internal NLB (instance targets, client IP preservation off) connects from its own addresses " +
      `and health-checks ${apiPort}; control-plane nodes dial the NLB themselves`,
    switch: "always",
    rows: [
      rule("apiEndpoint", "ingress", apiEndpointSubnets, "TCP", apiPort, nlbToNodes),
      rule("apiEndpoint", "egress", apiEndpointSubnets, "TCP", apiPort, nodesToNlb),
    ],
  },
  {
    id: "A6",
    what: "bootstrap egress from the nodes, through the NAT gateway",
    why:
      "nodes install containerd/kubeadm from package repositories, pull images and call AWS APIs " +
      "(cloud controller, VPC CNI, SSM)",
    switch: "bootstrapEgress",
    rows: (["apiEndpoint", "workers"] as const).flatMap((group) => [
      rule(group, "egress", anywhere, "TCP", "80", "Bootstrap: packages, images and AWS APIs over HTTP"),
      rule(group, "egress", anywhere, "TCP", "443", "Bootstrap: packages, images and AWS APIs over HTTPS"),
    ]),
  },
  {
    id: "A7",
    what: "the bastion's own way out",
    why: "Session Manager (the key-less way in) and package updates need HTTPS out",
    switch: "always",
    rows: [
      rule("bastion", "egress", anywhere, "TCP", "80", "Session Manager and updates over HTTP"),
      rule("bastion", "egress", anywhere, "TCP", "443", "Session Manager and updates over HTTPS"),
    ],
  },
  {
    id: "A8",
    what: `${PODS_GROUP_NAME}, a group for pod ENIs (VPC CNI custom networking)`,
    why:
      "VPC-native pods carry their own security group; nodes (health probes, NodePort forwarding) " +
      "and the control plane (webhooks) must reach them",
    switch: "always",
    rows: [
      rule("pods", "ingress", itself, "ALL", "ALL", "Pod to pod"),
      rule("pods", "ingress", workerSubnets, "ALL", "ALL", "Nodes to pods (probes, NodePort forwarding)"),
      rule("pods", "ingress", apiEndpointSubnets, "ALL", "ALL", "Control plane to pods (webhooks)"),
      rule("pods", "egress", anywhere, "ALL", "ALL", podsToAnywhere),
    ],
  },
  {
    id: "A13",
    what: "pods to the kubelet of every node",
    why: "in-cluster agents that run as pods (metrics-server, monitoring) call the kubelet API of every node",
    switch: "always",
    rows: (["workers", "apiEndpoint"] as const).map((group) =>
      rule(group, "ingress", podSubnets, "TCP", kubeletPort, podsToKubelet),
    ),
  },
];

/** Every addition rule with its addition, in the order of SECURITY_ADDITIONS. */
export const SECURITY_ADDITION_ROWS: readonly SecurityAdditionRow[] = SECURITY_ADDITIONS.flatMap(
  ({ rows, ...addition }) => rows.map((r) => ({ ...addition, ...r })),
);

/** Whether this configuration builds the addition: always, or when its switch field is true. */
export function isSwitchedOn(addition: Pick<Addition<AdditionSwitch>, "switch">, config: ClusterConfig): boolean {
  return addition.switch === "always" || config[addition.switch];
}
