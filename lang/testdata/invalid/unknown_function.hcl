service "shop" {
  image = "10.77.0.1:5000/shop"
}
host "h1" { address = "10.77.0.11" }
role "web" {
  hosts = [host.h1]
  env   = { A = nosuch("x") } # ERROR: Call to unknown function
}
deploy { version = "v1" }
