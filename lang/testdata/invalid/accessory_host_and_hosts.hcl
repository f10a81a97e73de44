service "shop" {
  image = "10.77.0.1:5000/shop"
}
host "h1" { address = "10.77.0.11" }
role "web" {
  hosts = [host.h1]
}
deploy { version = "v1" }
accessory "cache" {
  image = "10.77.0.1:5000/cache:7"
  host  = host.h1
  hosts = [host.h1] # ERROR: Conflicting host and hosts
}
