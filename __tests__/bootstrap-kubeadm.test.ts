/** kubeadm's configuration (kubeadm.k8s.io/v1beta4) as the nodes receive it: init, join, kubelet arguments. */
import { parseAllDocuments } from "yaml";
import { NodeRole, clusterBundle } from "../src/bootstrap";
import { deliveredFiles, settingsFor } from "./harness/node";

const ROLES: NodeRole[] = ["control-plane", "worker"];
/** A file the role receives, in its user data or (control-plane roles) from the bundle. */
const fileOf = (role: NodeRole, p: string) => deliveredFiles(role).find((f) => f.path === p)?.content;
const yamlDocs = (text: string) => parseAllDocuments(text).map((d) => d.toJS());

describe("kubeadm configuration (v1beta4)", () => {
  const init = () => yamlDocs(fileOf("control-plane", "/etc/k8s-bootstrap/kubeadm-init.yaml.tmpl")!);
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
      expect(j.discovery.bootstrapToken).toEqual({
        apiServerEndpoint: "__API_ENDPOINT__:6443",
        token: "__JOIN_TOKEN__",
        caCertHashes: ["__CA_CERT_HASH__"],
      });
      expect(j.nodeRegistration.kubeletExtraArgs).toContainEqual(cloudProviderExternal);
      if (role === "worker") expect(j.controlPlane).toBeUndefined();
      else expect(j.controlPlane.certificateKey).toBe("__CERTIFICATE_KEY__");
    }
  });

  // Timeouts.EtcdAPICall (cmd/kubeadm/app/apis/kubeadm/v1beta4/types.go, "Default: 2m") bounds
  // kubeadm's retries of the member add and the learner promotion; etcd admits one learner at a time.
  test("join: a control-plane node retries its etcd member add for 10 minutes, a worker has no etcd", () => {
    expect(join("control-plane").timeouts).toEqual({ discovery: "10m0s", tlsBootstrap: "10m0s", etcdAPICall: "10m0s" });
    expect(join("worker").timeouts).toEqual({ discovery: "10m0s", tlsBootstrap: "10m0s" });
  });

  test("every role's kubelet gets max-pods from a placeholder filled at boot", () => {
    const maxPods = { name: "max-pods", value: "__MAX_PODS__" };
    expect(init()[0].nodeRegistration.kubeletExtraArgs).toContainEqual(maxPods);
    for (const role of ROLES) expect(join(role).nodeRegistration.kubeletExtraArgs).toContainEqual(maxPods);
  });

  test("every placeholder the templates use is one the scripts fill", () => {
    const filled = new Set([
      "SANDBOX_IMAGE",
      "API_ENDPOINT",
      "NODE_NAME",
      "NODE_IP",
      "NODE_ZONE",
      "NODE_LIFECYCLE",
      "MAX_PODS",
      "KUBERNETES_VERSION",
      "CERTIFICATE_KEY",
      // k8s-cluster-secrets: the encryption keys' list (bootstrap-encryption.test.ts).
      "ENCRYPTION_KEYS",
      "JOIN_TOKEN",
      "CA_CERT_HASH",
      "ZONE",
      "SUBNET",
      "PODS_SECURITY_GROUP",
      "LB_SECURITY_GROUP",
      "QUEUE_URL",
    ]);
    const bundleTemplates = clusterBundle(settingsFor("worker"))
      .files.filter((f) => f.path.endsWith(".tmpl"))
      .map((f) => f.text);
    const templates = [
      ...ROLES.flatMap((r) =>
        deliveredFiles(r)
          .filter((f) => f.path.endsWith(".tmpl"))
          .map((f) => f.content),
      ),
      ...bundleTemplates,
    ].join("\n");
    const used = new Set(templates.match(/__[A-Z][A-Z_]*__/g)!.map((m) => m.slice(2, -2)));
    expect(used.size).toBeGreaterThan(5);
    expect([...used].filter((u) => !filled.has(u))).toEqual([]);
  });
});
