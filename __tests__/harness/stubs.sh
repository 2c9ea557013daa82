#!/usr/bin/env bash
# One test double for every command of the bootstrap scripts that reaches the network or changes
# the machine. The harness links it under each command's name into a directory that comes first
# on PATH. Every call is appended to $HARNESS_STATE/calls.log ("name arg arg ..."); behaviour comes
# from files under $HARNESS_STATE and from STUB_* variables:
#   STUB_FAIL          lines "name arg-prefix" or "name arg-prefix#N": a call whose "name args"
#                      starts with one fails (with #N: only the first N such calls)
#   STUB_DNS_FAILURES  lookups of the API name that fail before one succeeds ("always": never)
#   STUB_API_UP        1: https://<endpoint>:6443/livez answers
#   ssm/<name>         SSM parameters (name with "/" as "%2F"); ssm-later/<name> appears after
#                      ssm-later/<name>.reads more reads
set -euo pipefail
name=${0##*/}
state=${HARNESS_STATE:?HARNESS_STATE is not set}
root=${K8S_ROOT:?K8S_ROOT is not set}
printf '%s\n' "$name $*" >>"${state}/calls.log"

# Increments the counter KEY and prints its new value.
count() {
  local file="${state}/count.$1" n=0
  if [[ -f $file ]]; then n=$(<"$file"); fi
  n=$((n + 1))
  echo "$n" >"$file"
  echo "$n"
}

if [[ -n ${STUB_FAIL:-} ]]; then
  while IFS= read -r line; do
    pattern=${line%%#*}
    [[ -n $pattern && "$name $*" == "$pattern"* ]] || continue
    if [[ $line == *#* ]] && (($(count "fail-${pattern//[^a-z]/_}") > ${line##*#})); then continue; fi
    echo "${name}: injected failure" >&2
    exit 1
  done <<<"$STUB_FAIL"
fi

NODE_NAME=ip-172-31-8-10.ap-northeast-2.compute.internal
CERT_KEY=0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0
CA_HASH=sha256:1111111111111111111111111111111111111111111111111111111111111111

# Prints the value of option OPT (--opt VALUE, --opt=VALUE or -o VALUE) among the remaining args.
opt() {
  local want=$1
  shift
  while (($#)); do
    case $1 in
      "$want") echo "${2-}"; return 0 ;;
      "$want"=*) echo "${1#*=}"; return 0 ;;
    esac
    shift
  done
  return 1
}

ssm_file() { echo "${state}/ssm/${1//\//%2F}"; }

case $name in
  sleep | swapoff | modprobe | sysctl | apt-get | apt-mark | snap | systemctl) ;;

  gpg)
    out=$(opt -o "$@")
    echo "dearmored keyring" >"$out"
    ;;

  crictl)
    [[ $1 == pull && $2 == --creds && $3 == AWS:ecr-password ]] || { echo "crictl stub: pull without ECR credentials" >&2; exit 1; }
    ;;

  getent)
    failures=${STUB_DNS_FAILURES:-0}
    n=$(count dns)
    if [[ $failures == always ]] || ((n <= failures)); then exit 2; fi
    echo "172.31.0.10 $2"
    ;;

  curl)
    method=GET out="" url="" token=""
    while (($#)); do
      case $1 in
        -X) method=$2; shift ;;
        -o) out=$2; shift ;;
        --max-time) shift ;;
        -H) [[ $2 != X-aws-ec2-metadata-token:* ]] || token=${2#*: }; shift ;;
        http*) url=$1 ;;
      esac
      shift
    done
    case $url in
      http://169.254.169.254/latest/api/token)
        [[ $method == PUT ]] || exit 22
        printf 'imds-session-token'
        ;;
      http://169.254.169.254/latest/meta-data/*)
        # IMDSv2 only: a read without the session token is refused, as on a hardened instance.
        [[ $token == imds-session-token ]] || { echo "curl: (22) 401 Unauthorized" >&2; exit 22; }
        case ${url#*/meta-data/} in
          local-hostname) printf '%s' "$NODE_NAME" ;;
          local-ipv4) printf '172.31.8.10' ;;
          placement/availability-zone) printf 'ap-northeast-2a' ;;
          *) exit 22 ;;
        esac
        ;;
      https://*:6443/livez)
        [[ ${STUB_API_UP:-0} == 1 ]] || { echo "curl: (7) Failed to connect" >&2; exit 7; }
        echo ok
        ;;
      https://pkgs.k8s.io/core:/stable:/v*/deb/Release.key) echo "release key" >"$out" ;;
      https://raw.githubusercontent.com/aws/amazon-vpc-cni-k8s/*/config/master/aws-k8s-cni.yaml)
        printf 'apiVersion: apps/v1\nkind: DaemonSet\nmetadata:\n  name: aws-node\n' >"$out"
        ;;
      *) echo "curl stub: unexpected URL '${url}'" >&2; exit 6 ;;
    esac
    ;;

  aws)
    case "$1 $2" in
      "ssm get-parameter")
        param=$(opt --name "$@")
        file=$(ssm_file "$param")
        later="${state}/ssm-later/${file##*/}"
        if [[ -f $later ]]; then
          left=$(<"${later}.reads")
          if ((left > 0)); then echo $((left - 1)) >"${later}.reads"; else mv "$later" "$file"; rm -f "${later}.reads"; fi
        fi
        if [[ ! -f $file ]]; then
          echo "An error occurred (ParameterNotFound) when calling the GetParameter operation: Parameter ${param} not found." >&2
          exit 254
        fi
        cat "$file"
        echo
        ;;
      "ssm put-parameter")
        param=$(opt --name "$@")
        value=$(opt --value "$@")
        [[ $value == file://* ]] || { echo "aws stub: parameter value on the command line" >&2; exit 1; }
        file=$(ssm_file "$param")
        cat "${value#file://}" >"$file"
        opt --type "$@" >"${file}.type"
        echo '{"Version": 1}'
        ;;
      "ecr get-login-password") echo ecr-password ;;
      *) echo "aws stub: unexpected '$*'" >&2; exit 2 ;;
    esac
    ;;

  kubeadm)
    mkdir -p "${root}/etc/kubernetes"
    case "$1" in
      certs) echo "$CERT_KEY" ;;
      version) echo v1.35.1 ;;
      init)
        if [[ $2 == phase ]]; then exit 0; fi
        cp "$(opt --config "$@")" "${state}/kubeadm-init.yaml"
        touch "${root}/etc/kubernetes/admin.conf" "${root}/etc/kubernetes/kubelet.conf"
        ;;
      join)
        config=$(opt --config "$@")
        cp "$config" "${state}/kubeadm-join.yaml"
        touch "${root}/etc/kubernetes/kubelet.conf"
        if grep -q '^controlPlane:' "$config"; then touch "${root}/etc/kubernetes/admin.conf"; fi
        ;;
      token)
        echo "kubeadm join api.example:6443 --token abcdef.0123456789abcdef --discovery-token-ca-cert-hash ${CA_HASH} "
        ;;
      reset) rm -f "${root}/etc/kubernetes/admin.conf" "${root}/etc/kubernetes/kubelet.conf" ;;
      *) echo "kubeadm stub: unexpected '$*'" >&2; exit 2 ;;
    esac
    ;;

  kubectl)
    [[ ${KUBECONFIG:-} == "${root}/etc/kubernetes/admin.conf" && -f $KUBECONFIG ]] ||
      { echo "kubectl stub: KUBECONFIG is not the admin kubeconfig of a control plane" >&2; exit 1; }
    case $1 in
      apply)
        source=$(opt -k "$@" || opt -f "$@")
        n=$(count apply)
        mkdir -p "${state}/applied"
        cp -r "$source" "${state}/applied/${n}-${source##*/}"
        ;;
      create)
        from=$(opt --from-file "$@")
        printf 'apiVersion: v1\nkind: ConfigMap\ndata:\n  cloud.conf: |\n'
        sed 's/^/    /' "${from#*=}"
        ;;
      wait) ;;
      *) echo "kubectl stub: unexpected '$*'" >&2; exit 2 ;;
    esac
    ;;

  *) echo "stub: no behaviour for ${name}" >&2; exit 2 ;;
esac
