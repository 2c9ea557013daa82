/**
 * The add-on bundle the first control-plane node applies (src/addons/): vendored upstream files
 * exactly as SOURCE.json records them, every object valid against the Kubernetes API schema (and
 * the ENIConfigs against the VPC CNI's own CRD), images the kubelet can pull as configured and that
 * are pinned, the host-network pods per role, our patches, and the SHA256SUMS index. No synth.
 */
import * as crypto from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import Ajv from "ajv";
import * as core from "kubernetes-models/v1";
import * as apps from "kubernetes-models/apps/v1";
import * as rbac from "kubernetes-models/rbac.authorization.k8s.io/v1";
import * as apiextensions from "kubernetes-models/apiextensions.k8s.io/v1";
import * as storage from "kubernetes-models/storage.k8s.io/v1";
import * as policy from "kubernetes-models/policy/v1";
import * as apiregistration from "kubernetes-models/apiregistration.k8s.io/v1";
import { AddonBundle, BUNDLE_FILES, addonBundle, bundleImages } from "../src/addons/bundle";
import { parseObjects } from "../src/addons/manifest-objects";
import { hostNetworkPods } from "../src/addons/host-network";
import {
  Container,
  KubeObject,
  PatchError,
  PodSpec,
  addArgs,
  container,
  find,
  podSpec,
  setImageTag,
} from "../src/addons/patches";
import { addonsRoot, loadVendored, repositoryFolder } from "../src/addons/vendored";
import { imagePullProblems, pullAuthority, unpinned } from "../src/bootstrap/image-pulls";
import { ADDON_VERSIONS, CLOUD_CONTROLLER_MANAGER_IMAGE, SUPPORTED_KUBERNETES_MINORS } from "../src/bootstrap/versions";
import { regExp } from "./helpers/regexp";
import { AUTOSCALING_ADDON_VERSIONS, CLUSTER_AUTOSCALER_IMAGE, METRICS_SERVER_IMAGE } from "../src/bootstrap/versions";
import { thrown } from "./helpers/thrown";

const CLUSTER = "k8s-cluster";
const bundle = (minor = "1.35", clusterName = CLUSTER): AddonBundle =>
  addonBundle({ clusterName, region: "ap-northeast-2", kubernetesMinor: minor });
/** addonBundle caches and returns shared objects: every test that changes one works on a clone. */
const clone = <T>(x: T): T => structuredClone(x);
const sha = (b: string | Buffer): string => crypto.createHash("sha256").update(b).digest("hex");
const file = (b: AddonBundle, p: string) => b.files.find((f) => f.path === p)!;
const podOf = (o: KubeObject): PodSpec => (o.spec as { template: { spec: PodSpec } }).template.spec;
const awsNode = (b: AddonBundle): KubeObject =>
  find(file(b, BUNDLE_FILES.vpcCni).objects, "DaemonSet", "aws-node", "test");
const ccm = (b: AddonBundle): KubeObject =>
  find(file(b, BUNDLE_FILES.cloudController).objects, "DaemonSet", "aws-cloud-controller-manager", "test");

const ROOT = addonsRoot();
/** addons/<name>/<version> folders as they are on disk. */
const FOLDERS = fs
  .readdirSync(ROOT)
  .flatMap((n) => fs.readdirSync(path.join(ROOT, n)).map((v) => `${n}/${v}`))
  .sort();
const VPC_CNI_FILE = "vpc-cni/v1.23.0/aws-k8s-cni.yaml";
const UPSTREAM_CNI = parseObjects(fs.readFileSync(path.join(ROOT, VPC_CNI_FILE), "utf8"), VPC_CNI_FILE);

const tmpDirs: string[] = [];
/** A scratch copy of addons/ with one change made by `edit`. */
function addonsCopy(edit: (root: string) => void): string {
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), "addons-"));
  tmpDirs.push(scratch);
  // Named addons/ like the original: the messages name the folder.
  const root = path.join(scratch, "addons");
  fs.cpSync(ROOT, root, { recursive: true });
  edit(root);
  return root;
}
afterAll(() => tmpDirs.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

describe("vendored files are the bytes SOURCE.json records", () => {
  test.each(FOLDERS)("addons/%s: loadVendored succeeds, every file's SHA-256 equals SOURCE.json", (folder) => {
    const [name, version] = folder.split("/");
    const source = JSON.parse(fs.readFileSync(path.join(ROOT, folder, "SOURCE.json"), "utf8")) as {
      files: Record<string, string>;
    };
    const loaded = loadVendored(name, version);
    expect(Object.fromEntries(loaded.files.map((f) => [path.basename(f.path), f.sha256]))).toEqual(source.files);
    for (const f of loaded.files)
      expect(sha(fs.readFileSync(path.join(ROOT, f.path)))).toBe(source.files[path.basename(f.path)]);
  });

  test("one byte changed in vpc-cni/v1.23.0/aws-k8s-cni.yaml: throws naming the file and SHA-256", () => {
    const root = addonsCopy((r) => {
      const p = path.join(r, VPC_CNI_FILE);
      const bytes = fs.readFileSync(p);
      bytes[0] = bytes[0] === 0x2d ? 0x23 : 0x2d; // "---" -> "#--": still YAML, other bytes
      fs.writeFileSync(p, bytes);
    });
    const m = thrown(() => loadVendored("vpc-cni", "v1.23.0", root)).message;
    expect(m).toMatch(
      regExp(
        /^addons\/vpc-cni\/v1\.23\.0\/aws-k8s-cni\.yaml: SHA-256 is [0-9a-f]{64}, /,
        /SOURCE\.json records 3a932385c0db788d8b080b8a9ea262681ed2b564bcc764f95e5b886bdf8494ab;/,
      ),
    );
  });

  test("an unrecorded file in the folder throws naming it", () => {
    const root = addonsCopy((r) => fs.writeFileSync(path.join(r, "vpc-cni/v1.23.0/extra.yaml"), "kind: ConfigMap\n"));
    expect(thrown(() => loadVendored("vpc-cni", "v1.23.0", root)).message).toBe(
      "addons/vpc-cni/v1.23.0/extra.yaml is not recorded in SOURCE.json; record it with its SHA-256 or remove it",
    );
  });

  test('a SOURCE.json without "commit" throws', () => {
    const root = addonsCopy((r) => {
      const p = path.join(r, "vpc-cni/v1.23.0/SOURCE.json");
      const { commit: _omit, ...rest } = JSON.parse(fs.readFileSync(p, "utf8")) as Record<string, unknown>;
      fs.writeFileSync(p, JSON.stringify(rest));
    });
    expect(thrown(() => loadVendored("vpc-cni", "v1.23.0", root)).message).toBe(
      'addons/vpc-cni/v1.23.0/SOURCE.json: "commit" is missing; record the upstream commit',
    );
  });

  test("every vendored folder is used by the bundle: no stale vendored versions", () => {
    expect(FOLDERS).toEqual([
      "amazon-eks-pod-identity-webhook/v0.6.17",
      "aws-ebs-csi-driver/v1.64.0",
      "aws-node-termination-handler/v1.25.6",
      "cloud-controller-manager/v1.35.2",
      "cluster-autoscaler/v1.35.2",
      "metrics-server/v0.8.1",
      "vpc-cni/v1.23.0",
    ]);
    // Every add-on switched on (the pod identity webhook comes with workload identity).
    for (const minor of SUPPORTED_KUBERNETES_MINORS)
      expect(
        addonBundle({ clusterName: CLUSTER, region: "ap-northeast-2", kubernetesMinor: minor, workloadIdentity: true })
          .vendored.map((v) => `${v.source.name}/${v.source.version}`)
          .sort(),
      ).toEqual(FOLDERS);
  });
});

/**
 * kubernetes-models 4.5.1 is generated from the Kubernetes v1.33.0 OpenAPI; its 5.x releases are
 * ES modules only (package.json "exports" with "import" conditions and no "require"), so there
 * is no CommonJS release for 1.34/1.35 that ts-jest could load. Its schemas accept unknown fields.
 */
type Model = { apiVersion: string; kind: string; new (o: object): { validate(): void } };
const API_GROUPS: Readonly<Record<string, Record<string, unknown>>> = {
  v1: core,
  "apps/v1": apps,
  "rbac.authorization.k8s.io/v1": rbac,
  "apiextensions.k8s.io/v1": apiextensions,
  "storage.k8s.io/v1": storage,
  "policy/v1": policy,
  "apiregistration.k8s.io/v1": apiregistration,
};
const ENICONFIG_API = "crd.k8s.amazonaws.com/v1alpha1";

/** Schema of ENIConfig v1alpha1 from the CRD eniconfigs.crd.k8s.amazonaws.com the bundle's VPC CNI manifest applies. */
function eniConfigSchema(b: AddonBundle): Record<string, unknown> {
  const crd = find(
    file(b, BUNDLE_FILES.vpcCni).objects,
    "CustomResourceDefinition",
    "eniconfigs.crd.k8s.amazonaws.com",
    BUNDLE_FILES.vpcCni,
  );
  const version = (
    crd.spec as { versions: { name: string; schema: { openAPIV3Schema: Record<string, unknown> } }[] }
  ).versions.find((v) => v.name === "v1alpha1")!;
  return version.schema.openAPIV3Schema;
}

/** Throws "<file>: <apiVersion> <kind> <name>: <errors naming the field>" for an invalid object. */
function validate(b: AddonBundle, where: string, o: KubeObject): void {
  const at = `${where}: ${o.apiVersion} ${o.kind} ${o.metadata?.name}`;
  if (o.apiVersion === ENICONFIG_API && o.kind === "ENIConfig") {
    const ajv = new Ajv({ strict: false, allErrors: true });
    const check = ajv.compile(eniConfigSchema(b));
    if (!check(o)) throw new Error(`${at}: ${ajv.errorsText(check.errors)}`);
    return;
  }
  const model = API_GROUPS[o.apiVersion]?.[o.kind] as Model | undefined;
  if (!model || model.apiVersion !== o.apiVersion || model.kind !== o.kind)
    throw new Error(`${at}: not a kind of the GA API groups the bundle uses (${Object.keys(API_GROUPS).join(", ")})`);
  try {
    new model(o).validate();
  } catch (e) {
    throw new Error(`${at}: ${(e as Error).message}`, { cause: e });
  }
}

describe("every object validates against its schema", () => {
  test.each(SUPPORTED_KUBERNETES_MINORS)("Kubernetes %s: every object of every bundle file is valid", (minor) => {
    const b = bundle(minor);
    const checked = b.files.flatMap((f) => f.objects.map((o) => (validate(b, f.path, o), `${f.path} ${o.kind}`)));
    // 6 in vpc-cni.yaml, 1 ENIConfig, 5 in cloud-controller-manager.yaml, 4 of the termination handler,
    // 18 of the EBS CSI driver and its StorageClass, 9 in metrics-server.yaml, 6 in cluster-autoscaler.yaml
    expect(checked).toHaveLength(50);
  });

  test("an unknown apiVersion or kind is a failure", () => {
    const ds = clone(awsNode(bundle()));
    expect(thrown(() => validate(bundle(), "x.yaml", { ...ds, apiVersion: "apps/v1beta2" })).message).toBe(
      "x.yaml: apps/v1beta2 DaemonSet aws-node: not a kind of the GA API groups the bundle uses (v1, apps/v1, " +
        "rbac.authorization.k8s.io/v1, apiextensions.k8s.io/v1, storage.k8s.io/v1, policy/v1, " +
        "apiregistration.k8s.io/v1)",
    );
    expect(thrown(() => validate(bundle(), "x.yaml", { ...ds, kind: "DaemonSetSpec" })).message).toMatch(
      /^x\.yaml: apps\/v1 DaemonSetSpec aws-node: not a kind/,
    );
  });

  test('aws-node with hostNetwork: "yes" fails naming file and field', () => {
    const ds = clone(awsNode(bundle()));
    (podOf(ds) as Record<string, unknown>).hostNetwork = "yes";
    expect(thrown(() => validate(bundle(), BUNDLE_FILES.vpcCni, ds)).message).toBe(
      "vpc-cni.yaml: apps/v1 DaemonSet aws-node: data/spec/template/spec/hostNetwork must be boolean",
    );
  });

  test("vpc-cni v1.23.0's vendored CRD (aws-k8s-cni.yaml) requires spec.subnet, securityGroups as string[]", () => {
    const spec = (eniConfigSchema(bundle()).properties as { spec: unknown }).spec;
    expect(spec).toEqual({
      description: "ENIConfigSpec defines the desired state of ENIConfig",
      properties: { securityGroups: { items: { type: "string" }, type: "array" }, subnet: { type: "string" } },
      required: ["subnet"],
      type: "object",
    });
  });

  test('an ENIConfig with securityGroups: "sg-1" fails; one without subnet fails', () => {
    const eni = clone(file(bundle(), BUNDLE_FILES.eniConfig).objects[0]);
    const badGroups = { ...eni, spec: { subnet: "subnet-1", securityGroups: "sg-1" } };
    expect(thrown(() => validate(bundle(), BUNDLE_FILES.eniConfig, badGroups)).message).toBe(
      "eniconfig.yaml.tmpl: crd.k8s.amazonaws.com/v1alpha1 ENIConfig __ZONE__: data/spec/securityGroups must be array",
    );
    const noSubnet = { ...eni, spec: { securityGroups: ["sg-1"] } };
    expect(thrown(() => validate(bundle(), BUNDLE_FILES.eniConfig, noSubnet)).message).toBe(
      "eniconfig.yaml.tmpl: crd.k8s.amazonaws.com/v1alpha1 ENIConfig __ZONE__: " +
        "data/spec must have required property 'subnet'",
    );
  });
});

const ECR = "602401143452.dkr.ecr.us-west-2.amazonaws.com";
describe("images: pullable as the kubelet is configured, and pinned", () => {
  // The handler's image: addons/aws-node-termination-handler/v1.25.6/values.yaml image.repository,
  // tag v + Chart.yaml appVersion.
  const NTH_IMAGE = "public.ecr.aws/aws-ec2/aws-node-termination-handler:v1.25.6";
  // The EBS CSI driver's, as addons/aws-ebs-csi-driver/v1.64.0/controller.yaml and node.yaml name them.
  const EBS_IMAGES = [
    "public.ecr.aws/ebs-csi-driver/aws-ebs-csi-driver:v1.64.0",
    "public.ecr.aws/csi-components/csi-provisioner:v6.3.0-eksbuild.4",
    "public.ecr.aws/csi-components/csi-attacher:v4.12.0-eksbuild.5",
    "public.ecr.aws/csi-components/csi-snapshotter:v8.6.0-eksbuild.5",
    "public.ecr.aws/csi-components/csi-resizer:v2.2.1-eksbuild.3",
    "public.ecr.aws/csi-components/livenessprobe:v2.19.0-eksbuild.5",
    "public.ecr.aws/csi-components/csi-node-driver-registrar:v2.17.0-eksbuild.5",
  ];
  // addons/metrics-server/v0.8.1/release-component-kustomization.yaml newName:newTag; the autoscaler per minor.
  const METRICS_SERVER = "registry.k8s.io/metrics-server/metrics-server:v0.8.1";
  const autoscaler = (minor: string) =>
    `${CLUSTER_AUTOSCALER_IMAGE}:${AUTOSCALING_ADDON_VERSIONS.clusterAutoscaler[minor]}`;
  test("Kubernetes 1.35: vpc-cni v1.23.0 aws-k8s-cni.yaml's images, the CCM at ADDON_VERSIONS, the handler's", () => {
    expect(bundleImages(bundle("1.35"))).toEqual([
      `${ECR}/amazon-k8s-cni-init:v1.23.0`,
      `${ECR}/amazon-k8s-cni:v1.23.0`,
      `${ECR}/amazon/aws-network-policy-agent:v1.4.1`,
      `registry.k8s.io/provider-aws/cloud-controller-manager:${ADDON_VERSIONS.cloudControllerManager["1.35"]}`,
      NTH_IMAGE,
      ...EBS_IMAGES,
      METRICS_SERVER,
      "registry.k8s.io/autoscaling/cluster-autoscaler:v1.35.2",
    ]);
    expect(METRICS_SERVER).toBe(`${METRICS_SERVER_IMAGE}:${AUTOSCALING_ADDON_VERSIONS.metricsServer}`);
    expect(ADDON_VERSIONS.cloudControllerManager["1.35"]).toBe("v1.35.2");
  });

  test.each(SUPPORTED_KUBERNETES_MINORS)(
    "Kubernetes %s: every image has a pull authority and is pinned; no pull problems",
    (minor) => {
      const b = bundle(minor);
      expect(bundleImages(b).map((i) => [i, pullAuthority(i), unpinned(i)])).toEqual([
        ...["amazon-k8s-cni-init:v1.23.0", "amazon-k8s-cni:v1.23.0", "amazon/aws-network-policy-agent:v1.4.1"].map(
          (i) => [`${ECR}/${i}`, "credential provider", undefined],
        ),
        [`${CLOUD_CONTROLLER_MANAGER_IMAGE}:${ADDON_VERSIONS.cloudControllerManager[minor]}`, "public", undefined],
        [NTH_IMAGE, "public", undefined],
        ...EBS_IMAGES.map((i) => [i, "public", undefined]),
        [METRICS_SERVER, "public", undefined],
        [autoscaler(minor), "public", undefined],
      ]);
      expect(imagePullProblems(b.files)).toEqual([]);
    },
  );

  const NO_PROVIDER =
    "602401143452.dkr.ecr.us-west-2.amazonaws.com is no public registry (registry.k8s.io, public.ecr.aws) and no " +
    "matchImages pattern of the CredentialProviderConfig covers it";
  test("a CredentialProviderConfig without providers: the three ECR images, whatever their imagePullPolicy", () => {
    const b = bundle();
    const lines = (init: string) => [
      `vpc-cni.yaml: DaemonSet aws-node container aws-vpc-cni-init: image ${ECR}/amazon-k8s-cni-init:v1.23.0 ` +
        `(imagePullPolicy ${init}): ${NO_PROVIDER}`,
      `vpc-cni.yaml: DaemonSet aws-node container aws-node: image ${ECR}/amazon-k8s-cni:v1.23.0 ` +
        `(imagePullPolicy IfNotPresent): ${NO_PROVIDER}`,
      `vpc-cni.yaml: DaemonSet aws-node container aws-eks-nodeagent: image ` +
        `${ECR}/amazon/aws-network-policy-agent:v1.4.1 (imagePullPolicy IfNotPresent): ${NO_PROVIDER}`,
    ];
    expect(imagePullProblems(b.files, { providers: [] })).toEqual(lines("IfNotPresent"));
    const ds = clone(awsNode(b));
    podOf(ds).initContainers![0].imagePullPolicy = "Always";
    expect(imagePullProblems([{ path: BUNDLE_FILES.vpcCni, objects: [ds] }], { providers: [] })).toEqual(
      lines("Always"),
    );
  });

  test("docker.io/library/busybox:latest: neither pullable nor pinned, one line with both reasons", () => {
    const pod = {
      apiVersion: "v1",
      kind: "Pod",
      metadata: { name: "debug" },
      spec: { containers: [{ name: "sh", image: "docker.io/library/busybox:latest" }] },
    };
    expect(imagePullProblems([{ path: "debug.yaml", objects: [pod] }])).toEqual([
      "debug.yaml: Pod debug container sh: image docker.io/library/busybox:latest (imagePullPolicy Always " +
        "(default)): docker.io is no public registry (registry.k8s.io, public.ecr.aws) and no matchImages pattern " +
        "of the CredentialProviderConfig covers it; the image is tagged latest",
    ]);
  });
});

describe("host-network pods per role", () => {
  // aws-node: hostNetwork: true and tolerations [{operator: Exists}] in addons/vpc-cni/v1.23.0/aws-k8s-cni.yaml.
  // aws-cloud-controller-manager: hostNetwork: true, nodeSelector node-role.kubernetes.io/control-plane and its
  // NoSchedule toleration in addons/cloud-controller-manager/v1.35.2/aws-cloud-controller-manager-daemonset.yaml.
  // The host-network Deployments on the control-plane nodes count once each (one pod per node: their
  // container ports are host ports, or one Recreate replica): the node termination handler
  // (port 8080), the EBS CSI controller without workload identity (healthz 9808), the cluster
  // autoscaler (one replica, Recreate). Counted on every control-plane node, as any may run them, so
  // that a full node never leaves a controller Pending (src/addons/host-network.ts).
  test("control plane: kubeadm's pods, aws-node, the cloud controller, the host-network Deployments", () => {
    expect(hostNetworkPods(bundle(), "control-plane")).toEqual([
      "etcd",
      "kube-apiserver",
      "kube-controller-manager",
      "kube-scheduler",
      "kube-proxy",
      "aws-node",
      "aws-cloud-controller-manager",
      "aws-node-termination-handler",
      "ebs-csi-controller",
      "cluster-autoscaler",
    ]);
  });
  test("worker: kube-proxy and aws-node", () => {
    expect(hostNetworkPods(bundle(), "worker")).toEqual(["kube-proxy", "aws-node"]);
  });
});

describe("patches (src/addons/patches.ts) are visible in the bundle and checked", () => {
  const PATCHED = {
    CLUSTER_NAME: CLUSTER,
    AWS_VPC_K8S_CNI_CUSTOM_NETWORK_CFG: "true",
    ENI_CONFIG_LABEL_DEF: "topology.kubernetes.io/zone",
    AWS_VPC_K8S_CNI_EXTERNALSNAT: "true",
    ENABLE_SUBNET_DISCOVERY: "false",
  };
  const envOf = (ds: KubeObject) => container(podOf(ds), "aws-node", "test").env!;

  test("aws-node env: each variable of ours exactly once; upstream's are replaced in place, not duplicated", () => {
    const upstream = envOf(find(UPSTREAM_CNI, "DaemonSet", "aws-node", VPC_CNI_FILE));
    const ours = envOf(awsNode(bundle()));
    // Upstream (addons/vpc-cni/v1.23.0/aws-k8s-cni.yaml) sets three of them, the other way.
    expect(Object.fromEntries(upstream.filter((e) => e.name in PATCHED).map((e) => [e.name, e.value]))).toEqual({
      AWS_VPC_K8S_CNI_CUSTOM_NETWORK_CFG: "false",
      AWS_VPC_K8S_CNI_EXTERNALSNAT: "false",
      ENABLE_SUBNET_DISCOVERY: "true",
    });
    for (const [name, value] of Object.entries(PATCHED))
      expect(ours.filter((e) => e.name === name)).toEqual([{ name, value }]);
    expect(ours.map((e) => e.name)).toEqual([...upstream.map((e) => e.name), "CLUSTER_NAME", "ENI_CONFIG_LABEL_DEF"]);
  });

  test("CCM args: the example's four, then --cloud-config and --cluster-name", () => {
    // addons/cloud-controller-manager/v1.35.2/aws-cloud-controller-manager-daemonset.yaml
    const upstream = [
      "--v=2",
      "--cloud-provider=aws",
      "--use-service-account-credentials=true",
      "--configure-cloud-routes=false",
    ];
    expect(container(podOf(ccm(bundle())), "aws-cloud-controller-manager", "test").args).toEqual([
      ...upstream,
      "--cloud-config=/etc/aws/cloud.conf",
      `--cluster-name=${CLUSTER}`,
    ]);
  });

  test("a patch throws a PatchError naming the manifest when its object or container is missing", () => {
    const where = `addons/${VPC_CNI_FILE}`;
    const noDaemonSet = UPSTREAM_CNI.filter((o) => o.kind !== "DaemonSet");
    const e1 = thrown(() => find(noDaemonSet, "DaemonSet", "aws-node", where));
    expect([e1 instanceof PatchError, e1.message]).toEqual([
      true,
      `${where}: expected one DaemonSet aws-node, found 0; re-check the patch against the vendored manifest`,
    ]);
    const ds = clone(find(UPSTREAM_CNI, "DaemonSet", "aws-node", where));
    podOf(ds).containers = podOf(ds).containers.filter((c) => c.name !== "aws-node");
    const e2 = thrown(() => container(podOf(ds), "aws-node", where));
    expect([e2 instanceof PatchError, e2.message]).toEqual([
      true,
      `${where}: no container aws-node (containers: aws-eks-nodeagent)`,
    ]);
    const e3 = thrown(() => podSpec({ ...ds, spec: {} }, where));
    expect([e3 instanceof PatchError, e3.message]).toEqual([true, `${where}: DaemonSet aws-node has no pod template`]);
    const c: Container = { name: "x", image: "registry.k8s.io/pause:3.10", args: ["--cloud-config=/a"] };
    expect(thrown(() => setImageTag(c, CLOUD_CONTROLLER_MANAGER_IMAGE, "v1", "m.yaml")).message).toBe(
      "m.yaml: container x runs registry.k8s.io/pause:3.10, not " +
        "registry.k8s.io/provider-aws/cloud-controller-manager; re-check the image pin",
    );
    expect(thrown(() => addArgs(c, ["--cloud-config=/b"], "m.yaml")).message).toBe(
      "m.yaml: container x already sets --cloud-config",
    );
  });
});

describe("the bundle: SHA256SUMS index and digest", () => {
  test("sums: every file with its SHA-256, sha256sum format, sorted by path; digest = SHA-256 of sums", () => {
    const b = bundle();
    const byPath = [...b.files].sort((x, y) => (x.path < y.path ? -1 : 1));
    expect(b.sums).toBe(byPath.map((f) => `${sha(f.text)}  ${f.path}\n`).join(""));
    expect(b.sums.split("\n").map((l) => l.slice(66))).toEqual([
      "cloud-controller-manager.yaml",
      "cloud.conf.tmpl",
      "cluster-autoscaler.yaml",
      "default-storage-class.yaml",
      "ebs-csi-driver.yaml",
      "eniconfig.yaml.tmpl",
      "metrics-server.yaml",
      "node-termination-handler.yaml.tmpl",
      "vpc-cni.yaml",
      "",
    ]);
    expect(b.digest).toBe(sha(b.sums));
  });

  test("equal settings, computed afresh (not cached), give the same digest; another cluster name another", async () => {
    let fresh: typeof import("../src/addons/bundle") | undefined;
    await jest.isolateModulesAsync(async () => {
      fresh = await import("../src/addons/bundle");
    });
    const again = fresh!.addonBundle({ clusterName: CLUSTER, region: "ap-northeast-2", kubernetesMinor: "1.35" });
    expect(again).not.toBe(bundle());
    expect([again.digest, again.files.map((f) => f.text)]).toEqual([
      bundle().digest,
      bundle().files.map((f) => f.text),
    ]);
    expect(bundle("1.35", "other-cluster").digest).not.toBe(bundle().digest);
    expect(bundle("1.34").digest).not.toBe(bundle().digest);
  });

  test.each(SUPPORTED_KUBERNETES_MINORS)(
    "Kubernetes %s: no bundle file mentions github.com or githubusercontent.com",
    (minor) => {
      expect(
        bundle(minor)
          .files.filter((f) => /github\.com|githubusercontent\.com/.test(f.text))
          .map((f) => f.path),
      ).toEqual([]);
    },
  );
});

describe("vendored upstream data (data/)", () => {
  test("eni-max-pods v1.23.0: the bytes SOURCE.json records, from the VPC CNI release the add-on pins", () => {
    expect(repositoryFolder("data", "eni-max-pods")).toBe(path.resolve(__dirname, "../data"));
    const loaded = loadVendored("eni-max-pods", "v1.23.0", repositoryFolder("data", "eni-max-pods"));
    expect(loaded.source).toMatchObject({
      repository: "https://github.com/aws/amazon-vpc-cni-k8s",
      path: "misc/eni-max-pods.txt",
      version: ADDON_VERSIONS.vpcCni,
    });
    const cni = JSON.parse(
      fs.readFileSync(path.join(ROOT, "vpc-cni", ADDON_VERSIONS.vpcCni, "SOURCE.json"), "utf8"),
    ) as { commit: string };
    expect(loaded.source.commit).toBe(cni.commit);
    expect(loaded.files[0].text).toMatch(/^# Mapping is calculated from AWS EC2 API/m);
  });
});
