service "shop" { # ERROR: No roles
  image = "10.77.0.1:5000/shop"
}
host "h1" { address = "10.77.0.11" } # WARNING: Unused host
deploy { version = "v1" }
