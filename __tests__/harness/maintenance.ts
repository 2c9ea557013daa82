/**
 * What the certificate renewal and upgrade tests set and read in a harness node's stub state
 * (stubs-maintenance.sh): the node's kubeadm certificates, the maintenance Lease, the version in
 * kubeadm's ClusterConfiguration.
 */
import * as fs from "fs";
import * as path from "path";
import { NodeRun } from "./node";

export const LEASE = "k8s-control-plane-maintenance";
/** The stub node's name (IMDS local-hostname), which the scripts hold the Lease as. */
export const NODE_NAME = "ip-172-31-8-10.ap-northeast-2.compute.internal";
export const OTHER_NODE = "ip-172-31-9-20.ap-northeast-2.compute.internal";

const DAY = 86_400_000;
/** RFC 3339 in UTC without fractions, as kubeadm's JSON writes a metav1.Time. */
const rfc3339 = (t: number) => new Date(t).toISOString().replace(/\.\d{3}Z$/, "Z");
/** RFC 3339 with six fractional digits, as the API writes a metav1.MicroTime. */
const microTime = (t: number) => new Date(t).toISOString().replace(/Z$/, "000Z");

interface Certificate {
  readonly list: string;
  readonly name: string;
  readonly expires: string;
  readonly external: boolean;
  readonly missing: boolean;
}

function pkiFile(n: NodeRun): string {
  return path.join(n.state, "pki");
}

/** The node's certificates and CAs as kubeadm certs check-expiration would list them. */
export function certificates(n: NodeRun): Certificate[] {
  return fs
    .readFileSync(pkiFile(n), "utf8")
    .trim()
    .split("\n")
    .map((l) => {
      const [list, name, expires, external, missing] = l.split(" ");
      return { list, name, expires, external: external === "true", missing: missing === "true" };
    });
}

/** Whole days until each present certificate (not CA) expires. */
export function daysLeft(n: NodeRun): Record<string, number> {
  return Object.fromEntries(
    certificates(n)
      .filter((c) => c.list === "certificates" && !c.missing)
      .map((c) => [c.name, Math.floor((Date.parse(c.expires) - Date.now()) / DAY)]),
  );
}

/** Sets the expiry of certificates or CAs (by name) to the given number of days from now (fractions allowed). */
export function expireIn(n: NodeRun, days: Readonly<Record<string, number>>, external: readonly string[] = []): void {
  const text = certificates(n)
    .map((c) => {
      const expires = c.name in days ? rfc3339(Date.now() + days[c.name] * DAY) : c.expires;
      return `${c.list} ${c.name} ${expires} ${external.includes(c.name) || c.external} ${c.missing}\n`;
    })
    .join("");
  fs.writeFileSync(pkiFile(n), text);
}

export interface Lease {
  readonly holder: string;
  readonly renewTime: string;
  readonly durationSeconds: number;
  readonly resourceVersion: string;
}

/** The maintenance Lease as the stub API server holds it, or undefined. */
export function lease(n: NodeRun): Lease | undefined {
  const file = path.join(n.state, "leases", LEASE);
  if (!fs.existsSync(file)) return undefined;
  const [holder, renewTime, duration, resourceVersion] = fs.readFileSync(file, "utf8").trim().split("|");
  return { holder, renewTime, durationSeconds: Number(duration), resourceVersion };
}

/** The last Lease manifest the stub API server accepted. */
export function leaseManifest(n: NodeRun): string {
  return fs.readFileSync(path.join(n.state, "leases", `${LEASE}.yaml`), "utf8");
}

/** Another holder's Lease, renewed `secondsAgo` seconds ago, for `durationSeconds`. */
export function holdLease(n: NodeRun, holder: string, secondsAgo: number, durationSeconds = 3600): void {
  fs.mkdirSync(path.join(n.state, "leases"), { recursive: true });
  const renewed = microTime(Date.now() - secondsAgo * 1000);
  fs.writeFileSync(path.join(n.state, "leases", LEASE), `${holder}|${renewed}|${durationSeconds}|900\n`);
}

/** Another holder takes the Lease (a fresh one) right after the next read of it. */
export function raceForLease(n: NodeRun, holder: string): void {
  fs.writeFileSync(path.join(n.state, "leases", `${LEASE}.race`), holder);
}

/** kubernetesVersion of kubeadm's ClusterConfiguration (kube-system/kubeadm-config). */
export function clusterVersion(n: NodeRun): string {
  return fs.readFileSync(path.join(n.state, "cluster-version"), "utf8").trim();
}

/** What `kubeadm upgrade apply` on another control-plane node leaves in the cluster. */
export function setClusterVersion(n: NodeRun, version: string): void {
  fs.writeFileSync(path.join(n.state, "cluster-version"), `${version}\n`);
}

/** The version dpkg reports for an installed package of the node. */
export function installedVersion(n: NodeRun, pkg: string): string | undefined {
  const file = path.join(n.state, "dpkg", pkg);
  return fs.existsSync(file) ? fs.readFileSync(file, "utf8").trim() : undefined;
}
