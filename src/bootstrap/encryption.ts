/**
 * Secrets encrypted at rest: the API server's EncryptionConfiguration on every control-plane node.
 * The types are apiserver.config.k8s.io/v1's (k8s.io/apiserver/pkg/apis/apiserver/v1/types_encryption.go:
 * EncryptionConfiguration, ResourceConfiguration, ProviderConfiguration, SecretboxConfiguration,
 * Key, IdentityConfiguration); the flags are kube-apiserver's (k8s.io/apiserver/pkg/server/options/etcd.go);
 * kubeadm mounts the file's folder into the API server's static pod (ClusterConfiguration
 * apiServer.extraArgs / extraVolumes, src/bootstrap/kubeadm.ts), as audit.ts does.
 *
 * The keys are made once, on the control-plane node that creates the cluster, and kept only in SSM
 * SecureString (ssmParameterNames().encryptionKeys): the node receives this configuration as a
 * template whose key list the bundle's k8s-cluster-secrets fills in from that parameter
 * (scripts/k8s-cluster-secrets.sh). The parameter holds "name:secret,name:secret" (each secret 32
 * random bytes in base64): the first key encrypts, every key decrypts, so a key can be rotated
 * (docs/security.md).
 */
import { yamlDocs } from "./yaml-text";

/** apiserver.config.k8s.io/v1 Key. */
export interface EncryptionKey {
  readonly name: string;
  /** base64 of the key's bytes (secretbox: exactly 32). */
  readonly secret: string;
}

/**
 * apiserver.config.k8s.io/v1 ProviderConfiguration, the two providers used here. secretbox
 * (XSalsa20 and Poly1305) rather than aescbc: the Kubernetes documentation ("Encrypting
 * Confidential Data at Rest", kubernetes/website content/en/docs/tasks/administer-cluster/encrypt-data.md)
 * rates aescbc weak (CBC's vulnerability to padding oracle attacks) and secretbox strong.
 * `keys` is the list itself, or (in the node's template) the placeholder the node fills in.
 */
type ProviderConfiguration<K> =
  { readonly secretbox: { readonly keys: K } } | { readonly identity: Record<string, never> };

/** apiserver.config.k8s.io/v1 ResourceConfiguration. */
interface ResourceConfiguration<K> {
  readonly resources: readonly string[];
  readonly providers: readonly ProviderConfiguration<K>[];
}

/** apiserver.config.k8s.io/v1 EncryptionConfiguration. */
export interface EncryptionConfiguration<K = readonly EncryptionKey[]> {
  readonly apiVersion: "apiserver.config.k8s.io/v1";
  readonly kind: "EncryptionConfiguration";
  readonly resources: readonly ResourceConfiguration<K>[];
}

/** Where the configuration lives on a control-plane node (host and API server pod alike), root only. */
export const ENCRYPTION_PATHS = {
  configDir: "/etc/kubernetes/encryption",
  configFile: "/etc/kubernetes/encryption/config.yaml",
  /** The template the node fills in (no key in it), from the cluster bundle. */
  template: "/etc/k8s-bootstrap/encryption-config.yaml.tmpl",
} as const;

/** What the template holds in place of the key list. */
export const ENCRYPTION_KEYS_PLACEHOLDER = "__ENCRYPTION_KEYS__";

/** The resources encrypted: Secrets (the API's confidential data). */
export const ENCRYPTED_RESOURCES = ["secrets"] as const;

/**
 * Secrets are written with secretbox under the first key; secretbox reads what any of the keys
 * wrote; `identity` last reads what was stored before encryption was on (it never writes, not
 * being first).
 */
export function encryptionConfiguration<K>(keys: K): EncryptionConfiguration<K> {
  return {
    apiVersion: "apiserver.config.k8s.io/v1",
    kind: "EncryptionConfiguration",
    resources: [{ resources: [...ENCRYPTED_RESOURCES], providers: [{ secretbox: { keys } }, { identity: {} }] }],
  };
}

/** The template's text, as control-plane nodes receive it: no key, the placeholder instead. */
export function encryptionConfigTemplate(): string {
  return yamlDocs([encryptionConfiguration(ENCRYPTION_KEYS_PLACEHOLDER)]);
}

/** kube-apiserver flags, as kubeadm v1beta4 extraArgs. */
export function encryptionApiServerArgs(): { name: string; value: string }[] {
  return [
    { name: "encryption-provider-config", value: ENCRYPTION_PATHS.configFile },
    // The file is read again when it changes (kube-apiserver 1.26 and later; without KMS providers
    // it costs nothing): a key rotation rewrites it on each node, no API server restart needed.
    { name: "encryption-provider-config-automatic-reload", value: "true" },
  ];
}

/** The host path kubeadm mounts into the API server's pod (v1beta4 HostPathMount), read-only. */
export function encryptionApiServerVolumes() {
  return [
    {
      name: "encryption-config",
      hostPath: ENCRYPTION_PATHS.configDir,
      mountPath: ENCRYPTION_PATHS.configDir,
      readOnly: true,
      pathType: "DirectoryOrCreate",
    },
  ];
}
