/**
 * What a control-plane node runs to leave the cluster cleanly when its auto scaling group
 * terminates it: a service that watches the instance's target lifecycle state (IMDSv2) and then
 * drains the node, removes its etcd member and completes the termination lifecycle hook
 * (scripts/k8s-termination-watch.sh). Workers have none: the termination handler drains them.
 */
import { iniText } from "./node-files";

export const TERMINATION_WATCH_UNIT = "/etc/systemd/system/k8s-termination-watch.service";

/** The watcher's unit: started at boot, restarted if it fails, done once it completed the hook. */
export function terminationWatchUnits(scriptPath: string): Record<string, string> {
  return {
    [TERMINATION_WATCH_UNIT]: iniText({
      Unit: {
        Description: "Drain this node and remove its etcd member before its auto scaling group terminates it",
        Wants: "network-online.target",
        After: "network-online.target",
      },
      Service: { Type: "simple", ExecStart: scriptPath, Restart: "on-failure", RestartSec: "10s" },
      Install: { WantedBy: "multi-user.target" },
    }),
  };
}
