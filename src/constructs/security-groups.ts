/**
 * Security groups rendered from the SecurityGroupPlan (src/aws/security-rules.ts): one group per
 * tier and one standalone rule resource per rule and peer (D13: never inline blocks, so the
 * rules the AWS cloud controller adds at run time survive an apply).
 */
import { Construct } from "constructs";
import { Annotations, TerraformIterator, TerraformVariable } from "cdktf";
import { SecurityGroup } from "@cdktf/provider-aws/lib/security-group";
import { VpcSecurityGroupIngressRule } from "@cdktf/provider-aws/lib/vpc-security-group-ingress-rule";
import { VpcSecurityGroupEgressRule } from "@cdktf/provider-aws/lib/vpc-security-group-egress-rule";
import { CidrListVariable, SecurityGroupPlan, RulePlan } from "../aws/security-rules";
import { TierId } from "../spec/network";
import { Network, named } from "./network";
import { clusterOwnedTag } from "../aws/tags";

export interface SecurityGroupsProps {
  readonly plans: readonly SecurityGroupPlan[];
  readonly network: Network;
  readonly clusterName: string;
  /** The list variables configured peers render from (admin and client CIDRs). */
  readonly cidrLists: Readonly<Record<CidrListVariable, TerraformVariable>>;
}

export class SecurityGroups extends Construct {
  /** apiEndpointSecurityGroup, workerSecurityGroup, ... by tier. */
  readonly groups = {} as Record<TierId, SecurityGroup>;

  constructor(scope: Construct, id: string, props: SecurityGroupsProps) {
    super(scope, id);
    for (const plan of props.plans) {
      this.groups[plan.group] = named(
        new SecurityGroup(this, plan.group, {
          name: plan.groupName,
          description: plan.description,
          vpcId: props.network.vpc.id,
          tags: {
            Name: plan.nameTag,
            Tier: plan.group,
            ...(plan.clusterTagged ? clusterOwnedTag(props.clusterName) : {}),
          },
          // Rules are separate resources (D13: so an apply keeps the rules the cloud controller adds);
          // a group Terraform creates starts with no egress rule.
        }),
        plan.key,
      );
    }
    for (const plan of props.plans)
      for (const rule of plan.rules) this.renderRule(rule, props.network, props.cidrLists);

    const bastion = props.plans.find((p) => p.group === "bastion");
    const open = bastion?.rules.find(
      (r) => r.direction === "ingress" && r.peer.kind === "cidrList" && r.peer.defaults.includes("0.0.0.0/0"),
    );
    if (open)
      Annotations.of(this.groups.bastion).addWarning(
        "bastion.adminCidrs allows SSH to the bastion from 0.0.0.0/0 (the spec's value); set it to your admin " +
          "networks, or use Session Manager",
      );
  }

  private renderRule(
    rule: RulePlan,
    network: Network,
    cidrLists: Readonly<Record<CidrListVariable, TerraformVariable>>,
  ): void {
    const each =
      rule.peer.kind === "cidrList" ? TerraformIterator.fromList(cidrLists[rule.peer.variable].listValue) : undefined;
    const peer =
      rule.peer.kind === "cidr"
        ? { cidrIpv4: rule.peer.cidr }
        : rule.peer.kind === "group"
          ? { referencedSecurityGroupId: this.groups[rule.peer.group].id }
          : rule.peer.kind === "cidrList"
            ? { forEach: each, cidrIpv4: each!.value as string }
            : { prefixListId: network.s3Endpoint.prefixListId };
    const config = {
      securityGroupId: this.groups[rule.group].id,
      ipProtocol: rule.protocol,
      fromPort: rule.fromPort,
      toPort: rule.toPort,
      description: rule.description,
      ...peer,
    };
    // named() snake-cases the logical id and moves the resource from its earlier camelCase address.
    if (rule.direction === "ingress") named(new VpcSecurityGroupIngressRule(this, rule.key, config), rule.logicalId);
    else named(new VpcSecurityGroupEgressRule(this, rule.key, config), rule.logicalId);
  }
}
