/**
 * The harness's pool of CA keys (harness/keys.ts): RSA 2048 keys, different for the nodes a test
 * starts one after another, and a pool file that is missing or holds anything but an RSA 2048 private
 * key is replaced by a new one.
 */
import { KeyObject, createPrivateKey, generateKeyPairSync } from "crypto";
import * as fs from "fs";
import * as path from "path";
import { CA_KEY_POOL, CA_KEY_POOL_SIZE, caKey, nextCaKey } from "../harness/keys";

const rsa2048 = (pem: string) => {
  const key = createPrivateKey(pem);
  return [key.asymmetricKeyType, key.asymmetricKeyDetails?.modulusLength];
};

test("a pool's worth of keys in turn: all RSA 2048, all different; then the first again", () => {
  const keys = Array.from({ length: CA_KEY_POOL_SIZE }, () => nextCaKey());
  for (const k of keys) expect(rsa2048(k)).toEqual(["rsa", 2048]);
  expect(new Set(keys).size).toBe(CA_KEY_POOL_SIZE);
  expect(nextCaKey()).toBe(keys[0]);
});

const pkcs8 = (key: KeyObject) => key.export({ type: "pkcs8", format: "pem" }).toString();
const rsa1024 = pkcs8(generateKeyPairSync("rsa", { modulusLength: 1024 }).privateKey);
const ecP256 = pkcs8(generateKeyPairSync("ec", { namedCurve: "prime256v1" }).privateKey);

test.each([
  ["a truncated PEM", "-----BEGIN PRIVATE KEY-----\ntruncated"],
  ["an RSA 1024 key", rsa1024],
  ["an EC P-256 key", ecP256],
])("a pool file holding %s is replaced by a new RSA 2048 key", (_what, text) => {
  const file = path.join(CA_KEY_POOL, "ca-1.pem");
  const before = caKey(1);
  fs.writeFileSync(file, text);
  const after = caKey(1);
  expect(rsa2048(after)).toEqual(["rsa", 2048]);
  expect(after).not.toBe(before);
  expect(fs.readFileSync(file, "utf8")).toBe(after);
});
