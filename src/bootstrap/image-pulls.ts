/**
 * How the kubelet gets images: anonymously from public registries, and from private ECR through
 * AWS's ecr-credential-provider (kubernetes/cloud-provider-aws cmd/ecr-credential-provider), which
 * the kubelet runs for every image a `matchImages` pattern of its CredentialProviderConfig covers.
 * A pre-pull with baked-in credentials is no substitute: `imagePullPolicy: Always` pulls again,
 * and image garbage collection removes pre-pulled images.
 */
import { parse } from "yaml";
import { staticFileText } from "./static-files";

/** Directory the kubelet looks for provider binaries in (the binary is named after the provider). */
export const CREDENTIAL_PROVIDER_BIN_DIR = "/usr/local/libexec/kubelet-credential-providers";
export const CREDENTIAL_PROVIDER_CONFIG_PATH = "/etc/kubernetes/image-credential-provider-config.yaml";

/**
 * kubelet.config.k8s.io/v1 CredentialProviderConfig (kubelet --image-credential-provider-config).
 * It does not depend on the configuration, so it is a file in the repository, which the node
 * receives byte for byte: src/bootstrap/files/etc/kubernetes/image-credential-provider-config.yaml.
 * Its provider's name is the binary's name (ECR_CREDENTIAL_PROVIDER.name, src/bootstrap/versions.ts):
 * the kubelet runs the provider by its name from CREDENTIAL_PROVIDER_BIN_DIR. matchImages: upstream's
 * own example, cloud-provider-aws docs/credential_provider.md (commercial and China partitions).
 * defaultCacheDuration applies only when the provider returns no cache duration (it returns about
 * half of the 12 h ECR token lifetime). Read here to check, at synth, that every image can be pulled.
 */
export const CREDENTIAL_PROVIDER_CONFIG: CredentialProviderMatch = Object.freeze(
  parse(staticFileText(CREDENTIAL_PROVIDER_CONFIG_PATH)) as CredentialProviderMatch,
);

/**
 * Registries the kubelet pulls from without credentials: registry.k8s.io (kubeadm's control-plane
 * images and the cloud controller) and ECR Public. Anything else must be covered by the credential
 * provider, or synth refuses the manifest that names it (docker.io is not here: anonymous pulls are
 * rate-limited per NAT address).
 */
export const PUBLIC_REGISTRIES: readonly string[] = Object.freeze(["registry.k8s.io", "public.ecr.aws"]);

export interface ImageReference {
  readonly registry: string;
  readonly repository: string;
  readonly tag?: string;
  readonly digest?: string;
}

/** Splits an image reference as the container runtime does (docker.io when the first part is no host). */
export function parseImage(image: string): ImageReference {
  const at = image.indexOf("@");
  const digest = at >= 0 ? image.slice(at + 1) : undefined;
  const rest = at >= 0 ? image.slice(0, at) : image;
  const slash = rest.indexOf("/");
  const first = slash >= 0 ? rest.slice(0, slash) : "";
  const hasHost = slash >= 0 && (first.includes(".") || first.includes(":") || first === "localhost");
  const registry = hasHost ? first : "docker.io";
  // Docker Hub's official images live under library/ (the name the kubelet matches against).
  const path = hasHost ? rest.slice(slash + 1) : slash >= 0 ? rest : `library/${rest}`;
  const colon = path.lastIndexOf(":");
  const tag = colon >= 0 ? path.slice(colon + 1) : undefined;
  const repository = colon >= 0 ? path.slice(0, colon) : path;
  return { registry, repository, tag, digest };
}

/** Why an image is not pinned (no tag, `latest`, or a malformed digest), or undefined. */
export function unpinned(image: string): string | undefined {
  const ref = parseImage(image);
  if (ref.digest !== undefined)
    return /^sha256:[0-9a-f]{64}$/.test(ref.digest) ? undefined : `digest ${ref.digest} is not sha256:<64 hex>`;
  if (ref.tag === undefined) return "has no tag (the runtime would pull :latest)";
  if (ref.tag === "latest") return "is tagged latest";
  return undefined;
}

function globPart(pattern: string, text: string): boolean {
  // filepath.Match on one host label: '*' any run of characters, '?' one character; no '/' in labels.
  const re = new RegExp(
    `^${pattern
      .replace(/[.+^${}()|\\]/g, "\\$&")
      .replace(/\*/g, ".*")
      .replace(/\?/g, ".")}$`,
  );
  return re.test(text);
}

function hostPortPath(s: string): { host: string; port: string; path: string } {
  const slash = s.indexOf("/");
  const hostPort = slash >= 0 ? s.slice(0, slash) : s;
  const path = slash >= 0 ? s.slice(slash) : "";
  const colon = hostPort.lastIndexOf(":");
  return colon >= 0
    ? { host: hostPort.slice(0, colon), port: hostPort.slice(colon + 1), path }
    : { host: hostPort, port: "", path };
}

/**
 * Whether a matchImages pattern covers an image, as the kubelet decides it
 * (kubernetes/kubernetes pkg/credentialprovider/keyring.go URLsMatchStr, called from
 * pkg/credentialprovider/plugin/plugin.go isImageAllowed): ports equal, the same number of host
 * labels, each label matched by its glob, and the pattern's path a prefix of the image's path.
 */
export function matchImage(pattern: string, image: string): boolean {
  const p = hostPortPath(pattern);
  const ref = parseImage(image);
  const i = hostPortPath(`${ref.registry}/${ref.repository}`);
  if (p.port !== i.port) return false;
  const pl = p.host.split(".");
  const il = i.host.split(".");
  if (pl.length !== il.length) return false;
  if (!i.path.startsWith(p.path)) return false;
  return pl.every((label, n) => globPart(label, il[n]));
}

/** The part of a CredentialProviderConfig that decides which images a provider serves. */
export interface CredentialProviderMatch {
  readonly providers: readonly { readonly name?: string; readonly matchImages: readonly string[] }[];
}

/** How the kubelet authenticates for an image: "public", "credential provider", or undefined (it cannot). */
export function pullAuthority(
  image: string,
  config: CredentialProviderMatch = CREDENTIAL_PROVIDER_CONFIG,
): "public" | "credential provider" | undefined {
  const { registry } = parseImage(image);
  if (PUBLIC_REGISTRIES.includes(registry)) return "public";
  const patterns = config.providers.flatMap((p) => p.matchImages);
  if (patterns.some((p) => matchImage(p, image))) return "credential provider";
  return undefined;
}

interface PulledContainer {
  readonly name: string;
  readonly image: string;
  readonly imagePullPolicy?: string;
}
interface PodSpecLike {
  readonly containers?: readonly PulledContainer[];
  readonly initContainers?: readonly PulledContainer[];
}

/**
 * The pod spec of a Pod, of a workload's template (DaemonSet, Deployment, StatefulSet, Job), or of a CronJob's job
 * template.
 */
export function podSpecOf(o: {
  kind?: string;
  spec?: {
    template?: { spec?: PodSpecLike };
    jobTemplate?: { spec?: { template?: { spec?: PodSpecLike } } };
  } & PodSpecLike;
}): PodSpecLike | undefined {
  if (o.kind === "Pod") return o.spec;
  return o.spec?.template?.spec ?? o.spec?.jobTemplate?.spec?.template?.spec;
}

/**
 * The policy the API server gives a container without one: Always for :latest or no tag, else
 * IfNotPresent (kubernetes/kubernetes pkg/apis/core/v1/defaults.go SetDefaults_Container).
 */
function effectivePullPolicy(c: PulledContainer): string {
  if (c.imagePullPolicy) return c.imagePullPolicy;
  const ref = parseImage(c.image);
  return ref.digest === undefined && (ref.tag === undefined || ref.tag === "latest")
    ? "Always (default)"
    : "IfNotPresent (default)";
}

/**
 * One line per container (init containers included) whose image the kubelet cannot pull as
 * configured (no public registry, no matchImages pattern of `config`) or whose image is not
 * pinned. The pull policy is named but excuses nothing: Always pulls on every start, and
 * IfNotPresent pulls again once image garbage collection removed the image.
 */
export function imagePullProblems(
  files: readonly { path: string; objects: readonly object[] }[],
  config: CredentialProviderMatch = CREDENTIAL_PROVIDER_CONFIG,
): string[] {
  return files.flatMap((f) =>
    f.objects.flatMap((obj) => {
      const o = obj as { kind?: string; metadata?: { name?: string } };
      const spec = podSpecOf(obj as Parameters<typeof podSpecOf>[0]);
      if (!spec) return [];
      return [...(spec.initContainers ?? []), ...(spec.containers ?? [])].flatMap((c) => {
        const reasons: string[] = [];
        if (!pullAuthority(c.image, config))
          reasons.push(
            `${parseImage(c.image).registry} is no public registry (${PUBLIC_REGISTRIES.join(", ")}) and no ` +
              `matchImages pattern of the CredentialProviderConfig covers it`,
          );
        const why = unpinned(c.image);
        if (why) reasons.push(`the image ${why}`);
        if (!reasons.length) return [];
        return [
          `${f.path}: ${o.kind} ${o.metadata?.name} container ${c.name}: image ${c.image} (imagePullPolicy ` +
            `${effectivePullPolicy(c)}): ${reasons.join("; ")}`,
        ];
      });
    }),
  );
}
