#!/usr/bin/env bash
# The pod identity webhook's serving certificate (src/addons/pod-identity-webhook.ts): an ECDSA
# P-256 key and a certificate for pod-identity-webhook.kube-system.svc (the name the API server
# calls it by), signed by the cluster CA on this control-plane node, kept in the Secret
# kube-system/pod-identity-webhook-cert that the webhook mounts (it reloads the files itself). The
# webhook's caBundle is that CA, so nothing else needs to trust it. It is valid as long as the CA
# (kubeadm makes the CA for 10 years and never renews it): a certificate cannot outlive the CA that
# signs it (it ends a day before the CA), and replacing the CA is a cluster-wide procedure after
# which this runs again. Every control-plane node runs it when it boots and keeps the Secret's
# certificate while the current CA verifies it and it has more than RENEW_DAYS left; otherwise it
# issues a new one. The key is made here and goes only into the Secret.
set -euo pipefail
set -o errtrace
# shellcheck source=/dev/null
. "${K8S_ROOT:-}/usr/local/lib/k8s-bootstrap/lib.sh"

export KUBECONFIG="${ROOT}/etc/kubernetes/admin.conf"
PKI="${ROOT}/etc/kubernetes/pki"
NAMESPACE=kube-system
SECRET=pod-identity-webhook-cert
HOST="pod-identity-webhook.${NAMESPACE}.svc"
RENEW_DAYS=30

# current_certificate FILE: the Secret's tls.crt into FILE; fails when there is no such Secret.
current_certificate() {
  local data
  data=$(kubectl get secret "$SECRET" -n "$NAMESPACE" -o 'jsonpath={.data.tls\.crt}') || return 1
  [[ -n $data ]] && base64 -d <<<"$data" >"$1"
}

step "check the webhook's serving certificate"
if current_certificate "${WORK}/current.crt" &&
  openssl verify -CAfile "${PKI}/ca.crt" "${WORK}/current.crt" >/dev/null 2>&1 &&
  openssl x509 -noout -checkend $((RENEW_DAYS * 86400)) -in "${WORK}/current.crt" >/dev/null; then
  log "done: ${NAMESPACE}/${SECRET} holds a certificate of this CA valid for more than ${RENEW_DAYS} days"
  exit 0
fi

step "issue a certificate for ${HOST}, signed by the cluster CA"
CA_END=$(date -u -d "$(openssl x509 -noout -enddate -in "${PKI}/ca.crt" | cut -d= -f2)" +%s)
# Whole days, one short of the CA's end: openssl counts from the second it signs.
DAYS=$(((CA_END - $(date -u +%s)) / 86400 - 1))
((DAYS > RENEW_DAYS)) || die "the cluster CA expires in ${DAYS} days; renew the CA first (docs/certificates.md)"
openssl ecparam -name prime256v1 -genkey -noout -out "${WORK}/tls.key"
openssl req -new -key "${WORK}/tls.key" -subj "/CN=${HOST}" -out "${WORK}/tls.csr"
printf 'subjectAltName=DNS:%s\nextendedKeyUsage=serverAuth\nkeyUsage=critical,digitalSignature\n' "$HOST" \
  >"${WORK}/ext"
openssl x509 -req -in "${WORK}/tls.csr" -CA "${PKI}/ca.crt" -CAkey "${PKI}/ca.key" -CAcreateserial \
  -CAserial "${WORK}/ca.srl" -days "$DAYS" -sha256 -extfile "${WORK}/ext" -out "${WORK}/tls.crt" 2>/dev/null

step "store it in ${NAMESPACE}/${SECRET}"
cat >"${WORK}/secret.yaml" <<YAML
apiVersion: v1
kind: Secret
type: kubernetes.io/tls
metadata:
  name: ${SECRET}
  namespace: ${NAMESPACE}
data:
  tls.crt: $(base64 -w0 "${WORK}/tls.crt")
  tls.key: $(base64 -w0 "${WORK}/tls.key")
YAML
retry 10 15 "server-side apply of ${NAMESPACE}/${SECRET}" \
  kubectl apply --server-side --force-conflicts --field-manager=k8s-bootstrap -f "${WORK}/secret.yaml"
log "done: ${NAMESPACE}/${SECRET} holds a new certificate for ${HOST}, valid ${DAYS} days" \
  "(until a day before the CA expires)"
