# syntax=docker/dockerfile:1
# Boardpack reportctl. Build from the repository root:
#   docker build -f deploy/docker/reportctl.Dockerfile -t boardpack/reportctl .
# The module builds on its own (GOWORK=off) through its replace directives,
# so the context needs only messages/, services/internal/ and the service.

FROM golang:1.26-bookworm AS build
ENV GOWORK=off CGO_ENABLED=0 GOFLAGS=-trimpath
WORKDIR /src
COPY messages/ messages/
COPY services/internal/ services/internal/
COPY services/reportctl/ services/reportctl/
COPY deploy/docker/healthcheck/ deploy/docker/healthcheck/
WORKDIR /src/services/reportctl
# build_info and --version (package buildinfo): docker build --build-arg
# VERSION=$(git describe --tags --always) --build-arg REVISION=$(git rev-parse HEAD).
ARG VERSION=dev
ARG REVISION=
RUN --mount=type=cache,target=/root/go/pkg/mod \
    --mount=type=cache,target=/root/.cache/go-build \
    go mod download && \
    go build -tags timetzdata -ldflags="-s -w -X github.com/boardpack/boardpack/services/internal/platform/buildinfo.version=${VERSION} -X github.com/boardpack/boardpack/services/internal/platform/buildinfo.revision=${REVISION}" -o /out/reportctl .
WORKDIR /src/deploy/docker/healthcheck
RUN --mount=type=cache,target=/root/.cache/go-build \
    go build -ldflags="-s -w" -o /out/healthcheck .

# distroless/static: CA certificates, tzdata, /etc/passwd with nonroot
# (65532); no shell. The binary is static (CGO_ENABLED=0) and embeds the
# time zone database (timetzdata) for tenants' schedules.
FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/reportctl /reportctl
COPY --from=build /out/healthcheck /healthcheck
USER nonroot:nonroot
ENTRYPOINT ["/reportctl"]
