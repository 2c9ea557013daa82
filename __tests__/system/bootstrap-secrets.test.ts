/**
 * The cluster secrets under bash with the harness stubs (harness/): the keys the API servers encrypt
 * Secrets with and the service-account signing key are made once, by the control-plane node that
 * creates the cluster, before kubeadm init, created in SSM as SecureStrings without --overwrite (the
 * stub fails such a put with ParameterAlreadyExists, as SSM's PutParameter does); the other
 * control-plane nodes fetch them and write the same files; a node that finds them in SSM (a re-init,
 * a restore) makes none; and the values appear nowhere but in SSM and those files. The key
 * generation is real: /dev/urandom, base64 and openssl (Ubuntu's own), never stubbed.
 */
import { X509Certificate, createHash, createPublicKey } from "crypto";
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { parse } from "yaml";
import { API_ENDPOINT, CLUSTER_SECRETS, JOIN_PARAMETERS, NodeRun, PREFIX, TERRAFORM_PARAMETERS } from "../harness/node";
import { ALL_PARAMETERS, CREATED_SECRETS, expectSuccess, failedLines, nodeRunner, yamlDocs } from "../harness/boot";
import { EncryptionKey, encryptionConfiguration } from "../../src/bootstrap/encryption";
import { clusterBundle, renderUserData } from "../../src/bootstrap";
import { settingsFor } from "../harness/node";
import { clusterSecretsKeyAlias } from "../../src/aws/cluster-secrets-key";

const node = nodeRunner();
const KEYS = `${PREFIX}/secrets/encryption-keys`;
const SA_KEY = `${PREFIX}/secrets/service-account-key`;
const CONFIG = "etc/kubernetes/encryption/config.yaml";
const mode = (n: NodeRun, p: string) => (fs.statSync(path.join(n.root, p)).mode & 0o777).toString(8);
/** "name:secret,..." as the list of keys the configuration holds. */
const keyList = (value: string): EncryptionKey[] =>
  value.split(",").map((e) => ({ name: e.slice(0, e.indexOf(":")), secret: e.slice(e.indexOf(":") + 1) }));
const publicKeyOf = (pem: string) => createPublicKey(pem).export({ type: "spki", format: "pem" }).toString();
/** The files under a folder (relative paths) whose text contains needle. */
function filesContaining(dir: string, needle: string): string[] {
  const found: string[] = [];
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.isFile() && fs.readFileSync(p, "latin1").includes(needle)) found.push(path.relative(dir, p));
    }
  };
  walk(dir);
  return found.sort();
}
/** What of a PEM private key is secret: its base64 body lines. */
const pemBody = (pem: string) => pem.split("\n").filter((l) => !l.startsWith("-----"));

/** The files a control-plane node holds the secrets in: its EncryptionConfiguration and sa.key. */
function expectSecretFiles(n: NodeRun, keys: string, saKey: string) {
  expect(parse(n.nodeFile(CONFIG)!)).toEqual(encryptionConfiguration(keyList(keys)));
  expect(mode(n, CONFIG)).toBe("600");
  expect(mode(n, "etc/kubernetes/encryption")).toBe("700");
  expect(n.nodeFile("etc/kubernetes/pki/sa.key")!.trim()).toBe(saKey);
  expect(mode(n, "etc/kubernetes/pki/sa.key")).toBe("600");
  expect(n.nodeFile("etc/kubernetes/pki/sa.pub")).toBe(publicKeyOf(saKey));
}

describe("the control-plane node that creates the cluster", () => {
  let n: NodeRun;
  beforeAll(() => {
    n = node("control-plane", { ssm: TERRAFORM_PARAMETERS });
  });

  test("makes both once and creates them in SSM as SecureStrings, without --overwrite, before kubeadm init", () => {
    expectSuccess(n);
    const creates = n.callsOf(`aws ssm put-parameter --name ${PREFIX}/secrets/`);
    expect(creates.map((c) => c.split(" ")[4])).toEqual(CREATED_SECRETS);
    for (const c of creates) {
      expect(c).toMatch(/ --type SecureString --key-id \S+ --value file:\/\/\S+$/);
      expect(c).not.toContain("--overwrite");
    }
    expect(n.ssmType(KEYS)).toBe("SecureString");
    expect(n.ssmType(SA_KEY)).toBe("SecureString");
    expect(n.calls.lastIndexOf(creates[1])).toBeLessThan(n.indexOf("kubeadm init --config"));
  });

  test("both under the cluster's own KMS key (its alias, from the env file), never the account's aws/ssm", () => {
    const alias = clusterSecretsKeyAlias(settingsFor("control-plane").clusterName);
    expect(alias).toBe("alias/k8s-cluster-cluster-secrets");
    expect(renderUserData(settingsFor("control-plane")).cloudConfig).toContain(`CLUSTER_SECRETS_KEY=${alias}\n`);
    expect(renderUserData(settingsFor("worker")).cloudConfig).not.toContain("CLUSTER_SECRETS_KEY");
    expect([ssmKeyOf(n, KEYS), ssmKeyOf(n, SA_KEY)]).toEqual([alias, alias]);
    for (const c of n.callsOf(`aws ssm put-parameter --name ${PREFIX}/secrets/`))
      expect(c).toContain(` --key-id ${alias} `);
  });

  test("one secretbox key of 32 random bytes; an RSA 2048 signing key", () => {
    const [key, ...more] = keyList(n.ssm()[KEYS]);
    expect(more).toEqual([]);
    expect(key.name).toMatch(/^key-\d{8}t\d{6}z$/);
    expect(Buffer.from(key.secret, "base64")).toHaveLength(32);
    const pub = createPublicKey(n.ssm()[SA_KEY]);
    expect([pub.asymmetricKeyType, pub.asymmetricKeyDetails?.modulusLength]).toEqual(["rsa", 2048]);
  });

  test("writes the EncryptionConfiguration and sa.key/sa.pub from them; kubeadm init keeps that sa.key", () => {
    // The stub kubeadm makes its own sa.key when there is none (as kubeadm's certs phase does).
    expectSecretFiles(n, n.ssm()[KEYS], n.ssm()[SA_KEY]);
    expect(n.stdout).toContain('[certs] Using the existing "sa" key');
    expect(n.stdout).not.toContain('[certs] Generating "sa" key');
  });

  test("the API server's flags name the configuration, reloaded when it changes, mounted read-only", () => {
    const cluster = yamlDocs(n.kept("kubeadm-init.yaml")!).find((d) => d.kind === "ClusterConfiguration");
    expect(cluster.apiServer.extraArgs).toEqual(
      expect.arrayContaining([
        { name: "encryption-provider-config", value: `/${CONFIG}` },
        { name: "encryption-provider-config-automatic-reload", value: "true" },
      ]),
    );
    expect(cluster.apiServer.extraVolumes).toContainEqual({
      name: "encryption-config",
      hostPath: "/etc/kubernetes/encryption",
      mountPath: "/etc/kubernetes/encryption",
      readOnly: true,
      pathType: "DirectoryOrCreate",
    });
  });

  test("the values appear in no log, no command line, no file but the two, and none is left in scratch space", () => {
    const secrets = [keyList(n.ssm()[KEYS])[0].secret, ...pemBody(n.ssm()[SA_KEY])];
    const log = `${n.stdout}${n.stderr}${n.nodeFile("var/log/cloud-init-output.log")}${n.calls.join("\n")}`;
    for (const s of secrets) expect(log).not.toContain(s);
    expect(filesContaining(n.root, secrets[0])).toEqual([CONFIG]);
    expect(filesContaining(n.root, secrets[1])).toEqual(["etc/kubernetes/pki/sa.key"]);
    expect(fs.readdirSync(path.join(n.state, "..", "tmp"))).toEqual([]);
    expect(n.stderr).toContain(`k8s-cluster-secrets: ${KEYS}: made on this node, created as a SecureString`);
  });

  test("a second control-plane node fetches the same values and writes the same files", () => {
    const joiner = node("control-plane", { ssm: { ...ALL_PARAMETERS, ...pick(n.ssm()) } });
    expectSuccess(joiner);
    expect(joiner.callsOf("aws ssm put-parameter")).toEqual([]);
    expect(joiner.callsOf("kubeadm join")).toHaveLength(1);
    expect(joiner.indexOf(`aws ssm get-parameter --name ${SA_KEY} `)).toBeLessThan(joiner.indexOf("kubeadm join"));
    for (const f of [CONFIG, "etc/kubernetes/pki/sa.key", "etc/kubernetes/pki/sa.pub"])
      expect(joiner.nodeFile(f)).toBe(n.nodeFile(f));
  });
});

/** The two cluster secrets of a node's SSM parameters. */
const pick = (ssm: Record<string, string>) => ({ [KEYS]: ssm[KEYS], [SA_KEY]: ssm[SA_KEY] });

describe("a control-plane node that finds them in SSM", () => {
  test("re-initialising (the join parameters are gone, the secrets outlived them): uses them, makes none", () => {
    const n = node("control-plane", { ssm: { ...TERRAFORM_PARAMETERS, ...CLUSTER_SECRETS } });
    expectSuccess(n);
    expect(n.callsOf("kubeadm init --config")).toHaveLength(1);
    expect(n.callsOf(`aws ssm put-parameter --name ${PREFIX}/secrets/`)).toEqual([]);
    expect(n.stderr).toContain(`k8s-cluster-secrets: ${KEYS}: in SSM already; using it`);
    expectSecretFiles(n, CLUSTER_SECRETS[KEYS], CLUSTER_SECRETS[SA_KEY]);
  });

  test("another node created one between this node's read and its create: this node uses that one", () => {
    const n = node("control-plane", {
      ssm: TERRAFORM_PARAMETERS,
      ssmLater: { [KEYS]: { value: CLUSTER_SECRETS[KEYS], afterReads: 1 } },
    });
    expectSuccess(n);
    expect(n.stderr).toContain(`k8s-cluster-secrets: ${KEYS}: another node created it first; using that one`);
    expect(n.ssm()[KEYS]).toBe(CLUSTER_SECRETS[KEYS]);
    expect(parse(n.nodeFile(CONFIG)!)).toEqual(encryptionConfiguration(keyList(CLUSTER_SECRETS[KEYS])));
  });

  test("a rotation's list of keys: every key in order, the first encrypts", () => {
    const old = CLUSTER_SECRETS[KEYS];
    const rotated = `key-20270101t000000z:${Buffer.alloc(32, 7).toString("base64")},${old}`;
    const n = node("control-plane", { ssm: { ...ALL_PARAMETERS, [KEYS]: rotated } });
    expectSuccess(n);
    const config = encryptionConfiguration(keyList(rotated));
    expect(parse(n.nodeFile(CONFIG)!)).toEqual(config);
    expect(keyList(rotated).map((k) => k.name)).toEqual(["key-20270101t000000z", old.split(":")[0]]);
  });

  test.each([
    ["a secret of 16 bytes", `k1:${Buffer.alloc(16, 1).toString("base64")}`],
    ["a name twice", `k1:${Buffer.alloc(32, 1).toString("base64")},k1:${Buffer.alloc(32, 2).toString("base64")}`],
    ["no name", Buffer.alloc(32, 1).toString("base64")],
    ["a second line", `k1:${Buffer.alloc(32, 1).toString("base64")}\nk2:${Buffer.alloc(32, 2).toString("base64")}`],
  ])("a key list with %s is refused, naming the parameter, never the value", (_what, value) => {
    const n = node("control-plane", { ssm: { ...ALL_PARAMETERS, [KEYS]: value } });
    expect(n.status).not.toBe(0);
    expect(n.stderr).toContain(`k8s-cluster-secrets: FAILED at step 'write the encryption configuration': ${KEYS}`);
    expect(n.stderr).not.toContain(value);
    expect(n.nodeFile(CONFIG)).toBeUndefined();
    expect(n.indexOf("kubeadm join")).toBe(-1);
  });

  test("a signing key that is no private key is refused, naming the parameter; no sa.key is left", () => {
    const n = node("control-plane", { ssm: { ...ALL_PARAMETERS, [SA_KEY]: "-----BEGIN PRIVATE KEY-----\nAAAA" } });
    expect(n.status).not.toBe(0);
    expect(failedLines(n.stderr)[0]).toBe(
      `k8s-cluster-secrets: FAILED at step 'write the service-account signing key': ${SA_KEY} does not hold a ` +
        "private key in PEM (see docs/security.md)",
    );
    expect(fs.readdirSync(path.join(n.root, "etc/kubernetes/pki"))).toEqual([]);
    expect(n.indexOf("kubeadm join")).toBe(-1);
  });

  test("a joiner stops with a clear message when one of them is missing, and joins nothing", () => {
    const { [SA_KEY]: _s, ...without } = ALL_PARAMETERS;
    const n = node("control-plane", { ssm: without });
    expect(n.status).not.toBe(0);
    expect(failedLines(n.stderr)[0]).toContain(`a cluster secret is missing in SSM under ${PREFIX}/secrets`);
    expect(n.indexOf("kubeadm join")).toBe(-1);
  });

  test("a joiner of a cluster created before them (neither in SSM) reads kubeadm-config, joins as it was made", () => {
    const { [KEYS]: _k, [SA_KEY]: _s, ...without } = ALL_PARAMETERS;
    // That cluster's configuration: its API server has no encryption flags.
    const before = clusterBundle(settingsFor("control-plane"))
      .files.find((f) => f.path === "node/etc/k8s-bootstrap/kubeadm-init.yaml.tmpl")!
      .text.replace(/\n *- name: "encryption-provider-config[^\n]*\n *value: [^\n]*/g, "");
    expect(before).not.toContain("encryption-provider-config");
    const n = node("control-plane", { ...withClusterCa(without), clusterKubeadmConfig: before });
    expectSuccess(n);
    expect(n.stderr).toContain(`neither cluster secret is in SSM under ${PREFIX}/secrets`);
    expect(n.callsOf("aws ssm put-parameter")).toEqual([]);
    expect(n.nodeFile(CONFIG)).toBeUndefined();
    expect(n.callsOf("kubeadm join")).toHaveLength(1);
    // Read as kubeadm join's discovery reads it, before the join: the CA anonymously, then kubeadm-config
    // with the bootstrap token in a kubeconfig, never on a command line.
    const reads = n.callsOf("kubectl --kubeconfig ").filter((c) => c.includes(" get configmap "));
    expect(reads.map((c) => c.split(" ").slice(-7).join(" "))).toEqual([
      "--namespace kube-public get configmap cluster-info -o jsonpath={.data.kubeconfig}",
      "--namespace kube-system get configmap kubeadm-config -o jsonpath={.data.ClusterConfiguration}",
    ]);
    expect(n.calls.lastIndexOf(reads[1])).toBeLessThan(n.indexOf("kubeadm join"));
    const token = ALL_PARAMETERS[`${PREFIX}/join/token`];
    expect(n.calls.join("\n")).not.toContain(token);
    const kubeconfig = parse(n.kept("discovery.conf")!);
    expect(kubeconfig.users).toEqual([{ name: "bootstrap", user: { token } }]);
    expect(kubeconfig.clusters[0].cluster.server).toBe(`https://${API_ENDPOINT}:6443`);
  });

  test("a joiner that finds neither while the cluster's API servers encrypt Secrets stops with one clear line", () => {
    const { [KEYS]: _k, [SA_KEY]: _s, ...without } = ALL_PARAMETERS;
    // The cluster's configuration is this node's own template: its API servers run with the flags.
    const n = node("control-plane", withClusterCa(without));
    expect(n.status).not.toBe(0);
    expect(failedLines(n.stderr)[0]).toBe(
      "k8s-cluster-secrets: FAILED at step 'read the cluster's kubeadm ClusterConfiguration " +
        "(kube-system/kubeadm-config)': the cluster's API servers run with --encryption-provider-config " +
        `(kube-system/kubeadm-config) but neither cluster secret is in SSM under ${PREFIX}/secrets: restore both ` +
        "(docs/security.md) first",
    );
    expect(n.indexOf("kubeadm join")).toBe(-1);
    expect(n.nodeFile(CONFIG)).toBeUndefined();
  });

  test("a CA that lacks join/ca-cert-hash's hash is not trusted: no bootstrap token is sent to it", () => {
    const { [KEYS]: _k, [SA_KEY]: _s, ...without } = ALL_PARAMETERS;
    const n = node("control-plane", { ssm: without }); // the stubs' CA, not the hash in SSM
    expect(n.status).not.toBe(0);
    expect(failedLines(n.stderr)[0]).toContain(
      `the CA of kube-public/cluster-info at https://${API_ENDPOINT}:6443 does not have the hash in ` +
        `${PREFIX}/join/ca-cert-hash`,
    );
    expect(n.callsOf("kubectl --kubeconfig ").filter((c) => c.includes("kubeadm-config"))).toEqual([]);
    expect(n.kept("discovery.conf")).toBeUndefined();
    expect(n.indexOf("kubeadm join")).toBe(-1);
  });
});

/** A cluster CA (as kubeadm makes one) and SSM's join/ca-cert-hash of it (kubeadm's pin: SHA-256 of the SPKI). */
const CLUSTER_CA = (() => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "cluster-ca-"));
  execFileSync(
    "openssl",
    [
      ...["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "3650", "-subj", "/CN=kubernetes"],
      ...["-keyout", path.join(dir, "ca.key"), "-out", path.join(dir, "ca.crt")],
    ],
    { stdio: "pipe" },
  );
  const ca = {
    crt: fs.readFileSync(path.join(dir, "ca.crt"), "utf8"),
    key: fs.readFileSync(path.join(dir, "ca.key"), "utf8"),
  };
  fs.rmSync(dir, { recursive: true });
  const spki = new X509Certificate(ca.crt).publicKey.export({ type: "spki", format: "der" });
  return { ca, hash: `sha256:${createHash("sha256").update(spki).digest("hex")}` };
})();
const withClusterCa = (ssm: Record<string, string>) => ({
  ssm: { ...ssm, [`${PREFIX}/join/ca-cert-hash`]: CLUSTER_CA.hash },
  clusterCa: CLUSTER_CA.ca,
});
/** The KMS key a SecureString was put with, as the stub aws records it (describe-parameters' KeyId). */
const ssmKeyOf = (n: NodeRun, name: string) =>
  fs.readFileSync(path.join(n.state, "ssm-key", name.replace(/\//g, "%2F")), "utf8").trim();

describe("what never holds them", () => {
  const values = [...Object.values(CLUSTER_SECRETS).flatMap((v) => [v, ...pemBody(v)])];

  test("workers cannot even name them: their env file has no cluster-secret parameter", () => {
    const w = renderUserData(settingsFor("worker")).cloudConfig;
    expect(w).not.toContain("/secrets/");
    expect(renderUserData(settingsFor("control-plane")).cloudConfig).toContain(`SSM_ENCRYPTION_KEYS=${KEYS}`);
  });

  test("user data and the bundle carry the template's placeholder, never a key", () => {
    const texts = [
      renderUserData(settingsFor("control-plane")).cloudConfig,
      renderUserData(settingsFor("worker")).cloudConfig,
      ...clusterBundle(settingsFor("control-plane")).files.map((f) => f.text),
    ].join("\n");
    for (const v of values) expect(texts).not.toContain(v);
    expect(texts).toContain("keys: __ENCRYPTION_KEYS__");
    expect(texts).not.toMatch(/PRIVATE KEY-----\n[A-Za-z0-9+/]/);
  });

  test("Terraform neither writes nor reads them: no resource or data source of the synthesized stack has them", () => {
    const stack = JSON.parse(
      fs.readFileSync(path.join(__dirname, "..", "golden", "default.cluster.tf.json"), "utf8"),
    ) as { resource?: Record<string, Record<string, Record<string, unknown>>>; data?: typeof stack.resource };
    const ssm = [
      ...Object.values(stack.resource?.aws_ssm_parameter ?? {}).map((r) => String(r.name)),
      ...Object.values(stack.data?.aws_ssm_parameter ?? {}).map((r) => String(r.name)),
      ...Object.values(stack.data?.aws_ssm_parameters_by_path ?? {}).map((r) => `${String(r.path)}/`),
    ];
    expect(ssm.length).toBeGreaterThan(0);
    for (const name of ssm) {
      expect(name).not.toContain("/secrets/");
      expect(`${PREFIX}/secrets/`.startsWith(name.replace(/\$\{[^}]+\}/g, ""))).toBe(false);
    }
    // Their names appear only as the ARNs of the control-plane role's grant.
    const mentions = JSON.stringify(stack).match(/[^"]*\/secrets\/[^"]*/g) ?? [];
    expect(mentions.length).toBeGreaterThan(0);
    for (const m of mentions)
      expect(m).toMatch(/^arn:\$\{[^}]+\}:ssm:[^:]+:\$\{[^}]+\}:parameter\/k8s\/k8s-cluster\/secrets\/[a-z-]+\\?$/);
  });

  test("the join parameters a worker reads hold none of them", () => {
    const w = node("worker", { ssm: { ...TERRAFORM_PARAMETERS, ...JOIN_PARAMETERS } });
    expectSuccess(w);
    expect(w.indexOf(`aws ssm get-parameter --name ${PREFIX}/secrets/`)).toBe(-1);
    expect(w.nodeFile(CONFIG)).toBeUndefined();
  });
});
