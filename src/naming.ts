/** Terraform address names as ops teams read them: snake_case, one style for every resource. */
export function terraformName(logicalId: string): string {
  return logicalId
    .replace(/([a-z0-9])([A-Z])/g, "$1_$2")
    .toLowerCase()
    .replace(/[^a-z0-9_]/g, "_");
}
