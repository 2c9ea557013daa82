/**
 * The real user data under bash with the stub harness: etcd membership kept to the instances
 * that exist (the prune timer).
 * The stubs and what they rely on: see the notes in __tests__/harness/membership.ts and node.ts.
 */
import * as fs from "fs";
import * as path from "path";
import { parseAllDocuments } from "yaml";
import { EtcdMember, INSTANCE_ID, NODE_NAME, NodeRun, TERRAFORM_PARAMETERS } from "../harness/node";
import { ALL_PARAMETERS, expectSuccess, failedLines } from "../harness/boot";

import {
  node,
  peer,
  DEAD,
  LIVE,
  STOPPED,
  PENDING,
  describeLive,
  etcdctlAt,
  members,
  memberRemovals,
  ownMember,
  pruneCommand,
  ENABLE_PRUNE,
  REPLACEMENT,
} from "../harness/membership";

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
