#!/bin/bash
# One test double for every command of the bootstrap scripts that reaches the network or changes
# the machine. The harness links it under each command's name into a directory that comes first
# on PATH. Every call is appended to $HARNESS_STATE/calls.log ("name arg arg ..."); behaviour comes
# from files under $HARNESS_STATE and from STUB_* variables:
#   STUB_FAIL          lines "name arg-prefix" or "name arg-prefix#N": a call whose "name args"
#                      starts with one fails (with #N: only the first N such calls)
#   STUB_DNS_FAILURES  lookups of the API name that fail before one succeeds ("always": never)
#   STUB_INSTANCE_TYPE the instance type IMDS reports (default t3.large)
#   STUB_LIFECYCLE     IMDS's instance-life-cycle (default on-demand)
#   STUB_ENI_LIMITS    what aws ec2 describe-instance-types prints for it (default "3<tab>12":
#                      maximum ENIs, IPv4 addresses per ENI); other types are unknown to EC2
#   ssm/<name>         SSM parameters (name with "/" as "%2F"); ssm-later/<name> appears after
#                      ssm-later/<name>.reads more reads, or when this node puts it
#   STUB_TARGET_GROUP_ARN  the API load balancer's target group (elbv2 register-targets)
#   STUB_ETCD_RUNNING  0: crictl finds no etcd container
#   STUB_ETCD_VERSION  etcdctl's version in the etcd image; STUB_ETCDUTL 1: the image has etcdutl
#   STUB_SNAPSHOT      good | corrupt (the SHA-256 at the end does not match) | empty
#   s3/<bucket>/<key>  S3 objects: the add-on bundle Terraform uploads, and what aws s3 cp uploads
#   apiserver/<path>   what the API server serves at <path> (kubectl get --raw)
#   STUB_ARCH          what dpkg --print-architecture prints (default amd64)
#   STUB_CONTAINERD    the containerd build apt installs from the pinned series (default 2.2.1-0ubuntu1~24.04.2)
#   STUB_CREDENTIAL_PROVIDER  the bytes artifacts.k8s.io serves for the ECR credential provider
#   K8S_ROOT/proc/uptime  the node's uptime, which sleep advances
#   dpkg/<package>     installed packages and their versions (apt-get install writes them)
#   ...and the state of stubs-lifecycle.sh (EC2 instances, the auto scaling group, etcd members, Nodes)
#   and stubs-kubernetes.sh (kubeadm and kubectl)
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

# The instance as IMDS reports it (STUB_INSTANCE_ID, STUB_NODE_NAME, STUB_NODE_IP: another one).
NODE_NAME=${STUB_NODE_NAME:-ip-172-31-8-10.ap-northeast-2.compute.internal}
NODE_IP=${STUB_NODE_IP:-172.31.8.10}
INSTANCE_ID=${STUB_INSTANCE_ID:-i-0a1b2c3d4e5f60718}
ETCD_CONTAINER=3f9d2c4be1a70e5d
ETCD_PKI=/etc/kubernetes/pki/etcd

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

# refuse MESSAGE...: the words as one line on stderr, exit 1 (as kubectl, kubeadm, crictl and aws fail).
refuse() {
  echo "$*" >&2
  exit 1
}

# Each part of the stub is read only for the commands it serves or whose answers need its functions:
# bash parses every line it reads, and a node's boot makes about a hundred stub calls.
serves() { [[ " $* " == *" ${name} "* ]]; }
# curl's URLs that a part answers: IMDS's target lifecycle state (stubs-lifecycle.sh) and the control
# plane's local health endpoints (stubs-maintenance.sh).
target_state() { [[ $name == curl && " $* " == *"/meta-data/autoscaling/target-lifecycle-state "* ]]; }
local_health() { [[ $name == curl && " $* " == *" https://127.0.0.1:"* ]]; }
# A command or function the stub calls that does not exist (a part not read for this call, a tool
# missing here) is a harness error, never an answer the scripts could take for a tool's failure: it
# is recorded in stub-errors, which fails the test (node.ts), and the call fails with 127.
command_not_found_handle() {
  printf 'stub %s: %s: command not found\n' "$name" "$1" >>"${state}/stub-errors"
  return 127
}
# The EC2, auto scaling, etcd membership and Node parts of the stub.
# shellcheck source=/dev/null
if serves aws crictl kubeadm kubectl || target_state "$@"; then . "${0%/*}/stubs-lifecycle.sh"; fi
# The API before a node has a kubeconfig of its own (kube-public/cluster-info, kubeadm-config).
# shellcheck source=/dev/null
if serves kubeadm kubectl; then . "${0%/*}/stubs-discovery.sh"; fi


# Writes what etcdctl snapshot save writes: the database (one 4 KiB page here), then its SHA-256.
write_snapshot() {
  local file=$1 sum i bytes=""
  mkdir -p "${file%/*}"
  if [[ ${STUB_SNAPSHOT:-good} == empty ]]; then : >"$file"; return; fi
  head -c 4096 /dev/zero | tr '\0' 'e' >"$file"
  sum=$(sha256sum "$file")
  sum=${sum%% *}
  if [[ ${STUB_SNAPSHOT:-good} == corrupt ]]; then sum=${sum//?/0}; fi
  for ((i = 0; i < 64; i += 2)); do bytes+="\\x${sum:i:2}"; done
  printf '%b' "$bytes" >>"$file"
}

# etcd_exec ID TOOL ARG...: etcdctl or etcdutl run in the etcd container (crictl exec --sync),
# which sees the node's /var/lib/etcd and the etcd certificates.
etcd_exec() {
  [[ $1 == "$ETCD_CONTAINER" ]] || { echo "crictl stub: no container $1" >&2; exit 1; }
  local tool=$2 version=${STUB_ETCD_VERSION:-3.6.4} arg file client certs
  local -a words=()
  shift 2
  for arg in "$@"; do [[ $arg == --* ]] || words+=("$arg"); done
  if [[ $tool == etcdutl && ${STUB_ETCDUTL:-0} != 1 ]]; then
    echo "exec: \"etcdutl\": executable file not found in \$PATH" >&2
    exit 1
  fi
  case "${words[*]:0:2}" in
    version) printf '%s version: %s\nAPI version: %s\n' "$tool" "$version" "${version%.*}" ;;
    "endpoint health" | "snapshot save")
      client=$(opt --endpoints "$@")
      if [[ ${words[0]} == endpoint && $client != https://127.0.0.1:2379 ]]; then
        # Another member (etcdctl/ctlv3/command/ep_command.go; printer_simple.go EndpointHealth).
        [[ " $* " == *" --cacert=${ETCD_PKI}/ca.crt --cert=${ETCD_PKI}/healthcheck-client.crt "* ]] ||
          { echo "etcdctl stub: not kubeadm's etcd client certificate" >&2; exit 1; }
        if answers "$client"; then echo "${client} is healthy: successfully committed proposal: took = 3ms"; exit 0; fi
        echo "${client} is unhealthy: failed to commit proposal: context deadline exceeded" >&2
        echo "Error: unhealthy cluster" >&2
        exit 1
      fi
      certs="--cacert=${ETCD_PKI}/ca.crt --cert=${ETCD_PKI}/healthcheck-client.crt"
      [[ " $* " == *" --endpoints=https://127.0.0.1:2379 ${certs} --key=${ETCD_PKI}/healthcheck-client.key "* ]] ||
        { echo "etcdctl stub: not the local member with kubeadm's etcd client certificate" >&2; exit 1; }
      if [[ ${words[0]} == endpoint ]]; then
        echo "https://127.0.0.1:2379 is healthy: successfully committed proposal: took = 2ms"
      else
        [[ ${words[2]} == /var/lib/etcd/* ]] || { echo "etcdctl stub: snapshot outside the data volume" >&2; exit 1; }
        write_snapshot "${root}${words[2]}"
        echo "Snapshot saved at ${words[2]}"
      fi
      ;;
    "member list" | "member remove")
      client="--cacert=${ETCD_PKI}/ca.crt --cert=${ETCD_PKI}/healthcheck-client.crt"
      [[ " $* " == *" ${client} --key=${ETCD_PKI}/healthcheck-client.key "* ]] ||
        { echo "etcdctl stub: not kubeadm's etcd client certificate" >&2; exit 1; }
      etcd_members "$(opt --endpoints "$@")" "${words[@]:1}"
      ;;
    "snapshot status")
      # etcdctl 3.6 has no snapshot status: cobra prints the help of "snapshot" and exits 0.
      if [[ $tool == etcdctl && $version != 3.[0-5].* ]]; then
        echo "Usage: etcdctl snapshot <subcommand> [flags]"
        exit 0
      fi
      file=${root}${words[2]}
      [[ -s $file ]] || { echo "Error: open ${words[2]}: no such file or directory" >&2; exit 1; }
      echo '{"hash":3025830264,"revision":48213,"totalKey":912,"totalSize":4096,"version":""}'
      ;;
    *) echo "etcd stub: unexpected '${tool} $*'" >&2; exit 2 ;;
  esac
}

# installed PACKAGE: prints the installed version, or fails as dpkg-query does for a package that is not installed.
installed() {
  [[ -f ${state}/dpkg/$1 ]] || { echo "dpkg-query: no packages found matching $1" >&2; return 1; }
  cat "${state}/dpkg/$1"
}

# Certificate renewal and upgrade commands answer first (stubs-maintenance.sh, beside this stub).
# shellcheck source=/dev/null
if serves crictl kubeadm kubectl || local_health "$@"; then . "${0%/*}/stubs-maintenance.sh"; fi

# kubeadm and kubectl (stubs-kubernetes.sh, beside this stub).
# shellcheck source=/dev/null
if serves kubeadm kubectl; then . "${0%/*}/stubs-kubernetes.sh"; fi

case $name in
  sleep)
    # Time passes: the node's uptime (K8S_ROOT/proc/uptime, as the scripts read it) advances.
    read -r up idle <"${root}/proc/uptime"
    printf '%s.00 %s\n' "$((${up%.*} + $1))" "$idle" >"${root}/proc/uptime"
    ;;
  swapoff | modprobe | sysctl | snap | systemctl) ;;

  timeout)
    # Recorded, then coreutils' own timeout bounds the command (it finds the stubs on PATH too).
    exec /usr/bin/timeout "$@"
    ;;

  apt-get)
    # install PKG or PKG=VERSION-GLOB: records what dpkg would then have (containerd from the pinned series).
    if [[ " $* " == *" install "* ]]; then
      mkdir -p "${state}/dpkg"
      # As apt: a held package that would change is an error unless --allow-change-held-packages.
      if [[ " $* " != *" --allow-change-held-packages "* ]]; then
        for arg in "$@"; do
          pkg=${arg%%=*}
          if [[ -f ${state}/dpkg/${pkg}.hold ]]; then
            echo "E: Held packages were changed and -y was used without --allow-change-held-packages." >&2
            exit 100
          fi
        done
      fi
      for arg in "$@"; do
        case $arg in
          -* | install) ;;
          containerd) echo "${STUB_CONTAINERD:-2.2.1-0ubuntu1~24.04.2}" >"${state}/dpkg/containerd" ;;
          *=*-\*) version=${arg#*=}; echo "${version%\*}1.1" >"${state}/dpkg/${arg%%=*}" ;;
          *=*.\*) version=${arg#*=}; echo "${version%\*}0-1.1" >"${state}/dpkg/${arg%%=*}" ;;
          *=*) echo "${arg#*=}" >"${state}/dpkg/${arg%%=*}" ;;
          *) echo "stub" >"${state}/dpkg/${arg}" ;;
        esac
      done
    fi
    ;;

  apt-mark)
    [[ $1 == hold ]] || { echo "apt-mark stub: unexpected '$*'" >&2; exit 2; }
    shift
    for pkg in "$@"; do
      installed "$pkg" >/dev/null || { echo "E: Unable to locate package ${pkg}" >&2; exit 100; }
      touch "${state}/dpkg/${pkg}.hold"
    done
    ;;

  dpkg-query)
    [[ $1 == -W && $2 == "-f=\${Version}" ]] || { echo "dpkg-query stub: unexpected '$*'" >&2; exit 2; }
    installed "$3"
    ;;

  dpkg)
    [[ $1 == --print-architecture ]] || { echo "dpkg stub: unexpected '$*'" >&2; exit 2; }
    echo "${STUB_ARCH:-amd64}"
    ;;

  gpg)
    out=$(opt -o "$@")
    echo "dearmored keyring" >"$out"
    ;;

  crictl)
    case $1 in
      ps) if [[ ${STUB_ETCD_RUNNING:-1} == 1 && " $* " == *" --name ^etcd\$ "* ]]; then echo "$ETCD_CONTAINER"; fi ;;
      exec)
        [[ $2 == --sync && $3 == --timeout && $4 =~ ^[0-9]+$ ]] || refuse "crictl stub: exec without --sync --timeout"
        shift 4
        etcd_exec "$@"
        ;;
      *) echo "crictl stub: unexpected '$*'" >&2; exit 2 ;;
    esac
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
          local-ipv4) printf '%s' "$NODE_IP" ;;
          placement/availability-zone) printf 'ap-northeast-2a' ;;
          instance-type) printf '%s' "${STUB_INSTANCE_TYPE:-t3.large}" ;;
          instance-life-cycle) printf '%s' "${STUB_LIFECYCLE:-on-demand}" ;;
          instance-id) printf '%s' "$INSTANCE_ID" ;;
          autoscaling/target-lifecycle-state) imds_target_state ;;
          *) exit 22 ;;
        esac
        ;;
      https://pkgs.k8s.io/core:/stable:/v*/deb/Release.key) echo "release key" >"$out" ;;
      https://artifacts.k8s.io/binaries/cloud-provider-aws/v*/linux/*/ecr-credential-provider-linux-*)
        printf '%s' "${STUB_CREDENTIAL_PROVIDER:-ecr-credential-provider ${url##*-}}" >"$out"
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
          if ((left > 0)); then
            echo $((left - 1)) >"${later}.reads"
          else
            mv "$later" "$file"
            rm -f "${later}.reads"
          fi
        fi
        [[ -f $file ]] || aws_error ParameterNotFound GetParameter "Parameter ${param} not found."
        cat "$file"
        echo
        ;;
      "ssm put-parameter")
        param=$(opt --name "$@")
        value=$(opt --value "$@")
        [[ $value == file://* ]] || { echo "aws stub: parameter value on the command line" >&2; exit 1; }
        file=$(ssm_file "$param")
        # A parameter that appears later (ssm-later/) is another writer's: it exists by the time this
        # node writes it.
        later="${state}/ssm-later/${file##*/}"
        if [[ -f $later ]]; then mv "$later" "$file"; rm -f "${later}.reads"; fi
        if [[ -f $file && " $* " != *" --overwrite "* ]]; then
          # SSM API reference, PutParameter errors: ParameterAlreadyExists.
          aws_error ParameterAlreadyExists PutParameter \
            "The parameter already exists. To overwrite this value, set the overwrite option in the request to true."
        fi
        cat "${value#file://}" >"$file"
        opt --type "$@" >"${file}.type"
        # The KMS key of a SecureString (--key-id; default the AWS managed key), as describe-parameters
        # reports it (KeyId), in ssm-key/<name>.
        if [[ $(opt --type "$@") == SecureString ]]; then
          mkdir -p "${state}/ssm-key"
          opt --key-id "$@" >"${state}/ssm-key/${file##*/}" || echo alias/aws/ssm >"${state}/ssm-key/${file##*/}"
        fi
        echo '{"Version": 1}'
        ;;
      "ssm delete-parameter" | "ec2 describe-instances" | "autoscaling "* | "cloudwatch put-metric-data" | \
        "elbv2 register-targets")
        aws_lifecycle "$@"
        ;;
      "ec2 describe-instance-types")
        type=$(opt --instance-types "$@")
        query='InstanceTypes[0].NetworkInfo.[MaximumNetworkInterfaces,Ipv4AddressesPerInterface]'
        [[ $(opt --query "$@") == "$query" && $(opt --output "$@") == text ]] ||
          { echo "aws stub: unexpected describe-instance-types query '$*'" >&2; exit 2; }
        [[ $type == "${STUB_INSTANCE_TYPE:-t3.large}" ]] || aws_error InvalidInstanceType DescribeInstanceTypes \
          "The following supplied instance types do not exist: [${type}]"
        printf '%s\n' "${STUB_ENI_LIMITS:-$'3\t12'}"
        ;;
      "s3 cp")
        if [[ $3 == --recursive ]]; then
          # Download of a prefix: every object below it; none is no error (as the real CLI).
          source=${*: -2:1}
          target=${*: -1}
          bucket=${source#s3://}
          bucket=${bucket%%/*}
          [[ -d ${state}/s3/${bucket} ]] || refuse "fatal error: An error occurred (NoSuchBucket) when calling" \
            "the ListObjectsV2 operation: The specified bucket does not exist"
          if [[ -d ${state}/s3/${source#s3://} ]]; then cp -r "${state}/s3/${source#s3://}." "$target"; fi
          exit 0
        fi
        # Every upload of the scripts names its encryption: SSE-KMS, or SSE-S3 for the public issuer bucket.
        [[ " $* " == *" --sse aws:kms "* || " $* " == *" --sse AES256 "* ]] ||
          { echo "aws stub: upload without --sse" >&2; exit 1; }
        source=${*: -2:1}
        target=${*: -1}
        [[ -s $source && $target == s3://* ]] || refuse "aws stub: cannot copy '${source}' to '${target}'"
        mkdir -p "${state}/s3/$(dirname "${target#s3://}")"
        cp "$source" "${state}/s3/${target#s3://}"
        ;;
      *) echo "aws stub: unexpected '$*'" >&2; exit 2 ;;
    esac
    ;;

  kubeadm) kubeadm_stub "$@" ;;
  kubectl) kubectl_stub "$@" ;;

  *) echo "stub: no behaviour for ${name}" >&2; exit 2 ;;
esac
