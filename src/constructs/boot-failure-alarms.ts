/**
 * One CloudWatch alarm per auto scaling group on the boot-failure metric (src/aws/lifecycle.ts
 * BOOT_FAILURE_METRIC): a node whose bootstrap fails for good, or that is not in service by its
 * deadline, publishes 1 with its cluster and group as dimensions, and its group replaces it. One failure can be
 * bad luck (an apt or registry outage); a configuration that can never boot replaces nodes over
 * and over, and this alarm is how an operator sees that loop. The alarms have no action: add your
 * SNS topic (or look at them in the console, `aws cloudwatch describe-alarms`).
 */
import { Construct } from "constructs";
import { CloudwatchMetricAlarm } from "@cdktf/provider-aws/lib/cloudwatch-metric-alarm";
import { BOOT_FAILURE_METRIC } from "../aws/lifecycle";
import { named } from "./network";

export interface BootFailureAlarmsProps {
  readonly clusterName: string;
  /** Group names, each with its Terraform name. */
  readonly groups: readonly { readonly name: string; readonly terraformName: string }[];
}

/** The window the alarm sums over: a failed boot takes minutes, a loop repeats within this. */
export const BOOT_FAILURE_WINDOW_SECONDS = 900;

export const BOOT_FAILURE_RUNBOOK = "docs/troubleshooting.md";

export class BootFailureAlarms extends Construct {
  readonly alarms: CloudwatchMetricAlarm[] = [];

  constructor(scope: Construct, id: string, props: BootFailureAlarmsProps) {
    super(scope, id);
    for (const group of props.groups) {
      this.alarms.push(
        named(
          new CloudwatchMetricAlarm(this, `alarm-${group.terraformName}`, {
            alarmName: `${group.name}-boot-failed`,
            alarmDescription:
              `A node of auto scaling group ${group.name} failed its bootstrap, or was not in service by its ` +
              `deadline (the group replaces it). More than once means a configuration that cannot boot: see the ` +
              `runbook ${BOOT_FAILURE_RUNBOOK} and the group's activity history.`,
            namespace: BOOT_FAILURE_METRIC.namespace,
            metricName: BOOT_FAILURE_METRIC.name,
            dimensions: { ClusterName: props.clusterName, AutoScalingGroupName: group.name },
            statistic: "Sum",
            period: BOOT_FAILURE_WINDOW_SECONDS,
            evaluationPeriods: 1,
            threshold: 1,
            comparisonOperator: "GreaterThanOrEqualToThreshold",
            // No data is the normal case: nodes publish only when a boot fails.
            treatMissingData: "notBreaching",
            tags: { Name: `${group.name}-boot-failed` },
          }),
          `${group.terraformName}_boot_failed`,
        ),
      );
    }
  }
}
