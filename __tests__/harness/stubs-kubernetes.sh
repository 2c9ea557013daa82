# shellcheck shell=bash
# shellcheck disable=SC2154 # state, root, name and the node facts are set by stubs.sh, which sources this file.
# The Kubernetes tools of the node: kubeadm (init, join, token, reset, certs, config images list) and
# kubectl (get, apply, create, wait, rollout; cordon and drain through stubs-lifecycle.sh), sourced by
# stubs.sh, which calls kubeadm_stub and kubectl_stub. Certificate renewal and upgrades answer first
# (stubs-maintenance.sh). State under $HARNESS_STATE:
#   kubeadm-init.yaml, kubeadm-join.yaml  the configuration kubeadm init / join ran with
#   cluster-ca/        the cluster CA kubeadm init made (a joining control-plane node copies it)
#   nodes/<name>       the Nodes that joined
#   applied/<n>-<name> what kubectl apply -f was given, in order; secrets/<ns>/<name>.tls.crt a Secret

# What kubeadm certs certificate-key prints, and the CA hash in the join command kubeadm token create prints.
CERT_KEY=0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0
CA_HASH=sha256:1111111111111111111111111111111111111111111111111111111111111111

# admin_conf CONFIG KEY: writes the admin kubeconfig as kubeadm does, its server the endpoint that
# KEY (controlPlaneEndpoint or apiServerEndpoint) names in the kubeadm configuration CONFIG.
admin_conf() {
  local endpoint
  endpoint=$(sed -n -E "s/^ *$2: \"?([^\"]+)\"?\$/\1/p" "$1")
  printf 'apiVersion: v1\nclusters:\n- cluster:\n    server: https://%s\n  name: k8s-cluster\n' "$endpoint" \
    >"${root}/etc/kubernetes/admin.conf"
}

# The pause image kubeadm of a minor lists (kubernetes/kubernetes cmd/kubeadm/app/constants PauseVersion).
pause_for() {
  case $1 in
    v1.33.*) echo 3.10 ;;
    v1.34.* | v1.35.*) echo 3.10.1 ;;
    *) echo "kubeadm stub: unknown version $1" >&2; return 1 ;;
  esac
}

# kube-apiserver exits at once when the audit policy or the encryption configuration its flags
# name is missing (k8s.io/apiserver/pkg/server/options/audit.go and etcd.go read them at start):
# its static pod never gets healthy and kubeadm's wait-control-plane phase fails. The cluster
# configuration is the init's.
apiserver_files_present() {
  local f
  while read -r f; do
    [[ -f ${root}${f} ]] && continue
    echo "[wait-control-plane] kube-apiserver: open ${f}: no such file or directory" >&2
    return 1
  done < <(grep -A1 -E '^ *- name: "?(audit-policy-file|encryption-provider-config)"?$' "$1" |
    sed -n 's/^ *value: "\{0,1\}\([^"]*\)"\{0,1\}$/\1/p')
}
# kubeadm's certs phase keeps an sa.key it can load and makes sa.key and sa.pub only when there
# is none (kubernetes/kubernetes cmd/kubeadm/app/phases/certs/certs.go,
# CreateServiceAccountKeyAndPublicKeyFiles: "Using the existing \"sa\" key").
service_account_key() {
  local pki=${root}/etc/kubernetes/pki
  if [[ -f ${pki}/sa.key ]]; then
    if ! openssl pkey -in "${pki}/sa.key" -noout 2>/dev/null; then
      echo "error: sa key existed but could not be loaded" >&2
      return 1
    fi
    echo '[certs] Using the existing "sa" key'
    return 0
  fi
  echo '[certs] Generating "sa" key and public key'
  mkdir -p "$pki"
  (umask 077 && openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "${pki}/sa.key" 2>/dev/null)
  openssl pkey -in "${pki}/sa.key" -pubout -out "${pki}/sa.pub" 2>/dev/null
}
# The cluster CA: kubeadm init makes it (RSA, 10 years: cmd/kubeadm/app/util/pkiutil NewCertificateAuthority),
# a joining control-plane node copies it from the kubeadm-certs Secret; one per cluster (state/cluster-ca).
# The CA itself is made by discovery_ca (stubs-discovery.sh, sourced before this file).
cluster_ca() {
  local ca
  ca=$(dirname "$(discovery_ca)")
  mkdir -p "${root}/etc/kubernetes/pki"
  cp "${ca}/ca.crt" "${ca}/ca.key" "${root}/etc/kubernetes/pki/"
}

# kubeadm_stub ARG...: kubeadm, as the scripts call it.
kubeadm_stub() {
  mkdir -p "${root}/etc/kubernetes"
  case "$1" in
    certs) echo "$CERT_KEY" ;;
    version) echo "v$(installed kubeadm | sed 's/-.*//')" ;;
    config)
      [[ $2 == images && $3 == list && $4 == --kubernetes-version ]] ||
        { echo "kubeadm stub: unexpected '$*'" >&2; exit 2; }
      pause=$(pause_for "$5") || exit 1
      printf 'registry.k8s.io/%s\n' "kube-apiserver:$5" "kube-controller-manager:$5" "kube-scheduler:$5" \
        "kube-proxy:$5" coredns/coredns:v1.12.1 "pause:${pause}" etcd:3.6.6-0
      ;;
    init)
      if [[ $2 == phase ]]; then exit 0; fi
      cp "$(opt --config "$@")" "${state}/kubeadm-init.yaml"
      service_account_key || exit 1
      apiserver_files_present "${state}/kubeadm-init.yaml" || exit 1
      # kubeadm uploads its configuration through controlPlaneEndpoint, the API load balancer,
      # which forwards only to registered targets: none but this instance serves the API yet.
      if ! registered "$INSTANCE_ID"; then
        echo "error execution phase upload-config/kubeadm: could not upload the kubeadm cluster configuration:" \
          "dial tcp 172.31.0.10:6443: i/o timeout" >&2
        exit 1
      fi
      admin_conf "${state}/kubeadm-init.yaml" controlPlaneEndpoint
      cluster_ca
      touch "${root}/etc/kubernetes/kubelet.conf"
      mkdir -p "${state}/nodes"
      touch "${state}/nodes/${NODE_NAME}"
      # A new cluster: its only member is this node's.
      rm -f "${state}/etcd/members"
      etcd_member_add "$NODE_NAME" "$NODE_IP"
      ;;
    join)
      config=$(opt --config "$@")
      cp "$config" "${state}/kubeadm-join.yaml"
      touch "${root}/etc/kubernetes/kubelet.conf"
      mkdir -p "${state}/nodes"
      touch "${state}/nodes/${NODE_NAME}"
      if grep -q '^controlPlane:' "$config"; then
        cluster_config=${state}/kubeadm-init.yaml
        [[ -f $cluster_config ]] || cluster_config=${root}/etc/k8s-bootstrap/kubeadm-init.yaml.tmpl
        apiserver_files_present "$cluster_config" || exit 1
        cluster_ca
        if grep -q "^[0-9a-f]*|[^|]*|https://${NODE_IP}:2380|" "${state}/etcd/members" 2>/dev/null; then
          admin_conf "$config" apiServerEndpoint
          etcd_member_adopt "$NODE_IP"
          exit 0
        fi
        # etcd refuses to add a member while the member serving the request is not connected to
        # every voting member (etcd v3.6.6 server/etcdserver/server.go mayAddMember).
        if [[ -n $(etcd_unreachable) ]]; then
          echo "error execution phase etcd-join: error creating local etcd static pod manifest file:" \
            "etcdserver: unhealthy cluster" >&2
          exit 1
        fi
        admin_conf "$config" apiServerEndpoint
        etcd_member_add "$NODE_NAME" "$NODE_IP"
      fi
      ;;
    token)
      echo "kubeadm join api.example:6443 --token abcdef.0123456789abcdef --discovery-token-ca-cert-hash ${CA_HASH} "
      ;;
    reset)
      # Its cleanup removes the kubeconfigs and the contents of the certificates directory.
      rm -f "${root}/etc/kubernetes/admin.conf" "${root}/etc/kubernetes/kubelet.conf"
      rm -rf "${root}/etc/kubernetes/pki"
      etcd_member_del "$NODE_NAME"
      ;;
    *) echo "kubeadm stub: unexpected '$*'" >&2; exit 2 ;;
  esac
}

# kubectl_stub ARG...: kubectl with the admin kubeconfig (or the kubelet's, for reading Nodes).
kubectl_stub() {
  kubeconfig=${KUBECONFIG:-}
  if [[ $1 == --kubeconfig ]]; then kubeconfig=$2; shift 2; fi
  if [[ $1 == --request-timeout=* ]]; then shift; fi
  # The kubelet's kubeconfig reads Nodes (the Node authorizer allows it); the scripts use it for nothing else.
  if [[ $kubeconfig == "${root}/etc/kubernetes/kubelet.conf" && -f $kubeconfig && "$1 $2" == "get node" ]]; then
    :
  else
    [[ $kubeconfig == "${root}/etc/kubernetes/admin.conf" && -f $kubeconfig ]] ||
      { echo "kubectl stub: the kubeconfig is not the admin kubeconfig of a control plane" >&2; exit 1; }
  fi
  case $1 in
    get)
      if [[ $2 == --raw ]]; then
        # What the API server serves at the path (apiserver/<path>, the test's documents), byte for byte.
        served="${state}/apiserver${3}"
        [[ -f $served ]] || refuse "Error from server (NotFound): the server could not find the requested resource"
        cat "$served"
        exit 0
      fi
      if [[ $2 == secret ]]; then
        # A Secret an apply stored: the base64 of its tls.crt, as -o jsonpath={.data.tls\.crt} prints it.
        stored="${state}/secrets/$(opt -n "$@")/${3}.tls.crt"
        [[ -f $stored ]] || { echo "Error from server (NotFound): secrets \"${3}\" not found" >&2; exit 1; }
        printf '%s' "$(<"$stored")"
        exit 0
      fi
      [[ $2 == node ]] || { echo "kubectl stub: unexpected '$*'" >&2; exit 2; }
      kubectl_node "$@"
      ;;
    apply)
      source=$(opt -f "$@")
      [[ -e $source ]] || { echo "error: the path \"${source}\" does not exist" >&2; exit 1; }
      n=$(count apply)
      mkdir -p "${state}/applied"
      cp -r "$source" "${state}/applied/${n}-${source##*/}"
      # A single Secret (as k8s-webhook-cert writes one) is kept for get secret.
      if [[ -f $source ]] && grep -q '^kind: Secret$' "$source"; then
        secret_name=$(sed -n 's/^  name: //p' "$source")
        secret_ns=$(sed -n 's/^  namespace: //p' "$source")
        mkdir -p "${state}/secrets/${secret_ns}"
        sed -n 's/^  tls\.crt: //p' "$source" >"${state}/secrets/${secret_ns}/${secret_name}.tls.crt"
      fi
      ;;
    create)
      if [[ $2 == -f ]]; then
        # An object created before (created/<file>) exists: the API server answers AlreadyExists.
        [[ ! -e ${state}/created/${3##*/} ]] ||
          { echo "Error from server (AlreadyExists): error when creating \"$3\": already exists" >&2; exit 1; }
        mkdir -p "${state}/created" && cp "$3" "${state}/created/${3##*/}" && exit 0
      fi
      from=$(opt --from-file "$@")
      printf 'apiVersion: v1\nkind: ConfigMap\ndata:\n  cloud.conf: |\n'
      sed 's/^/    /' "${from#*=}"
      ;;
    wait | rollout) ;;
    cordon | drain) kubectl_node "$@" ;;
    *) echo "kubectl stub: unexpected '$*'" >&2; exit 2 ;;
  esac
}
