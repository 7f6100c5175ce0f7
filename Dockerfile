# Dockerfile -- the c2s-enrich image: lighttpd in front of a pool of
# FastCGI responders (spawn-fcgi + c2s-enrich --pool, their master) and
# one background worker, all children of one entrypoint
# (httpd-conf/entrypoint.sh, installed as
# /usr/local/bin/c2s-enrich-entrypoint).
#
#   docker build -t c2s-enrich .
#   docker run -p 8080:8080 -e DB_URL=postgresql://... -e MIGRATE_ON_START=1 \
#       -e C2S_TOKEN=... -e DIRETRIX_BASE_URL=... -e DIRETRIX_USER=... \
#       -e DIRETRIX_PASS=... -e WORK_API=... c2s-enrich
#   docker stop -t 35 ...    (requests in flight get C2S_STOP_TIMEOUT, 30 s)
#
# The build needs Debian's package mirrors and nothing else: the Swagger
# UI files /docs loads are in the repository (web/docs/vendor/), so no npm
# runs.  Configuration is the environment, as c2s-enrich(8) lists it;
# secrets are never baked in.
# The socket path, user, group, port and pool size come from
# httpd-conf/site.env (USER and EXPOSE below must agree with it:
# atf-tests/ops_test checks).  The shared file (DEDUP_FILE) is in
# /run/c2s-enrich; to keep it in memory, mount a tmpfs there that the user
# can write (docker run --tmpfs /run/c2s-enrich:mode=1777).

# --- build: compile, install into /out.
FROM debian:bookworm-slim AS build

ARG DEBIAN_FRONTEND=noninteractive
RUN apt-get update \
    && apt-get install -y --no-install-recommends \
        gcc libc6-dev libcurl4-openssl-dev libfcgi-dev \
        libjansson-dev libpq-dev make pkg-config \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /src
COPY . .
RUN make install DESTDIR=/out PREFIX=/usr/local

# --- runtime: the shared libraries, the servers, psql for the migrations.
FROM debian:bookworm-slim

LABEL org.opencontainers.image.title="c2s-enrich" \
      org.opencontainers.image.description="Contact2Sale lead enrichment: lighttpd, FastCGI responders, worker"

ARG DEBIAN_FRONTEND=noninteractive
RUN apt-get update \
    && apt-get install -y --no-install-recommends \
        ca-certificates curl libcurl4 libfcgi0ldbl libjansson4 libpq5 \
        lighttpd postgresql-client spawn-fcgi tini \
    && rm -rf /var/lib/apt/lists/*

COPY --from=build /out/ /

# The user and the socket's directory, from site.env.
RUN set -a \
    && . /usr/local/share/c2s-enrich/httpd-conf/site.env \
    && useradd --system --gid "$C2S_GROUP" --no-create-home \
        --home-dir /nonexistent --shell /usr/sbin/nologin "$C2S_USER" \
    && install -d -o "$C2S_USER" -g "$C2S_GROUP" -m 0750 \
        "$(dirname "$C2S_SOCK")"

USER c2s
EXPOSE 8080
STOPSIGNAL SIGTERM
# (No --start-period: dockerfilelint 1.8 misreads it; the first check
# comes an interval after the start anyway.)
HEALTHCHECK --interval=15s --timeout=6s --retries=3 \
    CMD ["/usr/local/bin/c2s-enrich-entrypoint", "health"]
# tini reaps orphans as PID 1 and hands SIGTERM to the entrypoint.
ENTRYPOINT ["/usr/bin/tini", "--", "/usr/local/bin/c2s-enrich-entrypoint"]
