# The shop: a second example, on real software from Debian's packages (the
# lab builds the images: test/lab/debian-images.sh). nginx serves the shop
# behind kamal-proxy on h1 and h2; a worker on h3 takes orders, counting
# them in Redis (accessory "cache") and storing them in PostgreSQL
# (accessory "db", its data in a named volume). Every container of the
# service is on the Docker network berth-shop of its host, where the
# accessories answer to their names: the worker reaches "db" and "cache".
# The hosts and the ssh block are in lab.hcl. See README.md, "The shop
# example".

service "shop" {
  image = "10.77.0.1:5000/nginx" # repository; the tag is the version
}

variable "version" {
  type        = string
  default     = "bookworm"
  description = "The nginx image's tag (the lab builds bookworm)."
}

registry {
  server   = "10.77.0.1:5000"
  username = "deploy"
  password = env("REGISTRY_PASSWORD") # a secret: never printed, never in a plan file
  insecure = true                     # the lab's registry speaks plain http
}

proxy {
  image     = "10.77.0.1:5000/kamal-proxy:v0.9.2"
  http_port = 8080 # examples/ publishes port 80 itself on the same hosts
}

role "web" {
  primary = true
  hosts   = [host.h1, host.h2]

  proxy {
    app_port    = 80
    health_path = "/up"
  }
}

role "worker" {
  hosts       = [host.h3]
  stop_signal = "SIGTERM" # the image's own is nginx's SIGQUIT, which a shell ignores
  env         = { PGHOST = "db", PGUSER = "shop", PGDATABASE = "shop" }
  secret_env  = { PGPASSWORD = env("SHOP_DB_PASSWORD") }
  cmd = ["sh", "-c", <<-EOT
    trap 'exit 0' TERM INT
    until psql -qc 'create table if not exists orders (id serial primary key, tick bigint, at timestamptz default now())'; do
      sleep 1
    done
    while :; do
      tick=$(redis-cli -h cache incr shop:orders)
      if psql -qc "insert into orders (tick) values ($tick)"; then
        echo "order $tick: counted in cache, stored in db"
      fi
      sleep 5 &
      wait $!
    done
  EOT
  ]
}

accessory "db" {
  image      = "10.77.0.1:5000/postgres:15"
  host       = host.h3
  volumes    = ["shop-pgdata:/var/lib/postgresql/data"]
  env        = { POSTGRES_USER = "shop", POSTGRES_DB = "shop" }
  secret_env = { POSTGRES_PASSWORD = env("SHOP_DB_PASSWORD") }

  healthcheck {
    cmd      = ["pg_isready", "-h", "127.0.0.1", "-U", "shop"] # over TCP: up for the others too
    interval = "1s"
    deadline = "60s"
  }
}

accessory "cache" {
  image = "10.77.0.1:5000/redis:7"
  host  = host.h3

  healthcheck {
    cmd = ["redis-cli", "ping"]
  }
}

deploy {
  version = var.version
}
