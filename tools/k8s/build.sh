#!/usr/bin/env bash
# Builds the real Kubernetes, etcd, helm and kwok binaries that Corral's tests and `corral dev`
# run, and MinIO (the S3-compatible server the snapshot-upload tests store into), from the Go
# module proxy, into .cache/k8s/bin. Idempotent: each binary has a stamp holding
# the hash of its module files and build flags, and is rebuilt only when that changes.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
out=${CORRAL_K8S_BIN_DIR:-$root/.cache/k8s/bin}
stamps="$out/.stamps"
mkdir -p "$out" "$stamps"

export CGO_ENABLED=0 GOFLAGS="${GOFLAGS:-} -buildvcs=false"

started=$(date +%s)
say() { printf '[k8s:build %4ss] %s\n' "$(($(date +%s) - started))" "$*"; }

command -v go >/dev/null || { echo "k8s:build: the go command is not on PATH; install Go 1.26 or newer" >&2; exit 1; }

module_version() { # module dir, module path
  (cd "$1" && go list -m -f '{{.Version}}' "$2")
}

# up_to_date <name> <stamp>: the binary exists and was built from what the stamp describes.
up_to_date() {
  [[ -x "$out/$1" && -f "$stamps/$1" && "$(cat "$stamps/$1")" == "$2" ]]
}

# build <name> <module dir> <package> <extra ldflags>
build() {
  local name=$1 dir=$2 pkg=$3 ldflags=$4
  local stamp
  stamp=$(cat "$dir/go.mod" "$dir/go.sum" <(go version) <(echo "$pkg $ldflags") | sha256sum | cut -d' ' -f1)
  if up_to_date "$name" "$stamp"; then
    say "$name is up to date"
    return
  fi
  say "building $name from $pkg ..."
  local t0=$SECONDS
  (cd "$dir" && go build -trimpath -ldflags "-s -w $ldflags" -o "$out/$name.tmp" "$pkg")
  mv -f "$out/$name.tmp" "$out/$name"
  echo "$stamp" >"$stamps/$name"
  say "built $name in $((SECONDS - t0))s"
}

# install <name> <module>@<version>: a main module built with its own go.mod (and replace
# directives ignored, as `go install` does), for programs whose dependencies must not be unified
# with Kubernetes'.
install() {
  local name=$1 modver=$2
  local stamp tmp
  stamp=$(cat <(go version) <(echo "$modver") | sha256sum | cut -d' ' -f1)
  if up_to_date "$name" "$stamp"; then
    say "$name is up to date"
    return
  fi
  say "building $name from $modver ..."
  local t0=$SECONDS
  tmp=$(mktemp -d "$out/.install.XXXXXX")
  GOBIN="$tmp" go install -trimpath -ldflags "-s -w" "$modver"
  mv -f "$tmp/$name" "$out/$name"
  rmdir "$tmp"
  echo "$stamp" >"$stamps/$name"
  say "built $name in $((SECONDS - t0))s"
}

# build_local <name> <dir>: a small program of Corral's own (standard library only); its stamp
# covers its sources.
build_local() {
  local name=$1 dir=$2
  local stamp
  stamp=$(cat "$dir/go.mod" "$dir"/*.go <(go version) | sha256sum | cut -d' ' -f1)
  if up_to_date "$name" "$stamp"; then
    say "$name is up to date"
    return
  fi
  (cd "$dir" && go build -trimpath -ldflags "-s -w" -o "$out/$name.tmp" .)
  mv -f "$out/$name.tmp" "$out/$name"
  echo "$stamp" >"$stamps/$name"
  say "built $name"
}

k8s=$(module_version "$here/kube" k8s.io/kubernetes)
etcd=$(module_version "$here/kube" go.etcd.io/etcd/server/v3)
helm=$(module_version "$here/helm" helm.sh/helm/v3)
kwok=$(module_version "$here/kwok" sigs.k8s.io/kwok)
say "Kubernetes $k8s, etcd $etcd, helm $helm, kwok $kwok -> $out"

minor=$(echo "$k8s" | cut -d. -f2)
kube_ld=""
for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
  kube_ld+=" -X $pkg.gitVersion=$k8s -X $pkg.gitMajor=1 -X $pkg.gitMinor=$minor -X $pkg.gitTreeState=clean"
done

for cmd in kube-apiserver kube-controller-manager kube-scheduler kubectl kubelet kube-proxy; do
  build "$cmd" "$here/kube" "k8s.io/kubernetes/cmd/$cmd" "$kube_ld"
done
build etcd "$here/kube" go.etcd.io/etcd/server/v3 "-X go.etcd.io/etcd/api/v3/version.GitSHA=$etcd"
# etcdctl and etcdutl: the provisioner changes membership, saves and restores snapshots on the nodes.
build etcdctl "$here/kube" go.etcd.io/etcd/etcdctl/v3 "-X go.etcd.io/etcd/api/v3/version.GitSHA=$etcd"
build etcdutl "$here/kube" go.etcd.io/etcd/etcdutl/v3 "-X go.etcd.io/etcd/api/v3/version.GitSHA=$etcd"
build helm "$here/helm" helm.sh/helm/v3/cmd/helm \
  "-X helm.sh/helm/v3/internal/version.version=$helm -X helm.sh/helm/v3/internal/version.gitTreeState=clean"
build kwok "$here/kwok" sigs.k8s.io/kwok/cmd/kwok "-X sigs.k8s.io/kwok/pkg/consts.Version=$kwok"
# MinIO publishes no semver tags as Go modules: a pinned pseudo-version (what @latest resolved to).
# About 3.5 minutes on 2 cores from a cold module and build cache.
install minio github.com/minio/minio@v0.0.0-20260212201848-7aac2a2c5b7c
# What non-control-plane nodes run in place of RKE's nginx-proxy (tools/apiserver-proxy).
build_local corral-apiserver-proxy "$root/tools/apiserver-proxy"

# Standalone kwok needs its Stage configuration (what nodes and pods go through); take the "fast"
# stages from the very kwok module just built, so that they always match its version.
kwok_dir=$(cd "$here/kwok" && go list -m -f '{{.Dir}}' sigs.k8s.io/kwok)
for f in "$kwok_dir"/kustomize/stage/node/fast/node-initialize.yaml \
  "$kwok_dir"/kustomize/stage/node/heartbeat-with-lease/*.yaml "$kwok_dir"/kustomize/stage/pod/fast/*.yaml; do
  echo "---"
  cat "$f"
done >"$out/kwok-stages.yaml"

cat >"$out/versions.json.tmp" <<JSON
{
  "kubernetes": "$k8s",
  "etcd": "$etcd",
  "helm": "$helm",
  "kwok": "$kwok"
}
JSON
mv -f "$out/versions.json.tmp" "$out/versions.json"
say "done"
