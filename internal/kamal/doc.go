// Package kamal imports a Kamal 2 configuration (config/deploy.yml and a
// destination's overlay, deploy.NAME.yml, merged the way Kamal merges
// them) into berth HCL, written with hclwrite.
//
// It maps every key of Kamal's configuration that berth has a feature for,
// and for every other key it writes a comment at the spot and a note in
// the Report: nothing is dropped silently. ERB (<%= … %>) cannot be
// evaluated outside Ruby: each one becomes a variable to fill in, with the
// original as a comment and a warning.
//
// It does not read hosts or containers: taking over a running Kamal app
// (`takeover { from = "kamal" }`) is planner's and internal/live's job, and
// it never reads a secret's value (.kamal/secrets is only named).
package kamal
