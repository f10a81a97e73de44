service "shop" {
  image = "10.77.0.1:5000/shop"
}
host "h1" {
  address = env("DB_PASSWORD") # ERROR: sensitive value in a non-secret attribute
}
role "web" {
  hosts = [host.h1]
}
deploy { version = "v1" }
