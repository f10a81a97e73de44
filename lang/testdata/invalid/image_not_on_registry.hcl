service "shop" {
  image = "ghcr.io/acme/shop" # WARNING: Image not on the registry
}
registry {
  server   = "10.77.0.1:5000"
  username = "deploy"
  password = env("REGISTRY_PASSWORD")
}
host "h1" { address = "10.77.0.11" }
role "web" {
  hosts = [host.h1]
}
deploy { version = "v1" }
