/**
 * The AWS limits this project stays within or checks against: one home for each number. The
 * configuration (src/validation/config-schema.ts), the constructs and the synth-time checks (src/analysis/) read
 * them from here. Each names where AWS states it.
 */

/**
 * VPC and subnet sizes: a /16 at most, a /28 at least (Amazon VPC User Guide, "VPC CIDR blocks"
 * and "Subnet CIDR blocks").
 */
export const AWS_MIN_SUBNET_PREFIX = 16;
export const AWS_MAX_SUBNET_PREFIX = 28;

/**
 * Tags (Tagging AWS resources, "Tag naming limits and requirements"; EC2 User Guide, "Tag
 * restrictions"): at most 50 per resource; keys of 1-128 characters, values of 0-256, both of
 * letters, digits, spaces and _ . : / = + - @; the aws: prefix is AWS's own, in any case.
 */
export const TAG_LIMITS = Object.freeze({
  perResourceMax: 50,
  keyMaxChars: 128,
  valueMaxChars: 256,
  allowedText: /^[\p{L}\p{N} _.:/=+\-@]*$/u,
  reservedKeyPrefix: /^aws:/i,
});

/**
 * Security groups in a VPC (EC2 API Reference, CreateSecurityGroup and SecurityGroupRule; Amazon
 * VPC quotas): names, descriptions and rule descriptions of at most 255 characters from one
 * character set; a group name may not start with "sg-"; 60 rules per direction by default.
 */
export const SECURITY_GROUP_LIMITS = Object.freeze({
  textMaxChars: 255,
  allowedText: /^[a-zA-Z0-9 ._\-:/()#,@[\]+=&;{}!$*]*$/,
  reservedNamePrefix: /^sg-/i,
  rulesPerDirection: 60,
});

/**
 * Load balancer and target group names (Elastic Load Balancing API Reference, CreateLoadBalancer
 * and CreateTargetGroup): at most 32 letters, digits and hyphens, no hyphen at either end; a load
 * balancer name may not start with "internal-".
 */
export const ELB_NAME_LIMITS = Object.freeze({ maxChars: 32, reservedPrefix: "internal-" });

/** IAM's size limits, whitespace not counted (IAM User Guide, "IAM and AWS STS quotas"). */
export const IAM_POLICY_LIMITS = Object.freeze({
  /** One managed policy. */
  managedPolicyMaxChars: 6144,
  /** All inline policies of one role together. */
  roleInlinePoliciesMaxChars: 10240,
});

/**
 * Managed policies attached to one IAM role: 10 by default (IAM User Guide, "IAM and AWS STS
 * quotas": "Managed policies attached to an IAM role", adjustable up to 20 on request). An apply
 * beyond it fails at the 11th attachment with LimitExceeded.
 */
export const IAM_ROLE_LIMITS = Object.freeze({ managedPoliciesPerRole: 10 });

/**
 * S3 (Amazon S3 User Guide, "General purpose bucket naming rules" and "Naming Amazon S3
 * objects"): bucket names of 3-63 characters, object keys of at most 1,024 bytes.
 */
export const S3_LIMITS = Object.freeze({ bucketNameMinChars: 3, bucketNameMaxChars: 63, objectKeyMaxBytes: 1024 });

/** EC2 rejects user data above 16 KiB, counted before base64 (here: the gzip bytes). */
export const EC2_USER_DATA_LIMIT = 16384;
/** Our budget per user data document, well inside EC2's limit: add-ons travel through S3, not user data. */
export const USER_DATA_BUDGET = 12288;

/** An EC2 key pair's name: at most 255 ASCII characters (EC2 API Reference, CreateKeyPair). */
export const EC2_KEY_PAIR_NAME_MAX_CHARS = 255;

/** The largest EBS volume of the gp3 type the nodes use: 16 TiB (Amazon EBS User Guide, "Amazon EBS volume types"). */
export const EBS_GP3_MAX_GIB = 16384;
