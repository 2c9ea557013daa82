/**
 * Golden synthesized stacks (kops keeps the same for its Terraform output): a few configurations'
 * stacks checked into __tests__/golden/, compared by the unit tier and rewritten by `npm run golden`.
 * A change to what synth emits then shows as a reviewed diff of those files. Base64 bodies (the
 * bundle's objects, user data) are replaced by the SHA-256 of their decoded bytes: their contents
 * are checked file by file elsewhere, and the golden files stay readable (user data is gunzipped first).
 */
import { gunzipSync } from "zlib";
import { resolveConfig } from "../src/config";
import { buildApp } from "../src/app";
import { stackToJson } from "../src/analysis/tf-json";
import { sha256 } from "../src/addons/vendored";

export const GOLDEN_CONFIGS: Readonly<Record<string, Record<string, unknown>>> = Object.freeze({
  default: {},
  "three-azs-per-az-nat": { azCount: 3, natGateways: "perAz", controlPlane: { count: 3 } },
  "custom-network": {
    clusterName: "prod-eu",
    region: "eu-west-1",
    network: {
      vpcCidr: "10.20.0.0/16",
      subnets: {
        apiEndpoint: "10.20.0.0/28",
        workers: "10.20.4.0/22",
        loadBalancers: "10.20.8.0/24",
        bastion: "10.20.9.0/24",
        pods: "10.20.64.0/18",
      },
    },
    bastion: { adminCidrs: ["203.0.113.0/24"] },
    loadBalancers: { clientCidrs: ["198.51.100.0/24"], listeners: [{ port: 443 }] },
    etcdBackup: { enabled: false },
    bootstrapEgress: true,
  },
  // Spot workers: a mixed instances policy over three types of the same size (the autoscaler's rule).
  "spot-workers": {
    workers: {
      instanceType: "m7i.large",
      spot: { instanceTypes: ["m7i.large", "m6i.large", "m5.large"], onDemandBaseCapacity: 1 },
    },
  },
});

const BASE64_KEYS = new Set(["content_base64", "user_data", "user_data_base64"]);

function normalise(value: unknown, key?: string): unknown {
  if (typeof value === "string" && key && BASE64_KEYS.has(key) && !value.includes("${")) {
    const bytes = Buffer.from(value, "base64");
    // User data is gzip: hash what the node reads, so a zlib change alone leaves the golden file as it is.
    const gzip = bytes[0] === 0x1f && bytes[1] === 0x8b;
    return `sha256 of ${gzip ? "gunzipped" : "decoded"} bytes: ${sha256(gzip ? gunzipSync(bytes) : bytes)}`;
  }
  if (Array.isArray(value)) return value.map((v) => normalise(v));
  if (value && typeof value === "object")
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, normalise(v, k)]));
  return value;
}

/** The golden form of a configuration's stacks: { cluster, "state-bucket" }, as pretty JSON. */
export function goldenStacks(input: Record<string, unknown>): Record<string, string> {
  const { cluster, stateBucket } = buildApp(resolveConfig(input));
  return {
    cluster: `${JSON.stringify(normalise(stackToJson(cluster)), null, 2)}\n`,
    "state-bucket": `${JSON.stringify(normalise(stackToJson(stateBucket)), null, 2)}\n`,
  };
}
