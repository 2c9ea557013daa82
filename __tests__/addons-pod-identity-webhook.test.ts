/**
 * The EKS pod identity webhook as the bundle carries it: the vendored deploy/ files of
 * aws/amazon-eks-pod-identity-webhook v0.6.17 (SOURCE.json, SHA-256), their objects with our
 * patches (src/addons/pod-identity-webhook.ts says why each), the pinned image and how the kubelet
 * pulls it, and the names the node's certificate script shares with the manifest. Upstream facts
 * relied on: deploy/deployment-base.yaml (command flags, the Secret it mounts), deploy/auth.yaml,
 * deploy/mutatingwebhook.yaml, main.go (flag names and defaults: --port 443, --tls-cert
 * /etc/webhook/certs/tls.crt), .github/workflows/build.yaml (the image repository and tag).
 */
import * as fs from "fs";
import * as path from "path";
import { addonBundle, bundleImages, BUNDLE_FILES } from "../src/addons/bundle";
import { loadVendored, sha256, addonsRoot } from "../src/addons/vendored";
import {
  POD_IDENTITY_WEBHOOK_CERT_SECRET,
  POD_IDENTITY_WEBHOOK_HOST,
  podIdentityWebhookObjects,
} from "../src/addons/pod-identity-webhook";
import { imagePullProblems, pullAuthority, unpinned } from "../src/bootstrap/image-pulls";
import { hostNetworkPods } from "../src/addons/host-network";
import { BOOTSTRAP_SCRIPTS, SCRIPT_PATHS } from "../src/bootstrap/scripts";

const VERSION = "v0.6.17";
const vendored = loadVendored("amazon-eks-pod-identity-webhook", VERSION);
const objects = podIdentityWebhookObjects(vendored, { region: "ap-northeast-2", controlPlaneCount: 3 });
const byKind = (kind: string) => objects.filter((o) => o.kind === kind);
const settings = { clusterName: "k8s-cluster", region: "ap-northeast-2", kubernetesMinor: "1.35" };

test("SOURCE.json: the release tag's commit, deploy/, the four files with their SHA-256", () => {
  expect(vendored.source).toMatchObject({
    version: VERSION,
    commit: "c1be3015c7e629cce846f14d63e77a0ac56ea3bc",
    repository: "https://github.com/aws/amazon-eks-pod-identity-webhook",
    path: "deploy",
  });
  const dir = path.join(addonsRoot(), "amazon-eks-pod-identity-webhook", VERSION);
  for (const [file, digest] of Object.entries(vendored.source.files))
    expect([file, sha256(fs.readFileSync(path.join(dir, file)))]).toEqual([file, digest]);
  expect(Object.keys(vendored.source.files)).toEqual([
    "auth.yaml",
    "deployment-base.yaml",
    "mutatingwebhook.yaml",
    "service.yaml",
  ]);
});

test("the objects: make cluster-up's, without cert-manager's and without the CSR mode's Role", () =>
  expect(objects.map((o) => `${o.kind}/${o.metadata.namespace ?? ""}/${o.metadata.name}`)).toEqual([
    "ServiceAccount/kube-system/pod-identity-webhook",
    "ClusterRole//pod-identity-webhook",
    "ClusterRoleBinding//pod-identity-webhook",
    "Deployment/kube-system/pod-identity-webhook",
    "Service/kube-system/pod-identity-webhook",
    "MutatingWebhookConfiguration//pod-identity-webhook",
    // Ours (webhookDisruptionBudget).
    "PodDisruptionBudget/kube-system/pod-identity-webhook",
  ]));

test("RBAC: read ServiceAccounts cluster-wide, nothing else (no Secrets, no CSRs)", () => {
  expect((byKind("ClusterRole")[0] as unknown as { rules: unknown[] }).rules).toEqual([
    { apiGroups: [""], resources: ["serviceaccounts"], verbs: ["get", "watch", "list"] },
  ]);
  expect(byKind("ClusterRoleBinding")[0].subjects).toEqual([
    { kind: "ServiceAccount", name: "pod-identity-webhook", namespace: "kube-system" },
  ]);
});

describe("the Deployment", () => {
  const spec = (byKind("Deployment")[0].spec as any).template.spec;
  test("upstream's flags with kube-system, then the region and regional STS", () =>
    expect(spec.containers[0].command).toEqual([
      "/webhook",
      "--in-cluster=false",
      "--namespace=kube-system",
      "--service-name=pod-identity-webhook",
      "--annotation-prefix=eks.amazonaws.com",
      "--token-audience=sts.amazonaws.com",
      "--logtostderr",
      "--aws-default-region=ap-northeast-2",
      "--sts-regional-endpoint=true",
      "--service-account-lookup-grace-period=5s",
    ]));
  test("ready once it serves /healthz over TLS on 443 (main.go mux, --port default 443)", () =>
    expect(spec.containers[0].readinessProbe).toEqual({
      httpGet: { path: "/healthz", port: 443, scheme: "HTTPS" },
      periodSeconds: 5,
    }));
  test("the image pinned to the release on ECR Public, pulled without credentials, once per node", () => {
    const image = spec.containers[0].image;
    expect(image).toBe("public.ecr.aws/eks/amazon-eks-pod-identity-webhook:v0.6.17");
    expect([pullAuthority(image), unpinned(image)]).toEqual(["public", undefined]);
    // deployment-base.yaml says Always: a restart would depend on public.ecr.aws answering.
    expect(spec.containers[0].imagePullPolicy).toBe("IfNotPresent");
  });
  test("replicas preferably on different control-plane nodes; a drain evicts one at a time", () => {
    expect(spec.affinity).toEqual({
      podAntiAffinity: {
        preferredDuringSchedulingIgnoredDuringExecution: [
          {
            weight: 100,
            podAffinityTerm: {
              labelSelector: { matchLabels: { app: "pod-identity-webhook" } },
              topologyKey: "kubernetes.io/hostname",
            },
          },
        ],
      },
    });
    // The selector of deployment-base.yaml: the budget counts the webhook's pods and nothing else.
    expect((byKind("Deployment")[0].spec as any).selector).toEqual({ matchLabels: { app: "pod-identity-webhook" } });
    // maxUnavailable, not minAvailable 1: with one control-plane node (one replica) a drain can still evict it.
    expect(byKind("PodDisruptionBudget")[0].spec).toEqual({
      maxUnavailable: 1,
      selector: { matchLabels: { app: "pod-identity-webhook" } },
    });
  });
  test("on the control-plane nodes, pod network (the API server reaches pods: A8), two replicas at most", () => {
    expect(spec.nodeSelector).toEqual({ "node-role.kubernetes.io/control-plane": "" });
    expect(spec.tolerations).toEqual([
      { key: "node-role.kubernetes.io/control-plane", operator: "Exists", effect: "NoSchedule" },
    ]);
    expect(spec.hostNetwork).toBeUndefined();
    expect((byKind("Deployment")[0].spec as any).replicas).toBe(2);
    expect(
      (podIdentityWebhookObjects(vendored, { region: "r" }).find((o) => o.kind === "Deployment")!.spec as any).replicas,
    ).toBe(1);
  });
  test("it serves the Secret the node's certificate script writes", () => {
    expect(spec.volumes).toEqual([{ name: "cert", secret: { secretName: POD_IDENTITY_WEBHOOK_CERT_SECRET } }]);
    const script = BOOTSTRAP_SCRIPTS[SCRIPT_PATHS.webhookCert];
    expect(script).toContain(`SECRET=${POD_IDENTITY_WEBHOOK_CERT_SECRET}\n`);
    expect(script).toContain('HOST="pod-identity-webhook.${NAMESPACE}.svc"');
    expect(script).toContain("NAMESPACE=kube-system\n");
    expect(POD_IDENTITY_WEBHOOK_HOST).toBe("pod-identity-webhook.kube-system.svc");
  });
});

test("the MutatingWebhookConfiguration: the service in kube-system, caBundle from the node, no cert-manager", () => {
  const config = byKind("MutatingWebhookConfiguration")[0] as any;
  expect(config.metadata).toEqual({ name: "pod-identity-webhook" });
  expect(config.webhooks[0].clientConfig).toEqual({
    service: { name: "pod-identity-webhook", namespace: "kube-system", path: "/mutate" },
    caBundle: "__CA_BUNDLE__",
  });
  expect(config.webhooks[0].failurePolicy).toBe("Ignore");
  // v0.6.17 answers without apiVersion/kind: only v1beta1 reviews are accepted from it (upstream #225, #310).
  expect(config.webhooks[0].admissionReviewVersions).toEqual(["v1beta1"]);
});

describe("in the bundle", () => {
  const on = addonBundle({ ...settings, workloadIdentity: true, controlPlaneCount: 3 });
  test("only with workload identity, as a template the node fills with the cluster CA", () => {
    expect(on.files.map((f) => f.path)).toContain(BUNDLE_FILES.podIdentityWebhook);
    expect(addonBundle(settings).files.map((f) => f.path)).not.toContain(BUNDLE_FILES.podIdentityWebhook);
    expect(on.files.find((f) => f.path === BUNDLE_FILES.podIdentityWebhook)!.text).toContain(
      'caBundle: "__CA_BUNDLE__"',
    );
  });
  test("every image pullable as configured; no host-network pod added", () => {
    expect(imagePullProblems(on.files)).toEqual([]);
    expect(bundleImages(on)).toContain("public.ecr.aws/eks/amazon-eks-pod-identity-webhook:v0.6.17");
    // The webhook is in the pod network; with workload identity the EBS CSI controller leaves the host's.
    const off = hostNetworkPods(addonBundle(settings), "control-plane");
    expect(hostNetworkPods(on, "control-plane")).toEqual(off.filter((p) => p !== "ebs-csi-controller"));
    expect(off).toContain("ebs-csi-controller");
  });
});
