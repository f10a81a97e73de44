service "shop" {
  image = "10.77.0.1:5000/shop"
  build {
    context = "no-such-folder" # ERROR: Invalid build context
    secrets = { "bad key" = env("DB_PASSWORD") } # ERROR: Invalid secrets key
    args    = { TOKEN = env("DB_PASSWORD") } # ERROR: sensitive value in a non-secret attribute
    platforms = ["linux/amd64", "linux/arm64"] # ERROR: Several platforms
    cache_to  = ["type=registry,ref=x"] # ERROR: Unsupported cache_to
    builder { host = "not a host!" } # ERROR: Invalid build host
    colour = "red" # ERROR: Unsupported argument
  }
}
host "h1" { address = "10.77.0.11" }
role "web" {
  hosts = [host.h1]
}
deploy { version = "v1" }
