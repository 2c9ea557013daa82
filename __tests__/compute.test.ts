/** Issue 4's machines: control plane behind the internal NLB, workers, bastion, IAM, user-data. */
import { spawnSync } from "child_process";
import { Testing } from "cdktf";
import { Instance } from "@cdktf/provider-aws/lib/instance";
import { Lb } from "@cdktf/provider-aws/lib/lb";
import { LbTargetGroup } from "@cdktf/provider-aws/lib/lb-target-group";
import { LbListener } from "@cdktf/provider-aws/lib/lb-listener";
import { LbTargetGroupAttachment } from "@cdktf/provider-aws/lib/lb-target-group-attachment";
import { LaunchTemplate } from "@cdktf/provider-aws/lib/launch-template";
import { AutoscalingGroup } from "@cdktf/provider-aws/lib/autoscaling-group";
import { IamRole } from "@cdktf/provider-aws/lib/iam-role";
import { IamInstanceProfile } from "@cdktf/provider-aws/lib/iam-instance-profile";
import { SsmParameter } from "@cdktf/provider-aws/lib/ssm-parameter";
import { DataAwsAmi } from "@cdktf/provider-aws/lib/data-aws-ami";
import { Subnet } from "@cdktf/provider-aws/lib/subnet";
import { resolveConfig } from "../src/config";
import { buildApp } from "../src/app";
import { wildcardActions } from "../src/aws/iam/policy";
import { architectureOf } from "../src/aws/instances";
import { synthCluster, ref, userDataOf, variableDefaults } from "./helpers/synth";
import "./helpers/cdktf-matchers";

const s = synthCluster();
const res = (type: string) => (s.json.resource as any)[type] as Record<string, any>;

test("the default stack the test files share in a run is the one a synth gives now (jest/synth-cache.js)", () => {
  expect(s.text).toBe(Testing.synth(buildApp(resolveConfig({})).cluster));
});
test("a second build in the same process gives the same stack: nothing of one build carries into the next", () => {
  const build = () => Testing.synth(buildApp(resolveConfig({})).cluster);
  expect(build()).toBe(build());
});
const CLUSTER_TAG = "kubernetes.io/cluster/k8s-cluster";
const imds = { http_tokens: "required", http_endpoint: "enabled", http_put_response_hop_limit: 1 };

describe("control plane", () => {
  const groups = () => Object.keys(res("aws_autoscaling_group")).filter((n) => n.startsWith("control_plane_"));
  test("3 auto scaling groups of exactly one node by default, each pinned to the API endpoint subnet", () => {
    expect(groups()).toEqual(["control_plane_0", "control_plane_1", "control_plane_2"]);
    for (const i of [0, 1, 2])
      expect(s.text).toHaveResourceWithProperties(AutoscalingGroup, {
        name: `k8s-cluster-control-plane-${i}`,
        min_size: 1,
        max_size: 1,
        desired_capacity: 1,
        vpc_zone_identifier: [ref("aws_subnet.api_endpoint_a")],
        launch_template: {
          id: ref("aws_launch_template.control_plane_launch_template"),
          version: ref("aws_launch_template.control_plane_launch_template", "latest_version"),
        },
        target_group_arns: [ref("aws_lb_target_group.api_targets", "arn")],
        tag: [
          { key: "Name", value: `k8s-cluster-control-plane-${i}`, propagate_at_launch: true },
          { key: CLUSTER_TAG, value: "owned", propagate_at_launch: true },
        ],
      });
  });
  test("one launch template: private, sg-k8s-api-endpoint only, the control-plane profile, one user data", () =>
    expect(s.text).toHaveResourceWithProperties(LaunchTemplate, {
      name: "k8s-cluster-control-plane",
      instance_type: "${var.control_plane_instance_type}",
      vpc_security_group_ids: [ref("aws_security_group.sg_api_endpoint")],
      iam_instance_profile: { arn: ref("aws_iam_instance_profile.control_plane_profile", "arn") },
      tag_specifications: [
        { resource_type: "instance", tags: { Role: "control-plane", [CLUSTER_TAG]: "owned" } },
        { resource_type: "volume", tags: { Name: "k8s-cluster-control-plane", [CLUSTER_TAG]: "owned" } },
      ],
    }));
  test("no control-plane node is an aws_instance any more (only the bastion is)", () =>
    expect(Object.keys(res("aws_instance"))).toEqual(["bastion"]));
  test("IMDSv2 required, encrypted gp3 root volume, the looked-up Ubuntu LTS image", () => {
    const lt = res("aws_launch_template").control_plane_launch_template;
    expect(lt.metadata_options).toMatchObject(imds);
    expect(lt.block_device_mappings).toEqual([
      {
        device_name: "/dev/sda1",
        ebs: { volume_type: "gp3", volume_size: 40, encrypted: "true", delete_on_termination: "true" },
      },
    ]);
    expect(lt.image_id).toBe("${data.aws_ami.ubuntu_lts_x86_64.id}");
  });
  test("the image lookup is Canonical's Ubuntu 24.04 LTS", () =>
    expect(s.text).toHaveDataSourceWithProperties(DataAwsAmi, {
      most_recent: true,
      owners: ["099720109477"],
      filter: expect.arrayContaining([
        { name: "name", values: ["ubuntu/images/hvm-ssd-gp3/ubuntu-noble-24.04-amd64-server-*"] },
      ]),
    }));
  test("an AMI id in the configuration replaces the lookup", () => {
    const c = synthCluster({ amiId: "ami-0123456789abcdef0" });
    expect((c.json as any).data?.aws_ami).toBeUndefined();
    const lt = (c.json.resource as any).aws_launch_template.control_plane_launch_template;
    expect(lt.image_id).toBe("ami-0123456789abcdef0");
  });
  test("a node waits for its bootstrap parameters and routes out", () =>
    expect(res("aws_autoscaling_group").control_plane_1.depends_on).toEqual(
      expect.arrayContaining([
        "aws_ssm_parameter.api_endpoint",
        "aws_ssm_parameter.node_termination_queue_url",
        "aws_route.rtb_k8s_api_endpoint_default_via_nat",
      ]),
    ));
  test("a new bootstrap, type or key rolls the nodes; only a newer image waits for a deliberate replace", () =>
    expect(res("aws_launch_template").control_plane_launch_template.lifecycle.ignore_changes).toEqual(["image_id"]));
  test("nodes boot after their IAM policies are attached", () =>
    expect(res("aws_autoscaling_group").control_plane_0.depends_on).toEqual(
      expect.arrayContaining([
        "aws_iam_role_policy_attachment.control_plane_cloud_controller_attachment",
        "aws_iam_role_policy_attachment.control_plane_node_lifecycle_attachment",
      ]),
    ));
  test("the API health check's timeout is below its interval", () => {
    const hc = res("aws_lb_target_group").api_targets.health_check;
    expect(hc.timeout).toBeLessThan(hc.interval);
  });
  test("count 1 and 5 give 1 and 5 groups", () => {
    for (const count of [1, 5]) {
      const c = synthCluster({ controlPlane: { count } });
      const groups = Object.keys((c.json.resource as any).aws_autoscaling_group);
      expect(groups.filter((n) => n.startsWith("control_plane_"))).toHaveLength(count);
    }
  });
  test("azCount 3 spreads the groups over the AZs: group i in subnet i % 3", () => {
    const c = synthCluster({ azCount: 3, controlPlane: { count: 5 } });
    const groups = (c.json.resource as any).aws_autoscaling_group;
    const subnets = [0, 1, 2, 3, 4].map((i) => groups[`control_plane_${i}`].vpc_zone_identifier);
    expect(subnets).toEqual(["a", "b", "c", "a", "b"].map((l) => [ref(`aws_subnet.api_endpoint_${l}`)]));
  });
});

describe("internal API load balancer (kubeadm controlPlaneEndpoint)", () => {
  test("an internal NLB in the API endpoint subnet carrying sg-k8s-api-endpoint", () =>
    expect(s.text).toHaveResourceWithProperties(Lb, {
      internal: true,
      load_balancer_type: "network",
      subnets: [ref("aws_subnet.api_endpoint_a")],
      security_groups: [ref("aws_security_group.sg_api_endpoint")],
    }));
  test("TCP 6443 to instance targets with client IP preservation off (no hairpin timeouts)", () =>
    expect(s.text).toHaveResourceWithProperties(LbTargetGroup, {
      port: 6443,
      protocol: "TCP",
      target_type: "instance",
      preserve_client_ip: "false",
      health_check: expect.objectContaining({ protocol: "HTTPS", port: "6443", path: "/readyz" }),
    }));
  test("listener TCP 6443", () =>
    expect(s.text).toHaveResourceWithProperties(LbListener, {
      port: 6443,
      protocol: "TCP",
      load_balancer_arn: ref("aws_lb.api_nlb", "arn"),
    }));
  test("the groups register their nodes, never a static attachment", () => {
    expect((s.json.resource as any).aws_lb_target_group_attachment).toBeUndefined();
    expect(s.text).not.toHaveResourceWithProperties(LbTargetGroupAttachment, {});
  });
  test("its DNS name is published for the nodes as an SSM String parameter", () =>
    expect(s.text).toHaveResourceWithProperties(SsmParameter, {
      name: "/k8s/k8s-cluster/api-endpoint",
      type: "String",
      value: ref("aws_lb.api_nlb", "dns_name"),
    }));
  test("pods subnets and security groups are published too (names only reach user-data)", () => {
    expect(s.text).toHaveResourceWithProperties(SsmParameter, {
      name: "/k8s/k8s-cluster/pods/subnets",
      value: '${join(",", ["ap-northeast-2a=${aws_subnet.pods_a.id}"])}',
    });
    expect(s.text).toHaveResourceWithProperties(SsmParameter, {
      name: "/k8s/k8s-cluster/pods/security-group",
      value: ref("aws_security_group.sg_pods"),
    });
    expect(s.text).toHaveResourceWithProperties(SsmParameter, {
      name: "/k8s/k8s-cluster/load-balancer/security-group",
      value: ref("aws_security_group.sg_loadbalancers"),
    });
    expect(Object.values(res("aws_ssm_parameter")).every((p) => p.type === "String")).toBe(true);
  });
});

describe("workers", () => {
  test("launch template: image, type, sg-worker-nodes, IMDSv2, encrypted gp3, cluster tags", () =>
    expect(s.text).toHaveResourceWithProperties(LaunchTemplate, {
      instance_type: "${var.worker_instance_type}",
      vpc_security_group_ids: [ref("aws_security_group.sg_worker_nodes")],
      metadata_options: expect.objectContaining(imds),
      block_device_mappings: [
        expect.objectContaining({ ebs: expect.objectContaining({ volume_type: "gp3", encrypted: "true" }) }),
      ],
      tag_specifications: expect.arrayContaining([
        { resource_type: "instance", tags: expect.objectContaining({ [CLUSTER_TAG]: "owned" }) },
      ]),
    }));
  test("a newer Ubuntu image does not roll the workers by itself", () =>
    expect(res("aws_launch_template").worker_launch_template.lifecycle.ignore_changes).toEqual(["image_id"]));
  test("autoscaling group over the worker subnets: min 2, desired 2, max 5 (Terraform variables)", () => {
    expect(
      variableDefaults(s, ["worker_min_size", "worker_desired_capacity", "worker_max_size", "worker_instance_type"]),
    ).toEqual([2, 2, 5, "t3.large"]);
    expect(s.text).toHaveResourceWithProperties(AutoscalingGroup, {
      min_size: "${var.worker_min_size}",
      desired_capacity: "${var.worker_desired_capacity}",
      max_size: "${var.worker_max_size}",
      vpc_zone_identifier: [ref("aws_subnet.workers_a")],
      launch_template: {
        id: ref("aws_launch_template.worker_launch_template"),
        version: ref("aws_launch_template.worker_launch_template", "latest_version"),
      },
    });
  });
  test("configured sizes and type", () => {
    const c = synthCluster({ workers: { min: 1, desired: 4, max: 10, instanceType: "m6i.xlarge" }, azCount: 2 });
    expect(
      variableDefaults(c, ["worker_min_size", "worker_desired_capacity", "worker_max_size", "worker_instance_type"]),
    ).toEqual([1, 4, 10, "m6i.xlarge"]);
    // One group per zone (__tests__/worker-zones.test.ts), each in its own zone's worker subnet.
    for (const zone of ["a", "b"])
      expect(c.text).toHaveResourceWithProperties(AutoscalingGroup, {
        name: `k8s-cluster-workers-${zone}`,
        vpc_zone_identifier: [ref(`aws_subnet.workers_${zone}`)],
      });
  });
  test("Graviton instance types get the arm64 image", () => {
    expect(architectureOf("m7g.large")).toBe("arm64");
    expect(architectureOf("t3.large")).toBe("x86_64");
    // Graviton families named like GPU or first-generation types (AWS: "AWS Graviton-based instances").
    for (const t of ["a1.large", "g5g.xlarge", "hpc7g.4xlarge", "x2gd.large", "c7gn.large", "im4gn.large"])
      expect(architectureOf(t)).toBe("arm64");
    for (const t of ["g5.xlarge", "p5.48xlarge", "inf2.xlarge", "trn1.2xlarge", "c7i-flex.large", "u7i-12tb.224xlarge"])
      expect(architectureOf(t)).toBe("x86_64");
    const c = synthCluster({ workers: { instanceType: "t4g.large" } });
    expect(c.text).toHaveDataSourceWithProperties(DataAwsAmi, {
      filter: expect.arrayContaining([{ name: "architecture", values: ["arm64"] }]),
    });
  });
  test("the instance type variable keeps the architecture the image was looked up for (Graviton types match)", () => {
    const archRule = (c: typeof s) => (c.json as any).variable.worker_instance_type.validation[1];
    const graviton = `regex("^(a1|[a-z]+[0-9]+g[a-z]*)\\\\.", var.worker_instance_type)`;
    expect(archRule(synthCluster({ workers: { instanceType: "t4g.large" } }))).toEqual({
      condition: `\${can(${graviton})}`,
      error_message: expect.stringMatching(
        /^worker_instance_type must stay arm64 \(the image was looked up for arm64\)/,
      ),
    });
    expect(archRule(s)).toEqual({
      condition: `\${!can(${graviton})}`,
      error_message: expect.stringMatching(
        /^worker_instance_type must stay x86_64 \(the image was looked up for x86_64\)/,
      ),
    });
  });
});

describe("bastion", () => {
  test("in the public bastion subnet with a public IP and sg-bastion", () =>
    expect(s.text).toHaveResourceWithProperties(Instance, {
      subnet_id: ref("aws_subnet.bastion_a"),
      associate_public_ip_address: true,
      vpc_security_group_ids: [ref("aws_security_group.sg_bastion")],
      iam_instance_profile: ref("aws_iam_instance_profile.bastion_profile", "name"),
      metadata_options: expect.objectContaining(imds),
    }));
  test("SSH key pair name is configurable and reaches every machine", () => {
    const c = synthCluster({ sshKeyName: "ops-key" });
    expect(variableDefaults(c, ["ssh_key_name"])).toEqual(["ops-key"]);
    expect(variableDefaults(s, ["ssh_key_name"])).toEqual([""]); // no key: Session Manager only
    expect(c.text).toHaveResourceWithProperties(Instance, {
      subnet_id: ref("aws_subnet.bastion_a"),
      key_name: "${var.ssh_key_name}",
    });
    for (const name of ["k8s-cluster-control-plane", "k8s-cluster-worker"])
      expect(c.text).toHaveResourceWithProperties(LaunchTemplate, { name, key_name: "${var.ssh_key_name}" });
  });
  test("loadbalancers subnet carries kubernetes.io/role/elb for Service load balancers", () =>
    expect(s.text).toHaveResourceWithProperties(Subnet, {
      tags: expect.objectContaining({ Name: "loadbalancers", "kubernetes.io/role/elb": "1" }),
    }));
});

describe("IAM", () => {
  const { cluster } = buildApp(resolveConfig({}));
  test("a role and instance profile per role, assumed by EC2", () => {
    for (const role of ["control_plane", "workers", "bastion"]) {
      expect(s.text).toHaveResourceWithProperties(IamInstanceProfile, {
        role: ref(`aws_iam_role.${role}_role`, "name"),
      });
    }
    expect(res("aws_iam_role").workers_role.assume_role_policy).toContain("ec2.amazonaws.com");
    expect(s.text).toHaveResourceWithProperties(IamRole, { name: "k8s-cluster-control-plane" });
  });
  test("the concerns per role", () =>
    expect(Object.keys(cluster.iam.statements).sort()).toEqual([
      "bastion/session-manager",
      "control-plane/addon-assets",
      "control-plane/bootstrap-parameters",
      "control-plane/cloud-controller",
      "control-plane/cluster-autoscaler",
      "control-plane/ecr-read",
      "control-plane/etcd-backup",
      "control-plane/node-lifecycle",
      "control-plane/node-termination-handler",
      "control-plane/oidc-issuer",
      "control-plane/session-manager",
      "control-plane/vpc-cni",
      "ebs-csi-controller/ebs-csi-driver",
      "workers/bootstrap-parameters",
      "workers/ecr-read",
      "workers/node-lifecycle",
      "workers/session-manager",
      "workers/vpc-cni",
    ]));
  test("no * actions and no service wildcards (ec2:*) in any policy", () => {
    for (const [name, statements] of Object.entries(cluster.iam.statements))
      expect([name, wildcardActions(statements)]).toEqual([name, []]);
    for (const p of Object.values(res("aws_iam_policy")))
      expect(p.policy).not.toMatch(/"[a-z0-9-]+:\*"|"Action" = "\*"|"\*",? *\]/);
  });
  test("only the control plane may publish join parameters", () => {
    const put = (role: string) =>
      cluster.iam.statements[`${role}/bootstrap-parameters`].some((st) => st.Action.includes("ssm:PutParameter"));
    expect(put("control-plane")).toBe(true);
    expect(put("workers")).toBe(false);
  });
});

describe("user-data carries names, never secrets", () => {
  const docs = (["control-plane", "worker"] as const).map((role) => userDataOf(s.json, role));
  test("two roles: every control-plane node gets the same user data (a lock picks who initialises)", () => {
    expect(docs[0]).toMatch(/^#cloud-config/);
    expect(docs.map((d) => /NODE_ROLE=(\S+)/.exec(d)?.[1]?.replace(/"/g, ""))).toEqual(["control-plane", "worker"]);
  });
  test("no bootstrap token, certificate key, private key or AWS secret in any user-data", () => {
    for (const d of docs) {
      expect(d).not.toMatch(/\b[a-z0-9]{6}\.[a-z0-9]{16}\b/); // kubeadm bootstrap token
      // certificate key / CA hash; the only 64-hex values are the public pins named in the env file.
      const hex = [...d.matchAll(/^\s*([A-Z0-9_]+)=.*\b([a-f0-9]{64})\b/gm)].map((m) => m[1]);
      expect(d.match(/\b[a-f0-9]{64}\b/g)?.length ?? 0).toBe(hex.length);
      for (const name of hex)
        expect([
          "ECR_CREDENTIAL_PROVIDER_AMD64_SHA256",
          "ECR_CREDENTIAL_PROVIDER_ARM64_SHA256",
          "BUNDLE_DIGEST",
        ]).toContain(name);
      expect(d).not.toMatch(/-----BEGIN [A-Z ]*PRIVATE KEY-----/);
      expect(d).not.toMatch(/\b(AKIA|ASIA)[A-Z0-9]{16}\b/);
    }
  });
  test("no Terraform interpolation inside user-data (it is static, built in TypeScript)", () => {
    for (const d of docs) expect(d).not.toContain("${aws_");
  });
});

describe("outputs tell an operator how to get in", () => {
  const out = (s.json as any).output as Record<string, { value: string }>;
  test("bastion address and the API endpoint", () => {
    expect(out.bastion_public_ip.value).toBe(ref("aws_instance.bastion", "public_ip"));
    expect(out.api_endpoint.value).toBe("https://${aws_lb.api_nlb.dns_name}:6443");
  });
  test("SSH through the bastion (ProxyJump) to the running node of the first group, looked up when run", () =>
    expect(out.ssh_control_plane.value).toBe(
      "ssh -J ubuntu@${aws_instance.bastion.public_ip} ubuntu@$(aws ec2 describe-instances --region ap-northeast-2 " +
        "--filters Name=tag:aws:autoscaling:groupName,Values=${aws_autoscaling_group.control_plane_0.name} " +
        "Name=instance-state-name,Values=running " +
        "--query 'Reservations[].Instances[].PrivateIpAddress' --output text | cut -f1)",
    ));
  test("how to fetch the admin kubeconfig", () =>
    expect(out.fetch_kubeconfig.value).toContain("sudo cat /etc/kubernetes/admin.conf' > admin.conf"));
  test("kubectl from a laptop: SSH tunnel or Session Manager port forwarding", () => {
    expect(out.kubectl_via_ssh_tunnel.value).toMatch(/^ssh -f -N -L 6443:\$\{aws_lb\.api_nlb\.dns_name\}:6443 ubuntu@/);
    expect(out.kubectl_via_ssh_tunnel.value).toContain("--tls-server-name ${aws_lb.api_nlb.dns_name}");
    expect(out.kubectl_via_session_manager.value).toContain("AWS-StartPortForwardingSessionToRemoteHost");
    // kubectl runs only once the forwarded port answers (bounded), never right after the session starts.
    const cmd = out.kubectl_via_session_manager.value as string;
    const [session, wait, kubectl] = [
      cmd.indexOf("aws ssm start-session"),
      cmd.indexOf("until curl -sk -o /dev/null --max-time 2 https://127.0.0.1:6443/livez"),
      cmd.indexOf("kubectl --kubeconfig"),
    ];
    expect(session).toBe(0);
    expect(wait).toBeGreaterThan(session);
    expect(kubectl).toBeGreaterThan(wait);
    expect(cmd).toContain("if [ $n -ge 30 ]; then");
    const sh = spawnSync("sh", ["-n", "-c", cmd.replace(/\$\{[^}]+\}/g, "X")], {
      encoding: "utf8",
    });
    expect({ status: sh.status, err: sh.stderr }).toEqual({ status: 0, err: "" });
  });
  test("control-plane groups, and a command that lists their in-service instance ids (Terraform cannot)", () => {
    expect((out as any).control_plane_instance_ids).toBeUndefined();
    const names = [0, 1, 2].map((i) => ref(`aws_autoscaling_group.control_plane_${i}`, "name"));
    expect((out as any).control_plane_groups.value).toEqual(names);
    expect(out.control_plane_instance_ids_command.value).toBe(
      "aws autoscaling describe-auto-scaling-groups --region ap-northeast-2 --auto-scaling-group-names " +
        [0, 1, 2].map((i) => ref(`aws_autoscaling_group.control_plane_${i}`, "name")).join(" ") +
        " --query 'AutoScalingGroups[].Instances[?LifecycleState==`InService`][].InstanceId' --output text",
    );
    for (const name of ["control_plane_instance_ids_command", "ssh_control_plane", "fetch_kubeconfig"]) {
      const cmd = out[name].value.replace(/\$\{[^}]+\}/g, "X");
      const sh = spawnSync("sh", ["-n", "-c", cmd], { encoding: "utf8" });
      expect({ name, status: sh.status, err: sh.stderr }).toEqual({ name, status: 0, err: "" });
    }
  });
  test("where etcd snapshots go", () =>
    expect(out.etcd_backup_location.value).toBe("s3://${aws_s3_bucket.etcd_backup.bucket}/k8s-cluster/etcd/"));
});

test("long cluster names still give valid load balancer names (<= 32 characters, no trailing hyphen)", () => {
  const name = "a".repeat(28) + "-b-c"; // 32 characters
  const c = synthCluster({ clusterName: name });
  const lbName = (c.json.resource as any).aws_lb.api_nlb.name as string;
  expect(lbName.length).toBeLessThanOrEqual(32);
  expect(lbName).not.toMatch(/-$/);
});

describe("add-on assets (the bundle the first control-plane node applies)", () => {
  const bundle = buildApp(resolveConfig({})).cluster.addonAssets.bundle;
  test("a secure bucket with a Terraform-made unique name, destroyable with its objects", () => {
    expect(res("aws_s3_bucket").assets).toMatchObject({ bucket_prefix: "k8s-cluster-assets-", force_destroy: true });
    expect(res("aws_s3_bucket").assets.bucket).toBeUndefined();
    expect(res("aws_s3_bucket_public_access_block").assets_public_access_block).toMatchObject({
      block_public_acls: true,
      block_public_policy: true,
      ignore_public_acls: true,
      restrict_public_buckets: true,
    });
    expect(
      res("aws_s3_bucket_server_side_encryption_configuration").assets_encryption.rule[0]
        .apply_server_side_encryption_by_default.sse_algorithm,
    ).toBe("aws:kms");
    expect(res("aws_s3_bucket_versioning").assets_versioning.versioning_configuration.status).toBe("Enabled");
  });
  test("one object per bundle file under addons/<digest>/, byte for byte, plus SHA256SUMS", () => {
    const objects = res("aws_s3_object");
    const byKey = Object.fromEntries(
      Object.values(objects).map((o: any) => [o.key, Buffer.from(o.content_base64, "base64").toString("utf8")]),
    );
    expect(Object.keys(byKey).sort()).toEqual(
      [...bundle.files.map((f) => `addons/${bundle.digest}/${f.path}`), `addons/${bundle.digest}/SHA256SUMS`].sort(),
    );
    // Base64 in the stack: the same bytes from JSON and HCL, no Terraform templates; the offline plan checks them too.
    for (const f of bundle.files) expect(byKey[`addons/${bundle.digest}/${f.path}`]).toBe(f.text);
    for (const o of Object.values(objects)) expect(o.content).toBeUndefined();
    expect(byKey[`addons/${bundle.digest}/SHA256SUMS`]).toBe(bundle.sums);
    expect(Object.keys(byKey)).toContain(`addons/${bundle.digest}/node/usr/local/sbin/k8s-join-refresh`);
    for (const o of Object.values(objects)) expect(o.bucket).toBe(ref("aws_s3_bucket.assets", "id"));
  });
  test("the bucket's name reaches the nodes through SSM assets/bucket; nodes boot after the bundle is uploaded", () => {
    expect(res("aws_ssm_parameter").assets_bucket).toMatchObject({
      name: "/k8s/k8s-cluster/assets/bucket",
      type: "String",
      value: ref("aws_s3_bucket.assets", "bucket"),
    });
    const dependsOn = res("aws_autoscaling_group").control_plane_0.depends_on;
    for (const o of Object.keys(res("aws_s3_object"))) expect(dependsOn).toContain(`aws_s3_object.${o}`);
  });
  test("the bundle's digest in the control-plane user data is the uploaded bundle's", () => {
    const text = userDataOf(s.json, "control-plane");
    expect(text).toContain(`BUNDLE_DIGEST=${bundle.digest}\n`);
  });
});
