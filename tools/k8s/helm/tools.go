//go:build tools

// Package tools pins the helm command that `npm run k8s:build` compiles.
package tools

import _ "helm.sh/helm/v3/cmd/helm"
