service "shop" {
  image = "10.77.0.1:5000/shop"
}
host "h1" { address = "10.77.0.11" }
role "web" {
  hosts = [host.h1]
}
deploy { version = "v1" }
registry { server = "10.77.0.1:5000" }
registry { server = "10.77.0.2:5000" } # ERROR: Duplicate registry block
