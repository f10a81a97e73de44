service "shop" {
  image = "10.77.0.1:5000/shop"
}
host "h1" { address = "10.77.0.11" }
role "web" {
  hosts      = [host.h1]
  cmd        = ["/app", null] # ERROR: Null value
  env        = { A = null } # ERROR: Null value
  secret_env = { B = null } # ERROR: Null value
}
deploy { version = "v1" }
