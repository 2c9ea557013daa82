/**
 * The cluster's own KMS key for its two SecureString cluster secrets (CLUSTER_SECRET_PARAMETERS:
 * the Secrets encryption keys and the service-account signing key). Not the AWS managed key
 * aws/ssm, whose key policy lets every principal of the account decrypt through Parameter Store
 * ("Restricting decryption of SecureString parameter values",
 * https://docs.aws.amazon.com/systems-manager/latest/userguide/ps-restrict-decryption.html).
 *
 * The key policy lets only the control-plane nodes' role use the key, only through Parameter Store
 * of the cluster's region (kms:ViaService) and only for those two parameters: Parameter Store calls
 * KMS with the encryption context PARAMETER_ARN = the parameter's ARN, on Encrypt and Decrypt of a
 * standard parameter and on GenerateDataKey of an advanced one ("How AWS Systems Manager Parameter
 * Store uses AWS KMS", Parameter Store encryption context: awsdocs/aws-kms-developer-guide
 * doc_source/services-parameter-store.md). The account (its root principal: IAM principals the
 * account's IAM policies allow) administers the key, never uses it: no Decrypt, Encrypt,
 * GenerateDataKey*, ReEncrypt* or CreateGrant. It keeps kms:PutKeyPolicy, which KMS's policy lockout
 * safety check requires of the principal that creates the key (Terraform's).
 */
import { CLUSTER_SECRET_PARAMETERS, ssmParameterNames } from "./ssm-parameters";
import { parameterArn } from "./iam/policy";

/** Days between `terraform destroy` (ScheduleKeyDeletion) and the key's deletion: KMS allows 7-30. */
export const CLUSTER_SECRETS_KEY_DELETION_WINDOW_DAYS = 30;

/** The key's alias, which the nodes pass to put-parameter --key-id. */
export function clusterSecretsKeyAlias(clusterName: string): string {
  return `alias/${clusterName}-cluster-secrets`;
}

/**
 * What the account may do with the key: manage it, never encrypt or decrypt with it, nor grant that
 * (CreateGrant). Names from the Service Authorization Reference, AWS KMS actions on a key resource.
 */
export const CLUSTER_SECRETS_KEY_ADMIN_ACTIONS = [
  "kms:CancelKeyDeletion",
  "kms:CreateAlias",
  "kms:DeleteAlias",
  "kms:DescribeKey",
  "kms:DisableKey",
  "kms:DisableKeyRotation",
  "kms:EnableKey",
  "kms:EnableKeyRotation",
  "kms:GetKeyPolicy",
  "kms:GetKeyRotationStatus",
  "kms:ListGrants",
  "kms:ListKeyPolicies",
  "kms:ListKeyRotations",
  "kms:ListResourceTags",
  "kms:PutKeyPolicy",
  "kms:RevokeGrant",
  "kms:RotateKeyOnDemand",
  "kms:ScheduleKeyDeletion",
  "kms:TagResource",
  "kms:UntagResource",
  "kms:UpdateAlias",
  "kms:UpdateKeyDescription",
] as const;

/** What Parameter Store calls KMS for on the control-plane role's behalf: put (standard, advanced), get. */
export const CLUSTER_SECRETS_KEY_USE_ACTIONS = ["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey"] as const;

export interface ClusterSecretsKeyContext {
  readonly partition: string;
  readonly accountId: string;
  readonly region: string;
  readonly ssmPrefix: string;
  readonly controlPlaneRoleArn: string;
}

/** The ARNs of the two cluster secret parameters: the encryption context values the key accepts. */
export function clusterSecretParameterArns(ctx: Omit<ClusterSecretsKeyContext, "controlPlaneRoleArn">): string[] {
  const names = ssmParameterNames(ctx.ssmPrefix);
  return CLUSTER_SECRET_PARAMETERS.map((p) => parameterArn(ctx, names[p]));
}

/**
 * The condition of every use of the key: through Parameter Store of the region, for the two
 * parameters. The ViaService name ends in .amazonaws.com in every partition, China's included (KMS
 * Developer Guide, kms:ViaService: "Use the .amazonaws.com suffix of the AWS KMS ViaService name in
 * all AWS partitions"; awsdocs/aws-kms-developer-guide doc_source/conditions-kms.md).
 */
export function clusterSecretsKeyUseCondition(
  ctx: Omit<ClusterSecretsKeyContext, "controlPlaneRoleArn">,
): Record<string, Record<string, string | string[]>> {
  return {
    StringEquals: {
      "kms:ViaService": `ssm.${ctx.region}.amazonaws.com`,
      "kms:EncryptionContext:PARAMETER_ARN": clusterSecretParameterArns(ctx),
    },
  };
}

/** The key policy (jsonencode-able; Terraform tokens inside the strings). */
export function clusterSecretsKeyPolicy(ctx: ClusterSecretsKeyContext) {
  return {
    Version: "2012-10-17",
    Statement: [
      {
        Sid: "AccountAdministersTheKeyButCannotUseIt",
        Effect: "Allow",
        Principal: { AWS: `arn:${ctx.partition}:iam::${ctx.accountId}:root` },
        Action: [...CLUSTER_SECRETS_KEY_ADMIN_ACTIONS],
        Resource: "*",
      },
      {
        Sid: "ControlPlaneNodesUseItForTheClusterSecrets",
        Effect: "Allow",
        Principal: { AWS: ctx.controlPlaneRoleArn },
        Action: [...CLUSTER_SECRETS_KEY_USE_ACTIONS],
        Resource: "*",
        Condition: clusterSecretsKeyUseCondition(ctx),
      },
    ],
  };
}
