/**
 * Shared by the control-plane membership tests (system/bootstrap-init-lock, -membership, -leaving).
 * They run the real user data under bash with the stub harness: the election of the control-plane
 * node that runs kubeadm init (the init lock), etcd membership kept to the instances that exist, a
 * control-plane node leaving the cluster when its group terminates it, the launch lifecycle hook
 * completed only once the node is Ready, and failed boots that have their group replace them.
 *
 * What the tests rely on in the stubs, and where the real tools define it:
 * - aws ssm put-parameter without --overwrite on an existing name fails with ParameterAlreadyExists
 *   (SSM API reference, PutParameter: Errors) and exit code 254, the AWS CLI v2's code for "the
 *   service returned an error" (AWS CLI user guide, cli-usage-returncodes.html);
 * - etcdctl member list prints "ID, status, name, peer URLs, client URLs, is learner", status
 *   "unstarted" with an empty name for a member whose etcd has not started (etcd-io/etcd v3.6
 *   etcdctl/ctlv3/command/printer.go makeMemberListTable, printer_simple.go MemberList);
 * - etcd refuses to add a member while the member serving the request is not connected to every
 *   voting member, unstarted ones included ("etcdserver: unhealthy cluster"; etcd-io/etcd v3.6.6
 *   server/etcdserver/server.go mayAddMember, util.go isConnectedFullySince; the stub counts a
 *   member connected when an instance of its name is running), so kubeadm join --control-plane
 *   fails while one is listed;
 * - kubectl get node -o jsonpath of the Ready condition prints its status, "True" or "False"
 *   (kubernetes/kubernetes staging/src/k8s.io/api/core/v1/types.go: NodeReady, ConditionTrue);
 * - describe-scaling-activities: the Cause of a replacement by set-instance-health ends "in response
 *   to a user health-check" (EC2 Auto Scaling user guide, replace-unhealthy-instance.html), and a
 *   launch completed with ABANDON has the StatusMessage "... Lifecycle Action Completed with ABANDON
 *   Result" (CHAP_Troubleshooting.html).
 */
import { INSTANCE_ID, NODE_IP, NODE_NAME, NodeRun, PREFIX } from "./node";
import { OWN_INIT_LOCK, nodeRunner } from "./boot";

export const node = nodeRunner();
export const LOCK = `${PREFIX}/init/lock`;
/** The value of the init lock this node holds once it won the election. */
export const OWN_LOCK = OWN_INIT_LOCK[LOCK];

/** Another control-plane node: its instance and its etcd member. */
export const peer = (ip: string, id: string, instance: string) => ({
  member: { id, name: `ip-${ip.replace(/\./g, "-")}.ap-northeast-2.compute.internal`, ip, instance },
  instance: (state: "pending" | "running" | "stopping" | "stopped" | "shutting-down" | "terminated") => ({
    id: instance,
    name: `ip-${ip.replace(/\./g, "-")}.ap-northeast-2.compute.internal`,
    state,
  }),
});
export const HOLDER = peer("172.31.0.5", "8e9e05c52164694d", "i-0b2c3d4e5f6071829");
export const DEAD = peer("172.31.0.9", "91bc3c398fb3c146", "i-0c3d4e5f607182930");
export const LIVE = peer("172.31.0.6", "2f0e8a1b3c4d5e6f", "i-0d4e5f60718293041");
export const STOPPED = peer("172.31.0.7", "4a5b6c7d8e9f0a1b", "i-0e5f6071829304152");
export const PENDING = peer("172.31.0.8", "5b6c7d8e9f0a1b2c", "i-0f60718293041526");

/** describe-instances of the instances matching FILTER that can still run. */
export const describeLive = (filter: string) =>
  [
    `aws ec2 describe-instances --filters ${filter}`,
    "Name=instance-state-name,Values=pending,running,stopping,stopped",
    "--query Reservations[].Instances[].InstanceId --output text",
  ].join(" ");
/** etcdctl in the etcd container with kubeadm's healthcheck client certificate, against ENDPOINT. */
export const etcdctlAt = (endpoint: string) =>
  [
    "crictl exec --sync --timeout 60 3f9d2c4be1a70e5d etcdctl",
    `--endpoints=${endpoint} --cacert=/etc/kubernetes/pki/etcd/ca.crt`,
    "--cert=/etc/kubernetes/pki/etcd/healthcheck-client.crt --key=/etc/kubernetes/pki/etcd/healthcheck-client.key",
  ].join(" ");
export const lockCreates = (r: { callsOf(p: string): readonly string[] }) =>
  r.callsOf(`aws ssm put-parameter --name ${LOCK} `);
export const members = (n: NodeRun) =>
  (n.kept("etcd/members") ?? "")
    .trim()
    .split("\n")
    .filter(Boolean)
    .map((l) => l.split("|")[1] || "(unstarted)");
export const memberRemovals = (r: { calls: readonly string[] }) =>
  r.calls.filter((c) => / etcdctl .* member remove /.test(c));
export const asgState = (n: NodeRun) => n.kept("asg/instance")?.trim();
export const GROUP_1 = "k8s-cluster-control-plane-1";

/** A node's own member, as kubeadm init or join added it (the stub names the ID). */
export const ownMember = (n: NodeRun) => {
  const line = n
    .kept("etcd/members")!
    .split("\n")
    .find((l) => l.split("|")[1] === NODE_NAME)!;
  return { id: line.split("|")[0], name: NODE_NAME, ip: NODE_IP, instance: INSTANCE_ID };
};
/** The command k8s-etcd-members-prune.service runs (its ExecStart), as installed on the node. */
export const pruneCommand = (n: NodeRun) => {
  const unit = n.nodeFile("etc/systemd/system/k8s-etcd-members-prune.service")!;
  const [program, ...args] = /^ExecStart=(.+)$/m.exec(unit)![1].split(" ");
  return [program, ...args] as const;
};
export const ENABLE_PRUNE = "systemctl enable --now k8s-etcd-members-prune.timer";
/** A replacement control-plane node on another instance than the harness's default one. */
export const REPLACEMENT = {
  instanceId: "i-0f1e2d3c4b5a69788",
  name: "ip-172-31-8-20.ap-northeast-2.compute.internal",
  ip: "172.31.8.20",
};
