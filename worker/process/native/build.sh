#!/usr/bin/env bash
# Builds the wq-spawn helper (wq-spawn.c) as a static binary at $1, so it runs in any Linux image
# of the same architecture. Without a C compiler the worker still works: it then starts programs
# with Node's own spawn, which is slower (see README, "Spawn mode speed").
set -euo pipefail
out=${1:?usage: build.sh OUTPUT}
src="$(dirname "$0")/wq-spawn.c"
if ! command -v "${CC:-gcc}" >/dev/null; then
  echo "build: no C compiler (${CC:-gcc}); skipping $out: workqueue-worker will use Node's spawn" >&2
  rm -f "$out"
  exit 0
fi
mkdir -p "$(dirname "$out")"
"${CC:-gcc}" -O2 -Wall -Wextra -Werror -static -o "$out" "$src"
