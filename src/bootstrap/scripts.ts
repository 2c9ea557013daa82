/**
 * The bootstrap scripts, kept as real shell files beside this module (src/bootstrap/scripts/) so
 * that they read, diff and lint as shell. They go into the user data as they are.
 */
import * as fs from "fs";
import * as path from "path";
import { bootstrapFolder } from "./static-files";

/** Where each script is installed on a node. The scripts name each other by these paths. */
export const SCRIPT_PATHS = Object.freeze({
  lib: "/usr/local/lib/k8s-bootstrap/lib.sh",
  prepare: "/usr/local/sbin/k8s-node-prepare",
  bootstrap: "/usr/local/sbin/k8s-bootstrap",
  joinRefresh: "/usr/local/sbin/k8s-join-refresh",
  addons: "/usr/local/sbin/k8s-addons",
  etcdBackup: "/usr/local/sbin/k8s-etcd-backup.sh",
  lease: "/usr/local/lib/k8s-bootstrap/lease.sh",
  certRenew: "/usr/local/sbin/k8s-cert-renew",
  upgrade: "/usr/local/sbin/k8s-upgrade",
  controlPlaneLib: "/usr/local/lib/k8s-bootstrap/control-plane.sh",
  bundle: "/usr/local/lib/k8s-bootstrap/bundle.sh",
  controlPlaneBoot: "/usr/local/lib/k8s-bootstrap/control-plane-boot.sh",
  lifecycle: "/usr/local/sbin/k8s-lifecycle",
  initLock: "/usr/local/sbin/k8s-init-lock",
  etcdMembers: "/usr/local/sbin/k8s-etcd-members",
  terminationWatch: "/usr/local/sbin/k8s-termination-watch",
  clusterSecrets: "/usr/local/sbin/k8s-cluster-secrets",
  oidcPublish: "/usr/local/sbin/k8s-oidc-publish",
  webhookCert: "/usr/local/sbin/k8s-webhook-cert",
});

/** Each script's file under src/bootstrap/scripts/. */
export const SCRIPT_SOURCE_FILES: Readonly<Record<keyof typeof SCRIPT_PATHS, string>> = {
  lib: "lib.sh",
  prepare: "k8s-node-prepare.sh",
  bootstrap: "k8s-bootstrap.sh",
  joinRefresh: "k8s-join-refresh.sh",
  addons: "k8s-addons.sh",
  etcdBackup: "k8s-etcd-backup.sh",
  lease: "lease.sh",
  certRenew: "k8s-cert-renew.sh",
  upgrade: "k8s-upgrade.sh",
  controlPlaneLib: "control-plane.sh",
  bundle: "bundle.sh",
  controlPlaneBoot: "control-plane-boot.sh",
  lifecycle: "k8s-lifecycle.sh",
  initLock: "k8s-init-lock.sh",
  etcdMembers: "k8s-etcd-members.sh",
  terminationWatch: "k8s-termination-watch.sh",
  clusterSecrets: "k8s-cluster-secrets.sh",
  oidcPublish: "k8s-oidc-publish.sh",
  webhookCert: "k8s-webhook-cert.sh",
};

const SCRIPT_DIR = bootstrapFolder("scripts");

function load(file: string): string {
  const full = path.join(SCRIPT_DIR, file);
  try {
    return fs.readFileSync(full, "utf8");
  } catch (e) {
    throw new Error(
      `bootstrap script ${full} is missing (${(e as NodeJS.ErrnoException).code}); ` +
        "it ships beside src/bootstrap/scripts.ts",
      { cause: e },
    );
  }
}

/** Install path on the node -> script text. */
export const BOOTSTRAP_SCRIPTS: Readonly<Record<string, string>> = Object.freeze(
  Object.fromEntries(
    (Object.keys(SCRIPT_PATHS) as (keyof typeof SCRIPT_PATHS)[]).map((k) => [
      SCRIPT_PATHS[k],
      load(SCRIPT_SOURCE_FILES[k]),
    ]),
  ),
);
