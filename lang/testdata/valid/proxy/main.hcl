service "shop" {
  image = "10.77.0.1:5000/app"
}
host "h1" { address = "10.77.0.11" }
host "h2" { address = "10.77.0.12" }
proxy {
  image     = "10.77.0.1:5000/kamal-proxy:v0.9.2"
  http_port = 8080
}
role "web" {
  hosts = [host.h1, host.h2]
  proxy {
    app_port       = 3000
    host           = "shop.example.com"
    path_prefix    = "/shop"
    health_path    = "/health"
    deploy_timeout = "10s"
    drain_timeout  = "5s"
  }
}
role "api" {
  hosts = [host.h2]
  proxy {
    app_port          = 8080
    hosts             = ["api.example.com", "www.example.com"]
    path_prefix       = "/api"
    strip_path_prefix = false
  }
}
deploy { version = "v1" }
