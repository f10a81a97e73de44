service "shop" {
  image = "10.77.0.1:5000/shop"
}
host "h1" { address = "10.77.0.11" }
role "web" {
  hosts = [host.h1]
  env = {
    LOG_LEVEL   = "info"
    DB_PASSWORD = env("DB_PASSWORD") # ERROR: sensitive value in a non-secret attribute
  }
}
deploy { version = "v1" }
