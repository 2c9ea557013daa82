/**
 * The Kubernetes ports the stacks open, check and configure: one home for each number. The spec's
 * tables keep their ports as written (src/spec); these are the ports of the software we run.
 * Sources: kubeadm's defaults (bindPort, etcd), the kubelet (--port), kube-proxy
 * (--healthz-bind-address) and the Service NodePort range (--service-node-port-range).
 */
export const PORTS = Object.freeze({
  /** kube-apiserver, on every control-plane node and on the internal NLB (kubeadm's bindPort). */
  kubeApiserver: 6443,
  /** The kubelet API (logs, exec, metrics). */
  kubelet: 10250,
  /** etcd client and peer ports of kubeadm's stacked etcd. */
  etcd: Object.freeze({ from: 2379, to: 2380 }),
  /** kube-proxy's health check, which Service load balancers probe. */
  kubeProxyHealth: 10256,
  /** The Service NodePort range. */
  nodePorts: Object.freeze({ from: 30000, to: 32767 }),
});
