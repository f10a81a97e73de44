service "shop" {
  image = "10.77.0.1:5000/shop"
}
host "h1" { address = "10.77.0.11" }
role "web" {
  hosts      = [host.h1]
  secret_env = { API_KEY = env("NOT_SET_ANYWHERE") } # ERROR: Error in function call
}
deploy { version = "v1" }
