/**
 * Metrics and autoscaling: metrics-server built from its vendored kustomize
 * sources as its release manifest components.yaml, and the cluster autoscaler from upstream's AWS
 * auto-discovery example, each with this cluster's patches, each removed by its switch. The schema
 * and image checks of every bundle file are in addons.test.ts; the autoscaler's IAM in
 * iam-cluster-autoscaler.test.ts.
 */
import * as fs from "fs";
import * as path from "path";
import { parse } from "yaml";
import { AddonBundle, BUNDLE_FILES, addonBundle } from "../src/addons/bundle";
import { parseObjects } from "../src/addons/manifest-objects";
import { Container, KubeObject, PatchError, PodSpec, appendFlags, find, replaceFlag } from "../src/addons/patches";
import { addonsRoot, loadVendored } from "../src/addons/vendored";
import { METRICS_SERVER_ARGS, metricsServerObjects, patchMetricsServer } from "../src/addons/metrics-server";
import {
  CLUSTER_AUTOSCALER_ADDED_FLAGS,
  CLUSTER_AUTOSCALER_KEPT_FLAGS,
  DRA_READ_RULE,
  autoDiscoveryValue,
  patchClusterAutoscaler,
} from "../src/addons/cluster-autoscaler";
import {
  AUTOSCALING_ADDON_VERSIONS,
  CLUSTER_AUTOSCALER_IMAGE,
  SUPPORTED_KUBERNETES_MINORS,
} from "../src/bootstrap/versions";
import { kubeadmInitTemplate, kubeadmJoinTemplate } from "../src/bootstrap/kubeadm";
import { DEVIATIONS } from "../src/aws/deviations";
import { CLUSTER_AUTOSCALER_ENABLED_TAG_KEY, clusterAutoscalerTagKey } from "../src/aws/tags";
import { resolveConfig } from "../src/config";
import { buildApp } from "../src/app";
import { resource, synthCluster } from "./helpers/synth";
import { thrown } from "./helpers/thrown";

const bundle = (minor = "1.35", switches: { metricsServer?: boolean; clusterAutoscaler?: boolean } = {}) =>
  addonBundle({ clusterName: "k8s-cluster", region: "ap-northeast-2", kubernetesMinor: minor, ...switches });
const file = (b: AddonBundle, p: string) => b.files.find((f) => f.path === p);
const podOf = (o: KubeObject): PodSpec => (o.spec as { template: { spec: PodSpec } }).template.spec;
const only = (o: KubeObject): Container => podOf(o).containers[0];

const MS_DIR = path.join(addonsRoot(), "metrics-server", AUTOSCALING_ADDON_VERSIONS.metricsServer);
const msVendored = loadVendored("metrics-server", AUTOSCALING_ADDON_VERSIONS.metricsServer);
const CA_FILE = path.join(
  addonsRoot(),
  "cluster-autoscaler",
  AUTOSCALING_ADDON_VERSIONS.clusterAutoscalerManifests,
  "cluster-autoscaler-autodiscover.yaml",
);
/** The auto-discovery flag up to the cluster name (upstream's example). */
const DISCOVERY = "--node-group-auto-discovery=asg:tag=k8s.io/cluster-autoscaler/enabled,k8s.io/cluster-autoscaler/";
const upstreamCa = () => parseObjects(fs.readFileSync(CA_FILE, "utf8"), "upstream");

describe("metrics-server: the release manifest components.yaml, from its kustomize sources", () => {
  const objects = file(bundle(), BUNDLE_FILES.metricsServer)!.objects;

  test("these objects, in kustomize's legacy order (kinds, then names)", () =>
    expect(objects.map((o) => `${o.kind} ${o.metadata.name}`)).toEqual([
      "ServiceAccount metrics-server",
      "ClusterRole system:aggregated-metrics-reader",
      "ClusterRole system:metrics-server",
      "RoleBinding metrics-server-auth-reader",
      "ClusterRoleBinding metrics-server:system:auth-delegator",
      "ClusterRoleBinding system:metrics-server",
      "Service metrics-server",
      "Deployment metrics-server",
      "APIService v1beta1.metrics.k8s.io",
    ]));

  test("the base's commonLabels (k8s-app: metrics-server) on every object and in both selectors", () => {
    const base = parse(fs.readFileSync(path.join(MS_DIR, "kustomization.yaml"), "utf8"));
    expect(base.commonLabels).toEqual({ "k8s-app": "metrics-server" });
    for (const o of objects) expect([o.kind, o.metadata.labels?.["k8s-app"]]).toEqual([o.kind, "metrics-server"]);
    const deployment = find(objects, "Deployment", "metrics-server", "test").spec as any;
    expect([deployment.selector.matchLabels, deployment.template.metadata.labels]).toEqual([
      { "k8s-app": "metrics-server" },
      { "k8s-app": "metrics-server" },
    ]);
    expect((find(objects, "Service", "metrics-server", "test").spec as any).selector).toEqual({
      "k8s-app": "metrics-server",
    });
  });

  test("the release component's image replaces the staging one: the pinned version, the folder's version", () => {
    const release = parse(fs.readFileSync(path.join(MS_DIR, "release-component-kustomization.yaml"), "utf8"));
    expect(release.images).toEqual([
      {
        name: "gcr.io/k8s-staging-metrics-server/metrics-server",
        newName: "registry.k8s.io/metrics-server/metrics-server",
        newTag: AUTOSCALING_ADDON_VERSIONS.metricsServer,
      },
    ]);
    expect(msVendored.source.version).toBe(AUTOSCALING_ADDON_VERSIONS.metricsServer);
    expect(only(find(objects, "Deployment", "metrics-server", "test")).image).toBe(
      "registry.k8s.io/metrics-server/metrics-server:v0.8.1",
    );
  });

  test("args: the five of manifests/base/deployment.yaml, then --kubelet-insecure-tls (deviation D14)", () => {
    expect(only(find(objects, "Deployment", "metrics-server", "test")).args).toEqual([
      "--cert-dir=/tmp",
      "--secure-port=10250",
      "--kubelet-preferred-address-types=InternalIP,ExternalIP,Hostname",
      "--kubelet-use-node-status-port",
      "--metric-resolution=15s",
      ...METRICS_SERVER_ARGS,
    ]);
    expect(METRICS_SERVER_ARGS).toEqual(["--kubelet-insecure-tls"]);
  });

  // If the kubelets ever get signed serving certificates, the flag must go: this test then fails.
  test("why the flag: kubelet serving certificates are self-signed (no serverTLSBootstrap anywhere)", () => {
    const settings = {
      clusterName: "k8s-cluster",
      region: "ap-northeast-2",
      kubernetesMinor: "1.35",
      ssmPrefix: "/k8s/k8s-cluster",
      podCidr: "172.31.32.0/19",
      serviceCidr: "10.96.0.0/12",
    };
    for (const role of ["control-plane", "worker"] as const) {
      const kinds = [kubeadmInitTemplate({ ...settings, role }), kubeadmJoinTemplate({ ...settings, role })]
        .join("\n---\n")
        .split(/^---$/m)
        .map((d) => (parse(d) as { kind?: string } | null)?.kind);
      expect(kinds).not.toContain("KubeletConfiguration");
      expect(kubeadmInitTemplate({ ...settings, role })).not.toMatch(/serverTLSBootstrap/);
    }
    const certificates = fs.readFileSync(path.join(__dirname, "../docs/certificates.md"), "utf8");
    expect(certificates).toContain("**Serving certificates are self-signed and are not renewed**");
    const d14 = DEVIATIONS.find((d) => d.id === "D14")!;
    expect(d14.weBuild).toContain("--kubelet-insecure-tls");
  });

  test("a changed overlay or a foreign image fails synth with a PatchError naming the folder", () => {
    const changed = {
      ...msVendored,
      files: msVendored.files.map((f) =>
        f.path.endsWith("/release-overlay-kustomization.yaml")
          ? { ...f, text: f.text.replace("../../components/release", "../../components/test") }
          : f,
      ),
    };
    const e = thrown(() => metricsServerObjects(changed));
    expect([e instanceof PatchError, e.message]).toEqual([
      true,
      "addons/metrics-server/v0.8.1: the release overlay is no longer the base plus the release component",
    ]);
    const objects = metricsServerObjects(msVendored);
    only(find(objects, "Deployment", "metrics-server", "test")).image = "docker.io/library/busybox:1.36";
    expect(thrown(() => patchMetricsServer(objects, "m")).message).toBe(
      "m: container metrics-server runs docker.io/library/busybox:1.36, " +
        "not registry.k8s.io/metrics-server/metrics-server",
    );
  });
});

describe("cluster autoscaler: upstream's AWS auto-discovery example, patched", () => {
  const deployment = (b: AddonBundle) =>
    find(file(b, BUNDLE_FILES.clusterAutoscaler)!.objects, "Deployment", "cluster-autoscaler", "test");

  test.each(SUPPORTED_KUBERNETES_MINORS)("Kubernetes %s: the autoscaler release of that minor", (minor) => {
    const image = only(deployment(bundle(minor))).image;
    expect(image).toBe(`${CLUSTER_AUTOSCALER_IMAGE}:${AUTOSCALING_ADDON_VERSIONS.clusterAutoscaler[minor]}`);
    expect(image).toMatch(new RegExp(`:v${minor.replace(".", "\\.")}\\.\\d+$`));
  });

  // --max-node-provision-time: kubernetes/autoscaler cluster-autoscaler/config/flags/flags.go (default 15m);
  // the nodes' boot deadline is 40 minutes (src/aws/lifecycle.ts BOOT_DEADLINE_SECONDS).
  test("command: upstream's, auto-discovery set to this cluster's tags, balancing and a 45 minute boot added", () => {
    const upstream = only(find(upstreamCa(), "Deployment", "cluster-autoscaler", "upstream")).command!;
    expect(upstream).toEqual(
      expect.arrayContaining([...CLUSTER_AUTOSCALER_KEPT_FLAGS, `${DISCOVERY}<YOUR CLUSTER NAME>`]),
    );
    expect(only(deployment(bundle())).command).toEqual([
      ...upstream.map((a) => (a.startsWith("--node-group-auto-discovery=") ? `${DISCOVERY}k8s-cluster` : a)),
      "--balance-similar-node-groups",
      "--balancing-ignore-label=node.kubernetes.io/lifecycle",
      "--max-node-provision-time=45m",
    ]);
    expect(CLUSTER_AUTOSCALER_KEPT_FLAGS).toEqual([
      "--cloud-provider=aws",
      "--skip-nodes-with-local-storage=false",
      "--expander=least-waste",
    ]);
    // --balancing-ignore-label: cluster-autoscaler-1.35.2 config/flags/flags.go (a repeatable flag); the
    // label is the one every node sets on itself (src/bootstrap/kubelet.ts LIFECYCLE_LABEL).
    expect(CLUSTER_AUTOSCALER_ADDED_FLAGS).toEqual([
      "--balance-similar-node-groups",
      "--balancing-ignore-label=node.kubernetes.io/lifecycle",
      "--max-node-provision-time=45m",
    ]);
  });

  test("the auto-discovery flag names exactly the two tags the workers' group carries, not propagated", () => {
    expect(autoDiscoveryValue("k8s-cluster")).toBe(
      `asg:tag=${CLUSTER_AUTOSCALER_ENABLED_TAG_KEY},${clusterAutoscalerTagKey("k8s-cluster")}`,
    );
    const tags = resource(synthCluster(), "aws_autoscaling_group.worker_asg").tag as { key: string }[];
    expect(tags.filter((t) => t.key.startsWith("k8s.io/cluster-autoscaler/"))).toEqual([
      { key: "k8s.io/cluster-autoscaler/enabled", value: "true", propagate_at_launch: false },
      { key: "k8s.io/cluster-autoscaler/k8s-cluster", value: "owned", propagate_at_launch: false },
    ]);
  });

  test("bounds: the group's own min and max (workers.min/max); its desired capacity is not reset by applies", () => {
    const asg = resource(synthCluster(), "aws_autoscaling_group.worker_asg");
    expect([asg.min_size, asg.max_size, asg.desired_capacity]).toEqual([
      "${var.worker_min_size}",
      "${var.worker_max_size}",
      "${var.worker_desired_capacity}",
    ]);
    expect(asg.lifecycle).toEqual({ ignore_changes: ["desired_capacity"] });
    // No --nodes: upstream's README says not to combine it with auto-discovery.
    expect(only(deployment(bundle())).command!.filter((a) => a.startsWith("--nodes"))).toEqual([]);
  });

  test("RBAC: upstream's rules plus read access to the DRA objects 1.35 always watches", () => {
    const rules = (o: readonly KubeObject[]) => find(o, "ClusterRole", "cluster-autoscaler", "test").rules as unknown[];
    const ours = rules(file(bundle(), BUNDLE_FILES.clusterAutoscaler)!.objects);
    expect(ours).toEqual([...rules(upstreamCa()), DRA_READ_RULE]);
    expect(JSON.stringify(rules(upstreamCa()))).not.toContain("resource.k8s.io");
  });

  test("credentials from the control-plane role: host network on control-plane nodes, Recreate, AWS_REGION", () => {
    const d = deployment(bundle());
    const pod = podOf(d);
    expect([pod.hostNetwork, pod.nodeSelector, pod.tolerations]).toEqual([
      true,
      { "node-role.kubernetes.io/control-plane": "" },
      [{ key: "node-role.kubernetes.io/control-plane", operator: "Exists", effect: "NoSchedule" }],
    ]);
    expect((d.spec as { strategy: unknown }).strategy).toEqual({ type: "Recreate" });
    expect(only(d).env).toEqual([{ name: "AWS_REGION", value: "ap-northeast-2" }]);
  });

  test("the host's CA bundle is Ubuntu's (upstream mounts Amazon Linux's ca-bundle.crt), and must be a file", () => {
    const upstream = podOf(find(upstreamCa(), "Deployment", "cluster-autoscaler", "upstream")).volumes;
    expect(upstream).toEqual([{ name: "ssl-certs", hostPath: { path: "/etc/ssl/certs/ca-bundle.crt" } }]);
    expect(podOf(deployment(bundle())).volumes).toEqual([
      { name: "ssl-certs", hostPath: { path: "/etc/ssl/certs/ca-certificates.crt", type: "File" } },
    ]);
    expect(only(deployment(bundle())).volumeMounts).toEqual([
      { name: "ssl-certs", mountPath: "/etc/ssl/certs/ca-certificates.crt", readOnly: true },
    ]);
  });

  test("a patch whose upstream moved fails synth: a kept flag gone, a flag to replace missing or set already", () => {
    const settings = { clusterName: "k8s-cluster", region: "ap-northeast-2", kubernetesMinor: "1.35" };
    const noExpander = upstreamCa();
    const c = only(find(noExpander, "Deployment", "cluster-autoscaler", "upstream"));
    c.command = c.command!.filter((a) => a !== "--expander=least-waste");
    expect(thrown(() => patchClusterAutoscaler(noExpander, settings, "ca.yaml")).message).toBe(
      "ca.yaml: container cluster-autoscaler no longer runs with --expander=least-waste; re-check the vendored example",
    );
    const x: Container = { name: "x", image: "registry.k8s.io/pause:3.10", command: ["./x", "--a=1"] };
    expect(thrown(() => replaceFlag(x, "command", "--b", "2", "m.yaml")).message).toBe(
      "m.yaml: container x sets --b 0 times in its command, not once",
    );
    expect(thrown(() => appendFlags(x, "command", ["--a=2"], "m.yaml")).message).toBe(
      "m.yaml: container x already sets --a",
    );
    replaceFlag(x, "command", "--a", "3", "m.yaml");
    appendFlags(x, "command", ["--c"], "m.yaml");
    expect(x.command).toEqual(["./x", "--a=3", "--c"]);
  });
});

describe("the switches (configuration addons)", () => {
  test("all three default to true", () =>
    expect(resolveConfig({}).addons).toEqual({ ebsCsi: true, metricsServer: true, clusterAutoscaler: true }));

  test("an unknown add-on or a non-boolean is refused naming the field", () => {
    expect(() => resolveConfig({ addons: { metricServer: false } })).toThrow(/addons/);
    expect(() => resolveConfig({ addons: { clusterAutoscaler: "no" } })).toThrow(/addons\.clusterAutoscaler/);
  });

  test("off: the bundle has neither file nor vendored folder", () => {
    const off = bundle("1.35", { metricsServer: false, clusterAutoscaler: false });
    expect(off.files.map((f) => f.path).filter((p) => /metrics|autoscaler/.test(p))).toEqual([]);
    expect(off.vendored.map((v) => v.source.name)).toEqual([
      "vpc-cni",
      "cloud-controller-manager",
      "aws-node-termination-handler",
      "aws-ebs-csi-driver",
    ]);
    expect(bundle("1.35", { metricsServer: false }).files.map((f) => f.path)).toContain(BUNDLE_FILES.clusterAutoscaler);
    expect(bundle("1.35", { clusterAutoscaler: false }).files.map((f) => f.path)).toContain(BUNDLE_FILES.metricsServer);
    expect(off.digest).not.toBe(bundle().digest);
  });

  test("clusterAutoscaler false: the workers' group has no discovery tags, Terraform owns its desired capacity", () => {
    const s = synthCluster({ addons: { clusterAutoscaler: false } });
    const asg = resource(s, "aws_autoscaling_group.worker_asg");
    expect((asg.tag as { key: string }[]).map((t) => t.key)).toEqual([
      "Name",
      "kubernetes.io/cluster/k8s-cluster",
      "aws-node-termination-handler/managed",
    ]);
    expect(asg.lifecycle).toBeUndefined();
    expect((s.json as any).variable.worker_desired_capacity.description).toBe(
      "Worker nodes to run now (autoscaling group desired_capacity)",
    );
  });

  test.each([{}, { metricsServer: false }, { clusterAutoscaler: false }])(
    "addons %j: control-plane nodes are told the digest of the bundle synth uploads, which has the switches' files",
    (addons) => {
      const { cluster } = buildApp(resolveConfig({ addons }));
      const uploaded = cluster.addonAssets.bundle;
      expect(cluster.userData.get("control-plane")!.rendered.bundleDigest).toBe(uploaded.digest);
      expect(Object.keys(cluster.addonAssets.contents)).toEqual(
        expect.arrayContaining(uploaded.files.map((f) => `addons/${uploaded.digest}/${f.path}`)),
      );
      const expected = { metricsServer: true, clusterAutoscaler: true, ...addons };
      expect([
        file(uploaded, BUNDLE_FILES.metricsServer) !== undefined,
        file(uploaded, BUNDLE_FILES.clusterAutoscaler) !== undefined,
      ]).toEqual([expected.metricsServer, expected.clusterAutoscaler]);
    },
  );
});
