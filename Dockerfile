# syntax=docker/dockerfile:1

# The AOPay RechargeStatus sandbox: aopay-mock (the entrypoint) and
# aopay-contract on a distroless base, running as non-root. They are one
# static executable (cmd/aopay-sandbox), /aopay-mock, with /aopay-contract a
# symbolic link to it: it runs as the command it is called by. The two share
# most of their code, so one executable keeps the image small.
#
#   docker build --build-arg VERSION=v1.0.0 -t aopay-sandbox .
#   docker run --rm -p 127.0.0.1:8080:8080 -v aopay-state:/data aopay-sandbox
#
# Without an admin token (AOPAY_MOCK_ADMIN_TOKEN) publish the port on the
# host's loopback alone, as above: anyone who reaches it can drive the
# sandbox. Containers that call the mock by a name of its own list that name
# in AOPAY_MOCK_ALLOWED_HOSTS.

# The builder runs on the build machine's platform and cross-compiles for the
# target one, so multi-platform builds need no emulation.
FROM --platform=$BUILDPLATFORM golang:1.26.8-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN --mount=type=cache,target=/go/pkg/mod go mod download
COPY . .
ARG VERSION=devel
ARG TARGETOS
ARG TARGETARCH
ENV CGO_ENABLED=0
RUN --mount=type=cache,target=/go/pkg/mod \
    --mount=type=cache,target=/root/.cache/go-build \
    GOOS=$TARGETOS GOARCH=$TARGETARCH \
    go build -trimpath \
    -ldflags "-s -w -X github.com/aopay-sandbox/rechargestatus/internal/buildinfo.Version=${VERSION}" \
    -o /out/bin/aopay-mock ./cmd/aopay-sandbox
# The link, and the state directory to be copied with its owner: the final
# image has no shell to make them.
RUN ln -s aopay-mock /out/bin/aopay-contract && mkdir -p /out/data

FROM gcr.io/distroless/static-debian12:nonroot
# The directory's contents, not its files by name: COPY keeps a symbolic
# link found inside a directory, and copies the target of one it is named.
COPY --from=build /out/bin/ /
COPY --from=build --chown=65532:65532 /out/data /data
USER 65532:65532
ENV AOPAY_MOCK_ADDR=0.0.0.0:8080 \
    AOPAY_MOCK_STATE=/data/state.db
EXPOSE 8080
VOLUME /data
# No --start-interval: podman 4.3's builder (Debian 12's) refuses the
# flag, so a short interval keeps the first wait short instead.
HEALTHCHECK --interval=5s --timeout=3s --start-period=10s --retries=3 \
    CMD ["/aopay-mock", "healthcheck"]
ENTRYPOINT ["/aopay-mock"]
