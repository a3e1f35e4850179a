// Package release holds the checks of what ships besides the Go code: the
// container image's Dockerfile and build context, the static binaries it is
// built from, docker-compose.yml, the example CI workflows, and the
// README's commands, run by a script (testdata/readme.txt) against started
// binaries. It has no code of its own and is a module of its own, so that
// the Dockerfile and Compose parsers it uses stay out of the graph of
// projects importing the sandbox's Go packages. `go test ./release/...` runs
// the checks from the repository's root, without a Docker engine.
package release
