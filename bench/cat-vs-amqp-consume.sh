#!/usr/bin/env bash
# Times `workqueue-worker -c N -- cat` against `amqp-consume -c N -p 10 -- cat` on the same
# queue contents (N small messages published with publisher confirms before each run), in one run.
# Usage: bench/cat-vs-amqp-consume.sh [N]   (broker: $AMQP_URL, default amqp://guest:guest@127.0.0.1:5672)
set -euo pipefail
n=${1:-2000}
url=${AMQP_URL:-amqp://guest:guest@127.0.0.1:5672}
here=$(cd "$(dirname "$0")/.." && pwd)
queue="wq-bench-$$"
fill() {
  node -e '
    const amqp = require(process.argv[1] + "/node_modules/amqplib");
    (async () => {
      const c = await amqp.connect(process.argv[2]); const ch = await c.createConfirmChannel();
      await ch.assertQueue(process.argv[3], { durable: true });
      for (let i = 0; i < Number(process.argv[4]); i++) ch.sendToQueue(process.argv[3], Buffer.from("message " + i), { persistent: true });
      await ch.waitForConfirms(); await c.close();
    })();' "$here" "$url" "$queue" "$n"
}
rate() { # command... → messages/s
  fill
  local start end
  start=$(date +%s.%N)
  "$@" >/dev/null 2>&1
  end=$(date +%s.%N)
  echo "$n / ($end - $start)" | bc -l | xargs printf '%.0f'
}
hostport=${url#*@}; hostport=${hostport%%/*}
a=$(rate amqp-consume --url "$url" -q "$queue" -c "$n" -p 10 -- cat)
w=$(rate node "$here/dist/workqueue-worker.js" -u "$url" -q "$queue" -c "$n" -- cat)
printf 'messages: %s\namqp-consume -c %s -p 10 -- cat: %s msg/s\nworkqueue-worker -c %s -- cat:    %s msg/s\nratio: %.2fx\n' "$n" "$n" "$a" "$n" "$w" "$(echo "$w / $a" | bc -l)"
node -e '
  const amqp = require(process.argv[1] + "/node_modules/amqplib");
  (async () => { const c = await amqp.connect(process.argv[2]); const ch = await c.createChannel();
    await ch.deleteQueue(process.argv[3]); await ch.deleteQueue(process.argv[3] + ".dlq"); await c.close(); })();' "$here" "$url" "$queue"
