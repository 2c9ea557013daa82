/**
 * Certificate renewal (k8s-cert-renew, from its daily timer) and in-place upgrades (k8s-upgrade) on
 * a control-plane node of the stub harness: the node boots with its real user data and bundle, then
 * the installed scripts run against the stubs of harness/stubs-maintenance.sh, which answer as
 * kubeadm, kubectl (with the API's Lease semantics), crictl and curl do in what the scripts use.
 */
import { parse } from "yaml";
import { Lease as LeaseModel } from "kubernetes-models/coordination.k8s.io/v1";
import { NodeRun, RunResult } from "../harness/node";
import { ALL_PARAMETERS, VERSION_PARAMETER, expectSuccess, failedLines, nodeRunner, written } from "../harness/boot";
import {
  NODE_NAME,
  OTHER_NODE,
  certificates,
  clusterVersion,
  daysLeft,
  expireIn,
  holdLease,
  installedVersion,
  lease,
  leaseManifest,
  raceForLease,
  setClusterVersion,
} from "../harness/maintenance";

const RENEW = "/usr/local/sbin/k8s-cert-renew";
const UPGRADE = "/usr/local/sbin/k8s-upgrade";
const HOLDER = `${NODE_NAME}/k8s-cert-renew`;
const LEASE_LOG = "Lease kube-system/k8s-control-plane-maintenance";
/** The fields of kubeadm's output/v1alpha3 Certificate the renewal reads, one line per certificate. */
const EXPIRY_FIELDS = '{.name} {.expirationDate} {.externallyManaged} {.missing}{"\\n"}';
const ETCD_HEALTH = /^crictl exec --sync --timeout 30 \S+ etcdctl .* endpoint health$/;

const node = nodeRunner();

const doneLine = (r: RunResult) => r.stderr.split("\n").filter((l) => l.includes(": done: "));

/**
 * The restarts and health checks of a run, in order: a container stopped, then the check kubeadm
 * makes of that component (cmd/kubeadm/app/util/apiclient/wait.go: kube-apiserver, kube-controller-manager
 * and kube-scheduler on their own ports, their serving certificates not verified), etcd's through
 * etcdctl in its container.
 */
function restarts(r: RunResult): string[] {
  return r.calls.flatMap((c) => {
    if (c.startsWith("crictl stop ")) return ["stop"];
    const url = /^curl -fsSk --max-time 5 (https:\/\/127\.0\.0\.1:\d+\/\w+)$/.exec(c);
    if (url) return [`healthy ${url[1]}`];
    return ETCD_HEALTH.test(c) ? ["healthy etcd"] : [];
  });
}
const ONE_AT_A_TIME = [
  "stop",
  "healthy https://127.0.0.1:6443/readyz",
  "stop",
  "healthy https://127.0.0.1:10257/healthz",
  "stop",
  "healthy https://127.0.0.1:10259/livez",
  "stop",
  "healthy etcd",
];

describe("certificate renewal on a control-plane node (k8s-cert-renew.timer)", () => {
  let cp: NodeRun;
  beforeAll(() => {
    cp = node("control-plane", { ssm: ALL_PARAMETERS });
  });
  const renew = (...args: string[]) => cp.exec(RENEW, ...args);

  test("the node enables the timer after joining, with the join refresh timers", () => {
    expectSuccess(cp);
    expect(cp.indexOf("systemctl enable --now k8s-cert-renew.timer")).toBe(
      cp.indexOf("systemctl enable --now k8s-join-refresh@token.timer") + 1,
    );
    expect(cp.nodeFile("etc/systemd/system/k8s-cert-renew.timer")).toContain("OnCalendar=daily\n");
    // kubeadm join --control-plane issued one-year certificates; super-admin.conf is the init node's only.
    expect(certificates(cp).find((c) => c.name === "super-admin.conf")).toMatchObject({ missing: true });
    expect(Object.values(daysLeft(cp)).every((d) => d === 364)).toBe(true);
  });

  test("outside the window (91 days): reads kubeadm's expiry and changes nothing", () => {
    expireIn(cp, { apiserver: 91.5 });
    const r = renew();
    expectSuccess(r);
    // kubeadm's own structured output (cmd/kubeadm/app/cmd/certs.go newCmdCertsExpiration, -o from
    // cmd/kubeadm/app/util/output/output.go) with the fields of output/v1alpha3 Certificate.
    expect(r.callsOf("kubeadm")).toEqual([
      "kubeadm certs check-expiration -o jsonpath=" +
        `{range .certificates[*]}certificate ${EXPIRY_FIELDS}{end}` +
        `{range .certificateAuthorities[*]}authority ${EXPIRY_FIELDS}{end}`,
    ]);
    expect(r.calls.filter((c) => /^(kubectl|crictl)/.test(c))).toEqual([]);
    expect(doneLine(r)).toEqual([
      "k8s-cert-renew: done: nothing expires within 90 days (the soonest: apiserver in 91 days)",
    ]);
  });

  test("inside the window (89 days): Lease taken, renewal, pods restarted one at a time, Lease released", () => {
    expireIn(cp, { apiserver: 89.5 });
    const r = renew();
    expectSuccess(r);
    expect(r.stderr).toContain("expiring within 90 days: apiserver (89 days)");
    const create = r.indexOf("kubectl --kubeconfig");
    expect(r.calls[create]).toMatch(
      /^kubectl --kubeconfig \S+\/etc\/kubernetes\/admin.conf --namespace kube-system create -f \S+\/lease.yaml$/,
    );
    expect(r.indexOf("kubeadm certs renew all")).toBeGreaterThan(create);
    expect(r.indexOf("crictl stop")).toBeGreaterThan(r.indexOf("kubeadm certs renew all"));
    expect(restarts(r)).toEqual(ONE_AT_A_TIME);
    // Each stop names the container that was running, never one the kubelet had already replaced.
    expect(new Set(r.callsOf("crictl stop")).size).toBe(4);
    // Every certificate kubeadm renews is a year off again: admin.conf, the kubeconfig the join refresh and add-on
    // scripts use, too.
    expect(daysLeft(cp)).toEqual(Object.fromEntries(Object.keys(daysLeft(cp)).map((c) => [c, 364])));
    expect(Object.keys(daysLeft(cp))).toContain("admin.conf");
    // Released (an empty holder) only after etcd, the last, is healthy again.
    expect(lease(cp)).toMatchObject({ holder: "", durationSeconds: 3600 });
    const release = r.calls.findIndex((c) => / replace -f /.test(c));
    const lastCheck = r.calls.length - 1 - [...r.calls].reverse().findIndex((c) => ETCD_HEALTH.test(c));
    expect(release).toBeGreaterThan(lastCheck);
    // The script counts whole days in whole seconds: 365 when it reads the expiry back within the
    // second kubeadm renewed it, 364 once a second has passed.
    expect(doneLine(r)[0]).toMatch(
      new RegExp(
        "^k8s-cert-renew: done: certificates renewed \\(the soonest now: \\S+ in 36[45] days\\); " +
          "kube-apiserver kube-controller-manager kube-scheduler etcd restarted one at a time$",
      ),
    );
  });

  // The Lease type: staging/src/k8s.io/api/coordination/v1/types.go.
  test("the Lease it writes is a valid coordination.k8s.io/v1 Lease", () => {
    const manifest = parse(leaseManifest(cp));
    expect(() => new LeaseModel(manifest).validate()).not.toThrow();
    expect(manifest.metadata).toMatchObject({ name: "k8s-control-plane-maintenance", namespace: "kube-system" });
    // metav1.MicroTime: RFC 3339 with six fractional digits (apimachinery pkg/apis/meta/v1/micro_time.go).
    expect(manifest.spec.renewTime).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
  });

  test("a second run finds nothing to renew", () => {
    const r = renew();
    expectSuccess(r);
    expect(r.callsOf("kubeadm certs renew")).toEqual([]);
    expect(r.callsOf("crictl stop")).toEqual([]);
  });

  test("another node holds the Lease: waits (bounded), then leaves the renewal to its next run", () => {
    expireIn(cp, { "etcd-server": 30 });
    holdLease(cp, `${OTHER_NODE}/k8s-cert-renew`, 60);
    const r = renew();
    expectSuccess(r);
    // The API refuses to create an existing name: AlreadyExists
    // (staging/src/k8s.io/apiserver/pkg/registry/generic/registry/store.go Create); the Lease is read and found
    // held: 10 attempts, a minute apart.
    expect(r.calls.filter((c) => / create -f /.test(c))).toHaveLength(10);
    expect(r.calls.filter((c) => / get lease /.test(c))).toHaveLength(10);
    expect(r.callsOf("sleep 60")).toHaveLength(9);
    expect(r.callsOf("kubeadm certs renew")).toEqual([]);
    expect(r.callsOf("crictl stop")).toEqual([]);
    expect(lease(cp)).toMatchObject({ holder: `${OTHER_NODE}/k8s-cert-renew`, resourceVersion: "900" });
    expect(doneLine(r)).toEqual([
      `k8s-cert-renew: done: ${OTHER_NODE}/k8s-cert-renew holds ${LEASE_LOG}; this node renews at its next run`,
    ]);
  });

  test("an expired Lease (its holder stopped renewing it) is taken over with the version read, then released", () => {
    // replace carries the resourceVersion read
    // (staging/src/k8s.io/apiserver/pkg/storage/etcd3/store.go GuaranteedUpdate refuses a stale one: Conflict).
    holdLease(cp, `${OTHER_NODE}/k8s-upgrade`, 3700);
    const r = renew();
    expectSuccess(r);
    expect(r.stderr).toContain(`the Lease of ${OTHER_NODE}/k8s-upgrade expired`);
    expect(r.calls.filter((c) => / replace -f /.test(c))).toHaveLength(2);
    expect(restarts(r)).toEqual(ONE_AT_A_TIME);
    expect(lease(cp)!.holder).toBe("");
    expect(daysLeft(cp)["etcd-server"]).toBe(364);
  });

  test("a node that takes the expired Lease between this node's read and replace wins: the replace is refused", () => {
    expireIn(cp, { "scheduler.conf": 45 });
    holdLease(cp, `${OTHER_NODE}/k8s-upgrade`, 7200);
    raceForLease(cp, `${OTHER_NODE}/k8s-cert-renew`);
    const r = renew();
    expectSuccess(r);
    // The first replace names the version read before the other node's write: refused (Conflict); afterwards the
    // Lease is held and fresh.
    expect(r.calls.filter((c) => / replace -f /.test(c))).toHaveLength(1);
    expect(r.callsOf("kubeadm certs renew")).toEqual([]);
    expect(r.callsOf("crictl stop")).toEqual([]);
    expect(lease(cp)!.holder).toBe(`${OTHER_NODE}/k8s-cert-renew`);
    expect(doneLine(r)).toEqual([
      `k8s-cert-renew: done: ${OTHER_NODE}/k8s-cert-renew holds ${LEASE_LOG}; this node renews at its next run`,
    ]);
    holdLease(cp, "", 10);
  });

  test("a component that does not become healthy stops the run; the next is not restarted; the Lease stays", () => {
    expireIn(cp, { "front-proxy-client": 10 });
    const r = cp.execWith({ fail: ["curl -fsSk --max-time 5 https://127.0.0.1:10257/healthz"] }, RENEW);
    expect(r.status).toBe(1);
    expect(failedLines(r.stderr)).toEqual([
      "k8s-cert-renew: FAILED at step 'restart kube-controller-manager': " +
        "gave up after 18 attempts (180s): kube-controller-manager to be healthy",
    ]);
    expect(restarts(r).filter((s) => s === "stop")).toHaveLength(2);
    expect(lease(cp)!.holder).toBe(HOLDER);
    // The same node's next run takes its own Lease again.
    const again = renew("--force");
    expectSuccess(again);
    expect(restarts(again)).toEqual(ONE_AT_A_TIME);
    expect(lease(cp)!.holder).toBe("");
  });

  test("an expired admin.conf is renewed on its own first, so that kubectl can take the Lease", () => {
    expireIn(cp, { "admin.conf": -1 });
    const r = renew();
    expectSuccess(r);
    expect(r.indexOf("kubeadm certs renew admin.conf")).toBeGreaterThan(-1);
    expect(r.indexOf("kubeadm certs renew admin.conf")).toBeLessThan(r.indexOf("kubectl"));
    expect(restarts(r)).toEqual(ONE_AT_A_TIME);
  });

  test("a CA within the window is reported, never renewed: kubeadm cannot renew a CA", () => {
    expireIn(cp, { "front-proxy-ca": 60.5 });
    const r = renew();
    expectSuccess(r);
    expect(r.stderr).toContain("WARNING: certificate authorities expire within 90 days: front-proxy-ca (60 days)");
    expect(r.callsOf("kubeadm certs renew")).toEqual([]);
  });

  test("--force --no-lock renews and restarts without the Lease (when no API server answers)", () => {
    const before = lease(cp);
    const r = renew("--force", "--no-lock");
    expectSuccess(r);
    expect(r.callsOf("kubectl")).toEqual([]);
    expect(restarts(r)).toEqual(ONE_AT_A_TIME);
    expect(lease(cp)).toEqual(before);
  });

  test("an unknown argument is refused", () => {
    const r = renew("--now");
    expect(r.status).toBe(1);
    expect(failedLines(r.stderr)).toEqual([
      "k8s-cert-renew: FAILED at step 'start': usage: k8s-cert-renew [--force] [--no-lock]",
    ]);
  });
});

describe("k8s-upgrade on a control-plane node", () => {
  /** A control-plane node that joined a cluster of `version` (its user data synthesized for that minor). */
  const nodeAt = (version: string) =>
    node(
      "control-plane",
      { ssm: { ...ALL_PARAMETERS, [VERSION_PARAMETER]: `v${version}` } },
      { kubernetesMinor: version.replace(/\.\d+$/, "") },
    );
  const nothingChanged = (r: RunResult) => {
    expect(r.callsOf("apt-get")).toEqual([]);
    expect(r.callsOf("kubeadm upgrade")).toEqual([]);
    expect(r.callsOf("aws ssm put-parameter")).toEqual([]);
  };
  /** The upgrade stopped at its one failed step, before changing anything. */
  const refused = (r: RunResult, failed: string) => {
    expect(r.status).toBe(1);
    expect(failedLines(r.stderr)).toEqual([failed]);
    nothingChanged(r);
  };

  let first: NodeRun;
  beforeAll(() => {
    first = nodeAt("1.34.11");
  });

  test("refuses a release this build does not pin, before changing anything", () => {
    expectSuccess(first);
    for (const v of ["1.35.9", "1.36.0"]) {
      refused(
        first.exec(UPGRADE, v),
        `k8s-upgrade: FAILED at step 'check the target version': Kubernetes ${v} is not a release this build pins ` +
          "(1.33.13 1.34.11 1.35.8): another one needs a build that pins it (docs/upgrades.md)",
      );
    }
  });

  test("refuses a downgrade", () => {
    refused(
      first.exec(UPGRADE, "1.33.13"),
      "k8s-upgrade: FAILED at step 'read the cluster's Kubernetes version': " +
        "1.33.13 is older than the cluster's 1.34.11: downgrades are refused",
    );
  });

  test("refuses to skip a minor, naming the release to upgrade to first", () => {
    const old = nodeAt("1.33.13");
    expectSuccess(old);
    refused(
      old.exec(UPGRADE, "v1.35.8"),
      "k8s-upgrade: FAILED at step 'read the cluster's Kubernetes version': " +
        "1.35.8 skips a minor: the cluster runs 1.33.13; upgrade to 1.34.11 first, one minor at a time",
    );
  });

  test("another node holds the maintenance Lease: stops before installing anything", () => {
    holdLease(first, `${OTHER_NODE}/k8s-cert-renew`, 10);
    const r = first.exec(UPGRADE, "1.35.8");
    expect(r.status).toBe(1);
    expect(failedLines(r.stderr)).toEqual([
      "k8s-upgrade: FAILED at step 'take the control-plane maintenance Lease': " +
        `${OTHER_NODE}/k8s-cert-renew holds ${LEASE_LOG}: run again when it is done`,
    ]);
    expect(r.calls.filter((c) => / create -f /.test(c))).toHaveLength(10);
    nothingChanged(r);
    holdLease(first, "", 10);
  });

  describe("the first control-plane node: kubeadm upgrade apply", () => {
    let r: RunResult;
    beforeAll(() => {
      r = first.exec(UPGRADE, "1.35.8");
    });

    test("succeeds, and the cluster (kubeadm's ClusterConfiguration) runs the target", () => {
      expectSuccess(r);
      expect(clusterVersion(first)).toBe("1.35.8");
      expect(doneLine(r)).toEqual([
        `k8s-upgrade: done: the cluster runs Kubernetes 1.35.8 (kubeadm upgrade apply on ${NODE_NAME}); ` +
          "run 'k8s-upgrade 1.35.8' on each other control-plane node, one at a time",
      ]);
    });

    test("installs kubeadm of the target from the target minor's repository, then runs kubeadm upgrade apply", () => {
      expect(first.nodeFile("etc/apt/sources.list.d/kubernetes.list")).toContain(
        "https://pkgs.k8s.io/core:/stable:/v1.35/deb/ /",
      );
      const install = r.calls.findIndex((c) => c.endsWith(" install kubeadm=1.35.8-*"));
      expect(install).toBeGreaterThan(-1);
      expect(r.calls).toContain("apt-mark hold kubeadm");
      // kubeadm refuses a target above its own version (cmd/kubeadm/app/phases/upgrade/policy.go).
      expect(r.indexOf("kubeadm upgrade apply v1.35.8 --yes")).toBeGreaterThan(install);
      expect(r.callsOf("kubeadm upgrade node")).toEqual([]);
    });

    test("publishes the version to SSM after upgrade apply, moves the cloud controller to the minor's image", () => {
      expect(r.callsOf("aws ssm put-parameter").map((c) => c.split(" ")[4])).toEqual([VERSION_PARAMETER]);
      expect(r.indexOf("aws ssm put-parameter")).toBeGreaterThan(r.indexOf("kubeadm upgrade apply"));
      expect(first.ssm()[VERSION_PARAMETER]).toBe("v1.35.8");
      expect(first.ssmType(VERSION_PARAMETER)).toBe("String");
      expect(r.calls.find((c) => c.includes(" set image "))).toMatch(
        new RegExp(
          " --namespace kube-system set image daemonset/aws-cloud-controller-manager " +
            "aws-cloud-controller-manager=registry.k8s.io/provider-aws/cloud-controller-manager:v1.35.2$",
        ),
      );
    });

    test("drains the node, upgrades kubelet and kubectl, restarts the kubelet, waits for Ready, uncordons", () => {
      const at = (p: string) => r.calls.findIndex((c) => c.includes(p));
      const order = [
        " drain ",
        " install kubelet=1.35.8-* kubectl=1.35.8-* cri-tools=1.35.*",
        "systemctl restart kubelet",
        " wait --for=condition=Ready ",
        " uncordon ",
      ];
      const positions = order.map(at);
      expect(positions.every((p) => p > -1)).toBe(true);
      expect([...positions].sort((a, b) => a - b)).toEqual(positions);
      expect(r.calls[at(" drain ")]).toMatch(
        new RegExp(` drain ${NODE_NAME} --ignore-daemonsets --delete-emptydir-data --timeout=10m$`),
      );
      expect(installedVersion(first, "kubelet")).toBe("1.35.8-1.1");
      expect(r.calls).toContain("apt-mark hold kubelet kubectl cri-tools");
      expect(lease(first)!.holder).toBe("");
    });

    test("run again on the same node: nothing to do", () => {
      const again = first.exec(UPGRADE, "1.35.8");
      expectSuccess(again);
      expect(doneLine(again)).toEqual([
        "k8s-upgrade: done: this node runs Kubernetes 1.35.8 already, as its cluster; nothing to do",
      ]);
      nothingChanged(again);
    });
  });

  test("another control-plane node, the cluster at the target already: kubeadm upgrade node, then the version", () => {
    const second = nodeAt("1.34.11");
    expectSuccess(second);
    setClusterVersion(second, "1.35.8");
    const r = second.exec(UPGRADE, "1.35.8");
    expectSuccess(r);
    expect(r.callsOf("kubeadm upgrade")).toEqual(["kubeadm upgrade node"]);
    expect(written(r)).toEqual([VERSION_PARAMETER]);
    expect(r.indexOf("aws ssm put-parameter")).toBeGreaterThan(r.indexOf("kubeadm upgrade node"));
    expect(second.ssm()[VERSION_PARAMETER]).toBe("v1.35.8");
    expect(r.calls.filter((c) => c.includes(" set image "))).toEqual([]);
    expect(installedVersion(second, "kubelet")).toBe("1.35.8-1.1");
    expect(doneLine(r)).toEqual([`k8s-upgrade: done: ${NODE_NAME} runs Kubernetes 1.35.8 (kubeadm upgrade node)`]);
  });

  describe("mixed versions during an upgrade: the published version is kubeadm's ClusterConfiguration's", () => {
    test("a token refresh on a node still at 1.34.11, after another node applied 1.35.8, publishes 1.35.8", () => {
      const old = nodeAt("1.34.11");
      expectSuccess(old);
      setClusterVersion(old, "1.35.8");
      const r = old.exec("/usr/local/sbin/k8s-join-refresh", "token");
      expectSuccess(r);
      expect(installedVersion(old, "kubeadm")).toBe("1.34.11-1.1");
      expect(old.ssm()[VERSION_PARAMETER]).toBe("v1.35.8");
      expect(r.calls.filter((c) => c.includes("/version"))).toEqual([]);
    });

    test("an upgrade that stopped between kubeadm upgrade apply and publishing: the next run publishes", () => {
      const stopped = nodeAt("1.34.11");
      expectSuccess(stopped);
      const r = stopped.execWith({ ssm: ALL_PARAMETERS, fail: ["aws ssm put-parameter"] }, UPGRADE, "1.35.8");
      expect(r.status).toBe(1);
      expect(failedLines(r.stderr)).toEqual([
        "k8s-upgrade: FAILED at step 'publish the cluster's Kubernetes version':" +
          ` gave up after 5 attempts (50s): write ${VERSION_PARAMETER}`,
      ]);
      expect(clusterVersion(stopped)).toBe("1.35.8");
      expect(stopped.ssm()[VERSION_PARAMETER]).toBe("v1.34.11");
      // Run again there: the cluster is at 1.35.8, this node's kubelet is not (kubeadm upgrade node).
      const again = stopped.exec(UPGRADE, "1.35.8");
      expectSuccess(again);
      expect(again.callsOf("kubeadm upgrade")).toEqual(["kubeadm upgrade node"]);
      expect(stopped.ssm()[VERSION_PARAMETER]).toBe("v1.35.8");
    });
  });
});
