# Keypebble container image: one static-ish binary on a distroless base.
#
#   docker build -t keypebble .
#   docker run -p 8080:8080 -v /srv/keypebble:/etc/keypebble:ro \
#     -v keypebble-state:/var/lib/keypebble keypebble
#
# The config directory is mounted read-only; state (the `store` section: API keys, accounts,
# revocations) goes to the /var/lib/keypebble volume, writable by uid 65532:
#   store: { url: "sqlite:/var/lib/keypebble/keypebble.db",
#            pepper_path: "/var/lib/keypebble/keypebble.pepper" }
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
RUN bash scripts/compile_bun.sh /build/keypebble && mkdir -p /build/state

FROM gcr.io/distroless/cc-debian12:nonroot
COPY --from=build --chown=0:0 --chmod=0755 /build/keypebble /keypebble
# The state directory, owned by the unprivileged user (the image has no shell to mkdir with).
COPY --from=build --chown=65532:65532 --chmod=0700 /build/state /var/lib/keypebble
# Listen on every interface inside the container (the config loader honours KEYPEBBLE_HOST);
# the config file itself is mounted at /etc/keypebble/config.yaml.
ENV KEYPEBBLE_HOST=0.0.0.0
# Worker threads sharing the port: "auto" is one per CPU the host has, since a process cannot see
# `docker run --cpus`; set it to the cores the container may use (`-e KEYPEBBLE_WORKERS=2`).
ENV KEYPEBBLE_WORKERS=auto
USER 65532:65532
VOLUME ["/var/lib/keypebble"]
EXPOSE 8080
# Exec form: the image has no shell. `healthcheck --config` probes the port (and HTTPS) the config
# serves and exits 0 when GET /healthz answers 200.
HEALTHCHECK --interval=30s --timeout=5s --start-period=5s --retries=3 CMD ["/keypebble", "healthcheck", "--config", "/etc/keypebble/config.yaml"]
STOPSIGNAL SIGTERM
ENTRYPOINT ["/keypebble"]
CMD ["serve", "--config", "/etc/keypebble/config.yaml"]
