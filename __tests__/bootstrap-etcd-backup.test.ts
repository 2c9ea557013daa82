/**
 * Scheduled etcd snapshots (etcdBackup): which roles get the script and its timer, what the timer
 * and the service say, and which settings are refused. The script itself runs under bash against
 * the stub harness in the system tier (__tests__/system/bootstrap-etcd-backup.test.ts).
 */
import { parse } from "yaml";
import { NodeRole, renderUserData } from "../src/bootstrap";
import { ETCD_BACKUP, deliveredFiles, settingsFor } from "./harness/node";

const SCRIPT = "/usr/local/sbin/k8s-etcd-backup.sh";
const TIMER = "/etc/systemd/system/k8s-etcd-backup.timer";
const SERVICE = "/etc/systemd/system/k8s-etcd-backup.service";

interface Doc {
  write_files: { path: string; permissions: string; content: string }[];
}
/** What the role receives: user data, and for control-plane roles the files of the bundle. */
const filesOf = (role: NodeRole, withBackup = true) =>
  deliveredFiles(role, withBackup ? { etcdBackup: ETCD_BACKUP } : {});
const fileOf = (role: NodeRole, p: string) => filesOf(role).find((f) => f.path === p)?.content;

describe("which nodes back up etcd", () => {
  test("control-plane nodes get the script, the service and the timer", () => {
    const files = filesOf("control-plane");
    expect(
      files
        .filter((f) => f.path.includes("k8s-etcd-backup"))
        .map((f) => f.path)
        .sort(),
    ).toEqual([SERVICE, TIMER, SCRIPT]);
    expect(files.find((f) => f.path === SCRIPT)!.permissions).toBe("0755");
    const env = files.find((f) => f.path === "/etc/k8s-bootstrap/env")!.content;
    expect(env).toContain(`\nETCD_BACKUP_BUCKET=${ETCD_BACKUP.bucket}\n`);
    expect(env).toContain(`\nETCD_BACKUP_PREFIX=${ETCD_BACKUP.prefix}\n`);
  });

  test("a worker gets nothing of it, even when the settings name a bucket", () => {
    const worker = renderUserData(settingsFor("worker", { etcdBackup: ETCD_BACKUP }));
    expect(worker).toEqual(renderUserData(settingsFor("worker")));
    const doc = parse(worker.cloudConfig) as Doc;
    expect(doc.write_files.map((f) => f.path).filter((p) => p.includes("etcd-backup"))).toEqual([]);
    expect(doc.write_files.find((f) => f.path === "/etc/k8s-bootstrap/env")!.content).not.toContain("ETCD_BACKUP");
  });

  test("without etcdBackup no role gets it", () => {
    for (const role of ["control-plane", "worker"] as const)
      expect(
        filesOf(role, false).filter((f) => /etcd-backup/.test(f.path) || f.content.includes("ETCD_BACKUP_BUCKET=")),
      ).toEqual([]);
  });

  test("the timer: the configured calendar, a random delay so nodes snapshot apart, catch-up after downtime", () => {
    const timer = fileOf("control-plane", TIMER)!;
    expect(timer).toMatch(/^OnCalendar=hourly$/m);
    expect(timer).toMatch(/^RandomizedDelaySec=\d+min$/m);
    expect(timer).toMatch(/^Persistent=true$/m);
    expect(timer).toMatch(/^WantedBy=timers.target$/m);
    const custom = deliveredFiles("control-plane", {
      etcdBackup: { ...ETCD_BACKUP, onCalendar: "*-*-* 00/6:00:00" },
    }).find((f) => f.path === TIMER)!.content;
    expect(custom).toContain("OnCalendar=*-*-* 00/6:00:00\n");
  });

  test("the service runs the script once per trigger, only where etcd's manifest is in place", () => {
    const service = fileOf("control-plane", SERVICE)!;
    expect(service).toMatch(/^Type=oneshot$/m);
    expect(service).toMatch(new RegExp(`^ExecStart=${SCRIPT}$`, "m"));
    expect(service).toMatch(/^ConditionPathExists=\/etc\/kubernetes\/manifests\/etcd.yaml$/m);
    expect(service).toMatch(/^TimeoutStartSec=/m);
  });

  test("settings that are not a bucket name, a key prefix or a calendar are refused", () => {
    const withBackup = (b: Partial<typeof ETCD_BACKUP>) => () =>
      renderUserData(settingsFor("control-plane", { etcdBackup: { ...ETCD_BACKUP, ...b } }));
    expect(withBackup({ bucket: "${TfToken[TOKEN.42]}" } as never)).toThrow(
      /etcdBackup.bucket .* Terraform token; pass the plain bucket name/,
    );
    // The configuration's own reason (src/validation/config-schema.ts).
    expect(withBackup({ bucket: "Backups" } as never)).toThrow(/etcdBackup.bucket = "Backups" must be 3-63 characters/);
    expect(withBackup({ prefix: "/k8s-cluster/etcd" } as never)).toThrow(/etcdBackup.prefix/);
    expect(withBackup({ prefix: "k8s-cluster/etcd/" } as never)).toThrow(/etcdBackup.prefix/);
    expect(withBackup({ onCalendar: "hourly\nExecStart=/bin/sh" } as never)).toThrow(/etcdBackup.onCalendar/);
  });
});
