service "shop" {
  image = "10.77.0.1:5000/shop"
}
host "h1" { address = "10.77.0.11" }
role "web" {
  hosts = [host.h1]
  ports = ["80:8080",
  "80:9090"] # ERROR: Duplicate port mapping
}
deploy { version = "v1" }
