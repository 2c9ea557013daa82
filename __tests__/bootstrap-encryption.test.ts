/**
 * Secrets encrypted at rest: the EncryptionConfiguration template every control-plane node receives,
 * the kube-apiserver flags and mount kubeadm writes into its static pod, and the script that fills
 * in the keys. Field names: apiserver.config.k8s.io/v1 (kubernetes/kubernetes
 * staging/src/k8s.io/apiserver/pkg/apis/apiserver/v1/types_encryption.go: EncryptionConfiguration
 * resources, ResourceConfiguration resources/providers, ProviderConfiguration secretbox/identity,
 * SecretboxConfiguration keys, Key name/secret); flags: staging/src/k8s.io/apiserver/pkg/server/options/etcd.go
 * (--encryption-provider-config, --encryption-provider-config-automatic-reload); mounts: kubeadm
 * v1beta4 HostPathMount (name, hostPath, mountPath, readOnly, pathType). kubeadm keeps an existing
 * sa.key: cmd/kubeadm/app/phases/certs/certs.go CreateServiceAccountKeyAndPublicKeyFiles.
 */
import { parse, parseAllDocuments } from "yaml";
import {
  ENCRYPTION_KEYS_PLACEHOLDER,
  ENCRYPTION_PATHS,
  encryptionConfigTemplate,
  encryptionConfiguration,
} from "../src/bootstrap/encryption";
import { BOOTSTRAP_SCRIPTS, SCRIPT_PATHS } from "../src/bootstrap/scripts";
import { deliveredFiles } from "./harness/node";

const delivered = (role: "control-plane" | "worker", p: string) => deliveredFiles(role).find((f) => f.path === p);
const clusterConfiguration = () => {
  const init = delivered("control-plane", "/etc/k8s-bootstrap/kubeadm-init.yaml.tmpl")!;
  return parseAllDocuments(init.content)
    .map((d) => d.toJSON())
    .find((d) => d.kind === "ClusterConfiguration");
};

describe("the EncryptionConfiguration", () => {
  const key = { name: "key-1", secret: Buffer.alloc(32, 1).toString("base64") };

  test("Secrets only: secretbox first (it writes), identity last (reads what was stored unencrypted)", () => {
    expect(encryptionConfiguration([key])).toEqual({
      apiVersion: "apiserver.config.k8s.io/v1",
      kind: "EncryptionConfiguration",
      resources: [{ resources: ["secrets"], providers: [{ secretbox: { keys: [key] } }, { identity: {} }] }],
    });
  });

  test("control-plane nodes get the template in the bundle: the placeholder where the keys go, no key", () => {
    const f = delivered("control-plane", ENCRYPTION_PATHS.template)!;
    expect({ delivery: f.delivery, permissions: f.permissions }).toEqual({ delivery: "bundle", permissions: "0644" });
    expect(f.content).toBe(encryptionConfigTemplate());
    expect(parse(f.content)).toEqual(encryptionConfiguration(ENCRYPTION_KEYS_PLACEHOLDER));
    expect(f.content).toContain(`keys: ${ENCRYPTION_KEYS_PLACEHOLDER}\n`);
  });

  test("the template with a flow list in place of the placeholder (as the node fills it) is the configuration", () => {
    const list = `[{name: "${key.name}", secret: "${key.secret}"}, {name: "old", secret: "${key.secret}"}]`;
    const filled = encryptionConfigTemplate().replace(ENCRYPTION_KEYS_PLACEHOLDER, list);
    expect(parse(filled)).toEqual(encryptionConfiguration([key, { ...key, name: "old" }]));
  });

  test("a worker runs no API server: no template, no script, no cluster-secret parameter", () => {
    expect(delivered("worker", ENCRYPTION_PATHS.template)).toBeUndefined();
    expect(delivered("worker", SCRIPT_PATHS.clusterSecrets)).toBeUndefined();
    const env = delivered("worker", "/etc/k8s-bootstrap/env")!.content;
    expect(env).not.toMatch(/SSM_ENCRYPTION_KEYS|SSM_SERVICE_ACCOUNT_KEY/);
  });

  test("k8s-cluster-secrets writes it where the flag points, from the template the bundle delivers", () => {
    const script = BOOTSTRAP_SCRIPTS[SCRIPT_PATHS.clusterSecrets];
    expect(script).toContain(`\nCONFIG="\${ROOT}${ENCRYPTION_PATHS.configFile}"\n`);
    expect(script).toContain(`\nTEMPLATE="\${ROOT}${ENCRYPTION_PATHS.template}"\n`);
    expect(script).toContain(ENCRYPTION_KEYS_PLACEHOLDER);
  });
});

describe("the API server's flags and mount (kubeadm ClusterConfiguration apiServer)", () => {
  test("--encryption-provider-config names the file; --encryption-provider-config-automatic-reload=true", () => {
    expect(clusterConfiguration().apiServer.extraArgs).toEqual(
      expect.arrayContaining([
        { name: "encryption-provider-config", value: ENCRYPTION_PATHS.configFile },
        { name: "encryption-provider-config-automatic-reload", value: "true" },
      ]),
    );
  });

  test("its folder is mounted read-only at the same path (a folder: a rewritten file is seen)", () => {
    expect(ENCRYPTION_PATHS.configFile.startsWith(`${ENCRYPTION_PATHS.configDir}/`)).toBe(true);
    expect(clusterConfiguration().apiServer.extraVolumes).toContainEqual({
      name: "encryption-config",
      hostPath: ENCRYPTION_PATHS.configDir,
      mountPath: ENCRYPTION_PATHS.configDir,
      readOnly: true,
      pathType: "DirectoryOrCreate",
    });
  });

  test("the audit log's flags and mounts stay beside them", () => {
    const args = clusterConfiguration().apiServer.extraArgs.map((a: { name: string }) => a.name);
    expect(args).toEqual(expect.arrayContaining(["audit-policy-file", "encryption-provider-config"]));
    expect(new Set(args).size).toBe(args.length);
  });
});
