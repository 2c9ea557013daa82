/**
 * The real provider on the synthesized stacks, offline: terraform init (filesystem mirror, no
 * backend), validate, and a test plan with fake credentials and data sources overridden.
 * Missing terraform or mirror fails here with one line; it never passes silently.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { resolveConfig } from "../../src/config";
import { buildApp, synthesize } from "../../src/app";
import { checkStackOffline, expectedCheckWarnings, offlineTerraformProblem } from "../../tools/terraform-check";
import { stackToJson } from "../../src/analysis/tf-json";
import { sha256 } from "../../src/addons/vendored";

const outdir = fs.mkdtempSync(path.join(os.tmpdir(), "tfplan-"));
const hclOutdir = fs.mkdtempSync(path.join(os.tmpdir(), "tfplan-hcl-"));
const config = resolveConfig({});
buildApp(config, outdir).app.synth();
// The HCL hand-off, as npm run synth:hcl writes it (repaired and formatted).
synthesize(buildApp(config, hclOutdir, true));

afterAll(() => [outdir, hclOutdir].forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

// Both stacks are checked at once: terraform is mostly waiting on the provider's schema load.
// Terraform must upload the bundle's bytes as they are: its own sha256() of the planned, decoded
// body equals the bundle's record.
const { cluster: clusterStack } = buildApp(config);
const bundleObjects = Object.entries(
  (stackToJson(clusterStack) as { resource: { aws_s3_object: Record<string, { key: string }> } }).resource
    .aws_s3_object,
);
const bundle = clusterStack.addonAssets;
const contentAssertions = bundleObjects.map(([name, o]) => ({
  condition: `sha256(base64decode(aws_s3_object.${name}.content_base64)) == "${sha256(bundle.contents[o.key])}"`,
  message: `${o.key} is uploaded byte for byte`,
}));

const clusterAssertions = [
  ...contentAssertions,
  {
    condition: 'aws_subnet.api_endpoint_a.cidr_block == "172.31.0.0/28"',
    message: "API endpoint subnet is the /28 (D1)",
  },
  { condition: 'aws_vpc.vpc.cidr_block == "172.31.0.0/16"', message: "VPC CIDR" },
  { condition: "aws_vpc.vpc.enable_dns_hostnames == true", message: "DNS hostnames" },
  {
    condition: 'aws_launch_template.worker_launch_template.instance_type == "t3.large"',
    message: "worker type from the variable default",
  },
  {
    condition: "length(aws_vpc_security_group_ingress_rule.bastion_ingress_tcp_22_from_admin_cidrs) == 1",
    message: "one admin CIDR rule",
  },
];
/**
 * The Kubernetes upgrade order (src/constructs/kubernetes-version-guard.ts): the plan reads the
 * version the control plane publishes in SSM (override_data of the by-path lookup) and the
 * control-plane launch template's precondition fails when the configured minor (1.35) is not it.
 */
const VERSION_LOOKUP = "data.aws_ssm_parameters_by_path.cluster_parameters";
const VERSION_PARAMETER = "/k8s/k8s-cluster/cluster/kubernetes-version";
const CONTROL_PLANE_TEMPLATE = "aws_launch_template.control_plane_launch_template";
const published = (...versions: string[]) => ({
  target: VERSION_LOOKUP,
  values: {
    names: versions.map(() => VERSION_PARAMETER),
    values: versions,
    types: versions.map(() => "String"),
    arns: versions.map(() => `arn:aws:ssm:ap-northeast-2:123456789012:parameter${VERSION_PARAMETER}`),
  },
});
// Each scenario plans the control-plane launch template and what it depends on (the lookup among them).
const targets = [CONTROL_PLANE_TEMPLATE];
const versionScenarios = [
  // A new cluster: nothing published yet, any minor may be applied.
  { name: "kubernetes_version_not_published_yet", data: [published()], targets },
  { name: "kubernetes_version_same_minor", data: [published("v1.35.8")], targets },
  // The configuration is a minor ahead of the running control plane: upgrade it in place first.
  {
    name: "kubernetes_version_minor_ahead_fails",
    data: [published("v1.34.11")],
    expectFailures: [CONTROL_PLANE_TEMPLATE],
    targets,
  },
  {
    name: "kubernetes_version_minor_behind_fails",
    data: [published("v1.36.0")],
    expectFailures: [CONTROL_PLANE_TEMPLATE],
    targets,
  },
];
const clusterOptions = {
  scenarios: versionScenarios,
  // The variables' validation blocks, checked by the real terraform.
  rejected: [
    {
      // One plan, five bad values: terraform reports every failed variable validation at once.
      name: "variables_reject_bad_values",
      variables: {
        worker_desired_capacity: 9,
        bastion_admin_cidrs: ["10.0.0.1/8"],
        worker_instance_type: "m7g.large",
        control_plane_instance_type: "t3.micro",
        bastion_instance_type: "large",
      },
      expectFailures: [
        "worker_desired_capacity",
        "bastion_admin_cidrs",
        "worker_instance_type",
        "control_plane_instance_type",
        "bastion_instance_type",
      ],
    },
  ],
};
const cluster = checkStackOffline(
  path.join(outdir, "stacks/cluster"),
  config.region,
  clusterAssertions,
  clusterOptions,
);
// The same plan, the same assertions (the bundle's bytes included) and the same rejected variables, on
// the HCL. The version scenarios test the one precondition the JSON and the HCL share: the hand-off
// test (__tests__/hcl.test.ts) shows that the two formats hold the same blocks.
const clusterHcl = checkStackOffline(path.join(hclOutdir, "stacks/cluster"), config.region, clusterAssertions, {
  rejected: clusterOptions.rejected,
  jsonForPlan: path.join(outdir, "stacks/cluster/cdk.tf.json"),
});
const stateBucket = checkStackOffline(path.join(outdir, "stacks/state-bucket"), config.state.region);
// Failures are reported by the tests below, not as unhandled rejections.
cluster.catch(() => undefined);
clusterHcl.catch(() => undefined);
stateBucket.catch(() => undefined);

test("terraform and the provider mirror are here", () => {
  const problem = offlineTerraformProblem();
  if (problem) throw new Error(`OFFLINE TERRAFORM CHECK CANNOT RUN: ${problem}`);
});

test("the check block warns while bastion SSH is open to the internet (the plan expects it), not once narrowed", () => {
  expect(expectedCheckWarnings(stackToJson(buildApp(config).cluster))).toEqual([
    "check.bastion_ssh_not_open_to_the_internet",
  ]);
  expect(
    expectedCheckWarnings(
      stackToJson(buildApp(resolveConfig({ bastion: { adminCidrs: ["203.0.113.0/24"] } })).cluster),
    ),
  ).toEqual([]);
});

test("a missing terraform or mirror is reported in one line, not skipped", () => {
  expect(offlineTerraformProblem("/opt/tf-plugins", { PATH: "/nonexistent" })).toMatch(/^terraform is not on PATH/);
  expect(offlineTerraformProblem("/nonexistent-mirror")).toMatch(
    /^the AWS provider mirror \/nonexistent-mirror\/registry.terraform.io\/hashicorp\/aws is missing/,
  );
});

test("cluster stack: init, validate and plan with the real AWS provider 5.100.0", async () => {
  const r = await cluster;
  expect(r.validate).toMatch(/The configuration is valid/);
  expect(r.test).toMatch(/6 passed, 0 failed/);
  for (const sc of versionScenarios) expect(r.test).toContain(`run "${sc.name}"... pass`);
  // Two plans of the whole stack and four of the control-plane launch template.
}, 900_000);

test("cluster stack as HCL: validate without a warning; the JSON's assertions and rejected variables", async () => {
  const [json, hcl] = await Promise.all([cluster, clusterHcl]);
  for (const r of [json, hcl]) {
    expect(r.validate).toMatch(/The configuration is valid/);
    expect(r.validate).not.toMatch(/Warning/);
  }
  expect(hcl.test).toMatch(/2 passed, 0 failed/);
  expect(hcl.test).toContain('run "variables_reject_bad_values"... pass');
}, 900_000);

test("state-bucket stack: init, validate without a warning, and plan", async () => {
  const r = await stateBucket;
  expect(r.validate).toMatch(/The configuration is valid/);
  expect(r.validate).not.toMatch(/Warning/);
  expect(r.test).toMatch(/1 passed, 0 failed/);
});
