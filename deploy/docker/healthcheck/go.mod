module github.com/boardpack/boardpack/deploy/docker/healthcheck

go 1.26.0
