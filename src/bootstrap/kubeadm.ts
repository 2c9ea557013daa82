/**
 * kubeadm's configuration (kubeadm.k8s.io/v1beta4), as templates: values known at synth time
 * (cluster name, CIDRs) are written in; values only the node knows are `__NAME__` placeholders
 * that lib.sh `render` fills in at boot.
 */
import { PORTS } from "../aws/ports";
import { CRI_SOCKET } from "./container-runtime";
import { kubeletExtraArgs } from "./kubelet";
import { BootstrapSettings } from "./settings";
import { yamlDocs } from "./yaml-text";
import { auditApiServerArgs, auditApiServerVolumes } from "./audit";
import { encryptionApiServerArgs, encryptionApiServerVolumes } from "./encryption";
import { API_AUDIENCES, jwksUrl, serviceAccountIssuers } from "../aws/workload-identity";

/**
 * The API server's service-account issuer for workload identity (src/aws/workload-identity.ts), as
 * kubeadm extraArgs (v1beta4: a list of name/value, a name may repeat): the S3 issuer, which signs,
 * first; the key set's public URL, which the API server writes into its discovery document as
 * jwks_uri (--service-account-jwks-uri); the audiences of in-cluster tokens unchanged. Flags:
 * kube-apiserver --service-account-issuer, --service-account-jwks-uri, --api-audiences
 * (kubernetes/kubernetes pkg/kubeapiserver/options/authentication.go). None without workload identity.
 */
export function workloadIdentityApiServerArgs(s: Pick<BootstrapSettings, "region" | "workloadIdentity">) {
  const wi = s.workloadIdentity;
  if (!wi) return [];
  return [
    ...serviceAccountIssuers(wi.bucket, s.region).map((value) => ({ name: "service-account-issuer", value })),
    { name: "service-account-jwks-uri", value: jwksUrl(wi.bucket, s.region) },
    { name: "api-audiences", value: API_AUDIENCES.join(",") },
  ];
}

const KUBEADM_API = "kubeadm.k8s.io/v1beta4";

function nodeRegistration() {
  return {
    // The AWS cloud controller requires the node name to be the EC2 private DNS name.
    name: "__NODE_NAME__",
    criSocket: CRI_SOCKET,
    kubeletExtraArgs: kubeletExtraArgs(),
  };
}

/** InitConfiguration + ClusterConfiguration for the first control-plane node. */
export function kubeadmInitTemplate(s: BootstrapSettings): string {
  return yamlDocs(
    [
      {
        apiVersion: KUBEADM_API,
        kind: "InitConfiguration",
        certificateKey: "__CERTIFICATE_KEY__",
        localAPIEndpoint: { advertiseAddress: "__NODE_IP__", bindPort: PORTS.kubeApiserver },
        nodeRegistration: nodeRegistration(),
        // The API is reached through the NLB, whose first health checks take a while.
        timeouts: { controlPlaneComponentHealthCheck: "10m0s", kubernetesAPICall: "5m0s" },
      },
      {
        apiVersion: KUBEADM_API,
        kind: "ClusterConfiguration",
        clusterName: s.clusterName,
        kubernetesVersion: "__KUBERNETES_VERSION__",
        controlPlaneEndpoint: `__API_ENDPOINT__:${PORTS.kubeApiserver}`,
        networking: { podSubnet: s.podCidr, serviceSubnet: s.serviceCidr },
        apiServer: {
          certSANs: ["__API_ENDPOINT__"],
          // The audit log (audit.ts), Secrets encrypted at rest (encryption.ts) and the workload
          // identity issuer: kept in the cluster configuration, so every joining node and every
          // `kubeadm upgrade` writes the API server's manifest with them.
          extraArgs: [...auditApiServerArgs(), ...encryptionApiServerArgs(), ...workloadIdentityApiServerArgs(s)],
          extraVolumes: [...auditApiServerVolumes(), ...encryptionApiServerVolumes()],
        },
        // Pods take VPC addresses from the VPC CNI; per-node pod CIDRs would only run out.
        controllerManager: { extraArgs: [{ name: "allocate-node-cidrs", value: "false" }] },
      },
    ],
    true,
  );
}

/**
 * How long kubeadm join keeps asking etcd to add this control-plane node's member and to promote
 * it. etcd refuses while a voting member is unreachable, as the member of a dead instance is until
 * the other members' k8s-etcd-members-prune.timer (every 2 minutes) removes it, and it admits one
 * learner at a time, so nodes that join together (one apply refreshes every control-plane group)
 * wait for each other's learner to catch up. kubeadm retries until this timeout (its default:
 * 2 minutes; kubernetes/kubernetes cmd/kubeadm/app/util/etcd/etcd.go addMember polls for
 * timeouts.etcdAPICall, Timeouts.EtcdAPICall in cmd/kubeadm/app/apis/kubeadm/v1beta4/types.go).
 */
export const JOIN_ETCD_API_CALL_TIMEOUT = "10m0s";

/** JoinConfiguration; with a controlPlane section for control-plane roles. */
export function kubeadmJoinTemplate(s: BootstrapSettings): string {
  const localAPIEndpoint = { advertiseAddress: "__NODE_IP__", bindPort: PORTS.kubeApiserver };
  const controlPlane =
    s.role === "worker" ? {} : { controlPlane: { certificateKey: "__CERTIFICATE_KEY__", localAPIEndpoint } };
  const etcd = s.role === "worker" ? {} : { etcdAPICall: JOIN_ETCD_API_CALL_TIMEOUT };
  return yamlDocs(
    [
      {
        apiVersion: KUBEADM_API,
        kind: "JoinConfiguration",
        discovery: {
          bootstrapToken: {
            apiServerEndpoint: `__API_ENDPOINT__:${PORTS.kubeApiserver}`,
            token: "__JOIN_TOKEN__",
            caCertHashes: ["__CA_CERT_HASH__"],
          },
        },
        nodeRegistration: nodeRegistration(),
        ...controlPlane,
        timeouts: { discovery: "10m0s", tlsBootstrap: "10m0s", ...etcd },
      },
    ],
    true,
  );
}
