/**
 * The user data of every role (cloud-init's own schema check: system/external-tools.test.ts): inside EC2's size
 * limit, free of secrets and Terraform tokens, and carrying the kubeadm and add-on documents the
 * design asks for.
 */
import { randomBytes } from "crypto";
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
import { CLUSTER_SECRETS, ETCD_BACKUP, JOIN_SECRETS, deliveredFiles, settingsFor } from "./harness/node";
import { ECR_CREDENTIAL_PROVIDER, KUBERNETES_PATCH } from "../src/bootstrap/versions";
import { clusterBundle } from "../src/bootstrap";
import { USER_DATA_BUDGET } from "../src/bootstrap/user-data";
import { BootstrapSettings } from "../src/bootstrap/settings";
import { resolveConfig } from "../src/config";
import { regExp } from "./helpers/regexp";

const ROLES: NodeRole[] = ["control-plane", "worker"];
const rendered = Object.fromEntries(ROLES.map((r) => [r, renderUserData(settingsFor(r))])) as Record<
  NodeRole,
  ReturnType<typeof renderUserData>
>;
/** Every role with etcd backups configured (workers ignore them), the largest user data there is. */
const withBackup = Object.fromEntries(
  ROLES.map((r) => [r, renderUserData(settingsFor(r, { etcdBackup: ETCD_BACKUP }))]),
) as typeof rendered;
const CASES: [string, string][] = ROLES.flatMap((r) => [
  [r, rendered[r].cloudConfig],
  [`${r} with etcdBackup`, withBackup[r].cloudConfig],
]);
const GZIP_CASES: [string, number][] = ROLES.flatMap((r) => [
  [r, rendered[r].gzipBytes],
  [`${r} with etcdBackup`, withBackup[r].gzipBytes],
]);

interface CloudConfig {
  write_files: { path: string; permissions: string; content: string }[];
  runcmd: string[][];
}
const docOf = (role: NodeRole) => parse(rendered[role].cloudConfig) as CloudConfig;
/** A file the role receives, in its user data or (control-plane roles) from the bundle. */
const fileOf = (role: NodeRole, p: string) => deliveredFiles(role).find((f) => f.path === p)?.content;
const yamlDocs = (text: string) => parseAllDocuments(text).map((d) => d.toJS());

/** Shapes of values that must never be in user data. */
const SECRET_SHAPES: Record<string, RegExp> = {
  "bootstrap token": /[a-z0-9]{6}\.[a-z0-9]{16}/,
  "64-hex key or hash": /[0-9a-fA-F]{64}/,
  "PEM block": /-----BEGIN [A-Z ]+-----/,
  "AWS access key id": /\b(AKIA|ASIA)[0-9A-Z]{16}\b/,
  "AWS secret access key": /(?<![A-Za-z0-9/+=])[A-Za-z0-9/+]{40}(?![A-Za-z0-9/+=])/,
  "32-byte key in base64 (a Secrets encryption key)": /(?<![A-Za-z0-9/+=])[A-Za-z0-9/+]{43}=(?![A-Za-z0-9/+=])/,
  "Terraform token": /\$\{(Tf)?Token\[|TOKEN\.\d+/,
  "resource id (ids come from SSM)": /\b(sg|subnet|vpc|i)-[0-9a-f]{8,17}\b/,
};
/** Public digests user data carries on purpose: the credential provider's pins and the add-on bundle's name. */
const PUBLIC_DIGESTS = [
  ECR_CREDENTIAL_PROVIDER.sha256.amd64,
  ECR_CREDENTIAL_PROVIDER.sha256.arm64,
  clusterBundle(settingsFor("worker")).digest,
  clusterBundle(settingsFor("worker", { etcdBackup: ETCD_BACKUP })).digest,
];
const secretsIn = (text: string) => {
  const scanned = PUBLIC_DIGESTS.reduce((t, d) => t.split(d).join("<public digest>"), text);
  return Object.entries(SECRET_SHAPES)
    .filter(([, re]) => re.test(scanned))
    .map(([what, re]) => `${what}: ${scanned.match(re)![0]}`);
};

describe("user data documents", () => {
  test.each(ROLES)("%s starts with #cloud-config, runs k8s-bootstrap then k8s-lifecycle after-boot, once", (role) => {
    expect(rendered[role].cloudConfig.startsWith("#cloud-config\n")).toBe(true);
    // runcmd goes on after a failed line: k8s-lifecycle runs whatever k8s-bootstrap's outcome.
    expect(docOf(role).runcmd).toEqual([
      ["/usr/local/sbin/k8s-bootstrap"],
      ["/usr/local/sbin/k8s-lifecycle", "after-boot"],
    ]);
  });
});

describe("size and encoding", () => {
  test.each(GZIP_CASES)(
    "%s: the bytes EC2 receives (gzip, before base64) are within the 12 KiB budget",
    (_name, bytes) => {
      expect(USER_DATA_BUDGET).toBe(12288);
      expect(bytes).toBeLessThanOrEqual(USER_DATA_BUDGET);
    },
  );

  test("a document over the budget fails synth with a message naming the node", async () => {
    await jest.isolateModulesAsync(async () => {
      // A script that does not compress (random bytes as hex), as a grown bootstrap would be.
      const noise = randomBytes(9000).toString("hex");
      jest.doMock("../src/bootstrap/scripts", () => {
        const real = jest.requireActual("../src/bootstrap/scripts");
        return {
          ...real,
          BOOTSTRAP_SCRIPTS: { ...real.BOOTSTRAP_SCRIPTS, [real.SCRIPT_PATHS.bootstrap]: `#!/bin/bash\n# ${noise}\n` },
        };
      });
      const { renderUserData: render } = await import("../src/bootstrap/user-data");
      expect(() => render(settingsFor("worker"), "worker (worker_launch_template)")).toThrow(
        regExp(
          /^bootstrap: user data of worker \(worker_launch_template\) is \d+ bytes after gzip, /,
          /over the 12288-byte budget \(EC2 allows 16384\); move files into the add-on bundle \(S3\)$/,
        ),
      );
    });
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
    for (const v of Object.values(CLUSTER_SECRETS)) expect(secretsIn(`x ${v} y`)).not.toEqual([]);
    expect(secretsIn("aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY")).not.toEqual([]);
    expect(secretsIn("-----BEGIN CERTIFICATE-----")).not.toEqual([]);
    expect(secretsIn("${TfToken[TOKEN.12]}")).not.toEqual([]);
    expect(secretsIn("sg-0123456789abcdef0")).not.toEqual([]);
  });

  test.each(CASES)("%s carries nothing token-, key-, PEM-, AWS-secret- or id-shaped", (_name, cloudConfig) => {
    expect(secretsIn(cloudConfig)).toEqual([]);
  });

  test.each(ROLES)(
    "%s: the env file names the SSM parameters under the prefix, the pins and public digests",
    (role) => {
      const env = fileOf(role, "/etc/k8s-bootstrap/env")!;
      // A worker is told only the parameters its role may read (WORKER_PARAMETERS in src/aws/iam/node-access.ts).
      const named = [...env.matchAll(/^SSM_[A-Z_]+=\/k8s\/k8s-cluster\/(.+)$/gm)].map((m) => m[1]).sort();
      const forWorkers = [
        "api-endpoint",
        "cluster/kubernetes-version",
        "join/api-endpoint",
        "join/ca-cert-hash",
        "join/token",
      ];
      const controlPlaneOnly = [
        "api-target-group",
        "assets/bucket",
        "init/lock",
        "join/certificate-key",
        "load-balancer/security-group",
        "node-termination/queue-url",
        "pods/security-group",
        "pods/subnets",
        "secrets/encryption-keys",
        "secrets/service-account-key",
        "workload-identity/ebs-csi-controller-role-arn",
      ];
      expect(named).toEqual((role === "worker" ? forWorkers : [...forWorkers, ...controlPlaneOnly]).sort());
      expect(env).toContain(`NODE_ROLE=${role}\n`);
      // The names Terraform gives the lifecycle hooks and the alarm's metric (src/aws/lifecycle.ts); a
      // worker's terminate hook is the termination handler's to complete.
      expect(env).toContain("LIFECYCLE_LAUNCH_HOOK=k8s-node-ready\n");
      expect(env.includes("LIFECYCLE_TERMINATE_HOOK=k8s-node-drain\n")).toBe(role !== "worker");
      expect(env).toContain("BOOT_FAILURE_NAMESPACE=K8sNodeBootstrap\nBOOT_FAILURE_METRIC=BootFailed\n");
      expect(env).toContain("K8S_MINOR=1.35\n");
      expect(env).toContain(`K8S_VERSION=${KUBERNETES_PATCH["1.35"]}\n`);
      expect(env).toContain("CONTAINERD_SERIES=2\n");
      expect(env).toContain(
        `ECR_CREDENTIAL_PROVIDER_AMD64_URL=${ECR_CREDENTIAL_PROVIDER.url("amd64")}\n` +
          `ECR_CREDENTIAL_PROVIDER_AMD64_SHA256=${ECR_CREDENTIAL_PROVIDER.sha256.amd64}\n`,
      );
      expect(env).toContain(
        `ECR_CREDENTIAL_PROVIDER_ARM64_URL=${ECR_CREDENTIAL_PROVIDER.url("arm64")}\n` +
          `ECR_CREDENTIAL_PROVIDER_ARM64_SHA256=${ECR_CREDENTIAL_PROVIDER.sha256.arm64}\n`,
      );
      // HOST_NETWORK_PODS: derived from the manifests in __tests__/host-network-pods.test.ts.
      expect(env).toMatch(/^HOST_NETWORK_PODS=\d+$/m);
      // The bundle's digest on control-plane nodes, which install files from it; workers need none.
      const digest = clusterBundle(settingsFor(role)).digest;
      expect(env.includes(`BUNDLE_DIGEST=${digest}\n`)).toBe(role !== "worker");
      expect(/^BUNDLE_DIGEST=/m.test(env)).toBe(role !== "worker");
    },
  );

  // Upstream: kubernetes/k8s.io artifacts/manifests/k8s-staging-provider-aws/v1.31.7.yaml (the promotion
  // manifest) and kops pkg/assets/assetdata/ecr.yaml.
  test("the pinned credential provider digests are upstream's (k8s.io's promotion manifest, kops' ecr.yaml)", () => {
    expect(ECR_CREDENTIAL_PROVIDER.version).toBe("v1.31.7");
    expect(ECR_CREDENTIAL_PROVIDER.sha256).toEqual({
      amd64: "7644623e4ec9ad443ab352a8a5800a5180ee28741288be805286ba72bb8e7164",
      arm64: "1980e3a038cb16da48a137743b31fb81de6c0b59fa06c206c2bc20ce0a52f849",
    });
    expect(ECR_CREDENTIAL_PROVIDER.url("amd64")).toBe(
      "https://artifacts.k8s.io/binaries/cloud-provider-aws/v1.31.7/linux/amd64/ecr-credential-provider-linux-amd64",
    );
  });
});

describe("nothing from GitHub at boot", () => {
  const GITHUB = /github\.com|githubusercontent\.com/;
  test.each(CASES)("%s names no GitHub URL", (_name, cloudConfig) => {
    expect(cloudConfig.split("\n").filter((l) => GITHUB.test(l))).toEqual([]);
  });

  test("no boot script names GitHub (a deliberate break is caught)", () => {
    const offenders = (scripts: Record<string, string>) =>
      Object.entries(scripts)
        .filter(([, text]) => GITHUB.test(text))
        .map(([p]) => p);
    expect(offenders(BOOTSTRAP_SCRIPTS)).toEqual([]);
    expect(
      offenders({
        ...BOOTSTRAP_SCRIPTS,
        "/usr/local/sbin/k8s-addons":
          "curl -fsSL https://raw.githubusercontent.com/aws/amazon-vpc-cni-k8s/v1.23.0/config/master/aws-k8s-cni.yaml",
      }),
    ).toEqual(["/usr/local/sbin/k8s-addons"]);
  });
});

describe("what each role carries", () => {
  const paths = (role: NodeRole) => deliveredFiles(role).map((f) => f.path);
  const LIFECYCLE = "/usr/local/sbin/k8s-lifecycle";

  test("workers get no add-ons, no init configuration, no refresh or backup timers", () => {
    const p = paths("worker");
    expect(p.filter((x) => /addons|kubeadm-init|join-refresh|etcd-backup/.test(x))).toEqual([]);
    expect(p).toEqual(
      expect.arrayContaining([
        "/etc/kubernetes/image-credential-provider-config.yaml",
        "/etc/systemd/networkd.conf.d/40-k8s-foreign-routes.conf",
        "/etc/cloud/cloud.cfg.d/99-k8s-network-updates.cfg",
        "/etc/apt/preferences.d/k8s-containerd",
        "/etc/k8s-bootstrap/containerd.toml.tmpl",
      ]),
    );
    expect(withBackup.worker).toEqual(rendered.worker);
  });

  test("control-plane bundle: timers, add-ons, init lock, etcd, watcher, init, audit, secrets, maintenance", () => {
    const bundled = deliveredFiles("control-plane")
      .filter((f) => f.delivery === "bundle")
      .map((f) => f.path);
    expect(bundled).toEqual([
      "/usr/local/sbin/k8s-join-refresh",
      "/usr/local/sbin/k8s-addons",
      "/etc/systemd/system/k8s-join-refresh@.service",
      "/etc/systemd/system/k8s-join-refresh@token.timer",
      "/etc/systemd/system/k8s-join-refresh@certs.timer",
      "/usr/local/lib/k8s-bootstrap/control-plane.sh",
      "/usr/local/lib/k8s-bootstrap/control-plane-boot.sh",
      "/usr/local/sbin/k8s-init-lock",
      "/usr/local/sbin/k8s-etcd-members",
      "/etc/systemd/system/k8s-etcd-members-prune.service",
      "/etc/systemd/system/k8s-etcd-members-prune.timer",
      "/usr/local/sbin/k8s-termination-watch",
      "/etc/systemd/system/k8s-termination-watch.service",
      "/etc/k8s-bootstrap/kubeadm-join.yaml.tmpl",
      "/etc/k8s-bootstrap/kubeadm-init.yaml.tmpl",
      "/etc/kubernetes/audit/policy.yaml",
      "/usr/local/sbin/k8s-cluster-secrets",
      "/etc/k8s-bootstrap/encryption-config.yaml.tmpl",
      "/usr/local/lib/k8s-bootstrap/lease.sh",
      "/usr/local/sbin/k8s-cert-renew",
      "/etc/systemd/system/k8s-cert-renew.service",
      "/etc/systemd/system/k8s-cert-renew.timer",
      "/usr/local/sbin/k8s-upgrade",
      "/etc/k8s-bootstrap/kubernetes-versions",
    ]);
  });

  test("every node gets k8s-lifecycle in its user data (workers have no bundle, a failed boot may have none)", () => {
    for (const role of ROLES)
      expect(docOf(role).write_files.find((f) => f.path === LIFECYCLE)?.content).toBe(BOOTSTRAP_SCRIPTS[LIFECYCLE]);
    const controlPlaneOnly = /termination-watch|etcd-members|init-lock|control-plane|bundle\.sh/;
    expect(paths("worker").filter((p) => controlPlaneOnly.test(p))).toEqual([]);
  });

  test("the termination watcher runs as a long-lived service, restarted when it fails, at every boot", () => {
    const unit = fileOf("control-plane", "/etc/systemd/system/k8s-termination-watch.service")!;
    expect(unit).toMatch(/^Type=simple$/m);
    expect(unit).toMatch(/^ExecStart=\/usr\/local\/sbin\/k8s-termination-watch$/m);
    expect(unit).toMatch(/^Restart=on-failure$/m);
    expect(unit).toMatch(/^WantedBy=multi-user.target$/m);
  });

  test("every script shipped is one of BOOTSTRAP_SCRIPTS, byte for byte, and executable", () => {
    const lists = [
      ...ROLES.map((r) => deliveredFiles(r)),
      ...ROLES.map((r) => deliveredFiles(r, { etcdBackup: ETCD_BACKUP })),
    ];
    expect(lists.flat().filter((w) => w.path.includes("/sbin/")).length).toBeGreaterThan(10);
    for (const files of lists)
      for (const f of files.filter((w) => w.path.includes("/sbin/") || w.path.endsWith(".sh"))) {
        expect(f.content).toBe(BOOTSTRAP_SCRIPTS[f.path]);
        expect(f.permissions).toBe("0755");
      }
  });

  test("refresh timers: a token every 12 h (it lives 24 h), certificates every hour (kubeadm keeps them 2 h)", () => {
    const token = fileOf("control-plane", "/etc/systemd/system/k8s-join-refresh@token.timer")!;
    const certs = fileOf("control-plane", "/etc/systemd/system/k8s-join-refresh@certs.timer")!;
    expect(token).toMatch(/^OnUnitActiveSec=12h$/m);
    expect(certs).toMatch(/^OnUnitActiveSec=1h$/m);
    expect(fileOf("control-plane", "/etc/systemd/system/k8s-join-refresh@.service")).toMatch(
      /^ExecStart=\/usr\/local\/sbin\/k8s-join-refresh %i$/m,
    );
    expect(BOOTSTRAP_SCRIPTS["/usr/local/sbin/k8s-join-refresh"]).toContain("--ttl 24h");
  });
});

describe("add-ons travel through S3, not user data", () => {
  test("no role's user data carries a manifest or the add-on script: those come from the bundle", () => {
    for (const role of ROLES) {
      const doc = docOf(role);
      expect(
        doc.write_files.filter((f) => /kind: (DaemonSet|ClusterRole|CustomResourceDefinition)/.test(f.content)),
      ).toEqual([]);
      expect(doc.write_files.some((f) => f.path === "/usr/local/sbin/k8s-addons")).toBe(false);
    }
  });

  test("the credential provider configuration: upstream's matchImages, the provider's name as its binary's", () => {
    // kubernetes/cloud-provider-aws docs/credential_provider.md; kubelet.config.k8s.io/v1 (kubelet config API).
    expect(yamlDocs(fileOf("worker", "/etc/kubernetes/image-credential-provider-config.yaml")!)).toEqual([
      {
        apiVersion: "kubelet.config.k8s.io/v1",
        kind: "CredentialProviderConfig",
        providers: [
          {
            name: "ecr-credential-provider",
            matchImages: ["*.dkr.ecr.*.amazonaws.com", "*.dkr.ecr.*.amazonaws.com.cn"],
            defaultCacheDuration: "12h",
            apiVersion: "credentialprovider.kubelet.k8s.io/v1",
          },
        ],
      },
    ]);
    expect(fileOf("worker", "/etc/k8s-bootstrap/env")).toContain(
      "ECR_CREDENTIAL_PROVIDER_BIN=/usr/local/libexec/kubelet-credential-providers/ecr-credential-provider\n",
    );
  });

  // crictl's configuration keys: kubernetes-sigs/cri-tools docs/crictl.md (runtime-endpoint, image-endpoint);
  // the socket: containerd's default address (containerd defaults/defaults_unix.go), kubeadm's criSocket.
  test("crictl talks to containerd's socket, the one the kubelet is given, for containers and images", () => {
    const socket = "unix:///run/containerd/containerd.sock";
    expect(parse(fileOf("worker", "/etc/crictl.yaml")!)).toEqual({
      "runtime-endpoint": socket,
      "image-endpoint": socket,
    });
    const join = yamlDocs(fileOf("worker", "/etc/k8s-bootstrap/kubeadm-join.yaml.tmpl")!);
    expect(join.find((d) => d.kind === "JoinConfiguration").nodeRegistration.criSocket).toBe(socket);
  });

  // kops nodeup does the same (eni_networking.go).
  test("networkd and cloud-init leave the VPC CNI's routes and rules alone (aws/amazon-vpc-cni-k8s#3309)", () => {
    expect(fileOf("worker", "/etc/systemd/networkd.conf.d/40-k8s-foreign-routes.conf")).toBe(
      "# Routes and rules of the VPC CNI are not networkd's (aws/amazon-vpc-cni-k8s#3309).\n" +
        "[Network]\nManageForeignRoutes=no\nManageForeignRoutingPolicyRules=no\n",
    );
    expect(parse(fileOf("worker", "/etc/cloud/cloud.cfg.d/99-k8s-network-updates.cfg")!)).toEqual({
      updates: { network: { when: ["boot-new-instance"] } },
    });
  });

  test.each(SUPPORTED_KUBERNETES_MINORS)(
    "Kubernetes %s: its pinned packages, its own bundle with its cloud controller image",
    (minor) => {
      const r = renderUserData({ ...settingsFor("control-plane"), kubernetesMinor: minor });
      expect(r.cloudConfig).toContain(`K8S_MINOR=${minor}\n`);
      expect(r.cloudConfig).toContain(`K8S_VERSION=${KUBERNETES_PATCH[minor]}\n`);
      expect(KUBERNETES_PATCH[minor]).toMatch(new RegExp(`^${minor.replace(".", "\\.")}\\.\\d+$`));
      const bundle = clusterBundle({ ...settingsFor("control-plane"), kubernetesMinor: minor });
      expect(r.cloudConfig).toContain(`BUNDLE_DIGEST=${bundle.digest}\n`);
      expect(bundle.files.find((f) => f.path === "cloud-controller-manager.yaml")!.text).toContain(
        `cloud-controller-manager:${ADDON_VERSIONS.cloudControllerManager[minor]}\n`,
      );
    },
  );
});

describe("versions and settings", () => {
  test("the default minor is supported and has a cloud controller tag of the same minor", () => {
    expect(SUPPORTED_KUBERNETES_MINORS).toContain(DEFAULT_KUBERNETES_MINOR);
    for (const m of SUPPORTED_KUBERNETES_MINORS)
      expect(ADDON_VERSIONS.cloudControllerManager[m]).toMatch(new RegExp(`^v${m.replace(".", "\\.")}\\.\\d+$`));
    expect(ADDON_VERSIONS.vpcCni).toMatch(/^v\d+\.\d+\.\d+$/);
  });

  const messageOf = (f: () => unknown) => {
    try {
      f();
    } catch (e) {
      return (e as Error).message;
    }
    return "accepted";
  };

  test("an unsupported minor is refused with the supported list (the configuration's kubernetesVersion rule)", () => {
    expect(messageOf(() => renderUserData({ ...settingsFor("worker"), kubernetesMinor: "1.36" }))).toBe(
      'bootstrap: kubernetesMinor = "1.36" must be one of the minors with a pinned cloud controller: 1.33, 1.34, 1.35',
    );
  });

  // Each a value the bootstrap's own patterns used to accept or judge differently.
  const refusedByBoth: [string, Record<string, unknown>, Partial<BootstrapSettings>][] = [
    ["clusterName", { clusterName: "internal-api" }, { clusterName: "internal-api" }],
    ["region", { region: "eu-moon-1" }, { region: "eu-moon-1" }],
    ["kubernetesMinor", { kubernetesVersion: "1.36" }, { kubernetesMinor: "1.36" }],
    ["kubernetesMinor", { kubernetesVersion: "v1.35" }, { kubernetesMinor: "v1.35" }],
    ["podCidr", { network: { subnets: { pods: "172.31.32.1/19" } } }, { podCidr: "172.31.32.1/19" }],
    ["serviceCidr", { serviceCidr: "10.96.0.0/33" }, { serviceCidr: "10.96.0.0/33" }],
    [
      "etcdBackup.bucket",
      { etcdBackup: { bucket: "192.168.10.20" } },
      { etcdBackup: { ...ETCD_BACKUP, bucket: "192.168.10.20" } },
    ],
  ];
  test.each(refusedByBoth)("%s: refused as the configuration refuses it, with its reason", (field, input, settings) => {
    const bootstrap = messageOf(() => renderUserData(settingsFor("control-plane", settings)));
    const value = Object.values(settings).map((v) => (typeof v === "string" ? v : (v as { bucket: string }).bucket))[0];
    const prefix = `bootstrap: ${field} = ${JSON.stringify(value)} `;
    expect(bootstrap.startsWith(prefix)).toBe(true);
    const reason = bootstrap.slice(prefix.length);
    expect(reason.length).toBeGreaterThan(10);
    expect(messageOf(() => resolveConfig(input))).toContain(`${JSON.stringify(value)}: ${reason}`);
  });

  test("every field the bootstrap cannot use is named at once, one line each, in the order of the fields", () => {
    const settings = settingsFor("control-plane", {
      region: "eu-moon-1",
      clusterName: "Bad_Name",
      serviceCidr: "10.96.0.0/33",
      etcdBackup: { ...ETCD_BACKUP, bucket: "${TfToken[TOKEN.42]}", prefix: "/etcd" },
    });
    expect(messageOf(() => renderUserData(settings)).split("\n")).toEqual([
      expect.stringMatching(/^bootstrap: clusterName = "Bad_Name" /),
      expect.stringMatching(/^bootstrap: region = "eu-moon-1" is not an AWS region name/),
      expect.stringMatching(/^bootstrap: serviceCidr = "10\.96\.0\.0\/33" /),
      'bootstrap: etcdBackup.bucket = "${TfToken[TOKEN.42]}" is a Terraform token; pass the plain bucket name',
      'bootstrap: etcdBackup.prefix = "/etcd" must look like a/b (no leading or trailing slash)',
    ]);
    expect(messageOf(() => clusterBundle(settings))).toBe(messageOf(() => renderUserData(settings)));
  });

  test("two bad fields give two lines; one gives one", () => {
    const lines = (extra: Partial<BootstrapSettings>) =>
      messageOf(() => renderUserData(settingsFor("worker", extra))).split("\n");
    expect(lines({ kubernetesMinor: "1.36", region: "moon" })).toHaveLength(2);
    expect(lines({ region: "moon" })).toEqual([
      'bootstrap: region = "moon" is not an AWS region name like ap-northeast-2',
    ]);
  });

  test("values that could break the env file or the YAML are refused", () => {
    expect(() => renderUserData({ ...settingsFor("worker"), ssmPrefix: "/k8s/x y" })).toThrow(/ssmPrefix/);
    expect(() => renderUserData({ ...settingsFor("worker"), clusterName: 'a"b' })).toThrow(/clusterName/);
    expect(() => renderUserData({ ...settingsFor("worker"), role: "master" as NodeRole })).toThrow(/role = "master"/);
  });
});
