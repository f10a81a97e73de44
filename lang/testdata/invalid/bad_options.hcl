service "shop" {
  image = "10.77.0.1:5000/shop"
}
host "h1" { address = "10.77.0.11" }
deploy { version = "v1" }
role "web" {
  hosts              = [host.h1]
  memory             = "128 megs" # ERROR: Invalid size
  memory_reservation = "1k" # ERROR: Invalid size
  shm_size           = "-1m" # ERROR: Invalid size
  cpus               = 0 # ERROR: Invalid cpus
  pids_limit         = 0 # ERROR: Invalid number
  user               = "app user" # ERROR: Invalid user
  workdir            = "srv/app" # ERROR: Invalid workdir
  entrypoint         = [] # ERROR: Empty entrypoint
  init               = "maybe" # ERROR: Incorrect attribute value type
  hostname           = "web_1" # ERROR: Invalid hostname
  read_only          = "yes please" # ERROR: Incorrect attribute value type
  extra_hosts = [
    "db.internal:10.0.0.5",
    "db.internal=10.0.0.5", # ERROR: Invalid extra host
  ]
  devices = [
    "/dev/fuse",
    "/dev/sda:/dev/xvda:rwx", # ERROR: Invalid device
    "dev/null", # ERROR: Invalid device
  ]
  cap_add      = ["NET_ADMIN", "CAP_FLY"] # ERROR: Invalid capability
  cap_drop     = ["mknod", "all", "root"] # ERROR: Invalid capability
  security_opt = ["no-new-privileges", "selinux=on"] # ERROR: Invalid security option
  tmpfs        = ["/tmp:size=64m", "run"] # ERROR: Invalid tmpfs
  sysctls = {
    "net.core.somaxconn" = "1024"
    "somaxconn"          = "1024" # ERROR: Invalid sysctl
  }
  ulimits = {
    nofile = "1024:4096"
    nproc  = "4096:1024" # ERROR: Invalid ulimit
    files  = "10" # ERROR: Invalid ulimit
  }
}
