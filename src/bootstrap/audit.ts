/**
 * The API server's audit log on every control-plane node: what it records (the policy), where it
 * writes and how long it keeps it. The policy is an audit.k8s.io/v1 Policy
 * (k8s.io/apiserver/pkg/apis/audit/v1/types.go); the flags are kube-apiserver's
 * (k8s.io/apiserver/pkg/server/options/audit.go); kubeadm mounts both into the API server's static
 * pod (ClusterConfiguration apiServer.extraArgs / extraVolumes, src/bootstrap/kubeadm.ts).
 */
import { staticFileText } from "./static-files";

/** audit.k8s.io/v1 GroupResources. */
interface GroupResources {
  readonly group: string;
  readonly resources?: readonly string[];
}

/** audit.k8s.io/v1 PolicyRule, the fields this policy uses. */
interface PolicyRule {
  readonly level: "None" | "Metadata" | "Request" | "RequestResponse";
  readonly users?: readonly string[];
  readonly userGroups?: readonly string[];
  readonly verbs?: readonly string[];
  readonly resources?: readonly GroupResources[];
  readonly nonResourceURLs?: readonly string[];
}

/** audit.k8s.io/v1 Policy: the shape of the policy file, for the code that reads it. */
export interface AuditPolicy {
  readonly apiVersion: "audit.k8s.io/v1";
  readonly kind: "Policy";
  readonly omitStages: readonly string[];
  readonly rules: readonly PolicyRule[];
}

/** Where the policy and the log live on a control-plane node (host and API server pod alike). */
export const AUDIT_PATHS = {
  policyFile: "/etc/kubernetes/audit/policy.yaml",
  policyDir: "/etc/kubernetes/audit",
  logDir: "/var/log/kubernetes/audit",
  logFile: "/var/log/kubernetes/audit/audit.log",
} as const;

/**
 * Rotation: a file is rotated at 100 MB, at most 10 rotated files are kept, none older than 30 days
 * (the CIS Kubernetes Benchmark's values): at most 1.1 GB per control-plane node.
 */
export const AUDIT_LOG_ROTATION = { maxSizeMB: 100, maxBackups: 10, maxAgeDays: 30 } as const;

/**
 * The policy does not depend on the configuration, so it is a file in the repository, with the
 * reason for each rule beside it: src/bootstrap/files/etc/kubernetes/audit/policy.yaml (metadata of
 * every request, never a body; health probes and system components' watches and lease renewals left
 * out). The node receives that file byte for byte.
 */
export function auditPolicyText(): string {
  return staticFileText(AUDIT_PATHS.policyFile);
}
/** kube-apiserver flags, as kubeadm v1beta4 extraArgs. */
export function auditApiServerArgs(): { name: string; value: string }[] {
  return [
    { name: "audit-policy-file", value: AUDIT_PATHS.policyFile },
    { name: "audit-log-path", value: AUDIT_PATHS.logFile },
    { name: "audit-log-maxsize", value: String(AUDIT_LOG_ROTATION.maxSizeMB) },
    { name: "audit-log-maxbackup", value: String(AUDIT_LOG_ROTATION.maxBackups) },
    { name: "audit-log-maxage", value: String(AUDIT_LOG_ROTATION.maxAgeDays) },
  ];
}

/** The host paths kubeadm mounts into the API server's pod (v1beta4 HostPathMount). */
export function auditApiServerVolumes() {
  return [
    {
      name: "audit-policy",
      hostPath: AUDIT_PATHS.policyDir,
      mountPath: AUDIT_PATHS.policyDir,
      readOnly: true,
      pathType: "DirectoryOrCreate",
    },
    {
      name: "audit-log",
      hostPath: AUDIT_PATHS.logDir,
      mountPath: AUDIT_PATHS.logDir,
      readOnly: false,
      pathType: "DirectoryOrCreate",
    },
  ];
}
