/**
 * The AWS Node Termination Handler in queue mode, as upstream's chart renders it for its own
 * queue-processor manifest. Upstream publishes that manifest only as a release asset
 * (all-resources-queue-processor.yaml, made by scripts/generate-k8s-yaml with `helm template
 * --namespace kube-system --set enableSqsTerminationDraining=true --set enableProbesServer=true`,
 * release name aws-node-termination-handler, Helm's own labels removed); the repository holds the
 * chart. So the chart is vendored (addons/aws-node-termination-handler/<version>/: Chart.yaml,
 * values.yaml and the templates below, byte for byte) and the objects are built here as typed
 * objects from it:
 *
 * - serviceaccount.yaml, clusterrole.yaml, clusterrolebinding.yaml: names and rules as written
 *   (emitKubernetesEvents is off in values.yaml, so no events rule);
 * - deployment.yaml (rendered only with enableSqsTerminationDraining): its env list in its order,
 *   each value read from values.yaml (DEPLOYMENT_ENV); the image from values.yaml image.repository
 *   and Chart.yaml appVersion (the _helpers.tpl "image" default "v<appVersion>");
 * - _helpers.tpl: fullname (the release name, which contains the chart name) and the labels.
 *
 * What this cluster changes (queue URL, region, host network on control-plane nodes, ...) is not
 * here: it is a visible patch in src/addons/bundle.ts.
 */
import { parse } from "yaml";
import type { IServiceAccount } from "kubernetes-models/v1/ServiceAccount";
import type { IClusterRole } from "kubernetes-models/rbac.authorization.k8s.io/v1/ClusterRole";
import type { IClusterRoleBinding } from "kubernetes-models/rbac.authorization.k8s.io/v1/ClusterRoleBinding";
import type { IDeployment } from "kubernetes-models/apps/v1/Deployment";
import type { IEnvVar } from "kubernetes-models/v1/EnvVar";
import { VendoredAddon } from "./vendored";

/** Release name and namespace of upstream's generated manifests (scripts/generate-k8s-yaml). */
export const NTH_RELEASE = "aws-node-termination-handler";
export const NTH_NAMESPACE = "kube-system";
/**
 * The instance tag the handler checks before it drains (values.yaml managedTag, its default): only
 * the workers' group puts it on its instances.
 */
export const NTH_MANAGED_TAG = "aws-node-termination-handler/managed";
/** The chart's only container. */
export const NTH_CONTAINER = "aws-node-termination-handler";

/**
 * deployment.yaml's env entries with a literal value or a `{{ .Values.<key> | quote }}` value, in
 * the template's order ("value" entries are literal in the template, "key" entries read values.yaml).
 * Entries the template renders only for non-empty values (AWS_REGION, AWS_ENDPOINT, webhooks,
 * KUBERNETES_EVENTS_EXTRA_ANNOTATIONS) are left out: values.yaml leaves them empty.
 */
export const DEPLOYMENT_ENV: readonly ({ name: string; key: string } | { name: string; value: string })[] = [
  { name: "ENABLE_PROBES_SERVER", value: "true" },
  { name: "PROBES_SERVER_PORT", key: "probes.httpGet.port" },
  { name: "PROBES_SERVER_ENDPOINT", key: "probes.httpGet.path" },
  { name: "LOG_LEVEL", key: "logLevel" },
  { name: "JSON_LOGGING", key: "jsonLogging" },
  { name: "LOG_FORMAT_VERSION", key: "logFormatVersion" },
  { name: "ENABLE_PROMETHEUS_SERVER", key: "enablePrometheusServer" },
  { name: "PROMETHEUS_SERVER_PORT", key: "prometheusServerPort" },
  { name: "CHECK_ASG_TAG_BEFORE_DRAINING", key: "checkASGTagBeforeDraining" },
  { name: "CHECK_TAG_BEFORE_DRAINING", key: "checkTagBeforeDraining" },
  { name: "MANAGED_ASG_TAG", key: "managedAsgTag" },
  { name: "MANAGED_TAG", key: "managedTag" },
  { name: "USE_PROVIDER_ID", key: "useProviderId" },
  { name: "DRY_RUN", key: "dryRun" },
  { name: "CORDON_ONLY", key: "cordonOnly" },
  { name: "TAINT_NODE", key: "taintNode" },
  { name: "ENABLE_OUT_OF_SERVICE_TAINT", key: "enableOutOfServiceTaint" },
  { name: "EXCLUDE_FROM_LOAD_BALANCERS", key: "excludeFromLoadBalancers" },
  { name: "DELETE_LOCAL_DATA", key: "deleteLocalData" },
  { name: "IGNORE_DAEMON_SETS", key: "ignoreDaemonSets" },
  { name: "POD_TERMINATION_GRACE_PERIOD", key: "podTerminationGracePeriod" },
  { name: "NODE_TERMINATION_GRACE_PERIOD", key: "nodeTerminationGracePeriod" },
  { name: "EMIT_KUBERNETES_EVENTS", key: "emitKubernetesEvents" },
  { name: "COMPLETE_LIFECYCLE_ACTION_DELAY_SECONDS", key: "completeLifecycleActionDelaySeconds" },
  { name: "ENABLE_SQS_TERMINATION_DRAINING", value: "true" },
  { name: "QUEUE_URL", key: "queueURL" },
  { name: "DELETE_SQS_MSG_IF_NODE_NOT_FOUND", key: "deleteSqsMsgIfNodeNotFound" },
  { name: "WORKERS", key: "workers" },
  { name: "HEARTBEAT_INTERVAL", key: "heartbeatInterval" },
  { name: "HEARTBEAT_UNTIL", key: "heartbeatUntil" },
  { name: "SQS_MSG_VISIBILITY_TIMEOUT_SEC", key: "sqsMsgVisibilityTimeoutSec" },
];

export type NthObject = IServiceAccount | IClusterRole | IClusterRoleBinding | IDeployment;

function vendoredText(nth: VendoredAddon, file: string): string {
  const found = nth.files.find((f) => f.path === `${nth.source.name}/${nth.source.version}/${file}`);
  if (!found) throw new Error(`addons/${nth.source.name}/${nth.source.version} has no ${file}`);
  return found.text;
}

/** A values.yaml entry by dotted key; throws naming the key when upstream no longer has it. */
export function chartValue(values: Record<string, unknown>, key: string): unknown {
  let v: unknown = values;
  for (const part of key.split(".")) {
    if (v === null || typeof v !== "object" || !(part in (v as object)))
      throw new Error(
        `addons/aws-node-termination-handler: values.yaml has no ${key}; re-check DEPLOYMENT_ENV against the chart`,
      );
    v = (v as Record<string, unknown>)[part];
  }
  return v;
}

/** Helm's `quote` of a YAML scalar: its string form. */
const quoted = (v: unknown): string => (v === null || v === undefined ? "" : String(v));

/** The chart's objects for queue mode, as upstream renders them (see the file comment). */
export function nodeTerminationHandlerObjects(nth: VendoredAddon): NthObject[] {
  const chart = parse(vendoredText(nth, "Chart.yaml")) as { name: string; appVersion: string };
  const values = parse(vendoredText(nth, "values.yaml")) as Record<string, unknown>;
  if (chart.name !== NTH_RELEASE)
    throw new Error(`addons/aws-node-termination-handler: Chart.yaml names ${chart.name}`);
  if (`v${chart.appVersion}` !== nth.source.version)
    throw new Error(
      `addons/aws-node-termination-handler: Chart.yaml appVersion ${chart.appVersion} is not ${nth.source.version}`,
    );
  const image = values.image as { repository: string; tag: string; pullPolicy: string };
  // _helpers.tpl "aws-node-termination-handler.image": the tag, or "v" + appVersion.
  const imageRef = `${image.repository}:${image.tag || `v${chart.appVersion}`}`;
  // _helpers.tpl labels, without helm.sh/chart and managed-by (generate-k8s-yaml removes them).
  const selector = { "app.kubernetes.io/name": NTH_RELEASE, "app.kubernetes.io/instance": NTH_RELEASE };
  const labels = {
    ...selector,
    "app.kubernetes.io/version": chart.appVersion,
    "app.kubernetes.io/part-of": NTH_RELEASE,
  };
  const component = { "app.kubernetes.io/component": "deployment" };
  const metadata = { name: NTH_RELEASE, labels };
  const namespaced = { ...metadata, namespace: NTH_NAMESPACE };
  const probes = chartValue(values, "probes") as { httpGet: { path: string; port: number } };
  const fieldRef = (name: string, fieldPath: string): IEnvVar => ({ name, valueFrom: { fieldRef: { fieldPath } } });
  const env: IEnvVar[] = [
    fieldRef("NODE_NAME", "spec.nodeName"),
    fieldRef("POD_NAME", "metadata.name"),
    fieldRef("NAMESPACE", "metadata.namespace"),
    ...DEPLOYMENT_ENV.map((e) => ({ name: e.name, value: "value" in e ? e.value : quoted(chartValue(values, e.key)) })),
  ];
  const serviceAccount: IServiceAccount = { apiVersion: "v1", kind: "ServiceAccount", metadata: namespaced };
  const clusterRole: IClusterRole = {
    apiVersion: "rbac.authorization.k8s.io/v1",
    kind: "ClusterRole",
    metadata,
    rules: [
      { apiGroups: [""], resources: ["nodes"], verbs: ["get", "list", "patch", "update"] },
      { apiGroups: [""], resources: ["pods"], verbs: ["list", "get"] },
      { apiGroups: [""], resources: ["pods/eviction"], verbs: ["create"] },
      { apiGroups: ["extensions"], resources: ["daemonsets"], verbs: ["get"] },
      { apiGroups: ["apps"], resources: ["daemonsets"], verbs: ["get"] },
    ],
  };
  const clusterRoleBinding: IClusterRoleBinding = {
    apiVersion: "rbac.authorization.k8s.io/v1",
    kind: "ClusterRoleBinding",
    metadata,
    roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: NTH_RELEASE },
    subjects: [{ kind: "ServiceAccount", name: NTH_RELEASE, namespace: NTH_NAMESPACE }],
  };
  const deployment: IDeployment = {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { ...namespaced, labels: { ...labels, ...component } },
    spec: {
      replicas: chartValue(values, "replicas") as number,
      selector: { matchLabels: { ...selector, ...component } },
      template: {
        metadata: { labels: { ...selector, ...component, "k8s-app": NTH_RELEASE } },
        spec: {
          serviceAccountName: NTH_RELEASE,
          securityContext: chartValue(values, "podSecurityContext") as { fsGroup: number },
          priorityClassName: chartValue(values, "priorityClassName") as string,
          containers: [
            {
              name: NTH_CONTAINER,
              securityContext: chartValue(values, "securityContext") as Record<string, never>,
              image: imageRef,
              imagePullPolicy: image.pullPolicy as "IfNotPresent",
              env,
              ports: [{ name: "liveness-probe", protocol: "TCP", containerPort: probes.httpGet.port }],
              livenessProbe: probes,
            },
          ],
          nodeSelector: { "kubernetes.io/os": "linux" },
        },
      },
    },
  };
  return [serviceAccount, clusterRole, clusterRoleBinding, deployment];
}
