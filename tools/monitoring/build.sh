#!/usr/bin/env bash
# Builds the real parts the monitoring/alerts tests use that Debian does not ship: mailpit, a real
# SMTP server (STARTTLS + AUTH) with an HTTP API to read what arrived (issue 17). Same stamp scheme
# as tools/runtime/build.sh: rebuilt only when Go or the pinned version changes. Prometheus and
# Alertmanager come from Debian (.ci/run installs them).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
out=${CORRAL_MONITORING_BIN_DIR:-$root/.cache/monitoring/bin}
stamps="$out/.stamps"
mkdir -p "$out" "$stamps"
rm -rf "$out"/.install.*
export GOFLAGS="${GOFLAGS:-} -buildvcs=false"

mailpit=v1.33.1

command -v go >/dev/null || { echo "monitoring:build: the go command is not on PATH; install Go 1.26 or newer" >&2; exit 1; }

stamp=$(cat <(go version) <(echo "github.com/axllent/mailpit@$mailpit cgo=0 ldflags=-s -w") | sha256sum | cut -d' ' -f1)
if [[ -x "$out/mailpit" && -f "$stamps/mailpit" && "$(cat "$stamps/mailpit")" == "$stamp" ]]; then
  echo "[monitoring:build] mailpit is up to date"
else
  echo "[monitoring:build] building mailpit $mailpit ..."
  tmp=$(mktemp -d "$out/.install.XXXXXX")
  CGO_ENABLED=0 GOBIN="$tmp" go install -trimpath \
    -ldflags "-s -w -X github.com/axllent/mailpit/config.Version=$mailpit" "github.com/axllent/mailpit@$mailpit"
  mv -f "$tmp/mailpit" "$out/mailpit"
  rm -rf "$tmp"
  echo "$stamp" >"$stamps/mailpit"
  echo "[monitoring:build] built mailpit"
fi
