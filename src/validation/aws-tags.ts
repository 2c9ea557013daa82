/** The user's own tags (the configuration's `tags`), checked against AWS's tag rules (src/aws/limits.ts). */
import { TAG_LIMITS } from "../aws/limits";

/**
 * Tags this project puts on one resource at most: Cluster, ManagedBy, Repository (provider
 * default tags) plus Name, Tier, kubernetes.io/cluster/<name> and kubernetes.io/role/elb on a
 * subnet.
 */
export const PROJECT_TAGS_MAX = 7;
/** The user's own tags that fit beside the project's on every resource. */
export const USER_TAGS_MAX = TAG_LIMITS.perResourceMax - PROJECT_TAGS_MAX;

const CHARACTERS = "letters, digits, spaces and _ . : / = + - @ only";

/** Why a tag is one AWS rejects, or undefined. */
export function tagProblem(key: string, value: string): string | undefined {
  if (key.length === 0) return "has an empty key";
  if (key.length > TAG_LIMITS.keyMaxChars) return `has a key longer than ${TAG_LIMITS.keyMaxChars} characters`;
  if (TAG_LIMITS.reservedKeyPrefix.test(key)) return "uses the aws: prefix, which AWS reserves";
  if (!TAG_LIMITS.allowedText.test(key)) return `has a key with characters AWS does not allow (${CHARACTERS})`;
  if (value.length > TAG_LIMITS.valueMaxChars) return `has a value longer than ${TAG_LIMITS.valueMaxChars} characters`;
  if (!TAG_LIMITS.allowedText.test(value)) return `has a value with characters AWS does not allow (${CHARACTERS})`;
  return undefined;
}
