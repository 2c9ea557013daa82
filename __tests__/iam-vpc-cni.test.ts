/**
 * The VPC CNI's and ECR's statements (src/aws/iam/vpc-cni.ts, node-access.ts): the
 * AmazonEKS_CNI_Policy actions, ENI changes only inside the cluster's VPC, condition keys EC2 puts
 * in the request context. Pure data, no synth.
 */
import { PolicyStatement } from "../src/aws/iam/policy";
import { vpcCniStatements } from "../src/aws/iam/vpc-cni";
import { ecrReadStatements } from "../src/aws/iam/node-access";
import { CNI_CLUSTER_TAG_KEY, clusterTagKey } from "../src/aws/tags";
import { EC2_CONDITION_KEYS, conditionKeysFor, referenceKey } from "../src/aws/ec2-condition-keys";
import { actions, ctx, isRead, roles } from "./helpers/iam";

// aws/amazon-vpc-cni-k8s docs/iam-policy.md, IPv4 (= AmazonEKS_CNI_Policy).
const CNI_DOCUMENTED = [
  "ec2:AssignPrivateIpAddresses",
  "ec2:AttachNetworkInterface",
  "ec2:CreateNetworkInterface",
  "ec2:DeleteNetworkInterface",
  "ec2:DescribeInstances",
  "ec2:DescribeTags",
  "ec2:DescribeNetworkInterfaces",
  "ec2:DescribeInstanceTypes",
  "ec2:DescribeSecurityGroups",
  "ec2:DescribeSubnets",
  "ec2:DetachNetworkInterface",
  "ec2:ModifyNetworkInterfaceAttribute",
  "ec2:UnassignPrivateIpAddresses",
  "ec2:CreateTags",
];

describe("VPC CNI and ECR", () => {
  const cni = vpcCniStatements(ctx);

  test("the AmazonEKS_CNI_Policy actions, nothing more", () => {
    expect(actions(cni)).toEqual([...new Set(CNI_DOCUMENTED)].sort());
  });

  test("ENI mutations only on ENIs the CNI tagged for this cluster, or on cluster-tagged instances/subnets", () => {
    const eni = `arn:aws:ec2:ap-northeast-2:123456789012:network-interface/*`;
    for (const s of cni.filter((s) => s.Action.some((a) => !isRead(a)))) {
      const cond = s.Condition?.StringEquals ?? {};
      if (s.Sid === "CniTagEnis") {
        // The primary ENI is untagged until the CNI tags it: any existing ENI of the cluster's VPC, nothing else.
        expect(s).toEqual({
          Sid: "CniTagEnis",
          Effect: "Allow",
          Action: ["ec2:CreateTags"],
          Resource: eni,
          Condition: { ArnEquals: { "ec2:Vpc": ctx.vpcArn } },
        });
      } else if (s.Sid === "CniTagEnisOnCreate") {
        // A new ENI has no ec2:Vpc in the request context (Service Authorization Reference): tag-on-create
        // only, with the cluster tag (AWS's AmazonEKSNetworkingPolicy scopes it the same way).
        expect(s).toEqual({
          Sid: "CniTagEnisOnCreate",
          Effect: "Allow",
          Action: ["ec2:CreateTags"],
          Resource: eni,
          Condition: {
            StringEquals: {
              "ec2:CreateAction": "CreateNetworkInterface",
              [`aws:RequestTag/${CNI_CLUSTER_TAG_KEY}`]: "k8s-cluster",
            },
          },
        });
      } else if (s.Sid === "CniEniSecurityGroups") {
        expect(s.Resource).toBe("arn:aws:ec2:ap-northeast-2:123456789012:security-group/*");
        expect(s.Condition).toEqual({ ArnEquals: { "ec2:Vpc": ctx.vpcArn } });
      } else if (s.Resource === eni) {
        const key =
          s.Sid === "CniCreateEni" ? `aws:RequestTag/${CNI_CLUSTER_TAG_KEY}` : `aws:ResourceTag/${CNI_CLUSTER_TAG_KEY}`;
        expect(cond[key]).toBe("k8s-cluster");
      } else {
        expect(cond[`aws:ResourceTag/${clusterTagKey("k8s-cluster")}`]).toEqual(["owned", "shared"]);
      }
    }
  });

  test("each statement changing an existing ENI, subnet or security group is held to the cluster VPC (ec2:Vpc)", () => {
    // ec2:Vpc exists in the request context of existing network interfaces, subnets and security
    // groups, not of an interface being created: a condition on a missing key denies.
    // upstream's scope-down sample (aws/amazon-vpc-cni-k8s docs/iam-policy.md) puts ec2:Vpc on
    // CreateNetworkInterface's subnet and security group; here also on CreateTags and the ENI mutations.
    const scoped = cni
      .filter(
        (s) =>
          s.Action.some((a) => !isRead(a)) &&
          !["CniCreateEni", "CniTagEnisOnCreate", "CniClusterInstances"].includes(s.Sid),
      )
      .map((s) => s.Sid);
    expect(scoped).toEqual([
      "CniTagEnis",
      "CniCreateEniInClusterSubnet",
      "CniEniSecurityGroups",
      "CniManageClusterEnis",
    ]);
    for (const s of cni.filter((x) => scoped.includes(x.Sid)))
      expect(s.Condition?.ArnEquals).toEqual({ "ec2:Vpc": ctx.vpcArn });
    // A new ENI is authorized on the subnet and security group too, both scoped above; instances carry no ec2:Vpc here.
    expect(cni.find((s) => s.Sid === "CniClusterInstances")!.Resource).toBe(
      "arn:aws:ec2:ap-northeast-2:123456789012:instance/*",
    );
  });

  test("DeleteNetworkInterface is only allowed on CNI-tagged ENIs of the cluster's VPC", () => {
    const ss = cni.filter((s) => s.Action.includes("ec2:DeleteNetworkInterface"));
    expect(ss).toHaveLength(1);
    expect(ss[0].Condition).toEqual({
      StringEquals: { [`aws:ResourceTag/${CNI_CLUSTER_TAG_KEY}`]: "k8s-cluster" },
      ArnEquals: { "ec2:Vpc": ctx.vpcArn },
    });
  });

  test("both node roles carry the CNI permissions (aws-node runs on control-plane nodes too)", () => {
    const r = roles(ctx);
    for (const a of CNI_DOCUMENTED) {
      expect(actions(r.controlPlane)).toContain(a);
      expect(actions(r.worker)).toContain(a);
    }
    expect(actions(r.bastion)).not.toContain("ec2:CreateNetworkInterface");
  });

  test("ECR: pull only", () => {
    expect(actions(ecrReadStatements(ctx))).toEqual(
      [
        "ecr:BatchCheckLayerAvailability",
        "ecr:BatchGetImage",
        "ecr:GetAuthorizationToken",
        "ecr:GetDownloadUrlForLayer",
      ].sort(),
    );
    expect(ecrReadStatements(ctx).find((s) => s.Sid === "EcrPullImages")!.Resource).toBe(
      "arn:aws:ecr:*:*:repository/*",
    );
  });
});

describe("VPC CNI conditions use only keys EC2 puts in the request context (Service Authorization Reference)", () => {
  const cni = vpcCniStatements(ctx);
  const resourceType = (arn: string) => /:ec2:[^:]*:[^:]*:([a-z-]+)\//.exec(arn)?.[1] ?? "";
  const keysOf = (s: PolicyStatement) =>
    Object.values(s.Condition ?? {})
      .flatMap((kv) => Object.keys(kv))
      .map(referenceKey);
  const resources = (s: PolicyStatement) =>
    (Array.isArray(s.Resource) ? s.Resource : [s.Resource]).filter((r) => r !== "*");

  test("every key of every statement exists for each of its actions and resource types", () => {
    const missing: string[] = [];
    for (const s of cni)
      for (const action of s.Action.map((a) => a.split(":")[1]).filter((a) => !a.startsWith("Describe")))
        for (const rt of resources(s).map(resourceType)) {
          const available = conditionKeysFor(action, rt);
          if (!available) missing.push(`${s.Sid}: no reference row for ${action} on ${rt}`);
          else
            for (const k of keysOf(s))
              if (!available.includes(k)) missing.push(`${s.Sid}: ${k} is not in the context of ${action} on ${rt}`);
        }
    expect(missing).toEqual([]);
  });

  test("tagging a new ENI on create is allowed by a CreateTags statement whose keys exist while it is created", () => {
    // EC2 authorizes the tags of CreateNetworkInterface's TagSpecifications as ec2:CreateTags on the
    // new interface, whose context has only CreateNetworkInterface's network-interface keys.
    const available = [
      ...EC2_CONDITION_KEYS.CreateNetworkInterface["network-interface"],
      ...EC2_CONDITION_KEYS.CreateTags[""],
    ];
    const usable = cni.filter(
      (s) =>
        s.Action.includes("ec2:CreateTags") &&
        resources(s).some((r) => resourceType(r) === "network-interface") &&
        keysOf(s).every((k) => available.includes(k)) &&
        [s.Condition?.StringEquals?.["ec2:CreateAction"]]
          .flat()
          .every((a) => a === undefined || a === "CreateNetworkInterface"),
    );
    expect(usable.map((s) => s.Sid)).toEqual(["CniTagEnisOnCreate"]);
  });

  test("a statement that conditioned tag-on-create on ec2:Vpc (the broken variant) is caught", () => {
    const broken: PolicyStatement = {
      Sid: "Broken",
      Effect: "Allow",
      Action: ["ec2:CreateTags"],
      Resource: "arn:aws:ec2:r:1:network-interface/*",
      Condition: { ArnEquals: { "ec2:Vpc": "v" } },
    };
    expect(
      keysOf(broken).every((k) => EC2_CONDITION_KEYS.CreateNetworkInterface["network-interface"].includes(k)),
    ).toBe(false);
  });
});
