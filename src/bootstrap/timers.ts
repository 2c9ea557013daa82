/**
 * systemd units whose content depends on the configuration: the etcd snapshots' service and
 * timer (bucket and schedule). Units that do not, such as the join-parameter refresh
 * (k8s-join-refresh@.service and its token and certs timers), are files in the repository under
 * src/bootstrap/files/etc/systemd/system/.
 */
import { EtcdBackupSettings } from "./settings";

/** An ini-style systemd unit: one [Section] of Key=Value lines each, a blank line between sections. */
function unitText(sections: Readonly<Record<string, Readonly<Record<string, string>>>>): string {
  return Object.entries(sections)
    .map(
      ([name, keys]) =>
        `[${name}]\n${Object.entries(keys)
          .map(([k, v]) => `${k}=${v}`)
          .join("\n")}\n`,
    )
    .join("\n");
}

/**
 * systemd units of the etcd snapshots: a oneshot service and its timer. The random delay keeps
 * the control-plane nodes from snapshotting in the same second; Persistent catches up on a run
 * missed while the node was off. The service is skipped while etcd's manifest is moved away (as
 * during a restore).
 */
export function etcdBackupUnits(scriptPath: string, b: EtcdBackupSettings): Record<string, string> {
  return {
    "/etc/systemd/system/k8s-etcd-backup.service": unitText({
      Unit: {
        Description: `Snapshot the local etcd member to s3://${b.bucket}/${b.prefix}/`,
        Wants: "network-online.target",
        After: "network-online.target containerd.service",
        ConditionPathExists: "/etc/kubernetes/manifests/etcd.yaml",
      },
      // Snapshot (at most 15 min) plus upload with retries.
      Service: { Type: "oneshot", ExecStart: scriptPath, TimeoutStartSec: "45min" },
    }),
    "/etc/systemd/system/k8s-etcd-backup.timer": unitText({
      Unit: { Description: `Snapshot etcd to S3 (${b.onCalendar})` },
      Timer: { OnCalendar: b.onCalendar, RandomizedDelaySec: "5min", Persistent: "true" },
      Install: { WantedBy: "timers.target" },
    }),
  };
}
