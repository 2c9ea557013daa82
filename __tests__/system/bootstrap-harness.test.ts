/**
 * The real user data, run under bash with stub commands (harness/): create the cluster, join it,
 * wait for DNS and for SSM, find an existing cluster, stop at a failing step. The election, etcd
 * membership and the auto scaling lifecycle: bootstrap-membership.test.ts.
 */
import * as fs from "fs";
import * as path from "path";
import { parseAllDocuments } from "yaml";
import * as crypto from "crypto";
import {
  API_ENDPOINT,
  ASSETS_BUCKET,
  JOIN_PARAMETERS,
  NODE_TERMINATION_QUEUE_URL,
  NodeRun,
  OTHER_API_ENDPOINT,
  PINNED_VERSION,
  PREFIX,
  STALE_JOIN_PARAMETERS,
  TERRAFORM_PARAMETERS,
  INSTANCE_ID,
  credentialProviderBytes,
  packagesInstalledBy,
  runNode,
  settingsFor,
  stubsWithoutPackage,
} from "../harness/node";
import { BOOTSTRAP_SCRIPTS } from "../../src/bootstrap/scripts";
import { clusterBundle } from "../../src/bootstrap";
import { ECR_CREDENTIAL_PROVIDER } from "../../src/bootstrap/versions";
import { requireTool } from "../harness/tools";

const runs: NodeRun[] = [];
function node(...args: Parameters<typeof runNode>): NodeRun {
  requireTool("bash");
  const n = runNode(...args);
  runs.push(n);
  return n;
}
afterAll(() => runs.forEach((r) => r.cleanup()));

const ALL_PARAMETERS = { ...TERRAFORM_PARAMETERS, ...JOIN_PARAMETERS };
/** What the node that creates the cluster writes after kubeadm init, in order (the API endpoint last). */
const PUBLISHED = [
  `${PREFIX}/join/certificate-key`,
  `${PREFIX}/join/token`,
  `${PREFIX}/join/ca-cert-hash`,
  `${PREFIX}/cluster/kubernetes-version`,
  `${PREFIX}/join/api-endpoint`,
];
/** The init lock a node that created the cluster holds: its instance id and the API endpoint. */
const OWN_LOCK = { [`${PREFIX}/init/lock`]: `${INSTANCE_ID} ${API_ENDPOINT}` };
const yamlDocs = (text: string) => parseAllDocuments(text).map((d) => d.toJS());
const failedLines = (stderr: string) => stderr.split("\n").filter((l) => l.includes("FAILED"));
const STALE_LOG = `k8s-bootstrap: stale join parameters (another deployment: ${OTHER_API_ENDPOINT}) under ${PREFIX}/join`;
const staleLines = (stderr: string) => stderr.split("\n").filter((l) => l === STALE_LOG);
/** Names of the parameters a run wrote, in order. */
const written = (r: { callsOf(prefix: string): readonly string[] }) =>
  r.callsOf("aws ssm put-parameter").map((c) => c.split(" ")[4]);

const BUNDLE = clusterBundle(settingsFor("control-plane"));
const VERSION_PARAMETER = `${PREFIX}/cluster/kubernetes-version`;
/** Calls of apt-get install, with their package arguments only. */
const installs = (n: { callsOf(prefix: string): readonly string[] }) =>
  n
    .callsOf("apt-get -y -q")
    .filter((c) => c.includes(" install "))
    .map((c) => c.split(" install ")[1]);

/** Asserts a successful run; on failure, shows the script's own account of it. */
function expectSuccess(n: { status: number | null; stderr: string }) {
  expect({ status: n.status, failed: failedLines(n.stderr) }).toEqual({ status: 0, failed: [] });
}

describe("the control-plane node that creates the cluster (no cluster, no init lock: it wins the lock)", () => {
  let n: NodeRun;
  beforeAll(() => {
    n = node("control-plane", { ssm: TERRAFORM_PARAMETERS });
  });

  test("succeeds", () => expectSuccess(n));

  test("prepares the node: swap off, modules, sysctls, networkd restarted before anything networks pods", () => {
    expect(n.calls).toEqual(
      expect.arrayContaining(["swapoff -a", "modprobe overlay", "modprobe br_netfilter", "sysctl --system"]),
    );
    expect(n.nodeFile("etc/fstab")).toContain("#/swap.img none swap");
    // Written by cloud-init before runcmd; networkd reads networkd.conf.d only when it starts.
    expect(n.nodeFile("etc/systemd/networkd.conf.d/40-k8s-foreign-routes.conf")).toMatch(
      /^\[Network\]\nManageForeignRoutes=no\nManageForeignRoutingPolicyRules=no$/m,
    );
    expect(n.indexOf("systemctl restart systemd-networkd")).toBeGreaterThan(-1);
    expect(n.indexOf("systemctl restart systemd-networkd")).toBeLessThan(n.indexOf("kubeadm"));
    expect(n.nodeFile("etc/cloud/cloud.cfg.d/99-k8s-network-updates.cfg")).toContain(
      "updates:\n  network:\n    when:\n      - boot-new-instance\n",
    );
  });

  test("containerd 2.x and runc, held; version 3 configuration with systemd cgroups, the CNI folders and kubeadm's pause image", () => {
    expect(installs(n)[0]).toBe("ca-certificates curl gpg containerd runc");
    expect(n.nodeFile("etc/apt/preferences.d/k8s-containerd")).toBe(
      "Package: containerd\nPin: version 2.*\nPin-Priority: 1001\n",
    );
    expect(n.calls).toContain("apt-mark hold containerd runc");
    const config = n.nodeFile("etc/containerd/config.toml")!;
    expect(config).toMatch(/^version = 3$/m);
    expect(config).toContain(
      "[plugins.'io.containerd.cri.v1.runtime'.containerd.runtimes.runc.options]\n  SystemdCgroup = true\n",
    );
    // containerd docs/cri/config.md (v2.2): bin_dirs replaces bin_dir from 2.1 on.
    expect(config).toContain(
      "[plugins.'io.containerd.cri.v1.runtime'.cni]\n  bin_dirs = ['/opt/cni/bin']\n  conf_dir = '/etc/cni/net.d'\n",
    );
    // kubeadm v1.35's own list (the stub prints cmd/kubeadm/app/constants PauseVersion 3.10.1).
    expect(config).toContain(
      "[plugins.'io.containerd.cri.v1.images'.pinned_images]\n  sandbox = 'registry.k8s.io/pause:3.10.1'\n",
    );
    expect(n.calls).toContain(`kubeadm config images list --kubernetes-version v${PINNED_VERSION}`);
    expect(n.indexOf("systemctl restart containerd")).toBeGreaterThan(n.indexOf("kubeadm config images list"));
  });

  test("kubelet, kubeadm, kubectl of the pinned patch release and cri-tools of the minor, all named and held", () => {
    expect(n.nodeFile("etc/apt/sources.list.d/kubernetes.list")).toBe(
      "deb [signed-by=/etc/apt/keyrings/kubernetes-apt-keyring.gpg] https://pkgs.k8s.io/core:/stable:/v1.35/deb/ /\n",
    );
    expect(installs(n)[1]).toBe(
      `kubelet=${PINNED_VERSION}-* kubeadm=${PINNED_VERSION}-* kubectl=${PINNED_VERSION}-* cri-tools=1.35.*`,
    );
    expect(n.calls).toContain("apt-mark hold kubelet kubeadm kubectl cri-tools");
    expect(n.calls).toContain("snap install aws-cli --classic");
  });

  test("the ECR credential provider from artifacts.k8s.io, checked against its SHA-256, where the kubelet looks for it", () => {
    const downloads = n.callsOf("curl -fsSL --max-time 120");
    expect(downloads).toHaveLength(1);
    expect(downloads[0]).toMatch(
      new RegExp(
        `^curl -fsSL --max-time 120 -o \\S+/ecr-credential-provider ${ECR_CREDENTIAL_PROVIDER.url("amd64").replace(/[.]/g, "\\.")}$`,
      ),
    );
    const bin = path.join(n.root, "usr/local/libexec/kubelet-credential-providers/ecr-credential-provider");
    expect(fs.readFileSync(bin, "utf8")).toBe(credentialProviderBytes("amd64"));
    expect(fs.statSync(bin).mode & 0o777).toBe(0o755);
    // Before kubeadm starts the kubelet, which finds it by the provider's name.
    expect(n.indexOf(`curl -fsSL --max-time 120`)).toBeLessThan(n.indexOf("kubeadm init --config"));
    expect(n.nodeFile("etc/kubernetes/image-credential-provider-config.yaml")).toContain(
      "name: ecr-credential-provider\n",
    );
    // No image is pulled with credentials baked into a command line any more.
    expect(n.indexOf("crictl pull")).toBe(-1);
    expect(n.indexOf("aws ecr")).toBe(-1);
  });

  test("reads instance metadata with IMDSv2 session tokens only", () => {
    const metadata = n.callsOf("curl").filter((c) => c.includes("169.254.169.254/latest/meta-data/"));
    expect(metadata.length).toBeGreaterThanOrEqual(3);
    for (const c of metadata) expect(c).toContain("-H X-aws-ec2-metadata-token: imds-session-token");
  });

  test("runs kubeadm init with the NLB endpoint, the node's name, address and zone", () => {
    expect(n.callsOf("kubeadm init --config")).toHaveLength(1);
    expect(n.indexOf("kubeadm join")).toBe(-1);
    expect(n.calls[n.indexOf("kubeadm init --config")]).toContain("--upload-certs");
    const [init, cluster] = yamlDocs(n.kept("kubeadm-init.yaml")!);
    expect(init.certificateKey).toBe(JOIN_PARAMETERS[`${PREFIX}/join/certificate-key`]);
    expect(init.localAPIEndpoint.advertiseAddress).toBe("172.31.8.10");
    expect(init.nodeRegistration.name).toBe("ip-172-31-8-10.ap-northeast-2.compute.internal");
    expect(init.nodeRegistration.kubeletExtraArgs).toContainEqual({
      name: "node-labels",
      value: "topology.kubernetes.io/zone=ap-northeast-2a",
    });
    // t3.large (the stub's default): (3 ENIs - 1) * (12 addresses - 1) + 7 host-network pods of a
    // control-plane node (4 static pods, kube-proxy, aws-node, the cloud controller).
    expect(init.nodeRegistration.kubeletExtraArgs).toContainEqual({ name: "max-pods", value: "29" });
    expect(init.nodeRegistration.kubeletExtraArgs).toContainEqual({
      name: "image-credential-provider-config",
      value: "/etc/kubernetes/image-credential-provider-config.yaml",
    });
    expect(init.nodeRegistration.kubeletExtraArgs).toContainEqual({
      name: "image-credential-provider-bin-dir",
      value: "/usr/local/libexec/kubelet-credential-providers",
    });
    expect(cluster.controlPlaneEndpoint).toBe(`${API_ENDPOINT}:6443`);
    expect(cluster.apiServer.certSANs).toEqual([API_ENDPOINT]);
    expect(cluster.kubernetesVersion).toBe(`v${PINNED_VERSION}`);
  });

  test("publishes token and certificate key as SecureString, the CA hash as String, never on a command line", () => {
    expect(n.ssm()).toEqual({ ...ALL_PARAMETERS, ...OWN_LOCK });
    expect(n.ssmType(`${PREFIX}/join/token`)).toBe("SecureString");
    expect(n.ssmType(`${PREFIX}/join/certificate-key`)).toBe("SecureString");
    expect(n.ssmType(`${PREFIX}/join/ca-cert-hash`)).toBe("String");
    expect(n.ssmType(`${PREFIX}/join/api-endpoint`)).toBe("String");
    expect(n.ssmType(VERSION_PARAMETER)).toBe("String");
    const joinWrites = n.callsOf(`aws ssm put-parameter --name ${PREFIX}/join/`);
    const init = n.indexOf("kubeadm init --config");
    expect(joinWrites).toHaveLength(4);
    for (const c of joinWrites) expect(c).toMatch(/--overwrite --value file:\/\//);
    expect(n.indexOf(`aws ssm put-parameter --name ${PREFIX}/join/`)).toBeGreaterThan(init);
  });

  // The init lock comes first, before kubeadm init.
  test("publishes the API endpoint of the cluster last, after the parameters it vouches for", () => {
    expect(written(n)).toEqual([`${PREFIX}/init/lock`, ...PUBLISHED]);
    expect(n.ssm()[`${PREFIX}/join/api-endpoint`]).toBe(API_ENDPOINT);
    expect(n.ssm()[VERSION_PARAMETER]).toBe(`v${PINNED_VERSION}`);
  });

  test("downloads the cluster bundle its user data names from the assets bucket, checks every file, installs its node files", () => {
    const bundleDir = `${n.root}/var/lib/k8s-bootstrap/bundle/${BUNDLE.digest}`;
    // Downloaded beside the bundle folder, moved in once checked.
    expect(n.callsOf("aws s3 cp --recursive")).toEqual([
      `aws s3 cp --recursive --only-show-errors s3://${ASSETS_BUCKET}/addons/${BUNDLE.digest}/ ${bundleDir}.download/`,
    ]);
    expect(fs.existsSync(`${bundleDir}.download`)).toBe(false);
    const listed = (dir: string): string[] =>
      fs
        .readdirSync(dir, { withFileTypes: true })
        .flatMap((e) => (e.isDirectory() ? listed(path.join(dir, e.name)).map((p) => `${e.name}/${p}`) : [e.name]));
    expect(listed(bundleDir).sort()).toEqual([...BUNDLE.files.map((f) => f.path), "SHA256SUMS"].sort());
    const install = BUNDLE.files
      .find((f) => f.path === "node/INSTALL")!
      .text.trim()
      .split("\n");
    for (const line of install) {
      const [mode, target] = line.split(" ");
      expect(n.nodeFile(target.slice(1))).toBe(BUNDLE.files.find((f) => f.path === `node${target}`)!.text);
      expect((fs.statSync(path.join(n.root, target)).mode & 0o777).toString(8)).toBe(mode.slice(1));
    }
    expect(n.indexOf("aws s3 cp --recursive")).toBeLessThan(n.indexOf("kubeadm init --config"));
  });

  test("applies the VPC CNI, one ENIConfig per zone, the cloud controller, the termination handler, server-side", () => {
    const applies = n.callsOf("kubectl apply");
    expect(applies).toHaveLength(5);
    for (const a of applies)
      expect(a).toMatch(/^kubectl apply --server-side --force-conflicts --field-manager=k8s-bootstrap -f /);
    const applied = fs.readdirSync(path.join(n.state, "applied")).sort();
    expect(applied).toEqual([
      "1-vpc-cni.yaml",
      "2-eniconfigs",
      "3-cloud-config.yaml",
      "4-cloud-controller-manager.yaml",
      "5-node-termination-handler.yaml",
    ]);
    // What is applied is the bundle's file, byte for byte (patched aws-node env included).
    expect(fs.readFileSync(path.join(n.state, "applied/1-vpc-cni.yaml"), "utf8")).toBe(
      BUNDLE.files.find((f) => f.path === "vpc-cni.yaml")!.text,
    );
    const awsNode = yamlDocs(fs.readFileSync(path.join(n.state, "applied/1-vpc-cni.yaml"), "utf8")).find(
      (o) => o.kind === "DaemonSet",
    );
    expect(awsNode.spec.template.spec.containers[0].env).toContainEqual({ name: "CLUSTER_NAME", value: "k8s-cluster" });
    const eni = (zone: string) =>
      yamlDocs(fs.readFileSync(path.join(n.state, "applied/2-eniconfigs", `${zone}.yaml`), "utf8"))[0];
    expect(eni("ap-northeast-2a")).toEqual({
      apiVersion: "crd.k8s.amazonaws.com/v1alpha1",
      kind: "ENIConfig",
      metadata: { name: "ap-northeast-2a" },
      spec: { subnet: "subnet-0aaa1111", securityGroups: ["sg-0f00d"] },
    });
    expect(eni("ap-northeast-2c").spec.subnet).toBe("subnet-0ccc3333");
    const cloudConfig = fs.readFileSync(path.join(n.state, "applied/3-cloud-config.yaml"), "utf8");
    expect(cloudConfig).toContain("KubernetesClusterID = k8s-cluster");
    expect(cloudConfig).toContain("ElbSecurityGroup = sg-0ba1a");
    // The handler's template with the queue URL Terraform published, nothing else changed.
    const handler = fs.readFileSync(path.join(n.state, "applied/5-node-termination-handler.yaml"), "utf8");
    const template = BUNDLE.files.find((f) => f.path === "node-termination-handler.yaml.tmpl")!.text;
    expect(handler).toBe(`${template.replace("__QUEUE_URL__", NODE_TERMINATION_QUEUE_URL).replace(/\n+$/, "")}\n`);
    expect(n.indexOf("kubectl apply")).toBeGreaterThan(n.indexOf("aws ssm put-parameter"));
  });

  test("enables the refresh and certificate renewal timers last and leaves no secret-bearing file behind", () => {
    const bootstrap = n.byCommand[0];
    expect(bootstrap.slice(-2)).toEqual([
      "systemctl enable --now k8s-join-refresh@token.timer k8s-join-refresh@certs.timer",
      "systemctl enable --now k8s-cert-renew.timer",
    ]);
    expect(n.nodeFile("var/lib/k8s-bootstrap/done")).toBe("");
    expect(fs.readdirSync(path.join(n.root, "..", "tmp"))).toEqual([]);
  });

  test("a second run does nothing", () => {
    const again = n.again();
    expect(again.status).toBe(0);
    expect(again.calls).toEqual([]);
    expect(again.stderr).toContain("already joined the cluster; nothing to do");
  });

  test("the certs refresh re-uploads the certificates under the published key", () => {
    const r = n.exec("/usr/local/sbin/k8s-join-refresh", "certs");
    expectSuccess(r);
    const key = JOIN_PARAMETERS[`${PREFIX}/join/certificate-key`];
    expect(r.callsOf("kubeadm init phase upload-certs")).toEqual([
      `kubeadm init phase upload-certs --upload-certs --skip-certificate-key-print --certificate-key ${key} --kubeconfig ${n.root}/etc/kubernetes/admin.conf`,
    ]);
    expect(written(r)).toEqual([`${PREFIX}/join/certificate-key`, `${PREFIX}/join/api-endpoint`]);
    expect(n.ssm()[`${PREFIX}/join/api-endpoint`]).toBe(API_ENDPOINT);
  });

  test("the token refresh creates a 24 h token and overwrites the token parameter", () => {
    const r = n.exec("/usr/local/sbin/k8s-join-refresh", "token");
    expectSuccess(r);
    expect(r.calls[0]).toMatch(/^kubeadm token create --ttl 24h --print-join-command/);
    expect(written(r)).toEqual([
      `${PREFIX}/join/token`,
      `${PREFIX}/join/ca-cert-hash`,
      VERSION_PARAMETER,
      `${PREFIX}/join/api-endpoint`,
    ]);
  });

  test("the token refresh publishes the version the API servers report (after an upgrade, the new one)", () => {
    const r = n.execWith({ apiVersion: "1.35.9" }, "/usr/local/sbin/k8s-join-refresh", "token");
    expectSuccess(r);
    expect(r.calls).toContain(`kubectl --kubeconfig ${n.root}/etc/kubernetes/admin.conf get --raw /version`);
    expect(n.ssm()[VERSION_PARAMETER]).toBe("v1.35.9");
  });

  test("a refresh takes the endpoint from admin.conf, whatever SSM holds, and stops without one", () => {
    fs.writeFileSync(
      path.join(n.state, "ssm", `${PREFIX}/join/api-endpoint`.replace(/\//g, "%2F")),
      OTHER_API_ENDPOINT,
    );
    const r = n.exec("/usr/local/sbin/k8s-join-refresh", "token");
    expectSuccess(r);
    expect(n.ssm()[`${PREFIX}/join/api-endpoint`]).toBe(API_ENDPOINT);
    const conf = path.join(n.root, "etc/kubernetes/admin.conf");
    const saved = fs.readFileSync(conf, "utf8");
    fs.writeFileSync(conf, "apiVersion: v1\n");
    try {
      const bad = n.exec("/usr/local/sbin/k8s-join-refresh", "certs");
      expect(bad.status).toBe(1);
      expect(failedLines(bad.stderr)).toEqual([
        `k8s-join-refresh: FAILED at step 'publish the API endpoint': no server https://<endpoint>:6443 in ${conf}`,
      ]);
      expect(written(bad)).toEqual([`${PREFIX}/join/certificate-key`]);
    } finally {
      fs.writeFileSync(conf, saved);
    }
  });
});

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
      { name: "node-labels", value: "topology.kubernetes.io/zone=ap-northeast-2a" },
      // (3 - 1) * (12 - 1) + 2 host-network pods of a worker (kube-proxy, aws-node).
      { name: "max-pods", value: "24" },
      { name: "image-credential-provider-config", value: "/etc/kubernetes/image-credential-provider-config.yaml" },
      { name: "image-credential-provider-bin-dir", value: "/usr/local/libexec/kubelet-credential-providers" },
    ]);
    expect(n.calls.filter((c) => c.includes("certificate-key"))).toEqual([]);
    expect(n.calls.filter((c) => c.includes("k8s-join-refresh"))).toEqual([]);
    expect(n.indexOf("aws ssm put-parameter")).toBe(-1);
  });

  test("a failed kubeadm join is reset and tried again with fresh parameters", () => {
    const n = node("worker", { ssm: ALL_PARAMETERS, fail: ["kubeadm join#1"] });
    expectSuccess(n);
    expect(n.callsOf("kubeadm join")).toHaveLength(2);
    expect(n.indexOf("kubeadm reset -f")).toBeGreaterThan(n.indexOf("kubeadm join"));
    expect(n.callsOf(`aws ssm get-parameter --name ${PREFIX}/join/token`)).toHaveLength(3);
  });
});

describe("kubelet max-pods from the instance type (custom networking: (ENIs - 1) * (addresses - 1) + host-network pods)", () => {
  const maxPods = (config: string | undefined) =>
    (yamlDocs(config!)[0].nodeRegistration.kubeletExtraArgs as { name: string; value: string }[]).filter(
      (a) => a.name === "max-pods",
    );

  test("t3.large: the type from IMDSv2, its ENI limits from EC2, (3 - 1) * (12 - 1) + 2 = 24 passed to kubeadm join", () => {
    const n = node("worker", { ssm: ALL_PARAMETERS, instance: { type: "t3.large", maxEnis: 3, ipsPerEni: 12 } });
    expectSuccess(n);
    expect(n.byCommand[0].filter((c) => c.startsWith("curl") && c.endsWith("/meta-data/instance-type"))).toEqual([
      "curl -fsS --max-time 5 -H X-aws-ec2-metadata-token: imds-session-token http://169.254.169.254/latest/meta-data/instance-type",
    ]);
    expect(n.callsOf("aws ec2 describe-instance-types")).toEqual([
      "aws ec2 describe-instance-types --instance-types t3.large --output text --query InstanceTypes[0].NetworkInfo.[MaximumNetworkInterfaces,Ipv4AddressesPerInterface]",
    ]);
    expect(n.indexOf("aws ec2 describe-instance-types")).toBeLessThan(n.indexOf("kubeadm join"));
    expect(maxPods(n.kept("kubeadm-join.yaml"))).toEqual([{ name: "max-pods", value: "24" }]);
    expect(n.stderr).toContain("max-pods 24 for t3.large");
  });

  test("a control-plane joiner counts its 7 host-network pods: (4 - 1) * (15 - 1) + 7 = 49 on m5.xlarge", () => {
    const n = node("control-plane", {
      ssm: ALL_PARAMETERS,
      instance: { type: "m5.xlarge", maxEnis: 4, ipsPerEni: 15 },
    });
    expectSuccess(n);
    expect(maxPods(n.kept("kubeadm-join.yaml"))).toEqual([{ name: "max-pods", value: "49" }]);
    expect(n.stderr).toContain("max-pods 49 for m5.xlarge (7 on the host network)");
  });

  test("m5.24xlarge ((15 - 1) * (50 - 1) + 2 = 688) is capped at kubelet's default of 110", () => {
    const n = node("control-plane", {
      ssm: TERRAFORM_PARAMETERS,
      instance: { type: "m5.24xlarge", maxEnis: 15, ipsPerEni: 50 },
    });
    expectSuccess(n);
    expect(n.callsOf("aws ec2 describe-instance-types --instance-types m5.24xlarge ")).toHaveLength(1);
    expect(maxPods(n.kept("kubeadm-init.yaml"))).toEqual([{ name: "max-pods", value: "110" }]);
  });

  test("t3.micro ((2 - 1) * (2 - 1) + 2 = 3) keeps its true 3: no floor above what the ENIs can address", () => {
    const n = node("worker", { ssm: ALL_PARAMETERS, instance: { type: "t3.micro", maxEnis: 2, ipsPerEni: 2 } });
    expectSuccess(n);
    expect(maxPods(n.kept("kubeadm-join.yaml"))).toEqual([{ name: "max-pods", value: "3" }]);
  });

  test("describe-instance-types keeps failing: stops after its bound with one line naming the step, never calls kubeadm", () => {
    const n = node("control-plane", { ssm: TERRAFORM_PARAMETERS, fail: ["aws ec2 describe-instance-types"] });
    expect(n.status).toBe(1);
    expect(n.callsOf("aws ec2 describe-instance-types")).toHaveLength(5);
    expect(failedLines(n.stderr)).toEqual([
      "k8s-bootstrap: FAILED at step 'compute max-pods': gave up after 5 attempts (50s): ENI limits of t3.large (ec2 describe-instance-types)",
    ]);
    expect(n.indexOf("kubeadm")).toBe(-1);
    // Only the assets bucket's name (for the bundle) was read before it stopped.
    expect(n.callsOf("aws ssm get-parameter").map((c) => c.split(" ")[4])).toEqual([`${PREFIX}/assets/bucket`]);
  });

  test("a transient describe-instance-types failure is retried", () => {
    const n = node("worker", { ssm: ALL_PARAMETERS, fail: ["aws ec2 describe-instance-types#2"] });
    expectSuccess(n);
    expect(n.callsOf("aws ec2 describe-instance-types")).toHaveLength(3);
    expect(maxPods(n.kept("kubeadm-join.yaml"))).toEqual([{ name: "max-pods", value: "24" }]);
  });

  test("an answer without the two numbers stops the bootstrap instead of guessing", () => {
    const n = node("worker", {
      ssm: ALL_PARAMETERS,
      instance: { type: "t3.large", maxEnis: 3, ipsPerEni: 12, output: "None\tNone" },
    });
    expect(n.status).toBe(1);
    expect(failedLines(n.stderr)).toEqual([
      "k8s-bootstrap: FAILED at step 'compute max-pods': no ENI limits for t3.large: None\tNone",
    ]);
    expect(n.indexOf("kubeadm")).toBe(-1);
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
      `k8s-bootstrap: FAILED at step 'wait until the API endpoint name resolves': gave up after 60 attempts (600s): DNS name ${API_ENDPOINT} to resolve`,
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
      "k8s-bootstrap: FAILED at step 'wait for the join parameters': gave up after 90 attempts (1800s): join parameters under /k8s/k8s-cluster/join (the first control-plane node writes them)",
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

  test("never initialises while this deployment's join parameters exist, even with the API down: joins, or stops with a clear error", () => {
    const n = node("control-plane", { ssm: ALL_PARAMETERS, fail: ["kubeadm join"] });
    expect(n.status).toBe(1);
    expect(n.indexOf("kubeadm init")).toBe(-1);
    expect(n.callsOf("kubeadm join")).toHaveLength(3);
    expect(failedLines(n.stderr)).toEqual([
      "k8s-bootstrap: FAILED at step 'kubeadm join as control-plane': gave up after 3 attempts (90s): kubeadm join (this deployment's cluster exists, so this node will not run kubeadm init; see docs/troubleshooting.md)",
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
    expect(n.ssm()).toEqual({ ...ALL_PARAMETERS, ...OWN_LOCK });
    expect(written(n)).toEqual([`${PREFIX}/init/lock`, ...PUBLISHED]);
  });

  test("retries, and never initialises, while SSM cannot be read", () => {
    const n = node("control-plane", {
      ssm: ALL_PARAMETERS,
      fail: [`aws ssm get-parameter --name ${PREFIX}/join/api-endpoint`],
    });
    expect(n.status).toBe(1);
    // The first read of it is the version choice, which needs it too.
    expect(failedLines(n.stderr)).toEqual([
      "k8s-bootstrap: FAILED at step 'choose the Kubernetes version': gave up after 10 attempts (100s): SSM parameters under /k8s/k8s-cluster to be readable",
    ]);
    expect(n.indexOf("kubeadm init")).toBe(-1);
  });
});

describe("a failing command", () => {
  test("kubeadm init fails: the script stops there, names the step, publishes and applies nothing", () => {
    const n = node("control-plane", { ssm: TERRAFORM_PARAMETERS, fail: ["kubeadm init --config"] });
    expect(n.status).toBe(1);
    const failed = failedLines(n.stderr);
    expect(failed).toHaveLength(1);
    expect(failed[0]).toMatch(
      /^k8s-bootstrap: FAILED at step 'kubeadm init' \(exit 1\): kubeadm init --config "\$KUBEADM_CONFIG" --upload-certs/,
    );
    const bootstrap = n.byCommand[0];
    expect(bootstrap[bootstrap.length - 1]).toMatch(/^kubeadm init --config/);
    expect(written(n)).toEqual([`${PREFIX}/init/lock`]);
    expect(n.indexOf("kubectl")).toBe(-1);
    expect(n.nodeFile("var/lib/k8s-bootstrap/done")).toBeUndefined();
  });

  test("a failure inside node preparation stops the bootstrap before any kubeadm call", () => {
    const n = node("worker", { ssm: ALL_PARAMETERS, fail: ["gpg"] });
    expect(n.status).toBe(1);
    expect(failedLines(n.stderr)).toEqual([
      `k8s-node-prepare: FAILED at step 'add the Kubernetes v1.35 apt repository' (exit 1): gpg --batch --yes --dearmor -o "\${ROOT}\${KEYRING}" "\${WORK}/Release.key"`,
      `k8s-bootstrap: FAILED at step 'install Kubernetes ${PINNED_VERSION}' (exit 1): "\${SBIN}/k8s-node-prepare" kubernetes "$K8S_INSTALL"`,
    ]);
    const bootstrap = n.byCommand[0];
    expect(bootstrap[bootstrap.length - 1]).toMatch(/^gpg /);
  });

  test("a network step that keeps failing gives up after its bound", () => {
    const n = node("worker", { ssm: ALL_PARAMETERS, fail: ["snap install"] });
    expect(n.status).toBe(1);
    expect(n.callsOf("snap install aws-cli --classic")).toHaveLength(10);
    expect(failedLines(n.stderr)[0]).toBe(
      "k8s-node-prepare: FAILED at step 'install the AWS CLI': gave up after 10 attempts (150s): snap install aws-cli",
    );
    expect(n.indexOf("crictl")).toBe(-1);
  });
});

describe("what the node image really has", () => {
  test("every stubbed command comes from the Ubuntu 24.04 image or from a package the scripts install", () => {
    expect(stubsWithoutPackage()).toEqual([]);
    expect(packagesInstalledBy(Object.values(BOOTSTRAP_SCRIPTS))).toEqual([
      "ca-certificates",
      "containerd",
      "cri-tools",
      "curl",
      "gpg",
      "kubeadm",
      "kubectl",
      "kubelet",
      "runc",
      "snap:aws-cli",
    ]);
  });

  test("without cri-tools installed, the harness refuses the crictl stub (kubeadm 1.32+ packages need not pull it in)", () => {
    // At boot (k8s-node-prepare) and in an upgrade (k8s-upgrade).
    const scripts = Object.values(BOOTSTRAP_SCRIPTS).map((t) =>
      t.replace(/ "cri-tools=\$\{(K8S|TARGET)_MINOR\}\.\*"/g, ""),
    );
    expect(stubsWithoutPackage(scripts)).toEqual(["crictl (cri-tools)"]);
  });

  test.each([["1.7.28-0ubuntu1~24.04.1"], ["2.0.5-0ubuntu1"]])(
    "containerd %s stops the node before its version 3 configuration is written",
    (build) => {
      const n = node("worker", { ssm: ALL_PARAMETERS, containerd: build });
      expect(n.status).toBe(1);
      expect(failedLines(n.stderr)[0]).toBe(
        `k8s-node-prepare: FAILED at step 'install containerd 2.x and runc': containerd ${build} is installed, not 2.1 or later: its configuration (version 3) would not load`,
      );
      expect(n.nodeFile("etc/containerd/config.toml")).toBeUndefined();
      expect(n.indexOf("kubeadm")).toBe(-1);
    },
  );

  test("a later containerd 2.x (Ubuntu moved on) is accepted", () => {
    const n = node("worker", { ssm: ALL_PARAMETERS, containerd: "2.3.1-0ubuntu1~24.04.1" });
    expectSuccess(n);
  });

  test("apt-get update fails on a source it cannot fetch (--error-on=any), so the retry is real", () => {
    const n = node("worker", {
      ssm: ALL_PARAMETERS,
      fail: ["apt-get -y -q -o DPkg::Lock::Timeout=600 -o Dpkg::Options::=--force-confold --error-on=any update#2"],
    });
    expectSuccess(n);
    expect(
      n.callsOf("apt-get -y -q -o DPkg::Lock::Timeout=600 -o Dpkg::Options::=--force-confold --error-on=any update"),
    ).toHaveLength(4);
    expect(n.indexOf("apt-get -y -q -o DPkg::Lock::Timeout=600 -o Dpkg::Options::=--force-confold update")).toBe(-1);
  });

  test("a credential provider whose SHA-256 is not the pinned one is never installed", () => {
    const n = node("worker", { ssm: ALL_PARAMETERS, credentialProvider: "tampered bytes" });
    expect(n.status).toBe(1);
    expect(n.callsOf("curl -fsSL --max-time 120")).toHaveLength(10);
    const sum = crypto.createHash("sha256").update(credentialProviderBytes("amd64")).digest("hex");
    expect(failedLines(n.stderr)).toEqual([
      `k8s-node-prepare: FAILED at step 'install the ECR credential provider': gave up after 10 attempts (150s): ${ECR_CREDENTIAL_PROVIDER.url("amd64")} with SHA-256 ${sum}`,
      `k8s-bootstrap: FAILED at step 'prepare the node' (exit 1): "\${SBIN}/k8s-node-prepare" os`,
    ]);
    expect(n.nodeFile("usr/local/libexec/kubelet-credential-providers/ecr-credential-provider")).toBeUndefined();
  });

  test("an arm64 node installs the arm64 build", () => {
    const n = node("worker", { ssm: ALL_PARAMETERS, arch: "arm64" });
    expectSuccess(n);
    expect(n.callsOf("curl -fsSL --max-time 120")[0].endsWith(` ${ECR_CREDENTIAL_PROVIDER.url("arm64")}`)).toBe(true);
    expect(n.nodeFile("usr/local/libexec/kubelet-credential-providers/ecr-credential-provider")).toBe(
      credentialProviderBytes("arm64"),
    );
  });
});

describe("the cluster bundle in S3", () => {
  test("a bundle file changed after upload is never applied: the node retries, then stops naming the bundle", () => {
    const n = node("control-plane", { ssm: TERRAFORM_PARAMETERS, s3Tamper: { "vpc-cni.yaml": "kind: DaemonSet\n" } });
    expect(n.status).toBe(1);
    expect(n.callsOf("aws s3 cp --recursive")).toHaveLength(10);
    expect(failedLines(n.stderr)[0]).toBe(
      `k8s-bootstrap: FAILED at step 'fetch the cluster bundle ${BUNDLE.digest.slice(0, 12)}': gave up after 10 attempts (150s): cluster bundle s3://${ASSETS_BUCKET}/addons/${BUNDLE.digest}/ (every file as its SHA256SUMS says)`,
    );
    expect(n.indexOf("kubeadm")).toBe(-1);
    expect(n.indexOf("kubectl apply")).toBe(-1);
  });

  test("a worker never touches the bucket (its role may not read it); a control-plane joiner installs its timers from it", () => {
    const w = node("worker", { ssm: ALL_PARAMETERS });
    expectSuccess(w);
    expect(w.indexOf("aws s3")).toBe(-1);
    expect(w.indexOf(`aws ssm get-parameter --name ${PREFIX}/assets/bucket`)).toBe(-1);
    const cp = node("control-plane", { ssm: ALL_PARAMETERS });
    expectSuccess(cp);
    expect(cp.callsOf("aws s3 cp --recursive")).toHaveLength(1);
    expect(cp.nodeFile("etc/systemd/system/k8s-join-refresh@token.timer")).toContain("OnUnitActiveSec=12h");
  });

  test("a missing file, or a bundle that was never uploaded, is a failure too (aws s3 cp of an empty prefix succeeds)", () => {
    for (const behaviour of [{ s3Tamper: { "cloud-controller-manager.yaml": null } }, { bundleUploaded: false }]) {
      const n = node("control-plane", { ssm: TERRAFORM_PARAMETERS, ...behaviour });
      expect(n.status).toBe(1);
      expect(failedLines(n.stderr)[0]).toMatch(
        /^k8s-bootstrap: FAILED at step 'fetch the cluster bundle [0-9a-f]{12}': gave up after 10 attempts/,
      );
      expect(n.indexOf("kubectl apply")).toBe(-1);
    }
  });
});

describe("re-running the bootstrap in place (the etcd restore runbook's step 8)", () => {
  test("after a later apply replaced the bundle in S3 and Ubuntu moved containerd on, the node re-joins with its checked local bundle", () => {
    const n = node("control-plane", { ssm: TERRAFORM_PARAMETERS });
    expectSuccess(n);
    // kubeadm reset -f, the done marker removed; Terraform deleted this digest's objects; a newer containerd build.
    for (const f of ["etc/kubernetes/kubelet.conf", "etc/kubernetes/admin.conf", "var/lib/k8s-bootstrap/done"])
      fs.rmSync(path.join(n.root, f), { force: true });
    fs.rmSync(path.join(n.state, "s3", ASSETS_BUCKET, "addons", BUNDLE.digest), { recursive: true });
    const again = n.execWith(
      { ssm: TERRAFORM_PARAMETERS, containerd: "2.2.2-0ubuntu1~24.04.1" },
      "/usr/local/sbin/k8s-bootstrap",
    );
    expectSuccess(again);
    expect(again.stderr).toContain(
      `the bundle is here already, unchanged: ${n.root}/var/lib/k8s-bootstrap/bundle/${BUNDLE.digest}`,
    );
    expect(again.indexOf("aws s3 cp --recursive")).toBe(-1);
    // Held packages move to the archive's build instead of failing the install ten times.
    expect(
      again.callsOf(
        "apt-get -y -q -o DPkg::Lock::Timeout=600 -o Dpkg::Options::=--force-confold --allow-change-held-packages install",
      ),
    ).toHaveLength(2);
    expect(fs.readFileSync(path.join(n.state, "dpkg/containerd"), "utf8").trim()).toBe("2.2.2-0ubuntu1~24.04.1");
    // This deployment's cluster exists (its own join parameters): it joins, never a second init.
    expect(again.indexOf("kubeadm init --config")).toBe(-1);
    expect(again.callsOf("kubeadm join")).toHaveLength(1);
  });

  test("a local bundle that no longer matches its digest is not used: the node fetches it again", () => {
    const n = node("control-plane", { ssm: ALL_PARAMETERS });
    expectSuccess(n);
    const local = path.join(
      n.root,
      "var/lib/k8s-bootstrap/bundle",
      BUNDLE.digest,
      "node/usr/local/sbin/k8s-join-refresh",
    );
    fs.appendFileSync(local, "\necho tampered\n");
    for (const f of ["etc/kubernetes/kubelet.conf", "etc/kubernetes/admin.conf", "var/lib/k8s-bootstrap/done"])
      fs.rmSync(path.join(n.root, f), { force: true });
    const again = n.execWith({ ssm: ALL_PARAMETERS }, "/usr/local/sbin/k8s-bootstrap");
    expectSuccess(again);
    expect(again.callsOf("aws s3 cp --recursive")).toHaveLength(1);
    expect(fs.readFileSync(local, "utf8")).toBe(
      BUNDLE.files.find((f) => f.path === "node/usr/local/sbin/k8s-join-refresh")!.text,
    );
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
        "apt-get -y -q -o DPkg::Lock::Timeout=600 -o Dpkg::Options::=--force-confold --allow-change-held-packages install kubelet",
      ),
    );
  });

  test("a cluster of an older minor is refused: a kubelet may not be newer than the API servers", () => {
    const n = node("worker", { ssm: withVersion("v1.34.3") });
    expect(n.status).toBe(1);
    expect(failedLines(n.stderr)[0]).toBe(
      "k8s-bootstrap: FAILED at step 'choose the Kubernetes version': the cluster runs v1.34.3, older than this node's Kubernetes 1.35: a kubelet may not be newer than the API servers; upgrade the control plane first",
    );
    expect(n.indexOf("kubeadm")).toBe(-1);
  });

  test("a control-plane node joins only a control plane of its own minor", () => {
    const n = node("control-plane", { ssm: withVersion("v1.36.1") });
    expect(n.status).toBe(1);
    expect(failedLines(n.stderr)[0]).toBe(
      "k8s-bootstrap: FAILED at step 'choose the Kubernetes version': the cluster runs v1.36.1, this node's Kubernetes is 1.35: a control-plane node joins only a control plane of its own minor; synthesize with kubernetesVersion 1.36",
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
      `k8s-bootstrap: FAILED at step 'choose the Kubernetes version': ${VERSION_PARAMETER} holds 'latest', not a Kubernetes version`,
    );
  });
});
