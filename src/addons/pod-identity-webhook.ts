/**
 * The EKS pod identity webhook (aws/amazon-eks-pod-identity-webhook), the in-cluster installation
 * its README describes (`make cluster-up`: deploy/auth.yaml, deploy/deployment-base.yaml with the
 * image filled in, deploy/service.yaml, deploy/mutatingwebhook.yaml), vendored byte for byte under
 * addons/amazon-eks-pod-identity-webhook/<version>/. It mutates every new pod whose ServiceAccount
 * carries `eks.amazonaws.com/role-arn`: a projected token for the audience sts.amazonaws.com and
 * AWS_ROLE_ARN, AWS_WEB_IDENTITY_TOKEN_FILE, AWS_REGION, AWS_STS_REGIONAL_ENDPOINTS (README "Usage").
 *
 * Kept as upstream: admissionReviewVersions ["v1beta1"]. The release's handler answers without the
 * AdmissionReview's apiVersion and kind, which kube-apiserver refuses for admission.k8s.io/v1 and
 * tolerates for v1beta1 (upstream issue #225, PR #255's workaround; fixed after v0.6.17 by PR #310,
 * not yet released): do not add "v1" to that list while this release is pinned.
 *
 * Our changes, each a visible patch below:
 * - kube-system instead of the namespace `default` (objects, binding subjects, the webhook's
 *   service reference, --namespace);
 * - no cert-manager (this cluster has none): the ClusterIssuer and Certificate of
 *   deployment-base.yaml are left out, and so is the cert-manager annotation that would fill the
 *   webhook's caBundle. The serving certificate is made on a control-plane node, signed by the
 *   cluster CA, and kept in the Secret the Deployment already mounts (pod-identity-webhook-cert);
 *   the caBundle is the cluster CA, filled in on the node (`__CA_BUNDLE__`). The webhook reads the
 *   files with controller-runtime's certwatcher (main.go, --in-cluster=false), so a renewed Secret
 *   is served without a restart;
 * - without the CSR mode (--in-cluster=true, deprecated since v0.3.0: README "In-cluster"), the Role
 *   that lets it create and update Secrets, its binding, and the CertificateSigningRequest rule of
 *   its ClusterRole serve nothing: left out (creating Secrets in kube-system is too much to keep
 *   for nothing);
 * - the image (IMAGE in the manifest) pinned to the release; flags --aws-default-region and
 *   --sts-regional-endpoint=true (main.go), so mutated pods call STS in their region;
 * - on the control-plane nodes (their taint tolerated), two replicas (one with one control-plane
 *   node) on different nodes, so the webhook is up before any worker joins and the add-ons that
 *   need it start after it; a readiness probe on its /healthz, so that "available"
 *   means it serves; imagePullPolicy IfNotPresent instead of Always;
 * - ours: a PodDisruptionBudget, one replica evicted at a time.
 */
import { parseObjects } from "./manifest-objects";
import type { IPodDisruptionBudget } from "kubernetes-models/policy/v1/PodDisruptionBudget";
import { VendoredAddon } from "./vendored";
import {
  KubeObject,
  PatchError,
  PodSpec,
  appendFlags,
  container,
  find,
  onControlPlaneNodes,
  podSpec,
  replaceFlag,
  setEnv,
} from "./patches";
import { STS_AUDIENCE } from "../aws/workload-identity";

export const POD_IDENTITY_WEBHOOK = "pod-identity-webhook";
export const POD_IDENTITY_WEBHOOK_NAMESPACE = "kube-system";
/** The Secret deployment-base.yaml mounts at /etc/webhook/certs (tls.crt, tls.key: main.go --tls-cert/--tls-key). */
export const POD_IDENTITY_WEBHOOK_CERT_SECRET = "pod-identity-webhook-cert";
/** The image: .github/workflows/build.yaml pushes each tag to public.ecr.aws/eks/amazon-eks-pod-identity-webhook. */
export const POD_IDENTITY_WEBHOOK_IMAGE = "public.ecr.aws/eks/amazon-eks-pod-identity-webhook";
/** The annotation a ServiceAccount names its role with (--annotation-prefix eks.amazonaws.com + "/role-arn"). */
export const ROLE_ARN_ANNOTATION = "eks.amazonaws.com/role-arn";
/** The host name the API server calls the webhook by (<service>.<namespace>.svc): the certificate's name. */
export const POD_IDENTITY_WEBHOOK_HOST = `${POD_IDENTITY_WEBHOOK}.${POD_IDENTITY_WEBHOOK_NAMESPACE}.svc`;

export interface PodIdentityWebhookSettings {
  readonly region: string;
  readonly controlPlaneCount?: number;
}

/**
 * The flags we add (main.go at the tag): the region and regional STS for mutated pods, and a grace
 * period for a ServiceAccount not yet in its cache. The webhook starts serving while its
 * ServiceAccount informer may still be syncing (pkg/cache/cache.go: Start runs the sync in a
 * goroutine); with the grace period a pod of a ServiceAccount it has not seen yet waits up to 5 s
 * for it (Get's notifier) instead of going out unmutated, so the first add-on pods after it starts
 * get their credentials. A ServiceAccount already cached (every one, annotated or not: addSA) costs
 * no wait.
 */
export function webhookFlags(region: string): string[] {
  return [`--aws-default-region=${region}`, "--sts-regional-endpoint=true", "--service-account-lookup-grace-period=5s"];
}

/**
 * What the webhook gives a container of a pod whose ServiceAccount names a role (pkg/handler/handler.go
 * at the tag: NewModifier's volume "aws-iam-token", mounted read-only at
 * /var/run/secrets/eks.amazonaws.com/serviceaccount with the file "token"; a projected ServiceAccount
 * token for the audience sts.amazonaws.com (main.go --token-audience) lasting 86400 s
 * (pkg/constants.go DefaultTokenExpiration); AWS_ROLE_ARN and AWS_WEB_IDENTITY_TOKEN_FILE, and
 * AWS_STS_REGIONAL_ENDPOINTS=regional with --sts-regional-endpoint).
 */
export const WEB_IDENTITY = Object.freeze({
  volume: "aws-iam-token",
  mountPath: "/var/run/secrets/eks.amazonaws.com/serviceaccount",
  tokenFile: "token",
  expirationSeconds: 86400,
});

/**
 * Writes into our own add-on's pod template what the webhook would inject (WEB_IDENTITY), so its
 * credentials never depend on the webhook answering when its pods are created: the webhook's
 * failurePolicy is Ignore (mutatingwebhook.yaml), and a pod created while it is down (both replicas
 * evicted by the drain of one control-plane node) would start, and stay, without credentials. The
 * webhook leaves a container that already has these variables and the volume as it is
 * (addEnvToContainer, "skip adding volume if it already exists").
 */
export function addWebIdentity(spec: PodSpec, containerName: string, roleArn: string, manifest: string): void {
  const c = container(spec, containerName, manifest);
  if ((spec.volumes ?? []).some((v) => v.name === WEB_IDENTITY.volume))
    throw new PatchError(`${manifest}: the pod already has a volume ${WEB_IDENTITY.volume}`);
  spec.volumes = [
    ...(spec.volumes ?? []),
    {
      name: WEB_IDENTITY.volume,
      projected: {
        sources: [
          {
            serviceAccountToken: {
              audience: STS_AUDIENCE,
              expirationSeconds: WEB_IDENTITY.expirationSeconds,
              path: WEB_IDENTITY.tokenFile,
            },
          },
        ],
      },
    },
  ];
  c.volumeMounts = [
    ...(c.volumeMounts ?? []),
    { name: WEB_IDENTITY.volume, mountPath: WEB_IDENTITY.mountPath, readOnly: true },
  ];
  setEnv(c, {
    AWS_ROLE_ARN: roleArn,
    AWS_WEB_IDENTITY_TOKEN_FILE: `${WEB_IDENTITY.mountPath}/${WEB_IDENTITY.tokenFile}`,
    AWS_STS_REGIONAL_ENDPOINTS: "regional",
  });
}

const NAMESPACED = ["ServiceAccount", "Role", "RoleBinding", "Deployment", "Service"];

/** The objects of the in-cluster installation with our patches (see the file comment), in `make cluster-up` order. */
export function podIdentityWebhookObjects(v: VendoredAddon, s: PodIdentityWebhookSettings): KubeObject[] {
  const where = `addons/${v.source.name}/${v.source.version}`;
  const text = (file: string) => {
    const f = v.files.find((x) => x.path === `${v.source.name}/${v.source.version}/${file}`);
    if (!f) throw new Error(`${where} has no ${file}`);
    return f.text;
  };
  const parse = (file: string) => parseObjects(text(file), `${where}/${file}`);
  const certManager = (o: KubeObject) => o.apiVersion.startsWith("cert-manager.io/");
  const deploymentBase = parse("deployment-base.yaml");
  if (
    deploymentBase
      .filter(certManager)
      .map((o) => o.kind)
      .join(",") !== "ClusterIssuer,Certificate"
  )
    throw new PatchError(`${where}/deployment-base.yaml no longer holds cert-manager's ClusterIssuer and Certificate`);
  const all = [...parse("auth.yaml"), ...deploymentBase.filter((o) => !certManager(o))];
  const objects = [...all, ...parse("service.yaml"), ...parse("mutatingwebhook.yaml")];

  // No CSR mode: no Role over Secrets, no binding to it, no CSR rule.
  find(objects, "Role", POD_IDENTITY_WEBHOOK, where);
  find(objects, "RoleBinding", POD_IDENTITY_WEBHOOK, where);
  const kept = objects.filter(
    (o) => !(["Role", "RoleBinding"].includes(o.kind) && o.metadata.name === POD_IDENTITY_WEBHOOK),
  );
  const clusterRole = find(kept, "ClusterRole", POD_IDENTITY_WEBHOOK, where) as KubeObject & {
    rules: { apiGroups: string[] }[];
  };
  const before = clusterRole.rules.length;
  clusterRole.rules = clusterRole.rules.filter((r) => !r.apiGroups.includes("certificates.k8s.io"));
  if (clusterRole.rules.length !== before - 1)
    throw new PatchError(`${where}: ClusterRole ${POD_IDENTITY_WEBHOOK} no longer has one certificates.k8s.io rule`);

  // kube-system.
  for (const o of kept) {
    if (NAMESPACED.includes(o.kind)) {
      if (o.metadata.namespace !== "default")
        throw new PatchError(`${where}: ${o.kind} ${o.metadata.name} is not in the namespace default`);
      o.metadata.namespace = POD_IDENTITY_WEBHOOK_NAMESPACE;
    }
    for (const subject of (o.subjects as { kind: string; namespace?: string }[] | undefined) ?? [])
      if (subject.kind === "ServiceAccount") subject.namespace = POD_IDENTITY_WEBHOOK_NAMESPACE;
  }

  const deployment = find(kept, "Deployment", POD_IDENTITY_WEBHOOK, where);
  const spec = podSpec(deployment, where);
  const c = container(spec, POD_IDENTITY_WEBHOOK, where);
  if (c.image !== "IMAGE")
    throw new PatchError(`${where}: the webhook's image is ${c.image}, not the IMAGE placeholder`);
  c.image = `${POD_IDENTITY_WEBHOOK_IMAGE}:${v.source.version}`;
  // The release's tag, pulled once per node: a webhook pod restarting on a node that has the image
  // does not depend on public.ecr.aws answering.
  if (c.imagePullPolicy !== "Always")
    throw new PatchError(`${where}: the webhook's imagePullPolicy is ${c.imagePullPolicy}, not Always`);
  c.imagePullPolicy = "IfNotPresent";
  replaceFlag(c, "command", "--namespace", POD_IDENTITY_WEBHOOK_NAMESPACE, where);
  // Ready once it serves (main.go: /healthz on the TLS server); the grace period above covers its cache.
  if (c.readinessProbe !== undefined) throw new PatchError(`${where}: the webhook already has a readiness probe`);
  c.readinessProbe = { httpGet: { path: "/healthz", port: 443, scheme: "HTTPS" }, periodSeconds: 5 };
  appendFlags(c, "command", webhookFlags(s.region), where);
  onControlPlaneNodes(spec);
  spec.priorityClassName = "system-cluster-critical";
  const replicas = Math.min(2, s.controlPlaneCount ?? 1);
  (deployment.spec as { replicas: number }).replicas = replicas;
  // With two replicas (three or five control-plane nodes), never both on one node: the first node
  // runs one and the second waits until another control-plane node joins (a preference would leave
  // both on the first node for good: k8s-addons runs while it is the only one). maxUnavailable 1:
  // the Deployment is Available, which k8s-addons waits for, once one replica serves; a rolling
  // update and a drain always find a third node free.
  if (spec.affinity !== undefined) throw new PatchError(`${where}: the webhook already has an affinity`);
  if (replicas > 1) {
    spec.affinity = {
      podAntiAffinity: {
        requiredDuringSchedulingIgnoredDuringExecution: [
          { labelSelector: { matchLabels: POD_LABELS }, topologyKey: HOSTNAME },
        ],
      },
    };
    const deploymentSpec = deployment.spec as { strategy?: unknown };
    if (deploymentSpec.strategy !== undefined) throw new PatchError(`${where}: the webhook already has a strategy`);
    deploymentSpec.strategy = { type: "RollingUpdate", rollingUpdate: { maxUnavailable: 1, maxSurge: 1 } };
  }
  const labels = (deployment.spec as { selector: { matchLabels: Record<string, string> } }).selector.matchLabels;
  if (JSON.stringify(labels) !== JSON.stringify(POD_LABELS))
    throw new PatchError(`${where}: the webhook's pods are no longer selected by ${JSON.stringify(POD_LABELS)}`);

  const webhookConfig = find(kept, "MutatingWebhookConfiguration", POD_IDENTITY_WEBHOOK, where) as KubeObject & {
    webhooks: { clientConfig: { service: { namespace: string }; caBundle?: string } }[];
  };
  const annotations = webhookConfig.metadata.annotations as Record<string, string> | undefined;
  if (!annotations?.["cert-manager.io/inject-ca-from"])
    throw new PatchError(`${where}: the MutatingWebhookConfiguration no longer asks cert-manager for its caBundle`);
  delete webhookConfig.metadata.annotations;
  if (webhookConfig.webhooks.length !== 1) throw new PatchError(`${where}: expected one webhook`);
  webhookConfig.webhooks[0].clientConfig.service.namespace = POD_IDENTITY_WEBHOOK_NAMESPACE;
  webhookConfig.webhooks[0].clientConfig.caBundle = "__CA_BUNDLE__";
  return [...kept, webhookDisruptionBudget() as unknown as KubeObject];
}

/** The webhook's pods (deployment-base.yaml selector.matchLabels) and the node label spread over. */
const POD_LABELS = { app: POD_IDENTITY_WEBHOOK };
const HOSTNAME = "kubernetes.io/hostname";

/**
 * Ours: at most one webhook replica evicted at a time, so a drain leaves one serving while its
 * replacement starts elsewhere. maxUnavailable rather than minAvailable: with one control-plane
 * node (one replica) the drain may still evict it instead of waiting forever.
 */
export function webhookDisruptionBudget(): IPodDisruptionBudget {
  return {
    apiVersion: "policy/v1",
    kind: "PodDisruptionBudget",
    metadata: { name: POD_IDENTITY_WEBHOOK, namespace: POD_IDENTITY_WEBHOOK_NAMESPACE },
    spec: { maxUnavailable: 1, selector: { matchLabels: POD_LABELS } },
  };
}
