/**
 * Bad configuration, one value at a time: each is refused with one line naming the field, the value
 * and what to do (src/config.ts, src/validation/config-schema.ts, config-checks.ts); the values at the
 * edges of what the schema accepts are accepted.
 */
import { ConfigError, resolveConfig } from "../src/config";
import { planNetwork } from "../src/aws/network-plan";
import { knownInstanceTypes } from "../src/aws/instance-types";
import { KNOWN_REGIONS, REGION_NAME } from "../src/aws/regions";
import { regExp } from "./helpers/regexp";

function errorOf(input: unknown): string {
  try {
    planNetwork(resolveConfig(input));
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    const message = (e as Error).message;
    expect(message.split("\n")).toHaveLength(1);
    return message;
  }
  throw new Error(`expected ${JSON.stringify(input)} to be rejected`);
}

const rejected: [string, unknown, RegExp][] = [
  [
    "a malformed CIDR",
    { network: { subnets: { workers: "172.31.1.0/33" } } },
    /^invalid configuration: network\.subnets\.workers = "172\.31\.1\.0\/33": /,
  ],
  [
    "a CIDR that is not an address",
    { network: { subnets: { workers: "banana" } } },
    /network\.subnets\.workers = "banana": is not an IPv4 CIDR/,
  ],
  [
    "a CIDR with host bits set",
    { network: { subnets: { workers: "172.31.1.7/24" } } },
    /network\.subnets\.workers = "172\.31\.1\.7\/24": has host bits set/,
  ],
  [
    "a subnet outside the VPC",
    { network: { subnets: { bastion: "10.0.3.0/24" } } },
    /network\.subnets\.bastion = "10\.0\.3\.0\/24": .*not inside the VPC 172\.31\.0\.0\/16/,
  ],
  [
    "overlapping tiers",
    { network: { subnets: { bastion: "172.31.1.0/24" } } },
    /network\.subnets\.bastion = "172\.31\.1\.0\/24": overlaps the workers tier/,
  ],
  [
    "a /29 subnet (AWS's minimum is /28)",
    { network: { subnets: { apiEndpoint: "172.31.0.0/29" } } },
    /network\.subnets\.apiEndpoint = "172\.31\.0\.0\/29": prefix \/29 is outside AWS's allowed \/16 to \/28/,
  ],
  [
    "a /15 subnet",
    { network: { vpcCidr: "172.30.0.0/15", subnets: { pods: "172.30.0.0/15" } } },
    /network\.vpcCidr = "172\.30\.0\.0\/15": prefix \/15 is outside AWS's VPC range/,
  ],
  [
    "a /28 tier split over 3 AZs",
    { azCount: 3, network: { subnets: { apiEndpoint: "172.31.0.0/28" } } },
    /network\.subnets\.apiEndpoint = "172\.31\.0\.0\/28": split over 3 AZs gives \/30 subnets/,
  ],
  ["azCount 0", { azCount: 0 }, /^invalid configuration: azCount = 0: must be 1, 2 or 3$/],
  ["azCount 4", { azCount: 4 }, /^invalid configuration: azCount = 4: must be 1, 2 or 3$/],
  ["azCount 1.5", { azCount: 1.5 }, /azCount = 1\.5: must be a whole number/],
  ["azCount as a string", { azCount: "2" }, /azCount = "2": Expected number, received string/],
  [
    "an empty bucket name",
    { state: { bucket: "" } },
    /^invalid configuration: state\.bucket = "": must be 3-63 characters/,
  ],
  ["an uppercase bucket name", { state: { bucket: "My_Bucket" } }, /state\.bucket = "My_Bucket": must be 3-63/],
  [
    "a malformed region",
    { region: "ap-northeast" },
    /^invalid configuration: region = "ap-northeast": is not an AWS region name/,
  ],
  ["a malformed state region", { state: { region: "Seoul" } }, /state\.region = "Seoul": is not an AWS region name/],
  ["an empty state key", { state: { key: "" } }, /state\.key = "": must not be empty/],
  ["an unknown field (a typo)", { azcount: 2 }, /^invalid configuration: azcount = 2: is not a known field/],
  ["an unknown nested field", { network: { subnet: {} } }, /network\.subnet = \{\}: is not a known field/],
  ["a bad cluster name", { clusterName: "K8s_Cluster" }, /clusterName = "K8s_Cluster": must be 2-32 lowercase/],
  [
    "a zone outside the region",
    { availabilityZones: ["us-east-1a"] },
    /availabilityZones\.0 = "us-east-1a": is not a zone of region ap-northeast-2/,
  ],
  [
    "fewer zones than azCount",
    { azCount: 3, availabilityZones: ["ap-northeast-2a"] },
    /availabilityZones = \["ap-northeast-2a"\]: names 1 zone\(s\) but azCount is 3/,
  ],
  ["an unknown NAT mode", { natGateways: "two" }, /natGateways = "two": Invalid enum value/],
  [
    "an even control-plane count",
    { controlPlane: { count: 2 } },
    /^invalid configuration: controlPlane\.count = 2: must be 1, 3 or 5 \(an odd number keeps etcd's quorum\)$/,
  ],
  ["a control-plane count of 7", { controlPlane: { count: 7 } }, /controlPlane\.count = 7: must be 1, 3 or 5/],
  [
    "workers min > max",
    { workers: { min: 6, max: 3, desired: 3 } },
    /^invalid configuration: workers\.min = 6: is larger than workers\.max \(3\)$/,
  ],
  [
    "workers desired outside min..max",
    { workers: { min: 1, desired: 9, max: 5 } },
    /workers\.desired = 9: must be between workers\.min \(1\) and workers\.max \(5\)/,
  ],
  [
    "a Kubernetes version with a patch",
    { kubernetesVersion: "1.35.1" },
    /^invalid configuration: kubernetesVersion = "1\.35\.1": must be a Kubernetes minor like 1\.35/,
  ],
  [
    "a Kubernetes version with a v",
    { kubernetesVersion: "v1.35" },
    /kubernetesVersion = "v1\.35": must be a Kubernetes minor/,
  ],
  [
    "an unsupported Kubernetes minor",
    { kubernetesVersion: "1.20" },
    /kubernetesVersion = "1\.20": must be one of the minors with a pinned cloud controller: 1\.33, 1\.34, 1\.35/,
  ],
  [
    "an instance type not matching AWS's pattern",
    { workers: { instanceType: "t3-large" } },
    /^invalid configuration: workers\.instanceType = "t3-large": is not an EC2 instance type like t3\.medium$/,
  ],
  [
    "an instance type with a bad size",
    { controlPlane: { instanceType: "m5.huge" } },
    /controlPlane\.instanceType = "m5\.huge": is not an EC2 instance type/,
  ],
  [
    "a control-plane type too small for kubeadm",
    { controlPlane: { instanceType: "t3.micro" } },
    /^invalid configuration: controlPlane\.instanceType = "t3\.micro": is too small for a control-plane node/,
  ],
  ["a malformed AMI id", { amiId: "ami-xyz" }, /amiId = "ami-xyz": is not an AMI id/],
  [
    "a service CIDR inside the VPC",
    { serviceCidr: "172.31.128.0/20" },
    /serviceCidr = "172\.31\.128\.0\/20": overlaps the VPC 172\.31\.0\.0\/16/,
  ],
  ["a root volume too small", { workers: { rootVolumeGiB: 8 } }, /workers\.rootVolumeGiB = 8: must be at least 20 GiB/],
  [
    "a bad admin CIDR",
    { bastion: { adminCidrs: ["203.0.113.0/33"] } },
    /bastion\.adminCidrs\.0 = "203\.0\.113\.0\/33"/,
  ],
  [
    "no listener",
    { loadBalancers: { listeners: [] } },
    /loadBalancers\.listeners = \[\]: must list at least one listener/,
  ],
  [
    "a backup schedule that is not OnCalendar",
    { etcdBackup: { schedule: "every hour;" } },
    /etcdBackup\.schedule = "every hour;": is not a systemd OnCalendar value/,
  ],
  [
    "a backup retention of 0 days",
    { etcdBackup: { retentionDays: 0 } },
    /etcdBackup\.retentionDays = 0: must be at least 1 day/,
  ],
  [
    "the backup bucket equal to the state bucket",
    { state: { bucket: "same-bucket" }, etcdBackup: { bucket: "same-bucket" } },
    /etcdBackup\.bucket = "same-bucket": must differ from state\.bucket/,
  ],
  [
    "an invented region",
    { region: "xx-north-9" },
    regExp(
      /^invalid configuration: region = "xx-north-9": is not a region in the known list /,
      /\(terraform-provider-aws 5\.100\.0's partition data, read 2026-12-07\); /,
      /check the name, or set allowUnlistedRegion: true for a newer region$/,
    ),
  ],
  [
    "a state region not in the list",
    { state: { region: "eu-west-9" } },
    /^invalid configuration: state\.region = "eu-west-9": is not a region in the known list/,
  ],
  // Accepted by the old pattern, never parsed by systemd: backups would silently never run.
  [
    "a backup schedule in words",
    { etcdBackup: { schedule: "every hour" } },
    regExp(
      /^invalid configuration: etcdBackup\.schedule = "every hour": /,
      /is not a systemd OnCalendar value of the accepted form/,
    ),
  ],
  [
    "a backup time out of range",
    { etcdBackup: { schedule: "*-*-* 24:00" } },
    /etcdBackup\.schedule = "\*-\*-\* 24:00": is not a systemd OnCalendar value/,
  ],
  [
    "a service CIDR larger than kube-apiserver takes",
    { serviceCidr: "10.0.0.0/8" },
    regExp(
      /^invalid configuration: serviceCidr = "10\.0\.0\.0\/8": must be a \/12 to \/28: /,
      /kube-apiserver refuses more than 2\^20 addresses/,
    ),
  ],
  [
    "a service CIDR too small for kubeadm's DNS address",
    { serviceCidr: "10.96.0.0/29" },
    /serviceCidr = "10\.96\.0\.0\/29": must be a \/12 to \/28/,
  ],
  // Blamed on the field the user set, not reported as a service CIDR overlap.
  [
    "a /8 VPC",
    { network: { vpcCidr: "10.0.0.0/8" } },
    /^invalid configuration: network\.vpcCidr = "10\.0\.0\.0\/8": prefix \/8 is outside AWS's VPC range \/16 to \/28$/,
  ],
  [
    "a tag key AWS reserves",
    { tags: { "aws:team": "x" } },
    /^invalid configuration: tags\.aws:team = "x": uses the aws: prefix, which AWS reserves$/,
  ],
  ["a reserved tag key in capitals", { tags: { "AWS:team": "x" } }, /tags\.AWS:team = "x": uses the aws: prefix/],
  ["an empty tag key", { tags: { "": "x" } }, /tags\. = "x": has an empty key/],
  ["a tag key over 128 characters", { tags: { ["k".repeat(129)]: "x" } }, /has a key longer than 128 characters/],
  [
    "a tag value over 256 characters",
    { tags: { team: "v".repeat(257) } },
    /tags\.team = "v+\.\.\.: has a value longer than 256 characters/,
  ],
  [
    "a tag value with a character AWS rejects",
    { tags: { team: "a{b}" } },
    /tags\.team = "a\{b\}": has a value with characters AWS does not allow/,
  ],
  [
    "an instance type EC2 does not have (the shape is right, the type is not in the list)",
    { workers: { instanceType: "t5.large" } },
    regExp(
      /^invalid configuration: workers\.instanceType = "t5\.large": is not in the EC2 instance type list /,
      /\(aws\/amazon-vpc-cni-k8s v1\.23\.0 misc\/eni-max-pods\.txt: the types of 17 regions on 2026-07-31\); /,
      /check the spelling and 'aws ec2 describe-instance-type-offerings' in your region, /,
      /or set allowUnlistedInstanceTypes: true for a newer type$/,
    ),
  ],
  [
    "a Mac instance (dedicated hosts only), even with the escape hatch",
    { allowUnlistedInstanceTypes: true, workers: { instanceType: "mac2.metal" } },
    regExp(
      /^invalid configuration: workers\.instanceType = "mac2\.metal": is a Mac instance, /,
      /which runs only on a dedicated host this project does not make; choose another type$/,
    ),
  ],
  [
    "a size its family does not have",
    { controlPlane: { instanceType: "c7g.small" } },
    /^invalid configuration: controlPlane\.instanceType = "c7g\.small": is not in the EC2 instance type list/,
  ],
  [
    "a bastion type that does not exist",
    { bastion: { instanceType: "t3.huge2xlarge" } },
    /^invalid configuration: bastion\.instanceType = "t3\.huge2xlarge": is not/,
  ],
  [
    "more tags than fit beside the project's own",
    { tags: Object.fromEntries(Array.from({ length: 44 }, (_, i) => [`t${i}`, "v"])) },
    regExp(
      /^invalid configuration: tags = .*: has 44 tags; /,
      /AWS allows 50 per resource and this project puts up to 7 of its own on one, so at most 43$/,
    ),
  ],
  [
    "an add-on switch that is not a boolean",
    { addons: { ebsCsi: "yes" } },
    /^invalid configuration: addons\.ebsCsi = "yes": Expected boolean, received string$/,
  ],
  [
    "an add-on that does not exist",
    { addons: { ebs: true } },
    /^invalid configuration: addons\.ebs = true: is not a known field/,
  ],
  // S3's bucket naming rules beyond the character set (src/validation/config-schema.ts, bucketName).
  [
    "a bucket name with two adjacent dots",
    { state: { bucket: "my..bucket" } },
    /^invalid configuration: state\.bucket = "my\.\.bucket": must not contain two adjacent dots$/,
  ],
  [
    "a bucket name like an IP address",
    { etcdBackup: { bucket: "192.168.5.4" } },
    /^invalid configuration: etcdBackup\.bucket = "192\.168\.5\.4": must not look like an IP address$/,
  ],
  [
    "a bucket name with the xn-- prefix",
    { state: { bucket: "xn--bucket" } },
    /^invalid configuration: state\.bucket = "xn--bucket": uses a prefix or suffix AWS reserves$/,
  ],
  [
    "a bucket name with the -s3alias suffix",
    { state: { bucket: "b-s3alias" } },
    /"b-s3alias": uses a prefix or suffix/,
  ],
  ["a bucket name with the --ol-s3 suffix", { state: { bucket: "b--ol-s3" } }, /"b--ol-s3": uses a prefix or suffix/],
  [
    "an issuer bucket with a dot",
    { workloadIdentity: { bucket: "my.issuer" } },
    regExp(
      /^invalid configuration: workloadIdentity\.bucket = "my\.issuer": /,
      /must not contain dots \(S3's HTTPS certificate covers no dotted name\)$/,
    ),
  ],
  [
    "a cluster name starting with internal-",
    { clusterName: "internal-k8s" },
    regExp(
      /^invalid configuration: clusterName = "internal-k8s": /,
      /must not start with internal- \(AWS reserves it for load balancer names\)$/,
    ),
  ],
  [
    "a cluster name of 33 characters",
    { clusterName: "k" + "8".repeat(32) },
    regExp(
      /^invalid configuration: clusterName = "k8{32}": /,
      /must be 2-32 lowercase letters, digits and hyphens, starting with a letter$/,
    ),
  ],
  ["a cluster name ending in a hyphen", { clusterName: "k8s-" }, /clusterName = "k8s-": must be 2-32/],
  [
    "an SSH key name that is not ASCII",
    { sshKeyName: "clé" },
    /^invalid configuration: sshKeyName = "clé": must be ASCII$/,
  ],
  [
    "a zone name without its letter",
    { availabilityZones: ["ap-northeast-2"] },
    regExp(
      /^invalid configuration: availabilityZones\.0 = "ap-northeast-2": /,
      /is not an availability zone name like ap-northeast-2a$/,
    ),
  ],
  [
    "no admin CIDR",
    { bastion: { adminCidrs: [] } },
    /^invalid configuration: bastion\.adminCidrs = \[\]: must list at least one CIDR$/,
  ],
  [
    "no load balancer client CIDR",
    { loadBalancers: { clientCidrs: [] } },
    /^invalid configuration: loadBalancers\.clientCidrs = \[\]: must list at least one CIDR$/,
  ],
  [
    "a state key starting with a slash",
    { state: { key: "/k8s/terraform.tfstate" } },
    /^invalid configuration: state\.key = "\/k8s\/terraform\.tfstate": must not start or end with a slash$/,
  ],
  ["a state key ending with a slash", { state: { key: "k8s/" } }, /state\.key = "k8s\/": must not start or end/],
  ["a state key that is one slash", { state: { key: "/" } }, /state\.key = "\/": must not start or end/],
  ["an AMI id of 10 hex digits", { amiId: "ami-0123456789" }, /amiId = "ami-0123456789": is not an AMI id like/],
  [
    "a zone named twice",
    { azCount: 2, availabilityZones: ["ap-northeast-2a", "ap-northeast-2a"] },
    /^invalid configuration: availabilityZones = \["ap-northeast-2a","ap-northeast-2a"\]: names a zone twice$/,
  ],
  ["no zone at all", { availabilityZones: [] }, /^invalid configuration: availabilityZones = \[\]: /],
  [
    "fewer workers than zones",
    { azCount: 2, workers: { min: 1, desired: 1, max: 1 } },
    /^invalid configuration: workers\.max = 1: must be at least azCount \(2\): one worker per zone's group$/,
  ],
  [
    "workers desired below min",
    { workers: { min: 3, desired: 2, max: 5 } },
    /^invalid configuration: workers\.desired = 2: must be between workers\.min \(3\) and workers\.max \(5\)$/,
  ],
  [
    "a service CIDR of a /11, the whole message",
    { serviceCidr: "10.96.0.0/11" },
    regExp(
      /^invalid configuration: serviceCidr = "10\.96\.0\.0\/11": must be a \/12 to \/28: /,
      /kube-apiserver refuses more than 2\^20 addresses, and kubeadm needs the 10th address for cluster DNS$/,
    ),
  ],
  [
    "a bucket name of 64 characters, the whole message",
    { state: { bucket: "b".repeat(64) } },
    regExp(
      /^invalid configuration: state\.bucket = "b{64}": /,
      /must be 3-63 characters of lowercase letters, digits, dots and hyphens, /,
      /starting and ending with a letter or digit$/,
    ),
  ],
  [
    "a control-plane root volume too small",
    { controlPlane: { rootVolumeGiB: 10 } },
    /^invalid configuration: controlPlane\.rootVolumeGiB = 10: must be at least 20 GiB$/,
  ],
  ["an SSH key name starting with a non-ASCII letter", { sshKeyName: "ékey" }, /sshKeyName = "ékey": must be ASCII$/],
  ["an AMI id with a prefix", { amiId: "xami-0123abcd" }, /amiId = "xami-0123abcd": is not an AMI id like/],
  [
    "a fractional etcd backup retention",
    { etcdBackup: { retentionDays: 1.5 } },
    /^invalid configuration: etcdBackup\.retentionDays = 1\.5: Expected integer, received float$/,
  ],
];

/** Values at the edges of what the schema accepts. */
const accepted: [string, Record<string, unknown>][] = [
  ["a two-character cluster name", { clusterName: "k8" }],
  ["a 32-character cluster name", { clusterName: "k" + "8".repeat(31) }],
  ["an AMI id of 8 hex digits (the old form)", { amiId: "ami-0123abcd" }],
  ["an AMI id of 17 hex digits", { amiId: "ami-0123456789abcdef0" }],
  ["a one-character state key", { state: { key: "k" } }],
  ["a state key with folders", { state: { key: "team/k8s/terraform.tfstate" } }],
  ["a bucket name with single dots (not the issuer's)", { state: { bucket: "my.state.bucket" } }],
  ["a bucket name with digits and dots that is not an IP address", { state: { bucket: "192.168.5" } }],
  ["an SSH key name with spaces and punctuation", { sshKeyName: "ops key (2026)" }],
  ["a bucket name of 63 characters", { state: { bucket: "b".repeat(63) } }],
  ["a bucket name with an IP address inside it", { state: { bucket: "a192.168.5.4" } }],
  ["a bucket name starting with an IP address", { state: { bucket: "192.168.5.4a" } }],
  ["a service CIDR of a /28 (kubeadm's DNS address is its 10th)", { serviceCidr: "10.96.0.0/28" }],
  ["a service CIDR of a /12", { serviceCidr: "10.96.0.0/12" }],
];

describe("bad configuration is rejected with one line naming the field and value", () => {
  test.each(rejected)("%s", (_what, input, pattern) => expect(errorOf(input)).toMatch(pattern));
  test("a region newer than the list is accepted with the escape hatch", () =>
    expect(
      resolveConfig({ region: "ap-southeast-6", allowUnlistedRegion: true, availabilityZones: ["ap-southeast-6a"] })
        .region,
    ).toBe("ap-southeast-6"));
  test("the region list (src/aws/regions.ts): 37 well-formed region names, sorted, none twice", () => {
    expect(KNOWN_REGIONS).toHaveLength(37);
    for (const region of KNOWN_REGIONS) expect(region).toMatch(REGION_NAME);
    expect([...KNOWN_REGIONS].sort()).toEqual(KNOWN_REGIONS);
    expect(new Set(KNOWN_REGIONS).size).toBe(KNOWN_REGIONS.length);
    expect(Object.isFrozen(KNOWN_REGIONS)).toBe(true);
  });
  test("an instance type newer than the list is accepted with the escape hatch", () =>
    expect(
      resolveConfig({ allowUnlistedInstanceTypes: true, workers: { instanceType: "t5.large" } }).workers.instanceType,
    ).toBe("t5.large"));
  test("the list has today's common types and Graviton types, and its vendored bytes are checked", () => {
    for (const t of [
      "t3.micro",
      "t3.medium",
      "t3.large",
      "m6i.xlarge",
      "t4g.large",
      "c7gn.16xlarge",
      "m7i.48xlarge",
      "r8g.metal-24xl",
    ])
      expect(knownInstanceTypes().has(t)).toBe(true);
    for (const t of ["t5.large", "c7g.small", "t3.huge2xlarge"]) expect(knownInstanceTypes().has(t)).toBe(false);
    expect(knownInstanceTypes().size).toBe(1392);
  });
  test.each(accepted)("accepted: %s", (_what, input) => expect(() => resolveConfig(input)).not.toThrow());
  test("43 tags of the user's own are accepted", () =>
    expect(() =>
      resolveConfig({ tags: Object.fromEntries(Array.from({ length: 43 }, (_, i) => [`t${i}`, "v"])) }),
    ).not.toThrow());
});
