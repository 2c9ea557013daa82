/**
 * Names of the cluster's AWS resources that more than one place needs before Terraform makes them:
 * the IAM statements (scoped by name, so no policy waits for the resource it names), the node
 * termination handler's event rules, the alarms and the outputs.
 */

import { ELB_NAME_LIMITS } from "./limits";

/** A load balancer / target group name: cut to AWS's length, no hyphen at the end. */
export function elbName(text: string): string {
  return text.slice(0, ELB_NAME_LIMITS.maxChars).replace(/-+$/, "");
}

/** The API load balancer and its target group (the same name; names are unique per type). */
export function apiLoadBalancerName(clusterName: string): string {
  return elbName(`${clusterName}-api`);
}

/** One auto scaling group per control-plane slot i = 0 .. count-1. */
export function controlPlaneGroupName(clusterName: string, index: number): string {
  return `${clusterName}-control-plane-${index}`;
}

export function controlPlaneGroupNames(clusterName: string, count: number): string[] {
  return Array.from({ length: count }, (_, i) => controlPlaneGroupName(clusterName, i));
}

export function workerGroupName(clusterName: string): string {
  return `${clusterName}-workers`;
}

/** The SQS queue of the node termination handler. */
export function nodeTerminationQueueName(clusterName: string): string {
  return `${clusterName}-node-termination`;
}
