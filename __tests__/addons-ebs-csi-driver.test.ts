/**
 * The AWS EBS CSI driver in the bundle (src/addons/ebs-csi-driver.ts): its kustomize base vendored
 * at addons/aws-ebs-csi-driver/v1.64.0/ (deploy/kubernetes/base of kubernetes-sigs/aws-ebs-csi-driver
 * at the release commit), rendered as its kustomization.yaml does, our visible patches, the
 * default StorageClass, and the configuration switch that leaves all of it out.
 */
import * as fs from "fs";
import * as path from "path";
import { parse, parseAllDocuments } from "yaml";
import * as storage from "kubernetes-models/storage.k8s.io/v1";
import { AddonBundle, BUNDLE_FILES, addonBundle, bundleImages } from "../src/addons/bundle";
import {
  DEFAULT_STORAGE_CLASS_NAME,
  EBS_CSI_PROVISIONER,
  INITIALISED_NODE_LABEL,
  NODE_PLUGIN_ARGS,
  kustomizedObjects,
} from "../src/addons/ebs-csi-driver";
import { hostNetworkPods } from "../src/addons/host-network";
import { Container, KubeObject, PodSpec, find } from "../src/addons/patches";
import { VendoredAddon, addonsRoot, loadVendored } from "../src/addons/vendored";
import { ADDON_VERSIONS } from "../src/bootstrap/versions";
import { pullAuthority, unpinned } from "../src/bootstrap/image-pulls";
import { renderUserData } from "../src/bootstrap";
import { settingsFor } from "./harness/node";
import { resolveConfig } from "../src/config";
import { buildApp } from "../src/app";

const VERSION = ADDON_VERSIONS.ebsCsiDriver;
const DIR = path.join(addonsRoot(), "aws-ebs-csi-driver", VERSION);
const vendored = loadVendored("aws-ebs-csi-driver", VERSION);
/** A vendored file's objects, exactly as upstream wrote them. */
const upstreamFile = (f: string): KubeObject[] =>
  parseAllDocuments(fs.readFileSync(path.join(DIR, f), "utf8")).map((d) => d.toJS() as KubeObject);
const UPSTREAM_CONTROLLER = upstreamFile("controller.yaml")[0];
const UPSTREAM_NODE = upstreamFile("node.yaml")[0];

const bundle = (extra: Partial<Parameters<typeof addonBundle>[0]> = {}): AddonBundle =>
  addonBundle({ clusterName: "k8s-cluster", region: "eu-west-1", kubernetesMinor: "1.35", ...extra });
const objectsOf = (b: AddonBundle) =>
  b.files.find((f) => f.path === BUNDLE_FILES.ebsCsiDriver || f.path === BUNDLE_FILES.ebsCsiDriverTemplate)!.objects;
const podOf = (o: KubeObject): PodSpec => (o.spec as { template: { spec: PodSpec } }).template.spec;
const controller = (b = bundle()) => find(objectsOf(b), "Deployment", "ebs-csi-controller", "test");
const nodePlugin = (b = bundle()) => find(objectsOf(b), "DaemonSet", "ebs-csi-node", "test");
const containerOf = (spec: PodSpec, name: string): Container => spec.containers.find((c) => c.name === name)!;

describe("the vendored base, rendered as its kustomization.yaml does", () => {
  const kustomization = parse(fs.readFileSync(path.join(DIR, "kustomization.yaml"), "utf8")) as {
    namespace: string;
    resources: string[];
  };

  test("SOURCE.json: release v1.64.0, its commit, the tag's commit, deploy/kubernetes/base", () => {
    expect(vendored.source).toMatchObject({
      name: "aws-ebs-csi-driver",
      version: "v1.64.0",
      repository: "https://github.com/kubernetes-sigs/aws-ebs-csi-driver",
      commit: "9767d8523ae16f864f027f90cb952bd0e46c4b93",
      tag: "v1.64.0",
      tagCommit: "6689789f192f8941878801f2730ea972a1196047",
      path: "deploy/kubernetes/base",
    });
    expect(Object.keys(vendored.source.files).sort()).toEqual(
      ["kustomization.yaml", ...kustomization.resources].sort(),
    );
  });

  test("every file of resources, in order, each object in kube-system unless cluster-scoped", () => {
    const objects = kustomizedObjects(vendored);
    const fromFiles = kustomization.resources.flatMap(upstreamFile);
    expect(objects.map((o) => `${o.kind}/${o.metadata.name}`)).toEqual(
      fromFiles.map((o) => `${o.kind}/${o.metadata.name}`),
    );
    expect(kustomization.namespace).toBe("kube-system");
    const clusterScoped = ["ClusterRole", "ClusterRoleBinding", "CSIDriver"];
    for (const o of objects)
      expect([o.kind, o.metadata.namespace]).toEqual([
        o.kind,
        clusterScoped.includes(o.kind) ? undefined : "kube-system",
      ]);
    // The files name no namespace at all: without the kustomization's, kubectl would use "default".
    expect(fromFiles.filter((o) => o.metadata.namespace !== undefined)).toEqual([]);
  });

  test("the bindings' ServiceAccount subjects get the namespace too", () => {
    const subjects = kustomizedObjects(vendored).flatMap(
      (o) => (o.subjects as { kind: string; name: string; namespace: string }[] | undefined) ?? [],
    );
    expect(subjects.length).toBe(6);
    for (const s of subjects) expect(s).toEqual({ kind: "ServiceAccount", name: s.name, namespace: "kube-system" });
  });

  test("denied: a kustomization that does more than namespace and resources (images, patches, ...)", () => {
    const files = vendored.files.map((f) =>
      f.path.endsWith("/kustomization.yaml") ? { ...f, text: `${f.text}images:\n- name: x\n  newTag: y\n` } : f,
    );
    expect(() => kustomizedObjects({ ...vendored, files } as VendoredAddon)).toThrow(
      "addons/aws-ebs-csi-driver/v1.64.0/kustomization.yaml uses images; render it here first",
    );
  });

  test("denied: a kind the renderer does not know the scope of", () => {
    const files = vendored.files.map((f) =>
      f.path.endsWith("/csidriver.yaml") ? { ...f, text: "kind: Widget\napiVersion: v1\nmetadata:\n  name: w\n" } : f,
    );
    expect(() => kustomizedObjects({ ...vendored, files } as VendoredAddon)).toThrow(
      "addons/aws-ebs-csi-driver/v1.64.0/csidriver.yaml: Widget is neither a known namespaced nor cluster-scoped kind",
    );
  });
});

describe("images: those controller.yaml and node.yaml name, on ECR Public, pinned, never private ECR", () => {
  const named = [UPSTREAM_CONTROLLER, UPSTREAM_NODE].flatMap((o) => podOf(o).containers.map((c) => c.image));

  test("the bundle's driver images are exactly the vendored files' images", () => {
    const inBundle = objectsOf(bundle()).flatMap((o) =>
      o.kind === "Deployment" || o.kind === "DaemonSet" ? podOf(o).containers.map((c) => c.image) : [],
    );
    expect(inBundle).toEqual(named);
    expect(new Set(named)).toEqual(new Set(bundleImages(bundle()).filter((i) => named.includes(i))));
  });

  test.each([...new Set(named)])("%s: public.ecr.aws, pullable without credentials, pinned", (image) => {
    expect(image).toMatch(/^public\.ecr\.aws\/(ebs-csi-driver|csi-components)\/[a-z-]+:v[0-9][0-9a-z.-]*$/);
    expect(image).not.toMatch(/\.dkr\.ecr\./);
    expect(pullAuthority(image)).toBe("public");
    expect(unpinned(image)).toBeUndefined();
  });

  test("the driver image is the release's, and no container pulls Always", () => {
    expect(containerOf(podOf(UPSTREAM_CONTROLLER), "ebs-plugin").image).toBe(
      `public.ecr.aws/ebs-csi-driver/aws-ebs-csi-driver:${VERSION}`,
    );
    const pulls = objectsOf(bundle()).flatMap((o) =>
      o.kind === "Deployment" || o.kind === "DaemonSet" ? podOf(o).containers.map((c) => c.imagePullPolicy) : [],
    );
    expect(new Set(pulls)).toEqual(new Set(["IfNotPresent"]));
  });
});

describe("controller: host network on the control-plane nodes, this cluster's tags and region", () => {
  const spec = podOf(controller());

  test("host network (pods cannot reach IMDS: hop limit 1), control-plane nodes, their taint tolerated", () => {
    expect(podOf(UPSTREAM_CONTROLLER).hostNetwork).toBeUndefined();
    expect(spec.hostNetwork).toBe(true);
    expect(spec.nodeSelector).toEqual({ "kubernetes.io/os": "linux", "node-role.kubernetes.io/control-plane": "" });
    expect(spec.tolerations).toEqual([
      ...podOf(UPSTREAM_CONTROLLER).tolerations!,
      { key: "node-role.kubernetes.io/control-plane", operator: "Exists", effect: "NoSchedule" },
    ]);
  });

  test.each([
    [1, 1],
    [3, 2],
    [5, 2],
  ])("%i control-plane node(s): %i replica(s), upstream's 2 at most (one per node: host port)", (count, replicas) => {
    expect((UPSTREAM_CONTROLLER.spec as { replicas: number }).replicas).toBe(2);
    expect((controller(bundle({ controlPlaneCount: count })).spec as { replicas: number }).replicas).toBe(replicas);
  });

  test("its host port (controller.yaml: healthz 9808) is no other host-network pod's on a control-plane node", () => {
    const ports = (s: PodSpec) =>
      s.containers.flatMap((c) =>
        ((c.ports as { containerPort: number }[] | undefined) ?? []).map((p) => p.containerPort),
      );
    expect(ports(spec)).toEqual([9808]);
    // kubeadm's control plane: etcd 2379-2381, kube-apiserver 6443, controller manager 10257,
    // scheduler 10259, kubelet 10248/10250, kube-proxy 10249/10256; the cloud controller's 10258.
    const KUBEADM_AND_CCM = [2379, 2380, 2381, 6443, 10248, 10249, 10250, 10256, 10257, 10258, 10259];
    const others = bundle()
      .files.flatMap((f) => f.objects)
      .filter((o) => ["DaemonSet", "Deployment"].includes(o.kind) && o.metadata.name !== "ebs-csi-controller")
      .map(podOf)
      .filter((s) => s.hostNetwork === true)
      .flatMap(ports);
    expect(others.length).toBeGreaterThan(0);
    expect(ports(spec).filter((p) => [...KUBEADM_AND_CCM, ...others].includes(p))).toEqual([]);
  });

  test("args: upstream's, then --k8s-tag-cluster-id=<cluster>; env: upstream's, then AWS_REGION", () => {
    const plugin = containerOf(spec, "ebs-plugin");
    const upstream = containerOf(podOf(UPSTREAM_CONTROLLER), "ebs-plugin");
    expect(plugin.args).toEqual([...upstream.args!, "--k8s-tag-cluster-id=k8s-cluster"]);
    expect(plugin.env).toEqual([...upstream.env!, { name: "AWS_REGION", value: "eu-west-1" }]);
    // --extra-tags cannot carry the cluster tag: pkg/driver/validation.go reserves the kubernetes.io prefix.
    expect(plugin.args!.some((a) => a.startsWith("--extra-tags"))).toBe(false);
  });

  test("nothing else differs from controller.yaml", () => {
    const ours = structuredClone(controller()) as KubeObject;
    const o = podOf(ours);
    delete o.hostNetwork;
    o.nodeSelector = podOf(UPSTREAM_CONTROLLER).nodeSelector;
    o.tolerations = podOf(UPSTREAM_CONTROLLER).tolerations;
    const plugin = containerOf(o, "ebs-plugin");
    plugin.args = plugin.args!.slice(0, -1);
    plugin.env = plugin.env!.slice(0, -1);
    delete ours.metadata.namespace;
    expect(ours).toEqual(UPSTREAM_CONTROLLER);
  });
});

describe("node plugin: every node, metadata from the Node object (no IMDS)", () => {
  const spec = podOf(nodePlugin());

  test("tolerates every taint and stays off the host network, as node.yaml has it", () => {
    expect(spec.tolerations).toEqual([{ operator: "Exists" }]);
    expect(spec.hostNetwork).toBe(false);
    expect(hostNetworkPods(bundle(), "worker")).toEqual(hostNetworkPods(bundle({ ebsCsiDriver: false }), "worker"));
  });

  test("--metadata-sources=kubernetes (pkg/driver/options.go), after node.yaml's args", () => {
    const upstream = containerOf(podOf(UPSTREAM_NODE), "ebs-plugin");
    expect(NODE_PLUGIN_ARGS).toEqual(["--metadata-sources=kubernetes"]);
    expect(containerOf(spec, "ebs-plugin").args).toEqual([...upstream.args!, ...NODE_PLUGIN_ARGS]);
    // CSI_NODE_NAME names the Node it reads (pkg/cloud/metadata/k8s.go KubernetesAPIInstanceInfo).
    expect(containerOf(spec, "ebs-plugin").env).toContainEqual({
      name: "CSI_NODE_NAME",
      valueFrom: { fieldRef: { fieldPath: "spec.nodeName" } },
    });
  });

  test("scheduled only once the cloud controller has labelled the node (instance type, with zone and region)", () => {
    const terms = (s: PodSpec) =>
      (
        s.affinity as {
          nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: unknown } };
        }
      ).nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms as {
        matchExpressions: unknown[];
      }[];
    const upstream = terms(podOf(UPSTREAM_NODE));
    expect(INITIALISED_NODE_LABEL).toBe("node.kubernetes.io/instance-type");
    expect(terms(spec)).toEqual([
      { matchExpressions: [...upstream[0].matchExpressions, { key: INITIALISED_NODE_LABEL, operator: "Exists" }] },
    ]);
  });
});

describe("the default StorageClass (ours)", () => {
  const classFile = (b = bundle()) => b.files.find((f) => f.path === BUNDLE_FILES.defaultStorageClass);
  const classes = () => classFile()!.objects.filter((o) => o.kind === "StorageClass");

  test("in a file of its own (created when absent, src/bootstrap/scripts/k8s-addons.sh), not the driver's", () => {
    expect(classFile()!.objects.map((o) => o.kind)).toEqual(["StorageClass"]);
    expect(objectsOf(bundle()).filter((o) => o.kind === "StorageClass")).toEqual([]);
    const paths = bundle().files.map((f) => f.path);
    expect(paths.indexOf(BUNDLE_FILES.defaultStorageClass)).toBeGreaterThan(paths.indexOf(BUNDLE_FILES.ebsCsiDriver));
  });

  test("gp3, encrypted, WaitForFirstConsumer, expandable, the cluster's default, provisioned by the driver", () => {
    expect(classes()).toEqual([
      {
        apiVersion: "storage.k8s.io/v1",
        kind: "StorageClass",
        metadata: {
          name: DEFAULT_STORAGE_CLASS_NAME,
          annotations: { "storageclass.kubernetes.io/is-default-class": "true" },
        },
        provisioner: EBS_CSI_PROVISIONER,
        parameters: { type: "gp3", encrypted: "true" },
        reclaimPolicy: "Delete",
        volumeBindingMode: "WaitForFirstConsumer",
        allowVolumeExpansion: true,
      },
    ]);
    new storage.StorageClass(classes()[0] as never).validate();
  });

  test("its provisioner is the CSIDriver the base installs (csidriver.yaml)", () => {
    expect(find(upstreamFile("csidriver.yaml"), "CSIDriver", EBS_CSI_PROVISIONER, "csidriver.yaml").metadata.name).toBe(
      classes()[0].provisioner,
    );
  });
});

describe("the switch: addons.ebsCsi", () => {
  test("off: no driver file, nothing vendored of it, another bundle digest", () => {
    const off = bundle({ ebsCsiDriver: false });
    expect(off.files.map((f) => f.path)).not.toContain(BUNDLE_FILES.ebsCsiDriver);
    expect(off.files.map((f) => f.path)).not.toContain(BUNDLE_FILES.defaultStorageClass);
    expect(off.vendored.map((v) => v.source.name)).not.toContain("aws-ebs-csi-driver");
    expect(off.files.flatMap((f) => f.objects).filter((o) => o.kind === "StorageClass")).toEqual([]);
    expect(off.digest).not.toBe(bundle().digest);
  });

  test("user data does not grow: on or off, the same bytes but the bundle's digest and host-network count", () => {
    for (const role of ["control-plane", "worker"] as const) {
      const on = renderUserData(settingsFor(role, { addons: { ebsCsi: true, controlPlaneCount: 3 } }));
      const off = renderUserData(settingsFor(role, { addons: { ebsCsi: false, controlPlaneCount: 3 } }));
      const pods = (t: string) => Number(/^\s*HOST_NETWORK_PODS=(\d+)$/m.exec(t)![1]);
      const digestless = (t: string) =>
        t.replace(/[0-9a-f]{64}/g, "<sha256>").replace(/HOST_NETWORK_PODS=\d+/, "HOST_NETWORK_PODS=<n>");
      expect(digestless(on.cloudConfig)).toBe(digestless(off.cloudConfig));
      // Without workload identity the controller runs with the host's network on the control-plane nodes.
      expect(pods(on.cloudConfig) - pods(off.cloudConfig)).toBe(role === "worker" ? 0 : 1);
    }
  });

  test("in the stack: the bundle, the controller's policy and the StorageClass come and go together", () => {
    const on = buildApp(resolveConfig({})).cluster;
    const off = buildApp(resolveConfig({ addons: { ebsCsi: false } })).cluster;
    const noIdentity = buildApp(resolveConfig({ workloadIdentity: { enabled: false } })).cluster;
    const has = (c: typeof on) => [
      c.addonAssets.bundle.files.find((f) => f.path.startsWith("ebs-csi-driver.yaml"))?.path,
      Object.keys(c.iam.statements).filter((k) => k.endsWith("/ebs-csi-driver")),
    ];
    // With workload identity (the default) its own role; without, the control-plane role.
    expect(has(on)).toEqual([BUNDLE_FILES.ebsCsiDriverTemplate, ["ebs-csi-controller/ebs-csi-driver"]]);
    expect(has(noIdentity)).toEqual([BUNDLE_FILES.ebsCsiDriver, ["control-plane/ebs-csi-driver"]]);
    expect(has(off)).toEqual([undefined, []]);
    expect((controller(on.addonAssets.bundle).spec as { replicas: number }).replicas).toBe(2);
  });
});

describe("with workload identity: the controller's own role through its ServiceAccount", () => {
  const b = bundle({ workloadIdentity: true, controlPlaneCount: 3 });
  test("a template: the ServiceAccount names the role k8s-addons fills in from SSM", () => {
    expect(b.files.map((f) => f.path)).toContain(BUNDLE_FILES.ebsCsiDriverTemplate);
    expect(b.files.map((f) => f.path)).not.toContain(BUNDLE_FILES.ebsCsiDriver);
    expect(find(objectsOf(b), "ServiceAccount", "ebs-csi-controller-sa", "test").metadata.annotations).toEqual({
      "eks.amazonaws.com/role-arn": "__EBS_CSI_ROLE_ARN__",
    });
  });
  test("pod network on the control-plane nodes, upstream's two replicas; the node plugin unchanged", () => {
    const spec = podOf(controller(b));
    expect(spec.hostNetwork).toBeUndefined();
    expect(spec.nodeSelector).toMatchObject({ "node-role.kubernetes.io/control-plane": "" });
    expect((controller(b).spec as { replicas: number }).replicas).toBe(2);
    expect(podOf(nodePlugin(b))).toEqual(podOf(nodePlugin()));
  });
  test("the web identity token and variables in the manifest: a pod made while the webhook is down has them", () => {
    // What amazon-eks-pod-identity-webhook v0.6.17 injects (pkg/handler/handler.go NewModifier and
    // addEnvToContainer; pkg/constants.go DefaultTokenExpiration; main.go --token-audience default).
    const spec = podOf(controller(b));
    expect(spec.volumes!.filter((v) => v.name === "aws-iam-token")).toEqual([
      {
        name: "aws-iam-token",
        projected: {
          sources: [
            { serviceAccountToken: { audience: "sts.amazonaws.com", expirationSeconds: 86400, path: "token" } },
          ],
        },
      },
    ]);
    const plugin = containerOf(spec, "ebs-plugin");
    expect(plugin.volumeMounts).toContainEqual({
      name: "aws-iam-token",
      mountPath: "/var/run/secrets/eks.amazonaws.com/serviceaccount",
      readOnly: true,
    });
    const env = Object.fromEntries(plugin.env!.map((e) => [e.name, e.value]));
    expect(env).toMatchObject({
      AWS_ROLE_ARN: "__EBS_CSI_ROLE_ARN__",
      AWS_WEB_IDENTITY_TOKEN_FILE: "/var/run/secrets/eks.amazonaws.com/serviceaccount/token",
      AWS_STS_REGIONAL_ENDPOINTS: "regional",
      AWS_REGION: "eu-west-1",
    });
    // Only the container that calls AWS; the sidecars (provisioner, attacher, ...) get nothing.
    for (const c of spec.containers.filter((x) => x.name !== "ebs-plugin"))
      expect([c.name, (c.env ?? []).some((e) => e.name.startsWith("AWS_"))]).toEqual([c.name, false]);
  });
  test("without workload identity: no token, no role variables (the host's instance role)", () => {
    const spec = podOf(controller());
    expect((spec.volumes ?? []).map((v) => v.name)).not.toContain("aws-iam-token");
    expect(containerOf(spec, "ebs-plugin").env!.map((e) => e.name)).not.toContain("AWS_ROLE_ARN");
  });
});
