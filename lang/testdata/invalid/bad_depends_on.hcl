service "shop" {
  image = "10.77.0.1:5000/shop"
}
host "h1" { address = "10.77.0.11" }
deploy { version = "v1" }
role "web" {
  hosts      = [host.h1]
  depends_on = [accessory.db] # ERROR: Reference to undeclared accessory
}
role "worker" {
  hosts      = [host.h1]
  depends_on = [host.h1] # ERROR: Invalid depends_on
}
accessory "cache" {
  image = "10.77.0.1:5000/cache:7"
  host  = host.h1
  healthcheck {
    cmd             = ["/app", "version"]
    steady_interval = "often" # ERROR: Invalid duration
  }
}
