# Persistent-mode program for the benchmark: answers every message ok at once.
import json
import sys

for line in sys.stdin:
    sys.stdout.write('{"id": "%s", "ok": true}\n' % json.loads(line)["id"])
    sys.stdout.flush()
