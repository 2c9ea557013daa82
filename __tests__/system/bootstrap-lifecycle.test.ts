/**
 * The real user data under bash with the stub harness (harness/): k8s-lifecycle after-boot, the
 * second runcmd line. A node completes its group's launch lifecycle hook only once its Node is
 * Ready; a failed boot puts its log on the console, publishes the boot-failure metric and has its
 * group replace it, at most 3 times an hour. The stubs' answers these tests rely on, and the
 * upstream files that define them, are listed in bootstrap-membership.test.ts; here:
 * - kubectl get node -o jsonpath of the Ready condition prints "True" or "False" (kubernetes/kubernetes
 *   staging/src/k8s.io/api/core/v1/types.go: NodeReady, ConditionTrue, ConditionFalse);
 * - describe-scaling-activities: a set-instance-health replacement's Cause ends "in response to a
 *   user health-check" (EC2 Auto Scaling user guide, replace-unhealthy-instance.html); a launch
 *   completed with ABANDON has the StatusMessage "... Lifecycle Action Completed with ABANDON
 *   Result" (CHAP_Troubleshooting.html);
 * - describe-auto-scaling-instances' text output of no group is "None" (the AWS CLI prints null so);
 * - elbv2 register-targets: TargetGroupNotFound for another ARN, InvalidTarget for an instance that
 *   is not running, nothing printed on success, a registered target registered again is no error
 *   (Elastic Load Balancing API reference, RegisterTargets); kubeadm init reaches the API through
 *   controlPlaneEndpoint, the load balancer, which forwards only to registered targets (the stub's
 *   kubeadm init fails unless this instance is one).
 */
import {
  API_TARGET_GROUP_ARN,
  INSTANCE_ID,
  JOIN_PARAMETERS,
  NODE_NAME,
  NodeRun,
  PREFIX,
  TERRAFORM_PARAMETERS,
} from "../harness/node";
import { ALL_PARAMETERS, expectSuccess, failedLines, nodeRunner } from "../harness/boot";
import { METRIC, USER_HEALTH_CHECK, WATCH, WORKERS, asgState, complete } from "../harness/lifecycle";
import { BOOT_DEADLINE_SECONDS, LIFECYCLE_HOOKS } from "../../src/aws/lifecycle";

const node = nodeRunner();
const READY_POLL = `get node ${NODE_NAME} -o jsonpath={.status.conditions[?(@.type=="Ready")].status}`;
const UNHEALTHY = [
  `aws autoscaling set-instance-health --instance-id ${INSTANCE_ID}`,
  "--health-status Unhealthy --no-should-respect-grace-period",
].join(" ");
const ETCD_HEALTH = [
  " --endpoints=https://127.0.0.1:2379 --cacert=/etc/kubernetes/pki/etcd/ca.crt",
  "--cert=/etc/kubernetes/pki/etcd/healthcheck-client.crt --key=/etc/kubernetes/pki/etcd/healthcheck-client.key",
  "endpoint health",
].join(" ");
const ABANDONED =
  "Instance failed to complete user's Lifecycle Action: Lifecycle Action with token" +
  " e85eb647-4fe0-4909-b341-a6c42d8aba1f was abandoned: Lifecycle Action Completed with ABANDON Result";
const SCALED_OUT =
  "At 2026-12-02T09:00:00Z a user request update of AutoScalingGroup constraints to min: 2, max: 5," +
  " desired: 3 changing the desired capacity from 2 to 3.";

describe("the launch lifecycle hook: completed only once the node is Ready", () => {
  test("a worker whose Node turns Ready on the 4th poll completes the hook after that poll, never before", () => {
    const n = node("worker", { ssm: ALL_PARAMETERS, nodeReadyAfter: 3 });
    expectSuccess(n);
    const [bootstrap, lifecycle] = n.byCommand;
    expect(bootstrap.filter((c) => c.startsWith("aws autoscaling"))).toEqual([]);
    // The Ready condition's status as kubectl's jsonpath prints it: k8s.io/api core/v1 types.go.
    const polls = lifecycle.map((c, i) => [c, i] as const).filter(([c]) => c.endsWith(READY_POLL));
    expect(polls).toHaveLength(4);
    // The kubelet's own kubeconfig: a worker has no admin kubeconfig.
    expect(polls[0][0]).toBe(`kubectl --kubeconfig ${n.root}/etc/kubernetes/kubelet.conf ${READY_POLL}`);
    const completion = lifecycle.indexOf(complete(LIFECYCLE_HOOKS.launch, WORKERS, "CONTINUE"));
    expect(completion).toBeGreaterThan(polls[3][1]);
    expect(lifecycle.filter((c) => c.startsWith("aws autoscaling complete-lifecycle-action"))).toHaveLength(1);
    expect(n.stderr).toContain(`k8s-lifecycle: waiting for ${NODE_NAME} to be Ready (attempt 3/90, next in 10s)`);
    expect(asgState(n)).toBe(`${WORKERS} InService`);
    expect(n.kept("metrics")).toBeUndefined();
  });

  test("a control-plane node also waits for its local etcd member to be healthy before it completes the hook", () => {
    const n = node("control-plane", { ssm: TERRAFORM_PARAMETERS, nodeReadyAfter: 1 });
    expectSuccess(n);
    const lifecycle = n.byCommand[1];
    const lastPoll = lifecycle.map((c) => c.endsWith(READY_POLL)).lastIndexOf(true);
    const health = lifecycle.findIndex((c, i) => i > lastPoll && c.endsWith(ETCD_HEALTH));
    expect(health).toBeGreaterThan(lastPoll);
    expect(
      lifecycle.indexOf(complete(LIFECYCLE_HOOKS.launch, "k8s-cluster-control-plane-0", "CONTINUE")),
    ).toBeGreaterThan(health);
  });

  test("a node in no auto scaling group has no hook to complete, and says so", () => {
    const n = node("worker", { ssm: ALL_PARAMETERS, asg: null });
    expectSuccess(n);
    expect(n.callsOf("aws autoscaling complete-lifecycle-action")).toEqual([]);
    expect(n.stderr).toContain(
      `k8s-lifecycle: ${INSTANCE_ID} is in no auto scaling group: no launch lifecycle hook waits`,
    );
  });

  test("a node whose Node is never Ready is a failed boot: no CONTINUE, the group replaces it", () => {
    const n = node("worker", { ssm: ALL_PARAMETERS, nodeReadyAfter: 1000 });
    expect(n.status).toBe(1);
    expect(n.callsOf(`kubectl --kubeconfig ${n.root}/etc/kubernetes/kubelet.conf ${READY_POLL}`)).toHaveLength(90);
    expect(n.stderr).toContain(
      `k8s-lifecycle: boot failed (${NODE_NAME} not Ready after 900s);` +
        ` ${INSTANCE_ID} is abandoned: ${WORKERS} terminates it and launches another`,
    );
    expect(n.callsOf("aws autoscaling complete-lifecycle-action")).toEqual([
      complete(LIFECYCLE_HOOKS.launch, WORKERS, "ABANDON"),
    ]);
    expect(n.calls).not.toContain(UNHEALTHY);
  });
});

describe("the node that runs kubeadm init registers itself with the API target group first", () => {
  // The group registers an instance only once its launch hook is complete, which this node does
  // only once Ready: https://docs.aws.amazon.com/autoscaling/ec2/userguide/lifecycle-hooks-overview.html
  const READ_ARN = `aws ssm get-parameter --name ${PREFIX}/api-target-group --with-decryption`;
  const REGISTER = `aws elbv2 register-targets --target-group-arn ${API_TARGET_GROUP_ARN} --targets Id=${INSTANCE_ID}`;

  test("the lock winner: its own instance, the ARN from SSM, after the lock, before kubeadm init", () => {
    const n = node("control-plane", { ssm: TERRAFORM_PARAMETERS });
    expectSuccess(n);
    const [bootstrap] = n.byCommand;
    expect(bootstrap.filter((c) => c.startsWith("aws elbv2"))).toEqual([REGISTER]);
    const lock = bootstrap.findIndex((c) => c.startsWith(`aws ssm put-parameter --name ${PREFIX}/init/lock `));
    const read = bootstrap.findIndex((c) => c.startsWith(READ_ARN));
    const register = bootstrap.indexOf(REGISTER);
    const init = bootstrap.findIndex((c) => c.startsWith("kubeadm init --config"));
    expect([lock < read, read < register, register < init]).toEqual([true, true, true]);
    expect(n.kept("elbv2/targets")).toBe(`${INSTANCE_ID}\n`);
  });

  test("a registration that keeps failing is retried, then the boot stops there, before kubeadm init", () => {
    const n = node("control-plane", { ssm: TERRAFORM_PARAMETERS, fail: ["aws elbv2 register-targets"] });
    expect(n.status).toBe(1);
    expect(n.callsOf("aws elbv2 register-targets")).toHaveLength(10);
    expect(failedLines(n.stderr)[0]).toBe(
      `k8s-bootstrap: FAILED at step 'register ${INSTANCE_ID} with the API load balancer's target group':` +
        ` gave up after 10 attempts (100s): register-targets ${INSTANCE_ID} with ${API_TARGET_GROUP_ARN}`,
    );
    expect(n.indexOf("kubeadm init --config")).toBe(-1);
  });

  test("a lock loser that joins, a joining control-plane node and a worker never register", () => {
    const holder = { id: "i-0b2c3d4e5f6071829", name: "ip-172-31-0-5.ap-northeast-2.compute.internal" };
    // The holder's join parameters appear while this node waits (join/api-endpoint, written last).
    const later = Object.fromEntries(
      Object.entries(JOIN_PARAMETERS).map(([k, v]) => [
        k,
        { value: v, afterReads: k.endsWith("/api-endpoint") ? 2 : 0 },
      ]),
    );
    const loser = node("control-plane", {
      ssm: {
        ...TERRAFORM_PARAMETERS,
        [`${PREFIX}/init/lock`]: `${holder.id} ${JOIN_PARAMETERS[`${PREFIX}/join/api-endpoint`]}`,
      },
      ssmLater: later,
      instances: [{ ...holder, state: "running" }],
    });
    const joiner = node("control-plane", { ssm: ALL_PARAMETERS });
    const worker = node("worker", { ssm: ALL_PARAMETERS });
    for (const n of [loser, joiner, worker]) {
      expectSuccess(n);
      expect(n.callsOf("kubeadm join --config")).toHaveLength(1);
      expect(n.indexOf("aws elbv2")).toBe(-1);
      expect(n.indexOf(READ_ARN)).toBe(-1);
    }
    expect(loser.callsOf(`aws ssm put-parameter --name ${PREFIX}/init/lock `).length).toBeGreaterThan(0);
    // Workers are not even told the parameter's name.
    expect(worker.nodeFile("etc/k8s-bootstrap/env")).not.toContain("api-target-group");
  });
});

describe("a failed boot replaces itself, at most 3 times an hour", () => {
  let n: NodeRun;
  beforeAll(() => {
    n = node("worker", { ssm: ALL_PARAMETERS, fail: ["kubeadm join"] });
  });

  test("the bootstrap failed; k8s-lifecycle reports it (the script's own FAILED line stays the only one)", () => {
    expect(n.status).toBe(1);
    expect(failedLines(n.stderr)).toEqual([
      "k8s-bootstrap: FAILED at step 'kubeadm join as worker': gave up after 3 attempts (90s): kubeadm join",
    ]);
    expect(n.stderr).toContain(
      `k8s-lifecycle: boot failed (k8s-bootstrap did not finish);` +
        ` ${INSTANCE_ID} is abandoned: ${WORKERS} terminates it and launches another`,
    );
    // Never a Ready poll, never CONTINUE.
    expect(n.byCommand[1].filter((c) => c.startsWith("kubectl"))).toEqual([]);
  });

  test("the end of the boot log goes to the serial console (aws ec2 get-console-output shows it)", () => {
    const console = n.nodeFile("dev/console")!;
    expect(
      console.startsWith(
        "k8s-lifecycle: boot failed (k8s-bootstrap did not finish); the end of /var/log/cloud-init-output.log:\n",
      ),
    ).toBe(true);
    expect(console).toContain(
      "k8s-bootstrap: FAILED at step 'kubeadm join as worker': gave up after 3 attempts (90s): kubeadm join\n",
    );
    expect(console.trim().split("\n").length).toBeLessThanOrEqual(201);
  });

  test("then the metric, the count of recent replacements, the launch hook let go (ABANDON): no health mark", () => {
    const lifecycle = n.byCommand[1];
    const order = [
      `aws autoscaling describe-auto-scaling-instances --instance-ids ${INSTANCE_ID} --output text` +
        " --query AutoScalingInstances[0].[AutoScalingGroupName,LifecycleState]",
      METRIC(WORKERS),
      `aws autoscaling describe-scaling-activities --auto-scaling-group-name ${WORKERS} --max-items 50` +
        " --output text --query Activities[].[StartTime,Cause,StatusMessage]",
      complete(LIFECYCLE_HOOKS.launch, WORKERS, "ABANDON"),
    ].map((c) => lifecycle.indexOf(c));
    expect(order.every((i) => i >= 0)).toBe(true);
    expect([...order].sort((a, b) => a - b)).toEqual(order);
    // The group checks the health of InService instances only; ABANDON is what lets this one go.
    expect(lifecycle.filter((c) => c.startsWith("aws autoscaling set-instance-health"))).toEqual([]);
    expect(n.kept("asg/health")).toBeUndefined();
    expect(asgState(n)).toBe(`${WORKERS} Terminating`);
    expect(n.nodeFile("var/lib/k8s-bootstrap/boot-failed")).toBe("replaced\n");
  });

  test("an ABANDON that keeps failing stops the report there, unrecorded: the watch reports again and lets go", () => {
    const stuck = node("worker", {
      ssm: ALL_PARAMETERS,
      fail: ["kubeadm join", "aws autoscaling complete-lifecycle-action"],
    });
    expect(stuck.status).toBe(1);
    expect(stuck.callsOf("aws autoscaling complete-lifecycle-action")).toHaveLength(5);
    expect(stuck.calls).not.toContain(UNHEALTHY);
    expect(stuck.nodeFile("var/lib/k8s-bootstrap/boot-failed")).toBeUndefined();
    stuck.setUptime(BOOT_DEADLINE_SECONDS);
    const r = stuck.execWith({ ssm: ALL_PARAMETERS }, WATCH, "watch");
    expectSuccess(r);
    expect(r.callsOf("aws cloudwatch put-metric-data")).toEqual([METRIC(WORKERS)]);
    expect(r.callsOf("aws autoscaling complete-lifecycle-action")).toEqual([
      complete(LIFECYCLE_HOOKS.launch, WORKERS, "ABANDON"),
    ]);
    expect(asgState(stuck)).toBe(`${WORKERS} Terminating`);
  });

  test("3 replaced for failed boots in the last hour (user health-checks, an abandoned launch): kept", () => {
    // Causes and status messages as AWS documents them: replace-unhealthy-instance.html, CHAP_Troubleshooting.html.
    const kept = node("worker", {
      ssm: ALL_PARAMETERS,
      fail: ["kubeadm join"],
      hookTimeouts: true,
      scalingActivities: [
        { minutesAgo: 8, cause: USER_HEALTH_CHECK("2026-12-02T09:52:00Z") },
        { minutesAgo: 20, cause: SCALED_OUT },
        { minutesAgo: 31, cause: USER_HEALTH_CHECK("2026-12-02T09:29:00Z") },
        { minutesAgo: 52, cause: SCALED_OUT, statusMessage: ABANDONED },
        { minutesAgo: 75, cause: USER_HEALTH_CHECK("2026-12-02T08:45:00Z") },
      ],
    });
    expect(kept.status).toBe(1);
    expect(kept.calls).toContain(METRIC(WORKERS));
    expect(kept.calls).not.toContain(UNHEALTHY);
    expect(kept.callsOf("aws autoscaling complete-lifecycle-action")).toEqual([]);
    expect(kept.stderr).toContain(
      `k8s-lifecycle: boot failed (k8s-bootstrap did not finish); ${WORKERS} replaced 3 instances for failed boots` +
        ` in the last hour: ${INSTANCE_ID} is kept for inspection (see docs/troubleshooting.md)`,
    );
    expect(asgState(kept)).toBe(`${WORKERS} Pending:Wait`);
    expect(kept.nodeFile("dev/console")).toContain("FAILED at step 'kubeadm join as worker'");
  });

  test("2 in the last hour (one more 75 minutes ago, a scale-out): replaced; in service: only Unhealthy", () => {
    const replaced = node("worker", {
      ssm: ALL_PARAMETERS,
      fail: ["kubeadm join"],
      asg: { group: WORKERS, state: "InService" },
      scalingActivities: [
        { minutesAgo: 20, cause: SCALED_OUT },
        { minutesAgo: 31, cause: USER_HEALTH_CHECK("2026-12-02T09:29:00Z") },
        { minutesAgo: 52, cause: SCALED_OUT, statusMessage: ABANDONED },
        { minutesAgo: 75, cause: USER_HEALTH_CHECK("2026-12-02T08:45:00Z") },
      ],
    });
    expect(replaced.status).toBe(1);
    expect(replaced.calls).toContain(UNHEALTHY);
    // The group checks in-service instances itself: no launch hook waits for this one.
    expect(replaced.callsOf("aws autoscaling complete-lifecycle-action")).toEqual([]);
    expect(replaced.kept("asg/health")?.trim()).toBe("Unhealthy");
  });

  test("a node in no auto scaling group: the log on the console, nothing else to tell", () => {
    const alone = node("control-plane", { ssm: ALL_PARAMETERS, asg: null, fail: ["kubeadm join"] });
    expect(alone.status).toBe(1);
    expect(alone.nodeFile("dev/console")).toContain("FAILED at step 'kubeadm join as control-plane'");
    expect(alone.calls.filter((c) => /^aws (cloudwatch|autoscaling (set|complete|describe-scaling))/.test(c))).toEqual(
      [],
    );
    expect(alone.stderr).toContain(
      `k8s-lifecycle: boot failed (k8s-bootstrap did not finish);` +
        ` ${INSTANCE_ID} is in no auto scaling group: nothing to report or replace`,
    );
  });
});
