/**
 * The real user data under bash with the stub harness (harness/): the election of the control-plane
 * node that runs kubeadm init (the init lock), etcd membership kept to the instances that exist, a
 * control-plane node leaving the cluster when its group terminates it, the launch lifecycle hook
 * completed only once the node is Ready, and failed boots that have their group replace them.
 *
 * What the tests rely on in the stubs, and where the real tools define it:
 * - aws ssm put-parameter without --overwrite on an existing name fails with ParameterAlreadyExists
 *   (SSM API reference, PutParameter: Errors) and exit code 254, the AWS CLI v2's code for "the
 *   service returned an error" (AWS CLI user guide, cli-usage-returncodes.html);
 * - etcdctl member list prints "ID, status, name, peer URLs, client URLs, is learner", status
 *   "unstarted" with an empty name for a member whose etcd has not started (etcd-io/etcd v3.6
 *   etcdctl/ctlv3/command/printer.go makeMemberListTable, printer_simple.go MemberList);
 * - kubectl get node -o jsonpath of the Ready condition prints its status, "True" or "False"
 *   (kubernetes/kubernetes staging/src/k8s.io/api/core/v1/types.go: NodeReady, ConditionTrue);
 * - describe-scaling-activities: the Cause of a replacement by set-instance-health ends "in response
 *   to a user health-check" (EC2 Auto Scaling user guide, replace-unhealthy-instance.html), and a
 *   launch completed with ABANDON has the StatusMessage "... Lifecycle Action Completed with ABANDON
 *   Result" (CHAP_Troubleshooting.html).
 */
import {
  API_ENDPOINT,
  INSTANCE_ID,
  JOIN_PARAMETERS,
  NODE_NAME,
  NodeRun,
  OTHER_API_ENDPOINT,
  PREFIX,
  STALE_JOIN_PARAMETERS,
  TERRAFORM_PARAMETERS,
  runNode,
} from "../harness/node";
import { requireTool } from "../harness/tools";
import { LIFECYCLE_HOOKS } from "../../src/aws/lifecycle";

const runs: NodeRun[] = [];
function node(...args: Parameters<typeof runNode>): NodeRun {
  requireTool("bash");
  const n = runNode(...args);
  runs.push(n);
  return n;
}
afterAll(() => runs.forEach((r) => r.cleanup()));

const ALL_PARAMETERS = { ...TERRAFORM_PARAMETERS, ...JOIN_PARAMETERS };
const LOCK = `${PREFIX}/init/lock`;
const OWN_LOCK = `${INSTANCE_ID} ${API_ENDPOINT}`;
const failedLines = (stderr: string) => stderr.split("\n").filter((l) => l.includes("FAILED"));
function expectSuccess(n: { status: number | null; stderr: string }) {
  expect({ status: n.status, failed: failedLines(n.stderr) }).toEqual({ status: 0, failed: [] });
}

/** Another control-plane node: its instance and its etcd member. */
const peer = (ip: string, id: string, instance: string) => ({
  member: { id, name: `ip-${ip.replace(/\./g, "-")}.ap-northeast-2.compute.internal`, ip },
  instance: (state: "pending" | "running" | "stopping" | "stopped" | "shutting-down" | "terminated") => ({
    id: instance,
    name: `ip-${ip.replace(/\./g, "-")}.ap-northeast-2.compute.internal`,
    state,
  }),
});
const HOLDER = peer("172.31.0.5", "8e9e05c52164694d", "i-0b2c3d4e5f6071829");
const DEAD = peer("172.31.0.9", "91bc3c398fb3c146", "i-0c3d4e5f607182930");
const LIVE = peer("172.31.0.6", "2f0e8a1b3c4d5e6f", "i-0d4e5f60718293041");
const STOPPED = peer("172.31.0.7", "4a5b6c7d8e9f0a1b", "i-0e5f6071829304152");
const PENDING = peer("172.31.0.8", "5b6c7d8e9f0a1b2c", "i-0f60718293041526");

/** describe-instances of the instances matching FILTER that can still run. */
const describeLive = (filter: string) =>
  [
    `aws ec2 describe-instances --filters ${filter}`,
    "Name=instance-state-name,Values=pending,running,stopping,stopped",
    "--query Reservations[].Instances[].InstanceId --output text",
  ].join(" ");
/** etcdctl in the etcd container with kubeadm's healthcheck client certificate, against ENDPOINT. */
const etcdctlAt = (endpoint: string) =>
  [
    "crictl exec --sync --timeout 60 3f9d2c4be1a70e5d etcdctl",
    `--endpoints=${endpoint} --cacert=/etc/kubernetes/pki/etcd/ca.crt`,
    "--cert=/etc/kubernetes/pki/etcd/healthcheck-client.crt --key=/etc/kubernetes/pki/etcd/healthcheck-client.key",
  ].join(" ");
const lockCreates = (r: { callsOf(p: string): readonly string[] }) =>
  r.callsOf(`aws ssm put-parameter --name ${LOCK} `);
const members = (n: NodeRun) =>
  (n.kept("etcd/members") ?? "")
    .trim()
    .split("\n")
    .filter(Boolean)
    .map((l) => l.split("|")[1] || "(unstarted)");
const memberRemovals = (r: { calls: readonly string[] }) => r.calls.filter((c) => / etcdctl .* member remove /.test(c));
const asgState = (n: NodeRun) => n.kept("asg/instance")?.trim();

describe("the init lock: which control-plane node runs kubeadm init", () => {
  test("won: no cluster and no lock; created without --overwrite, read back after a pause, then kubeadm init", () => {
    const n = node("control-plane", { ssm: TERRAFORM_PARAMETERS });
    expectSuccess(n);
    expect(lockCreates(n)).toEqual([
      expect.stringMatching(new RegExp(`^aws ssm put-parameter --name ${LOCK} --type String --value file://\\S+$`)),
    ]);
    expect(n.ssm()[LOCK]).toBe(OWN_LOCK);
    const created = n.indexOf(`aws ssm put-parameter --name ${LOCK}`);
    const readBack = n.calls.indexOf(
      `aws ssm get-parameter --name ${LOCK} --with-decryption --query Parameter.Value --output text`,
    );
    expect(n.calls.slice(created + 1, readBack)).toEqual(["sleep 10"]);
    expect(readBack).toBeLessThan(n.indexOf("kubeadm init --config"));
    expect(n.callsOf("kubeadm init --config")).toHaveLength(1);
    expect(n.indexOf("aws ssm delete-parameter")).toBe(-1);
  });

  test("lost: a running instance of this deployment holds it; no kubeadm init, it waits and joins", () => {
    const later = Object.fromEntries(
      Object.entries(JOIN_PARAMETERS).map(([k, v]) => [
        k,
        { value: v, afterReads: k.endsWith("/join/api-endpoint") ? 3 : 0 },
      ]),
    );
    const n = node("control-plane", {
      ssm: { ...TERRAFORM_PARAMETERS, [LOCK]: `${HOLDER.instance("running").id} ${API_ENDPOINT}` },
      ssmLater: later,
      instances: [HOLDER.instance("running")],
      etcdMembers: [HOLDER.member],
    });
    expectSuccess(n);
    expect(n.indexOf("kubeadm init")).toBe(-1);
    expect(n.callsOf("kubeadm join")).toHaveLength(1);
    // Rounds 1 and 2 find the lock taken (put-parameter without --overwrite: ParameterAlreadyExists,
    // exit 254; SSM API reference PutParameter, AWS CLI user guide cli-usage-returncodes.html) and
    // its holder alive; round 3 finds the cluster.
    expect(lockCreates(n)).toHaveLength(2);
    for (const c of lockCreates(n)) expect(c).not.toContain("--overwrite");
    expect(
      n.callsOf(`aws ec2 describe-instances --filters Name=instance-id,Values=${HOLDER.instance("running").id} `),
    ).toHaveLength(2);
    expect(
      n.stderr
        .split("\n")
        .filter(
          (l) =>
            l ===
            `k8s-init-lock: ${
              HOLDER.instance("running").id
            } holds the init lock: waiting for its cluster's join parameters`,
        ),
    ).toHaveLength(2);
    expect(n.ssm()[LOCK]).toBe(`${HOLDER.instance("running").id} ${API_ENDPOINT}`);
    expect(n.indexOf("aws ssm delete-parameter")).toBe(-1);
  });

  test("a stopped holder still holds the lock (its instance can start again): never deleted, never overruled", () => {
    const later = Object.fromEntries(
      Object.entries(JOIN_PARAMETERS).map(([k, v]) => [
        k,
        { value: v, afterReads: k.endsWith("/join/api-endpoint") ? 5 : 0 },
      ]),
    );
    const n = node("control-plane", {
      ssm: { ...TERRAFORM_PARAMETERS, [LOCK]: `${HOLDER.instance("stopped").id} ${API_ENDPOINT}` },
      ssmLater: later,
      instances: [HOLDER.instance("stopped")],
      etcdMembers: [HOLDER.member],
    });
    expectSuccess(n);
    expect(lockCreates(n)).toHaveLength(4);
    expect(n.indexOf("aws ssm delete-parameter")).toBe(-1);
    expect(n.indexOf("kubeadm init")).toBe(-1);
    expect(n.callsOf("kubeadm join")).toHaveLength(1);
  });

  test("a lock of another deployment (another endpoint) is deleted, the election run again: this node wins", () => {
    const stale = `${HOLDER.instance("running").id} ${OTHER_API_ENDPOINT}`;
    const n = node("control-plane", {
      ssm: { ...TERRAFORM_PARAMETERS, ...STALE_JOIN_PARAMETERS, [LOCK]: stale },
      instances: [HOLDER.instance("running")],
    });
    expectSuccess(n);
    expect(n.stderr).toContain(
      `k8s-init-lock: deleting the init lock ${LOCK} (${stale}): it is not this deployment's (${API_ENDPOINT})`,
    );
    expect(n.callsOf("aws ssm delete-parameter")).toEqual([`aws ssm delete-parameter --name ${LOCK}`]);
    // Deleted in round 1, created in round 2, then the cluster.
    expect(lockCreates(n)).toHaveLength(2);
    expect(n.indexOf(`aws ssm delete-parameter`)).toBeLessThan(n.calls.lastIndexOf(lockCreates(n)[1]));
    expect(n.ssm()[LOCK]).toBe(OWN_LOCK);
    expect(n.callsOf("kubeadm init --config")).toHaveLength(1);
  });

  test("a stale lock replaced by another node between this node's read and its delete stays", () => {
    const stale = `${DEAD.instance("terminated").id} ${OTHER_API_ENDPOINT}`;
    const replaced = `${HOLDER.instance("running").id} ${API_ENDPOINT}`;
    const later = Object.fromEntries(
      Object.entries(JOIN_PARAMETERS).map(([k, v]) => [
        k,
        { value: v, afterReads: k.endsWith("/join/api-endpoint") ? 4 : 0 },
      ]),
    );
    const n = node("control-plane", {
      ssm: { ...TERRAFORM_PARAMETERS, [LOCK]: stale },
      // The first read sees the stale lock; by the second, the holder's own replaced it.
      ssmLater: { ...later, [LOCK]: { value: replaced, afterReads: 1 } },
      instances: [HOLDER.instance("running")],
      etcdMembers: [HOLDER.member],
    });
    expectSuccess(n);
    expect(n.callsOf(`aws ssm get-parameter --name ${LOCK} `).length).toBeGreaterThanOrEqual(3);
    expect(n.indexOf("aws ssm delete-parameter")).toBe(-1);
    expect(n.ssm()[LOCK]).toBe(replaced);
    expect(n.indexOf("kubeadm init")).toBe(-1);
    expect(n.callsOf("kubeadm join")).toHaveLength(1);
  });

  test("a lock whose holder no longer exists, with no cluster behind this endpoint, is deleted: this node wins", () => {
    const gone = `${DEAD.instance("terminated").id} ${API_ENDPOINT}`;
    const n = node("control-plane", {
      ssm: { ...TERRAFORM_PARAMETERS, [LOCK]: gone },
      instances: [DEAD.instance("terminated")],
    });
    expectSuccess(n);
    const holder = DEAD.instance("terminated").id;
    expect(n.callsOf("aws ec2 describe-instances")[0]).toBe(describeLive(`Name=instance-id,Values=${holder}`));
    expect(n.stderr).toContain(
      `deleting the init lock ${LOCK} (${gone}): its holder ${holder} no longer exists and created no cluster`,
    );
    expect(n.ssm()[LOCK]).toBe(OWN_LOCK);
    expect(n.callsOf("kubeadm init --config")).toHaveLength(1);
  });

  test("a lock whose holder is gone but whose cluster exists (this endpoint's join parameters) stays: it joins", () => {
    const n = node("control-plane", {
      ssm: { ...ALL_PARAMETERS, [LOCK]: `${DEAD.instance("terminated").id} ${API_ENDPOINT}` },
      instances: [DEAD.instance("terminated")],
    });
    expectSuccess(n);
    expect(lockCreates(n)).toEqual([]);
    expect(n.indexOf("aws ssm delete-parameter")).toBe(-1);
    expect(n.indexOf("kubeadm init")).toBe(-1);
    expect(n.callsOf("kubeadm join")).toHaveLength(1);
  });
});

describe("etcd membership after a control-plane node joins", () => {
  let n: NodeRun;
  beforeAll(() => {
    // A replacement: the cluster's members are a live node's and a dead node's (its instance terminated).
    n = node("control-plane", {
      ssm: ALL_PARAMETERS,
      instances: [LIVE.instance("running"), DEAD.instance("terminated")],
      etcdMembers: [LIVE.member, DEAD.member],
      asg: { group: "k8s-cluster-control-plane-1", state: "Pending:Wait" },
    });
  });

  test("removes the member whose instance is gone, keeps the live one and its own: count members again", () => {
    // The member list as etcdctl prints it: etcd-io/etcd etcdctl/ctlv3/command/printer.go, printer_simple.go.
    expectSuccess(n);
    expect(memberRemovals(n)).toEqual([`${etcdctlAt("https://127.0.0.1:2379")} member remove ${DEAD.member.id}`]);
    expect(members(n)).toEqual([LIVE.member.name, NODE_NAME]);
    // Each member checked by its name, in the states that can still run.
    for (const name of [NODE_NAME, LIVE.member.name, DEAD.member.name])
      expect(n.calls).toContain(describeLive(`Name=private-dns-name,Values=${name}`));
    expect(n.stderr).toContain(
      `k8s-etcd-members: member ${LIVE.member.name}: its instance ${LIVE.instance("running").id} exists, kept`,
    );
  });

  test("only after joining, with its own member healthy", () => {
    const health = n.calls.findIndex((c, i) => i > n.indexOf("kubeadm join") && c.endsWith(" endpoint health"));
    expect(health).toBeGreaterThan(n.indexOf("kubeadm join"));
    expect(n.calls.findIndex((c) => / member remove /.test(c))).toBeGreaterThan(health);
  });

  test("never removes a member of a pending, running, stopping or stopped instance, nor an unstarted one", () => {
    const unstarted = { id: "6c7d8e9f0a1b2c3d", name: "", ip: "172.31.0.11" };
    const m = node("control-plane", {
      ssm: ALL_PARAMETERS,
      instances: [PENDING.instance("pending"), STOPPED.instance("stopped"), LIVE.instance("stopping")],
      etcdMembers: [PENDING.member, STOPPED.member, LIVE.member, unstarted],
    });
    expectSuccess(m);
    expect(memberRemovals(m)).toEqual([]);
    expect(members(m)).toEqual([PENDING.member.name, STOPPED.member.name, LIVE.member.name, "(unstarted)", NODE_NAME]);
    expect(m.stderr).toContain(
      `k8s-etcd-members: member ${unstarted.id} is unstarted (a node is joining with it): left alone`,
    );
    expect(m.stderr).toContain("k8s-etcd-members: done: 0 member(s) removed, 5 left");
  });

  test("when EC2 cannot be read it removes nothing, and the node still boots (it says how to run it again)", () => {
    const m = node("control-plane", {
      ssm: ALL_PARAMETERS,
      instances: [DEAD.instance("terminated")],
      etcdMembers: [DEAD.member],
      fail: ["aws ec2 describe-instances"],
    });
    expect(m.status).toBe(0);
    expect(memberRemovals(m)).toEqual([]);
    expect(failedLines(m.stderr)).toEqual([
      "k8s-etcd-members: FAILED at step 'check the instance of every member': EC2 cannot be read: nothing removed",
    ]);
    expect(m.stderr).toContain(
      "k8s-bootstrap: etcd members were not checked; run '/usr/local/sbin/k8s-etcd-members prune'" +
        " once the cause is fixed",
    );
    expect(m.nodeFile("var/lib/k8s-bootstrap/done")).toBe("");
  });

  test("graceful termination: drained, its own member removed through another, then the hook completed", () => {
    expect(asgState(n)).toBe("k8s-cluster-control-plane-1 InService");
    const before = n.kept("etcd/members")!.trim().split("\n");
    const r = n.execWith({ terminateAfterPolls: 3 }, "/usr/local/sbin/k8s-termination-watch");
    expectSuccess(r);
    const polls = r.calls.filter((c) => c.endsWith("/meta-data/autoscaling/target-lifecycle-state"));
    expect(polls).toHaveLength(4);
    expect(r.callsOf("sleep 5")).toHaveLength(3);
    const admin = `${n.root}/etc/kubernetes/admin.conf`;
    const cordon = r.calls.indexOf(`kubectl --kubeconfig ${admin} --request-timeout=30s cordon ${NODE_NAME}`);
    const drain = r.calls.indexOf(
      `kubectl --kubeconfig ${admin} --request-timeout=30s drain ${NODE_NAME}` +
        " --ignore-daemonsets --delete-emptydir-data --force --timeout=300s",
    );
    const removal = r.calls.findIndex((c) => / member remove /.test(c));
    const complete = r.calls.indexOf(
      `aws autoscaling complete-lifecycle-action --lifecycle-hook-name ${LIFECYCLE_HOOKS.terminate}` +
        ` --auto-scaling-group-name k8s-cluster-control-plane-1 --instance-id ${INSTANCE_ID}` +
        " --lifecycle-action-result CONTINUE",
    );
    expect(cordon).toBeGreaterThan(r.calls.indexOf(polls[3]));
    expect([cordon < drain, drain < removal, removal < complete]).toEqual([true, true, true]);
    // Its own member, through the live member's client URL: its own stops serving once removed.
    const own = before.find((l) => l.split("|")[1] === NODE_NAME)!.split("|")[0];
    expect(memberRemovals(r)).toEqual([
      expect.stringMatching(new RegExp(` etcdctl --endpoints=https://172\\.31\\.0\\.6:2379 .* member remove ${own}$`)),
    ]);
    expect(members(n)).toEqual([LIVE.member.name]);
    expect(asgState(n)).toBe("k8s-cluster-control-plane-1 Terminated");
  });

  test("the last member is never removed; the hook is still completed", () => {
    const only = node("control-plane", { ssm: TERRAFORM_PARAMETERS });
    expectSuccess(only);
    const r = only.execWith({ terminateAfterPolls: 0 }, "/usr/local/sbin/k8s-termination-watch");
    expectSuccess(r);
    expect(memberRemovals(r)).toEqual([]);
    expect(r.stderr).toContain(
      `k8s-etcd-members: ${NODE_NAME} is the only started etcd member:` +
        " not removing it (the cluster's data would go with it)",
    );
    expect(members(only)).toEqual([NODE_NAME]);
    expect(
      r.callsOf(`aws autoscaling complete-lifecycle-action --lifecycle-hook-name ${LIFECYCLE_HOOKS.terminate} `),
    ).toHaveLength(1);
  });
});
