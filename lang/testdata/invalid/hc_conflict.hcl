service "shop" {
  image = "10.77.0.1:5000/shop"
}
host "h1" { address = "10.77.0.11" }
role "web" {
  hosts = [host.h1]
  healthcheck {
    cmd  = ["/app", "check"]
    http = { path = "/up", port = 8080 } # ERROR: Conflicting health checks
  }
}
deploy { version = "v1" }
