service "shop" {
  image = "10.77.0.1:5000/shop"
}
host "h1" { address = "10.77.0.11" }
deploy { version = "v1" }
role "web" {
  hosts    = [host.h1]
  env_file = "no-such.env" # ERROR: Invalid env_file
}
role "worker" {
  hosts    = [host.h1]
  env_file = { path = "app.env", secret = false } # ERROR: Invalid env_file
}
accessory "cache" {
  image    = "10.77.0.1:5000/cache:7"
  host     = host.h1
  env_file = "/etc/app.env" # ERROR: Invalid env_file
}
