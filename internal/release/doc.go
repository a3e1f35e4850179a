// Package release holds the checks of what ships besides the Go code: the
// container image's Dockerfile and build context, the static binaries it is
// built from, docker-compose.yml and the example CI workflows. It has no
// code of its own; `go test ./internal/release` runs the checks, without a
// Docker engine.
package release
