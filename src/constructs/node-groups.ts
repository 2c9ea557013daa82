/**
 * What every auto scaling group of the cluster shares: its two lifecycle hooks (src/aws/lifecycle.ts
 * names them; the nodes and the termination handler complete them).
 */
import { AutoscalingGroupInitialLifecycleHook } from "@cdktf/provider-aws/lib/autoscaling-group";
import { LIFECYCLE_HOOKS } from "../aws/lifecycle";

/**
 * Launch hook: a node has this long to boot, join and become Ready (a control-plane node: with a
 * healthy etcd member) before its group abandons it and starts another. A first control-plane
 * node takes about 10 minutes (apt, kubeadm init, add-ons); a worker of a new cluster waits for it.
 */
export const LAUNCH_HOOK_TIMEOUT_SECONDS = 1200;
/**
 * Terminate hook: a worker is drained by the termination handler, a control-plane node removes its
 * own etcd member; after this long the instance is terminated anyway (CONTINUE).
 */
export const TERMINATE_HOOK_TIMEOUT_SECONDS = 600;

/**
 * Seconds an instance refresh waits after a new node is InService before it counts it: the launch
 * hook has already waited for a Ready node, so this only covers the load balancer's first health
 * checks (2 x 10 s). Without it the refresh would wait the 300 s health check grace period.
 */
export const REFRESH_INSTANCE_WARMUP = "60";

/**
 * The hooks as initial_lifecycle_hook blocks: they exist before the group launches its first
 * instance (a separate aws_autoscaling_lifecycle_hook would be created after the group, too late
 * for the first nodes). The provider sets them only when it creates a group.
 */
export function groupLifecycleHooks(): AutoscalingGroupInitialLifecycleHook[] {
  return [
    {
      name: LIFECYCLE_HOOKS.launch,
      lifecycleTransition: "autoscaling:EC2_INSTANCE_LAUNCHING",
      heartbeatTimeout: LAUNCH_HOOK_TIMEOUT_SECONDS,
      // A node that never completes the hook (no Ready node) is terminated and replaced.
      defaultResult: "ABANDON",
    },
    {
      name: LIFECYCLE_HOOKS.terminate,
      lifecycleTransition: "autoscaling:EC2_INSTANCE_TERMINATING",
      heartbeatTimeout: TERMINATE_HOOK_TIMEOUT_SECONDS,
      // A drain or member removal that hangs must not keep a dead instance forever.
      defaultResult: "CONTINUE",
    },
  ];
}
