/**
 * The SSM parameters of one cluster, below its prefix (e.g. /k8s/k8s-cluster): the one list their
 * names come from. Terraform writes eight of them (src/constructs/bootstrap-parameters.ts, and the
 * termination queue's URL in src/constructs/node-termination.ts), the control-plane nodes write the
 * join material, the cluster's version and the init lock, every node reads them by the names in
 * its env file (src/bootstrap/node-files.ts), and the IAM policies grant these names
 * (src/aws/iam/node-access.ts, src/aws/iam/node-lifecycle.ts).
 * docs/boot.md lists them with who writes and reads each.
 */

/**
 * The cluster secrets the control-plane nodes make once and share (never workers): the parameters
 * of ssmParameterNames that are granted by their exact names.
 */
export const CLUSTER_SECRET_PARAMETERS = ["encryptionKeys", "serviceAccountKey"] as const;

/**
 * The folder of the join material the control-plane nodes publish. It holds the join parameters
 * and nothing else, so the control-plane role may write the folder as a whole.
 */
export function ssmJoinFolder(ssmPrefix: string): string {
  return `${ssmPrefix}/join`;
}

/** Names of the SSM parameters under a prefix. */
export function ssmParameterNames(ssmPrefix: string) {
  const join = ssmJoinFolder(ssmPrefix);
  return {
    /** String, Terraform: DNS name of the internal NLB in front of the API servers. */
    apiEndpoint: `${ssmPrefix}/api-endpoint`,
    /** String, Terraform: "az=subnet-id,az=subnet-id". */
    podsSubnets: `${ssmPrefix}/pods/subnets`,
    /** String, Terraform: the pods security group id. */
    podsSecurityGroup: `${ssmPrefix}/pods/security-group`,
    /** String, Terraform: the load balancers' security group id. */
    loadBalancerSecurityGroup: `${ssmPrefix}/load-balancer/security-group`,
    /**
     * String, Terraform: ARN of the API load balancer's target group. The control-plane node that
     * wins the init lock registers its own instance there before `kubeadm init`.
     */
    apiTargetGroup: `${ssmPrefix}/api-target-group`,
    /** String, Terraform: the assets bucket that holds the add-on bundles. */
    assetsBucket: `${ssmPrefix}/assets/bucket`,
    /**
     * String, control-plane nodes (after kubeadm init, with every token refresh, after each
     * k8s-upgrade): the cluster's version (e.g. v1.35.3), kubernetesVersion of kubeadm's
     * ClusterConfiguration. Joining nodes install this kubelet, never a newer one.
     */
    clusterVersion: `${ssmPrefix}/cluster/kubernetes-version`,
    /** SecureString, first control-plane node and refresh timers. */
    joinToken: `${join}/token`,
    /** SecureString, first control-plane node and refresh timers. */
    joinCertificateKey: `${join}/certificate-key`,
    /** String, first control-plane node and refresh timers. */
    joinCaCertHash: `${join}/ca-cert-hash`,
    /**
     * String, first control-plane node and refresh timers, after the others: the API endpoint the
     * join parameters belong to. Joiners use them only when it equals `apiEndpoint` (the NLB name
     * is new with every deployment; parameters of a destroyed cluster of the same name are stale).
     */
    joinApiEndpoint: `${join}/api-endpoint`,
    /**
     * String, the control-plane node that wins the boot election (put without --overwrite):
     * "<instance-id> <api-endpoint>".
     */
    initLock: `${ssmPrefix}/init/lock`,
    /** String, Terraform: URL of the SQS queue the node termination handler reads. */
    nodeTerminationQueueUrl: `${ssmPrefix}/node-termination/queue-url`,
    /**
     * SecureString, the control-plane node that wins the init lock (put without --overwrite, before
     * kubeadm init), control-plane nodes only: the keys the API servers encrypt Secrets in etcd with,
     * "name:base64,name:base64", the first encrypts (src/bootstrap/encryption.ts).
     */
    encryptionKeys: `${ssmPrefix}/secrets/encryption-keys`,
    /**
     * SecureString, the control-plane node that wins the init lock (put without --overwrite, before
     * kubeadm init), control-plane nodes only: the service-account signing key (PEM, RSA 2048),
     * kubeadm's sa.key on every control-plane node.
     */
    serviceAccountKey: `${ssmPrefix}/secrets/service-account-key`,
    /**
     * String, Terraform (workload identity with the EBS CSI driver): ARN of the EBS CSI controller's
     * own role, which k8s-addons writes into its ServiceAccount's eks.amazonaws.com/role-arn.
     */
    ebsCsiControllerRoleArn: `${ssmPrefix}/workload-identity/ebs-csi-controller-role-arn`,
  } as const;
}

/** One of the cluster's SSM parameters, by its key in ssmParameterNames. */
export type SsmParameter = keyof ReturnType<typeof ssmParameterNames>;

/** The prefix of one cluster's parameters. */
export function ssmPrefixFor(clusterName: string): string {
  return `/k8s/${clusterName}`;
}

/** Why a parameter prefix cannot be used (it must look like /a/b, no trailing slash), or undefined. */
export function ssmPrefixProblem(prefix: string): string | undefined {
  return /^(\/[A-Za-z0-9_.-]+)+$/.test(prefix) ? undefined : "must look like /a/b (no trailing slash)";
}
