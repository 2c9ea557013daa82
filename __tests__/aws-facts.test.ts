/**
 * The AWS facts the stacks and the configuration share (src/aws): names and patterns AWS defines,
 * each at the edge where it decides.
 */
import { AZ_NAME, REGION_NAME } from "../src/aws/regions";
import { ARM64_FAMILY_HCL, architectureOf, ubuntuImagePattern } from "../src/aws/instances";
import {
  hookWaitLimitSeconds,
  LAUNCH_HOOK_TIMEOUT_SECONDS,
  TERMINATE_HOOK_TIMEOUT_SECONDS,
} from "../src/aws/lifecycle";
import { INSTANCE_RESOURCES_SOURCE, instanceTypeProblem } from "../src/aws/instance-types";
import { loadVendored, repositoryFolder } from "../src/addons/vendored";
import { tagProblem } from "../src/validation/aws-tags";
import { apiLoadBalancerName, elbName, workerGroupNames } from "../src/aws/cluster-names";
import { ssmPrefixProblem } from "../src/aws/ssm-parameters";
import { EC2_CONDITION_KEYS, conditionKeysFor, referenceKey } from "../src/aws/ec2-condition-keys";

describe("region and zone names", () => {
  test.each(["ap-northeast-2", "us-gov-west-1", "us-iso-east-1", "us-isob-east-1", "eu-central-2"])(
    "%s is a region name",
    (name) => expect(name).toMatch(REGION_NAME),
  );
  test.each(["xap-northeast-2", "ap-northeast-2a", "ap-northeast", "ap-up-1", "us-isob-east-10"])("%s is not", (name) =>
    expect(name).not.toMatch(REGION_NAME),
  );
  test("a zone is its region's name and one letter", () => {
    expect("ap-northeast-2a").toMatch(AZ_NAME);
    expect("us-isob-east-1c").toMatch(AZ_NAME);
    for (const name of ["ap-northeast-2", "ap-northeast-2ab", "xap-northeast-2a", "ap-northeast-2-a"])
      expect(name).not.toMatch(AZ_NAME);
  });
});

describe("instances", () => {
  test("Ubuntu 24.04 server images on gp3, per architecture (Canonical's image names)", () => {
    expect(ubuntuImagePattern("x86_64")).toBe("ubuntu/images/hvm-ssd-gp3/ubuntu-noble-24.04-amd64-server-*");
    expect(ubuntuImagePattern("arm64")).toBe("ubuntu/images/hvm-ssd-gp3/ubuntu-noble-24.04-arm64-server-*");
  });
  test("Graviton families are arm64, in the stack and in Terraform's regex alike", () => {
    for (const t of ["a1.large", "t4g.small", "c7gn.large", "r8gd.xlarge", "x2gd.medium"])
      expect(architectureOf(t)).toBe("arm64");
    for (const t of ["g5.xlarge", "m7i.large", "t3.micro", "c7i-flex.large"]) expect(architectureOf(t)).toBe("x86_64");
    expect(ARM64_FAMILY_HCL).toBe("^(a1|[a-z]+[0-9]+g[a-z]*)\\\\.");
    // Terraform's regex() as HCL reads the string: "\\\\." is the regex \. (a literal dot).
    const hcl = new RegExp(ARM64_FAMILY_HCL.replace(/\\\\/g, "\\"));
    for (const t of ["a1.large", "t4g.small", "c7gn.large", "r8gd.xlarge", "x2gd.medium", "g5.xlarge", "m7i.large"])
      expect([t, hcl.test(t)]).toEqual([t, architectureOf(t) === "arm64"]);
  });
  test("a Mac family is refused even with the escape hatch; mac elsewhere in a name is not a Mac", () => {
    expect(instanceTypeProblem("mac2-m2pro.metal", true)).toMatch(/^is a Mac instance/);
    expect(instanceTypeProblem("zmac1.large", true)).toBeUndefined();
  });
  test("the autoscaler's list is named by the release and file vendored under data/", () => {
    const folder = repositoryFolder("data", "ec2-instance-types");
    const [file] = loadVendored("ec2-instance-types", "cluster-autoscaler-1.35.2", folder).files;
    expect(file.path).toBe("ec2-instance-types/cluster-autoscaler-1.35.2/ec2_instance_types.go");
    expect(INSTANCE_RESOURCES_SOURCE).toBe(
      "kubernetes/autoscaler cluster-autoscaler-1.35.2 cluster-autoscaler/cloudprovider/aws/ec2_instance_types.go",
    );
  });
});

describe("lifecycle hooks", () => {
  test("a hook holds an instance at most 100 heartbeat timeouts, and never past 48 hours", () => {
    expect(hookWaitLimitSeconds(LAUNCH_HOOK_TIMEOUT_SECONDS)).toBe(120_000);
    expect(hookWaitLimitSeconds(TERMINATE_HOOK_TIMEOUT_SECONDS)).toBe(60_000);
    expect(hookWaitLimitSeconds(3600)).toBe(172_800);
  });
});

describe("tag keys", () => {
  test("the aws: prefix is AWS's in any case, only at the start of a key", () => {
    expect(tagProblem("AwS:team", "x")).toBe("uses the aws: prefix, which AWS reserves");
    expect(tagProblem("team/aws:x", "v")).toBeUndefined();
  });
});

describe("names AWS limits", () => {
  test("a load balancer name: at most 32 characters, no hyphen left at the end", () => {
    expect(apiLoadBalancerName("k8s-cluster")).toBe("k8s-cluster-api");
    expect(apiLoadBalancerName("a".repeat(28))).toBe(`${"a".repeat(28)}-api`);
    expect(apiLoadBalancerName("a".repeat(31))).toBe("a".repeat(31));
    expect(apiLoadBalancerName("a".repeat(30))).toBe(`${"a".repeat(30)}-a`);
    expect(elbName("ab--")).toBe("ab");
  });
  test("worker groups: one without a zone suffix, or one per zone by its letter", () => {
    expect(workerGroupNames("c", ["eu-west-1a"])).toEqual(["c-workers"]);
    expect(workerGroupNames("c", ["eu-west-1a", "eu-west-1c"])).toEqual(["c-workers-a", "c-workers-c"]);
  });
  test("an SSM prefix is /a/b: rooted, no trailing or doubled slash, SSM's characters", () => {
    for (const ok of ["/k8s/c", "/k8s", "/a.b/c_d-e"]) expect(ssmPrefixProblem(ok)).toBeUndefined();
    for (const bad of ["k8s/c", "/k8s/", "/k8s//c", "/k8s/c d", "", "x/k8s"])
      expect(ssmPrefixProblem(bad)).toBe("must look like /a/b (no trailing slash)");
  });
});

describe("EC2's condition keys per action and resource type (src/aws/ec2-condition-keys.ts)", () => {
  const KEY = /^(aws|ec2):[A-Za-z0-9]+(\/\$\{[A-Za-z]+\})?$/;
  const lists = Object.entries(EC2_CONDITION_KEYS).flatMap(([action, byType]) =>
    Object.entries(byType).map(([type, keys]) => [`${action} ${type || "(the action)"}`, keys] as const),
  );
  test("the eight actions the VPC CNI's statements use", () =>
    expect(Object.keys(EC2_CONDITION_KEYS)).toEqual([
      "CreateTags",
      "CreateNetworkInterface",
      "ModifyNetworkInterfaceAttribute",
      "AssignPrivateIpAddresses",
      "UnassignPrivateIpAddresses",
      "AttachNetworkInterface",
      "DetachNetworkInterface",
      "DeleteNetworkInterface",
    ]));
  test.each(lists)("%s: well-formed keys, each once", (_where, keys) => {
    expect(keys.length).toBeGreaterThan(0);
    for (const key of keys) expect(key).toMatch(KEY);
    expect(new Set(keys).size).toBe(keys.length);
  });
});

describe("condition keys of one request", () => {
  test("a resource type's keys and the action's own, or nothing for a type or action not listed", () => {
    expect(conditionKeysFor("CreateTags", "security-group")).toEqual([
      "aws:RequestTag/${TagKey}",
      "aws:ResourceTag/${TagKey}",
      "aws:TagKeys",
      "ec2:ResourceTag/${TagKey}",
      "ec2:SecurityGroupID",
      "ec2:Vpc",
      "ec2:CreateAction",
      "ec2:Region",
    ]);
    expect(conditionKeysFor("CreateTags", "volume")).toBeUndefined();
    expect(conditionKeysFor("RunInstances", "instance")).toBeUndefined();
  });
  test("tag keys are spelled as the reference spells them", () => {
    expect(referenceKey("aws:RequestTag/cluster.k8s.amazonaws.com/name")).toBe("aws:RequestTag/${TagKey}");
    expect(referenceKey("ec2:ResourceTag/kubernetes.io/cluster/c")).toBe("ec2:ResourceTag/${TagKey}");
    expect(referenceKey("aws:ResourceTag/x")).toBe("aws:ResourceTag/${TagKey}");
    expect(referenceKey("aws:TagKeys")).toBe("aws:TagKeys");
    expect(referenceKey("ec2:Vpc")).toBe("ec2:Vpc");
    expect(referenceKey("xaws:RequestTag/y")).toBe("xaws:RequestTag/y");
  });
});
