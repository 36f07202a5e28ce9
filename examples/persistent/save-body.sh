#!/bin/sh
# workqueue-worker --persistent -- save-body.sh DIR: saves each body to DIR/<request id>.
# The worker writes {"id":"...","body":"<base64>","meta":{...}} with the keys in that order.
while IFS= read -r line; do
  id=${line#\{\"id\":\"}; id=${id%%\"*}
  body=${line#*\"body\":\"}; body=${body%%\"*}
  if printf %s "$body" | base64 -d > "$1/$id"; then ok=true; else ok=false; fi
  printf '{"id":"%s","ok":%s}\n' "$id" "$ok"
done
