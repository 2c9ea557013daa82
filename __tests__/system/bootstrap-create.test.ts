/**
 * The real user data, run under bash with stub commands (harness/): the control-plane node that
 * creates the cluster (node preparation, kubeadm init, the join parameters it publishes, the add-ons
 * it applies, its refresh timers), and the bootstrap run again in place by the etcd restore runbook.
 * Joining nodes: bootstrap-join.test.ts; what a node installs and checks before kubeadm, and failing
 * steps: bootstrap-node-prepare.test.ts; the election, etcd membership and the auto scaling
 * lifecycle: bootstrap-membership.test.ts and bootstrap-lifecycle.test.ts.
 */
import * as fs from "fs";
import * as path from "path";
import {
  API_ENDPOINT,
  ASSETS_BUCKET,
  JOIN_PARAMETERS,
  NODE_TERMINATION_QUEUE_URL,
  NodeRun,
  OTHER_API_ENDPOINT,
  PINNED_VERSION,
  PREFIX,
  TERRAFORM_PARAMETERS,
  credentialProviderBytes,
} from "../harness/node";
import {
  ALL_PARAMETERS,
  BUNDLE,
  OWN_INIT_LOCK,
  PUBLISHED,
  CREATED_SECRETS,
  withoutClusterSecrets,
  VERSION_PARAMETER,
  expectSuccess,
  failedLines,
  installs,
  nodeRunner,
  written,
  yamlDocs,
} from "../harness/boot";
import { setClusterVersion } from "../harness/maintenance";
import { hostNetworkPods } from "../../src/addons/host-network";
import { ECR_CREDENTIAL_PROVIDER } from "../../src/bootstrap/versions";

const node = nodeRunner();

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

  test("containerd 2.x and runc, held; a version 3 config: systemd cgroups, CNI folders, kubeadm's pause image", () => {
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

  test("the ECR credential provider from artifacts.k8s.io, SHA-256 checked, where the kubelet looks for it", () => {
    const downloads = n.callsOf("curl -fsSL --max-time 120");
    expect(downloads).toHaveLength(1);
    expect(downloads[0]).toMatch(
      new RegExp(
        "^curl -fsSL --max-time 120 -o \\S+/ecr-credential-provider " +
          `${ECR_CREDENTIAL_PROVIDER.url("amd64").replace(/[.]/g, "\\.")}$`,
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
      value: "topology.kubernetes.io/zone=ap-northeast-2a,node.kubernetes.io/lifecycle=on-demand",
    });
    // t3.large (the stub's default): (3 ENIs - 1) * (12 addresses - 1) + the host-network pods of a
    // control-plane node (4 static pods, kube-proxy, the host-network DaemonSets and Deployments).
    const maxPods = (3 - 1) * (12 - 1) + hostNetworkPods(BUNDLE, "control-plane").length;
    expect(init.nodeRegistration.kubeletExtraArgs).toContainEqual({ name: "max-pods", value: String(maxPods) });
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
    expect(withoutClusterSecrets(n.ssm())).toEqual(withoutClusterSecrets({ ...ALL_PARAMETERS, ...OWN_INIT_LOCK }));
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
    expect(written(n)).toEqual([`${PREFIX}/init/lock`, ...CREATED_SECRETS, ...PUBLISHED]);
    expect(n.ssm()[`${PREFIX}/join/api-endpoint`]).toBe(API_ENDPOINT);
    expect(n.ssm()[VERSION_PARAMETER]).toBe(`v${PINNED_VERSION}`);
  });

  test("downloads the bundle its user data names from the assets bucket, checks each file, installs node files", () => {
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

  // The switchable add-ons (EBS CSI driver, metrics-server, cluster autoscaler) are on by default.
  test("applies the CNI, ENIConfigs, cloud controller, termination handler, switchable add-ons, server-side", () => {
    const applies = n.callsOf("kubectl apply");
    expect(applies).toHaveLength(8);
    for (const a of applies)
      expect(a).toMatch(/^kubectl apply --server-side --force-conflicts --field-manager=k8s-bootstrap -f /);
    const applied = fs.readdirSync(path.join(n.state, "applied")).sort();
    expect(applied).toEqual([
      "1-vpc-cni.yaml",
      "2-eniconfigs",
      "3-cloud-config.yaml",
      "4-cloud-controller-manager.yaml",
      "5-node-termination-handler.yaml",
      "6-ebs-csi-driver.yaml",
      "7-metrics-server.yaml",
      "8-cluster-autoscaler.yaml",
    ]);
    // The switchable add-ons are applied as the bundle carries them, byte for byte.
    for (const [applied, f] of [
      ["6-ebs-csi-driver.yaml", "ebs-csi-driver.yaml"],
      ["7-metrics-server.yaml", "metrics-server.yaml"],
      ["8-cluster-autoscaler.yaml", "cluster-autoscaler.yaml"],
    ])
      expect([f, fs.readFileSync(path.join(n.state, "applied", applied), "utf8")]).toEqual([
        f,
        BUNDLE.files.find((b) => b.path === f)!.text,
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

  // docs/operations.md "Upgrading the add-ons": k8s-addons is run again by hand with a new bundle.
  test("creates the default StorageClass after the driver, only when absent: a re-run keeps an operator's", () => {
    const file = path.join(n.state, "created", "default-storage-class.yaml");
    expect(fs.readFileSync(file, "utf8")).toBe(BUNDLE.files.find((f) => f.path === "default-storage-class.yaml")!.text);
    const create = n.indexOf("kubectl create -f ");
    expect(n.calls[create]).toMatch(/\/default-storage-class\.yaml$/);
    expect(create).toBeGreaterThan(n.calls.findIndex((c) => c.endsWith("/ebs-csi-driver.yaml")));
    expect(n.callsOf("kubectl apply").filter((c) => c.includes("storage-class"))).toEqual([]);
    // The operator's version (the default annotation removed) stays: the re-run's create finds it.
    fs.writeFileSync(file, "operator's StorageClass\n");
    const bundleDir = path.join(n.root, "var/lib/k8s-bootstrap/bundle", BUNDLE.digest);
    const again = n.exec("/usr/local/sbin/k8s-addons", bundleDir);
    expectSuccess(again);
    expect(again.callsOf("kubectl create -f ")).toHaveLength(1);
    expect(fs.readFileSync(file, "utf8")).toBe("operator's StorageClass\n");
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
      "kubeadm init phase upload-certs --upload-certs --skip-certificate-key-print " +
        `--certificate-key ${key} --kubeconfig ${n.root}/etc/kubernetes/admin.conf`,
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

  test("the token refresh publishes kubernetesVersion of kubeadm's ClusterConfiguration (kubeadm-config)", () => {
    setClusterVersion(n, "1.35.9");
    const r = n.exec("/usr/local/sbin/k8s-join-refresh", "token");
    expectSuccess(r);
    expect(r.calls).toContain(
      `kubectl --kubeconfig ${n.root}/etc/kubernetes/admin.conf --namespace kube-system get configmap kubeadm-config` +
        " -o jsonpath={.data.ClusterConfiguration}",
    );
    // Never an API server's /version: behind the load balancer it may be one not yet upgraded.
    expect(r.calls.filter((c) => c.includes("/version"))).toEqual([]);
    expect(n.ssm()[VERSION_PARAMETER]).toBe("v1.35.9");
    setClusterVersion(n, PINNED_VERSION);
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

describe("re-running the bootstrap in place (the etcd restore runbook's step 8)", () => {
  // A later apply replaced the bundle in S3, and Ubuntu's archive moved containerd on since the first boot.
  test("the S3 bundle replaced, Ubuntu's containerd moved on: the node re-joins with its checked local bundle", () => {
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
        "apt-get -y -q -o DPkg::Lock::Timeout=600 -o Dpkg::Options::=--force-confold " +
          "--allow-change-held-packages install",
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
