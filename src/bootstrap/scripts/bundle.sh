#!/usr/bin/env bash
# Sourced by k8s-bootstrap on control-plane nodes (only their user data carries it), after lib.sh:
# fetches the cluster bundle named by BUNDLE_DIGEST from the assets bucket, checks it, and installs
# its node files (node/INSTALL), among them control-plane.sh and control-plane-boot.sh, which
# k8s-bootstrap sources next.
BUNDLE="${ROOT}/var/lib/k8s-bootstrap/bundle/${BUNDLE_DIGEST:-none}"

# bundle_ok DIR: DIR holds the bundle named by BUNDLE_DIGEST, every file as its SHA256SUMS says.
bundle_ok() {
  sha256_is "$BUNDLE_DIGEST" "${1}/SHA256SUMS" || return 1
  (cd "$1" && sha256sum -c --quiet --strict SHA256SUMS)
}

# fetch_bundle: the cluster bundle named by BUNDLE_DIGEST into BUNDLE, complete and unchanged, or
# failure. Downloaded beside it and moved in only once checked: a copy already here stays usable
# (a re-run after a later apply replaced the bundle in S3).
fetch_bundle() {
  local next="${BUNDLE}.download"
  rm -rf "$next"
  mkdir -p "$next"
  aws s3 cp --recursive --only-show-errors "s3://${ASSETS_BUCKET}/addons/${BUNDLE_DIGEST}/" "${next}/" || return 1
  if ! bundle_ok "$next"; then
    log "s3://${ASSETS_BUCKET}/addons/${BUNDLE_DIGEST}/ is missing, incomplete or not the bundle this node was made for"
    return 1
  fi
  rm -rf "$BUNDLE"
  mv "$next" "$BUNDLE"
}

# install_node_files: the control-plane files of the bundle (node/INSTALL: "<mode> <path>").
install_node_files() {
  local mode target
  while read -r mode target; do
    [[ $mode =~ ^0[0-7]{3}$ && $target =~ ^/[A-Za-z0-9._@/-]+$ && $target != *..* ]] ||
      die "node/INSTALL of the bundle has a bad line: ${mode} ${target}"
    install -D -m "$mode" "${BUNDLE}/node${target}" "${ROOT}${target}"
  done <"${BUNDLE}/node/INSTALL"
  systemctl daemon-reload
}

# install_bundle: the bundle fetched (unless a checked copy is here), its files installed, and the
# termination watcher started.
install_bundle() {
  step "fetch the cluster bundle ${BUNDLE_DIGEST:0:12}"
  if bundle_ok "$BUNDLE"; then
    log "the bundle is here already, unchanged: ${BUNDLE}"
  else
    retry 30 10 "SSM parameter ${SSM_ASSETS_BUCKET}" ssm_get "$SSM_ASSETS_BUCKET" ASSETS_BUCKET
    retry 10 15 "cluster bundle s3://${ASSETS_BUCKET}/addons/${BUNDLE_DIGEST}/ (every file as its SHA256SUMS says)" \
      fetch_bundle
  fi
  step "install the control-plane files of the bundle"
  install_node_files
  # From now on a termination by the auto scaling group drains the node first (even a failed boot).
  systemctl enable --now k8s-termination-watch.service
}
