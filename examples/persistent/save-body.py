#!/usr/bin/env python3
# workqueue-worker --persistent -- save-body.py DIR: saves each body to DIR/<message id>.
import base64, json, os, sys

for line in sys.stdin:
    msg = json.loads(line)
    try:
        name = os.path.basename(msg["meta"]["messageId"]) or msg["id"]
        with open(os.path.join(sys.argv[1], name), "wb") as out:
            out.write(base64.b64decode(msg["body"]))
        print(json.dumps({"id": msg["id"], "ok": True}), flush=True)
    except OSError as err:
        print(json.dumps({"id": msg["id"], "ok": False, "error": str(err)}), flush=True)
