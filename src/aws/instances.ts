/** EC2 facts the compute constructs share. */

/**
 * Graviton families run arm64 images: a1, and every family with a "g" right after its generation
 * (t4g, m7g, c7gn, r8gd, x2gd, g5g, hpc7g, ...). Everything else here is x86_64. The Terraform
 * variables use the same pattern (ARM64_FAMILY_HCL).
 */
export const ARM64_FAMILY = /^(a1|[a-z]+[0-9]+g[a-z]*)$/;
/** ARM64_FAMILY for an instance type in a Terraform regex() (RE2), anchored at the start. */
export const ARM64_FAMILY_HCL = `${ARM64_FAMILY.source.replace(/\$$/, "")}\\\\.`;

export function architectureOf(instanceType: string): "arm64" | "x86_64" {
  return ARM64_FAMILY.test(instanceType.split(".")[0]) ? "arm64" : "x86_64";
}

/** Canonical's AWS account, the owner of the official Ubuntu images. */
export const CANONICAL_OWNER = "099720109477";

/** Name pattern of the current LTS (24.04 Noble) server images on gp3, per architecture. */
export function ubuntuImagePattern(arch: "arm64" | "x86_64"): string {
  return `ubuntu/images/hvm-ssd-gp3/ubuntu-noble-24.04-${arch === "arm64" ? "arm64" : "amd64"}-server-*`;
}
