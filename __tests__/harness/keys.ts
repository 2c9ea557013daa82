/**
 * The RSA 2048 keys the kubeadm stub makes its cluster CAs with: made once per machine and user (in
 * the system temp folder) and handed out in turn, so that the nodes a test file starts one after
 * another get different CAs without each boot spending an RSA key generation (the slowest single
 * step of a harness boot). kubeadm makes a new RSA 2048 key for each cluster's CA (kubernetes
 * cmd/kubeadm/app/util/pkiutil NewCertificateAuthority): the tests depend on the CA being a valid
 * RSA 2048 CA, and on the clusters of one test having different ones. The node scripts' own keys
 * (k8s-cluster-secrets) are still made by the real openssl on every boot.
 */
import { createPrivateKey, generateKeyPairSync } from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

export const CA_KEY_POOL = path.join(os.tmpdir(), `k8s-harness-ca-keys-rsa2048-${os.userInfo().uid}`);
/** More keys than any test file starts nodes in one test. */
export const CA_KEY_POOL_SIZE = 16;
let next = 0;

/** Whether text is an RSA 2048 private key in PEM. */
function usable(text: string): boolean {
  try {
    const key = createPrivateKey(text);
    return key.asymmetricKeyType === "rsa" && key.asymmetricKeyDetails?.modulusLength === 2048;
  } catch {
    return false;
  }
}

/**
 * Key number i of the pool (PKCS#8 PEM); one missing or unusable is made anew and written atomically.
 * The pool's folder must be this user's own (the system temp folder is shared).
 */
export function caKey(i: number): string {
  const file = path.join(CA_KEY_POOL, `ca-${i}.pem`);
  const kept = fs.existsSync(file) ? fs.readFileSync(file, "utf8") : "";
  if (usable(kept)) return kept;
  fs.mkdirSync(CA_KEY_POOL, { recursive: true, mode: 0o700 });
  const folder = fs.lstatSync(CA_KEY_POOL);
  if (!folder.isDirectory() || folder.uid !== os.userInfo().uid)
    throw new Error(`harness: ${CA_KEY_POOL} is not a folder of this user's: remove it`);
  const pem = generateKeyPairSync("rsa", { modulusLength: 2048 })
    .privateKey.export({ type: "pkcs8", format: "pem" })
    .toString();
  const partial = `${file}.${process.pid}`;
  fs.rmSync(partial, { force: true });
  fs.writeFileSync(partial, pem, { mode: 0o600, flag: "wx" });
  fs.renameSync(partial, file);
  return pem;
}

/** The next key of the pool, in turn. */
export function nextCaKey(): string {
  return caKey(next++ % CA_KEY_POOL_SIZE);
}
