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

/** Short, stable suffix of a zone in names and Terraform addresses: "workers_a" survives going from one AZ to three. */
export function azKey(az: string): string {
  return az.slice(-1);
}

/**
 * The workers' auto scaling groups, one per availability zone (in the order of the zones): with one
 * zone the single group `<cluster>-workers`, with more `<cluster>-workers-<zone letter>`. A group per
 * zone is what the cluster autoscaler's AWS README asks for with zonal volumes (EBS): it then knows
 * which group makes a node in the zone of a pending pod's volume (src/constructs/workers.ts).
 */
export function workerGroupNames(clusterName: string, azs: readonly string[]): string[] {
  if (azs.length <= 1) return [`${clusterName}-workers`];
  return azs.map((az) => `${clusterName}-workers-${azKey(az)}`);
}

/** The SQS queue of the node termination handler. */
export function nodeTerminationQueueName(clusterName: string): string {
  return `${clusterName}-node-termination`;
}
