# dive: a static binary in a distroless image.
#   docker build -t dive --build-arg VERSION=$(git describe --always) .
#   docker run -p 8790:8790 dive
#
# What the code-execution sandbox (the tool-pool issue) will need from the
# container runtime, when it lands: /usr/bin/python3 in the final image (switch
# the final stage to debian:bookworm-slim + python3), permission to create
# user, pid, net, mount, ipc and uts namespaces (unprivileged user namespaces
# enabled on the host, and a seccomp profile that allows unshare/clone with
# namespace flags, or --security-opt seccomp=unconfined), a delegated
# writable cgroup subtree (cgroup v2: --cgroupns=private with the container's
# cgroup writable; v1: memory, pids and cpu hierarchies), Landlock in the host
# kernel (5.13+), and a tmpfs for per-episode scratch (--tmpfs /scratch:size=1g).
# Built-in tools need none of this.

FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=dev
RUN CGO_ENABLED=0 go build -trimpath \
      -ldflags "-s -w -X github.com/dive-env/dive/internal/version.Version=${VERSION}" \
      -o /out/dive ./cmd/dive

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/dive /usr/local/bin/dive
USER nonroot:nonroot
EXPOSE 8790
ENTRYPOINT ["/usr/local/bin/dive"]
# In a container the server must listen on all interfaces to be reachable, and
# off loopback it refuses to start without a bearer token: run the image with
# -e DIVE_TOKEN=... (or mount a file and add --token-file); trainers send
# Authorization: Bearer TOKEN.
CMD ["serve", "--addr", "0.0.0.0:8790"]
