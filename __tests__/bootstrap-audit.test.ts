/**
 * The API server's audit log: the policy every control-plane node receives, the kube-apiserver flags
 * and mounts kubeadm writes into its static pod, and what must never be logged (request and response
 * bodies: Secrets, tokens). Field names: audit.k8s.io/v1 (k8s.io/apiserver/pkg/apis/audit/v1/types.go);
 * flags: k8s.io/apiserver/pkg/server/options/audit.go (--audit-policy-file, --audit-log-path,
 * --audit-log-maxsize, --audit-log-maxbackup, --audit-log-maxage); mounts: kubeadm v1beta4
 * HostPathMount (name, hostPath, mountPath, readOnly, pathType).
 */
import * as fs from "fs";
import * as path from "path";
import { parse, parseAllDocuments } from "yaml";
import { AUDIT_LOG_ROTATION, AUDIT_PATHS, AuditPolicy } from "../src/bootstrap/audit";
import { CLUSTER_ADDITIONS } from "../src/aws/deviations";
import { ROOT } from "./helpers/run";
import { deliveredFiles } from "./harness/node";

const delivered = (role: "control-plane" | "worker") =>
  deliveredFiles(role).find((f) => f.path === AUDIT_PATHS.policyFile);
const clusterConfiguration = () => {
  const init = deliveredFiles("control-plane").find((f) => f.path === "/etc/k8s-bootstrap/kubeadm-init.yaml.tmpl")!;
  return parseAllDocuments(init.content)
    .map((d) => d.toJSON())
    .find((d) => d.kind === "ClusterConfiguration");
};

describe("who receives the audit policy", () => {
  test("every control-plane node, in the bundle, readable only as a configuration file", () => {
    const f = delivered("control-plane")!;
    expect({ delivery: f.delivery, permissions: f.permissions }).toEqual({ delivery: "bundle", permissions: "0644" });
  });
  test("the file it receives is the repository's, byte for byte (comments included)", () => {
    const kept = path.join(ROOT, "src/bootstrap/files", AUDIT_PATHS.policyFile);
    expect(delivered("control-plane")!.content).toBe(fs.readFileSync(kept, "utf8"));
  });
  test("a worker runs no API server and gets none", () => expect(delivered("worker")).toBeUndefined());
});

describe("the policy: metadata for every request, never a body", () => {
  const policy = (): AuditPolicy => parse(delivered("control-plane")!.content);
  test("an audit.k8s.io/v1 Policy; one event per request (RequestReceived omitted)", () => {
    expect(policy().apiVersion).toBe("audit.k8s.io/v1");
    expect(policy().kind).toBe("Policy");
    expect(policy().omitStages).toEqual(["RequestReceived"]);
  });
  test("denied: any level that records bodies (Request, RequestResponse), for any rule", () =>
    expect(
      policy()
        .rules.map((r: { level: string }) => r.level)
        .filter((l: string) => l !== "None"),
    ).toEqual(["Metadata"]));
  test("the last rule records metadata of everything the others leave out, Secrets included", () =>
    expect(policy().rules.at(-1)).toEqual({ level: "Metadata" }));
  // Users as kubeadm's components authenticate: kube-proxy with its ServiceAccount's token
  // (kubernetes/kubernetes cmd/kubeadm/app/phases/addons/proxy/manifests.go), the API servers'
  // identity leases as system:apiserver.
  test("left out, exactly: health probes, system components' watches and lease renewals, events", () => {
    const components = [
      "system:kube-controller-manager",
      "system:kube-scheduler",
      "system:serviceaccount:kube-system:kube-proxy",
      "system:apiserver",
    ];
    const leases = [{ group: "coordination.k8s.io", resources: ["leases"] }];
    expect(policy().rules.slice(0, -1)).toEqual([
      { level: "None", nonResourceURLs: ["/healthz*", "/livez*", "/readyz*", "/version"] },
      { level: "None", verbs: ["watch"], userGroups: ["system:nodes"] },
      { level: "None", verbs: ["watch"], users: components },
      { level: "None", verbs: ["get", "update"], resources: leases, userGroups: ["system:nodes"] },
      { level: "None", verbs: ["get", "update"], resources: leases, users: components },
      {
        level: "None",
        verbs: ["get", "update"],
        resources: leases,
        userGroups: ["system:serviceaccounts:kube-system"],
      },
      { level: "None", resources: [{ group: "", resources: ["events"] }] },
      { level: "None", resources: [{ group: "events.k8s.io", resources: ["events"] }] },
    ]);
  });
  test("denied: kube-system's add-ons' watches left out (a watch is a read, of Secrets too)", () =>
    expect(
      policy().rules.filter(
        (r) => r.verbs?.includes("watch") && JSON.stringify(r.userGroups ?? []).includes("serviceaccounts"),
      ),
    ).toEqual([]));
  test("denied: a rule that leaves out reads or writes of Secrets, or any request by a person", () => {
    for (const r of policy().rules.slice(0, -1)) {
      expect(JSON.stringify(r)).not.toContain("secrets");
      expect(r.users ?? r.userGroups ?? r.nonResourceURLs ?? r.resources).toBeDefined();
      expect(JSON.stringify(r.userGroups ?? [])).not.toMatch(/system:authenticated|system:masters/);
    }
  });
});

describe("the API server writes it (ClusterConfiguration, so joins and upgrades keep it)", () => {
  test("flags: the policy, the log file, rotated at 100 MB, 10 files, 30 days", () =>
    expect(clusterConfiguration().apiServer.extraArgs).toEqual([
      { name: "audit-policy-file", value: "/etc/kubernetes/audit/policy.yaml" },
      { name: "audit-log-path", value: "/var/log/kubernetes/audit/audit.log" },
      { name: "audit-log-maxsize", value: "100" },
      { name: "audit-log-maxbackup", value: "10" },
      { name: "audit-log-maxage", value: "30" },
      // Secrets encrypted at rest (bootstrap-encryption.test.ts).
      { name: "encryption-provider-config", value: "/etc/kubernetes/encryption/config.yaml" },
      { name: "encryption-provider-config-automatic-reload", value: "true" },
    ]));
  test("mounts: the policy's folder read-only, the log's folder writable; nothing else of the host", () =>
    expect(clusterConfiguration().apiServer.extraVolumes).toEqual([
      {
        name: "audit-policy",
        hostPath: "/etc/kubernetes/audit",
        mountPath: "/etc/kubernetes/audit",
        readOnly: true,
        pathType: "DirectoryOrCreate",
      },
      {
        name: "audit-log",
        hostPath: "/var/log/kubernetes/audit",
        mountPath: "/var/log/kubernetes/audit",
        readOnly: false,
        pathType: "DirectoryOrCreate",
      },
      {
        name: "encryption-config",
        hostPath: "/etc/kubernetes/encryption",
        mountPath: "/etc/kubernetes/encryption",
        readOnly: true,
        pathType: "DirectoryOrCreate",
      },
    ]));
  test("the policy file is inside the mounted folder, the log file inside the log folder", () => {
    expect(AUDIT_PATHS.policyFile.startsWith(`${AUDIT_PATHS.policyDir}/`)).toBe(true);
    expect(AUDIT_PATHS.logFile.startsWith(`${AUDIT_PATHS.logDir}/`)).toBe(true);
  });
});

describe("what the additions table tells the reader (docs/additions.md, A22)", () => {
  test("the rotation it states is the one the flags set", () => {
    const a22 = CLUSTER_ADDITIONS.find((a) => a.id === "A22")!;
    const { maxSizeMB, maxBackups, maxAgeDays } = AUDIT_LOG_ROTATION;
    expect(a22.what).toContain(
      `rotates at ${maxSizeMB} MB, ${maxBackups} files kept, none older than ${maxAgeDays} days`,
    );
    expect(a22.what).toContain("no request or response bodies");
    expect(a22.switch).toBe("always");
  });
});
