# syntax=docker/dockerfile:1
# Boardpack scheduler. Build from the repository root:
#   docker build -f deploy/docker/scheduler.Dockerfile -t boardpack/scheduler .
# The module builds on its own (GOWORK=off) through its replace directives,
# so the context needs only messages/, services/internal/ and the service.

FROM golang:1.26-bookworm AS build
ENV GOWORK=off CGO_ENABLED=0 GOFLAGS=-trimpath
WORKDIR /src
COPY messages/ messages/
COPY services/internal/ services/internal/
COPY services/scheduler/ services/scheduler/
COPY deploy/docker/healthcheck/ deploy/docker/healthcheck/
WORKDIR /src/services/scheduler
# build_info and --version (package buildinfo): docker build --build-arg
# VERSION=$(git describe --tags --always) --build-arg REVISION=$(git rev-parse HEAD).
ARG VERSION=dev
ARG REVISION=
RUN --mount=type=cache,target=/root/go/pkg/mod \
    --mount=type=cache,target=/root/.cache/go-build \
    go mod download && \
    go build -tags timetzdata -ldflags="-s -w -X github.com/boardpack/boardpack/services/internal/platform/buildinfo.version=${VERSION} -X github.com/boardpack/boardpack/services/internal/platform/buildinfo.revision=${REVISION}" -o /out/scheduler .
WORKDIR /src/deploy/docker/healthcheck
RUN --mount=type=cache,target=/root/.cache/go-build \
    go build -ldflags="-s -w" -o /out/healthcheck .

# distroless/static: CA certificates, tzdata, /etc/passwd with nonroot
# (65532); no shell. The binary is static (CGO_ENABLED=0) and embeds the
# time zone database (timetzdata) for tenants' schedules.
FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/scheduler /scheduler
COPY --from=build /out/healthcheck /healthcheck
USER nonroot:nonroot
ENV BOARDPACK_HTTP_ADDR=0.0.0.0:8082
EXPOSE 8082
HEALTHCHECK --interval=10s --timeout=5s --start-period=10s --retries=3 \
    CMD ["/healthcheck", "http://127.0.0.1:8082/healthz"]
ENTRYPOINT ["/scheduler"]
