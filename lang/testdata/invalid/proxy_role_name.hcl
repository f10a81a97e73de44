service "shop" {
  image = "10.77.0.1:5000/shop"
}
host "h1" { address = "10.77.0.11" }
role "web" {
  hosts = [host.h1]
  proxy { app_port = 8080 }
}
role "berth-proxy" { # ERROR: Reserved role name
  hosts = [host.h1]
}
deploy { version = "v1" }
