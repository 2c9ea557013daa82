/**
 * The real user data under bash with the stub harness: the election of the control-plane node
 * that runs kubeadm init (the init lock).
 * The stubs and what they rely on: see the notes in __tests__/harness/membership.ts and node.ts.
 */
import {
  API_ENDPOINT,
  JOIN_PARAMETERS,
  OTHER_API_ENDPOINT,
  STALE_JOIN_PARAMETERS,
  TERRAFORM_PARAMETERS,
} from "../harness/node";
import { ALL_PARAMETERS, expectSuccess } from "../harness/boot";

import { node, LOCK, OWN_LOCK, HOLDER, DEAD, describeLive, lockCreates } from "../harness/membership";

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
