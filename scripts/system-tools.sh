#!/usr/bin/env bash
# The Debian tools the system tier runs, installed with apt-get when one is missing: shellcheck
# (bootstrap scripts), cloud-init (cloud-config schema), yamllint (workflow), systemd-analyze
# from systemd (OnCalendar values checked as systemd parses them), and openssl (the keys the
# control-plane scripts make, the cluster CA the kubeadm stub makes, the certificates the bootstrap
# issues; Ubuntu's image has it).
# Run by `npm run test:system` (pretest:system) and by .ci/run. Terraform and the AWS provider
# mirror are not installed here: the system tier reports them in one line when missing.
set -euo pipefail

missing=()
for tool in shellcheck cloud-init yamllint systemd-analyze:systemd openssl; do
  command -v "${tool%%:*}" >/dev/null || missing+=("${tool##*:}")
done
if [ "${#missing[@]}" -eq 0 ]; then exit 0; fi

if ! command -v apt-get >/dev/null; then
  echo "the system tier needs ${missing[*]}: install them with your package manager, then run it again" >&2
  exit 1
fi
sudo=""
if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
echo "installing ${missing[*]} with apt-get (the system tier runs them)" >&2
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
