/**
 * The parts of the security group plan (src/aws/security-rules.ts) on their own: how a spec cell
 * of protocol and ports becomes AWS protocol/port tuples (D5, D6), and each group's names.
 */
import { planSecurityGroups, portsOf } from "../src/aws/security-rules";
import { planNetwork } from "../src/aws/network-plan";
import { resolveConfig } from "../src/config";

describe("protocol and port cells as AWS reads them", () => {
  test.each([
    ["TCP", "22", [{ protocol: "tcp", fromPort: 22, toPort: 22 }]],
    ["ssh", " 22 ", [{ protocol: "tcp", fromPort: 22, toPort: 22 }]],
    ["TCP", "ALL", [{ protocol: "tcp", fromPort: 0, toPort: 65535 }]],
    ["TCP", "30000-32767", [{ protocol: "tcp", fromPort: 30000, toPort: 32767 }]],
    ["TCP", "2379 – 2380", [{ protocol: "tcp", fromPort: 2379, toPort: 2380 }]],
    ["ICMP", "3, 4", [{ protocol: "icmp", fromPort: 3, toPort: 4 }]],
    ["ALL", "ALL", [{ protocol: "-1" }]],
    [
      "ALL",
      "10256",
      [
        { protocol: "tcp", fromPort: 10256, toPort: 10256 },
        { protocol: "udp", fromPort: 10256, toPort: 10256 },
      ],
    ],
  ] as const)("%s %j", (protocol, ports, expected) => expect(portsOf({ protocol, ports })).toEqual(expected));
  test("App-specific TCP/UDP: the configured listeners, none by default", () => {
    expect(portsOf({ protocol: "TCP/UDP", ports: "App-specific" })).toEqual([]);
    expect(portsOf({ protocol: "TCP/UDP", ports: "App-specific" }, [{ port: 53, protocol: "udp" }])).toEqual([
      { protocol: "udp", fromPort: 53, toPort: 53 },
    ]);
  });
  test.each(["x22", "22x", "22 to 23", ""])("a cell that is not a port or range: %j", (ports) =>
    expect(() => portsOf({ protocol: "TCP", ports })).toThrow(
      new Error(`unreadable port cell ${JSON.stringify(ports)}`),
    ),
  );
});

describe("each group's names (D12: the spec's name is the Name tag; A8: sg-pods)", () => {
  test("key, Name tag, the spec's other names, AWS group name, description, cluster tag", () => {
    const c = resolveConfig({ clusterName: "blue" });
    expect(
      planSecurityGroups(c, planNetwork(c)).map((g) => [
        g.group,
        g.key,
        g.nameTag,
        g.aliases,
        g.groupName,
        g.description,
        g.clusterTagged,
      ]),
    ).toEqual([
      [
        "apiEndpoint",
        "sg_api_endpoint",
        "sg-k8s-api-endpoint",
        [],
        "blue-api-endpoint",
        "Kubernetes API endpoint: control plane nodes and the internal API load balancer (blue)",
        true,
      ],
      [
        "workers",
        "sg_worker_nodes",
        "sg-worker-nodes",
        [],
        "blue-worker-nodes",
        "Kubernetes worker nodes (blue)",
        true,
      ],
      [
        "loadBalancers",
        "sg_loadbalancers",
        "sg-loadbalancers",
        ["sg-lb"],
        "blue-loadbalancers",
        "Public Service load balancers (blue)",
        false,
      ],
      ["bastion", "sg_bastion", "sg-bastion", [], "blue-bastion", "Bastion host (blue)", false],
      [
        "pods",
        "sg_pods",
        "sg-pods",
        [],
        "blue-pods",
        "Pod network interfaces (VPC CNI custom networking) (blue)",
        false,
      ],
    ]);
  });
});
