#!/usr/bin/env bash
# Builds the real identity providers the single sign-on tests log in through (issue 18), from the
# Go module proxy, into .cache/sso/bin:
#   oidc-provider: github.com/zitadel/oidc's OpenID Provider (a certified library) with its example
#   server's storage and login page, plus users with a groups claim (tools/sso/oidc-provider).
# Same stamp scheme as tools/runtime/build.sh: rebuilt only when the Go version, go.mod/go.sum or
# the source changes. Dex was the first choice; the module proxy serves none of its v2 releases.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
out=${CORRAL_SSO_BIN_DIR:-$root/.cache/sso/bin}
mkdir -p "$out/.stamps"
command -v go >/dev/null || { echo "sso:build: the go command is not on PATH; install Go 1.26 or newer" >&2; exit 1; }

stamp=$(cat <(go version) "$here/go.mod" "$here/go.sum" "$here"/oidc-provider/*.go | sha256sum | cut -d' ' -f1)
if [[ -x "$out/oidc-provider" && -f "$out/.stamps/oidc-provider" && "$(cat "$out/.stamps/oidc-provider")" == "$stamp" ]]; then
  echo "[sso:build] oidc-provider is up to date"
  exit 0
fi
echo "[sso:build] building oidc-provider"
tmp="$out/.oidc-provider.$$"
(cd "$here" && CGO_ENABLED=0 GOFLAGS="${GOFLAGS:-} -buildvcs=false -mod=readonly" go build -trimpath -ldflags='-s -w' -o "$tmp" ./oidc-provider)
mv "$tmp" "$out/oidc-provider"
echo "$stamp" > "$out/.stamps/oidc-provider"
echo "[sso:build] oidc-provider built"
