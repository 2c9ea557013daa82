/**
 * The API server's audit log on every control-plane node: what it records (the policy), where it
 * writes and how long it keeps it. The policy is an audit.k8s.io/v1 Policy
 * (k8s.io/apiserver/pkg/apis/audit/v1/types.go); the flags are kube-apiserver's
 * (k8s.io/apiserver/pkg/server/options/audit.go); kubeadm mounts both into the API server's static
 * pod (ClusterConfiguration apiServer.extraArgs / extraVolumes, src/bootstrap/kubeadm.ts).
 */
import { yamlDocs } from "./yaml-text";

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

/** audit.k8s.io/v1 Policy. */
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
 * Who did what, when, from where, to which object, and with what result, for every request: the
 * Metadata level records no request or response bodies, so no Secret, ConfigMap or token value ever
 * reaches the log. Left out: health probes, and the watches and lease renewals that system components
 * repeat every few seconds (they say nothing about a change and would fill the log).
 */
const SYSTEM_COMPONENTS = [
  "system:kube-controller-manager",
  "system:kube-scheduler",
  // kubeadm's kube-proxy authenticates with its ServiceAccount's token, not as system:kube-proxy
  // (kubernetes/kubernetes cmd/kubeadm/app/phases/addons/proxy/manifests.go: serviceAccountName
  // kube-proxy, tokenFile .../serviceaccount/token).
  "system:serviceaccount:kube-system:kube-proxy",
  // The API servers' own identity leases (kube-system/apiserver-*), renewed every 10 s.
  "system:apiserver",
];
/**
 * The add-ons in kube-system (cloud controller, CSI sidecars, autoscaler, termination handler): their
 * leader-election lease renewals. Their watches stay in the log: a watch is a read, of Secrets too.
 */
const KUBE_SYSTEM_SERVICE_ACCOUNTS = ["system:serviceaccounts:kube-system"];
const LEASES = [{ group: "coordination.k8s.io", resources: ["leases"] }];

export const AUDIT_POLICY: AuditPolicy = {
  apiVersion: "audit.k8s.io/v1",
  kind: "Policy",
  // An event per request once the response is known, not a second one when it is received.
  omitStages: ["RequestReceived"],
  rules: [
    { level: "None", nonResourceURLs: ["/healthz*", "/livez*", "/readyz*", "/version"] },
    // The kubelets' and the control-plane components' own watches, and the lease renewals (node
    // heartbeats, leader election, API server identity) that they and kube-system's add-ons repeat
    // every few seconds.
    { level: "None", verbs: ["watch"], userGroups: ["system:nodes"] },
    { level: "None", verbs: ["watch"], users: SYSTEM_COMPONENTS },
    { level: "None", verbs: ["get", "update"], resources: LEASES, userGroups: ["system:nodes"] },
    { level: "None", verbs: ["get", "update"], resources: LEASES, users: SYSTEM_COMPONENTS },
    { level: "None", verbs: ["get", "update"], resources: LEASES, userGroups: KUBE_SYSTEM_SERVICE_ACCOUNTS },
    { level: "None", resources: [{ group: "", resources: ["events"] }] },
    { level: "None", resources: [{ group: "events.k8s.io", resources: ["events"] }] },
    // Everything else, Secrets included: metadata only, never a body.
    { level: "Metadata" },
  ],
};

/** The policy file's text, as the node receives it. */
export function auditPolicyText(): string {
  return yamlDocs([AUDIT_POLICY]);
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
