service "shop" {
  image = "10.77.0.1:5000/shop"
}
host "h1" { address = "10.77.0.11" }
role "web" {
  hosts = [host.h1]
  proxy {
    app_port = 8080
    host     = "shop.example.com"
    hosts    = ["a.example.com"] # ERROR: Both host and hosts
  }
}
role "api" {
  hosts = [host.h1]
  proxy {
    app_port = 8080
    hosts    = ["a.example.com",
      "not a host", # ERROR: Invalid proxy host
    "a.example.com"] # ERROR: Duplicate proxy host
  }
}
deploy { version = "v1" }
