/**
 * The real user data, run under bash with stub commands (harness/): what a node installs and
 * checks before kubeadm runs (kubelet max-pods from its instance type, the packages the image
 * really has, the cluster bundle checked against its digest) and a failing step stopping the
 * bootstrap where it failed. The node that creates the cluster: bootstrap-create.test.ts.
 */
import * as crypto from "crypto";
import { ASSETS_BUCKET, PINNED_VERSION, PREFIX, TERRAFORM_PARAMETERS, credentialProviderBytes } from "../harness/node";
import { packagesInstalledBy, stubsWithoutPackage } from "../harness/packages";
import {
  ALL_PARAMETERS,
  BUNDLE,
  CREATED_SECRETS,
  expectSuccess,
  failedLines,
  nodeRunner,
  written,
  yamlDocs,
} from "../harness/boot";
import { BOOTSTRAP_SCRIPTS } from "../../src/bootstrap/scripts";
import { ECR_CREDENTIAL_PROVIDER } from "../../src/bootstrap/versions";
import { hostNetworkPods } from "../../src/addons/host-network";
import { regExp } from "../helpers/regexp";

const node = nodeRunner();

// The VPC CNI with custom networking: pods get no address of the node's primary ENI (hence ENIs - 1).
describe("kubelet max-pods from the instance type: (ENIs - 1) * (addresses - 1) + host-network pods", () => {
  const maxPods = (config: string | undefined) =>
    (yamlDocs(config!)[0].nodeRegistration.kubeletExtraArgs as { name: string; value: string }[]).filter(
      (a) => a.name === "max-pods",
    );

  test("t3.large: type from IMDSv2, ENI limits from EC2, (3 - 1) * (12 - 1) + 2 = 24 passed to kubeadm join", () => {
    const n = node("worker", { ssm: ALL_PARAMETERS, instance: { type: "t3.large", maxEnis: 3, ipsPerEni: 12 } });
    expectSuccess(n);
    expect(n.byCommand[0].filter((c) => c.startsWith("curl") && c.endsWith("/meta-data/instance-type"))).toEqual([
      "curl -fsS --max-time 5 -H X-aws-ec2-metadata-token: imds-session-token " +
        "http://169.254.169.254/latest/meta-data/instance-type",
    ]);
    expect(n.callsOf("aws ec2 describe-instance-types")).toEqual([
      "aws ec2 describe-instance-types --instance-types t3.large --output text " +
        "--query InstanceTypes[0].NetworkInfo.[MaximumNetworkInterfaces,Ipv4AddressesPerInterface]",
    ]);
    expect(n.indexOf("aws ec2 describe-instance-types")).toBeLessThan(n.indexOf("kubeadm join"));
    expect(maxPods(n.kept("kubeadm-join.yaml"))).toEqual([{ name: "max-pods", value: "24" }]);
    expect(n.stderr).toContain("max-pods 24 for t3.large");
  });

  test("a control-plane joiner on m5.xlarge: (4 - 1) * (15 - 1) + its bundle's host-network pods", () => {
    const n = node("control-plane", {
      ssm: ALL_PARAMETERS,
      instance: { type: "m5.xlarge", maxEnis: 4, ipsPerEni: 15 },
    });
    expectSuccess(n);
    // Derived from the bundle's manifests (src/addons/host-network.ts, __tests__/host-network-pods.test.ts).
    const hostNetwork = hostNetworkPods(BUNDLE, "control-plane").length;
    const expected = (4 - 1) * (15 - 1) + hostNetwork;
    expect(maxPods(n.kept("kubeadm-join.yaml"))).toEqual([{ name: "max-pods", value: String(expected) }]);
    expect(n.stderr).toContain(`max-pods ${expected} for m5.xlarge (${hostNetwork} on the host network)`);
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

  test("describe-instance-types keeps failing: stops after its bound, one line naming the step, no kubeadm", () => {
    const n = node("control-plane", { ssm: TERRAFORM_PARAMETERS, fail: ["aws ec2 describe-instance-types"] });
    expect(n.status).toBe(1);
    expect(n.callsOf("aws ec2 describe-instance-types")).toHaveLength(5);
    expect(failedLines(n.stderr)).toEqual([
      "k8s-bootstrap: FAILED at step 'compute max-pods': gave up after 5 attempts (50s): " +
        "ENI limits of t3.large (ec2 describe-instance-types)",
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

describe("a failing command", () => {
  test("kubeadm init fails: the script stops there, names the step, publishes nothing after, applies nothing", () => {
    const n = node("control-plane", { ssm: TERRAFORM_PARAMETERS, fail: ["kubeadm init --config"] });
    expect(n.status).toBe(1);
    const failed = failedLines(n.stderr);
    expect(failed).toHaveLength(1);
    expect(failed[0]).toMatch(
      regExp(
        /^k8s-bootstrap: FAILED at step 'kubeadm init' \(exit 1\): /,
        /kubeadm init --config "\$KUBEADM_CONFIG" --upload-certs/,
      ),
    );
    const bootstrap = n.byCommand[0];
    expect(bootstrap[bootstrap.length - 1]).toMatch(/^kubeadm init --config/);
    // The cluster secrets are created before kubeadm init; the next node to win the lock uses them.
    expect(written(n)).toEqual([`${PREFIX}/init/lock`, ...CREATED_SECRETS]);
    expect(n.indexOf("kubectl")).toBe(-1);
    expect(n.nodeFile("var/lib/k8s-bootstrap/done")).toBeUndefined();
  });

  test("a failure inside node preparation stops the bootstrap before any kubeadm call", () => {
    const n = node("worker", { ssm: ALL_PARAMETERS, fail: ["gpg"] });
    expect(n.status).toBe(1);
    expect(failedLines(n.stderr)).toEqual([
      "k8s-node-prepare: FAILED at step 'add the Kubernetes v1.35 apt repository' (exit 1): " +
        'gpg --batch --yes --dearmor -o "${ROOT}${KEYRING}" "${WORK}/Release.key"',
      `k8s-bootstrap: FAILED at step 'install Kubernetes ${PINNED_VERSION}' (exit 1): ` +
        '"${SBIN}/k8s-node-prepare" kubernetes "$K8S_INSTALL"',
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

  test("without cri-tools, the harness refuses the crictl stub (kubeadm 1.32+ packages need not pull it in)", () => {
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
        "k8s-node-prepare: FAILED at step 'install containerd 2.x and runc': " +
          `containerd ${build} is installed, not 2.1 or later: its configuration (version 3) would not load`,
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
      "k8s-node-prepare: FAILED at step 'install the ECR credential provider': gave up after 10 attempts (150s): " +
        `${ECR_CREDENTIAL_PROVIDER.url("amd64")} with SHA-256 ${sum}`,
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
      `k8s-bootstrap: FAILED at step 'fetch the cluster bundle ${BUNDLE.digest.slice(0, 12)}': ` +
        `gave up after 10 attempts (150s): cluster bundle s3://${ASSETS_BUCKET}/addons/${BUNDLE.digest}/ ` +
        "(every file as its SHA256SUMS says)",
    );
    expect(n.indexOf("kubeadm")).toBe(-1);
    expect(n.indexOf("kubectl apply")).toBe(-1);
  });

  test("workers never touch the bucket (their role may not read it); control-plane joiners get timers from it", () => {
    const w = node("worker", { ssm: ALL_PARAMETERS });
    expectSuccess(w);
    expect(w.indexOf("aws s3")).toBe(-1);
    expect(w.indexOf(`aws ssm get-parameter --name ${PREFIX}/assets/bucket`)).toBe(-1);
    const cp = node("control-plane", { ssm: ALL_PARAMETERS });
    expectSuccess(cp);
    expect(cp.callsOf("aws s3 cp --recursive")).toHaveLength(1);
    expect(cp.nodeFile("etc/systemd/system/k8s-join-refresh@token.timer")).toContain("OnUnitActiveSec=12h");
  });

  test("a missing file or a never-uploaded bundle fails too (aws s3 cp of an empty prefix succeeds)", () => {
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
