service "shop" {
  image = "10.77.0.1:5000/shop"
}
host "h1" { address = "10.77.0.11" }
role "web" { # ERROR: No primary role
  primary = false
  hosts   = [host.h1]
}
deploy { version = "v1" }
