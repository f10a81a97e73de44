service "shop" {
  image = "10.77.0.1:5000/shop"
}
host "h1" { address = "10.77.0.11" }
deploy { version = "v1" }
role "web" {
  hosts = [host.h1]
  logging {
    driver  = "JSON File" # ERROR: Invalid log driver
    options = { "max-size" = "10m" }
    format  = "json" # ERROR: Unsupported argument
  }
}
accessory "cache" {
  image = "10.77.0.1:5000/cache:7"
  host  = host.h1
  logging { # ERROR: Log options without a driver
    options = { "max-size" = "10m" }
  }
}
