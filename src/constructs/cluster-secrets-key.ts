/**
 * The cluster's KMS key of its two SecureString cluster secrets (policy and why:
 * src/aws/cluster-secrets-key.ts): symmetric, rotated yearly by KMS, its alias
 * alias/<cluster>-cluster-secrets, deleted CLUSTER_SECRETS_KEY_DELETION_WINDOW_DAYS after
 * `terraform destroy`. Its key policy names the control-plane role, which must exist first (KMS
 * refuses a policy whose principal does not): NodeIam creates it after the roles.
 */
import { Construct } from "constructs";
import { Fn } from "cdktf";
import { KmsKey } from "@cdktf/provider-aws/lib/kms-key";
import { KmsAlias } from "@cdktf/provider-aws/lib/kms-alias";
import { named } from "./network";
import {
  CLUSTER_SECRETS_KEY_DELETION_WINDOW_DAYS,
  ClusterSecretsKeyContext,
  clusterSecretsKeyAlias,
  clusterSecretsKeyPolicy,
} from "../aws/cluster-secrets-key";

export interface ClusterSecretsKeyProps extends ClusterSecretsKeyContext {
  readonly clusterName: string;
}

export class ClusterSecretsKey extends Construct {
  readonly key: KmsKey;
  readonly alias: KmsAlias;

  constructor(scope: Construct, id: string, props: ClusterSecretsKeyProps) {
    super(scope, id);
    const aliasName = clusterSecretsKeyAlias(props.clusterName);
    this.key = named(
      new KmsKey(this, "key", {
        description: `SSM SecureStrings of the cluster secrets of Kubernetes cluster ${props.clusterName}`,
        enableKeyRotation: true,
        deletionWindowInDays: CLUSTER_SECRETS_KEY_DELETION_WINDOW_DAYS,
        policy: Fn.jsonencode(clusterSecretsKeyPolicy(props)),
        tags: { Name: aliasName.slice("alias/".length) },
      }),
      "cluster_secrets",
    );
    this.alias = named(
      new KmsAlias(this, "alias", { name: aliasName, targetKeyId: this.key.keyId }),
      "cluster_secrets",
    );
  }
}
