//go:build tools

// Package kamalproxy pins the kamal-proxy version the lab builds into its
// proxy image. It is a separate module so that the repository's own
// go.mod, builds and tests never see kamal-proxy's dependencies.
package kamalproxy

import _ "github.com/basecamp/kamal-proxy/cmd/kamal-proxy"
