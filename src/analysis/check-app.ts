import { AnnotationMetadataEntryType, App, TerraformStack } from "cdktf";
import { AwsRuleError, checkAwsRules } from "./aws-rules";
import { stackToJson } from "./tf-json";

/** Runs the AWS-rules check over every stack; throws before anything is written. */
export function failIfAwsWouldReject(app: App): void {
  const stacks = app.node.findAll().filter((c): c is TerraformStack => TerraformStack.isStack(c));
  const findings = stacks.flatMap((s) => checkAwsRules(stackToJson(s)).map((f) => ({ ...f, resource: `${s.node.id}: ${f.resource}` })));
  if (findings.length) throw new AwsRuleError(findings);
}

/** Warning annotations of every construct, as "warning: <path>: <message>" lines. */
export function warningsOf(app: App): string[] {
  return app.node
    .findAll()
    .flatMap((c) => c.node.metadata.filter((m) => m.type === AnnotationMetadataEntryType.WARN).map((m) => `warning: ${c.node.path}: ${m.data}`));
}
