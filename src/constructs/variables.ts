/**
 * Terraform variables for the operational knobs ops teams change without re-synthesizing:
 * instance types, worker counts, admin and load-balancer client CIDRs, the SSH key name. Their
 * defaults are the synthesized configuration's values, so `terraform apply` with no -var does
 * exactly what the configuration says. Structural choices (CIDRs, AZs, control-plane count,
 * Kubernetes minor) stay synth-time settings: changing them changes resources' shape.
 */
import { Construct } from "constructs";
import { TerraformStack, TerraformVariable } from "cdktf";
import { ClusterConfig, INSTANCE_TYPE } from "../config";
import { ARM64_FAMILY_HCL, architectureOf } from "../aws/instances";

export interface VariableSpec {
  readonly name: string;
  readonly type: string;
  readonly description: string;
  /** The configuration field that sets the default. */
  readonly setting: string;
}

// An instance type as EC2 spells it: the configuration's pattern, in an HCL string. The vendored
// list of types (src/aws/instance-types.ts) is applied at synth only: a -var value is checked for
// its shape here, and EC2 itself refuses a type that does not exist when the instance launches.
const INSTANCE_TYPE_HCL = INSTANCE_TYPE.source.replace(/\\/g, "\\\\");

export class OperationalVariables extends Construct {
  readonly specs: VariableSpec[] = [];
  readonly controlPlaneInstanceType: string;
  readonly workerInstanceType: string;
  readonly bastionInstanceType: string;
  readonly workerMinSize: number;
  readonly workerDesiredCapacity: number;
  readonly workerMaxSize: number;
  readonly bastionAdminCidrs: TerraformVariable;
  readonly loadBalancerClientCidrs: TerraformVariable;
  /** The key pair name; "" means no key (Session Manager only): the provider sends no KeyName then. */
  readonly sshKeyName: string;

  constructor(scope: Construct, id: string, config: ClusterConfig) {
    super(scope, id);

    const instanceType = (
      name: string,
      setting: string,
      value: string,
      what: string,
      extra: { condition: string; errorMessage: string }[] = [],
    ) => {
      const arch = architectureOf(value);
      // The image is looked up per architecture at synth time: a type of the other architecture
      // needs a new synth, not just a new variable value.
      const archCondition =
        arch === "arm64"
          ? `can(regex("${ARM64_FAMILY_HCL}", var.${name}))`
          : `!can(regex("${ARM64_FAMILY_HCL}", var.${name}))`;
      return this.variable(name, "string", `EC2 instance type of ${what}`, setting, value, [
        {
          condition: `can(regex("${INSTANCE_TYPE_HCL}", var.${name}))`,
          errorMessage: `${name} must be an EC2 instance type like t3.medium.`,
        },
        {
          condition: archCondition,
          errorMessage:
            `${name} must stay ${arch} (the image was looked up for ${arch}); for another architecture ` +
            `set ${setting} in cluster.config.json and synthesize again.`,
        },
        ...extra,
      ]).stringValue;
    };
    const tooSmall = {
      condition: '!can(regex("\\\\.(nano|micro)$", var.control_plane_instance_type))',
      errorMessage: "control_plane_instance_type is too small: kubeadm needs 2 vCPUs and 1.7 GB (small or larger).",
    };
    this.controlPlaneInstanceType = instanceType(
      "control_plane_instance_type",
      "controlPlane.instanceType",
      config.controlPlane.instanceType,
      "control-plane nodes (a change rolls them, one node per group, launch before terminate)",
      [tooSmall],
    );
    // With spot the group launches the listed types (the template's type is only the first of them).
    const spotTypes = config.workers.spot?.instanceTypes;
    this.workerInstanceType = instanceType(
      "worker_instance_type",
      "workers.instanceType",
      config.workers.instanceType,
      spotTypes ? `worker nodes, one of workers.spot.instanceTypes (${spotTypes.join(", ")})` : "worker nodes",
      spotTypes
        ? [
            {
              condition: `contains(${JSON.stringify(spotTypes)}, var.worker_instance_type)`,
              errorMessage:
                "worker_instance_type must be one of workers.spot.instanceTypes; for other types set them " +
                "in cluster.config.json and synthesize again.",
            },
          ]
        : [],
    );
    this.bastionInstanceType = instanceType(
      "bastion_instance_type",
      "bastion.instanceType",
      config.bastion.instanceType,
      "the bastion",
    );

    const count = (
      name: string,
      setting: string,
      value: number,
      what: string,
      more: { condition: string; errorMessage: string }[] = [],
    ) =>
      this.variable(name, "number", what, setting, value, [
        {
          condition: `var.${name} >= 0 && var.${name} <= 1000 && floor(var.${name}) == var.${name}`,
          errorMessage: `${name} must be a whole number from 0 to 1000.`,
        },
        ...more,
      ]).numberValue;
    // With several zones the workers are one group per zone and these are totals over them
    // (src/constructs/workers.ts zoneShare).
    const zones = config.azCount;
    const perZone = (attribute: string) =>
      zones === 1
        ? `autoscaling group ${attribute}`
        : `in total: split over the ${zones} zones' groups' ${attribute}, the first zones taking the remainder`;
    this.workerMinSize = count(
      "worker_min_size",
      "workers.min",
      config.workers.min,
      `Smallest number of worker nodes (${perZone("min_size")})`,
    );
    this.workerMaxSize = count(
      "worker_max_size",
      "workers.max",
      config.workers.max,
      `Largest number of worker nodes (${perZone("max_size")})`,
      // A zone whose group may hold no worker never gets one: a pod bound to a volume there stays Pending.
      zones === 1
        ? []
        : [
            {
              condition: `var.worker_max_size >= ${zones}`,
              errorMessage: `worker_max_size must be at least ${zones}: one worker per zone's group.`,
            },
          ],
    );
    this.workerDesiredCapacity = this.variable(
      "worker_desired_capacity",
      "number",
      config.addons.clusterAutoscaler
        ? `Worker nodes when the group is created (${perZone("desired_capacity")}); the cluster autoscaler ` +
            "owns it afterwards, so Terraform ignores later changes"
        : `Worker nodes to run now (${perZone("desired_capacity")})`,
      "workers.desired",
      config.workers.desired,
      [
        {
          condition:
            "var.worker_desired_capacity >= var.worker_min_size && var.worker_desired_capacity <= var.worker_max_size",
          errorMessage: "worker_desired_capacity must be between worker_min_size and worker_max_size.",
        },
      ],
    ).numberValue;

    const cidrs = (name: string, setting: string, value: readonly string[], what: string) =>
      this.variable(
        name,
        "list(string)",
        what,
        setting,
        [...value],
        [
          { condition: `length(var.${name}) > 0`, errorMessage: `${name} must list at least one CIDR.` },
          {
            condition: `alltrue([for c in var.${name} : can(cidrnetmask(c)) && cidrhost(c, 0) == split("/", c)[0]])`,
            errorMessage: `${name} must hold IPv4 network CIDRs like 203.0.113.0/24 (no host bits set).`,
          },
        ],
      );
    this.bastionAdminCidrs = cidrs(
      "bastion_admin_cidrs",
      "bastion.adminCidrs",
      config.bastion.adminCidrs,
      "CIDRs allowed to SSH to the bastion (sg-bastion ingress 22)",
    );
    this.loadBalancerClientCidrs = cidrs(
      "load_balancer_client_cidrs",
      "loadBalancers.clientCidrs",
      config.loadBalancers.clientCidrs,
      "CIDRs allowed to reach Service load balancers on their listener ports (sg-loadbalancers ingress)",
    );

    // A plan-time warning (not an error) whenever SSH to the bastion is open to the world, also
    // when an operator sets the variable without re-synthesizing.
    (scope as TerraformStack).addOverride("check.bastion_ssh_not_open_to_the_internet", {
      assert: [
        {
          condition: '${!contains(var.bastion_admin_cidrs, "0.0.0.0/0")}',
          error_message:
            "bastion_admin_cidrs contains 0.0.0.0/0: SSH to the bastion is open to the internet; list your admin " +
            "networks or use Session Manager.",
        },
      ],
    });

    this.sshKeyName = this.variable(
      "ssh_key_name",
      "string",
      "EC2 key pair for SSH to every machine; empty for Session Manager only (existing control-plane nodes keep " +
        "theirs until replaced)",
      "sshKeyName",
      config.sshKeyName ?? "",
      [
        {
          condition: 'can(regex("^[ -~]{0,255}$", var.ssh_key_name))',
          errorMessage: "ssh_key_name must be at most 255 ASCII characters.",
        },
      ],
    ).stringValue;
  }

  private variable(
    name: string,
    type: string,
    description: string,
    setting: string,
    defaultValue: unknown,
    validation: { condition: string; errorMessage: string }[],
  ): TerraformVariable {
    this.specs.push({ name, type, description, setting });
    // In Terraform JSON a condition is a string template: the expression goes inside ${...}.
    const wrapped = validation.map((v) => ({ ...v, condition: `\${${v.condition}}` }));
    const v = new TerraformVariable(this, name, {
      type,
      description,
      default: defaultValue,
      nullable: false,
      validation: wrapped,
    });
    v.overrideLogicalId(name);
    return v;
  }
}
