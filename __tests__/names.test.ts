/** One style for every Terraform address ops teams read: snake_case, stable across AZ counts. */
import { synthCluster, synthStateBucket } from "./helpers/synth";
import { terraformName } from "../src/naming";

const SNAKE = /^[a-z0-9]+(_[a-z0-9]+)*$/;
const names = (tf: Record<string, any>) => [
  ...Object.entries(tf.resource ?? {}).flatMap(([t, byName]) =>
    Object.keys(byName as object).map((n) => [`${t}.${n}`, n]),
  ),
  ...Object.entries(tf.data ?? {}).flatMap(([t, byName]) =>
    Object.keys(byName as object).map((n) => [`data.${t}.${n}`, n]),
  ),
  ...Object.keys(tf.output ?? {}).map((n) => [`output.${n}`, n]),
  ...Object.keys(tf.variable ?? {}).map((n) => [`var.${n}`, n]),
];

describe.each([
  ["the default cluster", () => synthCluster().json],
  ["three AZs with per-AZ NAT", () => synthCluster({ azCount: 3, natGateways: "perAz" }).json],
  ["the state bucket", () => synthStateBucket().json],
])("%s", (_what, tf) => {
  test("every address is snake_case", () =>
    expect(
      names(tf())
        .filter(([, n]) => !SNAKE.test(n))
        .map(([a]) => a),
    ).toEqual([]));
});

test("subnets are named by tier and AZ letter (aws_subnet.api_endpoint_a, not apiEndpoint_a)", () => {
  expect(Object.keys((synthCluster({ azCount: 2 }).json as any).resource.aws_subnet).sort()).toEqual([
    "api_endpoint_a",
    "api_endpoint_b",
    "bastion_a",
    "bastion_b",
    "load_balancers_a",
    "load_balancers_b",
    "pods_a",
    "pods_b",
    "workers_a",
    "workers_b",
  ]);
  expect(terraformName("worker_nodes_ingress_tcp_10256_from_loadBalancers_a")).toBe(
    "worker_nodes_ingress_tcp_10256_from_load_balancers_a",
  );
});

test("addresses earlier releases wrote in camelCase are moved, not replaced, in an existing state", () => {
  const moved = ((synthCluster().json as any).moved ?? []) as { from: string; to: string }[];
  expect(moved).toContainEqual({ from: "aws_subnet.apiEndpoint_a", to: "aws_subnet.api_endpoint_a" });
  expect(moved).toContainEqual({ from: "aws_subnet.loadBalancers_a", to: "aws_subnet.load_balancers_a" });
  expect(moved).toHaveLength(14);
  // Every target exists, every source is the target's old spelling, and no old name is still an address.
  const tf = synthCluster().json as any;
  for (const { from, to } of moved) {
    const [type, name] = to.split(".");
    expect(tf.resource[type][name]).toBeDefined();
    expect(terraformName(from.split(".")[1])).toBe(name);
    expect(tf.resource[type][from.split(".")[1]]).toBeUndefined();
  }
});
