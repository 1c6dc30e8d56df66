# dive in a container: the same binary as `dive serve` on a workstation.
#   docker build -t dive --build-arg VERSION=$(git describe --always) .           # full (default)
#   docker build -t dive:static --target static .                                  # built-ins only
#   docker run -p 8790:8790 -e DIVE_TOKEN=... dive
#
# full: Debian with /usr/bin/python3 for code_execution and the data files the
# built-in tools read (scripts/setup-data: GNU units, WordNet, GCIDE, miscfiles,
# python-stdnum, the offline documentation web, CSL styles, vega-datasets).
# The code_execution sandbox also needs, from the container runtime: permission
# to create user, pid, net, mount, ipc and uts namespaces (unprivileged user
# namespaces on the host, and a seccomp profile that allows unshare/clone with
# namespace flags, or --security-opt seccomp=unconfined), a writable cgroup v2
# subtree (--cgroupns=private), Landlock in the host kernel (5.13+), and /run
# writable for per-slot scratch. Without them dive still serves, and lists
# code_execution as unavailable with the reason. deploy/k8s/dive.yaml sets this
# up on Kubernetes.
#
# static: distroless, non-root, only the tools that need no files beyond the
# binary; no code_execution.

FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=dev
RUN CGO_ENABLED=0 go build -trimpath \
      -ldflags "-s -w -X github.com/dive-env/dive/internal/version.Version=${VERSION}" \
      -o /out/dive ./cmd/dive

FROM gcr.io/distroless/static-debian12:nonroot AS static
COPY --from=build /out/dive /usr/local/bin/dive
USER nonroot:nonroot
EXPOSE 8790
ENTRYPOINT ["/usr/local/bin/dive"]
CMD ["serve", "--addr", "0.0.0.0:8790"]

FROM debian:bookworm-slim AS full
COPY scripts/setup-data /usr/local/lib/dive/setup-data
RUN apt-get update -q \
 && apt-get install -y -q --no-install-recommends python3 ca-certificates \
 && /usr/local/lib/dive/setup-data \
 && apt-get purge -y -q npm && apt-get autoremove -y -q \
 && rm -rf /var/lib/apt/lists/* /root/.npm
COPY --from=build /out/dive /usr/local/bin/dive
EXPOSE 8790
ENTRYPOINT ["/usr/local/bin/dive"]
# In a container the server must listen on all interfaces to be reachable, and
# off loopback it refuses to start without a bearer token: run the image with
# -e DIVE_TOKEN=... (or mount a file and add --token-file); trainers send
# Authorization: Bearer TOKEN. The sandbox runs code as uid 65534 in its own
# namespaces; the server itself runs as root to set them up.
CMD ["serve", "--addr", "0.0.0.0:8790"]
