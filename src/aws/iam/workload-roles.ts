/**
 * IAM roles of workloads that get AWS credentials through workload identity
 * (src/aws/workload-identity.ts) instead of a node's role: the trust policy that lets exactly one
 * ServiceAccount assume a role, as IAM documents it for OIDC providers ("Create a role for OpenID
 * Connect federation"; the EKS guide "Assign IAM roles to Kubernetes service accounts" writes the
 * same two conditions): the provider as the Federated principal, sts:AssumeRoleWithWebIdentity,
 * and StringEquals on `<issuer host>:sub` (system:serviceaccount:<namespace>:<name>) and
 * `<issuer host>:aud` (sts.amazonaws.com).
 */
import { STS_AUDIENCE, serviceAccountSubject } from "../workload-identity";

export interface ServiceAccountRef {
  readonly namespace: string;
  readonly name: string;
}

export function serviceAccountTrustPolicy(providerArn: string, issuerHost: string, sa: ServiceAccountRef) {
  return {
    Version: "2012-10-17",
    Statement: [
      {
        Effect: "Allow",
        Principal: { Federated: providerArn },
        Action: "sts:AssumeRoleWithWebIdentity",
        Condition: {
          StringEquals: {
            [`${issuerHost}:sub`]: serviceAccountSubject(sa.namespace, sa.name),
            [`${issuerHost}:aud`]: STS_AUDIENCE,
          },
        },
      },
    ],
  };
}

/** The EBS CSI controller's ServiceAccount (addons/aws-ebs-csi-driver/<version>/serviceaccount-csi-controller.yaml). */
export const EBS_CSI_CONTROLLER_SERVICE_ACCOUNT: ServiceAccountRef = Object.freeze({
  namespace: "kube-system",
  name: "ebs-csi-controller-sa",
});
