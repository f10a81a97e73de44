# berth as a container image, for CI pipelines: the static binary and the
# CA certificates, nothing else (FROM scratch: no shell, no package manager).
#
# `make image` builds it from a small local context (bin/berth and the
# build machine's ca-certificates.crt), so no base image is pulled.
#
# Run it with the configuration and the SSH key and known_hosts mounted,
# secrets in the environment, e.g.:
#   docker run --rm -v "$PWD:/work" -v "$HOME/.ssh:/root/.ssh:ro" \
#     -e REGISTRY_PASSWORD berth:latest plan --var version=v2
# There is no git in the image: give the version (--var version=... or
# deploy.version) rather than relying on git HEAD.
FROM scratch
COPY ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
COPY berth /usr/local/bin/berth
ENV HOME=/root
WORKDIR /work
ENTRYPOINT ["/usr/local/bin/berth"]
