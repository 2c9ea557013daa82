/**
 * Our changes to vendored upstream manifests, as small functions over the parsed documents. Each
 * finds exactly what it changes and throws when upstream no longer has it, so a re-vendored
 * manifest that moved a field fails synth instead of silently losing the change.
 */

/** A Kubernetes object as parsed from YAML. */
export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; [k: string]: unknown };
  [k: string]: unknown;
}

export interface Container {
  name: string;
  image: string;
  imagePullPolicy?: string;
  command?: string[];
  args?: string[];
  env?: { name: string; value?: string; valueFrom?: unknown }[];
  volumeMounts?: { name: string; mountPath: string; readOnly?: boolean }[];
  [k: string]: unknown;
}

export interface PodSpec {
  containers: Container[];
  initContainers?: Container[];
  hostNetwork?: boolean;
  nodeSelector?: Record<string, string>;
  tolerations?: { key?: string; operator?: string; value?: string; effect?: string }[];
  priorityClassName?: string;
  volumes?: { name: string; [k: string]: unknown }[];
  [k: string]: unknown;
}

export class PatchError extends Error {}

/** The label and taint kubeadm puts on control-plane nodes (taint effect NoSchedule). */
export const CONTROL_PLANE_NODE_LABEL = "node-role.kubernetes.io/control-plane";

/** Runs a pod only on the control-plane nodes: selects their label and tolerates their taint. */
export function onControlPlaneNodes(spec: PodSpec): void {
  spec.nodeSelector = { ...(spec.nodeSelector ?? {}), [CONTROL_PLANE_NODE_LABEL]: "" };
  const toleration = { key: CONTROL_PLANE_NODE_LABEL, operator: "Exists", effect: "NoSchedule" };
  spec.tolerations = [...(spec.tolerations ?? []), toleration];
}

/** The one object of this kind and name; throws naming the manifest when there is none or several. */
export function find(objects: readonly KubeObject[], kind: string, name: string, manifest: string): KubeObject {
  const found = objects.filter((o) => o.kind === kind && o.metadata?.name === name);
  if (found.length !== 1)
    throw new PatchError(
      `${manifest}: expected one ${kind} ${name}, found ${found.length}; ` +
        "re-check the patch against the vendored manifest",
    );
  return found[0];
}

/** The pod spec of a workload (DaemonSet, Deployment, ...). */
export function podSpec(o: KubeObject, manifest: string): PodSpec {
  const spec = (o.spec as { template?: { spec?: PodSpec } } | undefined)?.template?.spec;
  if (!spec || !Array.isArray(spec.containers))
    throw new PatchError(`${manifest}: ${o.kind} ${o.metadata.name} has no pod template`);
  return spec;
}

export function container(spec: PodSpec, name: string, manifest: string): Container {
  const c = spec.containers.find((x) => x.name === name);
  if (!c)
    throw new PatchError(
      `${manifest}: no container ${name} (containers: ${spec.containers.map((x) => x.name).join(", ")})`,
    );
  return c;
}

/** Sets env variables of a container: replaces a variable upstream defines, appends a new one. */
export function setEnv(c: Container, vars: Readonly<Record<string, string>>): void {
  c.env = c.env ?? [];
  for (const [name, value] of Object.entries(vars)) {
    const existing = c.env.find((e) => e.name === name);
    if (existing) {
      delete existing.valueFrom;
      existing.value = value;
    } else c.env.push({ name, value });
  }
}

/** Replaces the tag of a container's image; throws when the image is not `repository`. */
export function setImageTag(c: Container, repository: string, tag: string, manifest: string): void {
  const [repo] = c.image.split(/[:@](?=[^/]*$)/);
  if (repo !== repository)
    throw new PatchError(`${manifest}: container ${c.name} runs ${c.image}, not ${repository}; re-check the image pin`);
  c.image = `${repository}:${tag}`;
}

/**
 * Adds args that upstream does not set; throws when upstream sets the flag already (then it is a change, not an
 * addition).
 */
export function addArgs(c: Container, args: readonly string[], manifest: string): void {
  c.args = c.args ?? [];
  for (const arg of args) {
    const flag = arg.split("=")[0];
    if (c.args.some((a) => a.split("=")[0] === flag))
      throw new PatchError(`${manifest}: container ${c.name} already sets ${flag}`);
    c.args.push(arg);
  }
}

const flagName = (arg: string): string => arg.split("=")[0];

/**
 * Replaces the value of a `--flag=value` entry upstream writes in a container's command or args;
 * throws when upstream does not set the flag exactly once (then there is nothing to replace).
 */
export function replaceFlag(
  c: Container,
  list: "command" | "args",
  flag: string,
  value: string,
  manifest: string,
): void {
  const entries = c[list] ?? [];
  const at = entries.flatMap((a, i) => (flagName(a) === flag ? [i] : []));
  if (at.length !== 1)
    throw new PatchError(`${manifest}: container ${c.name} sets ${flag} ${at.length} times in its ${list}, not once`);
  entries[at[0]] = `${flag}=${value}`;
}

/** Appends flags upstream does not set to a container's command or args; throws when it sets one already. */
export function appendFlags(c: Container, list: "command" | "args", flags: readonly string[], manifest: string): void {
  const entries = c[list];
  if (!entries) throw new PatchError(`${manifest}: container ${c.name} has no ${list}`);
  for (const arg of flags) {
    if (entries.some((a) => flagName(a) === flagName(arg)))
      throw new PatchError(`${manifest}: container ${c.name} already sets ${flagName(arg)}`);
    entries.push(arg);
  }
}
