service "shop" {
  image = "10.77.0.1:5000/shop"
}
registry { # ERROR: Missing registry server
  username = "deploy"
}
host "h1" { address = "10.77.0.11" }
role "web" {
  hosts = [host.h1]
}
deploy { version = "v1" }
