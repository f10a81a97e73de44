service "shop" {
  image = "10.77.0.1:5000/shop"
}
host "h1" { address = "10.77.0.11" }
role "web" {
  hosts = [host.h1]
  ports = ["80:8080"] # ERROR: Ports on a proxied role
  proxy { app_port = 8080 }
}
deploy { version = "v1" }
