# A load test program's image, the pattern of herd's own Dockerfile for any Go
# module whose main package calls herd.Main: a static binary (CGO_ENABLED=0) on
# distroless/static, run as a non-root user, with no shell.
#
# Copy this file to the root of the module that holds your test program, then:
#   docker build -f test-program.Dockerfile --build-arg PROGRAM=./cmd/loadtest -t loadtest .
# In herd's own repository, for its quickstart example:
#   docker build -f deploy/docker/test-program.Dockerfile --build-arg PROGRAM=./examples/quickstart -t herd-quickstart .
#
# The module must build from the context alone: a replace directive that
# points outside it (a local clone of herd) does not work here.

ARG GO_VERSION=1.26

FROM golang:${GO_VERSION}-bookworm AS build
# The main package to build, relative to the module root.
ARG PROGRAM=.
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /out/loadtest ${PROGRAM}

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/loadtest /loadtest
USER 65532:65532
# 8089: the web UI; 5557: a master's port for workers.
EXPOSE 8089 5557
ENTRYPOINT ["/loadtest"]
CMD ["--help"]
