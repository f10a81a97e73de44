service "shop" {
  image = "10.77.0.1:5000/shop"
}
host "h1" { address = "10.77.0.11" }
role "web" {
  hosts = [host.h1, host.h9] # ERROR: Reference to undeclared host
}
deploy { version = "v1" }
