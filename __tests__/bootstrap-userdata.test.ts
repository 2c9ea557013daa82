/**
 * The user data of every role: valid for cloud-init (its own schema check), inside EC2's size
 * limit, free of secrets and Terraform tokens, and carrying the kubeadm and add-on documents the
 * design asks for.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { gunzipSync } from "zlib";
import { parse, parseAllDocuments } from "yaml";
import {
  ADDON_VERSIONS,
  BOOTSTRAP_SCRIPTS,
  DEFAULT_KUBERNETES_MINOR,
  NodeRole,
  SUPPORTED_KUBERNETES_MINORS,
  renderUserData,
} from "../src/bootstrap";
import { ETCD_BACKUP, JOIN_SECRETS, settingsFor } from "./harness/node";
import { run } from "./harness/tools";

const ROLES: NodeRole[] = ["control-plane-init", "control-plane-join", "worker"];
const rendered = Object.fromEntries(ROLES.map((r) => [r, renderUserData(settingsFor(r))])) as Record<NodeRole, ReturnType<typeof renderUserData>>;
/** Every role with etcd backups configured (workers ignore them), the largest user data there is. */
const withBackup = Object.fromEntries(ROLES.map((r) => [r, renderUserData(settingsFor(r, { etcdBackup: ETCD_BACKUP }))])) as typeof rendered;
const CASES: [string, string][] = ROLES.flatMap((r) => [
  [r, rendered[r].cloudConfig],
  [`${r} with etcdBackup`, withBackup[r].cloudConfig],
]);
const BASE64_CASES: [string, string][] = ROLES.flatMap((r) => [
  [r, rendered[r].userDataBase64],
  [`${r} with etcdBackup`, withBackup[r].userDataBase64],
]);

interface CloudConfig {
  write_files: { path: string; permissions: string; content: string }[];
  runcmd: string[][];
}
const docOf = (role: NodeRole) => parse(rendered[role].cloudConfig) as CloudConfig;
const fileOf = (role: NodeRole, p: string) => docOf(role).write_files.find((f) => f.path === p)?.content;
const yamlDocs = (text: string) => parseAllDocuments(text).map((d) => d.toJS());

/** Shapes of values that must never be in user data. */
const SECRET_SHAPES: Record<string, RegExp> = {
  "bootstrap token": /[a-z0-9]{6}\.[a-z0-9]{16}/,
  "64-hex key or hash": /[0-9a-fA-F]{64}/,
  "PEM block": /-----BEGIN [A-Z ]+-----/,
  "AWS access key id": /\b(AKIA|ASIA)[0-9A-Z]{16}\b/,
  "AWS secret access key": /(?<![A-Za-z0-9/+=])[A-Za-z0-9/+]{40}(?![A-Za-z0-9/+=])/,
  "Terraform token": /\$\{(Tf)?Token\[|TOKEN\.\d+/,
  "resource id (ids come from SSM)": /\b(sg|subnet|vpc|i)-[0-9a-f]{8,17}\b/,
};
const secretsIn = (text: string) => Object.entries(SECRET_SHAPES).filter(([, re]) => re.test(text)).map(([what, re]) => `${what}: ${text.match(re)![0]}`);

describe("cloud-init accepts the user data", () => {
  let dir: string;
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "userdata-"));
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  test.each(CASES)("%s passes cloud-init schema", (name, cloudConfig) => {
    const file = path.join(dir, `${name.replace(/ /g, "-")}.yaml`);
    fs.writeFileSync(file, cloudConfig);
    const r = run("cloud-init", ["schema", "--config-file", file]);
    expect({ status: r.status, out: `${r.stdout}${r.stderr}`.trim() }).toEqual({ status: 0, out: `Valid cloud-config: ${file}` });
  });

  test.each(ROLES)("%s starts with #cloud-config and runs k8s-bootstrap, once", (role) => {
    expect(rendered[role].cloudConfig.startsWith("#cloud-config\n")).toBe(true);
    expect(docOf(role).runcmd).toEqual([["/usr/local/sbin/k8s-bootstrap"]]);
  });
});

describe("size and encoding", () => {
  test.each(BASE64_CASES)("%s: gzip+base64 is under EC2's 16384-byte limit", (_name, base64) => {
    expect(Buffer.byteLength(base64)).toBeLessThan(16384);
  });

  test("the worker's raw cloud-config is under 16 KiB too", () => {
    expect(Buffer.byteLength(rendered.worker.cloudConfig)).toBeLessThan(16384);
  });

  test.each(ROLES)("%s: gunzip(base64) gives the cloud-config exactly", (role) => {
    const text = gunzipSync(Buffer.from(rendered[role].userDataBase64, "base64")).toString("utf8");
    expect(text).toBe(rendered[role].cloudConfig);
  });

  test("rendering is deterministic (no diff, no instance replacement)", () => {
    for (const role of ROLES) expect(renderUserData(settingsFor(role))).toEqual(rendered[role]);
  });
});

describe("no secrets, only names", () => {
  test("the detector flags real join values (so a clean result means something)", () => {
    for (const v of Object.values(JOIN_SECRETS)) expect(secretsIn(`x ${v} y`)).not.toEqual([]);
    expect(secretsIn("aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY")).not.toEqual([]);
    expect(secretsIn("-----BEGIN CERTIFICATE-----")).not.toEqual([]);
    expect(secretsIn("${TfToken[TOKEN.12]}")).not.toEqual([]);
    expect(secretsIn("sg-0123456789abcdef0")).not.toEqual([]);
  });

  test.each(CASES)("%s carries nothing token-, key-, PEM-, AWS-secret- or id-shaped", (_name, cloudConfig) => {
    expect(secretsIn(cloudConfig)).toEqual([]);
  });

  test.each(ROLES)("%s: the env file names the SSM parameters under the prefix", (role) => {
    const env = fileOf(role, "/etc/k8s-bootstrap/env")!;
    for (const p of ["api-endpoint", "pods/subnets", "pods/security-group", "load-balancer/security-group", "join/token", "join/certificate-key", "join/ca-cert-hash", "join/api-endpoint"])
      expect(env).toContain(`=/k8s/k8s-cluster/${p}\n`);
    expect(env).toContain(`NODE_ROLE=${role}\n`);
    expect(env).toContain("K8S_MINOR=1.35\n");
    // The add-on pins only where k8s-addons runs.
    expect(/^VPC_CNI_MANIFEST_URL=/m.test(env)).toBe(role === "control-plane-init");
    expect(/^CCM_IMAGE=/m.test(env)).toBe(role === "control-plane-init");
  });
});

describe("what each role carries", () => {
  const paths = (role: NodeRole) => docOf(role).write_files.map((f) => f.path);

  test("workers get no add-ons, no init configuration, no refresh or backup timers", () => {
    const p = paths("worker");
    expect(p.filter((x) => /addons|kubeadm-init|join-refresh|etcd-backup/.test(x))).toEqual([]);
    expect(withBackup.worker).toEqual(rendered.worker);
  });

  test("control-plane joiners get the refresh timers but not the add-ons", () => {
    const p = paths("control-plane-join");
    expect(p).toEqual(expect.arrayContaining(["/usr/local/sbin/k8s-join-refresh", "/etc/systemd/system/k8s-join-refresh@token.timer", "/etc/systemd/system/k8s-join-refresh@certs.timer"]));
    expect(p.filter((x) => /addons|kubeadm-init/.test(x))).toEqual([]);
  });

  test("every script shipped is one of BOOTSTRAP_SCRIPTS, byte for byte, and executable", () => {
    const docs = [...ROLES.map(docOf), ...ROLES.map((r) => parse(withBackup[r].cloudConfig) as CloudConfig)];
    for (const doc of docs)
      for (const f of doc.write_files.filter((w) => w.path.includes("/sbin/") || w.path.endsWith(".sh"))) {
        expect(f.content).toBe(BOOTSTRAP_SCRIPTS[f.path]);
        expect(f.permissions).toBe("0755");
      }
  });

  test("the refresh timers: a token every 12 h (it lives 24 h), certificates every hour (kubeadm keeps them 2 h)", () => {
    const token = fileOf("control-plane-join", "/etc/systemd/system/k8s-join-refresh@token.timer")!;
    const certs = fileOf("control-plane-join", "/etc/systemd/system/k8s-join-refresh@certs.timer")!;
    expect(token).toMatch(/^OnUnitActiveSec=12h$/m);
    expect(certs).toMatch(/^OnUnitActiveSec=1h$/m);
    expect(fileOf("control-plane-join", "/etc/systemd/system/k8s-join-refresh@.service")).toMatch(/^ExecStart=\/usr\/local\/sbin\/k8s-join-refresh %i$/m);
    expect(BOOTSTRAP_SCRIPTS["/usr/local/sbin/k8s-join-refresh"]).toContain("--ttl 24h");
  });
});

describe("kubeadm configuration (v1beta4)", () => {
  const init = () => yamlDocs(fileOf("control-plane-init", "/etc/k8s-bootstrap/kubeadm-init.yaml.tmpl")!);
  const join = (role: NodeRole) => yamlDocs(fileOf(role, "/etc/k8s-bootstrap/kubeadm-join.yaml.tmpl")!)[0];
  const cloudProviderExternal = { name: "cloud-provider", value: "external" };

  test("init: NLB as controlPlaneEndpoint and SAN, the configured pod and service CIDRs", () => {
    const [initCfg, cluster] = init();
    expect(initCfg.apiVersion).toBe("kubeadm.k8s.io/v1beta4");
    expect(initCfg.kind).toBe("InitConfiguration");
    expect(initCfg.certificateKey).toBe("__CERTIFICATE_KEY__");
    expect(initCfg.nodeRegistration.name).toBe("__NODE_NAME__");
    expect(initCfg.nodeRegistration.kubeletExtraArgs).toContainEqual(cloudProviderExternal);
    expect(cluster.kind).toBe("ClusterConfiguration");
    expect(cluster.controlPlaneEndpoint).toBe("__API_ENDPOINT__:6443");
    expect(cluster.apiServer.certSANs).toContain("__API_ENDPOINT__");
    expect(cluster.networking).toEqual({ podSubnet: "172.31.32.0/19", serviceSubnet: "10.96.0.0/12" });
    expect(cluster.clusterName).toBe("k8s-cluster");
  });

  test("join: token discovery through the NLB; the control-plane section only for control-plane roles", () => {
    for (const role of ROLES) {
      const j = join(role);
      expect(j.kind).toBe("JoinConfiguration");
      expect(j.discovery.bootstrapToken).toEqual({ apiServerEndpoint: "__API_ENDPOINT__:6443", token: "__JOIN_TOKEN__", caCertHashes: ["__CA_CERT_HASH__"] });
      expect(j.nodeRegistration.kubeletExtraArgs).toContainEqual(cloudProviderExternal);
      if (role === "worker") expect(j.controlPlane).toBeUndefined();
      else expect(j.controlPlane.certificateKey).toBe("__CERTIFICATE_KEY__");
    }
  });

  test("every role's kubelet gets max-pods from a placeholder filled at boot", () => {
    const maxPods = { name: "max-pods", value: "__MAX_PODS__" };
    expect(init()[0].nodeRegistration.kubeletExtraArgs).toContainEqual(maxPods);
    for (const role of ROLES) expect(join(role).nodeRegistration.kubeletExtraArgs).toContainEqual(maxPods);
  });

  test("every placeholder the templates use is one the scripts fill", () => {
    const filled = new Set(["API_ENDPOINT", "NODE_NAME", "NODE_IP", "NODE_ZONE", "MAX_PODS", "KUBERNETES_VERSION", "CERTIFICATE_KEY", "JOIN_TOKEN", "CA_CERT_HASH", "ZONE", "SUBNET", "PODS_SECURITY_GROUP", "LB_SECURITY_GROUP"]);
    const templates = ROLES.flatMap((r) => docOf(r).write_files.filter((f) => f.path.endsWith(".tmpl")).map((f) => f.content)).join("\n");
    const used = new Set(templates.match(/__[A-Z][A-Z_]*__/g)!.map((m) => m.slice(2, -2)));
    expect(used.size).toBeGreaterThan(5);
    expect([...used].filter((u) => !filled.has(u))).toEqual([]);
  });
});

describe("add-ons", () => {
  const addon = (p: string) => fileOf("control-plane-init", `/etc/k8s-bootstrap/addons/${p}`)!;

  test("VPC CNI: the pinned manifest with custom networking, zone-labelled ENIConfigs and external SNAT", () => {
    expect(BOOTSTRAP_SCRIPTS["/usr/local/sbin/k8s-addons"]).toContain("kubectl apply -k");
    expect(fileOf("control-plane-init", "/etc/k8s-bootstrap/env")).toContain(
      `VPC_CNI_MANIFEST_URL=https://raw.githubusercontent.com/aws/amazon-vpc-cni-k8s/${ADDON_VERSIONS.vpcCni}/config/master/aws-k8s-cni.yaml\n`,
    );
    const [k] = yamlDocs(addon("vpc-cni/kustomization.yaml"));
    expect(k.resources).toEqual(["aws-k8s-cni.yaml"]);
    const [patch] = yamlDocs(addon(`vpc-cni/${k.patches[0].path}`));
    const env = Object.fromEntries(patch.spec.template.spec.containers[0].env.map((e: { name: string; value: string }) => [e.name, e.value]));
    expect(env).toMatchObject({ AWS_VPC_K8S_CNI_CUSTOM_NETWORK_CFG: "true", ENI_CONFIG_LABEL_DEF: "topology.kubernetes.io/zone", AWS_VPC_K8S_CNI_EXTERNALSNAT: "true" });
    expect(k.patches).toEqual([{ path: "aws-node-env.yaml" }]);
    expect(patch.metadata).toEqual({ name: "aws-node", namespace: "kube-system" });
  });

  test("VPC CNI: aws-node runs with CLUSTER_NAME, so its ENIs carry the cluster tag the node IAM policy requires", () => {
    const [patch] = yamlDocs(addon("vpc-cni/aws-node-env.yaml"));
    expect(patch.spec.template.spec.containers[0].env).toContainEqual({ name: "CLUSTER_NAME", value: "k8s-cluster" });
    const other = renderUserData(settingsFor("control-plane-init", { clusterName: "prod-eu" })).cloudConfig;
    const otherPatch = (parse(other) as CloudConfig).write_files.find((f) => f.path.endsWith("/vpc-cni/aws-node-env.yaml"))!.content;
    expect(yamlDocs(otherPatch)[0].spec.template.spec.containers[0].env).toContainEqual({ name: "CLUSTER_NAME", value: "prod-eu" });
    const [eni] = yamlDocs(addon("eniconfig.yaml.tmpl"));
    expect(eni).toEqual({
      apiVersion: "crd.k8s.amazonaws.com/v1alpha1",
      kind: "ENIConfig",
      metadata: { name: "__ZONE__" },
      spec: { subnet: "__SUBNET__", securityGroups: ["__PODS_SECURITY_GROUP__"] },
    });
  });

  test("cloud controller: image for the minor, RBAC, DaemonSet on control-plane nodes, cluster id and ELB security group", () => {
    const docs = yamlDocs(addon("aws-cloud-controller-manager.yaml"));
    expect(docs.map((d) => d.kind)).toEqual(["ServiceAccount", "ClusterRole", "ClusterRoleBinding", "RoleBinding", "DaemonSet"]);
    const ds = docs[4];
    const pod = ds.spec.template.spec;
    expect(pod.containers[0].image).toBe("registry.k8s.io/provider-aws/cloud-controller-manager:v1.35.2");
    expect(pod.containers[0].args).toEqual(expect.arrayContaining(["--cloud-provider=aws", "--cloud-config=/etc/aws/cloud.conf"]));
    expect(pod.nodeSelector).toEqual({ "node-role.kubernetes.io/control-plane": "" });
    expect(pod.tolerations).toContainEqual({ key: "node.cloudprovider.kubernetes.io/uninitialized", value: "true", effect: "NoSchedule" });
    expect(pod.hostNetwork).toBe(true);
    expect(docs[3].roleRef.name).toBe("extension-apiserver-authentication-reader");
    const conf = addon("cloud.conf.tmpl");
    expect(conf).toMatch(/^\[Global\]$/m);
    expect(conf).toMatch(/^KubernetesClusterID = k8s-cluster$/m);
    expect(conf).toMatch(/^ElbSecurityGroup = __LB_SECURITY_GROUP__$/m);
  });

  test.each(SUPPORTED_KUBERNETES_MINORS)("Kubernetes %s gets its own cloud controller image and apt repository", (minor) => {
    const r = renderUserData({ ...settingsFor("control-plane-init"), kubernetesMinor: minor });
    expect(r.cloudConfig).toContain(`cloud-controller-manager:${ADDON_VERSIONS.cloudControllerManager[minor]}\n`);
    expect(r.cloudConfig).toContain(`K8S_MINOR=${minor}\n`);
  });
});

describe("versions and settings", () => {
  test("the default minor is supported and has a cloud controller tag of the same minor", () => {
    expect(SUPPORTED_KUBERNETES_MINORS).toContain(DEFAULT_KUBERNETES_MINOR);
    for (const m of SUPPORTED_KUBERNETES_MINORS) expect(ADDON_VERSIONS.cloudControllerManager[m]).toMatch(new RegExp(`^v${m.replace(".", "\\.")}\\.\\d+$`));
    expect(ADDON_VERSIONS.vpcCni).toMatch(/^v\d+\.\d+\.\d+$/);
  });

  test("an unsupported minor is refused with the supported list", () => {
    expect(() => renderUserData({ ...settingsFor("worker"), kubernetesMinor: "1.36" })).toThrow(/kubernetesMinor = "1\.36" has no pinned cloud controller image; supported: 1\.33, 1\.34, 1\.35/);
  });

  test("values that could break the env file or the YAML are refused", () => {
    expect(() => renderUserData({ ...settingsFor("worker"), ssmPrefix: "/k8s/x y" })).toThrow(/ssmPrefix/);
    expect(() => renderUserData({ ...settingsFor("worker"), clusterName: 'a"b' })).toThrow(/clusterName/);
    expect(() => renderUserData({ ...settingsFor("worker"), role: "master" as NodeRole })).toThrow(/role = "master"/);
  });
});
