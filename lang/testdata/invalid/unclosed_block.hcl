service "shop" {
  image = "10.77.0.1:5000/shop"
}
host "h1" { address = "10.77.0.11" }
deploy { version = "v1" }
role "web" { # ERROR: Unclosed configuration block
  hosts = [host.h1]
