service "shop" {
  image = "10.77.0.1:5000/shop"
}
host "h1" { address = "10.77.0.11" }
role "web" {
  hosts      = [host.h1]
  env        = { DB_PASSWORD = "x" }
  secret_env = { DB_PASSWORD = env("DB_PASSWORD") } # ERROR: Duplicate environment variable
}
deploy { version = "v1" }
