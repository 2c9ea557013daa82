/**
 * Shared by the IAM statement tests (__tests__/iam-*.test.ts): policy contexts (plain values,
 * Terraform tokens, the longest realistic values) and each node role's statements.
 */
import { PolicyContext, PolicyStatement } from "../../src/aws/iam/policy";
import { cloudControllerStatements } from "../../src/aws/iam/cloud-controller";
import { vpcCniStatements } from "../../src/aws/iam/vpc-cni";
import { ecrReadStatements, sessionManagerStatements, ssmParameterStatements } from "../../src/aws/iam/node-access";
import { addonAssetsStatements, etcdBackupStatements } from "../../src/aws/iam/buckets";
import { nodeLifecycleStatements, nodeTerminationHandlerStatements } from "../../src/aws/iam/node-lifecycle";
import { ebsCsiDriverStatements } from "../../src/aws/iam/ebs-csi-driver";
import { clusterAutoscalerStatements } from "../../src/aws/iam/cluster-autoscaler";

/** The names the lifecycle statements (src/aws/iam/node-lifecycle.ts) scope to. */
export const LIFECYCLE_NAMES = {
  controlPlaneGroups: ["k8s-cluster-control-plane-0", "k8s-cluster-control-plane-1", "k8s-cluster-control-plane-2"],
  // Three availability zones: one workers' group each (workerGroupNames), the longest policies.
  workerGroups: ["k8s-cluster-workers-a", "k8s-cluster-workers-b", "k8s-cluster-workers-c"],
  nodeTerminationQueue: "k8s-cluster-node-termination",
  apiTargetGroup: "k8s-cluster-api",
};

export const ctx: PolicyContext = {
  clusterName: "k8s-cluster",
  partition: "aws",
  region: "ap-northeast-2",
  accountId: "123456789012",
  ssmPrefix: "/k8s-cluster",
  etcdBackupBucketArn: "arn:aws:s3:::k8s-cluster-etcd-backup",
  assetsBucketArn: "arn:aws:s3:::k8s-cluster-assets-20261201000000000000000001",
  vpcArn: "arn:aws:ec2:ap-northeast-2:123456789012:vpc/vpc-0123456789abcdef0",
  clusterSecretsKey: {
    arn: "arn:aws:kms:ap-northeast-2:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab",
  },
};

/** Terraform tokens as the stack passes them: interpolated verbatim. */
export const tokenCtx: PolicyContext = {
  clusterName: "k8s-cluster",
  partition: "${data.aws_partition.current.partition}",
  region: "${data.aws_region.current.name}",
  accountId: "${data.aws_caller_identity.current.account_id}",
  ssmPrefix: "/k8s-cluster",
  etcdBackupBucketArn: "${aws_s3_bucket.etcd_backup.arn}",
  assetsBucketArn: "${aws_s3_bucket.assets.arn}",
  vpcArn: "${aws_vpc.vpc.arn}",
  clusterSecretsKey: {
    arn: "${aws_kms_key.cluster_secrets.arn}",
  },
};

/** Longest realistic values after Terraform resolves them: what IAM measures. */
export const worstCase: PolicyContext = {
  clusterName: "c".repeat(32), // config allows 2-32 characters
  partition: "aws-us-gov",
  region: "ap-southeast-5",
  accountId: "123456789012",
  ssmPrefix: "/" + "p".repeat(40),
  etcdBackupBucketArn: "arn:aws-us-gov:s3:::" + "b".repeat(63),
  assetsBucketArn: "arn:aws-us-gov:s3:::" + "a".repeat(63),
  vpcArn: "arn:aws-us-gov:ec2:ap-southeast-5:123456789012:vpc/vpc-0123456789abcdef0",
  clusterSecretsKey: {
    arn: "arn:aws-us-gov:kms:ap-southeast-5:123456789012:key/mrk-1234abcd12ab34cd56ef1234567890ab",
  },
};

export function roles(c: PolicyContext): Record<"controlPlane" | "worker" | "bastion", PolicyStatement[]> {
  return {
    controlPlane: [
      ...cloudControllerStatements(c),
      ...vpcCniStatements(c),
      ...ecrReadStatements(c),
      ...ssmParameterStatements(c, "control-plane"),
      ...sessionManagerStatements(c),
      ...etcdBackupStatements(c),
      ...addonAssetsStatements(c),
      ...nodeLifecycleStatements({ ...c, ...LIFECYCLE_NAMES }, "control-plane"),
      ...nodeTerminationHandlerStatements({ ...c, ...LIFECYCLE_NAMES }),
      ...ebsCsiDriverStatements(c),
      ...clusterAutoscalerStatements({ ...c, ...LIFECYCLE_NAMES }),
    ],
    worker: [
      ...vpcCniStatements(c),
      ...ecrReadStatements(c),
      ...ssmParameterStatements(c, "worker"),
      ...sessionManagerStatements(c),
      ...nodeLifecycleStatements({ ...c, ...LIFECYCLE_NAMES }, "worker"),
    ],
    bastion: sessionManagerStatements(c),
  };
}

export const all = (c: PolicyContext): PolicyStatement[] => Object.values(roles(c)).flat();
export const resources = (s: PolicyStatement): string[] => (Array.isArray(s.Resource) ? s.Resource : [s.Resource]);
export const actions = (ss: PolicyStatement[]): string[] => [...new Set(ss.flatMap((s) => s.Action))].sort();
export const conditionKeys = (s: PolicyStatement): string[] =>
  Object.values(s.Condition ?? {}).flatMap((o) => Object.keys(o));
export const isRead = (a: string): boolean => /^[a-z0-9-]+:(Describe|Get|List)/.test(a);
