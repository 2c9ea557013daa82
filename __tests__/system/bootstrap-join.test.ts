/**
 * The real user data, run under bash with stub commands (harness/): nodes that join a cluster,
 * waiting for the API endpoint's DNS name and for the join parameters, a control-plane node that
 * finds an existing cluster, and the Kubernetes version a node installs. The node that creates the
 * cluster: bootstrap-create.test.ts; the election of that node: bootstrap-membership.test.ts.
 */
import {
  API_ENDPOINT,
  JOIN_PARAMETERS,
  PINNED_VERSION,
  PREFIX,
  STALE_JOIN_PARAMETERS,
  TERRAFORM_PARAMETERS,
} from "../harness/node";
import {
  ALL_PARAMETERS,
  OWN_INIT_LOCK,
  PUBLISHED,
  CREATED_SECRETS,
  withoutClusterSecrets,
  VERSION_PARAMETER,
  expectSuccess,
  failedLines,
  installs,
  nodeRunner,
  staleLines,
  written,
  yamlDocs,
} from "../harness/boot";

const node = nodeRunner();

describe("joining nodes", () => {
  test("a control-plane node joins with --control-plane's configuration and the certificate key", () => {
    const n = node("control-plane", { ssm: ALL_PARAMETERS });
    expectSuccess(n);
    expect(n.indexOf("kubeadm init")).toBe(-1);
    expect(n.callsOf("kubeadm join")).toHaveLength(1);
    const [join] = yamlDocs(n.kept("kubeadm-join.yaml")!);
    expect(join.discovery.bootstrapToken).toEqual({
      apiServerEndpoint: `${API_ENDPOINT}:6443`,
      token: JOIN_PARAMETERS[`${PREFIX}/join/token`],
      caCertHashes: [JOIN_PARAMETERS[`${PREFIX}/join/ca-cert-hash`]],
    });
    expect(join.controlPlane).toEqual({
      certificateKey: JOIN_PARAMETERS[`${PREFIX}/join/certificate-key`],
      localAPIEndpoint: { advertiseAddress: "172.31.8.10", bindPort: 6443 },
    });
    expect(n.calls).toContain("systemctl enable --now k8s-join-refresh@token.timer k8s-join-refresh@certs.timer");
    expect(n.indexOf("kubectl apply")).toBe(-1);
    expect(n.indexOf("aws ssm put-parameter")).toBe(-1);
  });

  test("a worker joins without the control-plane section, never reads the certificate key, and starts no timer", () => {
    const n = node("worker", { ssm: ALL_PARAMETERS });
    expectSuccess(n);
    const [join] = yamlDocs(n.kept("kubeadm-join.yaml")!);
    expect(join.controlPlane).toBeUndefined();
    expect(join.nodeRegistration.name).toBe("ip-172-31-8-10.ap-northeast-2.compute.internal");
    expect(join.nodeRegistration.kubeletExtraArgs).toEqual([
      { name: "cloud-provider", value: "external" },
      { name: "node-ip", value: "172.31.8.10" },
      {
        name: "node-labels",
        value: "topology.kubernetes.io/zone=ap-northeast-2a,node.kubernetes.io/lifecycle=on-demand",
      },
      // (3 - 1) * (12 - 1) + 2 host-network pods of a worker (kube-proxy, aws-node).
      { name: "max-pods", value: "24" },
      { name: "image-credential-provider-config", value: "/etc/kubernetes/image-credential-provider-config.yaml" },
      { name: "image-credential-provider-bin-dir", value: "/usr/local/libexec/kubelet-credential-providers" },
    ]);
    expect(n.calls.filter((c) => c.includes("certificate-key"))).toEqual([]);
    expect(n.calls.filter((c) => c.includes("k8s-join-refresh"))).toEqual([]);
    expect(n.indexOf("aws ssm put-parameter")).toBe(-1);
  });

  // A mixed instances group (workers.spot) launches Spot and On-Demand instances from one launch
  // template: the node learns which it is from IMDS (meta-data/instance-life-cycle), not from user data.
  test("a Spot worker labels itself node.kubernetes.io/lifecycle=spot from IMDS's instance-life-cycle", () => {
    const n = node("worker", { ssm: ALL_PARAMETERS, lifecycle: "spot" });
    expectSuccess(n);
    const [join] = yamlDocs(n.kept("kubeadm-join.yaml")!);
    expect(join.nodeRegistration.kubeletExtraArgs).toContainEqual({
      name: "node-labels",
      value: "topology.kubernetes.io/zone=ap-northeast-2a,node.kubernetes.io/lifecycle=spot",
    });
    expect(n.callsOf("curl").filter((c) => c.endsWith("/latest/meta-data/instance-life-cycle"))).not.toEqual([]);
  });

  test("a failed kubeadm join is reset and tried again with fresh parameters", () => {
    const n = node("worker", { ssm: ALL_PARAMETERS, fail: ["kubeadm join#1"] });
    expectSuccess(n);
    expect(n.callsOf("kubeadm join")).toHaveLength(2);
    expect(n.indexOf("kubeadm reset -f")).toBeGreaterThan(n.indexOf("kubeadm join"));
    expect(n.callsOf(`aws ssm get-parameter --name ${PREFIX}/join/token`)).toHaveLength(3);
  });
});

describe("waiting for the NLB's DNS name", () => {
  test("retries until the name resolves, then goes on", () => {
    const n = node("worker", { ssm: ALL_PARAMETERS, dnsFailures: 3 });
    expectSuccess(n);
    expect(n.callsOf("getent hosts")).toEqual(Array(4).fill(`getent hosts ${API_ENDPOINT}`));
    const first = n.indexOf("getent hosts");
    expect(n.calls.slice(first, first + 7).filter((c) => c === "sleep 10")).toHaveLength(3);
    expect(n.callsOf("kubeadm join")).toHaveLength(1);
  });

  test("gives up after the bound with a clear message, and joins nothing", () => {
    const n = node("control-plane", { ssm: TERRAFORM_PARAMETERS, dnsFailures: "always" });
    expect(n.status).toBe(1);
    expect(n.callsOf("getent hosts")).toHaveLength(60);
    expect(failedLines(n.stderr)).toEqual([
      "k8s-bootstrap: FAILED at step 'wait until the API endpoint name resolves': " +
        `gave up after 60 attempts (600s): DNS name ${API_ENDPOINT} to resolve`,
    ]);
    expect(n.indexOf("kubeadm")).toBe(-1);
  });
});

describe("waiting for the join parameters", () => {
  test("a worker retries while they are missing, then joins", () => {
    const later = Object.fromEntries(Object.entries(JOIN_PARAMETERS).map(([k, v]) => [k, { value: v, afterReads: 3 }]));
    const n = node("worker", { ssm: TERRAFORM_PARAMETERS, ssmLater: later });
    expectSuccess(n);
    expect(n.stderr).toMatch(/waiting for join parameters under \/k8s\/k8s-cluster\/join .*attempt 3\/90/);
    expect(n.callsOf("sleep 20").length).toBeGreaterThanOrEqual(3);
    expect(yamlDocs(n.kept("kubeadm-join.yaml")!)[0].discovery.bootstrapToken.token).toBe(
      JOIN_PARAMETERS[`${PREFIX}/join/token`],
    );
  });

  test("a control-plane joiner also waits for the certificate key", () => {
    const key = `${PREFIX}/join/certificate-key`;
    const { [key]: value, ...rest } = ALL_PARAMETERS;
    const n = node("control-plane", { ssm: rest, ssmLater: { [key]: { value, afterReads: 2 } } });
    expectSuccess(n);
    expect(n.callsOf(`aws ssm get-parameter --name ${key}`).length).toBeGreaterThanOrEqual(3);
    expect(yamlDocs(n.kept("kubeadm-join.yaml")!)[0].controlPlane.certificateKey).toBe(value);
  });

  test("a worker ignores stale parameters of another deployment, waits, and joins with the fresh ones", () => {
    // The new first control-plane node overwrites them, its API endpoint last: after the 3rd read of it here.
    const fresh = Object.fromEntries(
      Object.entries(JOIN_PARAMETERS).map(([k, v]) => [
        k,
        { value: v, afterReads: k.endsWith("/join/api-endpoint") ? 3 : 0 },
      ]),
    );
    const n = node("worker", { ssm: { ...TERRAFORM_PARAMETERS, ...STALE_JOIN_PARAMETERS }, ssmLater: fresh });
    expectSuccess(n);
    // Read 1 (choosing the version, silently the pin), 2 and 3 stale, 4 fresh, 5 for the join.
    expect(staleLines(n.stderr)).toHaveLength(2);
    expect(n.stderr).toMatch(/waiting for join parameters under \/k8s\/k8s-cluster\/join .*attempt 2\/90/);
    expect(n.callsOf(`aws ssm get-parameter --name ${PREFIX}/join/api-endpoint`)).toHaveLength(5);
    // Never a read of the token while the endpoint is another deployment's; one to wait, one to join.
    expect(n.callsOf(`aws ssm get-parameter --name ${PREFIX}/join/token`)).toHaveLength(2);
    expect(n.callsOf("kubeadm join")).toHaveLength(1);
    expect(yamlDocs(n.kept("kubeadm-join.yaml")!)[0].discovery.bootstrapToken).toEqual({
      apiServerEndpoint: `${API_ENDPOINT}:6443`,
      token: JOIN_PARAMETERS[`${PREFIX}/join/token`],
      caCertHashes: [JOIN_PARAMETERS[`${PREFIX}/join/ca-cert-hash`]],
    });
  });

  test("gives up after the bound with a message that says who writes them", () => {
    const n = node("worker", { ssm: TERRAFORM_PARAMETERS });
    expect(n.status).toBe(1);
    expect(failedLines(n.stderr)).toEqual([
      "k8s-bootstrap: FAILED at step 'wait for the join parameters': gave up after 90 attempts (1800s): " +
        "join parameters under /k8s/k8s-cluster/join (the first control-plane node writes them)",
    ]);
    expect(n.indexOf("kubeadm join")).toBe(-1);
  });
});

describe("a control-plane node and an existing cluster", () => {
  test("joins as a control-plane node when this deployment's parameters are there", () => {
    const n = node("control-plane", { ssm: ALL_PARAMETERS });
    expectSuccess(n);
    expect(n.stderr).toContain("joining the existing cluster");
    expect(n.indexOf("kubeadm init")).toBe(-1);
    expect(n.callsOf("kubeadm join")).toHaveLength(1);
    expect(yamlDocs(n.kept("kubeadm-join.yaml")!)[0].controlPlane.certificateKey).toBe(
      JOIN_PARAMETERS[`${PREFIX}/join/certificate-key`],
    );
    expect(n.indexOf("kubectl apply")).toBe(-1);
    expect(n.indexOf("aws ssm put-parameter")).toBe(-1);
    expect(n.calls).toContain("systemctl enable --now k8s-join-refresh@token.timer k8s-join-refresh@certs.timer");
  });

  // It stops with a clear error: one line that says why and points to docs/troubleshooting.md.
  test("never initialises while its deployment's join parameters exist, even with the API down: joins or stops", () => {
    const n = node("control-plane", { ssm: ALL_PARAMETERS, fail: ["kubeadm join"] });
    expect(n.status).toBe(1);
    expect(n.indexOf("kubeadm init")).toBe(-1);
    expect(n.callsOf("kubeadm join")).toHaveLength(3);
    expect(failedLines(n.stderr)).toEqual([
      "k8s-bootstrap: FAILED at step 'kubeadm join as control-plane': gave up after 3 attempts (90s): " +
        "kubeadm join (this deployment's cluster exists, so this node will not run kubeadm init; " +
        "see docs/troubleshooting.md)",
    ]);
    expect(n.indexOf("aws ssm put-parameter")).toBe(-1);
  });

  test("initialises when the parameters are another deployment's, and overwrites them", () => {
    const n = node("control-plane", { ssm: { ...TERRAFORM_PARAMETERS, ...STALE_JOIN_PARAMETERS } });
    expectSuccess(n);
    expect(staleLines(n.stderr)).toHaveLength(1);
    expect(n.stderr).not.toContain("joining the existing cluster");
    expect(n.indexOf(`aws ssm get-parameter --name ${PREFIX}/join/token`)).toBe(-1);
    // The stale version parameter is never read: the pin is installed.
    expect(n.indexOf(`aws ssm get-parameter --name ${VERSION_PARAMETER}`)).toBe(-1);
    expect(installs(n)[1]).toContain(`kubelet=${PINNED_VERSION}-*`);
    expect(n.callsOf("kubeadm init --config")).toHaveLength(1);
    expect(n.indexOf("kubeadm join")).toBe(-1);
    expect(withoutClusterSecrets(n.ssm())).toEqual(withoutClusterSecrets({ ...ALL_PARAMETERS, ...OWN_INIT_LOCK }));
    expect(written(n)).toEqual([`${PREFIX}/init/lock`, ...CREATED_SECRETS, ...PUBLISHED]);
  });

  test("retries, and never initialises, while SSM cannot be read", () => {
    const n = node("control-plane", {
      ssm: ALL_PARAMETERS,
      fail: [`aws ssm get-parameter --name ${PREFIX}/join/api-endpoint`],
    });
    expect(n.status).toBe(1);
    // The first read of it is the version choice, which needs it too.
    expect(failedLines(n.stderr)).toEqual([
      "k8s-bootstrap: FAILED at step 'choose the Kubernetes version': gave up after 10 attempts (100s): " +
        "SSM parameters under /k8s/k8s-cluster to be readable",
    ]);
    expect(n.indexOf("kubeadm init")).toBe(-1);
  });
});

describe("the Kubernetes version a node installs", () => {
  const withVersion = (v: string) => ({ ...ALL_PARAMETERS, [VERSION_PARAMETER]: v });

  test("a joining node installs the version this deployment's cluster runs, not a newer pin", () => {
    const n = node("worker", { ssm: withVersion("v1.35.5") });
    expectSuccess(n);
    expect(installs(n)[1]).toBe("kubelet=1.35.5-* kubeadm=1.35.5-* kubectl=1.35.5-* cri-tools=1.35.*");
    expect(n.indexOf(`aws ssm get-parameter --name ${VERSION_PARAMETER}`)).toBeLessThan(
      n.indexOf(
        "apt-get -y -q -o DPkg::Lock::Timeout=600 -o Dpkg::Options::=--force-confold " +
          "--allow-change-held-packages install kubelet",
      ),
    );
  });

  test("a cluster of an older minor is refused: a kubelet may not be newer than the API servers", () => {
    const n = node("worker", { ssm: withVersion("v1.34.3") });
    expect(n.status).toBe(1);
    expect(failedLines(n.stderr)[0]).toBe(
      "k8s-bootstrap: FAILED at step 'choose the Kubernetes version': the cluster runs v1.34.3, " +
        "older than this node's Kubernetes 1.35: a kubelet may not be newer than the API servers; " +
        "upgrade the control plane first",
    );
    expect(n.indexOf("kubeadm")).toBe(-1);
  });

  test("a control-plane node joins only a control plane of its own minor", () => {
    const n = node("control-plane", { ssm: withVersion("v1.36.1") });
    expect(n.status).toBe(1);
    expect(failedLines(n.stderr)[0]).toBe(
      "k8s-bootstrap: FAILED at step 'choose the Kubernetes version': the cluster runs v1.36.1, " +
        "this node's Kubernetes is 1.35: a control-plane node joins only a control plane of its own minor; " +
        "synthesize with kubernetesVersion 1.36",
    );
  });

  // join/api-endpoint is written last: alone, it still says a cluster exists.
  test("a control-plane node never initialises when only this deployment's endpoint is there: it waits to join", () => {
    const n = node("control-plane", {
      ssm: { ...TERRAFORM_PARAMETERS, [`${PREFIX}/join/api-endpoint`]: API_ENDPOINT },
    });
    expect(n.status).toBe(1);
    expect(n.indexOf("kubeadm init")).toBe(-1);
    expect(failedLines(n.stderr)[0]).toMatch(
      /^k8s-bootstrap: FAILED at step 'kubeadm join as control-plane': gave up after 3 attempts/,
    );
  });

  test("a worker of a cluster of a newer minor keeps its own pin (an older kubelet is allowed)", () => {
    const n = node("worker", { ssm: withVersion("v1.36.1") });
    expectSuccess(n);
    expect(installs(n)[1]).toContain(`kubelet=${PINNED_VERSION}-*`);
  });

  test("a garbled version parameter stops the node", () => {
    const n = node("worker", { ssm: withVersion("latest") });
    expect(n.status).toBe(1);
    expect(failedLines(n.stderr)[0]).toBe(
      "k8s-bootstrap: FAILED at step 'choose the Kubernetes version': " +
        `${VERSION_PARAMETER} holds 'latest', not a Kubernetes version`,
    );
  });
});
