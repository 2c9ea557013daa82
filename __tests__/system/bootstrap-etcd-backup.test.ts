/**
 * k8s-etcd-backup.sh run under bash with stub crictl/aws (../harness/): a good run, no etcd
 * container, a snapshot that fails verification, an upload that keeps failing, and the etcd image
 * variants (etcdutl or not, etcdctl 3.5 or 3.6). Which roles receive it: ../bootstrap-etcd-backup.test.ts.
 */
import * as fs from "fs";
import * as path from "path";
import {
  ETCD_BACKUP,
  ETCD_CONTAINER,
  JOIN_PARAMETERS,
  NodeRun,
  RunResult,
  TERRAFORM_PARAMETERS,
  runNode,
} from "../harness/node";
import { requireTool } from "../harness/tools";
import { regExp } from "../helpers/regexp";

const SCRIPT = "/usr/local/sbin/k8s-etcd-backup.sh";
const TIMER = "/etc/systemd/system/k8s-etcd-backup.timer";
const NODE_NAME = "ip-172-31-8-10.ap-northeast-2.compute.internal";
const PKI = "/etc/kubernetes/pki/etcd";
const ETCDCTL =
  `etcdctl --endpoints=https://127.0.0.1:2379 --cacert=${PKI}/ca.crt ` +
  `--cert=${PKI}/healthcheck-client.crt --key=${PKI}/healthcheck-client.key`;
const URL_PREFIX = `s3://${ETCD_BACKUP.bucket}/${ETCD_BACKUP.prefix}/${NODE_NAME}/`;
const ALL_PARAMETERS = { ...TERRAFORM_PARAMETERS, ...JOIN_PARAMETERS };

const failedLines = (stderr: string) => stderr.split("\n").filter((l) => l.includes("FAILED"));
function expectSuccess(r: { status: number | null; stderr: string }) {
  expect({ status: r.status, failed: failedLines(r.stderr) }).toEqual({ status: 0, failed: [] });
}

describe("a control-plane node with etcd backups", () => {
  const runs: NodeRun[] = [];
  let cp: NodeRun;
  beforeAll(() => {
    requireTool("bash");
    cp = runNode("control-plane", { ssm: ALL_PARAMETERS }, { etcdBackup: ETCD_BACKUP });
    runs.push(cp);
  });
  afterAll(() => runs.forEach((r) => r.cleanup()));

  const backup = (behaviour: Parameters<NodeRun["execWith"]>[0] = {}) => cp.execWith(behaviour, SCRIPT);
  const etcdDir = () => path.join(cp.root, "var/lib/etcd");
  const leftOnNode = () => (fs.existsSync(etcdDir()) ? fs.readdirSync(etcdDir()) : []);
  const uploads = (r: RunResult) => r.callsOf("aws s3 cp");
  /** The object key of a run's upload, and the snapshot name it was taken under. */
  const uploadedTo = (r: RunResult) => uploads(r)[0]?.split(" ").pop();

  test("enables the backup timer after joining, with the other timers", () => {
    expectSuccess(cp);
    const enabled = cp.callsOf("systemctl enable --now");
    expect(enabled.slice(-3)).toEqual([
      "systemctl enable --now k8s-join-refresh@token.timer k8s-join-refresh@certs.timer",
      "systemctl enable --now k8s-cert-renew.timer",
      "systemctl enable --now k8s-etcd-backup.timer",
    ]);
    expect(cp.indexOf("systemctl enable --now k8s-join-refresh@")).toBeGreaterThan(cp.indexOf("kubeadm join"));
    expect(cp.indexOf("systemctl enable --now k8s-etcd-backup.timer")).toBeGreaterThan(cp.indexOf("kubeadm join"));
    // Its units came from the bundle, installed (and systemd reloaded) before kubeadm ran.
    expect(cp.nodeFile(TIMER)).toContain("OnCalendar=hourly\n");
    expect(cp.indexOf("systemctl daemon-reload")).toBeLessThan(cp.indexOf("kubeadm join"));
  });

  test("a worker of the same cluster starts no backup timer", () => {
    const w = runNode("worker", { ssm: ALL_PARAMETERS }, { etcdBackup: ETCD_BACKUP });
    runs.push(w);
    expectSuccess(w);
    expect(w.calls.filter((c) => c.includes("etcd-backup"))).toEqual([]);
    expect(w.nodeFile(SCRIPT.slice(1))).toBeUndefined();
  });

  test("a good run: local member saved in the etcd container, verified, sent with SSE-KMS, local copy removed", () => {
    const r = backup();
    expectSuccess(r);
    expect(r.callsOf("crictl ps")).toEqual([
      "crictl ps --name ^etcd$ --label io.kubernetes.pod.namespace=kube-system --state running --quiet",
    ]);
    expect(r.calls).toContain(`crictl exec --sync --timeout 60 ${ETCD_CONTAINER} ${ETCDCTL} endpoint health`);
    const save = r.callsOf(`crictl exec --sync --timeout 900 ${ETCD_CONTAINER} ${ETCDCTL} snapshot save `);
    expect(save).toHaveLength(1);
    const name = save[0].match(/snapshot save \/var\/lib\/etcd\/(k8s-etcd-backup-(\d{8}T\d{6}Z)\.db)$/);
    expect(name).not.toBeNull();
    const [, file, stamp] = name!;
    expect(uploads(r)).toEqual([
      `aws s3 cp --sse aws:kms --only-show-errors ${cp.root}/var/lib/etcd/${file} ${URL_PREFIX}${stamp}.db`,
    ]);
    expect(r.indexOf("aws s3 cp")).toBeGreaterThan(r.indexOf(`crictl exec --sync --timeout 900`));
    // What reached S3 is the snapshot as etcd streamed it: 4 KiB database + its SHA-256.
    const object = path.join(cp.state, "s3", ETCD_BACKUP.bucket, ETCD_BACKUP.prefix, NODE_NAME, `${stamp}.db`);
    expect(fs.statSync(object).size).toBe(4096 + 32);
    expect(leftOnNode()).toEqual([]);
    expect(r.stderr).toContain(`done: ${URL_PREFIX}${stamp}.db (4128 bytes)`);
  });

  test("kubeadm's etcd 3.6 (no etcdutl, no etcdctl snapshot status): the checksum is the check, and it says so", () => {
    const r = backup({ etcd: { version: "3.6.4", etcdutl: false } });
    expectSuccess(r);
    expect(r.calls.filter((c) => c.includes("snapshot status"))).toEqual([]);
    expect(r.stderr).toContain("the checksum is the only check");
    expect(uploads(r)).toHaveLength(1);
  });

  test("an image with etcdutl: etcdutl snapshot status checks the file before the upload", () => {
    const r = backup({ etcd: { etcdutl: true } });
    expectSuccess(r);
    const status = r.indexOf(
      `crictl exec --sync --timeout 300 ${ETCD_CONTAINER} etcdutl snapshot status /var/lib/etcd/k8s-etcd-backup-`,
    );
    expect(status).toBeGreaterThan(-1);
    expect(r.indexOf("aws s3 cp")).toBeGreaterThan(status);
    expect(r.stderr).toContain("etcdutl snapshot status: revision 48213, 912 keys");
  });

  test("etcd 3.5 without etcdutl: etcdctl snapshot status instead", () => {
    const r = backup({ etcd: { version: "3.5.21" } });
    expectSuccess(r);
    expect(
      r.callsOf(
        `crictl exec --sync --timeout 300 ${ETCD_CONTAINER} etcdctl snapshot status /var/lib/etcd/k8s-etcd-backup-`,
      ),
    ).toHaveLength(1);
    expect(uploads(r)).toHaveLength(1);
  });

  test("no etcd container: a clear message, non-zero, no snapshot and no upload", () => {
    const r = backup({ etcd: { running: false } });
    expect(r.status).toBe(1);
    expect(failedLines(r.stderr)).toEqual([
      `k8s-etcd-backup.sh: FAILED at step 'find the etcd container': gave up after 3 attempts (30s): a running etcd ` +
        `container (static pod kube-system/etcd-${NODE_NAME})`,
    ]);
    expect(r.indexOf("crictl exec")).toBe(-1);
    expect(uploads(r)).toEqual([]);
  });

  test("a member that fails its health check (no quorum) is not snapshotted", () => {
    const r = backup({ fail: [`crictl exec --sync --timeout 60 ${ETCD_CONTAINER} etcdctl`] });
    expect(r.status).toBe(1);
    expect(failedLines(r.stderr)).toEqual([
      "k8s-etcd-backup.sh: FAILED at step 'check the local etcd member': gave up after 3 attempts (30s): the local " +
        "etcd member to be healthy",
    ]);
    expect(r.calls.filter((c) => c.includes("snapshot save"))).toEqual([]);
    expect(uploads(r)).toEqual([]);
  });

  test("snapshot status fails: no upload, the local file removed", () => {
    const r = backup({
      etcd: { etcdutl: true },
      fail: [`crictl exec --sync --timeout 300 ${ETCD_CONTAINER} etcdutl snapshot status`],
    });
    expect(r.status).toBe(1);
    expect(failedLines(r.stderr)).toEqual([
      expect.stringMatching(
        regExp(
          /^k8s-etcd-backup.sh: FAILED at step 'verify the snapshot': /,
          /etcdutl snapshot status rejects k8s-etcd-backup-\d{8}T\d{6}Z\.db$/,
        ),
      ),
    ]);
    expect(uploads(r)).toEqual([]);
    expect(leftOnNode()).toEqual([]);
  });

  test("a snapshot whose SHA-256 does not match is not uploaded", () => {
    const r = backup({ etcd: { snapshot: "corrupt", etcdutl: true } });
    expect(r.status).toBe(1);
    expect(failedLines(r.stderr)).toEqual([
      expect.stringMatching(
        regExp(
          /FAILED at step 'verify the snapshot': k8s-etcd-backup-\S+\.db /,
          /does not end with the SHA-256 of its contents \(truncated or corrupt\)$/,
        ),
      ),
    ]);
    expect(r.calls.filter((c) => c.includes("snapshot status"))).toEqual([]);
    expect(uploads(r)).toEqual([]);
    expect(leftOnNode()).toEqual([]);
  });

  test("etcdctl fails to save: the step is named, nothing uploaded", () => {
    const r = backup({ fail: [`crictl exec --sync --timeout 900 ${ETCD_CONTAINER}`] });
    expect(r.status).toBe(1);
    expect(failedLines(r.stderr)).toEqual([
      `k8s-etcd-backup.sh: FAILED at step 'take the snapshot': etcdctl snapshot save failed in container ` +
        `${ETCD_CONTAINER} (its error is above)`,
    ]);
    expect(uploads(r)).toEqual([]);
  });

  test("an upload that keeps failing: bounded retries, a message naming the step, non-zero, local file removed", () => {
    const r = backup({ fail: ["aws s3 cp"] });
    expect(r.status).toBe(1);
    expect(uploads(r)).toHaveLength(5);
    expect(r.callsOf("sleep 30")).toHaveLength(4);
    const target = uploadedTo(r)!;
    expect(target.startsWith(URL_PREFIX)).toBe(true);
    expect(failedLines(r.stderr)).toEqual([
      `k8s-etcd-backup.sh: FAILED at step 'upload the snapshot': gave up after 5 attempts (150s): upload to ${target}`,
    ]);
    expect(leftOnNode()).toEqual([]);
  });

  test("an upload that fails twice, then succeeds", () => {
    const r = backup({ fail: ["aws s3 cp#2"] });
    expectSuccess(r);
    expect(uploads(r)).toHaveLength(3);
    expect(leftOnNode()).toEqual([]);
  });

  test("snapshots left by an interrupted run are removed first", () => {
    fs.mkdirSync(etcdDir(), { recursive: true });
    for (const f of ["k8s-etcd-backup-20240101T000000Z.db", "k8s-etcd-backup-20240101T000000Z.db.part"])
      fs.writeFileSync(path.join(etcdDir(), f), "old");
    fs.mkdirSync(path.join(etcdDir(), "member"), { recursive: true });
    const r = backup({ etcd: { running: false } });
    expect(r.status).toBe(1);
    expect(leftOnNode()).toEqual(["member"]);
  });
});
