/**
 * The real user data under bash with the stub harness: k8s-boot-watch (heartbeats while the node
 * boots, the boot's deadline), and the stubs answering as the real tools do.
 */
import * as fs from "fs";
import * as path from "path";
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
import {
  BOOT_DEADLINE_SECONDS,
  LAUNCH_HOOK_TIMEOUT_SECONDS,
  LIFECYCLE_HOOKS,
  hookWaitLimitSeconds,
} from "../../src/aws/lifecycle";

const node = nodeRunner();
const DESCRIBE_INSTANCE = [
  ...["autoscaling", "describe-auto-scaling-instances", "--instance-ids", INSTANCE_ID, "--output", "text"],
  ...["--query", "AutoScalingInstances[0].[AutoScalingGroupName,LifecycleState]"],
];
const HEARTBEAT = (group: string) =>
  `aws autoscaling record-lifecycle-action-heartbeat --lifecycle-hook-name ${LIFECYCLE_HOOKS.launch}` +
  ` --auto-scaling-group-name ${group} --instance-id ${INSTANCE_ID}`;

/** The uptime at each heartbeat of a run, read from the sleeps between them (300 s each). */
function heartbeatTimes(r: { calls: readonly string[] }, start: number, group: string): number[] {
  let now = start;
  const times: number[] = [];
  for (const c of r.calls) {
    if (c.startsWith("sleep ")) now += Number(c.split(" ")[1]);
    if (c === HEARTBEAT(group)) times.push(now);
  }
  return times;
}

describe("k8s-boot-watch: heartbeats while the node boots, and the boot's deadline", () => {
  test("k8s-bootstrap starts it first; it runs k8s-lifecycle watch until the launch hook is complete", () => {
    const n = node("worker", { ssm: ALL_PARAMETERS });
    expectSuccess(n);
    expect(n.byCommand[0][0]).toBe("systemctl start --no-block k8s-boot-watch.service");
    const unit = n.nodeFile("etc/systemd/system/k8s-boot-watch.service")!;
    expect(unit).toMatch(/^ExecStart=\/usr\/local\/sbin\/k8s-lifecycle watch$/m);
    expect(unit).toMatch(/^ConditionPathExists=!\/var\/lib\/k8s-bootstrap\/launch-hook-completed$/m);
    expect(unit).toMatch(/^Restart=on-failure$/m);
    // In service already: nothing to keep alive.
    const r = n.exec(WATCH, "watch");
    expectSuccess(r);
    expect(r.callsOf("aws autoscaling")).toEqual([]);
    expect(r.stderr).toContain("k8s-lifecycle: done: in service; no launch lifecycle hook to keep alive");
  });

  describe("a boot that has not finished: the hook kept alive, then at the deadline reported and let go", () => {
    let n: NodeRun;
    let r: ReturnType<NodeRun["exec"]>;
    beforeAll(() => {
      // k8s-bootstrap still running (runcmd has not got past it); the hooks time out as the group's do.
      n = node("worker", { ssm: ALL_PARAMETERS, runcmd: 0, hookTimeouts: true });
      r = n.exec(WATCH, "watch");
    });

    test("a heartbeat every 5 minutes from the start, so the 20-minute hook timeout never passes", () => {
      expectSuccess(r);
      const times = heartbeatTimes(r, 30, WORKERS);
      expect(times).toEqual([30, 330, 630, 930, 1230, 1530, 1830, 2130]);
      const gaps = [...times, BOOT_DEADLINE_SECONDS].map((t, i, all) => (i ? t - all[i - 1] : t));
      expect(Math.max(...gaps)).toBeLessThan(LAUNCH_HOOK_TIMEOUT_SECONDS);
    });

    test(`at ${BOOT_DEADLINE_SECONDS} s after boot: the console log, the metric, ABANDON while the hook waits`, () => {
      expect(n.uptime()).toBe(2430);
      expect(n.nodeFile("dev/console")).toMatch(
        /^k8s-lifecycle: boot failed \(not in service 2400s after boot; last k8s-bootstrap: no step logged\); the end /,
      );
      expect(r.callsOf("aws cloudwatch put-metric-data")).toEqual([METRIC(WORKERS)]);
      expect(r.calls[r.calls.length - 1]).toBe(complete(LIFECYCLE_HOOKS.launch, WORKERS, "ABANDON"));
      expect(asgState(n)).toBe(`${WORKERS} Terminating`);
      expect(r.stderr).toContain("k8s-lifecycle: done: replaced; no launch lifecycle hook to keep alive");
    });

    test("after-boot, if k8s-bootstrap finishes after all, neither reports again nor completes the hook", () => {
      expectSuccess(n.exec("/usr/local/sbin/k8s-bootstrap"));
      const late = n.exec(WATCH, "after-boot");
      expect(late.status).toBe(1);
      expect(failedLines(late.stderr)).toEqual([
        "k8s-lifecycle: FAILED at step 'complete the launch lifecycle hook':" +
          " the failed boot was reported meanwhile (replaced)",
      ]);
      expect(late.callsOf("aws")).toEqual([]);
    });
  });

  test("an instance kept for inspection: heartbeats on, no second report, until the hook's 33-hour limit", () => {
    const limit = hookWaitLimitSeconds(LAUNCH_HOOK_TIMEOUT_SECONDS);
    expect(limit).toBe(120_000);
    const kept = node("worker", {
      ssm: ALL_PARAMETERS,
      fail: ["kubeadm join"],
      hookTimeouts: true,
      scalingActivities: [8, 31, 52].map((m) => ({ minutesAgo: m, cause: USER_HEALTH_CHECK("2026-12-02T09:00:00Z") })),
    });
    expect(kept.nodeFile("var/lib/k8s-bootstrap/boot-failed")).toBe("kept\n");
    // 33 hours on, its watch has kept the hook alive so far (its last heartbeat: now).
    kept.setUptime(limit - 1000);
    fs.writeFileSync(path.join(kept.state, "asg/since"), `${limit - 1000}\n`);
    const r = kept.execWith({ ssm: ALL_PARAMETERS, hookTimeouts: true }, WATCH, "watch");
    expect(r.stderr).toContain("k8s-lifecycle: done: kept; no launch lifecycle hook to keep alive");
    expectSuccess(r);
    expect(heartbeatTimes(r, limit - 1000, WORKERS)).toEqual([119_000, 119_300, 119_600, 119_900]);
    expect(r.callsOf("aws cloudwatch")).toEqual([]);
    expect(asgState(kept)).toBe(`${WORKERS} Pending:Wait`);
    // Past the limit the group ends the wait with the hook's default result, ABANDON.
    kept.setUptime(limit + 1);
    expect(kept.stub("aws", ...DESCRIBE_INSTANCE).stdout).toBe(`${WORKERS}\tTerminating\n`);
  });
});

describe("the stubs answer as the real tools do where these tests depend on it", () => {
  let n: NodeRun;
  beforeAll(() => {
    n = node("control-plane", { ssm: TERRAFORM_PARAMETERS });
  });

  // AWS CLI user guide cli-usage-returncodes.html (254); SSM API reference, PutParameter errors.
  test("aws ssm put-parameter without --overwrite on an existing name: ParameterAlreadyExists, exit 254", () => {
    const file = path.join(n.root, "..", "tmp", "value");
    fs.writeFileSync(file, "x");
    const r = n.stub(
      "aws",
      "ssm",
      "put-parameter",
      "--name",
      `${PREFIX}/init/lock`,
      "--type",
      "String",
      "--value",
      `file://${file}`,
    );
    expect(r.status).toBe(254);
    expect(r.stderr).toMatch(/^An error occurred \(ParameterAlreadyExists\) when calling the PutParameter operation: /);
    const overwrite = n.stub(
      "aws",
      "ssm",
      "put-parameter",
      "--name",
      `${PREFIX}/api-endpoint`,
      "--type",
      "String",
      "--overwrite",
      "--value",
      `file://${file}`,
    );
    expect(overwrite.status).toBe(0);
  });

  // The API load balancer forwards only to registered targets; kubeadm uploads its configuration
  // through it (controlPlaneEndpoint) once its own API server runs.
  test("kubeadm init fails (upload-config times out) until this instance is a registered target", () => {
    // A node whose boot stops when it looks for the target group, so nothing registered it.
    const early = node("control-plane", {
      ssm: TERRAFORM_PARAMETERS,
      fail: [`aws ssm get-parameter --name ${PREFIX}/api-target-group`],
    });
    expect(early.indexOf("kubeadm init")).toBe(-1);
    const config = path.join(early.root, "..", "tmp", "init.yaml");
    fs.writeFileSync(config, `controlPlaneEndpoint: "${JOIN_PARAMETERS[`${PREFIX}/join/api-endpoint`]}:6443"\n`);
    const before = early.stub("kubeadm", "init", "--config", config);
    expect(before.status).toBe(1);
    expect(before.stderr).toMatch(/^error execution phase upload-config\/kubeadm: .* i\/o timeout\n$/);
    const registered = early.stub(
      "aws",
      ...["elbv2", "register-targets", "--target-group-arn", API_TARGET_GROUP_ARN, "--targets", `Id=${INSTANCE_ID}`],
    );
    expect(registered.status).toBe(0);
    expect(early.stub("kubeadm", "init", "--config", config).status).toBe(0);
  });

  // Elastic Load Balancing API reference, RegisterTargets (errors); AWS CLI: exit 254 for service errors.
  test("aws elbv2 register-targets: silent and repeatable for a running instance; errors as RegisterTargets'", () => {
    const register = (arn: string, id: string) =>
      n.stub("aws", "elbv2", "register-targets", "--target-group-arn", arn, "--targets", `Id=${id}`);
    expect(register(API_TARGET_GROUP_ARN, INSTANCE_ID)).toEqual({ status: 0, stdout: "", stderr: "" });
    expect(n.kept("elbv2/targets")).toBe(`${INSTANCE_ID}\n`);
    const other = API_TARGET_GROUP_ARN.replace("k8s-cluster-api", "k8s-other-api");
    const notFound = register(other, INSTANCE_ID);
    expect(notFound.status).toBe(254);
    expect(notFound.stderr).toMatch(
      /^An error occurred \(TargetGroupNotFound\) when calling the RegisterTargets operation/,
    );
    const invalid = register(API_TARGET_GROUP_ARN, "i-0123456789abcdef0");
    expect(invalid.status).toBe(254);
    expect(invalid.stderr).toMatch(/^An error occurred \(InvalidTarget\) when calling the RegisterTargets operation/);
  });

  // EC2 Auto Scaling user guide, lifecycle-hooks-overview.html (the wait ends at the timeout with the
  // default result; a heartbeat restarts the timeout); API reference RecordLifecycleActionHeartbeat
  // (an empty response: the CLI prints nothing) and LifecycleHook (GlobalTimeout).
  test("a launch hook's wait: a heartbeat restarts its 1200 s timeout; without one it ends with ABANDON", () => {
    const w = node("worker", { ssm: ALL_PARAMETERS, runcmd: 0, hookTimeouts: true });
    const heartbeat = () => w.stub("aws", ...HEARTBEAT(WORKERS).split(" ").slice(1));
    const state = () => w.stub("aws", ...DESCRIBE_INSTANCE).stdout;
    w.setUptime(1100);
    expect(heartbeat()).toEqual({ status: 0, stdout: "", stderr: "" });
    w.setUptime(2300);
    expect(state()).toBe(`${WORKERS}\tPending:Wait\n`);
    w.setUptime(2301);
    expect(state()).toBe(`${WORKERS}\tTerminating\n`);
    const late = heartbeat();
    expect(late.status).toBe(254);
    expect(late.stderr).toMatch(
      /^An error occurred \(ValidationError\) when calling the RecordLifecycleActionHeartbeat operation: No active/,
    );
  });

  // etcd-io/etcd v3.6 etcdctl/ctlv3/command/printer.go makeMemberListTable, printer_simple.go MemberList.
  test("etcdctl member list: 'ID, status, name, peer URLs, client URLs, is learner'; unstarted: no name", () => {
    fs.appendFileSync(path.join(n.state, "etcd/members"), "6c7d8e9f0a1b2c3d||https://172.31.0.11:2380|\n");
    const r = n.stub(
      "crictl",
      ...["exec", "--sync", "--timeout", "60", "3f9d2c4be1a70e5d", "etcdctl", "--endpoints=https://127.0.0.1:2379"],
      ...[
        "--cacert=/etc/kubernetes/pki/etcd/ca.crt",
        "--cert=/etc/kubernetes/pki/etcd/healthcheck-client.crt",
        "--key=/etc/kubernetes/pki/etcd/healthcheck-client.key",
      ],
      ...["member", "list", "--write-out=simple"],
    );
    expect(r.status).toBe(0);
    const [own, unstarted, end] = r.stdout.split("\n");
    // %x of the uint64 ID: no leading zeros.
    expect(own).toMatch(/^[1-9a-f][0-9a-f]{0,15}, started, /);
    expect(own.replace(/^[0-9a-f]+, /, "")).toBe(
      `started, ${NODE_NAME}, https://172.31.8.10:2380, https://172.31.8.10:2379, false`,
    );
    expect(unstarted).toBe("6c7d8e9f0a1b2c3d, unstarted, , https://172.31.0.11:2380, , false");
    expect(end).toBe("");
  });

  // kubernetes/kubernetes staging/src/k8s.io/api/core/v1/types.go: NodeReady, ConditionTrue.
  test("kubectl get node, jsonpath of the Ready condition: True once Ready; NotFound for no such Node", () => {
    const r = n.stub(
      "kubectl",
      "--kubeconfig",
      `${n.root}/etc/kubernetes/kubelet.conf`,
      "get",
      "node",
      NODE_NAME,
      "-o",
      'jsonpath={.status.conditions[?(@.type=="Ready")].status}',
    );
    expect({ status: r.status, stdout: r.stdout }).toEqual({ status: 0, stdout: "True" });
    const other = n.stub(
      "kubectl",
      "--kubeconfig",
      `${n.root}/etc/kubernetes/kubelet.conf`,
      "get",
      "node",
      "ip-172-31-0-5.ap-northeast-2.compute.internal",
      "-o",
      'jsonpath={.status.conditions[?(@.type=="Ready")].status}',
    );
    expect({ status: other.status, stderr: other.stderr }).toEqual({
      status: 1,
      stderr: 'Error from server (NotFound): nodes "ip-172-31-0-5.ap-northeast-2.compute.internal" not found\n',
    });
  });
});
