/**
 * The Kubernetes upgrade order, enforced where the facts are. The control-plane nodes publish the
 * version their API servers run in `<prefix>/cluster/kubernetes-version` (e.g. v1.35.8); a plan
 * whose configured minor (`kubernetesVersion`) is not that minor fails: the control plane is
 * upgraded in place first, one minor at a time, with the upgrade script (docs/upgrades.md), and
 * only then does the configuration follow, so the nodes Terraform rolls join a control plane of
 * their own minor. Before the first boot the parameter does not exist and any minor passes.
 *
 * The parameter is read with aws_ssm_parameters_by_path on `<prefix>/cluster`: unlike
 * aws_ssm_parameter it returns an empty list, not an error, when the parameter is missing.
 */
import { Construct } from "constructs";
import { Precondition, TerraformLocal } from "cdktf";
import { DataAwsSsmParametersByPath } from "@cdktf/provider-aws/lib/data-aws-ssm-parameters-by-path";

export interface KubernetesVersionGuardProps {
  /** `<prefix>/cluster`, the folder of the version parameter. */
  readonly path: string;
  /** The full parameter name, `<prefix>/cluster/kubernetes-version`. */
  readonly parameter: string;
  /** The configured minor, e.g. "1.35". */
  readonly configuredMinor: string;
}

export const UPGRADE_RUNBOOK = "docs/upgrades.md";

/** What the local holds when the cluster has published no version yet. */
export const NOT_PUBLISHED = "none";

export class KubernetesVersionGuard extends Construct {
  readonly parameters: DataAwsSsmParametersByPath;
  /** The running minor ("1.35"), NOT_PUBLISHED, or the raw value when it is no version. */
  readonly runningMinor: TerraformLocal;
  readonly precondition: Precondition;

  constructor(scope: Construct, id: string, props: KubernetesVersionGuardProps) {
    super(scope, id);
    if (!/^\d+\.\d+$/.test(props.configuredMinor))
      throw new Error(`kubernetes version guard: configured minor "${props.configuredMinor}" is not <major>.<minor>`);
    this.parameters = new DataAwsSsmParametersByPath(this, "cluster-parameters", {
      path: props.path,
      recursive: false,
    });
    this.parameters.overrideLogicalId("cluster_parameters");
    const data = "data.aws_ssm_parameters_by_path.cluster_parameters";
    // values is sensitive in the provider's schema; a version is not a secret, and the plan's error
    // message must be able to show it.
    const value = `nonsensitive(${data}.values)[index(${data}.names, "${props.parameter}")]`;
    const minor = `join(".", slice(split(".", trimprefix(${value}, "v")), 0, 2))`;
    // The minor of a version, else the raw value (which then fails the check), else none published.
    this.runningMinor = new TerraformLocal(
      this,
      "running_kubernetes_minor",
      `\${try(${minor}, ${value}, "${NOT_PUBLISHED}")}`,
    );
    this.runningMinor.overrideLogicalId("running_kubernetes_minor");
    const running = "local.running_kubernetes_minor";
    this.precondition = {
      condition: `\${contains(["${NOT_PUBLISHED}", "${props.configuredMinor}"], ${running})}`,
      errorMessage:
        `The control plane runs Kubernetes \${${running}} (${props.parameter}), but kubernetesVersion is ` +
        `${props.configuredMinor}. Upgrade the control plane in place first, one minor at a time, with the ` +
        `upgrade script, then synthesize with that minor and apply (${UPGRADE_RUNBOOK}).`,
    };
  }
}
