/**
 * What one node's bootstrap is made from: the cluster's names, CIDRs and versions, and the node's
 * role. They come from the configuration, so they are checked with the configuration's own
 * validators (its schema, src/validation/config-schema.ts; src/aws/cidr.ts; src/validation/): a value
 * the configuration accepts is one the bootstrap accepts, with the same reason when it is not. What
 * only the bootstrap takes (the SSM prefix, the backup key prefix, a bucket name that must be plain
 * text) has its own rule here. Every problem is reported at once, one line each.
 */
import { schema as configSchema } from "../validation/config-schema";
import { cidrProblem } from "../aws/cidr";
import { onCalendarProblem } from "../validation/systemd-calendar";
import { ssmPrefixProblem } from "../aws/ssm-parameters";

export type NodeRole = "control-plane" | "worker";

export const NODE_ROLES: readonly NodeRole[] = ["control-plane", "worker"];

export interface BootstrapSettings {
  readonly clusterName: string;
  readonly region: string;
  readonly kubernetesMinor: string;
  readonly role: NodeRole;
  /** All parameters live below it, e.g. "/k8s/k8s-cluster". */
  readonly ssmPrefix: string;
  /** VPC-native pods; kubeadm's networking.podSubnet. */
  readonly podCidr: string;
  readonly serviceCidr: string;
  /**
   * Scheduled etcd snapshots to S3 from control-plane nodes (workers ignore it). Bucket: a plain
   * name known at synth time (not a Terraform token); prefix: key prefix without leading or
   * trailing "/"; onCalendar: a systemd OnCalendar value such as "hourly".
   */
  readonly etcdBackup?: EtcdBackupSettings;
  /** Add-ons the bundle carries besides the always-on ones; only the bundle reads them. */
  readonly addons?: BundleAddonSettings;
  /**
   * Workload identity (src/aws/workload-identity.ts): the issuer bucket, a plain name known at synth
   * time. The API server's issuer flags name it, control-plane nodes publish to it.
   */
  readonly workloadIdentity?: WorkloadIdentitySettings;
}

export interface WorkloadIdentitySettings {
  readonly bucket: string;
}

/** The configuration's addons.* switches, and what those add-ons need to know about the cluster. */
export interface BundleAddonSettings {
  /** The EBS CSI driver and the default StorageClass (addons.ebsCsi). */
  readonly ebsCsi: boolean;
  /** controlPlane.count: the EBS CSI controller runs at most one replica per control-plane node. */
  readonly controlPlaneCount: number;
  /** metrics-server (addons.metricsServer); on unless false. */
  readonly metricsServer?: boolean;
  /** The cluster autoscaler for the workers' group (addons.clusterAutoscaler); on unless false. */
  readonly clusterAutoscaler?: boolean;
}

export interface EtcdBackupSettings {
  readonly bucket: string;
  readonly prefix: string;
  readonly onCalendar: string;
}

/** Settings that are the same for every node of a cluster (the bundle's input). */
export type ClusterBootstrapSettings = Omit<BootstrapSettings, "role">;

/** The configuration's validators of the fields the bootstrap takes over unchanged. */
const CONFIGURATION_FIELDS = {
  clusterName: configSchema.shape.clusterName,
  region: configSchema.shape.region,
  kubernetesMinor: configSchema.shape.kubernetesVersion,
  etcdBackupBucket: configSchema.shape.etcdBackup.removeDefault().shape.bucket,
  issuerBucket: configSchema.shape.workloadIdentity.removeDefault().shape.bucket,
};

/** The reason the configuration gives for refusing `value`, or undefined when it accepts it. */
function configurationProblem(field: keyof typeof CONFIGURATION_FIELDS, value: string): string | undefined {
  const result = CONFIGURATION_FIELDS[field].safeParse(value);
  return result.success ? undefined : result.error.issues[0].message;
}

const unless = (ok: boolean, why: string) => (ok ? undefined : why);

/** A bucket named at synth time (a Terraform token would reach the node as text) that the configuration allows. */
function bucketProblem(bucket: string, field: "etcdBackupBucket" | "issuerBucket"): string | undefined {
  if (bucket.includes("${")) return "is a Terraform token; pass the plain bucket name";
  return configurationProblem(field, bucket);
}

/**
 * Every field the bootstrap cannot use, one line each ("bootstrap: <field> = <value> <reason>"),
 * in the order of the fields; empty when all are fine. A field's first problem only.
 */
export function settingsProblems(s: BootstrapSettings): string[] {
  const found: [field: string, value: string, problem: string | undefined][] = [
    ["role", s.role, unless(NODE_ROLES.includes(s.role), `is not one of ${NODE_ROLES.join(", ")}`)],
    ["kubernetesMinor", s.kubernetesMinor, configurationProblem("kubernetesMinor", s.kubernetesMinor)],
    ["clusterName", s.clusterName, configurationProblem("clusterName", s.clusterName)],
    ["region", s.region, configurationProblem("region", s.region)],
    ["ssmPrefix", s.ssmPrefix, ssmPrefixProblem(s.ssmPrefix)],
    ["podCidr", s.podCidr, cidrProblem(s.podCidr)],
    ["serviceCidr", s.serviceCidr, cidrProblem(s.serviceCidr)],
  ];
  if (s.workloadIdentity) {
    const { bucket } = s.workloadIdentity;
    found.push(["workloadIdentity.bucket", bucket, bucketProblem(bucket, "issuerBucket")]);
  }
  if (s.etcdBackup) {
    const { bucket, prefix, onCalendar } = s.etcdBackup;
    const keyPrefix = /^[A-Za-z0-9_.-]+(\/[A-Za-z0-9_.-]+)*$/.test(prefix);
    found.push(
      ["etcdBackup.bucket", bucket, bucketProblem(bucket, "etcdBackupBucket")],
      ["etcdBackup.prefix", prefix, unless(keyPrefix, "must look like a/b (no leading or trailing slash)")],
      ["etcdBackup.onCalendar", onCalendar, onCalendarProblem(onCalendar)],
    );
  }
  return found.flatMap(([field, value, problem]) =>
    problem === undefined ? [] : [`bootstrap: ${field} = ${JSON.stringify(value)} ${problem}`],
  );
}

/** Throws one error naming every field the bootstrap cannot use, one line each. */
export function validateSettings(s: BootstrapSettings): void {
  const problems = settingsProblems(s);
  if (problems.length > 0) throw new Error(problems.join("\n"));
}
