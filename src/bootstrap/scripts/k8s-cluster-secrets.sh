#!/usr/bin/env bash
# The secrets every control-plane node holds the same copy of, kept only in SSM SecureString: the
# keys the API server encrypts Secrets in etcd with (its EncryptionConfiguration) and the
# service-account signing key (kubeadm's sa.key and sa.pub: kubeadm init keeps an sa.key it finds).
# Encrypted with the cluster's KMS key CLUSTER_SECRETS_KEY, which only the control-plane role may
# use. Never in user data, the bundle, Terraform, a command line or the log.
#   create  the node that holds the init lock, before kubeadm init: makes each one SSM does not hold
#           yet and creates its parameter without --overwrite (when another node created it first, or
#           it outlived a restore, that one is used), then writes the files
#   fetch   a joining control-plane node, before each kubeadm join: reads both, writes the files
#   encryption-config  after a change of the keys (rotation, docs/security.md): writes the
#           configuration again from SSM; the API server reloads it
# usage: k8s-cluster-secrets create|fetch|encryption-config
set -euo pipefail
set -o errtrace
# shellcheck source=/dev/null
. "${K8S_ROOT:-}/usr/local/lib/k8s-bootstrap/lib.sh"
# shellcheck source=/dev/null
. "${K8S_ROOT:-}/usr/local/lib/k8s-bootstrap/control-plane.sh"

PKI="${ROOT}/etc/kubernetes/pki"
# src/bootstrap/encryption.ts ENCRYPTION_PATHS (a unit test compares them).
CONFIG="${ROOT}/etc/kubernetes/encryption/config.yaml"
TEMPLATE="${ROOT}/etc/k8s-bootstrap/encryption-config.yaml.tmpl"
# One key of the list: a name (no ":" or ","), then 32 bytes in base64 (secretbox's key length).
KEY_ENTRY='^([A-Za-z0-9._-]{1,64}):([A-Za-z0-9+/]{42}[AEIMQUYcgkosw048]=)$'
KEYS_FORMAT="name:base64-of-32-random-bytes,... (the first encrypts; docs/security.md)"

# key_list VALUE: KEYS is the list's entries; fails unless each is a valid key and the names differ.
key_list() {
  local entry seen=","
  [[ $1 != *$'\n'* ]] || return 1
  IFS=, read -r -a KEYS <<<"$1"
  ((${#KEYS[@]} > 0)) || return 1
  for entry in "${KEYS[@]}"; do
    [[ $entry =~ $KEY_ENTRY ]] || return 1
    [[ $seen != *",${BASH_REMATCH[1]},"* ]] || return 1
    seen+="${BASH_REMATCH[1]},"
  done
}

# new_encryption_keys: NEW is a list of one new key, 32 bytes from the kernel's random source.
new_encryption_keys() {
  local secret
  secret=$(head -c 32 /dev/urandom | base64 -w0)
  NEW="key-$(date -u +%Y%m%dt%H%M%Sz):${secret}"
}

# new_service_account_key: NEW is a new RSA 2048 private key in PEM (kubeadm makes RSA 2048 too).
new_service_account_key() {
  (umask 077 && openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "${WORK}/new.key" 2>/dev/null)
  NEW=$(<"${WORK}/new.key")
  rm -f "${WORK}/new.key"
}

# obtain NAME VAR MAKE: VAR is NAME's value: the one in SSM, else a new one (MAKE) that this node
# creates there; when another node created one first, that one.
obtain() {
  local name=$1 var=$2 make=$3 status=0
  ssm_get "$name" "$var" || status=$?
  if ((status == 0)); then
    log "${name}: in SSM already; using it"
    return 0
  fi
  ((status == 1)) || return 1
  "$make"
  status=0
  ssm_create "$name" "$NEW" SecureString "$CLUSTER_SECRETS_KEY" || status=$?
  case $status in
    0)
      log "${name}: made on this node, created as a SecureString (KMS key ${CLUSTER_SECRETS_KEY})"
      printf -v "$var" '%s' "$NEW"
      ;;
    1)
      log "${name}: another node created it first; using that one"
      ssm_get "$name" "$var" || return 1
      ;;
    *) return 1 ;;
  esac
  NEW=""
}

# write_encryption_config: the template with the key list of ENCRYPTION_KEYS, replaced in one move
# (the API server may read it at any time).
write_encryption_config() {
  local entry list="" text
  key_list "$ENCRYPTION_KEYS" || die "${SSM_ENCRYPTION_KEYS} does not hold a key list (${KEYS_FORMAT})"
  for entry in "${KEYS[@]}"; do
    [[ $entry =~ $KEY_ENTRY ]]
    list+="${list:+, }{name: \"${BASH_REMATCH[1]}\", secret: \"${BASH_REMATCH[2]}\"}"
  done
  text=$(<"$TEMPLATE")
  [[ $text == *__ENCRYPTION_KEYS__* ]] || die "${TEMPLATE#"$ROOT"} has no __ENCRYPTION_KEYS__"
  text=${text//__ENCRYPTION_KEYS__/"[${list}]"}
  mkdir -p "${CONFIG%/*}"
  chmod 700 "${CONFIG%/*}"
  (umask 077 && printf '%s\n' "$text" >"${CONFIG}.new")
  mv -f "${CONFIG}.new" "$CONFIG"
  log "wrote ${CONFIG#"$ROOT"} (${#KEYS[@]} key(s), the first encrypts)"
}

# write_service_account_key: sa.key (0600) and its public key sa.pub, where kubeadm keeps them.
write_service_account_key() {
  mkdir -p "$PKI"
  (umask 077 && printf '%s\n' "$SERVICE_ACCOUNT_KEY" >"${PKI}/sa.key.new")
  if ! openssl pkey -in "${PKI}/sa.key.new" -noout 2>/dev/null; then
    rm -f "${PKI}/sa.key.new"
    die "${SSM_SERVICE_ACCOUNT_KEY} does not hold a private key in PEM (see docs/security.md)"
  fi
  mv -f "${PKI}/sa.key.new" "${PKI}/sa.key"
  openssl pkey -in "${PKI}/sa.key" -pubout -out "${PKI}/sa.pub" 2>/dev/null
  chmod 644 "${PKI}/sa.pub"
  log "wrote ${PKI#"$ROOT"}/sa.key and sa.pub"
}

# ssm_get_known NAME VAR: ssm_get; a parameter SSM does not hold counts in MISSING. Fails only when
# SSM cannot be read.
ssm_get_known() {
  local status=0
  ssm_get "$1" "$2" || status=$?
  case $status in 0) return 0 ;; 1) MISSING=$((MISSING + 1)) && return 0 ;; *) return 1 ;; esac
}

# cluster_configuration: CLUSTER_CONFIGURATION is the cluster's kubeadm ClusterConfiguration
# (kube-system/kubeadm-config: what kubeadm join gives this node's API server), read before this node
# has credentials of its own, as kubeadm join's token discovery reads the cluster: the CA from
# kube-public/cluster-info (anonymous; kubeadm phases/bootstraptoken/clusterinfo), trusted only when
# its public key has the hash in join/ca-cert-hash (kubeadm util/pubkeypin: SHA-256 of the
# SubjectPublicKeyInfo), then the ConfigMap with the bootstrap token (kubeadm phases/uploadconfig:
# Role kubeadm:nodes-kubeadm-config). The token goes in a private kubeconfig, never on a command line.
cluster_configuration() {
  local endpoint token hash server info ca pin conf="${WORK}/bootstrap.conf" status=0
  ssm_get "$SSM_API_ENDPOINT" endpoint && ssm_get "$SSM_JOIN_TOKEN" token && ssm_get "$SSM_JOIN_CA_CERT_HASH" hash ||
    return 1
  server="https://${endpoint}:${API_SERVER_PORT}"
  : >"${WORK}/anonymous.conf"
  info=$(kubectl --kubeconfig "${WORK}/anonymous.conf" --server "$server" --insecure-skip-tls-verify \
    --namespace kube-public get configmap cluster-info -o 'jsonpath={.data.kubeconfig}') || return 1
  [[ $info =~ certificate-authority-data:[[:space:]]*([A-Za-z0-9+/=]+) ]] || return 1
  ca=${BASH_REMATCH[1]}
  pin=$(printf '%s' "$ca" | base64 -d | openssl x509 -pubkey -noout | openssl pkey -pubin -outform der | sha256sum)
  [[ sha256:${pin%% *} == "$hash" ]] ||
    die "the CA of kube-public/cluster-info at ${server} does not have the hash in ${SSM_JOIN_CA_CERT_HASH}"
  (umask 077 && printf '%s\n' "apiVersion: v1" "kind: Config" "current-context: bootstrap" \
    "clusters: [{name: cluster, cluster: {server: \"${server}\", certificate-authority-data: \"${ca}\"}}]" \
    "users: [{name: bootstrap, user: {token: \"${token}\"}}]" \
    "contexts: [{name: bootstrap, context: {cluster: cluster, user: bootstrap}}]" >"$conf")
  CLUSTER_CONFIGURATION=$(kubectl --kubeconfig "$conf" --namespace kube-system get configmap kubeadm-config \
    -o 'jsonpath={.data.ClusterConfiguration}') || status=$?
  rm -f "$conf"
  return "$status"
}

MISSING=0
case "${1:-}" in
  create)
    step "make or read the encryption keys (${SSM_ENCRYPTION_KEYS})"
    retry 5 10 "SSM parameter ${SSM_ENCRYPTION_KEYS}" obtain "$SSM_ENCRYPTION_KEYS" ENCRYPTION_KEYS new_encryption_keys
    step "make or read the service-account signing key (${SSM_SERVICE_ACCOUNT_KEY})"
    retry 5 10 "SSM parameter ${SSM_SERVICE_ACCOUNT_KEY}" obtain "$SSM_SERVICE_ACCOUNT_KEY" SERVICE_ACCOUNT_KEY \
      new_service_account_key
    ;;
  fetch | encryption-config)
    step "read the encryption keys (${SSM_ENCRYPTION_KEYS})"
    retry 5 10 "SSM parameter ${SSM_ENCRYPTION_KEYS}" ssm_get_known "$SSM_ENCRYPTION_KEYS" ENCRYPTION_KEYS
    if [[ $1 == fetch ]]; then
      step "read the service-account signing key (${SSM_SERVICE_ACCOUNT_KEY})"
      retry 5 10 "SSM parameter ${SSM_SERVICE_ACCOUNT_KEY}" \
        ssm_get_known "$SSM_SERVICE_ACCOUNT_KEY" SERVICE_ACCOUNT_KEY
    fi
    # Neither: a cluster created before the cluster secrets existed, whose API servers run without the
    # flags that need them (kubeadm join copies its sa.key, as it always did), or secrets lost: then
    # the API server kubeadm join starts here would exit at once for want of its configuration.
    if [[ $1 == fetch && $MISSING == 2 ]]; then
      step "read the cluster's kubeadm ClusterConfiguration (kube-system/kubeadm-config)"
      retry 5 10 "the kubeadm-config ConfigMap (kubeadm's ClusterConfiguration)" cluster_configuration
      [[ $CLUSTER_CONFIGURATION != *encryption-provider-config* ]] ||
        die "the cluster's API servers run with --encryption-provider-config (kube-system/kubeadm-config) but" \
          "neither cluster secret is in SSM under ${SSM_PREFIX}/secrets: restore both (docs/security.md) first"
      log "neither cluster secret is in SSM under ${SSM_PREFIX}/secrets: a cluster created without them;" \
        "joining as it was created (Secrets not encrypted at rest, kubeadm copies sa.key)"
      exit 0
    fi
    ((MISSING == 0)) || die "a cluster secret is missing in SSM under ${SSM_PREFIX}/secrets: the node that" \
      "creates a cluster publishes both before kubeadm init; restore it (docs/security.md)"
    ;;
  *) die "usage: ${SCRIPT} create|fetch|encryption-config" ;;
esac
step "write the encryption configuration"
write_encryption_config
if [[ $1 != encryption-config ]]; then
  step "write the service-account signing key"
  write_service_account_key
fi
