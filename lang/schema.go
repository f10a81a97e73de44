package lang

import "github.com/hashicorp/hcl/v2"

var rootSchema = &hcl.BodySchema{Blocks: []hcl.BlockHeaderSchema{
	{Type: "service", LabelNames: []string{"name"}},
	{Type: "variable", LabelNames: []string{"name"}},
	{Type: "locals"},
	{Type: "registry"},
	{Type: "ssh"},
	{Type: "host", LabelNames: []string{"name"}},
	{Type: "role", LabelNames: []string{"name"}},
	{Type: "accessory", LabelNames: []string{"name"}},
	{Type: "deploy"},
	{Type: "proxy"},
	{Type: "alias", LabelNames: []string{"name"}},
}}

var serviceSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{{Name: "image", Required: true}, {Name: "network"}, {Name: "require_destination"}},
	Blocks:     []hcl.BlockHeaderSchema{{Type: "takeover"}, {Type: "build"}},
}

var registrySchema = &hcl.BodySchema{Attributes: []hcl.AttributeSchema{
	{Name: "server"}, {Name: "username"}, {Name: "password"}, {Name: "insecure"}, {Name: "local"}, {Name: "port"},
}}

var sshSchema = &hcl.BodySchema{Attributes: []hcl.AttributeSchema{
	{Name: "user"}, {Name: "port"}, {Name: "identity"}, {Name: "known_hosts"}, {Name: "known_hosts_policy"},
	{Name: "proxy_jump"}, {Name: "connect_timeout"}, {Name: "command_timeout"}, {Name: "config"},
}}

var hostSchema = &hcl.BodySchema{Attributes: []hcl.AttributeSchema{
	{Name: "address", Required: true}, {Name: "user"}, {Name: "port"},
}}

var containerAttrs = []hcl.AttributeSchema{
	{Name: "cmd"}, {Name: "ports"}, {Name: "env"}, {Name: "secret_env"}, {Name: "volumes"}, {Name: "labels"},
	{Name: "stop_signal"}, {Name: "stop_timeout"}, {Name: "env_file"},
	{Name: "memory"}, {Name: "memory_reservation"}, {Name: "cpus"}, {Name: "pids_limit"}, {Name: "restart"},
	{Name: "user"}, {Name: "workdir"}, {Name: "entrypoint"}, {Name: "init"}, {Name: "hostname"},
	{Name: "extra_hosts"}, {Name: "devices"}, {Name: "cap_add"}, {Name: "cap_drop"}, {Name: "security_opt"},
	{Name: "sysctls"}, {Name: "ulimits"}, {Name: "shm_size"}, {Name: "tmpfs"}, {Name: "read_only"},
}

var containerBlocks = []hcl.BlockHeaderSchema{{Type: "healthcheck"}, {Type: "logging"}}

var loggingSchema = &hcl.BodySchema{Attributes: []hcl.AttributeSchema{{Name: "driver"}, {Name: "options"}}}

var roleSchema = &hcl.BodySchema{
	Attributes: append([]hcl.AttributeSchema{{Name: "primary"}, {Name: "hosts"}, {Name: "depends_on"}}, containerAttrs...),
	Blocks:     append([]hcl.BlockHeaderSchema{{Type: "proxy"}}, containerBlocks...),
}

var healthcheckSchema = &hcl.BodySchema{Attributes: []hcl.AttributeSchema{
	{Name: "cmd"}, {Name: "http"}, {Name: "interval"}, {Name: "retries"}, {Name: "deadline"}, {Name: "steady_interval"},
}}

var accessorySchema = &hcl.BodySchema{
	Attributes: append([]hcl.AttributeSchema{{Name: "image", Required: true}, {Name: "host"}, {Name: "hosts"}}, containerAttrs...),
	Blocks:     append([]hcl.BlockHeaderSchema{{Type: "proxy"}}, containerBlocks...),
}

var deploySchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{
		{Name: "version"}, {Name: "parallelism"}, {Name: "retain"}, {Name: "stop_timeout"},
		{Name: "on_failure"}, {Name: "readiness_delay"}, {Name: "barrier_timeout"}, {Name: "hook_timeout"},
	},
	Blocks: []hcl.BlockHeaderSchema{{Type: "rolling"}},
}

var rollingSchema = &hcl.BodySchema{Attributes: []hcl.AttributeSchema{{Name: "batch"}}}
