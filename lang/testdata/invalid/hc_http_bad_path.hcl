service "shop" {
  image = "10.77.0.1:5000/shop"
}
host "h1" { address = "10.77.0.11" }
role "web" {
  hosts = [host.h1]
  healthcheck {
    http = { path = "/%zz", port = 8080 } # ERROR: Invalid http health check
  }
}
deploy { version = "v1" }
