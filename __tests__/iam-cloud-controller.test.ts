/**
 * The AWS cloud controller's statements (src/aws/iam/cloud-controller.ts): the documented action
 * list plus what the code calls, minus the in-tree volume actions no code calls any more, every
 * mutation scoped to the cluster tag. Pure data, no synth.
 */
import { cloudControllerStatements } from "../src/aws/iam/cloud-controller";
import { clusterTagKey } from "../src/aws/tags";
import { actions, conditionKeys, ctx, isRead, resources } from "./helpers/iam";

// kubernetes/cloud-provider-aws docs/prerequisites.md, Control Plane Policy (AddTags is listed twice there).
const CCM_DOCUMENTED = [
  "autoscaling:DescribeAutoScalingGroups",
  "autoscaling:DescribeLaunchConfigurations",
  "autoscaling:DescribeTags",
  "ec2:DescribeInstances",
  "ec2:DescribeRegions",
  "ec2:DescribeRouteTables",
  "ec2:DescribeSecurityGroups",
  "ec2:DescribeSubnets",
  "ec2:DescribeVolumes",
  "ec2:DescribeAvailabilityZones",
  "ec2:CreateSecurityGroup",
  "ec2:CreateTags",
  "ec2:CreateVolume",
  "ec2:ModifyInstanceAttribute",
  "ec2:ModifyVolume",
  "ec2:AttachVolume",
  "ec2:AuthorizeSecurityGroupIngress",
  "ec2:CreateRoute",
  "ec2:DeleteRoute",
  "ec2:DeleteSecurityGroup",
  "ec2:DeleteVolume",
  "ec2:DetachVolume",
  "ec2:RevokeSecurityGroupIngress",
  "ec2:DescribeVpcs",
  "ec2:DescribeInstanceTopology",
  "elasticloadbalancing:AddTags",
  "elasticloadbalancing:AttachLoadBalancerToSubnets",
  "elasticloadbalancing:ApplySecurityGroupsToLoadBalancer",
  "elasticloadbalancing:CreateLoadBalancer",
  "elasticloadbalancing:CreateLoadBalancerPolicy",
  "elasticloadbalancing:CreateLoadBalancerListeners",
  "elasticloadbalancing:ConfigureHealthCheck",
  "elasticloadbalancing:DeleteLoadBalancer",
  "elasticloadbalancing:DeleteLoadBalancerListeners",
  "elasticloadbalancing:DescribeLoadBalancers",
  "elasticloadbalancing:DescribeLoadBalancerAttributes",
  "elasticloadbalancing:DetachLoadBalancerFromSubnets",
  "elasticloadbalancing:DeregisterInstancesFromLoadBalancer",
  "elasticloadbalancing:ModifyLoadBalancerAttributes",
  "elasticloadbalancing:RegisterInstancesWithLoadBalancer",
  "elasticloadbalancing:SetLoadBalancerPoliciesForBackendServer",
  "elasticloadbalancing:CreateListener",
  "elasticloadbalancing:CreateTargetGroup",
  "elasticloadbalancing:DeleteListener",
  "elasticloadbalancing:DeleteTargetGroup",
  "elasticloadbalancing:DescribeListeners",
  "elasticloadbalancing:DescribeLoadBalancerPolicies",
  "elasticloadbalancing:DescribeTargetGroups",
  "elasticloadbalancing:DescribeTargetHealth",
  "elasticloadbalancing:ModifyListener",
  "elasticloadbalancing:ModifyTargetGroup",
  "elasticloadbalancing:RegisterTargets",
  "elasticloadbalancing:DeregisterTargets",
  "elasticloadbalancing:SetLoadBalancerPoliciesOfListener",
  "elasticloadbalancing:SetSecurityGroups",
  "iam:CreateServiceLinkedRole",
  "kms:DescribeKey",
];
// In the document for the in-tree EBS plugin, called by no code of kubernetes/cloud-provider-aws
// v1.33.4, v1.34.3 or v1.35.2 (pkg/providers/v1: no EC2 volume call; the KMS client is built, never
// used). Volumes are the EBS CSI driver's (src/aws/iam/ebs-csi-driver.ts).
const CCM_NOT_CALLED = [
  "ec2:AttachVolume",
  "ec2:CreateVolume",
  "ec2:DeleteVolume",
  "ec2:DescribeVolumes",
  "ec2:DetachVolume",
  "ec2:ModifyVolume",
  "kms:DescribeKey",
];
// Called by the code but missing from the document: target group attributes on every NLB
// (pkg/providers/v1/aws_loadbalancer.go), DeleteTags by the tagging controller (tags.go UntagResource).
const CCM_ADDED = [
  "elasticloadbalancing:DescribeTargetGroupAttributes",
  "elasticloadbalancing:ModifyTargetGroupAttributes",
  "ec2:DeleteTags",
];

describe("cloud controller manager", () => {
  const ccm = cloudControllerStatements(ctx);
  const tagKey = clusterTagKey(ctx.clusterName);

  test("the documented control-plane policy's actions, minus the volume and KMS ones no code calls, plus three", () => {
    const documented = CCM_DOCUMENTED.filter((a) => !CCM_NOT_CALLED.includes(a));
    expect(CCM_DOCUMENTED.filter((a) => CCM_NOT_CALLED.includes(a)).sort()).toEqual([...CCM_NOT_CALLED].sort());
    expect(actions(ccm)).toEqual([...new Set([...documented, ...CCM_ADDED])].sort());
  });

  test("denied: every volume action, and volume ARNs in any statement", () => {
    expect(actions(ccm).filter((a) => /Volume|kms:/.test(a))).toEqual([]);
    expect(ccm.flatMap(resources).filter((r) => r.includes(":volume/"))).toEqual([]);
  });

  test("every mutating action is only granted under the cluster tag condition", () => {
    const mutating = actions(ccm).filter((a) => !isRead(a) && a !== "iam:CreateServiceLinkedRole");
    expect(mutating.length).toBe(34);
    for (const a of mutating) {
      for (const s of ccm.filter((s) => s.Action.includes(a))) {
        const keys = conditionKeys(s);
        expect({
          action: a,
          sid: s.Sid,
          scoped: keys.some((k) => k === `aws:ResourceTag/${tagKey}` || k === `aws:RequestTag/${tagKey}`),
        }).toEqual({
          action: a,
          sid: s.Sid,
          scoped: true,
        });
        expect(resources(s)).not.toContain("*");
      }
    }
  });

  test.each([
    "ec2:CreateTags",
    "ec2:DeleteTags",
    "ec2:AuthorizeSecurityGroupIngress",
    "ec2:RevokeSecurityGroupIngress",
    "ec2:DeleteSecurityGroup",
    "elasticloadbalancing:DeleteLoadBalancer",
    "elasticloadbalancing:RegisterTargets",
    "elasticloadbalancing:ModifyListener",
    "elasticloadbalancing:SetSecurityGroups",
  ])("%s acts only on resources already tagged for the cluster (or tags a resource it is creating)", (a) => {
    for (const s of ccm.filter((s) => s.Action.includes(a))) {
      const resourceTag = s.Condition?.StringEquals?.[`aws:ResourceTag/${tagKey}`];
      const createAction =
        s.Condition?.StringEquals?.["ec2:CreateAction"] ??
        s.Condition?.StringEquals?.["elasticloadbalancing:CreateAction"];
      expect(resourceTag !== undefined || createAction !== undefined).toBe(true);
    }
  });

  test("creates require the request to set kubernetes.io/cluster/<name>=owned", () => {
    for (const a of [
      "ec2:CreateSecurityGroup",
      "elasticloadbalancing:CreateLoadBalancer",
      "elasticloadbalancing:CreateTargetGroup",
      "elasticloadbalancing:CreateListener",
    ]) {
      const ss = ccm.filter((s) => s.Action.includes(a));
      expect(ss).toHaveLength(1);
      expect(ss[0].Condition?.StringEquals?.[`aws:RequestTag/${tagKey}`]).toBe("owned");
    }
  });

  test("security groups and load balancers are deleted only when tagged owned", () => {
    for (const a of [
      "ec2:DeleteSecurityGroup",
      "elasticloadbalancing:DeleteLoadBalancer",
      "elasticloadbalancing:DeleteTargetGroup",
    ]) {
      for (const s of ccm.filter((s) => s.Action.includes(a)))
        expect(s.Condition?.StringEquals?.[`aws:ResourceTag/${tagKey}`]).toEqual(["owned"]);
    }
  });

  test("tag-on-create is only allowed inside the create calls", () => {
    const ec2 = ccm.find((s) => s.Sid === "CcmTagOnCreate")!;
    expect(ec2.Condition?.StringEquals?.["ec2:CreateAction"]).toEqual(["CreateSecurityGroup"]);
    const lb = ccm.find((s) => s.Sid === "CcmTagLoadBalancersOnCreate")!;
    expect(lb.Condition?.StringEquals?.["elasticloadbalancing:CreateAction"]).toEqual([
      "CreateListener",
      "CreateLoadBalancer",
      "CreateTargetGroup",
    ]);
  });

  test("the service-linked role is only ELB's", () => {
    const s = ccm.find((s) => s.Action.includes("iam:CreateServiceLinkedRole"))!;
    expect(s.Action).toEqual(["iam:CreateServiceLinkedRole"]);
    expect(s.Resource).toBe(
      "arn:aws:iam::123456789012:role/aws-service-role/" +
        "elasticloadbalancing.amazonaws.com/AWSServiceRoleForElasticLoadBalancing",
    );
    expect(s.Condition).toEqual({ StringEquals: { "iam:AWSServiceName": "elasticloadbalancing.amazonaws.com" } });
  });

  test("scoped resources stay in the cluster's account and region", () => {
    for (const s of ccm) {
      for (const r of resources(s).filter((r) => r !== "*" && !r.startsWith("arn:aws:iam::"))) {
        expect(r.startsWith("arn:aws:") && r.includes(":ap-northeast-2:123456789012:")).toBe(true);
      }
    }
  });
});
