#!/usr/bin/env bash
# Builds the container runtime that real Corral worker nodes run (issue 14) from the Go module
# proxy, no Docker: containerd 2 (daemon, ctr, runc shim), runc, the CNI plugins, flannel, CoreDNS,
# metrics-server and the distribution registry, into .cache/runtime/bin (CNI plugins in
# .cache/runtime/bin/cni, the directory a node's /opt/cni/bin is filled from). Same scheme as
# tools/k8s/build.sh: each binary has a stamp holding the hash of what it was built from (Go version,
# module@version, tags, ldflags, cgo) and is rebuilt only when that changes.
#
# Every program is built with `go install module/pkg@version`, i.e. from its own go.mod as
# released: none of these must share dependency versions with Kubernetes or with each other.
#
# runc needs cgo and libseccomp (Debian's libseccomp-dev, installed here if missing and we are
# root). It is linked statically (static PIE, as runc's `make static`), so the binary can be
# uploaded to any node. Its default build tag `libpathrs` (a Rust library Debian 12 does not ship)
# is left out; runc then uses its pure-Go path-safety code.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
out=${CORRAL_RUNTIME_BIN_DIR:-$root/.cache/runtime/bin}
stamps="$out/.stamps"
mkdir -p "$out" "$out/cni" "$stamps"
# Left by a build that failed or was interrupted.
rm -rf "$out"/.install.*

export GOFLAGS="${GOFLAGS:-} -buildvcs=false"

# The pinned versions. Change one here and only that program is rebuilt.
containerd=v2.4.2
runc=v1.5.3
cni_plugins=v1.10.0
flannel=v0.28.10
coredns=v1.15.0
metrics_server=v0.8.0
distribution=v3.1.2

started=$(date +%s)
say() { printf '[runtime:build %4ss] %s\n' "$(($(date +%s) - started))" "$*"; }

command -v go >/dev/null || { echo "runtime:build: the go command is not on PATH; install Go 1.26 or newer" >&2; exit 1; }

# up_to_date <file> <stamp name> <stamp>: the binary exists and was built from what the stamp describes.
up_to_date() {
  [[ -x "$1" && -f "$stamps/$2" && "$(cat "$stamps/$2")" == "$3" ]]
}

# install <dest (relative to $out)> <module/package>@<version> [extra stamp input]
# Environment: CGO (default 0), TAGS (build tags), LDFLAGS (extra -ldflags, after -s -w),
# BUILDMODE (go build -buildmode).
install() {
  local dest=$1 modver=$2 extra=${3:-}
  local name cgo=${CGO:-0} tags=${TAGS:-} ldflags="-s -w ${LDFLAGS:-}" mode=${BUILDMODE:-default}
  name=$(basename "$dest")
  local stampname=${dest//\//_}
  local stamp tmp
  stamp=$(cat <(go version) <(echo "$modver cgo=$cgo tags=$tags ldflags=$ldflags buildmode=$mode $extra") | sha256sum | cut -d' ' -f1)
  if up_to_date "$out/$dest" "$stampname" "$stamp"; then
    say "$dest is up to date"
    return
  fi
  say "building $dest from $modver ..."
  local t0=$SECONDS
  tmp=$(mktemp -d "$out/.install.XXXXXX")
  # The binary is named after the package's last element, which for a module root is the
  # module's name (runc, flannel, coredns); take whatever single file go install wrote.
  CGO_ENABLED=$cgo GOBIN="$tmp" go install -trimpath -buildmode="$mode" ${tags:+-tags "$tags"} -ldflags "$ldflags" "$modver"
  local built
  built=$(find "$tmp" -maxdepth 1 -type f | head -n1)
  [[ -n "$built" ]] || { echo "runtime:build: go install $modver wrote no binary" >&2; exit 1; }
  mv -f "$built" "$out/$dest"
  rm -rf "$tmp"
  echo "$stamp" >"$stamps/$stampname"
  say "built $dest in $((SECONDS - t0))s"
}

# build <dest> <module dir> <package>: a main package of a dependency of one of tools/runtime's own
# modules (where a program's released go.mod does not build as is). Same environment as install;
# the stamp also covers that module's go.mod, go.sum and local sources.
build() {
  local dest=$1 dir=$2 pkg=$3
  local cgo=${CGO:-0} tags=${TAGS:-} ldflags="-s -w ${LDFLAGS:-}" mode=${BUILDMODE:-default}
  local stampname=${dest//\//_}
  local stamp
  stamp=$(cat <(go version) <(echo "$pkg cgo=$cgo tags=$tags ldflags=$ldflags buildmode=$mode") \
    <(cd "$dir" && find . -type f \( -name '*.go' -o -name 'go.mod' -o -name 'go.sum' \) | sort | xargs cat) |
    sha256sum | cut -d' ' -f1)
  if up_to_date "$out/$dest" "$stampname" "$stamp"; then
    say "$dest is up to date"
    return
  fi
  say "building $dest from $pkg (tools/runtime/$(basename "$dir")) ..."
  local t0=$SECONDS
  (cd "$dir" && CGO_ENABLED=$cgo go build -trimpath -buildmode="$mode" ${tags:+-tags "$tags"} -ldflags "$ldflags" \
    -o "$out/$dest.tmp" "$pkg")
  mv -f "$out/$dest.tmp" "$out/$dest"
  echo "$stamp" >"$stamps/$stampname"
  say "built $dest in $((SECONDS - t0))s"
}

say "containerd $containerd, runc $runc, CNI plugins $cni_plugins, flannel $flannel, CoreDNS $coredns," \
  "metrics-server $metrics_server, registry $distribution -> $out"

# containerd: as its Makefile builds a release, with cgo off (no btrfs snapshotter; overlayfs and
# native are pure Go), the shim without gRPC (it speaks ttrpc).
ctrd=github.com/containerd/containerd/v2
ctrd_ld="-X $ctrd/version.Version=$containerd -X $ctrd/version.Package=$ctrd"
for cmd in containerd ctr; do
  TAGS="urfave_cli_no_docs no_btrfs osusergo netgo" LDFLAGS="$ctrd_ld" install "$cmd" "$ctrd/cmd/$cmd@$containerd"
done
TAGS="urfave_cli_no_docs no_btrfs osusergo netgo no_grpc" LDFLAGS="$ctrd_ld" \
  install containerd-shim-runc-v2 "$ctrd/cmd/containerd-shim-runc-v2@$containerd"

# runc: cgo (its nsenter is C) and libseccomp, statically linked.
if ! pkg-config --exists libseccomp 2>/dev/null; then
  if [[ $(id -u) == 0 ]] && command -v apt-get >/dev/null; then
    say "installing libseccomp-dev (runc's seccomp support) ..."
    apt-get update -q >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q libseccomp-dev >/dev/null
  else
    echo "runtime:build: runc needs libseccomp's headers and static library: apt-get install libseccomp-dev" >&2
    exit 1
  fi
fi
CGO=1 BUILDMODE=pie TAGS="seccomp urfave_cli_no_docs netgo osusergo" \
  LDFLAGS="-X main.version=${runc#v} -linkmode external -extldflags -static-pie" \
  install runc "github.com/opencontainers/runc@$runc" "libseccomp=$(pkg-config --modversion libseccomp)"

# CNI plugins: what a node's bridge network needs (flannel delegates to bridge + host-local),
# plus portmap (hostPort) and bandwidth. The flannel CNI plugin itself lives in a repository that
# is not a Go module on the proxy (github.com/flannel-io/cni-plugin), so flannel's own conflist
# cannot be used as is; see the report of issue 14.
cni=github.com/containernetworking/plugins
cni_ld="-X $cni/pkg/utils/buildversion.BuildVersion=$cni_plugins"
for p in main/bridge main/loopback main/host-device ipam/host-local meta/portmap meta/bandwidth meta/firewall; do
  LDFLAGS="$cni_ld" install "cni/$(basename "$p")" "$cni/plugins/$p@$cni_plugins"
done

# flannel: its main package imports every backend, one of which (tencentvpc) needs a Tencent Cloud
# SDK module the proxy refuses to serve; tools/runtime/flannel builds flannel's own main package in
# a module that replaces that SDK with a stub (the tencentvpc backend then fails when chosen).
# cgo on, as upstream on amd64: the UDP backend's proxy is C. Linked statically like runc.
flannel_ld="-X github.com/flannel-io/flannel/pkg/version.Version=$flannel -linkmode external -extldflags -static"
pinned=$(cd "$here/flannel" && go list -m -f '{{.Version}}' github.com/flannel-io/flannel)
[[ "$pinned" == "$flannel" ]] || { echo "runtime:build: tools/runtime/flannel/go.mod pins flannel $pinned, not $flannel" >&2; exit 1; }
CGO=1 TAGS="netgo osusergo" LDFLAGS="$flannel_ld" build flanneld "$here/flannel" github.com/flannel-io/flannel
# CoreDNS: its version is a constant in the module; only the commit is set at link time upstream.
install coredns "github.com/coredns/coredns@$coredns"
ms_ld=""
for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version sigs.k8s.io/metrics-server/pkg/version; do
  ms_ld+=" -X $pkg.gitVersion=$metrics_server"
done
LDFLAGS="$ms_ld" install metrics-server "sigs.k8s.io/metrics-server/cmd/metrics-server@$metrics_server"
dist=github.com/distribution/distribution/v3
LDFLAGS="-X $dist/version.version=$distribution -X $dist/version.mainpkg=$dist" \
  install registry "$dist/cmd/registry@$distribution"

# The pause program every pod sandbox runs (containerd's sandbox image): Kubernetes' own C source,
# from the very Kubernetes module tools/k8s builds, linked statically so its image needs nothing else.
pause_src=$(cd "$root/tools/k8s/kube" && go list -m -f '{{.Dir}}' k8s.io/kubernetes)/build/pause/linux/pause.c
pause_version=3.10
command -v gcc >/dev/null || { echo "runtime:build: gcc is needed to build the pause program" >&2; exit 1; }
pause_stamp=$(cat <(gcc --version | head -n1) <(echo "pause $pause_version -static") "$pause_src" | sha256sum | cut -d' ' -f1)
if up_to_date "$out/pause" pause "$pause_stamp"; then
  say "pause is up to date"
else
  gcc -Os -Wall -Werror -static -DVERSION="v$pause_version-corral" -o "$out/pause.tmp" "$pause_src"
  strip "$out/pause.tmp"
  mv -f "$out/pause.tmp" "$out/pause"
  echo "$pause_stamp" >"$stamps/pause"
  say "built pause"
fi

cat >"$out/versions.json.tmp" <<JSON
{
  "containerd": "$containerd",
  "runc": "$runc",
  "cniPlugins": "$cni_plugins",
  "flannel": "$flannel",
  "coredns": "$coredns",
  "metricsServer": "$metrics_server",
  "registry": "$distribution",
  "pause": "$pause_version"
}
JSON
mv -f "$out/versions.json.tmp" "$out/versions.json"
say "done"
