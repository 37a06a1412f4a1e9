//go:build tools

// Package tools pins the flannel daemon that `npm run runtime:build` compiles.
package tools

import _ "github.com/flannel-io/flannel"
