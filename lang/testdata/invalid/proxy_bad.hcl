service "shop" {
  image = "10.77.0.1:5000/shop"
}
host "h1" { address = "10.77.0.11" }
proxy {
  image = "10.77.0.1:5000/kamal-proxy" # ERROR: Invalid image reference
}
role "web" {
  hosts = [host.h1]
  proxy {
    app_port       = 70000 # ERROR: Invalid number
    health_path    = "up" # ERROR: Invalid path
    deploy_timeout = "soon" # ERROR: Invalid duration
    colour         = "blue" # ERROR: Unsupported argument
  }
}
deploy { version = "v1" }
