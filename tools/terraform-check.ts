/**
 * `terraform init` / `validate` / `test` (a plan) of a synthesized stack, offline: the provider
 * comes from the filesystem mirror (terraform/offline.tfrc), the S3 backend is skipped with
 * `init -backend=false`, credentials are fake (the provider's skip_* flags) and every data source
 * that would call AWS is overridden. Used by the test suite and by `npm run tf:check`.
 */
import { execFile, execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { TfJson } from "../src/analysis/tf-json";

/** The provider mirror: this machine image's /opt/tf-plugins, or TF_PROVIDER_MIRROR (GitHub Actions builds one). */
export const PROVIDER_MIRROR = process.env.TF_PROVIDER_MIRROR ?? "/opt/tf-plugins";
/** The CLI configuration for /opt/tf-plugins; also the one to use when running terraform by hand. */
export const CLI_CONFIG = path.resolve(__dirname, "../terraform/offline.tfrc");

let cliConfigFile: string | undefined;
/** terraform/offline.tfrc, pointed at PROVIDER_MIRROR when that is not /opt/tf-plugins (written once per process). */
function cliConfig(): string {
  if (PROVIDER_MIRROR === "/opt/tf-plugins") return CLI_CONFIG;
  if (!cliConfigFile) {
    const text = fs.readFileSync(CLI_CONFIG, "utf8");
    if (!text.includes('"/opt/tf-plugins"')) throw new Error(`${CLI_CONFIG} no longer names "/opt/tf-plugins"`);
    cliConfigFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "tfrc-")), "offline.tfrc");
    fs.writeFileSync(cliConfigFile, text.replace('"/opt/tf-plugins"', JSON.stringify(PROVIDER_MIRROR)));
  }
  return cliConfigFile;
}

/** Data sources the provider computes locally: overriding them would only hide real errors. */
const LOCAL_DATA_SOURCES = new Set(["aws_iam_policy_document"]);

/** Plausible values for data sources that would call AWS. */
const FAKE_DATA: Record<string, (region: string) => Record<string, unknown>> = {
  aws_ami: () => ({
    id: "ami-0123456789abcdef0",
    image_id: "ami-0123456789abcdef0",
    root_device_name: "/dev/sda1",
    architecture: "x86_64",
  }),
  aws_caller_identity: () => ({
    account_id: "123456789012",
    arn: "arn:aws:iam::123456789012:user/ci",
    user_id: "AIDAEXAMPLE",
  }),
  aws_partition: () => ({ partition: "aws", dns_suffix: "amazonaws.com", id: "aws" }),
  aws_region: (region) => ({ name: region, id: region }),
  aws_availability_zones: (region) => ({ names: ["a", "b", "c"].map((l) => region + l) }),
  aws_ssm_parameter: () => ({ value: "ami-0123456789abcdef0", insecure_value: "ami-0123456789abcdef0" }),
  // A new cluster: nothing published yet below the path.
  aws_ssm_parameters_by_path: () => ({ arns: [], names: [], types: [], values: [] }),
};

export class TerraformUnavailable extends Error {}

/** Why the offline check cannot run here, or undefined when it can. */
export function offlineTerraformProblem(
  mirror = PROVIDER_MIRROR,
  env: NodeJS.ProcessEnv = process.env,
): string | undefined {
  try {
    execFileSync("terraform", ["version"], { stdio: "pipe", env: { ...tfEnv(), PATH: env.PATH } });
  } catch {
    return (
      "terraform is not on PATH: the offline plan check needs Terraform >= 1.10 " +
      "(this project is checked with 1.11.4)"
    );
  }
  if (!fs.existsSync(path.join(mirror, "registry.terraform.io/hashicorp/aws")))
    return (
      `the AWS provider mirror ${mirror}/registry.terraform.io/hashicorp/aws is missing: ` +
      "the offline plan check cannot install the provider"
    );
  return undefined;
}

function tfEnv(): NodeJS.ProcessEnv {
  return {
    ...process.env,
    TF_CLI_CONFIG_FILE: cliConfig(),
    CHECKPOINT_DISABLE: "1",
    TF_IN_AUTOMATION: "1",
    TF_INPUT: "0",
  };
}

function hclValue(v: unknown): string {
  // JSON is valid HCL for strings, numbers, bools, lists and objects with quoted keys.
  return JSON.stringify(v);
}

export interface PlanAssertion {
  readonly condition: string;
  readonly message: string;
}

/** A plan run with variables that must be rejected by the named variables' validation blocks. */
export interface RejectedVariables {
  readonly name: string;
  readonly variables: Record<string, unknown>;
  readonly expectFailures: readonly string[];
}

/**
 * A plan run with some data sources answering differently (run-level override_data), and the
 * checkable objects (e.g. a resource with a precondition) expected to fail; none means it passes.
 */
export interface DataScenario {
  readonly name: string;
  readonly data: readonly { readonly target: string; readonly values: Record<string, unknown> }[];
  readonly expectFailures?: readonly string[];
  /**
   * Plan only these resources and what they depend on (plan_options target): a scenario about one
   * resource's precondition then costs about 2 s of CPU instead of 3.4 s for the whole cluster stack.
   * Check blocks are not evaluated in such a plan, so their expected warnings are not expected there.
   */
  readonly targets?: readonly string[];
}

/**
 * Check blocks that are meant to warn with the synthesized defaults. In `terraform test` a failed
 * check fails the run unless the run expects it, so the plan run lists exactly these.
 */
export function expectedCheckWarnings(tf: TfJson): string[] {
  const admin = (tf.variable as Record<string, { default?: unknown }> | undefined)?.bastion_admin_cidrs?.default;
  const checks = Object.keys((tf.check as Record<string, unknown> | undefined) ?? {});
  return checks.includes("bastion_ssh_not_open_to_the_internet") && Array.isArray(admin) && admin.includes("0.0.0.0/0")
    ? ["check.bastion_ssh_not_open_to_the_internet"]
    : [];
}

/**
 * The .tftest.hcl for a stack: fake-credential provider, data overrides, a plan run with the
 * assertions, then a run per rejected variable set and per data scenario.
 */
export function testFileFor(
  tf: TfJson,
  region: string,
  assertions: readonly PlanAssertion[] = [],
  rejected: readonly RejectedVariables[] = [],
  scenarios: readonly DataScenario[] = [],
): string {
  const lines: string[] = [
    'provider "aws" {',
    `  region                      = "${region}"`,
    '  access_key                  = "AKIAIOSFODNN7EXAMPLE"',
    '  secret_key                  = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"',
    "  skip_credentials_validation = true",
    "  skip_requesting_account_id  = true",
    "  skip_metadata_api_check     = true",
    "  skip_region_validation      = true",
    "}",
    "",
  ];
  for (const [type, byName] of Object.entries(tf.data ?? {})) {
    if (LOCAL_DATA_SOURCES.has(type)) continue;
    for (const name of Object.keys(byName)) {
      const values = FAKE_DATA[type]?.(region) ?? {};
      lines.push("override_data {", `  target = data.${type}.${name}`, `  values = ${hclValue(values)}`, "}", "");
    }
  }
  lines.push('run "plan" {', "  command = plan");
  const warnings = expectedCheckWarnings(tf);
  if (warnings.length) lines.push(`  expect_failures = [${warnings.join(", ")}]`);
  for (const a of assertions)
    lines.push(
      "  assert {",
      `    condition     = ${a.condition}`,
      `    error_message = ${JSON.stringify(a.message)}`,
      "  }",
    );
  lines.push("}", "");
  for (const r of rejected) {
    lines.push(`run "${r.name}" {`, "  command = plan", "  variables {");
    for (const [k, v] of Object.entries(r.variables)) lines.push(`    ${k} = ${hclValue(v)}`);
    lines.push("  }", `  expect_failures = [${r.expectFailures.map((f) => `var.${f}`).join(", ")}]`, "}", "");
  }
  for (const sc of scenarios) {
    lines.push(`run "${sc.name}" {`, "  command = plan");
    if (sc.targets) lines.push("  plan_options {", `    target = [${sc.targets.join(", ")}]`, "  }");
    const failures = [...(sc.targets ? [] : expectedCheckWarnings(tf)), ...(sc.expectFailures ?? [])];
    if (failures.length) lines.push(`  expect_failures = [${failures.join(", ")}]`);
    for (const d of sc.data)
      lines.push("  override_data {", `    target = ${d.target}`, `    values = ${hclValue(d.values)}`, "  }");
    lines.push("}", "");
  }
  return lines.join("\n");
}

export interface OfflineCheckResult {
  readonly stack: string;
  readonly validate: string;
  readonly test: string;
}

function run(args: string[], cwd: string): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      "terraform",
      [...args, "-no-color"],
      { cwd, env: tfEnv(), encoding: "utf8", maxBuffer: 64 << 20 },
      (error, stdout, stderr) => {
        if (error) reject(new Error(`terraform ${args[0]} failed for ${path.basename(cwd)}:\n${stdout}${stderr}`));
        else resolve(stdout);
      },
    );
  });
}

/**
 * Copies a synthesized stack folder to a scratch folder (so nothing lands in cdktf.out), then
 * runs init (no backend), validate and a test plan there. Throws with terraform's output.
 */
export async function checkStackOffline(
  stackDir: string,
  region: string,
  assertions: readonly PlanAssertion[] = [],
  /** jsonForPlan: the JSON of the same stack, for the plan's data overrides when stackDir holds HCL. */
  options: {
    plan?: boolean;
    rejected?: readonly RejectedVariables[];
    scenarios?: readonly DataScenario[];
    jsonForPlan?: string;
    /**
     * false: no separate `terraform validate` (terraform test validates the configuration too, but
     * does not print validate's own verdict); for variants of a stack whose default is validated.
     */
    validate?: boolean;
  } = {},
): Promise<OfflineCheckResult> {
  const problem = offlineTerraformProblem();
  if (problem) throw new TerraformUnavailable(problem);
  const work = fs.mkdtempSync(path.join(os.tmpdir(), "tfcheck-"));
  try {
    // JSON (npm run synth) or HCL (npm run synth:hcl); the plan's data overrides need the JSON.
    const jsonFile = path.join(stackDir, "cdk.tf.json");
    const hclFile = path.join(stackDir, "cdk.tf");
    const isJson = fs.existsSync(jsonFile);
    fs.copyFileSync(isJson ? jsonFile : hclFile, path.join(work, isJson ? "cdk.tf.json" : "cdk.tf"));
    const planJson = isJson ? jsonFile : options.jsonForPlan;
    const plan = options.plan ?? planJson !== undefined;
    if (plan && !planJson)
      throw new Error(`a plan of the HCL in ${stackDir} needs jsonForPlan (the data overrides come from the JSON)`);
    if (plan)
      fs.writeFileSync(
        path.join(work, "offline-plan.tftest.hcl"),
        testFileFor(
          JSON.parse(fs.readFileSync(planJson!, "utf8")),
          region,
          assertions,
          options.rejected,
          options.scenarios,
        ),
      );
    await run(["init", "-backend=false", "-input=false"], work);
    // validate and test only read the initialised folder: run them side by side.
    const [validate, test] = await Promise.all([
      options.validate === false ? Promise.resolve("(not validated separately)") : run(["validate"], work),
      plan ? run(["test"], work) : Promise.resolve("(no plan: HCL stack validated only)"),
    ]);
    return { stack: path.basename(stackDir), validate, test };
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}
