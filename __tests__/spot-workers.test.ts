/**
 * Spot capacity for the workers (configuration workers.spot): the checks of the configuration,
 * the group's mixed instances policy, and the default group without one.
 */
import { AutoscalingGroup } from "@cdktf/provider-aws/lib/autoscaling-group";
import { ConfigError, resolveConfig } from "../src/config";
import { INSTANCE_RESOURCES_SOURCE, instanceResources, knownInstanceTypes } from "../src/aws/instance-types";
import { architectureOf } from "../src/aws/instances";
import { loadVendored, repositoryFolder } from "../src/addons/vendored";
import { AUTOSCALING_ADDON_VERSIONS, DEFAULT_KUBERNETES_MINOR } from "../src/bootstrap/versions";
import { LIFECYCLE_LABEL, kubeletExtraArgs } from "../src/bootstrap/kubelet";
import { ref, resource, synthCluster } from "./helpers/synth";
import "./helpers/cdktf-matchers";
import { thrown } from "./helpers/thrown";

const SPOT = { instanceTypes: ["m7i.large", "m6i.large", "m5.large"] };
const spotWorkers = (spot: Record<string, unknown>, workers: Record<string, unknown> = {}) => ({
  workers: { instanceType: "m7i.large", ...workers, spot },
});
/** The problem lines of a configuration (the first line is the ConfigError's heading). */
function problems(input: Record<string, unknown>): string[] {
  const e = thrown(() => resolveConfig(input));
  expect(e).toBeInstanceOf(ConfigError);
  return e.message.split("\n").map((l) => l.replace(/^invalid configuration: /, ""));
}

describe("workers.spot: every bad input is one line naming the field, the value and what to do", () => {
  test.each<[string, Record<string, unknown>, string[]]>([
    [
      "one instance type",
      spotWorkers({ instanceTypes: ["m7i.large"] }),
      [
        'workers.spot.instanceTypes = ["m7i.large"]: must list at least 2 instance types: more types are more Spot ' +
          "pools to launch from",
      ],
    ],
    [
      "a type listed twice",
      spotWorkers({ instanceTypes: ["m7i.large", "m6i.large", "m7i.large"] }),
      ['workers.spot.instanceTypes.2 = "m7i.large": is listed twice; list each type once'],
    ],
    [
      "percentages and base capacity out of range, together",
      spotWorkers({ ...SPOT, onDemandBaseCapacity: -1, onDemandPercentageAboveBaseCapacity: 101 }),
      [
        "workers.spot.onDemandBaseCapacity = -1: must be 0 or more",
        "workers.spot.onDemandPercentageAboveBaseCapacity = 101: must be a whole number from 0 to 100",
      ],
    ],
    [
      "an unknown field",
      spotWorkers({ ...SPOT, allocationStrategy: "lowest-price" }),
      [
        'workers.spot.allocationStrategy = "lowest-price": is not a known field ' +
          "(see the README's configuration table)",
      ],
    ],
    [
      "a type that is not in the repository's list",
      spotWorkers({ instanceTypes: ["m7i.large", "m9z.large"] }),
      [
        'workers.spot.instanceTypes.1 = "m9z.large": is not in the EC2 instance type list (aws/amazon-vpc-cni-k8s ' +
          "v1.23.0 misc/eni-max-pods.txt: the types of 17 regions on 2026-07-31); check the spelling and 'aws ec2 " +
          "describe-instance-type-offerings' in your region, or set allowUnlistedInstanceTypes: true for a newer type",
      ],
    ],
    [
      "a list without workers.instanceType",
      spotWorkers({ instanceTypes: ["m6i.large", "m5.large"] }),
      [
        'workers.spot.instanceTypes = ["m6i.large","m5.large"]: does not include workers.instanceType (m7i.large), ' +
          "the group's first choice and the type the cluster autoscaler models its nodes on; add it",
      ],
    ],
    [
      "an arm64 type among x86_64 ones",
      spotWorkers({ instanceTypes: ["m7i.large", "m7g.large"] }),
      [
        'workers.spot.instanceTypes.1 = "m7g.large": is arm64 but workers.instanceType m7i.large is x86_64, and the ' +
          "workers' image is looked up for one architecture; list x86_64 types only",
      ],
    ],
    [
      // cluster-autoscaler-1.35.2 ec2_instance_types.go: m7i.large 2 vCPU/8192 MiB, m7i.xlarge 4/16384,
      // r7i.large 2/16384, c7i.large 2/4096.
      "types of another vCPU count or memory size than workers.instanceType, each on its own line",
      spotWorkers({ instanceTypes: ["m7i.large", "m7i.xlarge", "r7i.large", "c7i.large"] }),
      [
        ["m7i.xlarge", "has 4 vCPUs and 16384 MiB"],
        ["r7i.large", "has 2 vCPUs and 16384 MiB"],
        ["c7i.large", "has 2 vCPUs and 4096 MiB"],
      ].map(
        ([type, size], i) =>
          `workers.spot.instanceTypes.${i + 1} = "${type}": ${size} but workers.instanceType m7i.large has ` +
          "2 vCPUs and 8192 MiB; the cluster autoscaler plans every node of the group as the first type, so list " +
          "types of the same size (or set addons.clusterAutoscaler: false)",
      ),
    ],
    [
      // cluster-autoscaler-1.35.2 ec2_instance_types.go: c7i.xlarge 4 vCPU/8192 MiB.
      "a type of the same memory size but another vCPU count",
      spotWorkers({ instanceTypes: ["m7i.large", "c7i.xlarge"] }),
      [
        'workers.spot.instanceTypes.1 = "c7i.xlarge": has 4 vCPUs and 8192 MiB but workers.instanceType m7i.large ' +
          "has 2 vCPUs and 8192 MiB; the cluster autoscaler plans every node of the group as the first type, so " +
          "list types of the same size (or set addons.clusterAutoscaler: false)",
      ],
    ],
    [
      // m7g.xlarge: 4 vCPU/16384 MiB, arm64. Only the architecture is reported: sizes compare types of one image.
      "an arm64 type of another size: the architecture only",
      spotWorkers({ instanceTypes: ["m7i.large", "m7g.xlarge"] }),
      [
        'workers.spot.instanceTypes.1 = "m7g.xlarge": is arm64 but workers.instanceType m7i.large is x86_64, and ' +
          "the workers' image is looked up for one architecture; list x86_64 types only",
      ],
    ],
    [
      "another type the cluster autoscaler's list does not have",
      spotWorkers({ instanceTypes: ["m7i.large", "m8id.large"] }),
      [
        `workers.spot.instanceTypes.1 = "m8id.large": has no vCPU and memory in the cluster autoscaler's list ` +
          `(${INSTANCE_RESOURCES_SOURCE}) to compare; choose a listed type, or set allowUnlistedInstanceTypes: true ` +
          "to skip the comparison",
      ],
    ],
    [
      "more instance types than a mixed instances policy takes, and On-Demand numbers that are not whole or too large",
      spotWorkers({
        instanceTypes: Array.from({ length: 41 }, (_, i) => `m7i.${i + 1}xlarge`),
        onDemandBaseCapacity: 1001,
        onDemandPercentageAboveBaseCapacity: 2.5,
      }),
      [
        'workers.spot.instanceTypes = ["m7i.1xlarge","m7i.2xlarge","m7i.3xlarge","m7i.4xlarge","m7i.5xlarge",' +
          "\"m7i.6...: must list at most 40 instance types (AWS's limit)",
        "workers.spot.onDemandBaseCapacity = 1001: must be at most 1000",
        "workers.spot.onDemandPercentageAboveBaseCapacity = 2.5: must be a whole number from 0 to 100",
      ],
    ],
    [
      "a base capacity that is not whole",
      spotWorkers({ ...SPOT, onDemandBaseCapacity: 0.5 }),
      ["workers.spot.onDemandBaseCapacity = 0.5: must be a whole number"],
    ],
    [
      "a type the cluster autoscaler's list does not have (its vCPUs and memory cannot be compared)",
      // In the VPC CNI's list of 2026-07-31, not in the autoscaler's of 2026-01-22.
      spotWorkers({ instanceTypes: ["m8id.large", "m7i.large"] }, { instanceType: "m8id.large" }),
      [
        `workers.spot.instanceTypes.0 = "m8id.large": has no vCPU and memory in the cluster autoscaler's list ` +
          `(${INSTANCE_RESOURCES_SOURCE}) to compare; choose a listed type, or set allowUnlistedInstanceTypes: true ` +
          "to skip the comparison",
      ],
    ],
  ])("%s", (_what, input, expected) => {
    expect(problems(input)).toEqual(expected);
  });

  test("types of different sizes are accepted without the cluster autoscaler (nothing plans with their size)", () => {
    const input = spotWorkers({ instanceTypes: ["m7i.large", "m7i.xlarge"] });
    expect(resolveConfig({ ...input, addons: { clusterAutoscaler: false } }).workers.spot).toEqual({
      instanceTypes: ["m7i.large", "m7i.xlarge"],
      onDemandBaseCapacity: 0,
      onDemandPercentageAboveBaseCapacity: 0,
    });
  });

  test("On-Demand numbers inside their ranges are kept", () =>
    expect(
      resolveConfig(spotWorkers({ ...SPOT, onDemandBaseCapacity: 1000, onDemandPercentageAboveBaseCapacity: 50 }))
        .workers.spot,
    ).toEqual({ ...SPOT, onDemandBaseCapacity: 1000, onDemandPercentageAboveBaseCapacity: 50 }));
  test("allowUnlistedInstanceTypes skips the comparison for a type the autoscaler's list does not have", () => {
    const input = spotWorkers({ instanceTypes: ["m8id.large", "m7i.large"] }, { instanceType: "m8id.large" });
    expect(resolveConfig({ ...input, allowUnlistedInstanceTypes: true }).workers.spot?.instanceTypes).toEqual([
      "m8id.large",
      "m7i.large",
    ]);
  });
});

describe("the instance-type data the checks use", () => {
  test("the autoscaler's list is vendored unchanged from the release the add-on pins for the default minor", () => {
    const loaded = loadVendored(
      "ec2-instance-types",
      "cluster-autoscaler-1.35.2",
      repositoryFolder("data", "ec2-instance-types"),
    );
    expect(loaded.source).toMatchObject({
      repository: "https://github.com/kubernetes/autoscaler",
      path: "cluster-autoscaler/cloudprovider/aws/ec2_instance_types.go",
    });
    expect(`v${loaded.source.version.split("-").pop()}`).toBe(
      AUTOSCALING_ADDON_VERSIONS.clusterAutoscaler[DEFAULT_KUBERNETES_MINOR],
    );
    // Every entry of the Go map is read (one "InstanceType:" field per entry).
    expect(instanceResources().size).toBe(loaded.files[0].text.match(/^\t\tInstanceType: /gm)!.length);
    expect(instanceResources().get("t3.large")).toEqual({ vcpu: 2, memoryMb: 8192, architecture: "amd64" });
  });

  test("the architecture the image lookup uses agrees with the autoscaler's list for every type in both lists", () => {
    const disagree = [...knownInstanceTypes()].filter((t) => {
      const r = instanceResources().get(t);
      return r && (r.architecture === "amd64" ? "x86_64" : r.architecture) !== architectureOf(t);
    });
    expect(disagree).toEqual([]);
  });
});

describe("the workers' group", () => {
  test("without workers.spot: the plain launch template, no mixed instances policy, no capacity rebalancing", () => {
    const group = resource(synthCluster(), "aws_autoscaling_group.worker_asg");
    expect(group.launch_template).toEqual({
      id: ref("aws_launch_template.worker_launch_template"),
      version: ref("aws_launch_template.worker_launch_template", "latest_version"),
    });
    expect(group.mixed_instances_policy).toBeUndefined();
    expect(group.capacity_rebalance).toBeUndefined();
  });

  const spot = synthCluster(
    spotWorkers({ instanceTypes: ["m6i.large", "m7i.large", "m5.large"], onDemandBaseCapacity: 1 }),
  );

  test("with workers.spot: a mixed instances policy over the same template, workers.instanceType first", () => {
    expect(spot.text).toHaveResourceWithProperties(AutoscalingGroup, {
      capacity_rebalance: true,
      mixed_instances_policy: {
        launch_template: {
          launch_template_specification: {
            launch_template_id: ref("aws_launch_template.worker_launch_template"),
            version: ref("aws_launch_template.worker_launch_template", "latest_version"),
          },
          override: [{ instance_type: "m7i.large" }, { instance_type: "m6i.large" }, { instance_type: "m5.large" }],
        },
        instances_distribution: {
          on_demand_allocation_strategy: "prioritized",
          on_demand_base_capacity: 1,
          on_demand_percentage_above_base_capacity: 0,
          spot_allocation_strategy: "price-capacity-optimized",
        },
      },
    });
    const group = resource(spot, "aws_autoscaling_group.worker_asg");
    expect(group.launch_template).toBeUndefined();
    // A new template version still rolls the group, and the autoscaler still owns the desired count.
    expect(group.instance_refresh.strategy).toBe("Rolling");
    expect(group.lifecycle).toEqual({ ignore_changes: ["desired_capacity"] });
  });

  test("worker_instance_type may only name one of the listed types (the group launches those)", () => {
    const variable = (spot.json.variable as any).worker_instance_type;
    expect(variable.default).toBe("m7i.large");
    expect(variable.validation).toContainEqual({
      condition: '${contains(["m6i.large","m7i.large","m5.large"], var.worker_instance_type)}',
      error_message:
        "worker_instance_type must be one of workers.spot.instanceTypes; for other types set them in " +
        "cluster.config.json and synthesize again.",
    });
  });
});

test("every node labels itself with its purchase option, from IMDS at boot (a mixed group holds both)", () => {
  expect(LIFECYCLE_LABEL).toBe("node.kubernetes.io/lifecycle");
  expect(kubeletExtraArgs()).toContainEqual({
    name: "node-labels",
    value: "topology.kubernetes.io/zone=__NODE_ZONE__,node.kubernetes.io/lifecycle=__NODE_LIFECYCLE__",
  });
});
