service "shop" {
  image = "10.77.0.1:5000/shop"
}
host "h1" { address = "10.77.0.11" }
deploy { version = "v1" }
role "web" {
  hosts   = [host.h1]
  restart = "on-failure:many" # ERROR: Invalid restart policy
}
accessory "cache" {
  image   = "10.77.0.1:5000/cache:7"
  host    = host.h1
  restart = "sometimes" # ERROR: Invalid restart policy
  cpus    = 2000 # ERROR: Invalid cpus
  memory  = "1x" # ERROR: Invalid size
}
