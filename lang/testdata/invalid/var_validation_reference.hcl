service "shop" {
  image = "10.77.0.1:5000/shop"
}
host "h1" { address = "10.77.0.11" }
role "web" {
  hosts = [host.h1]
}
deploy { version = "v1" }
variable "a" {
  default = "x"
}
variable "b" {
  default = "y"
  validation {
    condition     = var.a == "x" # ERROR: Invalid reference in variable validation
    error_message = "no."
  }
}
