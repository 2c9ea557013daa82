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
 * A node whose bootstrap fails for good publishes 1 to this metric (dimensions ClusterName and
 * AutoScalingGroupName) before it marks itself unhealthy; an alarm per group watches it.
 */
export const BOOT_FAILURE_METRIC = Object.freeze({ namespace: "K8sNodeBootstrap", name: "BootFailed" });
