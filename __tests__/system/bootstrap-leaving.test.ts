/**
 * The real user data under bash with the stub harness: a control-plane node leaving the cluster
 * when its group terminates it.
 * The stubs and what they rely on: see the notes in __tests__/harness/membership.ts and node.ts.
 */
import { Ec2Instance, EtcdMember, INSTANCE_ID, NODE_NAME, NodeRun, TERRAFORM_PARAMETERS } from "../harness/node";
import { expectSuccess, failedLines } from "../harness/boot";
import { LIFECYCLE_HOOKS, TERMINATE_HOOK_TIMEOUT_SECONDS } from "../../src/aws/lifecycle";

import {
  node,
  HOLDER,
  DEAD,
  LIVE,
  PENDING,
  etcdctlAt,
  members,
  memberRemovals,
  asgState,
  GROUP_1,
  ownMember,
} from "../harness/membership";

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
