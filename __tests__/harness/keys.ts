/**
 * The RSA 2048 keys the kubeadm stub makes its cluster CAs with: made once per machine (in the system
 * temp folder) and handed out in turn, so consecutive nodes of a test file get different CAs without
 * each boot spending a key generation (the slowest single step of a harness boot). kubeadm makes a
 * new RSA 2048 key for each cluster's CA (cmd/kubeadm/app/util/pkiutil NewCertificateAuthority): the
 * tests depend on a CA being a valid RSA 2048 CA and on two clusters of a test having different ones.
 */
import { generateKeyPairSync } from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

export const CA_KEY_POOL = path.join(os.tmpdir(), "k8s-harness-ca-keys");
/** More keys than any test starts clusters. */
export const CA_KEY_POOL_SIZE = 8;
let next = 0;

/** The next key of the pool (PKCS#8 PEM); a key not there yet is made and written atomically. */
export function nextCaKey(): string {
  const file = path.join(CA_KEY_POOL, `ca-${next++ % CA_KEY_POOL_SIZE}.pem`);
  if (!fs.existsSync(file)) {
    fs.mkdirSync(CA_KEY_POOL, { recursive: true });
    const pem = generateKeyPairSync("rsa", { modulusLength: 2048 })
      .privateKey.export({ type: "pkcs8", format: "pem" })
      .toString();
    const partial = `${file}.${process.pid}`;
    fs.writeFileSync(partial, pem, { mode: 0o600 });
    fs.renameSync(partial, file);
  }
  return fs.readFileSync(file, "utf8");
}
