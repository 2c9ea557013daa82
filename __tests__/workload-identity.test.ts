/**
 * Workload identity, the issuer side: the public issuer bucket (exactly two readable objects, TLS
 * only, ACLs off), the IAM OIDC provider, the control plane's permission to publish exactly those
 * two objects, the API server's issuer flags, and the configuration that switches it all.
 * Upstream sources: src/aws/workload-identity.ts names each (kube-apiserver flags and paths,
 * kubeadm's default issuer and its ordering of repeated flags, the webhook's audience).
 */
import { parseAllDocuments } from "yaml";
import { ConfigError, resolveConfig } from "../src/config";
import { buildApp } from "../src/app";
import { kubeadmInitTemplate, workloadIdentityApiServerArgs } from "../src/bootstrap/kubeadm";
import { envFile } from "../src/bootstrap/node-files";
import { KUBEADM_DEFAULT_ISSUER, serviceAccountIssuers } from "../src/aws/workload-identity";
import { wildcardActions } from "../src/aws/iam/policy";
import { synthCluster, ref, resource } from "./helpers/synth";
import { issuerBucketPolicy } from "../src/constructs/oidc-issuer";
import { oidcIssuerStatements } from "../src/aws/iam/buckets";
import { EBS_CSI_CONTROLLER_SERVICE_ACCOUNT, serviceAccountTrustPolicy } from "../src/aws/iam/workload-roles";
import { settingsFor, WORKLOAD_IDENTITY } from "./harness/node";

const s = synthCluster();
const BUCKET = "k8s-cluster-oidc-ap-northeast-2";
const ISSUER = `https://${BUCKET}.s3.ap-northeast-2.amazonaws.com`;
const all = (type: string): Record<string, any> => (s.json.resource as any)[type] ?? {};

describe("the issuer bucket", () => {
  test("named <cluster>-oidc-<region>, objects deletable with it, SSE-S3 (anonymous readers cannot use KMS)", () => {
    expect(resource(s, "aws_s3_bucket.oidc_issuer")).toMatchObject({ bucket: BUCKET, force_destroy: true });
    expect(resource(s, "aws_s3_bucket_server_side_encryption_configuration.oidc_issuer_encryption").rule).toEqual([
      { apply_server_side_encryption_by_default: { sse_algorithm: "AES256" } },
    ]);
  });

  test("ACLs off and public ACLs blocked; only the public-policy blocks are lifted", () => {
    expect(resource(s, "aws_s3_bucket_ownership_controls.oidc_issuer_ownership").rule).toEqual({
      object_ownership: "BucketOwnerEnforced",
    });
    expect(resource(s, "aws_s3_bucket_public_access_block.oidc_issuer_public_access_block")).toEqual({
      bucket: ref("aws_s3_bucket.oidc_issuer"),
      block_public_acls: true,
      ignore_public_acls: true,
      block_public_policy: false,
      restrict_public_buckets: false,
    });
  });

  test("the policy, exactly: anyone may GetObject the two documents over TLS; nothing without TLS", () => {
    const policy = resource(s, "aws_s3_bucket_policy.oidc_issuer_policy");
    expect(policy.depends_on).toEqual(["aws_s3_bucket_public_access_block.oidc_issuer_public_access_block"]);
    expect(policy.policy).toContain("aws_s3_bucket.oidc_issuer.arn}/openid/v1/jwks");
    expect(issuerBucketPolicy("ARN")).toEqual({
      Version: "2012-10-17",
      Statement: [
        {
          Sid: "PublicReadOfTheIssuerDocuments",
          Effect: "Allow",
          Principal: "*",
          Action: "s3:GetObject",
          Resource: ["ARN/.well-known/openid-configuration", "ARN/openid/v1/jwks"],
          Condition: { Bool: { "aws:SecureTransport": "true" } },
        },
        {
          Sid: "DenyInsecureTransport",
          Effect: "Deny",
          Principal: "*",
          Action: "s3:*",
          Resource: ["ARN", "ARN/*"],
          Condition: { Bool: { "aws:SecureTransport": "false" } },
        },
      ],
    });
  });
});

test("the IAM OIDC provider: the bucket's virtual-hosted URL, client id sts.amazonaws.com, no thumbprints", () => {
  const provider = resource(s, "aws_iam_openid_connect_provider.oidc_issuer");
  expect(provider).toMatchObject({ url: ISSUER, client_id_list: ["sts.amazonaws.com"] });
  expect(provider.thumbprint_list).toBeUndefined();
});

describe("publishing", () => {
  const { cluster } = buildApp(resolveConfig({}));
  test("control-plane nodes may PutObject exactly the two documents of the issuer bucket, nothing else there", () => {
    const ctx = { clusterName: "c", partition: "aws", region: "r", accountId: "1", ssmPrefix: "/k8s/c", vpcArn: "v" };
    expect(oidcIssuerStatements({ ...ctx, oidcIssuerBucketArn: "arn:aws:s3:::b" })).toEqual([
      {
        Sid: "OidcIssuerPublish",
        Effect: "Allow",
        Action: ["s3:PutObject"],
        Resource: ["arn:aws:s3:::b/.well-known/openid-configuration", "arn:aws:s3:::b/openid/v1/jwks"],
      },
    ]);
    expect(oidcIssuerStatements(ctx)).toEqual([]);
    expect(wildcardActions(cluster.iam.statements["control-plane/oidc-issuer"])).toEqual([]);
    const mentions = Object.entries(all("aws_iam_policy"))
      .filter(([, p]) => (p.policy as string).includes("aws_s3_bucket.oidc_issuer"))
      .map(([k]) => k);
    expect(mentions).toEqual(["control_plane_cluster_buckets"]);
  });

  test("the policy document on the control-plane role carries it (cluster-buckets, with the add-on bundles)", () => {
    const policy = all("aws_iam_policy").control_plane_cluster_buckets.policy as string;
    expect(policy).toContain("${aws_s3_bucket.oidc_issuer.arn}/openid/v1/jwks");
    expect(policy).toContain("AddonBundleRead");
  });

  test("control-plane env file names the bucket and issuer; workers' does not", () => {
    const facts = { hostNetworkPods: 5 };
    const cp = envFile(settingsFor("control-plane", { workloadIdentity: WORKLOAD_IDENTITY }), facts);
    expect(cp).toContain(`\nOIDC_BUCKET=${BUCKET}\nOIDC_ISSUER=${ISSUER}\n`);
    expect(envFile(settingsFor("worker", { workloadIdentity: WORKLOAD_IDENTITY }), facts)).not.toMatch(/OIDC/);
  });
});

describe("the API server's flags", () => {
  const clusterConfiguration = (extra = {}) =>
    parseAllDocuments(kubeadmInitTemplate(settingsFor("control-plane", extra)))
      .map((d) => d.toJS())
      .find((d) => d.kind === "ClusterConfiguration");
  const wiArgs = (extra = {}) =>
    (clusterConfiguration(extra).apiServer.extraArgs as { name: string; value: string }[]).filter(
      // The audit log's and Secrets encryption's flags are bootstrap-audit's and bootstrap-encryption's.
      (a) => !a.name.startsWith("audit-") && !a.name.startsWith("encryption-"),
    );

  test("S3 issuer first (it signs), kubeadm's kept accepted, keys at the bucket, in-cluster audiences unchanged", () =>
    expect(wiArgs({ workloadIdentity: WORKLOAD_IDENTITY })).toEqual([
      { name: "service-account-issuer", value: ISSUER },
      { name: "service-account-issuer", value: "https://kubernetes.default.svc.cluster.local" },
      { name: "service-account-jwks-uri", value: `${ISSUER}/openid/v1/jwks` },
      { name: "api-audiences", value: "https://kubernetes.default.svc.cluster.local" },
    ]));

  test("kubeadm sorts repeated flags by value: kubeadm's issuer is kept only where it sorts after the S3 one", () => {
    // cmd/kubeadm/app/util/arguments.go ArgumentsToCommand: sort.Slice by name, then value.
    const kubeadmOrder = (values: string[]) => [...values].sort();
    for (const bucket of ["k8s-cluster-oidc-ap-northeast-2", "abc-oidc", "prod-oidc-eu-west-1", "zeta"]) {
      const issuers = serviceAccountIssuers(bucket, "eu-west-1");
      expect(kubeadmOrder(issuers)[0]).toBe(`https://${bucket}.s3.eu-west-1.amazonaws.com`);
      expect(issuers.includes(KUBEADM_DEFAULT_ISSUER)).toBe(bucket < "kubernetes");
    }
  });

  test("none without workload identity: kubeadm's defaults", () => {
    expect(wiArgs()).toEqual([]);
    expect(workloadIdentityApiServerArgs({ region: "ap-northeast-2" })).toEqual([]);
  });
});

describe("configuration", () => {
  const problem = (input: unknown) => {
    try {
      resolveConfig(input);
    } catch (e) {
      expect(e).toBeInstanceOf(ConfigError);
      return (e as Error).message.replace(/^invalid configuration: /, "");
    }
    throw new Error("expected a ConfigError");
  };
  test("a bucket name with dots is refused (S3's certificate covers no dotted virtual host)", () =>
    expect(problem({ workloadIdentity: { bucket: "my.oidc" } })).toBe(
      'workloadIdentity.bucket = "my.oidc": must not contain dots (S3\'s HTTPS certificate covers no dotted name)',
    ));
  test("the issuer bucket must not be the state or backup bucket (it is public)", () => {
    expect(problem({ state: { bucket: "shared-b" }, workloadIdentity: { bucket: "shared-b" } })).toBe(
      'workloadIdentity.bucket = "shared-b": must differ from state.bucket (the issuer bucket is public)',
    );
    expect(problem({ etcdBackup: { bucket: "shared-b" }, workloadIdentity: { bucket: "shared-b" } })).toMatch(
      /must differ from etcdBackup\.bucket/,
    );
  });
  test("refused in the China regions, where S3's host is not the issuer's amazonaws.com; off is accepted there", () => {
    expect(problem({ region: "cn-north-1", availabilityZones: ["cn-north-1a"] })).toBe(
      "workloadIdentity.enabled = true: is not supported in cn-north-1 (the issuer's S3 host differs in the China " +
        "regions); set it to false",
    );
    expect(() =>
      resolveConfig({ region: "cn-north-1", availabilityZones: ["cn-north-1a"], workloadIdentity: { enabled: false } }),
    ).not.toThrow();
    expect(() => resolveConfig({ region: "us-gov-west-1" })).not.toThrow();
  });
  test("enabled: false removes the bucket, the provider, the permission and the flags", () => {
    const off = synthCluster({ workloadIdentity: { enabled: false } });
    const types = (off.json.resource ?? {}) as Record<string, Record<string, unknown>>;
    expect(Object.keys(types.aws_s3_bucket)).not.toContain("oidc_issuer");
    expect(types.aws_iam_openid_connect_provider).toBeUndefined();
    expect(off.text).not.toMatch(/oidc_issuer|service-account-issuer|OIDC_BUCKET/);
  });
});

describe("the EBS CSI controller's role", () => {
  const host = `${BUCKET}.s3.ap-northeast-2.amazonaws.com`;
  test("trust, exactly: the OIDC provider, web identity, sub = its ServiceAccount, aud = sts.amazonaws.com", () => {
    expect(serviceAccountTrustPolicy("PROVIDER", host, EBS_CSI_CONTROLLER_SERVICE_ACCOUNT)).toEqual({
      Version: "2012-10-17",
      Statement: [
        {
          Effect: "Allow",
          Principal: { Federated: "PROVIDER" },
          Action: "sts:AssumeRoleWithWebIdentity",
          Condition: {
            StringEquals: {
              [`${host}:sub`]: "system:serviceaccount:kube-system:ebs-csi-controller-sa",
              [`${host}:aud`]: "sts.amazonaws.com",
            },
          },
        },
      ],
    });
    const role = resource(s, "aws_iam_role.ebs_csi_controller_role");
    expect(role.name).toBe("k8s-cluster-ebs-csi-controller");
    expect(role.assume_role_policy).toContain("aws_iam_openid_connect_provider.oidc_issuer.arn");
    expect(role.assume_role_policy).toContain(`${host}:sub`);
  });
  test("its policy is the driver's statements, on its role only; none on the control-plane role", () => {
    const { cluster } = buildApp(resolveConfig({}));
    expect(cluster.iam.statements["ebs-csi-controller/ebs-csi-driver"].map((st) => st.Sid)).toContain(
      "EbsCsiCreateVolumes",
    );
    expect(cluster.iam.statements["control-plane/ebs-csi-driver"]).toBeUndefined();
    expect(resource(s, "aws_iam_role_policy_attachment.ebs_csi_controller_ebs_csi_driver_attachment")).toEqual({
      role: ref("aws_iam_role.ebs_csi_controller_role", "name"),
      policy_arn: ref("aws_iam_policy.ebs_csi_controller_ebs_csi_driver", "arn"),
    });
  });
  test("its ARN in SSM for the nodes (Terraform-written); the control-plane nodes boot after its policy", () => {
    expect(resource(s, "aws_ssm_parameter.ebs_csi_controller_role_arn")).toMatchObject({
      name: "/k8s/k8s-cluster/workload-identity/ebs-csi-controller-role-arn",
      type: "String",
      value: ref("aws_iam_role.ebs_csi_controller_role", "arn"),
    });
    const groups = Object.values(all("aws_autoscaling_group")).filter((g) => /control-plane/.test(g.name));
    for (const g of groups)
      expect(g.depends_on).toContain("aws_iam_role_policy_attachment.ebs_csi_controller_ebs_csi_driver_attachment");
  });
});
