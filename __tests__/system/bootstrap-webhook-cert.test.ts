/**
 * The pod identity webhook at boot, under bash with the stubs (../harness/): k8s-addons issues its
 * serving certificate (k8s-webhook-cert: signed by the cluster CA, for the name the API server calls,
 * in the Secret the webhook mounts), applies the webhook with the cluster CA as its caBundle, and
 * waits for it before the add-ons whose pods it mutates; k8s-webhook-cert keeps a good certificate
 * and issues a new one when it nears its end or another CA signed it. The kubeadm stub makes the
 * cluster CA as kubeadm init does (pki/ca.crt, ca.key); the kubectl stub keeps an applied Secret for
 * `get secret -o jsonpath={.data.tls\.crt}`. Certificates are read with the real openssl.
 */
import { execFileSync } from "child_process";
import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";
import { EBS_CSI_ROLE_ARN, NodeRun, TERRAFORM_PARAMETERS, WORKLOAD_IDENTITY, runNode } from "../harness/node";
import { requireTool } from "../harness/tools";

const SETTINGS = { workloadIdentity: WORKLOAD_IDENTITY };
const HOST = "pod-identity-webhook.kube-system.svc";
const ISSUER = `https://${WORKLOAD_IDENTITY.bucket}.s3.ap-northeast-2.amazonaws.com`;
const SERVED = {
  "/.well-known/openid-configuration": JSON.stringify({ issuer: ISSUER, jwks_uri: `${ISSUER}/openid/v1/jwks` }),
  "/openid/v1/jwks": '{"keys":[{"use":"sig","kty":"RSA","kid":"k1","alg":"RS256","n":"AQAB","e":"AQAB"}]}',
};
const CERT = "/usr/local/sbin/k8s-webhook-cert";

/** The applied files of a run, in order: [name, text]. */
function applied(n: NodeRun): [string, string][] {
  const dir = path.join(n.state, "applied");
  return fs
    .readdirSync(dir)
    .sort((a, b) => parseInt(a) - parseInt(b))
    .filter((f) => fs.statSync(path.join(dir, f)).isFile())
    .map((f) => [f.replace(/^\d+-/, ""), fs.readFileSync(path.join(dir, f), "utf8")]);
}
const secretField = (yaml: string, field: string) =>
  Buffer.from(new RegExp(`^  ${field.replace(".", "\\.")}: (\\S+)$`, "m").exec(yaml)![1], "base64").toString();

describe("the webhook's serving certificate and the webhook at boot", () => {
  let n: NodeRun;
  beforeAll(() => {
    requireTool("bash");
    requireTool("openssl");
    n = runNode("control-plane", { ssm: TERRAFORM_PARAMETERS, apiServer: SERVED }, SETTINGS);
  });
  afterAll(() => n.cleanup());
  const ca = () => new crypto.X509Certificate(fs.readFileSync(path.join(n.root, "etc/kubernetes/pki/ca.crt")));

  test("Secret first, then the webhook with the cluster CA as caBundle, then (once available) EBS CSI", () => {
    expect(n.status).toBe(0);
    const names = applied(n).map(([name]) => name);
    const at = (name: string) => names.indexOf(name);
    expect(at("secret.yaml")).toBeGreaterThan(at("node-termination-handler.yaml"));
    expect(at("pod-identity-webhook.yaml")).toBe(at("secret.yaml") + 1);
    expect(at("ebs-csi-driver.yaml")).toBeGreaterThan(at("pod-identity-webhook.yaml"));
    // Available (maxUnavailable 1): one replica serves; the second waits for another control-plane node.
    const rollout = n.indexOf("kubectl wait --for=condition=Available deployment/pod-identity-webhook -n kube-system");
    expect(rollout).toBeGreaterThan(
      n.indexOf("kubectl apply --server-side --force-conflicts --field-manager=k8s-bootstrap -f"),
    );
    expect(n.calls.findIndex((c, i) => i > rollout && c.endsWith("/ebs-csi-driver.yaml"))).toBeGreaterThan(rollout);
    // The controller's ServiceAccount names the role Terraform wrote to SSM.
    const ebs = applied(n).find(([name]) => name === "ebs-csi-driver.yaml")![1];
    expect(ebs).toContain(`eks.amazonaws.com/role-arn: "${EBS_CSI_ROLE_ARN}"`);
    expect(n.callsOf("aws ssm get-parameter").join("\n")).toContain("workload-identity/ebs-csi-controller-role-arn");
    const webhook = applied(n).find(([name]) => name === "pod-identity-webhook.yaml")![1];
    const caBundle = /caBundle: "?([A-Za-z0-9+/=]+)"?/.exec(webhook)![1];
    expect(Buffer.from(caBundle, "base64").toString()).toBe(ca().toString());
  });

  test("the certificate: signed by the cluster CA, for the webhook's service name, ECDSA, ends with the CA", () => {
    const secret = applied(n).find(([name]) => name === "secret.yaml")![1];
    expect(secret).toMatch(/^kind: Secret$/m);
    expect(secret).toMatch(/^type: kubernetes\.io\/tls$/m);
    expect(secret).toMatch(/^ {2}name: pod-identity-webhook-cert\n {2}namespace: kube-system$/m);
    const cert = new crypto.X509Certificate(secretField(secret, "tls.crt"));
    expect(cert.verify(ca().publicKey)).toBe(true);
    expect(cert.subjectAltName).toBe(`DNS:${HOST}`);
    expect(cert.checkHost(HOST)).toBe(HOST);
    const key = crypto.createPrivateKey(secretField(secret, "tls.key"));
    expect(key.asymmetricKeyType).toBe("ec");
    expect(cert.checkPrivateKey(key)).toBe(true);
    const days = (d: string) => new Date(d).getTime() / 86_400_000;
    expect(days(cert.validTo)).toBeLessThanOrEqual(days(ca().validTo));
    expect(days(cert.validTo)).toBeGreaterThan(days(ca().validTo) - 2);
    // The key went into the Secret only: nothing of it is left on the node.
    const material = secretField(secret, "tls.key").split("\n")[1];
    const files = (dir: string): string[] =>
      fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
        const p = path.join(dir, e.name);
        return e.isDirectory() ? files(p) : e.isFile() ? [p] : [];
      });
    expect(files(n.root).filter((f) => fs.readFileSync(f, "utf8").includes(material))).toEqual([]);
  });

  test("kept while good: a second run applies nothing", () => {
    const again = n.exec(CERT);
    expect(again.status).toBe(0);
    expect(again.callsOf("kubectl apply")).toEqual([]);
  });

  test.each([
    ["a certificate within 30 days of its end", 20, false],
    ["a certificate another CA signed", 3000, true],
  ])("%s: a new one is issued", (_what, days, otherCa) => {
    const dir = fs.mkdtempSync(path.join(n.state, "old-"));
    const caArgs = ["-x509", "-newkey", "rsa:2048", "-nodes", "-days", String(days)];
    execFileSync("openssl", ["req", ...caArgs, "-keyout", `${dir}/k`, "-out", `${dir}/c`, "-subj", `/CN=${HOST}`], {
      stdio: "ignore",
    });
    if (!otherCa) {
      // Signed by the cluster CA, but short-lived.
      execFileSync(
        "openssl",
        [
          "x509",
          "-in",
          `${dir}/c`,
          "-CA",
          path.join(n.root, "etc/kubernetes/pki/ca.crt"),
          "-CAkey",
          path.join(n.root, "etc/kubernetes/pki/ca.key"),
          "-CAcreateserial",
          "-CAserial",
          `${dir}/srl`,
          "-days",
          String(days),
          "-out",
          `${dir}/c`,
        ],
        { stdio: "ignore" },
      );
    }
    const stored = path.join(n.state, "secrets/kube-system/pod-identity-webhook-cert.tls.crt");
    fs.writeFileSync(stored, fs.readFileSync(`${dir}/c`).toString("base64"));
    const r = n.exec(CERT);
    expect(r.status).toBe(0);
    expect(r.callsOf("kubectl apply")).toHaveLength(1);
    const renewed = new crypto.X509Certificate(Buffer.from(fs.readFileSync(stored, "utf8"), "base64"));
    expect(renewed.verify(ca().publicKey)).toBe(true);
    expect(new Date(renewed.validTo).getTime()).toBeGreaterThan(Date.now() + 3000 * 86_400_000);
  });
});

test("an SSM value that is no IAM role ARN stops the add-ons before the EBS CSI driver, naming the parameter", () => {
  requireTool("bash");
  const name = "/k8s/k8s-cluster/workload-identity/ebs-csi-controller-role-arn";
  const n = runNode(
    "control-plane",
    { ssm: { ...TERRAFORM_PARAMETERS, [name]: "k8s-cluster-ebs-csi-controller" }, apiServer: SERVED },
    SETTINGS,
  );
  try {
    expect(n.status).not.toBe(0);
    expect(n.stderr).toContain(
      `FAILED at step 'apply ebs-csi-driver with its controller's role': ${name} does not hold an IAM role ARN`,
    );
    expect(applied(n).map(([f]) => f)).not.toContain("ebs-csi-driver.yaml");
  } finally {
    n.cleanup();
  }
});
