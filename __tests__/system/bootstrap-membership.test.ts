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
 * - etcd refuses to add a member while the member serving the request is not connected to every
 *   voting member, unstarted ones included ("etcdserver: unhealthy cluster"; etcd-io/etcd v3.6.6
 *   server/etcdserver/server.go mayAddMember, util.go isConnectedFullySince; the stub counts a
 *   member connected when an instance of its name is running), so kubeadm join --control-plane
 *   fails while one is listed;
 * - kubectl get node -o jsonpath of the Ready condition prints its status, "True" or "False"
 *   (kubernetes/kubernetes staging/src/k8s.io/api/core/v1/types.go: NodeReady, ConditionTrue);
 * - describe-scaling-activities: the Cause of a replacement by set-instance-health ends "in response
 *   to a user health-check" (EC2 Auto Scaling user guide, replace-unhealthy-instance.html), and a
 *   launch completed with ABANDON has the StatusMessage "... Lifecycle Action Completed with ABANDON
 *   Result" (CHAP_Troubleshooting.html).
 */
import * as fs from "fs";
import * as path from "path";
import { parseAllDocuments } from "yaml";
import {
  API_ENDPOINT,
  Ec2Instance,
  EtcdMember,
  INSTANCE_ID,
  JOIN_PARAMETERS,
  NODE_IP,
  NODE_NAME,
  NodeRun,
  OTHER_API_ENDPOINT,
  PREFIX,
  STALE_JOIN_PARAMETERS,
  TERRAFORM_PARAMETERS,
} from "../harness/node";
import { ALL_PARAMETERS, OWN_INIT_LOCK, expectSuccess, failedLines, nodeRunner } from "../harness/boot";
import { LIFECYCLE_HOOKS, TERMINATE_HOOK_TIMEOUT_SECONDS } from "../../src/aws/lifecycle";

const node = nodeRunner();
const LOCK = `${PREFIX}/init/lock`;
/** The value of the init lock this node holds once it won the election. */
const OWN_LOCK = OWN_INIT_LOCK[LOCK];

/** Another control-plane node: its instance and its etcd member. */
const peer = (ip: string, id: string, instance: string) => ({
  member: { id, name: `ip-${ip.replace(/\./g, "-")}.ap-northeast-2.compute.internal`, ip, instance },
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
const GROUP_1 = "k8s-cluster-control-plane-1";

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
      // Only the election matters here: etcd's member list starts empty, so the join is not refused.
      instances: [HOLDER.instance("stopped")],
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

/** A node's own member, as kubeadm init or join added it (the stub names the ID). */
const ownMember = (n: NodeRun) => {
  const line = n
    .kept("etcd/members")!
    .split("\n")
    .find((l) => l.split("|")[1] === NODE_NAME)!;
  return { id: line.split("|")[0], name: NODE_NAME, ip: NODE_IP, instance: INSTANCE_ID };
};
/** The command k8s-etcd-members-prune.service runs (its ExecStart), as installed on the node. */
const pruneCommand = (n: NodeRun) => {
  const unit = n.nodeFile("etc/systemd/system/k8s-etcd-members-prune.service")!;
  const [program, ...args] = /^ExecStart=(.+)$/m.exec(unit)![1].split(" ");
  return [program, ...args] as const;
};
const ENABLE_PRUNE = "systemctl enable --now k8s-etcd-members-prune.timer";
/** A replacement control-plane node on another instance than the harness's default one. */
const REPLACEMENT = {
  instanceId: "i-0f1e2d3c4b5a69788",
  name: "ip-172-31-8-20.ap-northeast-2.compute.internal",
  ip: "172.31.8.20",
};

describe("etcd members of gone instances: every control-plane member prunes them on a timer", () => {
  test("the timer: every 2 minutes, spread by up to 30 s, running k8s-etcd-members prune while etcd runs here", () => {
    const n = node("control-plane", { ssm: TERRAFORM_PARAMETERS });
    expectSuccess(n);
    const timer = n.nodeFile("etc/systemd/system/k8s-etcd-members-prune.timer")!;
    expect(timer).toMatch(/^OnUnitActiveSec=2min$/m);
    expect(timer).toMatch(/^RandomizedDelaySec=30s$/m);
    expect(pruneCommand(n)).toEqual(["/usr/local/sbin/k8s-etcd-members", "prune"]);
    expect(n.nodeFile("etc/systemd/system/k8s-etcd-members-prune.service")).toMatch(
      /^ConditionPathExists=\/etc\/kubernetes\/manifests\/etcd\.yaml$/m,
    );
    // Enabled once the node is a member: after kubeadm init here, after kubeadm join on a joiner.
    expect(n.calls.indexOf(ENABLE_PRUNE)).toBeGreaterThan(n.indexOf("kubeadm init --config"));
    const joiner = node("control-plane", { ssm: ALL_PARAMETERS });
    expectSuccess(joiner);
    expect(joiner.calls.indexOf(ENABLE_PRUNE)).toBeGreaterThan(joiner.indexOf("kubeadm join --config"));
  });

  describe("a member whose instance is gone blocks a replacement until the timer removes it", () => {
    let live: NodeRun;
    let blocked: NodeRun;
    let prune: ReturnType<NodeRun["exec"]>;
    let replacement: NodeRun;
    beforeAll(() => {
      // Three members: this cluster's first node, another live one, and one whose instance was terminated.
      live = node("control-plane", { ssm: TERRAFORM_PARAMETERS });
      const members = [ownMember(live), LIVE.member, DEAD.member];
      live.change({ instances: [LIVE.instance("running"), DEAD.instance("terminated")], etcdMembers: members });
      const cluster = { id: INSTANCE_ID, name: NODE_NAME, state: "running" as const };
      const replace = (etcdMembers: typeof members) =>
        node("control-plane", {
          ssm: ALL_PARAMETERS,
          identity: REPLACEMENT,
          instances: [cluster, LIVE.instance("running"), DEAD.instance("terminated")],
          etcdMembers,
          asg: { group: "k8s-cluster-control-plane-1", state: "Pending:Wait" },
        });
      blocked = replace(members);
      prune = live.exec(...pruneCommand(live));
      replacement = replace(members.filter((m) => m !== DEAD.member));
    });

    test("before: etcd refuses the replacement's member (unhealthy cluster), every join attempt fails", () => {
      expect(blocked.status).toBe(1);
      expect(blocked.callsOf("kubeadm join --config")).toHaveLength(3);
      expect(blocked.stderr).toContain("etcdserver: unhealthy cluster");
      expect(members(blocked)).toEqual([NODE_NAME, LIVE.member.name, DEAD.member.name]);
    });

    test("a live member's timer removes the dead member, keeps the live ones", () => {
      expectSuccess(prune);
      expect(memberRemovals(prune)).toEqual([`${etcdctlAt("https://127.0.0.1:2379")} member remove ${DEAD.member.id}`]);
      expect(members(live)).toEqual([NODE_NAME, LIVE.member.name]);
      for (const name of [NODE_NAME, LIVE.member.name, DEAD.member.name])
        expect(prune.calls).toContain(describeLive(`Name=private-dns-name,Values=${name}`));
      expect(prune.stderr).toContain(
        `k8s-etcd-members: member ${LIVE.member.name}: its instance ${LIVE.instance("running").id} exists, kept`,
      );
      expect(prune.stderr).toContain("k8s-etcd-members: done: 1 member(s) removed, 2 left");
      // Its own member healthy first, then the list.
      const health = prune.calls.findIndex((c) => c.endsWith(" endpoint health"));
      expect(health).toBeLessThan(prune.calls.findIndex((c) => c.endsWith(" member list --write-out=simple")));
    });

    test("after: the replacement joins; the member list is the live nodes and the replacement", () => {
      expectSuccess(replacement);
      expect(replacement.callsOf("kubeadm join --config")).toHaveLength(1);
      expect(members(replacement)).toEqual([NODE_NAME, LIVE.member.name, REPLACEMENT.name]);
      // kubeadm itself keeps asking etcd for 5 minutes (its default is 2), longer than the timer's
      // period: kubernetes/kubernetes cmd/kubeadm/app/util/etcd/etcd.go addMember, timeouts.etcdAPICall.
      const join = parseAllDocuments(replacement.kept("kubeadm-join.yaml")!)[0].toJS();
      expect(join.timeouts.etcdAPICall).toBe("10m0s");
      expect(replacement.indexOf("aws elbv2")).toBe(-1);
    });
  });

  /** A booted cluster node whose etcd and EC2 then look as given; runs the timer's prune once. */
  function pruneWith(
    cluster: Parameters<NodeRun["change"]>[0] & { extra?: readonly EtcdMember[] },
    fail: string[] = [],
  ) {
    const n = node("control-plane", { ssm: TERRAFORM_PARAMETERS });
    expectSuccess(n);
    n.change({ instances: cluster.instances, etcdMembers: [ownMember(n), ...(cluster.extra ?? [])] });
    return { n, r: n.execWith({ fail }, ...pruneCommand(n)) };
  }

  test("never a member of a pending, running, stopping or stopped instance, nor an unstarted one", () => {
    const unstarted = { id: "6c7d8e9f0a1b2c3d", name: "", ip: "172.31.0.11" };
    const { n, r } = pruneWith({
      instances: [PENDING.instance("pending"), STOPPED.instance("stopped"), LIVE.instance("stopping")],
      extra: [PENDING.member, STOPPED.member, LIVE.member, unstarted],
    });
    expectSuccess(r);
    expect(memberRemovals(r)).toEqual([]);
    expect(members(n)).toEqual([NODE_NAME, PENDING.member.name, STOPPED.member.name, LIVE.member.name, "(unstarted)"]);
    expect(r.stderr).toContain(
      `k8s-etcd-members: member ${unstarted.id} is unstarted (a node is joining with it): left alone`,
    );
    expect(r.stderr).toContain(
      `k8s-etcd-members: member ${LIVE.member.name}: its instance ${LIVE.instance("stopping").id} exists, kept`,
    );
    expect(r.stderr).toContain("k8s-etcd-members: done: 0 member(s) removed, 5 left");
  });

  test("two gone of five: both removed (the three left are a majority); two gone of three: nothing", () => {
    const GONE2 = peer("172.31.0.12", "7d8e9f0a1b2c3d4e", "i-0a6071829304152ab");
    const five = pruneWith({
      instances: [LIVE.instance("running"), STOPPED.instance("stopped"), DEAD.instance("terminated")],
      extra: [LIVE.member, STOPPED.member, DEAD.member, GONE2.member],
    });
    expectSuccess(five.r);
    expect(memberRemovals(five.r).map((c) => c.split(" ").pop())).toEqual([DEAD.member.id, GONE2.member.id]);
    expect(members(five.n)).toEqual([NODE_NAME, LIVE.member.name, STOPPED.member.name]);

    // A member whose instance cannot be found at all (older than EC2 lists terminated ones) is gone too.
    const three = pruneWith({ instances: [DEAD.instance("shutting-down")], extra: [DEAD.member, GONE2.member] });
    expect(three.r.status).toBe(1);
    expect(memberRemovals(three.r)).toEqual([]);
    expect(failedLines(three.r.stderr)).toEqual([
      "k8s-etcd-members: FAILED at step 'check the instance of every member': only 1 of 3 members run on" +
        " instances that exist: etcd has no quorum, nothing removed (restore from a snapshot: docs/etcd-restore.md)",
    ]);
    expect(members(three.n)).toEqual([NODE_NAME, DEAD.member.name, GONE2.member.name]);
  });

  describe("a replacement that got its dead predecessor's private IP, so its name", () => {
    // kubeadm join, with a member of its peer URL still listed, skips the member add and starts etcd
    // under that member's ID with an empty data directory (kubernetes/kubernetes
    // cmd/kubeadm/app/util/etcd/etcd.go addMember: "The peer URL ... already exists. Skipping etcd
    // member addition"; #92118, #127491), where etcd wants the dead member removed and a new one added.
    const REUSED = { id: "i-0d1c2b3a4f5e60798", name: DEAD.member.name, state: "running" as const };
    const SUCCESSOR = { instanceId: REUSED.id, name: DEAD.member.name, ip: DEAD.member.ip };
    const RECORD = "var/lib/k8s-bootstrap/etcd-member-instances";
    let n: NodeRun;
    let learnt: ReturnType<NodeRun["exec"]>;
    let pruned: ReturnType<NodeRun["exec"]>;
    const afterDeath = () => [LIVE.instance("running"), DEAD.instance("terminated"), REUSED];
    const successor = (etcdMembers: EtcdMember[]) =>
      node("control-plane", {
        ssm: ALL_PARAMETERS,
        identity: SUCCESSOR,
        instances: [{ id: INSTANCE_ID, name: NODE_NAME, state: "running" }, ...afterDeath()],
        etcdMembers,
      });
    beforeAll(() => {
      n = node("control-plane", { ssm: TERRAFORM_PARAMETERS });
      n.change({
        instances: [LIVE.instance("running"), DEAD.instance("running")],
        etcdMembers: [ownMember(n), LIVE.member, DEAD.member],
      });
      learnt = n.exec(...pruneCommand(n));
      // The predecessor dies; its group's new instance gets the same private IP, so the same name.
      n.change({ instances: afterDeath() });
      pruned = n.exec(...pruneCommand(n));
    });

    test("while it lived, the timer saw each member's etcd answer on its instance, and recorded that", () => {
      expectSuccess(learnt);
      expect(memberRemovals(learnt)).toEqual([]);
      expect(learnt.calls).toContain(`${etcdctlAt(`https://${DEAD.member.ip}:2379`)} endpoint health`);
      expect(n.nodeFile(RECORD)!.trim().split("\n").sort()).toEqual(
        [
          `${ownMember(n).id} ${INSTANCE_ID}`,
          `${LIVE.member.id} ${LIVE.member.instance}`,
          `${DEAD.member.id} ${DEAD.member.instance}`,
        ].sort(),
      );
    });

    test("before the timer runs again, the successor's kubeadm join would take the dead member over", () => {
      const early = successor([ownMember(n), LIVE.member, DEAD.member]);
      expectSuccess(early);
      const line = early
        .kept("etcd/members")!
        .split("\n")
        .find((l) => l.startsWith(`${DEAD.member.id}|`));
      // The dead member's ID and peer URL, its etcd now on the successor's instance.
      const { id, name, ip } = DEAD.member;
      expect(line).toBe(`${id}|${name}|https://${ip}:2380|https://${ip}:2379|${REUSED.id}`);
    });

    test("the timer removes it: its instance is gone, the new one has its name but not its etcd", () => {
      expectSuccess(pruned);
      expect(pruned.calls).toContain(describeLive(`Name=private-dns-name,Values=${DEAD.member.name}`));
      expect(memberRemovals(pruned)).toEqual([
        `${etcdctlAt("https://127.0.0.1:2379")} member remove ${DEAD.member.id}`,
      ]);
      expect(pruned.stderr).toContain(
        `k8s-etcd-members: member ${DEAD.member.name} (${DEAD.member.id}): its instance ${DEAD.member.instance}` +
          ` is gone; ${REUSED.id} has its name but not its etcd`,
      );
      expect(members(n)).toEqual([NODE_NAME, LIVE.member.name]);
    });

    test("then the successor joins with a member of its own (a new ID), not the dead one's", () => {
      const joined = successor([ownMember(n), LIVE.member]);
      expectSuccess(joined);
      const lines = joined.kept("etcd/members")!.trim().split("\n");
      expect(lines.map((l) => l.split("|")[1])).toEqual([NODE_NAME, LIVE.member.name, DEAD.member.name]);
      const own = lines[2].split("|");
      expect(own[0]).not.toBe(DEAD.member.id);
      expect(own[4]).toBe(REUSED.id);
    });

    test("never without the record (the node never saw it answer), nor while it answers on the new instance", () => {
      const fresh = node("control-plane", { ssm: TERRAFORM_PARAMETERS });
      fresh.change({ instances: afterDeath(), etcdMembers: [ownMember(fresh), LIVE.member, DEAD.member] });
      const r = fresh.exec(...pruneCommand(fresh));
      expectSuccess(r);
      expect(memberRemovals(r)).toEqual([]);
      // Taken over (its etcd now answers on the new instance): kept, and recorded there.
      const adopted = { ...DEAD.member, instance: REUSED.id };
      n.change({ etcdMembers: [ownMember(n), LIVE.member, adopted] });
      fs.writeFileSync(path.join(n.root, RECORD), `${DEAD.member.id} ${DEAD.member.instance}\n`);
      const kept = n.exec(...pruneCommand(n));
      expectSuccess(kept);
      expect(memberRemovals(kept)).toEqual([]);
      expect(n.nodeFile(RECORD)).toContain(`${DEAD.member.id} ${REUSED.id}\n`);
    });
  });

  test("nothing when the member list cannot be read, EC2 cannot be read, or EC2 does not vouch for this node", () => {
    const cases = [
      { fail: [`${etcdctlAt("https://127.0.0.1:2379")} member list`], own: "running" as const },
      { fail: ["aws ec2 describe-instances"], own: "running" as const },
      // Never the node itself: EC2 says its own instance is shutting down, so nothing is trusted.
      { fail: [], own: "shutting-down" as const },
    ];
    const results = cases.map(({ fail, own }) =>
      pruneWith(
        {
          instances: [{ id: INSTANCE_ID, name: NODE_NAME, state: own }, DEAD.instance("terminated")],
          extra: [DEAD.member],
        },
        fail,
      ),
    );
    for (const { n, r } of results) {
      expect(r.status).toBe(1);
      expect(memberRemovals(r)).toEqual([]);
      expect(members(n)).toEqual([NODE_NAME, DEAD.member.name]);
    }
    expect(results.map(({ r }) => failedLines(r.stderr))).toEqual([
      ["k8s-etcd-members: FAILED at step 'list the etcd members': gave up after 5 attempts (50s): etcdctl member list"],
      ["k8s-etcd-members: FAILED at step 'check the instance of every member': EC2 cannot be read: nothing removed"],
      [
        "k8s-etcd-members: FAILED at step 'check the instance of every member': EC2 does not find this instance" +
          ` (${INSTANCE_ID}) by its name ${NODE_NAME}: nothing removed`,
      ],
    ]);
  });
});

describe("leaving the cluster when the group terminates a control-plane node", () => {
  const WATCHER = "/usr/local/sbin/k8s-termination-watch";
  const TERMINATE_HEARTBEAT =
    `aws autoscaling record-lifecycle-action-heartbeat --lifecycle-hook-name ${LIFECYCLE_HOOKS.terminate}` +
    ` --auto-scaling-group-name ${GROUP_1} --instance-id ${INSTANCE_ID}`;
  const COMPLETE =
    `aws autoscaling complete-lifecycle-action --lifecycle-hook-name ${LIFECYCLE_HOOKS.terminate}` +
    ` --auto-scaling-group-name ${GROUP_1} --instance-id ${INSTANCE_ID} --lifecycle-action-result CONTINUE`;
  /** A control-plane node of GROUP_1, in service, then the cluster as given (its own member kept). */
  const member = (cluster: { instances: Ec2Instance[]; etcdMembers: EtcdMember[] }) => {
    const n = node("control-plane", { ssm: TERRAFORM_PARAMETERS, asg: { group: GROUP_1, state: "Pending:Wait" } });
    expectSuccess(n);
    expect(asgState(n)).toBe(`${GROUP_1} InService`);
    const own = ownMember(n);
    n.change({ instances: cluster.instances, etcdMembers: [own, ...cluster.etcdMembers] });
    return { n, own };
  };

  describe("graceful termination: its own etcd member first, then the drain, then the hook", () => {
    let n: NodeRun;
    let own: EtcdMember;
    let r: ReturnType<NodeRun["exec"]>;
    let admin: string;
    beforeAll(() => {
      ({ n, own } = member({ instances: [LIVE.instance("running")], etcdMembers: [LIVE.member] }));
      admin = `${n.root}/etc/kubernetes/admin.conf`;
      r = n.execWith({ terminateAfterPolls: 3, hookTimeouts: true }, WATCHER);
    });

    test("it waits for the group's Terminated (instance metadata), polling every 5 s", () => {
      expectSuccess(r);
      const polls = r.calls.filter((c) => c.endsWith("/meta-data/autoscaling/target-lifecycle-state"));
      expect(polls).toHaveLength(4);
      expect(r.callsOf("sleep 5")).toHaveLength(3);
    });

    test("heartbeat, member removed through another, heartbeat, cordon, drain, CONTINUE: in that order", () => {
      const at = (c: string | RegExp) => r.calls.findIndex((x) => (typeof c === "string" ? x === c : c.test(x)));
      const heartbeats = r.calls.map((c, i) => (c === TERMINATE_HEARTBEAT ? i : -1)).filter((i) => i >= 0);
      expect(heartbeats).toHaveLength(2);
      const order = [
        heartbeats[0],
        at(/ member remove /),
        heartbeats[1],
        at(`kubectl --kubeconfig ${admin} --request-timeout=30s cordon ${NODE_NAME}`),
        at(/ --request-timeout=30s drain /),
        at(COMPLETE),
      ];
      expect(order.every((i) => i >= 0)).toBe(true);
      expect([...order].sort((a, b) => a - b)).toEqual(order);
      // Its own member, through the live member's client URL: its own stops serving once removed.
      expect(memberRemovals(r)).toEqual([
        expect.stringMatching(
          new RegExp(` etcdctl --endpoints=https://172\\.31\\.0\\.6:2379 .* member remove ${own.id}$`),
        ),
      ]);
      expect(members(n)).toEqual([LIVE.member.name]);
      // Completed by the node, within the hook's timeout, not by the timeout's default result.
      expect(asgState(n)).toBe(`${GROUP_1} Terminated`);
    });

    test("every step bounded (coreutils timeout, kubectl's --timeout) to end within the hook's 600 s", () => {
      const remove = `timeout --kill-after=10 150 ${n.root}/usr/local/sbin/k8s-etcd-members remove-self`;
      expect(r.calls).toContain(remove);
      // kubectl drain: --skip-wait-for-delete-timeout stops waiting for a pod whose deletion is that
      // many seconds past due (kubernetes/kubernetes staging/src/k8s.io/kubectl/pkg/drain/drain.go
      // waitForDelete, filters.go shouldSkipPod): this kubelet's own API server lost its etcd member.
      const drain =
        `kubectl --kubeconfig ${admin} --request-timeout=30s drain ${NODE_NAME} --ignore-daemonsets` +
        " --delete-emptydir-data --force --timeout=180s --skip-wait-for-delete-timeout=10";
      expect(r.calls).toContain(`timeout --kill-after=10 200 ${drain}`);
      expect(r.calls).toContain(drain);
      // Poll, metadata and group (about 60 s), removal, cordon, drain, completion (5 tries, 10 s apart).
      const worstCase = 5 + 60 + (150 + 10) + 30 + (200 + 10) + 5 * 10;
      expect(worstCase).toBeLessThan(TERMINATE_HOOK_TIMEOUT_SECONDS);
    });
  });

  test("controlPlane.count 1, refreshed ({old, new}): the old one leaves etcd even when its drain fails", () => {
    const { n, own } = member({ instances: [LIVE.instance("running")], etcdMembers: [LIVE.member] });
    const drain = `kubectl --kubeconfig ${n.root}/etc/kubernetes/admin.conf --request-timeout=30s drain`;
    const r = n.execWith({ terminateAfterPolls: 0, fail: [drain] }, WATCHER);
    expectSuccess(r);
    expect(r.stderr).toContain(
      "k8s-termination-watch: the drain did not finish within 180s; leaving the cluster anyway",
    );
    expect(memberRemovals(r).map((c) => c.split(" ").pop())).toEqual([own.id]);
    expect(r.calls.findIndex((c) => / member remove /.test(c))).toBeLessThan(r.indexOf(drain));
    // The new node's member alone is the whole cluster: its own majority.
    expect(members(n)).toEqual([LIVE.member.name]);
    expect(r.calls[r.calls.length - 1]).toBe(COMPLETE);
  });

  test("the first other member listed is dead: its own member goes through all the others' client URLs", () => {
    // Five members, one of them on an instance that is gone: etcdctl moves on from its endpoint.
    const others = [DEAD, LIVE, HOLDER, PENDING];
    const { n, own } = member({
      instances: [DEAD.instance("terminated"), ...others.slice(1).map((p) => p.instance("running"))],
      etcdMembers: others.map((p) => p.member),
    });
    const r = n.execWith({ terminateAfterPolls: 0 }, WATCHER);
    expectSuccess(r);
    const endpoints = others.map((p) => `https://${p.member.ip}:2379`).join(",");
    expect(memberRemovals(r)).toEqual([`${etcdctlAt(endpoints)} member remove ${own.id}`]);
    expect(members(n)).toEqual(others.map((p) => p.member.name));
  });

  // etcd-io/etcd v3.6 server/etcdserver/server.go mayRemoveMember: a member that answers is removed
  // only when the members that answer without it are still a majority of the list without it.
  test("etcd (the stub) refuses to remove a member that answers when the rest would lose their majority", () => {
    const { n, own } = member({ instances: [LIVE.instance("running")], etcdMembers: [DEAD.member, LIVE.member] });
    const remove = (id: string) =>
      n.stub("crictl", ...`${etcdctlAt(`https://${LIVE.member.ip}:2379`)} member remove ${id}`.split(" ").slice(1));
    expect(remove(own.id)).toMatchObject({ status: 1, stderr: "Error: etcdserver: unhealthy cluster\n" });
    expect(remove(DEAD.member.id).status).toBe(0);
    expect(remove(own.id).status).toBe(0);
    expect(members(n)).toEqual([LIVE.member.name]);
  });

  test("a removal that keeps failing is given up within its bound; the drain and the hook follow", () => {
    const { n } = member({ instances: [LIVE.instance("running")], etcdMembers: [LIVE.member] });
    const r = n.execWith({ terminateAfterPolls: 0, fail: ["crictl exec"] }, WATCHER);
    expect(r.status).toBe(0);
    expect(failedLines(r.stderr)).toEqual([
      "k8s-etcd-members: FAILED at step 'list the etcd members': gave up after 5 attempts (50s): etcdctl member list",
    ]);
    expect(r.stderr).toContain(
      "k8s-termination-watch: this node's etcd member was not removed within 150s; the other members'" +
        " k8s-etcd-members-prune.timer removes it once this instance is gone",
    );
    expect(r.calls.filter((c) => / --request-timeout=30s drain /.test(c)).length).toBeGreaterThan(0);
    expect(r.calls[r.calls.length - 1]).toBe(COMPLETE);
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
