import { AnnotationMetadataEntryType, App, TerraformStack } from "cdktf";
import { AwsRuleError, checkAwsRules } from "./aws-rules";
import { TfJson, stackToJson } from "./tf-json";

/**
 * Runs the AWS-rules check over every stack; throws before anything is written. Returns each
 * stack's Terraform JSON (by stack id) so later steps need not render it again.
 */
export function failIfAwsWouldReject(app: App): Map<string, TfJson> {
  const stacks = app.node.findAll().filter((c): c is TerraformStack => TerraformStack.isStack(c));
  const rendered = new Map(stacks.map((s) => [s.node.id, stackToJson(s)] as const));
  const findings = stacks.flatMap((s) =>
    checkAwsRules(rendered.get(s.node.id)!).map((f) => ({ ...f, resource: `${s.node.id}: ${f.resource}` })),
  );
  if (findings.length) throw new AwsRuleError(findings);
  return rendered;
}

/** Warning annotations of every construct, as "warning: <path>: <message>" lines. */
export function warningsOf(app: App): string[] {
  return app.node
    .findAll()
    .flatMap((c) =>
      c.node.metadata
        .filter((m) => m.type === AnnotationMetadataEntryType.WARN)
        .map((m) => `warning: ${c.node.path}: ${m.data}`),
    );
}
