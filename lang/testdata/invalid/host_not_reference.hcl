service "shop" {
  image = "10.77.0.1:5000/shop"
}
host "h1" { address = "10.77.0.11" } # WARNING: Unused host
role "web" {
  hosts = ["h1"] # ERROR: Invalid host reference
}
deploy { version = "v1" }
