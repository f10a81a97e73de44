# ERROR: Missing service block
host "h1" { address = "10.77.0.11" }
role "web" {
  hosts = [host.h1]
}
deploy { version = "v1" }
