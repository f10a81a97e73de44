service "shop" {
  image = "10.77.0.1:5000/shop"
}
host "h1" { address = "10.77.0.11" }
role "web" {
  hosts = [host.h1]
  env   = { LOG_LEVEL = var.log_level } # ERROR: Reference to undeclared variable
}
deploy { version = "v1" }
