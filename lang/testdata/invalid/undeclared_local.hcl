service "shop" {
  image = "10.77.0.1:5000/shop"
}
host "h1" { address = "10.77.0.11" }
role "web" {
  hosts = [host.h1]
  cmd   = local.cmd # ERROR: Reference to undeclared local value
}
deploy { version = "v1" }
