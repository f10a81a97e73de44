// Package lang reads a berth configuration: every *.hcl file of a directory,
// decoded with hcl/v2 and evaluated with go-cty (variables, locals, the
// standard functions plus env, file, secret_cmd and secrets_file), then
// validated. With Options.Destination, the destination's override files
// (*.NAME.hcl, NAME/*.hcl) are merged over the base blocks the way
// Terraform merges override files (override.go, destination.go). The SSH
// settings are resolved here too: each host's address is looked up as a
// Host alias of the OpenSSH client config (internal/sshconfig reads it),
// and the host and ssh blocks' own settings win over what it says.
//
// Every problem with the user's configuration is an hcl.Diagnostic whose
// range points at the offending block or expression; WriteDiagnostics renders them with the
// source line and DiagnosticsJSON for `berth validate --json`.
//
// Variable values come from, lowest first: the default, --var-file files,
// BERTH_VAR_<name> environment variables, --var options. Values of sensitive
// variables and everything env() returns carry a cty mark; such a value is
// accepted only where berth treats it as a secret (secret_env, registry
// password) and becomes a Secret, which never prints its value. Any other
// use is an error diagnostic that does not show the value, and every known
// secret is scrubbed from diagnostic texts as a last line of defence.
//
// The result is a Config: plain Go data with no hcl or cty types, which is
// all the planner and executor ever see. Format and UnifiedDiff serve
// `berth fmt`.
//
// lang does not talk to hosts or registries (planner and executor do) and it
// does not decide what to change (planner does). It runs git to find the
// version when the configuration does not set one, and the commands of
// secret_cmd (without a shell, once per distinct argv, never in validate
// mode).
package lang
