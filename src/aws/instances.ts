/** EC2 facts the compute constructs share. */

/** Graviton families (t4g, m7g, c7gn, r8gd, ...) run arm64 images; everything else here x86_64. */
export function architectureOf(instanceType: string): "arm64" | "x86_64" {
  const family = instanceType.split(".")[0];
  return /^[a-z]+\d+g[a-z]*$/.test(family) && !/^(g\d|p\d|inf|trn|dl)/.test(family) ? "arm64" : "x86_64";
}

/** Canonical's AWS account, the owner of the official Ubuntu images. */
export const CANONICAL_OWNER = "099720109477";

/** Name pattern of the current LTS (24.04 Noble) server images on gp3, per architecture. */
export function ubuntuImagePattern(arch: "arm64" | "x86_64"): string {
  return `ubuntu/images/hvm-ssd-gp3/ubuntu-noble-24.04-${arch === "arm64" ? "arm64" : "amd64"}-server-*`;
}

