# The herd command as a container image: a static binary (CGO_ENABLED=0) on
# distroless/static, run as a non-root user, with no shell or package manager.
#
#   docker build -t herd .
#   docker run --rm -p 8089:8089 herd demo            # the web UI on :8089
#   docker run --rm herd demo --headless -t 30s        # the console
#
# A load test of your own is a program of its own: docs/container.md and
# deploy/docker/test-program.Dockerfile build its image the same way.

ARG GO_VERSION=1.26

FROM golang:${GO_VERSION}-bookworm AS build
WORKDIR /src
# Modules first: a source change does not download them again.
COPY go.mod go.sum ./
RUN go mod download
COPY . .
# With the clone's .git in the build context, go build stamps the version
# (the release tag) and the commit that `herd version` prints; without it the
# binary says (devel). -trimpath keeps this machine's paths out of it, -s -w
# its symbol tables (the build information stays).
RUN CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /out/herd ./cmd/herd

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/herd /herd
# Numeric, so that Kubernetes' runAsNonRoot can check it.
USER 65532:65532
# 8089: the web UI; 5557: a master's port for workers.
EXPOSE 8089 5557
ENTRYPOINT ["/herd"]
CMD ["help"]
