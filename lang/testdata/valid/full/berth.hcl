# Everything berth understands, spread over two files with variables,
# locals and functions.
service "shop" {
  image = "${local.registry}/shop"
}

variable "version" {
  type        = string
  description = "The tag to deploy."
  default     = "v1"
  validation {
    condition     = strlen(var.version) > 0
    error_message = "never used"
  }
}

variable "replicas" {
  type    = number
  default = 2
}

variable "db_password" {
  type      = string
  sensitive = true
}

variable "extra_labels" {
  type    = map(string)
  default = { team = "shop" }
}

locals {
  registry = "10.77.0.1:5000"
  common   = merge({ LOG_LEVEL = "info" }, { REPLICAS = tostring(var.replicas) })
}

registry {
  server   = local.registry
  username = "deploy"
  password = env("REGISTRY_PASSWORD")
  insecure = true
}

ssh {
  user               = "deploy"
  port               = 2222
  identity           = "~/.ssh/id_ed25519"
  known_hosts        = "/etc/berth/known_hosts"
  known_hosts_policy = "accept-new"
  proxy_jump         = "bastion.example.com"
  connect_timeout    = "5s"
  command_timeout    = "2m"
}
