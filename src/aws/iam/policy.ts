/**
 * What every IAM statement of the cluster's instance roles shares: the statement and document
 * shapes, the context (cluster, partition, region, account, parameter prefix, buckets, VPC), the
 * ARN and cluster-tag condition helpers, and the document checks. The statements themselves are
 * one module per concern beside this one: cloud-controller.ts, vpc-cni.ts, node-access.ts (ECR,
 * Parameter Store, Session Manager), buckets.ts (etcd backups, add-on bundles), node-lifecycle.ts
 * and ebs-csi-driver.ts. Plain data,
 * jsonencode-able with Terraform tokens inside the strings.
 *
 * Sources (read, not copied):
 * - kubernetes/cloud-provider-aws docs/prerequisites.md ("Control Plane Policy") for the cloud
 *   controller's action list, checked against the API calls in pkg/providers/v1/*.go;
 * - aws/amazon-vpc-cni-k8s docs/iam-policy.md (AmazonEKS_CNI_Policy and its "scope-down" sample)
 *   and pkg/awsutils/awsutils.go for the ENI tags the CNI writes;
 * - AWS managed policies AmazonEC2ContainerRegistryReadOnly and AmazonSSMManagedInstanceCore;
 * - the Service Authorization Reference (which actions take resource ARNs / aws:ResourceTag /
 *   aws:RequestTag) and the ELB "tag resources during creation" page (AddTags on create).
 *
 * Scoping rule: a mutating action is limited to resources carrying the cluster tag
 * `kubernetes.io/cluster/<name>` (aws:ResourceTag) or, when it creates one, to requests that set
 * it (aws:RequestTag). Describe/List calls take no resource ARN in EC2, ELB and Auto Scaling and
 * stay on "*". Every action is named; none is "*" or "<service>:*".
 */
import { CLUSTER_TAG_VALUES, clusterTagKey } from "../tags";
import { ssmPrefixProblem } from "../ssm-parameters";

export interface PolicyStatement {
  readonly Sid: string;
  readonly Effect: "Allow";
  readonly Action: string[];
  readonly Resource: string | string[];
  readonly Condition?: Record<string, Record<string, string | string[]>>;
}

export interface PolicyContext {
  readonly clusterName: string;
  readonly partition: string;
  readonly region: string;
  readonly accountId: string;
  /** Parameter Store path prefix, e.g. "/k8s-cluster" (leading slash, no trailing slash). */
  readonly ssmPrefix: string;
  readonly etcdBackupBucketArn?: string;
  /** The add-on assets bucket (control-plane nodes read the bundles). */
  readonly assetsBucketArn?: string;
  /** The workload identity issuer bucket (control-plane nodes publish its two documents). */
  readonly oidcIssuerBucketArn?: string;
  /** ARN of the cluster's VPC: the VPC CNI may change network interfaces only inside it. */
  readonly vpcArn: string;
  /**
   * The cluster's KMS key of the cluster secrets (src/aws/cluster-secrets-key.ts) and the
   * partition's DNS suffix (Parameter Store's endpoint, kms:ViaService).
   */
  readonly clusterSecretsKey?: { readonly arn: string };
}

export interface PolicyDocument {
  Version: "2012-10-17";
  Statement: PolicyStatement[];
}

const isToken = (s: string): boolean => s.includes("${");

export function check(ctx: PolicyContext): void {
  if (!ctx.clusterName) throw new Error("PolicyContext.clusterName is empty");
  if (!isToken(ctx.ssmPrefix) && ssmPrefixProblem(ctx.ssmPrefix)) {
    throw new Error(`PolicyContext.ssmPrefix "${ctx.ssmPrefix}" must start with "/" and not end with "/"`);
  }
}

/**
 * A group, queue or target group name that goes into an ARN: letters, digits and hyphens only, so
 * it cannot widen the resource (no `*`, `?` or `/`). `context` names the caller's context type.
 */
export function checkResourceName(context: string, name: string): void {
  if (!/^[A-Za-z0-9-]+$/.test(name)) throw new Error(`${context}: name "${name}" must be letters, digits and hyphens`);
}

/** Where an ARN lives: the partition, the region and the account. */
export type ArnContext = Pick<PolicyContext, "partition" | "region" | "accountId">;

export function arn(
  ctx: ArnContext,
  service: string,
  resource: string,
  region = ctx.region,
  account = ctx.accountId,
): string {
  return `arn:${ctx.partition}:${service}:${region}:${account}:${resource}`;
}

/** The ARN of an SSM parameter by its full name (ssmParameterNames: it starts with "/"). */
export function parameterArn(ctx: ArnContext, fullName: string): string {
  return arn(ctx, "ssm", `parameter${fullName}`);
}

export const ec2 = (ctx: PolicyContext, resource: string) => arn(ctx, "ec2", resource);
export const elb = (ctx: PolicyContext, resource: string) => arn(ctx, "elasticloadbalancing", resource);

/** Existing resource tagged for this cluster (the values the cloud controller recognises). */
export function taggedFor(
  ctx: PolicyContext,
  values: string[] = [CLUSTER_TAG_VALUES.owned, CLUSTER_TAG_VALUES.shared],
): PolicyStatement["Condition"] {
  return { StringEquals: { [`aws:ResourceTag/${clusterTagKey(ctx.clusterName)}`]: values } };
}

/** Create request that sets the cluster tag (the cloud controller always writes "owned"). */
export function createsTaggedFor(ctx: PolicyContext): Record<string, string | string[]> {
  return { [`aws:RequestTag/${clusterTagKey(ctx.clusterName)}`]: CLUSTER_TAG_VALUES.owned };
}

/** A policy document; throws on an empty list or a Sid used twice (IAM requires unique Sids). */
export function policyDocument(statements: PolicyStatement[]): PolicyDocument {
  if (statements.length === 0) throw new Error("a policy document needs at least one statement");
  const seen = new Set<string>();
  for (const s of statements) {
    if (seen.has(s.Sid)) throw new Error(`duplicate Sid ${s.Sid}`);
    seen.add(s.Sid);
  }
  return { Version: "2012-10-17", Statement: statements };
}

/** Every action of every statement that is "*" or "<service>:*"; the tests fail on any */
export function wildcardActions(statements: PolicyStatement[]): string[] {
  return statements.flatMap((s) => s.Action).filter((a) => a.trim() === "*" || /^[A-Za-z0-9-]+:\*$/.test(a.trim()));
}

/** Size as IAM counts it: the JSON without whitespace (string values are kept as they are). */
export function policySize(doc: PolicyDocument): number {
  return JSON.stringify(doc).length;
}
