host "h1" { address = "10.77.0.11" }
host "h2" {
  address = "10.77.0.12"
  user    = "root"
  port    = 22
}
host "h3" { address = "h3.lab.internal" }

role "worker" {
  hosts  = [host.h3]
  cmd    = ["/app", "work"]
  env    = local.common
  labels = var.extra_labels

  stop_signal  = "INT"
  stop_timeout = "5s"
  healthcheck {
    cmd = "/app check || exit 1"
  }
}

role "api" {
  primary    = true
  hosts      = [host.h2, host.h1]
  ports      = ["127.0.0.1:80:8080", "8443:8443/udp"]
  env        = merge(local.common, { HOST_ADDR = host.h1.address })
  secret_env = { DB_PASSWORD = var.db_password, API_KEY = env("API_KEY") }
  volumes    = ["data:/var/lib/shop", "/etc/shop:/etc/shop:ro"]
  healthcheck {
    http     = { path = "/up", port = 8080 }
    interval = "500ms"
    retries  = 5
    deadline = "1m"
  }
}

accessory "cache" {
  image      = "10.77.0.1:5000/cache:8"
  hosts      = [host.h3, host.h1]
  cmd        = ["/app", "cache"]
  ports      = ["6379:6379"]
  env        = { MAXMEM = "64m" }
  secret_env = { CACHE_PASSWORD = env("CACHE_PASSWORD") }
  volumes    = ["cache:/data"]
  labels     = { backup = "nightly" }
}

deploy {
  parallelism = 4
  rolling { batch = 1 }
  retain          = 5
  stop_timeout    = "20s"
  on_failure      = "rollback"
  readiness_delay = "2s"
  barrier_timeout = "3m"
  hook_timeout    = "90s"
}
