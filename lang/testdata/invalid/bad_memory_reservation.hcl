service "shop" {
  image = "10.77.0.1:5000/shop"
}
host "h1" { address = "10.77.0.11" }
deploy { version = "v1" }
role "web" {
  hosts              = [host.h1]
  memory             = "128m"
  memory_reservation = "1g" # ERROR: Invalid memory_reservation
}
