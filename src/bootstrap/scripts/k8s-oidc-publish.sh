#!/usr/bin/env bash
# Publishes the service-account issuer of workload identity: the OIDC discovery document and the
# JSON Web Key Set this node's API server serves (/.well-known/openid-configuration,
# /openid/v1/jwks) go to the issuer bucket under the same paths, where AWS STS reads them
# (src/aws/workload-identity.ts). Run by every control-plane node once it has joined or created the
# cluster; every node serves the same documents (one signing key for all), so a second upload
# writes the same bytes again. Only public material leaves the node: a key set with a private
# member (RFC 7518 section 6.3.2: d, p, q, dp, dq, qi, oth; section 6.4: k) or a PEM private key,
# or documents of another issuer, are refused and nothing is uploaded. Keys first, then the
# document that points to them.
set -euo pipefail
set -o errtrace
# shellcheck source=/dev/null
. "${K8S_ROOT:-}/usr/local/lib/k8s-bootstrap/lib.sh"

export KUBECONFIG="${ROOT}/etc/kubernetes/admin.conf"
[[ -n ${OIDC_BUCKET:-} && -n ${OIDC_ISSUER:-} ]] ||
  die "OIDC_BUCKET and OIDC_ISSUER are not set in ${ROOT}/etc/k8s-bootstrap/env"
DISCOVERY_KEY=.well-known/openid-configuration
JWKS_KEY=openid/v1/jwks
DIR=$WORK

# get_raw PATH FILE: what the API server serves at PATH, into FILE.
get_raw() { kubectl get --raw "$1" >"$2"; }

step "read the issuer's documents from this node's API server"
retry 10 10 "the API server's discovery document" get_raw "/${DISCOVERY_KEY}" "${DIR}/discovery"
retry 10 10 "the API server's key set" get_raw "/${JWKS_KEY}" "${DIR}/jwks"

step "check that they are ${OIDC_ISSUER}'s and public"
# kube-apiserver writes both as compact JSON (pkg/serviceaccount/openidmetadata.go json.Marshal).
grep -qF "\"issuer\":\"${OIDC_ISSUER}\"" "${DIR}/discovery" ||
  die "the API server's discovery document names another issuer than ${OIDC_ISSUER}"
grep -qF "\"jwks_uri\":\"${OIDC_ISSUER}/${JWKS_KEY}\"" "${DIR}/discovery" ||
  die "the API server's discovery document points to other keys than ${OIDC_ISSUER}/${JWKS_KEY}"
grep -q '"keys":\[{' "${DIR}/jwks" || die "the API server's key set holds no keys"
if grep -Eq '"(d|p|q|dp|dq|qi|oth|k)":' "${DIR}/jwks" "${DIR}/discovery" ||
  grep -q 'PRIVATE KEY' "${DIR}/jwks" "${DIR}/discovery"; then
  die "the API server's documents hold private key material; nothing is published"
fi

step "publish them to s3://${OIDC_BUCKET}"
UPLOAD=(aws s3 cp --sse AES256 --content-type application/json --only-show-errors)
retry 5 10 "upload of the key set" "${UPLOAD[@]}" "${DIR}/jwks" "s3://${OIDC_BUCKET}/${JWKS_KEY}"
retry 5 10 "upload of the discovery document" "${UPLOAD[@]}" "${DIR}/discovery" "s3://${OIDC_BUCKET}/${DISCOVERY_KEY}"
log "done: ${OIDC_ISSUER}/${DISCOVERY_KEY} and ${OIDC_ISSUER}/${JWKS_KEY} published"
