# A service built from source: `berth apply` builds app/ (its Dockerfile),
# pushes the image as 10.77.0.1:5000/hello:VERSION (VERSION = the git
# commit of app/, with -dirty for uncommitted changes), plans with the
# pushed digest and deploys it. It deploys to the lab's h1 and h2 (see
# lab.hcl); the image is built on the lab's build daemon:
#
#     . /tmp/berth-lab/client/env            # REGISTRY_PASSWORD, BERTH_LAB_BUILD_HOST
#     DOCKER_HOST=$BERTH_LAB_BUILD_HOST bin/berth --chdir examples/build apply
#
# For no registry at all, write `registry { local = true }` instead of the
# registry block below (see "No registry" in the README).

service "hello" {
  image = "10.77.0.1:5000/hello"

  build {
    context = "app" # relative to this folder
    args    = { VERSION = "built-by-berth" }
    labels  = { "org.opencontainers.image.source" = "examples/build" }
    network = "none" # the lab's build daemon has no bridge network
  }
}

registry {
  server   = "10.77.0.1:5000"
  username = "deploy"
  password = env("REGISTRY_PASSWORD")
  insecure = true
}

role "web" {
  primary = true
  hosts   = [host.h1, host.h2]
  ports   = ["8090:80"]

  healthcheck {
    http     = { path = "/up", port = 80 } # polled by berth through the SSH connection
    interval = "1s"
    deadline = "20s"
  }
}
