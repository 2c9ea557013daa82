/**
 * Workload identity (IRSA-style) for this self-managed cluster: the service-account issuer is an S3
 * bucket that holds the API server's OIDC discovery document and its JSON Web Key Set, readable by
 * anyone (AWS STS fetches them without credentials), an IAM OIDC provider trusts that issuer for
 * the audience sts.amazonaws.com, and a pod whose ServiceAccount names a role gets web-identity
 * credentials from the EKS pod identity webhook. One home for the names Terraform, the API server's
 * flags, the publishing script and the trust policies share.
 *
 * Sources:
 * - the issuer's form: the webhook's SELF_HOSTED_SETUP.md (aws/amazon-eks-pod-identity-webhook) hosts
 *   the documents in an S3 bucket under an https issuer; it uses the path-style host
 *   s3.<region>.amazonaws.com/<bucket>. This cluster uses the virtual-hosted form
 *   https://<bucket>.s3.<region>.amazonaws.com, AWS's current form for S3 (path-style is legacy),
 *   whose certificate (*.s3.<region>.amazonaws.com) covers a bucket name only without dots
 *   (the configuration refuses dots in workloadIdentity.bucket);
 * - the object keys: what the API server serves and links. kube-apiserver serves the discovery
 *   document at /.well-known/openid-configuration and the keys at /openid/v1/jwks
 *   (kubernetes/kubernetes pkg/serviceaccount/openidmetadata.go OpenIDConfigPath, JWKSPath), and
 *   writes `jwks_uri` = --service-account-jwks-uri when set; the bucket keeps the same paths, so
 *   `issuer + path` is the object's URL;
 * - the audience: the webhook's --token-audience default and AWS's client id for IRSA,
 *   sts.amazonaws.com (webhook main.go; README "aws_iam_openid_connect_provider ... client-id").
 */

/** The audience of the projected tokens STS accepts: the OIDC provider's client id, the webhook's default. */
export const STS_AUDIENCE = "sts.amazonaws.com";

/**
 * kubeadm's own issuer: cmd/kubeadm/app/phases/controlplane/manifests.go getAPIServerCommand sets
 * --service-account-issuer=https://kubernetes.default.svc.<networking.dnsDomain>, dnsDomain
 * defaulting to cluster.local (cmd/kubeadm/app/apis/kubeadm/v1beta4/defaults.go DefaultServiceDNSDomain).
 */
export const KUBEADM_DEFAULT_ISSUER = "https://kubernetes.default.svc.cluster.local";

/** The two objects of the issuer bucket, at the paths the API server serves them under. */
export const ISSUER_OBJECT_KEYS = Object.freeze({
  discovery: ".well-known/openid-configuration",
  jwks: "openid/v1/jwks",
});

/** The issuer URL (no trailing slash: STS compares it with the token's `iss` exactly). */
export function issuerUrl(bucket: string, region: string): string {
  return `https://${bucket}.s3.${region}.amazonaws.com`;
}

/** The issuer's host and path as IAM names the OIDC provider (its URL without https://). */
export function issuerHost(bucket: string, region: string): string {
  return issuerUrl(bucket, region).replace(/^https:\/\//, "");
}

/** Where STS reads the keys: --service-account-jwks-uri and the discovery document's jwks_uri. */
export function jwksUrl(bucket: string, region: string): string {
  return `${issuerUrl(bucket, region)}/${ISSUER_OBJECT_KEYS.jwks}`;
}

/**
 * The --service-account-issuer values the API server gets, in the order kubeadm writes them.
 * kube-apiserver signs with the first and accepts all (--service-account-issuer help, kubernetes/
 * kubernetes pkg/kubeapiserver/options/authentication.go). kubeadm writes repeated extraArgs sorted
 * by value (cmd/kubeadm/app/util/arguments.go ArgumentsToCommand: sort by name, then by value), so
 * kubeadm's own issuer can stay accepted only when the S3 issuer sorts before it; otherwise the S3
 * issuer is the only one. A cluster made with this configuration never had tokens from kubeadm's
 * issuer, so nothing depends on it; it is kept where it can be for tokens minted elsewhere with the
 * same key.
 */
export function serviceAccountIssuers(bucket: string, region: string): string[] {
  const own = issuerUrl(bucket, region);
  return own < KUBEADM_DEFAULT_ISSUER ? [own, KUBEADM_DEFAULT_ISSUER] : [own];
}

/**
 * The audiences the API server accepts on tokens presented to it, and gives tokens that ask for
 * none (kubelet's projected service account tokens). Without --api-audiences the API server uses
 * every issuer (pkg/kubeapiserver/options/authentication.go ToAuthenticationConfig: APIAudiences =
 * Issuers when unset), which would change the audience of every in-cluster token with the issuer;
 * kept at kubeadm's issuer, the audience in-cluster clients see stays what it was.
 */
export const API_AUDIENCES = [KUBEADM_DEFAULT_ISSUER] as const;

/** The IAM role name of an add-on's service account, e.g. "<cluster>-ebs-csi-controller". */
export function workloadRoleName(clusterName: string, workload: string): string {
  return `${clusterName}-${workload}`;
}

/** The `sub` claim of a service account's tokens (pkg/serviceaccount/claims.go: system:serviceaccount:<ns>:<name>). */
export function serviceAccountSubject(namespace: string, name: string): string {
  return `system:serviceaccount:${namespace}:${name}`;
}
