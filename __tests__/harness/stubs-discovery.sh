# shellcheck shell=bash
# shellcheck disable=SC2154 # state, root and name are set by stubs.sh, which sources this file.
# Sourced by stubs.sh before its own dispatch (a call handled here exits): the API as a node sees it
# before it has a kubeconfig of its own, with a kubeconfig of its scratch space (k8s-cluster-secrets'
# cluster_configuration), as kubeadm join's token discovery sees it:
# - anonymous, the server's certificate unverified: only the ConfigMap kube-public/cluster-info, a
#   kubeconfig that holds the cluster's CA (kubeadm cmd/kubeadm/app/phases/bootstraptoken/clusterinfo:
#   the Role kubeadm:bootstrap-signer-clusterinfo lets system:anonymous get it);
# - with a bootstrap token: only the ConfigMap kube-system/kubeadm-config (kubeadm
#   cmd/kubeadm/app/phases/uploadconfig: the Role kubeadm:nodes-kubeadm-config), whose
#   ClusterConfiguration is the configuration the cluster was initialised with (the test's
#   kubeadm-init.yaml, else this node's own init template), the ClusterConfiguration document only.
#   The server's certificate verifies only against the cluster's CA; a token other than the join
#   token in SSM is Unauthorized (kubectl's messages).
# The cluster's CA is the one the kubeadm stub uses (HARNESS_STATE/cluster-ca), made on first use
# with the key the harness set aside for the cluster (HARNESS_STATE/ca-key.pem).
# The kubeconfig with the token is kept as HARNESS_STATE/discovery.conf for the tests to read.

# discovery_ca: prints the path of the cluster's CA certificate, made when there is none yet.
discovery_ca() {
  local ca="${state}/cluster-ca"
  if [[ ! -f ${ca}/ca.key ]]; then
    mkdir -p "$ca"
    # The CA's key is the one the harness set aside for this cluster (HARNESS_STATE/ca-key.pem, keys.ts).
    (umask 077 && cp "${state}/ca-key.pem" "${ca}/ca.key")
    openssl req -x509 -new -key "${ca}/ca.key" -out "${ca}/ca.crt" -days 3650 -subj /CN=kubernetes 2>/dev/null
  fi
  echo "${ca}/ca.crt"
}

# kubeconfig_field CONF KEY: the value of KEY: in the kubeconfig CONF (quoted or not).
kubeconfig_field() {
  sed -nE "s/.*[{ ]${2}: \"?([^\",}]+)\"?.*/\\1/p" "$1" | head -n1
}

# kubectl_discovery KUBECONFIG ARG...: kubectl with a kubeconfig of the node's scratch space.
kubectl_discovery() {
  local conf=$1 ca data token config
  shift
  ca=$(discovery_ca)
  data=$(base64 -w0 "$ca")
  case " $* " in
    *" --insecure-skip-tls-verify --namespace kube-public get configmap cluster-info -o jsonpath={.data.kubeconfig} ")
      [[ ! -s $conf && $1 == --server && $2 == https://*:6443 ]] ||
        { echo "kubectl stub: unexpected '$*'" >&2; exit 2; }
      printf 'apiVersion: v1\nclusters:\n- cluster:\n    certificate-authority-data: %s\n    server: %s\n' "$data" "$2"
      printf '  name: ""\ncontexts: null\ncurrent-context: ""\nkind: Config\npreferences: {}\nusers: null\n'
      ;;
    " --namespace kube-system get configmap kubeadm-config -o jsonpath={.data.ClusterConfiguration} ")
      cp "$conf" "${state}/discovery.conf"
      if [[ $(kubeconfig_field "$conf" certificate-authority-data) != "$data" ]]; then
        echo "Unable to connect to the server: tls: failed to verify certificate:" \
          "x509: certificate signed by unknown authority" >&2
        exit 1
      fi
      token=$(cat "${state}"/ssm/*%2Fjoin%2Ftoken 2>/dev/null || true)
      if [[ -z $token || $(kubeconfig_field "$conf" token) != "$token" ]]; then
        echo "error: You must be logged in to the server (Unauthorized)" >&2
        exit 1
      fi
      config=${state}/kubeadm-init.yaml
      [[ -f $config ]] || config=${root}/etc/k8s-bootstrap/kubeadm-init.yaml.tmpl
      awk '/^---$/ { n++; next } { doc[n] = doc[n] $0 "\n" }
        END { for (i = 0; i <= n; i++) if (doc[i] ~ /(^|\n)kind: "?ClusterConfiguration"?\n/) printf "%s", doc[i] }' \
        "$config"
      ;;
    *) echo "kubectl stub: unexpected '$*'" >&2; exit 2 ;;
  esac
}

if [[ $name == kubectl && ${1:-} == --kubeconfig && -n ${TMPDIR:-} && ${2:-} == "${TMPDIR}"/* ]]; then
  kubectl_discovery "$2" "${@:3}"
  exit 0
fi
