#!/usr/bin/env bash
# Test-only: makes a Docker engine and the base images the e2e tests build on.
# - installs docker.io and debootstrap from Debian when missing, starts dockerd when none answers;
# - base images: kept when present; pulled only with WQ_E2E_PULL=1 (tests never reach a registry
#   otherwise); else stand-ins are made locally under the names the Dockerfiles use:
#     node:20-bookworm-slim     = Debian bookworm (debootstrap) + this machine's Node.js + user node
#     rabbitmq:3.13-management  = Debian bookworm + Debian's rabbitmq-server
#   Stand-ins exist so the synthesized images can be built without a registry; they are not
#   the official images and are never pushed anywhere.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
say() { echo "e2e-prepare: $*" >&2; }
cache=${WQ_E2E_CACHE:-/var/tmp/workqueue-e2e}
NODE_IMAGE=node:20-bookworm-slim
RABBIT_IMAGE=rabbitmq:3.13-management

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
pulled() { [ "${WQ_E2E_PULL:-0}" = 1 ] && timeout 120 docker pull -q "$1" >/dev/null 2>&1; }

rootfs() { # $1 = name: a bookworm minbase tree, cached
  local dir="$cache/$1"
  if [ ! -e "$dir/.done" ]; then
    rm -rf "$dir"; mkdir -p "$cache"
    say "debootstrap bookworm into $dir (about a minute)"
    debootstrap --variant=minbase bookworm "$dir" http://deb.debian.org/debian >"$cache/$1.log" 2>&1 \
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

if ! have "$RABBIT_IMAGE" && ! pulled "$RABBIT_IMAGE"; then
  base=$(rootfs bookworm)
  dir="$cache/rabbitmq"
  if [ ! -e "$dir/.done" ]; then
    say "installing Debian's rabbitmq-server into a copy of $base"
    rm -rf "$dir"; cp -a "$base" "$dir"; rm -f "$dir/.done"
    cp /etc/resolv.conf "$dir/etc/resolv.conf"
    chroot "$dir" sh -c 'apt-get update -qq && apt-get install -y -qq --no-install-recommends rabbitmq-server && apt-get clean && rm -rf /var/lib/apt/lists/*' \
      >"$cache/rabbitmq-install.log" 2>&1 || { say "installing rabbitmq-server failed; see $cache/rabbitmq-install.log" >&2; exit 1; }
    touch "$dir/.done"
  fi
  say "making stand-in $RABBIT_IMAGE"
  tar -C "$dir" --exclude=./.done -c . | docker import -c 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' - "$RABBIT_IMAGE" >/dev/null
fi
say "ready: $(docker version -f 'engine {{.Server.Version}}'); base images $NODE_IMAGE, $RABBIT_IMAGE"
