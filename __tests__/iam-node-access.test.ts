/**
 * Parameter Store, Session Manager and S3 statements (src/aws/iam/node-access.ts, buckets.ts):
 * parameters limited to the prefix and named from src/aws/ssm-parameters.ts, workers never read
 * the certificate key, no deletes of backups. Pure data, no synth.
 */
import { PolicyStatement } from "../src/aws/iam/policy";
import { sessionManagerStatements, ssmParameterStatements } from "../src/aws/iam/node-access";
import { addonAssetsStatements, etcdBackupStatements } from "../src/aws/iam/buckets";
import { ssmParameterNames } from "../src/aws/ssm-parameters";
import { actions, ctx, resources, roles } from "./helpers/iam";

// AWS managed policy AmazonSSMManagedInstanceCore (v2).
const SSM_MANAGED_INSTANCE_CORE = [
  "ssm:DescribeAssociation",
  "ssm:GetDeployablePatchSnapshotForInstance",
  "ssm:GetDocument",
  "ssm:DescribeDocument",
  "ssm:GetManifest",
  "ssm:GetParameter",
  "ssm:GetParameters",
  "ssm:ListAssociations",
  "ssm:ListInstanceAssociations",
  "ssm:PutInventory",
  "ssm:PutComplianceItems",
  "ssm:PutConfigurePackageResult",
  "ssm:UpdateAssociationStatus",
  "ssm:UpdateInstanceAssociationStatus",
  "ssm:UpdateInstanceInformation",
  "ssmmessages:CreateControlChannel",
  "ssmmessages:CreateDataChannel",
  "ssmmessages:OpenControlChannel",
  "ssmmessages:OpenDataChannel",
  "ec2messages:AcknowledgeMessage",
  "ec2messages:DeleteMessage",
  "ec2messages:FailMessage",
  "ec2messages:GetEndpoint",
  "ec2messages:GetMessages",
  "ec2messages:SendReply",
];

describe("SSM Parameter Store", () => {
  const prefixArn = "arn:aws:ssm:ap-northeast-2:123456789012:parameter/k8s-cluster/";
  const paramActions = (ss: PolicyStatement[]) =>
    ss.filter((s) => s.Action.some((a) => /^ssm:(Get|Put|Delete)Parameter/.test(a)));

  test.each(["controlPlane", "worker", "bastion"] as const)(
    "%s: every parameter action is limited to the prefix",
    (role) => {
      for (const s of paramActions(roles(ctx)[role]))
        for (const r of resources(s)) expect(r.startsWith(prefixArn)).toBe(true);
    },
  );

  test("control-plane nodes read <prefix>/*", () => {
    expect(ssmParameterStatements(ctx, "control-plane")[0]).toEqual({
      Sid: "SsmReadClusterParameters",
      Effect: "Allow",
      Action: ["ssm:GetParameter", "ssm:GetParameters"],
      Resource: `${prefixArn}*`,
    });
  });

  test("workers read only API endpoint, token, CA hash, the parameters' deployment: never the certificate key", () => {
    const st = ssmParameterStatements(ctx, "worker");
    expect(st).toHaveLength(1);
    expect(st[0].Resource).toEqual([
      `${prefixArn}api-endpoint`,
      `${prefixArn}join/token`,
      `${prefixArn}join/ca-cert-hash`,
      `${prefixArn}join/api-endpoint`,
      `${prefixArn}cluster/kubernetes-version`,
    ]);
    expect(JSON.stringify(st)).not.toContain("certificate-key");
  });

  test("PutParameter: control-plane only: <prefix>/join/*, the version, the two cluster secrets, the init lock", () => {
    const r = roles(ctx);
    expect(actions(r.worker)).not.toContain("ssm:PutParameter");
    expect(actions(r.bastion)).not.toContain("ssm:PutParameter");
    const puts = r.controlPlane.filter((s) => s.Action.includes("ssm:PutParameter"));
    expect(puts.map((p) => [p.Action, p.Resource])).toEqual([
      [["ssm:PutParameter"], [`${prefixArn}join/*`, `${prefixArn}cluster/kubernetes-version`]],
      [["ssm:PutParameter"], [`${prefixArn}secrets/encryption-keys`, `${prefixArn}secrets/service-account-key`]],
      [["ssm:DeleteParameter", "ssm:PutParameter"], `${prefixArn}init/lock`],
    ]);
  });

  test("DeleteParameter: control-plane only, and only the init lock", () => {
    const r = roles(ctx);
    expect([...actions(r.worker), ...actions(r.bastion)]).not.toContain("ssm:DeleteParameter");
    const deletes = r.controlPlane.filter((s) => s.Action.includes("ssm:DeleteParameter"));
    expect(deletes.map((d) => d.Resource)).toEqual([`${prefixArn}init/lock`]);
  });

  test("the write grant covers exactly what the nodes publish, none of the parameters Terraform writes", () => {
    // Names from the one list (src/aws/ssm-parameters.ts) the nodes and Terraform use too.
    const names = ssmParameterNames(ctx.ssmPrefix);
    const puts = roles(ctx).controlPlane.filter((s) => s.Action.includes("ssm:PutParameter"));
    const grants = puts
      .filter((s) => !s.Action.includes("ssm:DeleteParameter"))
      .flatMap((s) => resources(s))
      .map((r) => r.split(":parameter")[1]);
    const granted = (name: string) =>
      grants.some((g) => (g.endsWith("/*") ? name.startsWith(g.slice(0, -1)) : name === g));
    expect(Object.keys(names).filter((k) => granted(names[k as keyof typeof names]))).toEqual([
      "clusterVersion",
      "joinToken",
      "joinCertificateKey",
      "joinCaCertHash",
      "joinApiEndpoint",
      "encryptionKeys",
      "serviceAccountKey",
    ]);
  });

  test("workers can neither read nor write the cluster secrets (encryption keys, service-account signing key)", () => {
    const names = ssmParameterNames(ctx.ssmPrefix);
    const worker = roles(ctx).worker.filter((s) => s.Action.some((a) => a.startsWith("ssm:")));
    const granted = (name: string) =>
      worker
        .flatMap((s) => resources(s))
        .some((r) => {
          const g = r.split(":parameter")[1] ?? "";
          return g === name || (g.endsWith("*") && name.startsWith(g.slice(0, -1)));
        });
    expect(granted(names.apiEndpoint)).toBe(true);
    expect(granted(names.encryptionKeys)).toBe(false);
    expect(granted(names.serviceAccountKey)).toBe(false);
  });

  test("the cluster secrets: created, never overwritten (ssm:Overwrite), on their two names only", () => {
    const create = ssmParameterStatements(ctx, "control-plane").find((s) => s.Sid === "SsmCreateClusterSecrets");
    expect(create).toEqual({
      Sid: "SsmCreateClusterSecrets",
      Effect: "Allow",
      Action: ["ssm:PutParameter"],
      Resource: [`${prefixArn}secrets/encryption-keys`, `${prefixArn}secrets/service-account-key`],
      // A put with --overwrite sends Overwrite=true: refused. Without it the key is false or absent: allowed.
      Condition: { StringNotEquals: { "ssm:Overwrite": "true" } },
    });
  });

  test("kms: only the control-plane role, only the cluster's key, only via SSM, only for the two secrets", () => {
    const r = roles(ctx);
    expect([...actions(r.worker), ...actions(r.bastion)].filter((a) => a.startsWith("kms:"))).toEqual([]);
    const kms = r.controlPlane.filter((s) => s.Action.some((a) => a.startsWith("kms:")));
    expect(kms).toEqual([
      {
        Sid: "KmsClusterSecretsKey",
        Effect: "Allow",
        Action: ["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey"],
        Resource: ctx.clusterSecretsKey!.arn,
        Condition: {
          StringEquals: {
            "kms:ViaService": "ssm.ap-northeast-2.amazonaws.com",
            "kms:EncryptionContext:PARAMETER_ARN": [
              "arn:aws:ssm:ap-northeast-2:123456789012:parameter/k8s-cluster/secrets/encryption-keys",
              "arn:aws:ssm:ap-northeast-2:123456789012:parameter/k8s-cluster/secrets/service-account-key",
            ],
          },
        },
      },
    ]);
  });

  test("no key of the cluster secrets given: no kms statement", () => {
    const { clusterSecretsKey: _k, ...without } = ctx;
    expect(actions(ssmParameterStatements(without, "control-plane")).filter((a) => a.startsWith("kms:"))).toEqual([]);
  });

  test("the prefix must be a /path", () => {
    expect(() => ssmParameterStatements({ ...ctx, ssmPrefix: "k8s" }, "worker")).toThrow(/ssmPrefix/);
    expect(() => ssmParameterStatements({ ...ctx, ssmPrefix: "/k8s/" }, "worker")).toThrow(/ssmPrefix/);
  });
});

describe("Session Manager", () => {
  const sm = sessionManagerStatements(ctx);

  test("a subset of AmazonSSMManagedInstanceCore: registration, channels, agent messages", () => {
    expect(actions(sm).every((a) => SSM_MANAGED_INSTANCE_CORE.includes(a))).toBe(true);
    expect(actions(sm)).toEqual(
      SSM_MANAGED_INSTANCE_CORE.filter((a) => a === "ssm:UpdateInstanceInformation" || !a.startsWith("ssm:")).sort(),
    );
  });

  test("no Parameter Store reads on * (the managed policy has them)", () => {
    expect(actions(sm).filter((a) => a.includes("Parameter"))).toEqual([]);
  });

  test("instance registration is limited to the account's instances", () => {
    expect(sm.find((s) => s.Action.includes("ssm:UpdateInstanceInformation"))!.Resource).toBe(
      "arn:aws:ec2:ap-northeast-2:123456789012:instance/*",
    );
  });
});

describe("etcd backup", () => {
  test("list the bucket, put and get its objects; no delete", () => {
    const s = etcdBackupStatements(ctx);
    expect(s).toEqual([
      {
        Sid: "EtcdBackupListBucket",
        Effect: "Allow",
        Action: ["s3:ListBucket"],
        Resource: "arn:aws:s3:::k8s-cluster-etcd-backup",
      },
      {
        Sid: "EtcdBackupObjects",
        Effect: "Allow",
        Action: ["s3:GetObject", "s3:PutObject"],
        Resource: "arn:aws:s3:::k8s-cluster-etcd-backup/*",
      },
    ]);
  });
  test("only the control-plane role has it, and nothing without a bucket", () => {
    expect(actions(roles(ctx).worker).filter((a) => a.startsWith("s3:"))).toEqual([]);
    expect(etcdBackupStatements({ ...ctx, etcdBackupBucketArn: undefined })).toEqual([]);
  });
});

describe("add-on bundle", () => {
  test("control-plane nodes list and read addons/ of the assets bucket, nothing else, and never write", () => {
    expect(addonAssetsStatements(ctx)).toEqual([
      {
        Sid: "AddonBundleList",
        Effect: "Allow",
        Action: ["s3:ListBucket"],
        Resource: ctx.assetsBucketArn,
        Condition: { StringLike: { "s3:prefix": ["addons/*"] } },
      },
      {
        Sid: "AddonBundleRead",
        Effect: "Allow",
        Action: ["s3:GetObject"],
        Resource: `${ctx.assetsBucketArn}/addons/*`,
      },
    ]);
    expect(actions(roles(ctx).worker).filter((a) => a.startsWith("s3:"))).toEqual([]);
  });

  test("nothing without a bucket", () => {
    expect(addonAssetsStatements({ ...ctx, assetsBucketArn: undefined })).toEqual([]);
  });
});
