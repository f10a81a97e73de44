service "shop" {
  image = "10.77.0.1:5000/shop"
}
registry { # ERROR: Local registry without a build
  local  = true
  server = "10.77.0.1:5000" # ERROR: Conflicting registry settings
}
host "h1" { address = "10.77.0.11" }
role "web" {
  hosts = [host.h1]
}
deploy { version = "v1" }
