service "shop" {
  image = "10.77.0.1:5000/shop"
}
host "h1" { address = "10.77.0.11" }
variable "token" {
  type      = string
  default   = "tok-123456"
  sensitive = true
}
role "web" {
  hosts = [host.h1]
  cmd   = ["/app", "serve",
    "--token=${var.token}"] # ERROR: sensitive value in a non-secret attribute
}
deploy { version = "v1" }
