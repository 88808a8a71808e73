# Keypebble container image: one static-ish binary on a distroless base.
#
#   docker build -t keypebble .
#   docker run -p 8080:8080 -v /srv/keypebble:/etc/keypebble:ro keypebble
#
# Stage 1 builds the single binary with `bun build --compile` (scripts/compile_bun.sh pins the
# npm "yaml" version from deno.lock). Stage 2 is distroless "cc": glibc and libgcc, which the Bun
# binary links against, no shell, no package manager, running as uid 65532.

ARG BUN_VERSION=1

FROM docker.io/oven/bun:${BUN_VERSION} AS build
WORKDIR /build
COPY deno.lock ./
COPY scripts/compile_bun.sh ./scripts/compile_bun.sh
COPY src ./src
RUN bash scripts/compile_bun.sh /build/keypebble

FROM gcr.io/distroless/cc-debian12:nonroot
COPY --from=build --chown=0:0 --chmod=0755 /build/keypebble /keypebble
# Listen on every interface inside the container (the config loader honours KEYPEBBLE_HOST);
# the config file itself is mounted at /etc/keypebble/config.yaml.
ENV KEYPEBBLE_HOST=0.0.0.0
# Worker threads sharing the port: "auto" is one per CPU the host has, since a process cannot see
# `docker run --cpus`; set it to the cores the container may use (`-e KEYPEBBLE_WORKERS=2`).
ENV KEYPEBBLE_WORKERS=auto
USER 65532:65532
EXPOSE 8080
# Exec form: the image has no shell. `healthcheck` exits 0 when GET /healthz answers 200.
HEALTHCHECK --interval=30s --timeout=5s --start-period=5s --retries=3 CMD ["/keypebble", "healthcheck"]
STOPSIGNAL SIGTERM
ENTRYPOINT ["/keypebble"]
CMD ["serve", "--config", "/etc/keypebble/config.yaml"]
