/**
 * The cluster's KMS key of the two cluster secrets (src/aws/cluster-secrets-key.ts,
 * src/constructs/cluster-secrets-key.ts): its key policy lets only the control-plane role use it,
 * only through Parameter Store and only for the two parameters (the encryption context Parameter
 * Store sends, PARAMETER_ARN: "How AWS Systems Manager Parameter Store uses AWS KMS",
 * awsdocs/aws-kms-developer-guide doc_source/services-parameter-store.md); the account administers
 * it and cannot use it, keeping kms:PutKeyPolicy (KMS's policy lockout safety check). Why not aws/ssm:
 * https://docs.aws.amazon.com/systems-manager/latest/userguide/ps-restrict-decryption.html.
 */
import {
  CLUSTER_SECRETS_KEY_ADMIN_ACTIONS,
  CLUSTER_SECRETS_KEY_DELETION_WINDOW_DAYS,
  ClusterSecretsKeyContext,
  clusterSecretsKeyAlias,
  clusterSecretsKeyPolicy,
} from "../src/aws/cluster-secrets-key";
import { jsonencoded, ref, resource, synthCluster } from "./helpers/synth";
import { envFile } from "../src/bootstrap/node-files";
import { settingsFor } from "./harness/node";

const ROLE = "arn:aws:iam::123456789012:role/k8s-cluster-control-plane";
const ctx: ClusterSecretsKeyContext = {
  partition: "aws",
  accountId: "123456789012",
  region: "ap-northeast-2",
  ssmPrefix: "/k8s/k8s-cluster",
  controlPlaneRoleArn: ROLE,
};
const PARAMETERS = [
  "arn:aws:ssm:ap-northeast-2:123456789012:parameter/k8s/k8s-cluster/secrets/encryption-keys",
  "arn:aws:ssm:ap-northeast-2:123456789012:parameter/k8s/k8s-cluster/secrets/service-account-key",
];
type Statement = {
  Sid: string;
  Effect: string;
  Principal: { AWS: string };
  Action: string[];
  Condition?: unknown;
};
const statements = (c = ctx) => clusterSecretsKeyPolicy(c).Statement as Statement[];
/** The actions a principal is allowed by the key policy. */
const allowedTo = (principal: string, ss = statements()) =>
  ss.filter((s) => s.Effect === "Allow" && s.Principal.AWS === principal).flatMap((s) => s.Action);
const ROOT = "arn:aws:iam::123456789012:root";
const USES = /^kms:(Decrypt|Encrypt|GenerateDataKey|ReEncrypt|CreateGrant|Sign|Verify|GenerateMac|DeriveSharedSecret)/;

describe("the key policy", () => {
  test("exactly two statements: the account administers; the control-plane role uses, through SSM, for the two", () => {
    expect(clusterSecretsKeyPolicy(ctx)).toEqual({
      Version: "2012-10-17",
      Statement: [
        {
          Sid: "AccountAdministersTheKeyButCannotUseIt",
          Effect: "Allow",
          Principal: { AWS: ROOT },
          Action: [...CLUSTER_SECRETS_KEY_ADMIN_ACTIONS],
          Resource: "*",
        },
        {
          Sid: "ControlPlaneNodesUseItForTheClusterSecrets",
          Effect: "Allow",
          Principal: { AWS: ROLE },
          Action: ["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey"],
          Resource: "*",
          Condition: {
            StringEquals: {
              "kms:ViaService": "ssm.ap-northeast-2.amazonaws.com",
              "kms:EncryptionContext:PARAMETER_ARN": PARAMETERS,
            },
          },
        },
      ],
    });
  });

  test("the account (root principal) may not decrypt, encrypt or grant: no use of the key at all", () => {
    const root = allowedTo(ROOT);
    expect(root.filter((a) => USES.test(a))).toEqual([]);
    expect(root).not.toContain("kms:Decrypt");
    expect(root.some((a) => a.includes("*"))).toBe(false);
    // Only one statement names the root principal, and none names everyone.
    expect(statements().filter((s) => s.Principal.AWS === ROOT)).toHaveLength(1);
    expect(statements().some((s) => s.Principal.AWS === "*")).toBe(false);
  });

  test("the account keeps what administering takes: PutKeyPolicy (lockout check), rotation, deletion, aliases", () => {
    expect(allowedTo(ROOT)).toEqual(
      expect.arrayContaining([
        "kms:PutKeyPolicy",
        "kms:GetKeyPolicy",
        "kms:DescribeKey",
        "kms:EnableKeyRotation",
        "kms:GetKeyRotationStatus",
        "kms:ScheduleKeyDeletion",
        "kms:CancelKeyDeletion",
        "kms:CreateAlias",
        "kms:DeleteAlias",
        "kms:TagResource",
        "kms:ListResourceTags",
      ]),
    );
  });

  test("the control-plane role is the only principal that may decrypt, and only under the conditions", () => {
    const users = statements().filter((s) => s.Action.some((a) => USES.test(a)));
    expect(users.map((s) => s.Principal.AWS)).toEqual([ROLE]);
    expect(users[0].Condition).toEqual({
      StringEquals: {
        "kms:ViaService": "ssm.ap-northeast-2.amazonaws.com",
        "kms:EncryptionContext:PARAMETER_ARN": PARAMETERS,
      },
    });
    expect(allowedTo(ROLE)).toContain("kms:Decrypt");
    expect(allowedTo(ROLE).filter((a) => !USES.test(a))).toEqual([]);
  });

  // KMS Developer Guide, kms:ViaService: "Use the .amazonaws.com suffix ... in all AWS partitions".
  test("another partition: its ARNs, and the ViaService name still ends in .amazonaws.com (China too)", () => {
    const cn = statements({ ...ctx, partition: "aws-cn", region: "cn-north-1" });
    expect(cn[0].Principal.AWS).toBe("arn:aws-cn:iam::123456789012:root");
    expect(cn[1].Condition).toEqual({
      StringEquals: {
        "kms:ViaService": "ssm.cn-north-1.amazonaws.com",
        "kms:EncryptionContext:PARAMETER_ARN": PARAMETERS.map((p) =>
          p.replace("arn:aws:ssm:ap-northeast-2", "arn:aws-cn:ssm:cn-north-1"),
        ),
      },
    });
  });
});

describe("the synthesized key", () => {
  const s = synthCluster();
  const key = resource(s, "aws_kms_key.cluster_secrets");
  const policy = jsonencoded(key.policy);

  test("symmetric, rotated by KMS, a 30-day deletion window, alias alias/<cluster>-cluster-secrets", () => {
    expect(CLUSTER_SECRETS_KEY_DELETION_WINDOW_DAYS).toBe(30);
    expect(key).toMatchObject({ enable_key_rotation: true, deletion_window_in_days: 30 });
    expect(key.customer_master_key_spec ?? "SYMMETRIC_DEFAULT").toBe("SYMMETRIC_DEFAULT");
    expect(resource(s, "aws_kms_alias.cluster_secrets")).toEqual({
      name: clusterSecretsKeyAlias("k8s-cluster"),
      target_key_id: ref("aws_kms_key.cluster_secrets", "key_id"),
    });
    expect(clusterSecretsKeyAlias("k8s-cluster")).toBe("alias/k8s-cluster-cluster-secrets");
  });

  test("its policy names the control-plane role resource (created first) and the account's root", () => {
    expect(policy.Statement.map((st: Statement) => st.Principal.AWS)).toEqual([
      "arn:${data.aws_partition.current.partition}:iam::${data.aws_caller_identity.current.account_id}:root",
      ref("aws_iam_role.control_plane_role", "arn"),
    ]);
    // .amazonaws.com in every partition (kms:ViaService), not the partition's DNS suffix.
    expect(policy.Statement[1].Condition.StringEquals["kms:ViaService"]).toBe("ssm.ap-northeast-2.amazonaws.com");
  });

  test("the control-plane role's Parameter Store policy grants the kms actions on this key only", () => {
    const doc = jsonencoded(resource(s, "aws_iam_policy.control_plane_bootstrap_parameters").policy);
    const kms = doc.Statement.filter((st: { Action: string[] }) => st.Action.some((a) => a.startsWith("kms:")));
    expect(kms.map((st: { Resource: string }) => st.Resource)).toEqual([ref("aws_kms_key.cluster_secrets", "arn")]);
    const others = Object.entries(s.json.resource?.aws_iam_policy ?? {}).filter(
      ([name]) => name !== "control_plane_bootstrap_parameters",
    );
    for (const [, p] of others) expect(JSON.stringify(p)).not.toMatch(/kms:(Decrypt|Encrypt|GenerateDataKey)/);
  });

  test("every control-plane group boots after the alias its nodes create the secrets with", () => {
    const groups = (s.json.resource as any).aws_autoscaling_group as Record<string, { depends_on?: string[] }>;
    const controlPlane = Object.entries(groups).filter(([name]) => /^control_plane_\d+$/.test(name));
    expect(controlPlane.length).toBeGreaterThan(0);
    for (const [, g] of controlPlane) expect(g.depends_on).toContain("aws_kms_alias.cluster_secrets");
  });
});

describe("what the nodes pass to put-parameter --key-id", () => {
  const facts = { hostNetworkPods: 5 };
  test("the control-plane env file names the key by its alias (a name, no ARN or secret); workers' does not", () => {
    const cp = envFile(settingsFor("control-plane"), facts);
    expect(cp).toContain(`\nCLUSTER_SECRETS_KEY=${clusterSecretsKeyAlias("k8s-cluster")}\n`);
    expect(envFile(settingsFor("worker"), facts)).not.toContain("CLUSTER_SECRETS_KEY");
  });

  test("another cluster name, another alias: one key per cluster", () => {
    const other = envFile(settingsFor("control-plane", { clusterName: "payments" }), facts);
    expect(other).toContain("\nCLUSTER_SECRETS_KEY=alias/payments-cluster-secrets\n");
  });
});
