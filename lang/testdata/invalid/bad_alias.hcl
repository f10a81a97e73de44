service "shop" {
  image = "10.77.0.1:5000/shop"
}
host "h1" { address = "10.77.0.11" }
role "web" {
  hosts = [host.h1]
}
deploy {
  version = "v1"
}
alias "-x" { # ERROR: Invalid alias name
  command = ["status"]
}
alias "console" {
  command = [] # ERROR: Invalid alias command
}
alias "shell" {
  command = ["exec", var.role] # ERROR: Invalid alias command
}
