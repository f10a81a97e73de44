service "shop" {
  image = "10.77.0.1:5000/shop"
}
host "h1" { address = "10.77.0.11" }
role "web" {
  hosts       = [host.h1]
  stop_signal = "SIGNOPE" # ERROR: Invalid stop signal
}
accessory "db" {
  image        = "10.77.0.1:5000/cache:7"
  host         = host.h1
  stop_timeout = "soon" # ERROR: Invalid duration
}
deploy { version = "v1" }
