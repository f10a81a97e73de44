service "shop" {
  image = "10.77.0.1:5000/shop"
}
registry {
  server   = "10.77.0.1:5000"
  password = "hunter2" # WARNING: Secret in plain text
}
host "h1" { address = "10.77.0.11" }
role "web" {
  hosts      = [host.h1]
  secret_env = { TOKEN = "abc" } # WARNING: Secret in plain text
}
deploy { version = "v1" }
