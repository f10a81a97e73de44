service "shop" {
  image = "10.77.0.1:5000/shop"
}
host "h1" { address = "10.77.0.11" }
role "web" {
  hosts = [host.h1]
}
deploy { version = "v1" }
locals {
  a = local.b # ERROR: Cycle in local values
  b = local.a # ERROR: Cycle in local values
}
