service "shop" {
  image = "10.77.0.1:5000/shop"        # repository; the tag is the version
}

variable "version" {
  type    = string
  default = "v1"
}

registry {
  server   = "10.77.0.1:5000"
  username = "deploy"
  password = env("REGISTRY_PASSWORD")  # a secret: never printed, never stored in a plan file
}

ssh {
  user        = "root"
  port        = 22
  identity    = "~/.ssh/id_ed25519"    # and the ssh-agent when SSH_AUTH_SOCK is set
  known_hosts = "~/.ssh/known_hosts"   # verified strictly; "accept-new" only if asked for
  # proxy_jump = "bastion.example.com"
}

host "h1" { address = "10.77.0.11" }
host "h2" { address = "10.77.0.12" }
host "h3" { address = "10.77.0.13" }

role "web" {
  primary = true                       # exactly one primary role (default: a role named "web")
  hosts   = [host.h1, host.h2]         # the first host listed is the primary host
  cmd     = ["/app", "serve"]
  ports   = ["80:8080"]
  env     = { LOG_LEVEL = "info" }
  secret_env = { DB_PASSWORD = env("DB_PASSWORD") }
  healthcheck {
    cmd      = ["/app", "check"]       # a list runs WITHOUT a shell (scratch images have none);
                                       # a string runs with /bin/sh -c. Or instead:
    # http   = { path = "/up", port = 8080 }  # polled by berth itself, through the SSH link
                                       # neither: the image's own HEALTHCHECK, else "running"
    interval = "1s"
    retries  = 3
    deadline = "30s"                   # how long to wait for healthy before failing
  }
}

role "worker" {
  hosts = [host.h3]
  cmd   = ["/app", "work"]
}

accessory "cache" {
  image = "10.77.0.1:5000/cache:7"     # pinned; not touched by an app deploy unless it changed
  host  = host.h3
  ports = ["6379:6379"]
}

deploy {
  version      = var.version           # default: the config's version variable, else git HEAD
  parallelism  = 10
  rolling { batch = 2 }                # hosts per rolling batch, primary host in the first
  retain       = 3                     # old stopped containers kept for a fast rollback
  stop_timeout = "10s"
}
