/**
 * What EC2 Auto Scaling refuses in a mixed instances policy that `terraform plan` lets through
 * (the provider checks neither): more than 40 instance types (the LaunchTemplateOverrides
 * limit of the API reference), a launch template that itself requests Spot Instances
 * (InstanceMarketOptions; the group's InstancesDistribution decides Spot or On-Demand), and an
 * override whose architecture is not the image's: the launch fails for an arm64 type on an
 * x86_64 AMI and the other way round (the image is the looked-up Ubuntu whose `architecture`
 * filter says which; a configured amiId is not checked).
 */
import { architectureOf } from "../aws/instances";
import { MIXED_INSTANCES_MAX_TYPES } from "../aws/spot";
import { TfJson, asArray, byAddress, firstBlock, label, refOf, resourcesOf } from "./tf-json";
import type { Finding } from "./aws-rules";

const AMI_LOOKUP = /^\$\{data\.aws_ami\.([A-Za-z0-9_-]+)\.id\}$/;

/** The architecture the launch template's image was looked up for, when it is a lookup. */
function imageArchitecture(tf: TfJson, imageId: unknown): string | undefined {
  const m = typeof imageId === "string" ? AMI_LOOKUP.exec(imageId) : null;
  const lookup = m ? tf.data?.aws_ami?.[m[1]] : undefined;
  const filter = asArray(lookup?.filter).find((f) => (f as { name?: string }).name === "architecture");
  const values = (filter as { values?: unknown[] } | undefined)?.values;
  return values?.length === 1 && typeof values[0] === "string" ? values[0] : undefined;
}

export function checkMixedInstancesPolicies(tf: TfJson): Finding[] {
  const findings: Finding[] = [];
  for (const group of resourcesOf(tf, "aws_autoscaling_group")) {
    const launch = firstBlock(firstBlock(group.body.mixed_instances_policy)?.launch_template);
    if (!launch) continue;
    const types = asArray(launch.override)
      .map((o) => (o as { instance_type?: unknown }).instance_type)
      .filter((t): t is string => typeof t === "string");
    const say = (message: string) => findings.push({ resource: label(group), message });
    if (types.length > MIXED_INSTANCES_MAX_TYPES)
      say(
        `its mixed instances policy names ${types.length} instance types; a group allows ${MIXED_INSTANCES_MAX_TYPES}`,
      );
    const spec = firstBlock(launch.launch_template_specification);
    const template = byAddress(tf, refOf(spec?.launch_template_id)?.address ?? "");
    if (!template) continue;
    if (firstBlock(template.body.instance_market_options))
      say(
        `${template.address} requests Spot Instances itself (instance_market_options), which a group with ` +
          "a mixed instances policy refuses: its instances_distribution decides Spot or On-Demand",
      );
    const arch = imageArchitecture(tf, template.body.image_id);
    for (const type of types)
      if (arch && architectureOf(type) !== arch)
        say(`override ${type} is ${architectureOf(type)}, but ${template.address}'s image is ${arch}`);
  }
  return findings;
}
