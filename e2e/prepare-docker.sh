#!/usr/bin/env bash
# Test-only: makes a Docker engine and the base images the e2e tests build on.
# - installs docker.io and debootstrap from Debian when missing, starts dockerd when none answers;
# - base images: kept when present; pulled only with WQ_E2E_PULL=1 (tests never reach a registry
#   otherwise); else stand-ins are made locally under the names the Dockerfiles use:
#     NODE_IMAGE    = Debian bookworm (debootstrap) + this machine's Node.js + user node
#     RABBIT_IMAGE  = Debian trixie + Debian's rabbitmq-server (RabbitMQ 4.0) with the management
#                     plugin, laid out like the official image where our broker entrypoint depends
#                     on it: a docker-entrypoint.sh on PATH that drops to the rabbitmq user and
#                     runs RabbitMQ's own start script (SIGTERM stops the node; its log goes to the
#                     console), HOME /var/lib/rabbitmq, defaults in /etc/rabbitmq/conf.d
#   Stand-ins exist so the synthesized images can be built without a registry; they are not
#   the official images and are never pushed anywhere.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
say() { echo "e2e-prepare: $*" >&2; }
cache=${WQ_E2E_CACHE:-/var/tmp/workqueue-e2e}
# The names the Dockerfiles build on by default (the constructs pass the same defaults).
base_of() { sed -n 's/^ARG BASE_IMAGE=//p' "$(dirname "$0")/../images/$1/Dockerfile"; }
NODE_IMAGE=$(base_of worker)
RABBIT_IMAGE=$(base_of broker)

missing=()
command -v dockerd >/dev/null || missing+=(docker.io)
command -v debootstrap >/dev/null || missing+=(debootstrap)
command -v amqp-publish >/dev/null || missing+=(amqp-tools)
if ((${#missing[@]})); then
  say "installing ${missing[*]}"
  apt-get update -qq && apt-get install -y -qq "${missing[@]}" >/dev/null
fi

if ! docker info >/dev/null 2>&1; then
  say "starting dockerd (log: /var/log/workqueue-dockerd.log)"
  nohup dockerd >/var/log/workqueue-dockerd.log 2>&1 &
  for _ in $(seq 60); do docker info >/dev/null 2>&1 && break; sleep 1; done
  docker info >/dev/null 2>&1 || { say "dockerd did not start; see /var/log/workqueue-dockerd.log" >&2; exit 1; }
fi

have() { docker image inspect "$1" >/dev/null 2>&1; }
# Revision of the RabbitMQ stand-in, on its image as a label: a stand-in of another revision is made
# again (one made by `docker import` says so in its comment; a pulled image is always kept).
STAND_IN_LABEL=workqueue.e2e.stand-in
RABBIT_STAND_IN=2
current_rabbit() {
  have "$1" || return 1
  case "$(docker image inspect -f '{{.Comment}}' "$1")" in
    "Imported from"*) [ "$(docker image inspect -f "{{index .Config.Labels \"$STAND_IN_LABEL\"}}" "$1")" = "$RABBIT_STAND_IN" ] ;;
    *) return 0 ;;
  esac
}
pulled() { [ "${WQ_E2E_PULL:-0}" = 1 ] && timeout 120 docker pull -q "$1" >/dev/null 2>&1; }

rootfs() { # $1 = Debian suite: a minbase tree of it, cached
  local dir="$cache/$1"
  if [ ! -e "$dir/.done" ]; then
    rm -rf "$dir"; mkdir -p "$cache"
    say "debootstrap $1 into $dir (about a minute)"
    debootstrap --variant=minbase "$1" "$dir" http://deb.debian.org/debian >"$cache/$1.log" 2>&1 \
      || { say "debootstrap failed; see $cache/$1.log" >&2; exit 1; }
    touch "$dir/.done"
  fi
  echo "$dir"
}

if ! have "$NODE_IMAGE" && ! pulled "$NODE_IMAGE"; then
  base=$(rootfs bookworm)
  say "making stand-in $NODE_IMAGE from $base and $(command -v node) ($(node --version))"
  ctx=$(mktemp -d)
  tar -C "$base" --exclude=./.done -c . | docker import -c 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' - workqueue-e2e/bookworm:latest >/dev/null
  cp "$(command -v node)" "$ctx/node"
  cat >"$ctx/Dockerfile" <<'DOCKERFILE'
FROM workqueue-e2e/bookworm:latest
COPY node /usr/local/bin/node
RUN groupadd --gid 1000 node && useradd --uid 1000 --gid node --shell /bin/bash --create-home node
DOCKERFILE
  docker build -q -t "$NODE_IMAGE" "$ctx" >/dev/null 2>&1
  rm -rf "$ctx"
fi

if ! current_rabbit "$RABBIT_IMAGE" && ! pulled "$RABBIT_IMAGE"; then
  base=$(rootfs trixie)
  dir="$cache/rabbitmq-trixie"
  if [ ! -e "$dir/.done" ]; then
    say "installing Debian's rabbitmq-server (trixie: RabbitMQ 4) into a copy of $base"
    rm -rf "$dir"; cp -a "$base" "$dir"; rm -f "$dir/.done"
    cp /etc/resolv.conf "$dir/etc/resolv.conf"
    chroot "$dir" sh -c 'apt-get update -qq && apt-get install -y -qq --no-install-recommends rabbitmq-server && apt-get clean && rm -rf /var/lib/apt/lists/*' \
      >"$cache/rabbitmq-install.log" 2>&1 || { say "installing rabbitmq-server failed; see $cache/rabbitmq-install.log" >&2; exit 1; }
    # What the official management image has and our entrypoint or tests rely on.
    echo '[rabbitmq_management,rabbitmq_prometheus].' >"$dir/etc/rabbitmq/enabled_plugins"
    mkdir -p "$dir/etc/rabbitmq/conf.d"
    printf '%s\n' 'loopback_users.guest = false' 'listeners.tcp.default = 5672' 'management.tcp.port = 15672' \
      'log.console = true' >"$dir/etc/rabbitmq/conf.d/10-defaults.conf"
    touch "$dir/.done"
  fi
  # Written at every build (not cached with the tree), so a change here reaches the next stand-in.
  cat >"$dir/usr/local/bin/docker-entrypoint.sh" <<'ENTRYPOINT'
#!/bin/sh
# Stand-in for the official image's entrypoint: as root, hand the data directory to the rabbitmq
# user and run the server as that user; anything else runs as given. The server is RabbitMQ's own
# start script, as in the official image, not Debian's /usr/sbin wrapper: that one keeps a shell as
# PID 1 that ignores docker stop's SIGTERM (a stop then waits for the KILL) and sends the log to
# /var/log/rabbitmq/startup_log instead of the console.
set -e
if [ "$1" = rabbitmq-server ] && [ "$(id -u)" = 0 ]; then
  find /var/lib/rabbitmq \! -user rabbitmq -exec chown rabbitmq:rabbitmq '{}' +
  exec setpriv --reuid=rabbitmq --regid=rabbitmq --init-groups "$0" "$@"
fi
if [ "$1" = rabbitmq-server ]; then
  shift
  cd /var/lib/rabbitmq
  exec /usr/lib/rabbitmq/bin/rabbitmq-server "$@"
fi
exec "$@"
ENTRYPOINT
  chmod 0755 "$dir/usr/local/bin/docker-entrypoint.sh"
  say "making stand-in $RABBIT_IMAGE ($(ls "$dir/usr/lib/rabbitmq/lib"))"
  tar -C "$dir" --exclude=./.done -c . | docker import \
    -c 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' -c 'ENV HOME=/var/lib/rabbitmq' \
    -c "LABEL $STAND_IN_LABEL=$RABBIT_STAND_IN" \
    -c 'ENTRYPOINT ["docker-entrypoint.sh"]' -c 'CMD ["rabbitmq-server"]' - "$RABBIT_IMAGE" >/dev/null
fi
say "ready: $(docker version -f 'engine {{.Server.Version}}'); base images $NODE_IMAGE, $RABBIT_IMAGE"
