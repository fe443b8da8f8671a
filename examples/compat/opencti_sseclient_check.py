#!/usr/bin/env python3
# Consume a ctifeed live stream with OpenCTI's SSE client library (filigran-sseclient), the
# way pycti's ListenStream does: keep the id of every frame, heartbeats included, and
# resume with it as Last-Event-ID.
import base64, json, sys
from filigran_sseclient import SSEClient

url = sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:8080/stream/detection-indicators"
auth = "Basic " + base64.b64encode(b"analyst:analyst-demo-password").decode()

def consume(last_id, limit=None):
    out, state = [], last_id
    client = SSEClient(url, last_id, headers={"Authorization": auth})
    for msg in client:
        if msg.event == "connected":
            continue
        if msg.event == "heartbeat":
            state = msg.id
            break  # sent when idle: caught up with the log's end
        data = json.loads(msg.data)
        assert data["version"] == "4" and data["type"] == msg.event, data
        out.append((msg.event, data["data"]["id"], data.get("origin", {}).get("referer")))
        state = msg.id
        if limit is not None and len(out) >= limit:
            break
    return out, state

full, _ = consume("0", None)
print("uninterrupted from 0:", len(full), "messages")
kinds = {}
for e, _, ref in full:
    kinds[(e, ref)] = kinds.get((e, ref), 0) + 1
print("  by (event, origin.referer):", kinds)
# Cut at random points (1 to 40 messages per connection) and resume each time with the id
# pycti would have saved (the last frame's, heartbeats included).
import random
rnd = random.Random(7)
got, state, cuts = [], "0", 0
while True:
    n = rnd.randint(1, 40)
    part, state = consume(state, n)
    got += part
    cuts += 1
    if len(part) < n or cuts > 10 * len(full):
        break
missing = set(full) - set(got)
print("resumed", cuts, "times; received", len(got), "messages (", len(got) - len(set(got)), "repeats );",
      "missing from the uninterrupted run:", len(missing))
sys.exit(1 if missing else 0)
