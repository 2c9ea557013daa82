/**
 * k8s-oidc-publish under bash with the stubs (../harness/): a control-plane node with workload
 * identity uploads the discovery document and key set its API server serves to the issuer bucket,
 * byte for byte, public keys only, the same objects again on a second run; documents with private
 * key material or of another issuer are refused and nothing is uploaded; workers publish nothing.
 * The kubectl stub serves `get --raw <path>` as the API server does (the body, unchanged; NotFound
 * otherwise); the documents here have the shape kube-apiserver writes (kubernetes/kubernetes
 * pkg/serviceaccount/openidmetadata.go: compact JSON, issuer = the first --service-account-issuer,
 * jwks_uri = --service-account-jwks-uri, keys as RFC 7517 JWKs with kid, use "sig", alg).
 */
import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";
import { JOIN_PARAMETERS, NodeRun, TERRAFORM_PARAMETERS, WORKLOAD_IDENTITY, runNode } from "../harness/node";
import { requireTool } from "../harness/tools";

const BUCKET = WORKLOAD_IDENTITY.bucket;
const ISSUER = `https://${BUCKET}.s3.ap-northeast-2.amazonaws.com`;
const SETTINGS = { workloadIdentity: WORKLOAD_IDENTITY };
const ALL_PARAMETERS = { ...TERRAFORM_PARAMETERS, ...JOIN_PARAMETERS };

/** The cluster's service-account key pair, as kubeadm makes sa.key (RSA 2048). */
const { publicKey, privateKey } = crypto.generateKeyPairSync("rsa", { modulusLength: 2048 });
const publicJwk = publicKey.export({ format: "jwk" });
const privateJwk = privateKey.export({ format: "jwk" });
const privatePem = privateKey.export({ format: "pem", type: "pkcs8" }).toString();

const discovery = (issuer = ISSUER) =>
  JSON.stringify({
    issuer,
    jwks_uri: `${issuer}/openid/v1/jwks`,
    response_types_supported: ["id_token"],
    subject_types_supported: ["public"],
    id_token_signing_alg_values_supported: ["RS256"],
  });
const jwks = (key: object = publicJwk) =>
  JSON.stringify({ keys: [{ use: "sig", kty: "RSA", kid: "k1", alg: "RS256", ...key }] });
const served = (doc = discovery(), keys = jwks()) => ({
  "/.well-known/openid-configuration": doc,
  "/openid/v1/jwks": keys,
});

/** The objects of the issuer bucket in the stub S3: key -> body. */
function issuerObjects(n: NodeRun): Record<string, string> {
  const dir = path.join(n.state, "s3", BUCKET);
  if (!fs.existsSync(dir)) return {};
  const walk = (d: string): string[] =>
    fs
      .readdirSync(d, { withFileTypes: true })
      .flatMap((e) => (e.isDirectory() ? walk(path.join(d, e.name)) : [path.join(d, e.name)]));
  return Object.fromEntries(walk(dir).map((f) => [path.relative(dir, f), fs.readFileSync(f, "utf8")]));
}
const failedLines = (stderr: string) => stderr.split("\n").filter((l) => l.includes("FAILED"));

describe("a control-plane node with workload identity", () => {
  const runs: NodeRun[] = [];
  const node = (...args: Parameters<typeof runNode>) => {
    const n = runNode(...args);
    runs.push(n);
    return n;
  };
  beforeAll(() => {
    requireTool("bash");
    requireTool("openssl");
  });
  afterAll(() => runs.forEach((r) => r.cleanup()));

  test.each([
    ["joins", ALL_PARAMETERS, "kubeadm join"],
    ["creates the cluster", TERRAFORM_PARAMETERS, "kubeadm init"],
  ])("that %s publishes what its API server serves, keys first, SSE-S3, as JSON", (_what, ssm, kubeadm) => {
    const n = node("control-plane", { ssm, apiServer: served() }, SETTINGS);
    expect({ status: n.status, failed: failedLines(n.stderr) }).toEqual({ status: 0, failed: [] });
    const uploads = n.callsOf("aws s3 cp --sse AES256");
    expect(uploads.map((c) => c.split(" ").pop())).toEqual([
      `s3://${BUCKET}/openid/v1/jwks`,
      `s3://${BUCKET}/.well-known/openid-configuration`,
    ]);
    for (const c of uploads) expect(c).toContain("--content-type application/json");
    expect(n.indexOf("aws s3 cp --sse AES256")).toBeGreaterThan(n.indexOf(kubeadm));
    expect(issuerObjects(n)).toEqual({
      ".well-known/openid-configuration": discovery(),
      "openid/v1/jwks": jwks(),
    });
  });

  test("what is uploaded is public keys only: each key loads as a public key, none as a private one", () => {
    const n = node("control-plane", { ssm: ALL_PARAMETERS, apiServer: served() }, SETTINGS);
    const objects = issuerObjects(n);
    const keys = (JSON.parse(objects["openid/v1/jwks"]) as { keys: crypto.JsonWebKey[] }).keys;
    expect(keys).toHaveLength(1);
    for (const k of keys) {
      expect(Object.keys(k).sort()).toEqual(["alg", "e", "kid", "kty", "n", "use"]);
      expect(crypto.createPublicKey({ key: k, format: "jwk" }).export({ format: "jwk" })).toEqual(publicJwk);
      expect(() => crypto.createPrivateKey({ key: k, format: "jwk" })).toThrow();
    }
    const everything = Object.values(objects).join("\n");
    expect(everything).not.toContain(privateJwk.d!);
    expect(everything).not.toContain("PRIVATE KEY");
  });

  test("a second run writes the same two objects again (idempotent)", () => {
    const n = node("control-plane", { ssm: ALL_PARAMETERS, apiServer: served() }, SETTINGS);
    const before = issuerObjects(n);
    const again = n.exec("/usr/local/sbin/k8s-oidc-publish");
    expect(again.status).toBe(0);
    expect(again.callsOf("aws s3 cp")).toHaveLength(2);
    expect(issuerObjects(n)).toEqual(before);
  });

  test.each([
    ["a key set with the private key's members", served(discovery(), jwks(privateJwk)), "private key material"],
    [
      "a PEM private key",
      served(discovery(), `{"keys":[{"kty":"RSA","x5c":${JSON.stringify(privatePem)}}]}`),
      "private",
    ],
    ["another issuer's document", served(discovery("https://kubernetes.default.svc.cluster.local")), "another issuer"],
    ["no keys", served(discovery(), '{"keys":[]}'), "holds no keys"],
  ])("%s: refused, nothing uploaded, the boot fails naming why", (_what, apiServer, why) => {
    const n = node("control-plane", { ssm: ALL_PARAMETERS, apiServer }, SETTINGS);
    expect(n.status).not.toBe(0);
    expect(failedLines(n.stderr).join("\n")).toContain(why);
    expect(n.callsOf("aws s3 cp --sse AES256")).toEqual([]);
    expect(issuerObjects(n)).toEqual({});
  });

  test("workers publish nothing and have no publishing script", () => {
    const w = node("worker", { ssm: ALL_PARAMETERS, apiServer: served() }, SETTINGS);
    expect(w.status).toBe(0);
    expect(w.calls.filter((c) => c.includes("get --raw") || c.includes(BUCKET))).toEqual([]);
    expect(w.nodeFile("usr/local/sbin/k8s-oidc-publish")).toBeUndefined();
  });

  test("without workload identity a control-plane node publishes nothing", () => {
    const n = node("control-plane", { ssm: ALL_PARAMETERS, apiServer: served() });
    expect(n.status).toBe(0);
    expect(n.calls.filter((c) => c.includes("get --raw"))).toEqual([]);
  });
});
