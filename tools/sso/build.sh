#!/usr/bin/env bash
# Builds the real identity providers the single sign-on tests log in through (issue 18), from the
# Go module proxy, into .cache/sso/bin:
#   oidc-provider: github.com/zitadel/oidc's OpenID Provider (a certified library) with its example
#   server's storage and login page, plus users with a groups claim (tools/sso/oidc-provider).
#   saml-idp: github.com/crewjam/saml's samlidp server (SAML 2.0 IdP, signed assertions) over HTTPS
#   (tools/sso/saml-idp).
# Same stamp scheme as tools/runtime/build.sh: rebuilt only when the Go version, go.mod/go.sum or
# the source changes. Dex was the first choice; the module proxy serves none of its v2 releases.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
out=${CORRAL_SSO_BIN_DIR:-$root/.cache/sso/bin}
mkdir -p "$out/.stamps"
command -v go >/dev/null || { echo "sso:build: the go command is not on PATH; install Go 1.26 or newer" >&2; exit 1; }

for tool in oidc-provider saml-idp; do
  # Every tool shares go.mod/go.sum, so a dependency change rebuilds both.
  stamp=$(cat <(go version) "$here/go.mod" "$here/go.sum" "$here/$tool"/*.go | sha256sum | cut -d' ' -f1)
  if [[ -x "$out/$tool" && -f "$out/.stamps/$tool" && "$(cat "$out/.stamps/$tool")" == "$stamp" ]]; then
    echo "[sso:build] $tool is up to date"
    continue
  fi
  echo "[sso:build] building $tool"
  tmp="$out/.$tool.$$"
  (cd "$here" && CGO_ENABLED=0 GOFLAGS="${GOFLAGS:-} -buildvcs=false -mod=readonly" go build -trimpath -ldflags='-s -w' -o "$tmp" "./$tool")
  mv "$tmp" "$out/$tool"
  echo "$stamp" > "$out/.stamps/$tool"
  echo "[sso:build] $tool built"
done
