/**
 * AWS's tag rules (Tagging AWS resources, "Tag naming limits and requirements"; EC2 User Guide,
 * "Tag restrictions"): at most 50 tags per resource; keys 1-128 characters, values 0-256, both of
 * letters, digits, spaces and _ . : / = + - @; the aws: prefix is reserved in any case.
 */
export const TAG_RULES = Object.freeze({
  perResourceMax: 50,
  /**
   * Tags this project puts on one resource at most: Cluster, ManagedBy, Repository (provider
   * default tags) plus Name, Tier, kubernetes.io/cluster/<name> and kubernetes.io/role/elb on a
   * subnet.
   */
  userTagsMax: 50 - 7,
  keyMax: 128,
  valueMax: 256,
});

const CHARS = /^[\p{L}\p{N} _.:/=+\-@]*$/u;

/** Why a tag is one AWS rejects, or undefined. */
export function tagProblem(key: string, value: string): string | undefined {
  if (key.length === 0) return "has an empty key";
  if (key.length > TAG_RULES.keyMax) return `has a key longer than ${TAG_RULES.keyMax} characters`;
  if (/^aws:/i.test(key)) return "uses the aws: prefix, which AWS reserves";
  if (!CHARS.test(key)) return "has a key with characters AWS does not allow (letters, digits, spaces and _ . : / = + - @ only)";
  if (value.length > TAG_RULES.valueMax) return `has a value longer than ${TAG_RULES.valueMax} characters`;
  if (!CHARS.test(value)) return "has a value with characters AWS does not allow (letters, digits, spaces and _ . : / = + - @ only)";
  return undefined;
}
