# The example service: a web role on two hosts behind the deployment
# barrier, a worker on a third, and a cache accessory. It deploys to the lab
# that `make lab-up` starts (hosts h1-h3 at 10.77.0.11-13, a registry at
# 10.77.0.1:5000). `make demo` applies it.

service "demo" {
  image = "10.77.0.1:5000/app" # repository; the tag is the version
}

variable "version" {
  type        = string
  default     = "v1"
  description = "The image tag to deploy (the lab has v1, v2 and v3)."
}

variable "lab_dir" {
  type    = string
  default = "/tmp/berth-lab"
}

registry {
  server   = "10.77.0.1:5000"
  username = "deploy"
  password = env("REGISTRY_PASSWORD") # a secret: never printed, never in a plan file
  insecure = true                     # the lab's registry speaks plain http
}

ssh {
  user        = "root"
  identity    = "${var.lab_dir}/client/id_ed25519"
  known_hosts = "${var.lab_dir}/client/known_hosts"
}

host "h1" { address = "10.77.0.11" }
host "h2" { address = "10.77.0.12" }
host "h3" { address = "10.77.0.13" }

role "web" {
  primary = true
  hosts   = [host.h1, host.h2] # h1 is the primary host
  cmd     = ["/app", "serve"]
  ports   = ["80:8080"]
  env     = { LOG_LEVEL = "info" }

  healthcheck {
    cmd      = ["/app", "check"] # a list runs without a shell: the image is FROM scratch
    interval = "1s"
    deadline = "20s"
  }
}

role "worker" {
  hosts = [host.h3]
  cmd   = ["/app", "work"]
}

accessory "cache" {
  image = "10.77.0.1:5000/cache:7"
  host  = host.h3
  ports = ["6379:6379"]
}

deploy {
  version = var.version
  retain  = 3
}
