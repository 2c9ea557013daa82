/** What the lifecycle-hook and boot-watch harness tests share: the group, the script, the AWS calls. */
import { INSTANCE_ID, NodeRun } from "./node";
import { BOOT_FAILURE_METRIC } from "../../src/aws/lifecycle";

export const WORKERS = "k8s-cluster-workers";
export const WATCH = "/usr/local/sbin/k8s-lifecycle";
/** The call that completes a lifecycle hook of this instance. */
export const complete = (hook: string, group: string, result: string) =>
  [
    `aws autoscaling complete-lifecycle-action --lifecycle-hook-name ${hook} --auto-scaling-group-name ${group}`,
    `--instance-id ${INSTANCE_ID} --lifecycle-action-result ${result}`,
  ].join(" ");
/** The call that publishes the boot-failure metric for a group. */
export const METRIC = (group: string) =>
  [
    "aws cloudwatch put-metric-data",
    `--namespace ${BOOT_FAILURE_METRIC.namespace} --metric-name ${BOOT_FAILURE_METRIC.name} --unit Count --value 1`,
    `--dimensions Name=ClusterName,Value=k8s-cluster Name=AutoScalingGroupName,Value=${group}`,
  ].join(" ");
/** The instance's auto scaling state as the stub keeps it. */
export const asgState = (n: NodeRun) => n.kept("asg/instance")?.trim();
/** A scaling activity's Cause for a replacement by set-instance-health. */
export const USER_HEALTH_CHECK = (at: string) =>
  `At ${at} an instance was taken out of service in response to a user health-check.`;
