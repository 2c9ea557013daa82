/**
 * What control-plane nodes need to keep themselves current after boot: certificate renewal
 * (k8s-cert-renew and its daily timer) and in-place Kubernetes upgrades (k8s-upgrade), the Lease
 * library both use so that one node of the cluster at a time restarts its control plane, and the
 * list of Kubernetes releases this build pins (k8s-upgrade refuses any other). They travel in the
 * cluster bundle, not in user data.
 */
import { BOOTSTRAP_SCRIPTS, SCRIPT_PATHS } from "./scripts";
import {
  ADDON_VERSIONS,
  CLOUD_CONTROLLER_MANAGER_IMAGE,
  KUBERNETES_PATCH,
  SUPPORTED_KUBERNETES_MINORS,
} from "./versions";

export interface MaintenanceFile {
  /** Install path on a control-plane node. */
  readonly path: string;
  /** Octal mode, e.g. "0755". */
  readonly permissions: string;
  readonly content: string;
  /** Where the content comes from, for the boot listing. */
  readonly source: string;
}

/** Read by k8s-upgrade: "<minor> <patch release> <cloud controller image>" per pinned minor. */
export const KUBERNETES_VERSIONS_PATH = "/etc/k8s-bootstrap/kubernetes-versions";

const SELF = "src/bootstrap/maintenance.ts";

/** One systemd unit file: sections of key=value lines. */
function unitFile(sections: Readonly<Record<string, Readonly<Record<string, string>>>>): string {
  return Object.entries(sections)
    .map(
      ([name, keys]) =>
        `[${name}]\n${Object.entries(keys)
          .map(([k, v]) => `${k}=${v}`)
          .join("\n")}\n`
    )
    .join("\n");
}

/** The pinned releases, one line per supported minor, from src/bootstrap/versions.ts. */
export function kubernetesVersionsFile(): string {
  const lines = SUPPORTED_KUBERNETES_MINORS.map((minor) => {
    const patch = KUBERNETES_PATCH[minor];
    const tag = ADDON_VERSIONS.cloudControllerManager[minor];
    if (!patch || !tag) {
      throw new Error(`bootstrap: Kubernetes ${minor} has no pinned patch release or cloud controller image`);
    }
    return `${minor} ${patch} ${CLOUD_CONTROLLER_MANAGER_IMAGE}:${tag}\n`;
  });
  const head = `# Kubernetes releases this build pins (${SELF}): minor, patch release, cloud controller image.\n`;
  return head + lines.join("");
}

/**
 * The renewal's service and timer. Daily, at a random time within four hours so that the nodes
 * rarely contend for the Lease; Persistent catches up on a day the node was off. The service is
 * stopped after 50 minutes, before the Lease it holds (60 minutes) could expire under it, and is
 * skipped on a node without a control plane (as while etcd's restore moves the manifests away).
 */
export function certRenewUnits(scriptPath: string): Record<string, string> {
  return {
    "/etc/systemd/system/k8s-cert-renew.service": unitFile({
      Unit: {
        Description: "Renew kubeadm's certificates within 90 days of expiry, one control-plane node at a time",
        Wants: "network-online.target",
        After: "network-online.target containerd.service kubelet.service",
        ConditionPathExists: "/etc/kubernetes/manifests/kube-apiserver.yaml",
      },
      Service: { Type: "oneshot", ExecStart: scriptPath, TimeoutStartSec: "50min" },
    }),
    "/etc/systemd/system/k8s-cert-renew.timer": unitFile({
      Unit: { Description: "Check kubeadm's certificates daily" },
      Timer: { OnCalendar: "daily", RandomizedDelaySec: "4h", Persistent: "true" },
      Install: { WantedBy: "timers.target" },
    }),
  };
}

const script = (key: "lease" | "certRenew" | "upgrade"): MaintenanceFile => ({
  path: SCRIPT_PATHS[key],
  permissions: "0755",
  content: BOOTSTRAP_SCRIPTS[SCRIPT_PATHS[key]],
  source: `src/bootstrap/scripts (${key})`,
});

/** Every file of certificate renewal and upgrades a control-plane node installs from the bundle. */
export function maintenanceFiles(): MaintenanceFile[] {
  return [
    script("lease"),
    script("certRenew"),
    ...Object.entries(certRenewUnits(SCRIPT_PATHS.certRenew)).map(([path, content]) => ({
      path,
      permissions: "0644",
      content,
      source: `${SELF} certRenewUnits`,
    })),
    script("upgrade"),
    {
      path: KUBERNETES_VERSIONS_PATH,
      permissions: "0644",
      content: kubernetesVersionsFile(),
      source: `${SELF} kubernetesVersionsFile`,
    },
  ];
}
