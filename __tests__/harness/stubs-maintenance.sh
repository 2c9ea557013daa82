# shellcheck shell=bash
# shellcheck disable=SC2154 # state, root and name are set by stubs.sh, which sources this file.
# The commands of certificate renewal and in-place upgrades (k8s-cert-renew, k8s-upgrade, lease.sh),
# sourced by stubs.sh before its own dispatch: a call handled here exits, any other returns to
# stubs.sh. Each behaves as the upstream code named at it, in what the scripts rely on. State under
# $HARNESS_STATE:
#   pki                the node's kubeadm certificates, one per line: "<list> <name> <expirationDate>
#                      <externallyManaged> <missing>", list certificates or certificateAuthorities;
#                      issued by kubeadm init and kubeadm join with a controlPlane section
#   cluster-version    kubernetesVersion of the kubeadm-config ConfigMap (init, join; upgrade apply)
#   containers/<name>  the running container of static pod <name>; crictl stop makes the kubelet
#                      start a new one
#   leases/<name>      a Lease: "holderIdentity|renewTime|leaseDurationSeconds|resourceVersion",
#                      and leases/<name>.yaml the last manifest the API accepted for it;
#                      leases/<name>.race: a holder that takes the Lease right after the next read
#   cordoned           the node is cordoned (kubectl drain, until kubectl uncordon)
#   images/<daemonset> the image kubectl set image gave the DaemonSet's container

CONTROL_PLANE_PODS=" kube-apiserver kube-controller-manager kube-scheduler etcd "
LEASES=leases.coordination.k8s.io
KUBEADM_CONFIG=ClusterConfiguration

MICROTIME='^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{6}Z$'

# in_days N: the time N days from now, as kubeadm's JSON writes it (metav1.Time: RFC 3339, UTC).
in_days() { date -u -d "@$(($(date -u +%s) + $1 * 86400))" +%Y-%m-%dT%H:%M:%SZ; }

# issue_pki init|join: the certificates kubeadm makes (cmd/kubeadm/app/phases/certs/renewal/manager.go
# lists them; kubeadm certs check-expiration prints them in this order): one year, the CAs ten.
# super-admin.conf exists only on the node that ran kubeadm init; a joining node gets the CAs of
# the cluster.
issue_pki() {
  local cert super
  super="$(in_days 365) false false"
  if [[ $1 == join ]]; then super="<nil> false true"; fi
  {
    for cert in admin.conf apiserver apiserver-etcd-client apiserver-kubelet-client controller-manager.conf \
      etcd-healthcheck-client etcd-peer etcd-server front-proxy-client scheduler.conf; do
      echo "certificates ${cert} $(in_days 365) false false"
    done
    echo "certificates super-admin.conf ${super}"
    for cert in ca etcd-ca front-proxy-ca; do echo "certificateAuthorities ${cert} $(in_days 3650) false false"; done
  } >"${state}/pki"
}

# renew_pki NAME...: kubeadm certs renew (cmd/kubeadm/app/cmd/certs.go renewCert): a missing
# certificate is reported, an externally managed one is left, the others last one year from now.
renew_pki() {
  local list cert expires external missing all=" $* " out=""
  while read -r list cert expires external missing; do
    if [[ $list == certificates && ($all == " all " || $all == *" ${cert} "*) ]]; then
      if [[ $missing == true ]]; then
        echo "MISSING! ${cert}"
      elif [[ $external == true ]]; then
        echo "Detected external CA, ${cert} can't be renewed"
      else
        expires=$(in_days 365)
        echo "${cert} renewed"
      fi
    fi
    out+="${list} ${cert} ${expires} ${external} ${missing}"$'\n'
  done <"${state}/pki"
  printf '%s' "$out" >"${state}/pki"
}

# jsonpath TEMPLATE: TEMPLATE as client-go's util/jsonpath executes it against the object whose
# fields are in FIELDS (path without the leading dot -> value), appended to OUT: {.path} (a missing
# key prints nothing: kubectl and kubeadm allow missing template keys), {"text"} with escapes,
# literal text. {range .LIST[*]}BODY{end} runs BODY once per line of RANGE_ITEMS[LIST], whose
# "<name> <expirationDate> <externallyManaged> <missing>" become .name, .expirationDate,
# .externallyManaged and .missing (the fields of kubeadm's output/v1alpha3 Certificate).
jsonpath() {
  local t=$1 piece body item
  while [[ -n $t ]]; do
    if [[ $t =~ ^\{range\ \.([A-Za-z]+)\[\*\]\}(.*)$ ]]; then
      body=${BASH_REMATCH[2]%%\{end\}*}
      t=${BASH_REMATCH[2]#*\{end\}}
      while read -r item; do
        [[ -n $item ]] || continue
        read -r "FIELDS[name]" "FIELDS[expirationDate]" "FIELDS[externallyManaged]" "FIELDS[missing]" <<<"$item"
        jsonpath "$body"
      done <<<"${RANGE_ITEMS[${BASH_REMATCH[1]}]-}"
    elif [[ $t =~ ^\{\"(([^\"\\]|\\.)*)\"\}(.*)$ ]]; then
      printf -v piece '%b' "${BASH_REMATCH[1]}"
      OUT+=$piece
      t=${BASH_REMATCH[3]}
    elif [[ $t =~ ^\{\.([A-Za-z0-9_.]+)\}(.*)$ ]]; then
      OUT+=${FIELDS[${BASH_REMATCH[1]}]-}
      t=${BASH_REMATCH[2]}
    elif [[ $t =~ ^([^{]+)(.*)$ ]]; then
      OUT+=${BASH_REMATCH[1]}
      t=${BASH_REMATCH[2]}
    else
      echo "jsonpath stub: unsupported template at '${t}'" >&2
      exit 1
    fi
  done
}

# version_minor V: 35 of v1.35.8.
version_minor() {
  local rest=${1#*.}
  echo "${rest%%.*}"
}
kubeadm_version() { installed kubeadm | sed 's/-.*//'; }
cluster_version() { cat "${state}/cluster-version"; }

# upgrade_policy TARGET: kubeadm's version skew checks before an upgrade
# (cmd/kubeadm/app/phases/upgrade/policy.go EnforceVersionPolicies); without --force, skippable
# errors stop it too.
upgrade_policy() {
  local new=${1#v} cluster kubeadm
  local -a errors=()
  cluster=$(cluster_version)
  kubeadm=$(kubeadm_version)
  if (($(version_minor "$new") > $(version_minor "$cluster") + 1)); then
    errors+=("Specified version to upgrade to \"$1\" is too high; kubeadm can upgrade only 1 minor version at a time")
  fi
  if (($(version_minor "$new") < $(version_minor "$cluster") - 1)); then
    errors+=("Specified version to downgrade to \"$1\" is too low;"
      "kubeadm can downgrade only 1 minor version at a time")
  fi
  if [[ $kubeadm != "$new" && $(printf '%s\n' "$kubeadm" "$new" | sort -V | head -n1) == "$kubeadm" ]]; then
    if (($(version_minor "$new") > $(version_minor "$kubeadm"))); then
      errors+=("Specified version to upgrade to \"$1\" is at least one minor release higher than"
        "the kubeadm minor release")
    else
      errors+=("Specified version to upgrade to \"$1\" is higher than the kubeadm version \"v${kubeadm}\"")
    fi
  fi
  if (($(version_minor "$kubeadm") > $(version_minor "$new"))); then
    errors+=("Kubeadm version v${kubeadm} can only be used to upgrade to Kubernetes version"
      "1.$(version_minor "$kubeadm")")
  fi
  ((${#errors[@]} == 0)) && return 0
  printf '[upgrade/version] FATAL: the --version argument is invalid due to these errors:\n\n' >&2
  printf '\t- %s\n' "${errors[@]}" >&2
  exit 1
}

# container_of NAME: the running container of static pod NAME (a fixed id until crictl stop).
container_of() {
  if [[ -f ${state}/containers/$1 ]]; then
    cat "${state}/containers/$1"
  elif [[ $1 == etcd ]]; then
    echo "$ETCD_CONTAINER"
  else
    printf '%s' "$1" | sha256sum | cut -c1-16
  fi
}

# lease_field FILE KEY: the value of KEY in a Lease manifest as lease.sh writes it.
lease_field() { sed -n -E "s/^ *$2: *\"?([^\"]*)\"?\$/\1/p" "$1" | head -n1; }

# admin_authorized: kubectl's client certificate (admin.conf) has not expired.
admin_authorized() {
  local expires
  [[ -f ${state}/pki ]] || return 0
  expires=$(sed -n -E 's/^certificates admin\.conf ([^ ]+) .*/\1/p' "${state}/pki")
  (($(date -u -d "$expires" +%s) > $(date -u +%s)))
}

# lease_write NAME FILE VERB: what the API does with a Lease manifest on create or replace.
lease_write() {
  local lease=${state}/leases/$1 file=$2 verb=$3 holder renew acquire duration version stored
  [[ $(lease_field "$file" kind) == Lease && $(lease_field "$file" apiVersion) == coordination.k8s.io/v1 ]] ||
    { echo "kubectl stub: ${file} is not a coordination.k8s.io/v1 Lease" >&2; exit 1; }
  holder=$(lease_field "$file" holderIdentity)
  renew=$(lease_field "$file" renewTime)
  acquire=$(lease_field "$file" acquireTime)
  duration=$(lease_field "$file" leaseDurationSeconds)
  version=$(lease_field "$file" resourceVersion)
  # metav1.MicroTime parses RFC3339Micro only; validation wants a positive duration.
  for stored in "$renew" "$acquire"; do
    [[ $stored =~ $MICROTIME ]] || {
      refuse "Error from server (BadRequest): error when ${verb%e}ing \"${file}\":" \
        "Lease in version \"v1\" cannot be handled as a Lease: parsing time \"${stored}\""
    }
  done
  [[ $duration =~ ^[1-9][0-9]*$ ]] || {
    refuse "The Lease \"$1\" is invalid:" \
      "spec.leaseDurationSeconds: Invalid value: ${duration}: must be greater than 0"
  }
  if [[ $verb == create && -f $lease ]]; then
    refuse "Error from server (AlreadyExists): error when creating \"${file}\": ${LEASES} \"$1\" already exists"
  fi
  if [[ $verb == replace ]]; then
    [[ -f $lease ]] ||
      refuse "Error from server (NotFound): error when replacing \"${file}\": ${LEASES} \"$1\" not found"
    IFS='|' read -r _ _ _ stored <"$lease"
    if [[ -n $version && $version != "$stored" ]]; then
      refuse "Error from server (Conflict): error when replacing \"${file}\": Operation cannot be fulfilled on" \
        "${LEASES} \"$1\": the object has been modified; please apply your changes to the latest version and try again"
    fi
  fi
  mkdir -p "${state}/leases"
  printf '%s|%s|%s|%s\n' "$holder" "$renew" "$duration" "$(count lease-version)" >"$lease"
  cp "$file" "${lease}.yaml"
  echo "lease.coordination.k8s.io/$1 ${verb%e}ed"
}

# kubectl_maintenance ARGS...: kubectl's answers for what the maintenance scripts ask (a kubectl
# with --kubeconfig first, as they call it); returns for anything else.
kubectl_maintenance() {
  local kubeconfig="" namespace=default file lease holder renew duration version now
  local -A FIELDS=()
  while [[ ${1:-} == --kubeconfig || ${1:-} == --namespace || ${1:-} == -n ]]; do
    if [[ $1 == --kubeconfig ]]; then kubeconfig=$2; else namespace=$2; fi
    shift 2
  done
  [[ -n $kubeconfig ]] || return 0
  # The kubelet's kubeconfig (a node reading its own Node) is the main stub's business.
  [[ $kubeconfig != "${root}/etc/kubernetes/kubelet.conf" ]] || return 0
  [[ $kubeconfig == "${root}/etc/kubernetes/admin.conf" && -f $kubeconfig ]] ||
    { echo "kubectl stub: the kubeconfig is not the admin kubeconfig of a control plane" >&2; exit 1; }
  admin_authorized || { echo "error: You must be logged in to the server (Unauthorized)" >&2; exit 1; }
  case "$1 ${2:-}" in
    "create -f" | "replace -f")
      file=$3
      [[ $(lease_field "$file" kind) == Lease ]] || return 0
      [[ $namespace == kube-system && $(lease_field "$file" namespace) == kube-system ]] ||
        { echo "kubectl stub: the Lease is not in kube-system" >&2; exit 1; }
      lease_write "$(lease_field "$file" name)" "$file" "$1"
      ;;
    "get lease")
      lease=${state}/leases/$3
      [[ -f $lease ]] || refuse "Error from server (NotFound): ${LEASES} \"$3\" not found"
      [[ $4 == -o && $5 == jsonpath=* ]] || { echo "kubectl stub: unexpected '$*'" >&2; exit 2; }
      IFS='|' read -r holder renew duration version <"$lease"
      if [[ -f ${lease}.race ]]; then
        # Written after this read: the reader gets the Lease as it was.
        now=$(date -u +%Y-%m-%dT%H:%M:%S.%6NZ)
        printf '%s|%s|%s|%s\n' "$(<"${lease}.race")" "$now" 3600 "$(count lease-version)" >"$lease"
        rm -f "${lease}.race"
      fi
      FIELDS=([metadata.name]=$3 [spec.holderIdentity]=$holder [spec.renewTime]=$renew
        [spec.leaseDurationSeconds]=$duration [metadata.resourceVersion]=$version)
      OUT=""
      jsonpath "${5#jsonpath=}"
      printf '%s' "$OUT"
      ;;
    "get configmap")
      [[ $3 == kubeadm-config && $namespace == kube-system && "$4 $5" == "-o jsonpath={.data.${KUBEADM_CONFIG}}" ]] ||
        { echo "kubectl stub: unexpected '$*'" >&2; exit 2; }
      printf 'apiServer: {}\napiVersion: kubeadm.k8s.io/v1beta4\nclusterName: k8s-cluster\n'
      printf 'kind: ClusterConfiguration\nkubernetesVersion: v%s\n' "$(cluster_version)"
      ;;
    "drain "*)
      [[ " $* " == *" --ignore-daemonsets "* ]] ||
        refuse "error: unable to drain node \"$2\" due to error:" \
          "cannot delete DaemonSet-managed Pods (use --ignore-daemonsets to ignore)"
      touch "${state}/cordoned"
      printf 'node/%s cordoned\nnode/%s drained\n' "$2" "$2"
      ;;
    "uncordon "*)
      rm -f "${state}/cordoned"
      echo "node/$2 uncordoned"
      ;;
    "set image")
      [[ $3 == daemonset/* && $4 == *=* ]] || { echo "kubectl stub: unexpected '$*'" >&2; exit 2; }
      mkdir -p "${state}/images"
      echo "${4#*=}" >"${state}/images/${3#daemonset/}"
      echo "daemonset.apps/${3#daemonset/} image updated"
      ;;
    *) return 0 ;;
  esac
  exit 0
}

case $name in
  kubeadm)
    case "$1 ${2:-}" in
      "init --config")
        issue_pki init
        kubeadm_version >"${state}/cluster-version"
        ;;
      "join --config")
        if grep -q '^controlPlane:' "$3"; then
          issue_pki join
          kubeadm_version >"${state}/cluster-version"
        fi
        ;;
      "reset -f") rm -f "${state}/pki" ;;
      "certs check-expiration")
        [[ $3 == -o && $4 == jsonpath=* ]] || { echo "kubeadm stub: unexpected '$*'" >&2; exit 2; }
        declare -A RANGE_ITEMS=() FIELDS=()
        if [[ -f ${state}/pki ]]; then
          RANGE_ITEMS[certificates]=$(sed -n 's/^certificates //p' "${state}/pki")
          RANGE_ITEMS[certificateAuthorities]=$(sed -n 's/^certificateAuthorities //p' "${state}/pki")
        fi
        OUT=""
        jsonpath "${4#jsonpath=}"
        printf '%s' "$OUT"
        exit 0
        ;;
      "certs renew")
        [[ -f ${state}/pki ]] || { echo "kubeadm stub: no PKI on this node" >&2; exit 1; }
        renew_pki "$3"
        if [[ $3 == all ]]; then
          printf '\n%s %s\n' "Done renewing certificates. You must restart the kube-apiserver," \
            "kube-controller-manager, kube-scheduler and etcd, so that they can use the new certificates."
        fi
        exit 0
        ;;
      "upgrade apply")
        [[ " $* " == *" --yes "* ]] ||
          { echo "error: won't proceed; the user didn't answer (Y|y) in order to continue" >&2; exit 1; }
        upgrade_policy "$3"
        echo "${3#v}" >"${state}/cluster-version"
        # certificateRenewal defaults to true: kubeadm upgrade renews the certificates it manages.
        renew_pki all >/dev/null
        echo "[upgrade] SUCCESS! A control plane node of your cluster was upgraded to \"$3\"."
        exit 0
        ;;
      "upgrade node")
        [[ $(kubeadm_version) == "$(cluster_version)" ]] ||
          refuse "kubeadm stub: kubeadm v$(kubeadm_version) cannot upgrade a node to the cluster's v$(cluster_version)"
        renew_pki all >/dev/null
        echo "[upgrade] The control plane instance for this node was successfully upgraded!"
        exit 0
        ;;
    esac
    ;;

  crictl)
    case $1 in
      ps)
        for pod in $CONTROL_PLANE_PODS; do
          if [[ " $* " == *" --name ^${pod}\$ "* ]]; then
            if [[ $pod != etcd || ${STUB_ETCD_RUNNING:-1} == 1 ]]; then container_of "$pod"; fi
            exit 0
          fi
        done
        ;;
      stop)
        [[ $2 == --timeout && $3 =~ ^[0-9]+$ ]] || { echo "crictl stub: stop without --timeout" >&2; exit 2; }
        for pod in $CONTROL_PLANE_PODS; do
          if [[ $(container_of "$pod") == "$4" ]]; then
            # The kubelet starts the static pod's container again (restartPolicy Always).
            mkdir -p "${state}/containers"
            printf '%s-%s' "$pod" "$(count "restart-${pod}")" | sha256sum | cut -c1-16 >"${state}/containers/${pod}"
            echo "$4"
            exit 0
          fi
        done
        refuse "rpc error: code = NotFound desc = an error occurred when try to find container \"$4\": not found"
        ;;
      exec)
        # The etcd container after a restart: the same etcd as stubs.sh's.
        if [[ -f ${state}/containers/etcd && $5 == "$(container_of etcd)" ]]; then
          etcd_exec "$ETCD_CONTAINER" "${@:6}"
          exit 0
        fi
        ;;
    esac
    ;;

  curl)
    url=${*: -1}
    case $url in
      https://127.0.0.1:6443/readyz | https://127.0.0.1:10257/healthz | https://127.0.0.1:10259/livez)
        # Self-signed serving certificates, not for 127.0.0.1: only an insecure request gets through.
        [[ $1 == -*k* ]] ||
          { echo "curl: (60) SSL certificate problem: self-signed certificate in certificate chain" >&2; exit 60; }
        echo ok
        exit 0
        ;;
    esac
    ;;

  kubectl) kubectl_maintenance "$@" ;;
esac
