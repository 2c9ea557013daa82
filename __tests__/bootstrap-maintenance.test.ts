import * as path from "path";
import * as fs from "fs";
/**
 * What control-plane nodes receive for certificate renewal and in-place upgrades: which nodes get
 * it, the timer and its service, the list of pinned releases k8s-upgrade accepts, and the numbers
 * the scripts and their units must agree on. The scripts themselves run in the system tier
 * (__tests__/system/bootstrap-maintenance.test.ts).
 */
import { parse } from "yaml";
import { NodeRole, renderUserData } from "../src/bootstrap";
import { BOOTSTRAP_SCRIPTS, SCRIPT_PATHS } from "../src/bootstrap/scripts";
import { KUBERNETES_VERSIONS_PATH, kubernetesVersionsFile } from "../src/bootstrap/maintenance";
import { ADDON_VERSIONS, KUBERNETES_PATCH, SUPPORTED_KUBERNETES_MINORS } from "../src/bootstrap/versions";
import { deliveredFiles, settingsFor } from "./harness/node";

const SERVICE = "/etc/systemd/system/k8s-cert-renew.service";
const TIMER = "/etc/systemd/system/k8s-cert-renew.timer";
const MAINTENANCE_PATHS = [
  "/usr/local/lib/k8s-bootstrap/lease.sh",
  "/usr/local/sbin/k8s-cert-renew",
  SERVICE,
  TIMER,
  "/usr/local/sbin/k8s-upgrade",
  KUBERNETES_VERSIONS_PATH,
];
const UNITS_FOLDER = path.join(__dirname, "..", "src/bootstrap/files");
const units: Record<string, string> = Object.fromEntries(
  [SERVICE, TIMER].map((p) => [p, fs.readFileSync(path.join(UNITS_FOLDER, p), "utf8")]),
);
const CCM = "registry.k8s.io/provider-aws/cloud-controller-manager";
/** A shell variable's literal value in a script (NAME=value at the start of a line). */
const shellValue = (script: string, name: string) =>
  new RegExp(`^${name}=(\\S+)$`, "m").exec(BOOTSTRAP_SCRIPTS[script])?.[1];

describe("which nodes get certificate renewal and k8s-upgrade", () => {
  test.each(["control-plane"] as NodeRole[])("%s: all of it, from the bundle, never in user data", (role) => {
    const files = deliveredFiles(role).filter((f) => MAINTENANCE_PATHS.includes(f.path));
    expect(files.map((f) => [f.path, f.delivery])).toEqual(MAINTENANCE_PATHS.map((p) => [p, "bundle"]));
    expect(files.map((f) => f.permissions)).toEqual(["0755", "0755", "0644", "0644", "0755", "0644"]);
  });

  test("a worker gets none of it (its kubelet client certificate rotates itself; it upgrades by replacement)", () => {
    const doc = parse(renderUserData(settingsFor("worker")).cloudConfig) as { write_files: { path: string }[] };
    expect(
      doc.write_files
        .map((f) => f.path)
        .filter((p) => MAINTENANCE_PATHS.includes(p) || /cert-renew|upgrade|lease/.test(p)),
    ).toEqual([]);
    expect(deliveredFiles("worker").filter((f) => f.delivery === "bundle")).toEqual([]);
  });

  test("the files are the scripts byte for byte, the units and the version list", () => {
    const byPath = Object.fromEntries(deliveredFiles("control-plane").map((f) => [f.path, f.content]));
    for (const p of [SCRIPT_PATHS.lease, SCRIPT_PATHS.certRenew, SCRIPT_PATHS.upgrade])
      expect(byPath[p]).toBe(BOOTSTRAP_SCRIPTS[p]);
    expect(byPath[SERVICE]).toBe(units[SERVICE]);
    expect(byPath[TIMER]).toBe(units[TIMER]);
    expect(byPath[KUBERNETES_VERSIONS_PATH]).toBe(kubernetesVersionsFile());
  });
});

describe("k8s-cert-renew.timer and its service", () => {
  test("daily at a random time within 4 h (the nodes rarely contend for the Lease), catching up after downtime", () => {
    expect(units[TIMER]).toBe(
      "[Unit]\nDescription=Check kubeadm's certificates daily\n\n" +
        "[Timer]\nOnCalendar=daily\nRandomizedDelaySec=4h\nPersistent=true\n\n" +
        "[Install]\nWantedBy=timers.target\n",
    );
  });

  test("one run per trigger, only on a node whose control plane is in place", () => {
    expect(units[SERVICE]).toMatch(/^Type=oneshot$/m);
    expect(units[SERVICE]).toMatch(/^ExecStart=\/usr\/local\/sbin\/k8s-cert-renew$/m);
    expect(units[SERVICE]).toMatch(/^ConditionPathExists=\/etc\/kubernetes\/manifests\/kube-apiserver.yaml$/m);
  });

  test("systemd stops a run before the maintenance Lease it holds could expire under it", () => {
    const timeout = /^TimeoutStartSec=(\d+)min$/m.exec(units[SERVICE])![1];
    const leaseSeconds = Number(shellValue(SCRIPT_PATHS.lease, "LEASE_SECONDS"));
    expect(leaseSeconds).toBe(3600);
    expect(Number(timeout) * 60).toBeLessThan(leaseSeconds);
  });

  test("the window the service names is the script's", () => {
    const days = shellValue(SCRIPT_PATHS.certRenew, "RENEW_WINDOW_DAYS");
    expect(days).toBe("90");
    expect(units[SERVICE]).toContain(`within ${days} days of expiry`);
  });
});

describe("the releases k8s-upgrade accepts", () => {
  test("one line per supported minor: its pinned patch release and its cloud controller image", () => {
    const lines = kubernetesVersionsFile()
      .split("\n")
      .filter((l) => l && !l.startsWith("#"));
    expect(lines).toEqual(
      SUPPORTED_KUBERNETES_MINORS.map(
        (m) => `${m} ${KUBERNETES_PATCH[m]} ${CCM}:${ADDON_VERSIONS.cloudControllerManager[m]}`,
      ),
    );
    expect(lines[lines.length - 1]).toBe(`1.35 1.35.8 ${CCM}:v1.35.2`);
  });

  test("k8s-upgrade reads that file, where the bundle installs it", () => {
    expect(shellValue(SCRIPT_PATHS.upgrade, "KUBERNETES_VERSIONS")).toBe(`"\${ROOT}${KUBERNETES_VERSIONS_PATH}"`);
  });
});
