/**
 * The harness's pool of CA keys (harness/keys.ts): RSA 2048 keys, different for the nodes a test
 * starts one after another, and one that is missing or unusable is made anew.
 */
import { createPrivateKey } from "crypto";
import * as fs from "fs";
import * as path from "path";
import { CA_KEY_POOL, CA_KEY_POOL_SIZE, nextCaKey } from "../harness/keys";

test("a pool's worth of keys in turn: all RSA 2048, all different; then the first again", () => {
  const keys = Array.from({ length: CA_KEY_POOL_SIZE }, () => nextCaKey());
  for (const k of keys) {
    const key = createPrivateKey(k);
    expect([key.asymmetricKeyType, key.asymmetricKeyDetails?.modulusLength]).toEqual(["rsa", 2048]);
  }
  expect(new Set(keys).size).toBe(CA_KEY_POOL_SIZE);
  expect(nextCaKey()).toBe(keys[0]);
});

test("a key file that is not an RSA 2048 key is replaced by a new key", () => {
  const second = nextCaKey();
  const file = path.join(CA_KEY_POOL, `ca-${1 % CA_KEY_POOL_SIZE}.pem`);
  expect(fs.readFileSync(file, "utf8")).toBe(second);
  fs.writeFileSync(file, "-----BEGIN PRIVATE KEY-----\ntruncated");
  for (let i = 2; i <= CA_KEY_POOL_SIZE; i++) nextCaKey();
  const again = nextCaKey();
  expect(again).not.toBe(second);
  expect(createPrivateKey(again).asymmetricKeyDetails?.modulusLength).toBe(2048);
  expect(fs.readFileSync(file, "utf8")).toBe(again);
});
