/**
 * The list of Kubernetes releases this build pins, which k8s-upgrade reads on control-plane nodes
 * (it refuses any other release). The rest of the maintenance after boot is files: the scripts
 * k8s-cert-renew, k8s-upgrade and lease.sh (scripts/), and k8s-cert-renew.service and .timer
 * (files/etc/systemd/system/); node-files.ts lists them all in the bundled part.
 */
import {
  ADDON_VERSIONS,
  CLOUD_CONTROLLER_MANAGER_IMAGE,
  KUBERNETES_PATCH,
  SUPPORTED_KUBERNETES_MINORS,
} from "./versions";

/** Read by k8s-upgrade: "<minor> <patch release> <cloud controller image>" per pinned minor. */
export const KUBERNETES_VERSIONS_PATH = "/etc/k8s-bootstrap/kubernetes-versions";

const SELF = "src/bootstrap/maintenance.ts";

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
