/**
 * The AWS Node Termination Handler in the bundle: built as typed objects from its chart vendored at
 * addons/aws-node-termination-handler/v1.25.6/ (Chart.yaml, values.yaml, _helpers.tpl and the
 * templates deployment.yaml, clusterrole.yaml, clusterrolebinding.yaml, serviceaccount.yaml of
 * config/helm/aws-node-termination-handler), checked against those files; then our visible patch.
 */
import * as fs from "fs";
import * as path from "path";
import { parse } from "yaml";
import * as apps from "kubernetes-models/apps/v1";
import * as core from "kubernetes-models/v1";
import * as rbac from "kubernetes-models/rbac.authorization.k8s.io/v1";
import { BUNDLE_FILES, NODE_TERMINATION_HANDLER_ENV, addonBundle } from "../src/addons/bundle";
import {
  DEPLOYMENT_ENV,
  NTH_MANAGED_TAG,
  chartValue,
  nodeTerminationHandlerObjects,
} from "../src/addons/node-termination-handler";
import { KubeObject, PodSpec, find } from "../src/addons/patches";
import { addonsRoot, loadVendored } from "../src/addons/vendored";
import { ADDON_VERSIONS } from "../src/bootstrap/versions";
import { BOOTSTRAP_SCRIPTS } from "../src/bootstrap";
import { TERMINATE_HOOK_TIMEOUT_SECONDS } from "../src/constructs/node-groups";

const DIR = path.join(addonsRoot(), "aws-node-termination-handler", ADDON_VERSIONS.nodeTerminationHandler);
const chartFile = (f: string) => fs.readFileSync(path.join(DIR, f), "utf8");
const VALUES = parse(chartFile("values.yaml")) as Record<string, unknown>;
const DEPLOYMENT_TEMPLATE = chartFile("deployment.yaml");
const nth = loadVendored("aws-node-termination-handler", ADDON_VERSIONS.nodeTerminationHandler);
const upstream = nodeTerminationHandlerObjects(nth) as unknown as KubeObject[];
const bundle = addonBundle({ clusterName: "k8s-cluster", region: "eu-west-1", kubernetesMinor: "1.35" });
const file = bundle.files.find((f) => f.path === BUNDLE_FILES.nodeTerminationHandler)!;
const deployment = find(file.objects, "Deployment", "aws-node-termination-handler", "test");
const pod = (deployment.spec as { template: { spec: PodSpec } }).template.spec;
const envOf = (spec: PodSpec) => spec.containers[0].env!;

describe("the chart's objects, as upstream renders them for queue mode", () => {
  test("ServiceAccount, ClusterRole, ClusterRoleBinding and Deployment, in Helm's install order, each valid", () => {
    expect(upstream.map((o) => `${o.kind} ${o.metadata.name} ${o.metadata.namespace ?? "-"}`)).toEqual([
      "ServiceAccount aws-node-termination-handler kube-system",
      "ClusterRole aws-node-termination-handler -",
      "ClusterRoleBinding aws-node-termination-handler -",
      "Deployment aws-node-termination-handler kube-system",
    ]);
    new core.ServiceAccount(upstream[0] as never).validate();
    new rbac.ClusterRole(upstream[1] as never).validate();
    new rbac.ClusterRoleBinding(upstream[2] as never).validate();
    new apps.Deployment(upstream[3] as never).validate();
  });

  test("the image: values.yaml image.repository, tag v + Chart.yaml appVersion (_helpers.tpl), on ECR Public", () => {
    expect((VALUES.image as { repository: string; tag: string }).tag).toBe("");
    expect(parse(chartFile("Chart.yaml")).appVersion).toBe("1.25.6");
    expect(chartFile("_helpers.tpl")).toContain('(default (printf "v%s" .Chart.AppVersion) .Values.image.tag)');
    expect(pod.containers[0].image).toBe("public.ecr.aws/aws-ec2/aws-node-termination-handler:v1.25.6");
  });

  test("each env entry is in deployment.yaml with that literal or values.yaml key, in its order", () => {
    for (const e of DEPLOYMENT_ENV) {
      const value = "value" in e ? `"${e.value}"` : `{{ .Values.${e.key} | quote }}`;
      expect(DEPLOYMENT_TEMPLATE).toContain(`- name: ${e.name}\n              value: ${value}\n`);
    }
    const inTemplate = [...DEPLOYMENT_TEMPLATE.matchAll(/- name: ([A-Z_]+)/g)].map((m) => m[1]);
    const ours = DEPLOYMENT_ENV.map((e) => e.name);
    expect(inTemplate.filter((n) => ours.includes(n))).toEqual(ours);
  });

  test("the env entries left out are those rendered only for values that values.yaml leaves empty", () => {
    const inTemplate = [...DEPLOYMENT_TEMPLATE.matchAll(/- name: ([A-Z_]+)/g)].map((m) => m[1]);
    const left = inTemplate.filter(
      (n) => !DEPLOYMENT_ENV.some((e) => e.name === n) && !["NODE_NAME", "POD_NAME", "NAMESPACE"].includes(n),
    );
    expect(left).toEqual([
      "KUBERNETES_EVENTS_EXTRA_ANNOTATIONS",
      "WEBHOOK_URL",
      "WEBHOOK_HEADERS",
      "WEBHOOK_PROXY",
      "WEBHOOK_TEMPLATE_FILE",
      "WEBHOOK_TEMPLATE",
      "AWS_REGION",
      "AWS_ENDPOINT",
      "AWS_ACCESS_KEY_ID",
      "AWS_SECRET_ACCESS_KEY",
    ]);
    for (const key of [
      "kubernetesEventsExtraAnnotations",
      "webhookURL",
      "webhookHeaders",
      "webhookProxy",
      "webhookTemplate",
      "awsRegion",
      "awsEndpoint",
    ])
      expect([key, VALUES[key]]).toEqual([key, ""]);
    expect(VALUES.awsAccessKeyID ?? null).toBeNull();
  });

  test("values are read from values.yaml (a key upstream drops fails synth naming it)", () => {
    const env = Object.fromEntries(envOf(podOf(upstream[3])).map((e) => [e.name, e.value]));
    expect(env.NODE_TERMINATION_GRACE_PERIOD).toBe(String(VALUES.nodeTerminationGracePeriod));
    expect(env.PROBES_SERVER_PORT).toBe("8080");
    expect(env.QUEUE_URL).toBe("");
    expect(() => chartValue(VALUES, "probes.nope")).toThrow(/values\.yaml has no probes\.nope/);
  });

  test("the ClusterRole's rules are clusterrole.yaml's (no events: emitKubernetesEvents is off)", () => {
    const text = chartFile("clusterrole.yaml");
    const rules = parse(
      text.slice(text.indexOf("rules:"), text.indexOf("{{- if .Values.emitKubernetesEvents }}")),
    ).rules;
    expect((upstream[1] as unknown as { rules: unknown }).rules).toEqual(rules);
    expect(VALUES.emitKubernetesEvents).toBe(false);
  });

  test("the pod: service account, values.yaml's security contexts and priority class, linux nodes", () => {
    const spec = podOf(upstream[3]);
    expect(spec.serviceAccountName).toBe("aws-node-termination-handler");
    expect(spec.securityContext).toEqual(VALUES.podSecurityContext);
    expect(spec.containers[0].securityContext).toEqual(VALUES.securityContext);
    expect(spec.priorityClassName).toBe("system-cluster-critical");
    expect(spec.nodeSelector).toEqual({ "kubernetes.io/os": "linux" });
    expect(spec.hostNetwork).toBeUndefined(); // the chart's deployment has none: ours is a patch
    expect(DEPLOYMENT_TEMPLATE).not.toContain("hostNetwork");
  });
});

function podOf(o: KubeObject): PodSpec {
  return (o.spec as { template: { spec: PodSpec } }).template.spec;
}

describe("our patch (src/addons/bundle.ts), visible in the bundle", () => {
  test("queue mode on the stack's queue (filled in on the node), region, managed-tag check; each once", () => {
    const env = envOf(pod);
    for (const [name, value] of Object.entries({ ...NODE_TERMINATION_HANDLER_ENV, AWS_REGION: "eu-west-1" }))
      expect([name, env.filter((e) => e.name === name)]).toEqual([name, [{ name, value }]]);
    expect(env.find((e) => e.name === "QUEUE_URL")!.value).toBe("__QUEUE_URL__");
  });
  test("the managed tag is the chart's default, the one the workers' group puts on its instances", () =>
    expect(NTH_MANAGED_TAG).toBe(VALUES.managedTag));
  // deployment.yaml passes .Values.deleteSqsMsgIfNodeNotFound (false in values.yaml); with it true,
  // pkg/interruptionevent/draincordon/handler.go completes the hook of an instance that has no node.
  test("an instance that never became a node: its terminate hook is completed at once, not held", () => {
    expect(NODE_TERMINATION_HANDLER_ENV.DELETE_SQS_MSG_IF_NODE_NOT_FOUND).toBe("true");
    expect(VALUES.deleteSqsMsgIfNodeNotFound).toBe(false);
    expect(DEPLOYMENT_TEMPLATE).toContain("- name: DELETE_SQS_MSG_IF_NODE_NOT_FOUND");
  });
  test("a drain ends before the workers' terminate hook times out", () =>
    expect(Number(NODE_TERMINATION_HANDLER_ENV.NODE_TERMINATION_GRACE_PERIOD)).toBeLessThan(
      TERMINATE_HOOK_TIMEOUT_SECONDS,
    ));
  test("host network (IMDS hop limit 1), control-plane nodes only, their taint tolerated, Recreate", () => {
    expect(pod.hostNetwork).toBe(true);
    expect(pod.nodeSelector).toEqual({ "kubernetes.io/os": "linux", "node-role.kubernetes.io/control-plane": "" });
    expect(pod.tolerations).toEqual([
      { key: "node-role.kubernetes.io/control-plane", operator: "Exists", effect: "NoSchedule" },
    ]);
    expect((deployment.spec as { strategy: unknown }).strategy).toEqual({ type: "Recreate" });
    new apps.Deployment(deployment as never).validate();
  });
  test("a template whose only placeholder is the queue URL, which k8s-addons fills and applies", () => {
    expect([...new Set(file.text.match(/__[A-Z_]+__/g))]).toEqual(["__QUEUE_URL__"]);
    const script = BOOTSTRAP_SCRIPTS["/usr/local/sbin/k8s-addons"];
    expect(script).toContain(
      `render "\${ADDONS}/${BUNDLE_FILES.nodeTerminationHandler}" "\${WORK}/node-termination-handler.yaml" QUEUE_URL`,
    );
    expect(script).toContain('-f "${WORK}/node-termination-handler.yaml"');
  });
});
