#!/usr/bin/env bash
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
CERT_KEY=0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0
CA_HASH=sha256:1111111111111111111111111111111111111111111111111111111111111111
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

# The EC2, auto scaling, etcd membership and Node parts of the stub.
# shellcheck source=/dev/null
. "${0%/*}/stubs-lifecycle.sh"
# The API before a node has a kubeconfig of its own (kube-public/cluster-info, kubeadm-config).
# shellcheck source=/dev/null
. "${0%/*}/stubs-discovery.sh"

# admin_conf CONFIG KEY: writes the admin kubeconfig as kubeadm does, its server the endpoint that
# KEY (controlPlaneEndpoint or apiServerEndpoint) names in the kubeadm configuration CONFIG.
admin_conf() {
  local endpoint
  endpoint=$(sed -n -E "s/^ *$2: \"?([^\"]+)\"?\$/\1/p" "$1")
  printf 'apiVersion: v1\nclusters:\n- cluster:\n    server: https://%s\n  name: k8s-cluster\n' "$endpoint" >"${root}/etc/kubernetes/admin.conf"
}

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
  local tool=$2 version=${STUB_ETCD_VERSION:-3.6.4} arg file client
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
      [[ " $* " == *" --endpoints=https://127.0.0.1:2379 --cacert=${ETCD_PKI}/ca.crt --cert=${ETCD_PKI}/healthcheck-client.crt --key=${ETCD_PKI}/healthcheck-client.key "* ]] ||
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
      if [[ $tool == etcdctl && $version != 3.[0-5].* ]]; then echo "Usage: etcdctl snapshot <subcommand> [flags]"; exit 0; fi
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

# The pause image kubeadm of a minor lists (kubernetes/kubernetes cmd/kubeadm/app/constants PauseVersion).
pause_for() {
  case $1 in
    v1.33.*) echo 3.10 ;;
    v1.34.* | v1.35.*) echo 3.10.1 ;;
    *) echo "kubeadm stub: unknown version $1" >&2; return 1 ;;
  esac
}

# Certificate renewal and upgrade commands answer first (stubs-maintenance.sh, beside this stub).
# shellcheck source=/dev/null
. "${0%/*}/stubs-maintenance.sh"

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
        [[ $2 == --sync && $3 == --timeout && $4 =~ ^[0-9]+$ ]] || { echo "crictl stub: exec without --sync --timeout" >&2; exit 1; }
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
        [[ $(opt --query "$@") == 'InstanceTypes[0].NetworkInfo.[MaximumNetworkInterfaces,Ipv4AddressesPerInterface]' && $(opt --output "$@") == text ]] ||
          { echo "aws stub: unexpected describe-instance-types query '$*'" >&2; exit 2; }
        if [[ $type != "${STUB_INSTANCE_TYPE:-t3.large}" ]]; then
          echo "An error occurred (InvalidInstanceType) when calling the DescribeInstanceTypes operation: The following supplied instance types do not exist: [${type}]" >&2
          exit 254
        fi
        printf '%s\n' "${STUB_ENI_LIMITS:-$'3\t12'}"
        ;;
      "s3 cp")
        if [[ $3 == --recursive ]]; then
          # Download of a prefix: every object below it; none is no error (as the real CLI).
          source=${*: -2:1}
          target=${*: -1}
          bucket=${source#s3://}
          bucket=${bucket%%/*}
          [[ -d ${state}/s3/${bucket} ]] || { echo "fatal error: An error occurred (NoSuchBucket) when calling the ListObjectsV2 operation: The specified bucket does not exist" >&2; exit 1; }
          if [[ -d ${state}/s3/${source#s3://} ]]; then cp -r "${state}/s3/${source#s3://}." "$target"; fi
          exit 0
        fi
        # Every upload of the scripts names its encryption: SSE-KMS, or SSE-S3 for the public issuer bucket.
        [[ " $* " == *" --sse aws:kms "* || " $* " == *" --sse AES256 "* ]] ||
          { echo "aws stub: upload without --sse" >&2; exit 1; }
        source=${*: -2:1}
        target=${*: -1}
        [[ -s $source && $target == s3://* ]] || { echo "aws stub: cannot copy '${source}' to '${target}'" >&2; exit 1; }
        mkdir -p "${state}/s3/$(dirname "${target#s3://}")"
        cp "$source" "${state}/s3/${target#s3://}"
        ;;
      *) echo "aws stub: unexpected '$*'" >&2; exit 2 ;;
    esac
    ;;

  kubeadm)
    mkdir -p "${root}/etc/kubernetes"
    # kube-apiserver exits at once when the audit policy or the encryption configuration its flags
    # name is missing (k8s.io/apiserver/pkg/server/options/audit.go and etcd.go read them at start):
    # its static pod never gets healthy and kubeadm's wait-control-plane phase fails. The cluster
    # configuration is the init's.
    apiserver_files_present() {
      local f
      while read -r f; do
        [[ -f ${root}${f} ]] || { echo "[wait-control-plane] kube-apiserver: open ${f}: no such file or directory" >&2; return 1; }
      done < <(grep -A1 -E '^ *- name: "?(audit-policy-file|encryption-provider-config)"?$' "$1" |
        sed -n 's/^ *value: "\{0,1\}\([^"]*\)"\{0,1\}$/\1/p')
    }
    # kubeadm's certs phase keeps an sa.key it can load and makes sa.key and sa.pub only when there
    # is none (kubernetes/kubernetes cmd/kubeadm/app/phases/certs/certs.go,
    # CreateServiceAccountKeyAndPublicKeyFiles: "Using the existing \"sa\" key").
    service_account_key() {
      local pki=${root}/etc/kubernetes/pki
      if [[ -f ${pki}/sa.key ]]; then
        openssl pkey -in "${pki}/sa.key" -noout 2>/dev/null || { echo "error: sa key existed but could not be loaded" >&2; return 1; }
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
    cluster_ca() {
      local ca="${state}/cluster-ca"
      if [[ ! -f ${ca}/ca.key ]]; then
        mkdir -p "$ca"
        openssl req -x509 -newkey rsa:2048 -nodes -keyout "${ca}/ca.key" -out "${ca}/ca.crt" -days 3650 \
          -subj /CN=kubernetes 2>/dev/null
      fi
      mkdir -p "${root}/etc/kubernetes/pki"
      cp "${ca}/ca.crt" "${ca}/ca.key" "${root}/etc/kubernetes/pki/"
    }
    case "$1" in
      certs) echo "$CERT_KEY" ;;
      version) echo "v$(installed kubeadm | sed 's/-.*//')" ;;
      config)
        [[ $2 == images && $3 == list && $4 == --kubernetes-version ]] || { echo "kubeadm stub: unexpected '$*'" >&2; exit 2; }
        pause=$(pause_for "$5") || exit 1
        printf 'registry.k8s.io/kube-apiserver:%s\nregistry.k8s.io/kube-controller-manager:%s\nregistry.k8s.io/kube-scheduler:%s\nregistry.k8s.io/kube-proxy:%s\nregistry.k8s.io/coredns/coredns:v1.12.1\nregistry.k8s.io/pause:%s\nregistry.k8s.io/etcd:3.6.6-0\n' "$5" "$5" "$5" "$5" "$pause"
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
    ;;

  kubectl)
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
          [[ -f $served ]] || { echo "Error from server (NotFound): the server could not find the requested resource" >&2; exit 1; }
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
        from=$(opt --from-file "$@")
        printf 'apiVersion: v1\nkind: ConfigMap\ndata:\n  cloud.conf: |\n'
        sed 's/^/    /' "${from#*=}"
        ;;
      wait | rollout) ;;
      cordon | drain) kubectl_node "$@" ;;
      *) echo "kubectl stub: unexpected '$*'" >&2; exit 2 ;;
    esac
    ;;

  *) echo "stub: no behaviour for ${name}" >&2; exit 2 ;;
esac
