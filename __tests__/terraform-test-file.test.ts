/**
 * The .tftest.hcl the offline plan check writes (tools/terraform-check.ts testFileFor): the runs the
 * system tier's plans rely on, as terraform test reads them.
 */
import { testFileFor } from "../tools/terraform-check";

const LOOKUP = "data.aws_ssm_parameters_by_path.cluster_parameters";
const TEMPLATE = "aws_launch_template.control_plane_launch_template";
/** A stack whose bastion check warns (0.0.0.0/0 admin CIDRs) and that reads one data source. */
const warning = {
  variable: { bastion_admin_cidrs: { default: ["0.0.0.0/0"] } },
  check: { bastion_ssh_not_open_to_the_internet: {} },
  data: { aws_ssm_parameters_by_path: { cluster_parameters: {} } },
};
const scenario = { name: "ahead", data: [{ target: LOOKUP, values: { values: ["v1.34.1"] } }] };
const runOf = (text: string, name: string) => text.slice(text.indexOf(`run "${name}" {`)).split("\n}\n")[0];

describe("a data scenario", () => {
  test("planned whole: the check warnings the stack is meant to give are expected too", () => {
    const text = testFileFor(warning, "eu-west-1", [], [], [{ ...scenario, expectFailures: [TEMPLATE] }]);
    expect(runOf(text, "ahead").split("\n")).toEqual([
      'run "ahead" {',
      "  command = plan",
      `  expect_failures = [check.bastion_ssh_not_open_to_the_internet, ${TEMPLATE}]`,
      "  override_data {",
      `    target = ${LOOKUP}`,
      '    values = {"values":["v1.34.1"]}',
      "  }",
    ]);
  });

  test("planned for its targets only: plan_options names them, and no check is expected to warn", () => {
    const text = testFileFor(warning, "eu-west-1", [], [], [{ ...scenario, targets: [TEMPLATE, LOOKUP] }]);
    expect(runOf(text, "ahead").split("\n")).toEqual([
      'run "ahead" {',
      "  command = plan",
      "  plan_options {",
      `    target = [${TEMPLATE}, ${LOOKUP}]`,
      "  }",
      "  override_data {",
      `    target = ${LOOKUP}`,
      '    values = {"values":["v1.34.1"]}',
      "  }",
    ]);
  });

  test("the whole plan run keeps its check warning whatever the scenarios target", () => {
    const text = testFileFor(warning, "eu-west-1", [], [], [{ ...scenario, targets: [TEMPLATE] }]);
    expect(runOf(text, "plan")).toContain("  expect_failures = [check.bastion_ssh_not_open_to_the_internet]");
    expect(text.match(/plan_options/g)).toHaveLength(1);
  });
});
