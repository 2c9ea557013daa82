/**
 * metrics-server: the resource metrics API (metrics.k8s.io) behind `kubectl top` and the
 * HorizontalPodAutoscaler. Upstream publishes its plain manifest, components.yaml, only as a
 * release asset (`make release-manifests`: `kubectl kustomize manifests/overlays/release`); the
 * repository holds the kustomize sources, which are vendored byte for byte under
 * addons/metrics-server/<version>/ (SOURCE.json names each file's upstream path). This module
 * builds components.yaml's objects from them the way kustomize does:
 *
 * - release-overlay-kustomization.yaml: the base plus the release component, nothing else;
 * - kustomization.yaml (the base): its resources in order, and `commonLabels`, which kustomize
 *   writes into every object's metadata.labels and creates in the selectors of the kinds here
 *   (kustomize api/konfig/builtinpluginconsts/commonlabels.go: Service spec.selector, Deployment
 *   spec.selector.matchLabels and spec.template.metadata.labels);
 * - release-component-kustomization.yaml: its `images` entry, which renames the staging image and
 *   sets the release tag;
 * - the output order of `kustomize build` (legacy order, kustomize api/resid/gvk.go orderFirst:
 *   ServiceAccount, ClusterRole, RoleBinding, ClusterRoleBinding, Service, Deployment; kinds it does
 *   not list, here the APIService, after them), by name within a kind.
 *
 * What this cluster changes is a visible patch in metricsServerFile below.
 */
import { parse } from "yaml";
import { VendoredAddon } from "./vendored";
import { KubeObject, PatchError, addArgs, container, find, podSpec } from "./patches";
import { METRICS_SERVER_IMAGE } from "../bootstrap/versions";
import { parseObjects } from "./manifest-objects";

export const METRICS_SERVER_NAME = "metrics-server";

interface Kustomization {
  resources?: string[];
  components?: string[];
  commonLabels?: Record<string, string>;
  images?: { name: string; newName?: string; newTag?: string }[];
}

const ORDER_FIRST = [
  "Namespace",
  "ResourceQuota",
  "StorageClass",
  "CustomResourceDefinition",
  "ServiceAccount",
  "PodSecurityPolicy",
  "Role",
  "ClusterRole",
  "RoleBinding",
  "ClusterRoleBinding",
  "ConfigMap",
  "Secret",
  "Service",
  "LimitRange",
  "PriorityClass",
  "PersistentVolume",
  "PersistentVolumeClaim",
  "Deployment",
  "StatefulSet",
  "CronJob",
  "PodDisruptionBudget",
];
const ORDER_LAST = ["MutatingWebhookConfiguration", "ValidatingWebhookConfiguration"];

/** kustomize's typeOrders: listed-first kinds negative, unlisted 0, listed-last positive. */
function kindOrder(kind: string): number {
  const first = ORDER_FIRST.indexOf(kind);
  if (first >= 0) return first - ORDER_FIRST.length;
  const last = ORDER_LAST.indexOf(kind);
  return last >= 0 ? 1 + last : 0;
}

/** kustomize's Gvk.String(): group_version_kind, "~G" for the core group. */
function gvk(o: KubeObject): string {
  const [group, version] = o.apiVersion.includes("/") ? o.apiVersion.split("/") : ["~G", o.apiVersion];
  return `${group}_${version}_${o.kind}`;
}

function legacyOrder(a: KubeObject, b: KubeObject): number {
  const key = (o: KubeObject) => [gvk(o), o.metadata.namespace ?? "", o.metadata.name];
  const byKind = kindOrder(a.kind) - kindOrder(b.kind);
  if (byKind !== 0) return byKind;
  const [ka, kb] = [key(a), key(b)];
  for (let i = 0; i < ka.length; i++) if (ka[i] !== kb[i]) return ka[i] < kb[i] ? -1 : 1;
  return 0;
}

const at = (o: Record<string, unknown>, path: string[]): Record<string, unknown> =>
  path.reduce((node, key) => (node[key] ??= {}) as Record<string, unknown>, o);

/** commonLabels as kustomize applies them to the kinds of this manifest. */
function addCommonLabels(o: KubeObject, labels: Record<string, string>): void {
  Object.assign(at(o as unknown as Record<string, unknown>, ["metadata", "labels"]), labels);
  const paths: Record<string, string[][]> = {
    Service: [["spec", "selector"]],
    Deployment: [
      ["spec", "selector", "matchLabels"],
      ["spec", "template", "metadata", "labels"],
    ],
  };
  for (const p of paths[o.kind] ?? []) Object.assign(at(o as unknown as Record<string, unknown>, p), labels);
}

function vendoredText(ms: VendoredAddon, file: string): string {
  const found = ms.files.find((f) => f.path === `${ms.source.name}/${ms.source.version}/${file}`);
  if (!found) throw new Error(`addons/${ms.source.name}/${ms.source.version} has no ${file}`);
  return found.text;
}

/** components.yaml's objects at the vendored version, from its kustomize sources. */
export function metricsServerObjects(ms: VendoredAddon): KubeObject[] {
  const where = `addons/${ms.source.name}/${ms.source.version}`;
  const overlay = parse(vendoredText(ms, "release-overlay-kustomization.yaml")) as Kustomization;
  if (JSON.stringify([overlay.resources, overlay.components]) !== '[["../../base"],["../../components/release"]]')
    throw new PatchError(`${where}: the release overlay is no longer the base plus the release component`);
  const base = parse(vendoredText(ms, "kustomization.yaml")) as Kustomization;
  const release = parse(vendoredText(ms, "release-component-kustomization.yaml")) as Kustomization;
  const objects = (base.resources ?? []).flatMap((r) => parseObjects(vendoredText(ms, r), `${where}/${r}`));
  for (const o of objects) addCommonLabels(o, base.commonLabels ?? {});
  // kustomize's image transformer: an image whose name (without tag) is `name` gets the new ones.
  for (const image of release.images ?? [])
    for (const o of objects.filter((x) => x.kind === "Deployment"))
      for (const c of podSpec(o, where).containers) {
        const [name, tag] = /^(.+?)(?::([^:/]+))?$/.exec(c.image)!.slice(1);
        if (name === image.name) c.image = `${image.newName ?? name}:${image.newTag ?? tag}`;
      }
  return objects.sort(legacyOrder);
}

/**
 * The one change this cluster makes: the kubelets' serving certificates are self-signed
 * (kubeadm's default serverTLSBootstrap: false, docs/certificates.md), so there is no CA that
 * could verify them and metrics-server skips the check (deviation D14 in src/aws/deviations.ts says
 * why that is acceptable here and how to remove it).
 */
export const METRICS_SERVER_ARGS: readonly string[] = Object.freeze(["--kubelet-insecure-tls"]);

export function patchMetricsServer(objects: KubeObject[], where: string): void {
  const deployment = find(objects, "Deployment", METRICS_SERVER_NAME, where);
  const c = container(podSpec(deployment, where), METRICS_SERVER_NAME, where);
  if (!c.image.startsWith(`${METRICS_SERVER_IMAGE}:`))
    throw new PatchError(`${where}: container ${c.name} runs ${c.image}, not ${METRICS_SERVER_IMAGE}`);
  addArgs(c, METRICS_SERVER_ARGS, where);
}
