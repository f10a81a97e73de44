package executor

import "time"

// ProxyStopArgs is the argv, run inside the host's proxy without a shell,
// that puts a route in maintenance: kamal-proxy answers its requests with
// 503 and its error page showing message (none: the page alone), after
// in-flight requests drained for up to drain. The route keeps its target,
// and a later `kamal-proxy deploy` keeps it stopped.
func ProxyStopArgs(service, message string, drain time.Duration) []string {
	argv := []string{"kamal-proxy", "stop", service, "--drain-timeout", drain.String()}
	if message != "" {
		argv = append(argv, "--message", message)
	}
	return argv
}

// ProxyResumeArgs is the argv that ends a route's maintenance.
func ProxyResumeArgs(service string) []string {
	return []string{"kamal-proxy", "resume", service}
}
