/**
 * What the nodes and Terraform share about the auto scaling lifecycle: the hook names a node
 * completes, and the metric a node publishes when its bootstrap fails for good.
 */

/** Lifecycle hook names, the same on every group of the cluster (control plane and workers). */
export const LIFECYCLE_HOOKS = Object.freeze({
  /**
   * autoscaling:EC2_INSTANCE_LAUNCHING. The node completes it with CONTINUE once its Node is Ready
   * (a control-plane node: and its etcd member is healthy), so an instance refresh takes the next
   * old node only after the new one really serves.
   */
  launch: "k8s-node-ready",
  /**
   * autoscaling:EC2_INSTANCE_TERMINATING. Workers: the termination handler cordons and drains the
   * node, then completes it. Control plane: the node removes its own etcd member, then completes it.
   */
  terminate: "k8s-node-drain",
});

/**
 * Launch hook: how long the group waits after the hook's start or its last heartbeat before it
 * abandons the instance (its default result). A booting node's k8s-boot-watch records a heartbeat
 * every few minutes, so this is how soon a node that stops working altogether (no report) is let go.
 */
export const LAUNCH_HOOK_TIMEOUT_SECONDS = 1200;
/**
 * Terminate hook: a worker is drained by the termination handler, a control-plane node removes its
 * own etcd member first; after this long without a heartbeat the instance is terminated anyway
 * (CONTINUE).
 */
export const TERMINATE_HOOK_TIMEOUT_SECONDS = 600;
/**
 * The longest a lifecycle hook holds an instance, heartbeats or not (its GlobalTimeout): 100 times
 * the heartbeat timeout, at most 48 hours (Amazon EC2 Auto Scaling API reference, LifecycleHook).
 */
export const hookWaitLimitSeconds = (heartbeatTimeout: number) => Math.min(100 * heartbeatTimeout, 172_800);
/**
 * Seconds after boot by which a node must be in service (its launch hook completed with CONTINUE);
 * k8s-boot-watch reports a boot that is not as failed then. Longer than one launch hook timeout (the
 * node heartbeats meanwhile): a new cluster's workers wait for the first control-plane node, which
 * waits for its load balancer's name to resolve.
 */
export const BOOT_DEADLINE_SECONDS = 2400;

/**
 * A node whose bootstrap fails for good publishes 1 to this metric (dimensions ClusterName and
 * AutoScalingGroupName) before it marks itself unhealthy; an alarm per group watches it.
 */
export const BOOT_FAILURE_METRIC = Object.freeze({ namespace: "K8sNodeBootstrap", name: "BootFailed" });
