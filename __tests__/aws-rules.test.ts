/** The synth-time check of what AWS rejects at apply but a plan does not. */
import { resolveConfig } from "../src/config";
import { buildApp } from "../src/app";
import { checkAwsRules } from "../src/analysis/aws-rules";
import { failIfAwsWouldReject } from "../src/analysis/check-app";
import { stackToJson } from "../src/analysis/tf-json";
import { regExp } from "./helpers/regexp";

const defaultJson = stackToJson(buildApp(resolveConfig({})).cluster);
const freshJson = () => structuredClone(defaultJson) as any;

function cluster(mutate?: (c: ReturnType<typeof buildApp>["cluster"]) => void) {
  const built = buildApp(resolveConfig({}));
  mutate?.(built.cluster);
  return built;
}

test("the default cluster passes every check", () => {
  const built = cluster();
  expect(checkAwsRules(stackToJson(built.cluster))).toEqual([]);
  expect(checkAwsRules(stackToJson(built.stateBucket))).toEqual([]);
  expect(() => failIfAwsWouldReject(built.app)).not.toThrow();
});

test("azCount 3 with per-AZ NAT gateways passes every check", () => {
  const built = buildApp(resolveConfig({ azCount: 3, natGateways: "perAz" }));
  expect(checkAwsRules(stackToJson(built.cluster))).toEqual([]);
});

const cases: [string, (c: any) => void, RegExp][] = [
  [
    "a /29 subnet",
    (c) => c.network.subnets.apiEndpoint[0].addOverride("cidr_block", "172.31.0.0/29"),
    /aws_subnet\.api_endpoint_a \(KubernetesAPIendpoint\): subnet CIDR 172\.31\.0\.0\/29 is outside \/16 to \/28/,
  ],
  [
    "a subnet outside the VPC",
    (c) => c.network.subnets.bastion[0].addOverride("cidr_block", "10.1.0.0/24"),
    /aws_subnet\.bastion_a \(bastion\): subnet CIDR 10\.1\.0\.0\/24 is not inside its VPC's 172\.31\.0\.0\/16/,
  ],
  [
    "overlapping subnets",
    (c) => c.network.subnets.bastion[0].addOverride("cidr_block", "172.31.1.128/25"),
    /aws_subnet\.bastion_a \(bastion\): subnet CIDR 172\.31\.1\.128\/25 overlaps aws_subnet\.workers_a \(workernodes\)/,
  ],
  [
    "a NAT gateway in a private subnet",
    (c) => c.network.natGateways[0].addOverride("subnet_id", "${aws_subnet.workers_a.id}"),
    regExp(
      /aws_nat_gateway\.nat_gateway_a \(nat-gateway-0\): sits in aws_subnet\.workers_a, /,
      /whose route table has no 0\.0\.0\.0\/0 route to an internet gateway/,
    ),
  ],
];

describe("each AWS rule fails synth with a message naming the resource", () => {
  test.each(cases)("%s", (_what, mutate, pattern) => {
    const built = cluster(mutate);
    expect(() => failIfAwsWouldReject(built.app)).toThrow(pattern);
  });

  test("a subnet without a route table", () => {
    const tf = freshJson();
    delete tf.resource.aws_route_table_association.bastion_a_association;
    expect(checkAwsRules(tf).map((f) => `${f.resource}: ${f.message}`)).toEqual([
      "aws_subnet.bastion_a (bastion): has no route table association (it would silently use the VPC's main route " +
        "table)",
    ]);
  });

  test("a subnet associated twice", () => {
    const tf = freshJson();
    tf.resource.aws_route_table_association.extra = {
      subnet_id: "${aws_subnet.bastion_a.id}",
      route_table_id: "${aws_route_table.rtb_pods.id}",
    };
    expect(checkAwsRules(tf).map((f) => f.message)).toEqual(["is associated with 2 route tables; AWS allows one"]);
  });

  test("two routes to the same destination", () => {
    const tf = freshJson();
    tf.resource.aws_route.dup = {
      route_table_id: "${aws_route_table.rtb_pods.id}",
      destination_cidr_block: "0.0.0.0/0",
      gateway_id: "x",
    };
    expect(checkAwsRules(tf).map((f) => `${f.resource}: ${f.message}`)).toEqual([
      "aws_route_table.rtb_pods (rtb-pods): has two routes to 0.0.0.0/0 (RouteAlreadyExists)",
    ]);
  });

  test("a VPC outside /16 to /28", () => {
    const tf = freshJson();
    tf.resource.aws_vpc.vpc.cidr_block = "172.0.0.0/8";
    expect(
      checkAwsRules(tf).some(
        (f) => /aws_vpc\.vpc \(k8s-cluster\)/.test(f.resource) && /outside \/16 to \/28/.test(f.message),
      ),
    ).toBe(true);
  });
});

describe("a mixed instances policy (workers.spot) AWS would refuse fails synth", () => {
  const SPOT = {
    workers: { instanceType: "m7i.large", spot: { instanceTypes: ["m7i.large", "m6i.large", "m5.large"] } },
  };
  const spotJson = stackToJson(buildApp(resolveConfig(SPOT)).cluster);
  const spotTf = () => structuredClone(spotJson) as any;
  const launch = (tf: any) => tf.resource.aws_autoscaling_group.worker_asg.mixed_instances_policy.launch_template;
  const messages = (tf: any) => checkAwsRules(tf).map((f) => `${f.resource}: ${f.message}`);

  test("the spot configuration as synthesized passes every check", () => {
    expect(checkAwsRules(spotTf())).toEqual([]);
  });

  test("more than 40 instance types (the API's LaunchTemplateOverrides limit)", () => {
    const tf = spotTf();
    const sizes = ["large", "xlarge", "2xlarge", "4xlarge", "8xlarge", "12xlarge", "16xlarge", "24xlarge"];
    const families = ["m5", "m6i", "m7i", "c5", "c6i", "r5"];
    launch(tf).override = families.flatMap((f) => sizes.map((s) => ({ instance_type: `${f}.${s}` }))).slice(0, 41);
    expect(messages(tf)).toEqual([
      "aws_autoscaling_group.worker_asg: its mixed instances policy names 41 instance types; " + "a group allows 40",
    ]);
  });

  test("an override of the other architecture than the image the template was looked up for", () => {
    const tf = spotTf();
    launch(tf).override.push({ instance_type: "m7g.large" });
    expect(messages(tf)).toEqual([
      "aws_autoscaling_group.worker_asg: override m7g.large is arm64, but " +
        "aws_launch_template.worker_launch_template's image is x86_64",
    ]);
  });

  test("a launch template that requests Spot Instances itself", () => {
    const tf = spotTf();
    tf.resource.aws_launch_template.worker_launch_template.instance_market_options = { market_type: "spot" };
    expect(messages(tf)).toEqual([
      "aws_autoscaling_group.worker_asg: aws_launch_template.worker_launch_template requests " +
        "Spot Instances itself (instance_market_options), which a group with a mixed instances policy refuses: its " +
        "instances_distribution decides Spot or On-Demand",
    ]);
  });

  test("a configured amiId is not a lookup: its architecture is not known at synth, so not checked", () => {
    const tf = stackToJson(buildApp(resolveConfig({ ...SPOT, amiId: "ami-0123456789abcdef0" })).cluster) as any;
    launch(tf).override.push({ instance_type: "m7g.large" });
    expect(checkAwsRules(tf)).toEqual([]);
  });
});
