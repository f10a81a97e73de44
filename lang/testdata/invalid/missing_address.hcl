service "shop" {
  image = "10.77.0.1:5000/shop"
}
host "h1" { # ERROR: Missing required argument
}
role "web" {
  hosts = [host.h1]
}
deploy { version = "v1" }
