/**
 * What the nodes run, checked by the tools the nodes use: cloud-init's own schema check of every
 * user data, and systemd's own parser for the OnCalendar values the configuration accepts.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { NodeRole, renderUserData } from "../../src/bootstrap";
import { onCalendarProblem } from "../../src/validation/systemd-calendar";
import { ETCD_BACKUP, deliveredFiles, settingsFor } from "../harness/node";
import { requireTool, run, runOnText } from "../harness/tools";
import { ONCALENDAR_ACCEPTED } from "../fixtures/on-calendar";

const ROLES: NodeRole[] = ["control-plane", "worker"];
/** Every role, plain and with etcd backups configured (the largest user data there is). */
const CASES: [string, string][] = ROLES.flatMap((r) => [
  [r, renderUserData(settingsFor(r)).cloudConfig],
  [`${r} with etcdBackup`, renderUserData(settingsFor(r, { etcdBackup: ETCD_BACKUP })).cloudConfig],
]);

describe("cloud-init accepts the user data", () => {
  test.each(CASES)("%s passes cloud-init schema", (name, cloudConfig) => {
    const r = runOnText("cloud-init", `${name.replace(/ /g, "-")}.yaml`, cloudConfig, (file) => [
      "schema",
      "--config-file",
      file,
    ]);
    expect({ status: r.status, out: `${r.stdout}${r.stderr}`.trim() }).toEqual({
      status: 0,
      out: `Valid cloud-config: ${r.file}`,
    });
  });
});

describe("OnCalendar values the configuration accepts are ones systemd parses (systemd-analyze calendar)", () => {
  test.each(ONCALENDAR_ACCEPTED)("%s", (value) => {
    expect(onCalendarProblem(value)).toBeUndefined();
    const r = run("systemd-analyze", ["calendar", value]);
    expect({ status: r.status, err: r.stderr.trim() }).toEqual({ status: 0, err: "" });
  });
  test("what the configuration refuses, systemd refuses too, or never fires", () => {
    const r = run("systemd-analyze", ["calendar", "every hour"]);
    expect(r.status).not.toBe(0);
  });
});

describe("systemd accepts every unit the nodes receive (systemd-analyze verify)", () => {
  // A control-plane node with etcd backups receives every unit there is; workers only the boot watch.
  const files = deliveredFiles("control-plane", { etcdBackup: ETCD_BACKUP });
  const units = files.filter((f) => f.path.startsWith("/etc/systemd/system/"));
  /** Units verify checks: each timer (a template's timers start its instances) and each plain service. */
  const checked = units.map((u) => u.path).filter((p) => !p.includes("@.service"));

  test("the units: boot watch, join refresh, etcd backup and membership, certificate renewal, termination", () => {
    expect(units.map((u) => path.basename(u.path)).sort()).toEqual([
      "k8s-boot-watch.service",
      "k8s-cert-renew.service",
      "k8s-cert-renew.timer",
      "k8s-etcd-backup.service",
      "k8s-etcd-backup.timer",
      "k8s-etcd-members-prune.service",
      "k8s-etcd-members-prune.timer",
      "k8s-join-refresh@.service",
      "k8s-join-refresh@certs.timer",
      "k8s-join-refresh@token.timer",
      "k8s-termination-watch.service",
    ]);
  });

  test.each(checked)("%s: no error and no warning (unknown keys are warnings)", (unit) => {
    requireTool("systemd-analyze");
    // A root with the host's own units (targets such as timers.target) and the node's files in place.
    const root = fs.mkdtempSync(path.join(os.tmpdir(), "systemd-root-"));
    try {
      fs.cpSync("/usr/lib/systemd/system", path.join(root, "usr/lib/systemd/system"), { recursive: true });
      for (const f of files) {
        fs.mkdirSync(path.join(root, path.dirname(f.path)), { recursive: true });
        fs.writeFileSync(path.join(root, f.path), f.content, { mode: parseInt(f.permissions, 8) });
      }
      const r = run("systemd-analyze", ["verify", "--man=no", "--generators=no", `--root=${root}`, unit]);
      expect({ status: r.status, out: `${r.stdout}${r.stderr}`.trim() }).toEqual({ status: 0, out: "" });
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  });
});
