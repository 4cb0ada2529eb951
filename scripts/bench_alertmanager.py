"""The peer of the storm benchmark: Prometheus Alertmanager (the Debian package), on loopback, fed
the same storm the alert engine was (`bench_storm --write-events`), and a webhook receiver that
counts what it is told. Alertmanager runs on the wall clock, so the storm's hour is replayed
compressed (60x by default) and its timings compressed alike: group_wait 30 s -> 0.5 s,
group_interval 5 min -> 5 s, repeat_interval 4 h -> 4 min. It groups by workspace and the node a
test checks (the best it can do: it knows no lineage). Prints a Markdown table row.

Usage: python3 bench_alertmanager.py ALERTMANAGER_BINARY EVENTS.jsonl [COMPRESSION]
"""
import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

binary, events_path = sys.argv[1], sys.argv[2]
compression = float(sys.argv[3]) if len(sys.argv) > 3 else 60.0


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


received = {"posts": 0, "alerts": 0}
lock = threading.Lock()


class Hook(BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("content-length", 0)))
        n = len(json.loads(body or b"{}").get("alerts", []))
        with lock:
            received["posts"] += 1
            received["alerts"] += n
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args):
        pass


hook_port, am_port = free_port(), free_port()
server = ThreadingHTTPServer(("127.0.0.1", hook_port), Hook)
threading.Thread(target=server.serve_forever, daemon=True).start()


def ms(seconds):
    return f"{max(int(seconds * 1000 / compression), 1)}ms"


work = tempfile.mkdtemp(prefix="am-")
config = os.path.join(work, "alertmanager.yml")
with open(config, "w") as f:
    f.write(
        f"""global:
  resolve_timeout: {ms(36 * 3600)}
route:
  receiver: hook
  group_by: [workspace, subject]
  group_wait: {ms(30)}
  group_interval: {ms(300)}
  repeat_interval: {ms(4 * 3600)}
receivers:
  - name: hook
    webhook_configs:
      - url: http://127.0.0.1:{hook_port}/
        send_resolved: false
"""
    )
am = subprocess.Popen(
    [binary, f"--config.file={config}", f"--storage.path={work}/data",
     f"--web.listen-address=127.0.0.1:{am_port}", "--cluster.listen-address=", "--log.level=warn"],
    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
)
api = f"http://127.0.0.1:{am_port}/api/v2/alerts"
for _ in range(100):
    try:
        urllib.request.urlopen(f"http://127.0.0.1:{am_port}/-/ready", timeout=1)
        break
    except OSError:
        time.sleep(0.1)

events = [json.loads(line) for line in open(events_path)]
t0 = events[0]["at"]
start = time.monotonic()
posting = 0.0
batch, batch_due = [], None
sent = 0


def post(batch):
    global posting
    now = datetime.now(timezone.utc)
    alerts = [{
        "labels": {"alertname": e["kind"], "workspace": e["workspace"], "subject": e["subject"], "node": e["node"]},
        "annotations": {"id": e["id"]},
        "startsAt": now.isoformat(),
        "endsAt": (now + timedelta(seconds=36 * 3600 / compression)).isoformat(),
    } for e in batch]
    t = time.monotonic()
    req = urllib.request.Request(api, data=json.dumps(alerts).encode(), headers={"content-type": "application/json"})
    urllib.request.urlopen(req, timeout=60).read()
    posting += time.monotonic() - t


for e in events:
    due = (e["at"] - t0) / 1000.0 / compression
    if batch and (due - batch_due > 0.05 or len(batch) >= 2000):
        wait = batch_due - (time.monotonic() - start)
        if wait > 0:
            time.sleep(wait)
        post(batch)
        sent += len(batch)
        batch = []
    if not batch:
        batch_due = due
    batch.append(e)
if batch:
    post(batch)
    sent += len(batch)
fed = time.monotonic() - start
# Let the last groups flush (group_wait, then one group_interval).
time.sleep(30 / compression + 2 * 300 / compression + 1)
cpu = 0.0
try:
    with open(f"/proc/{am.pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
        cpu = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
except OSError:
    pass
am.terminate()
am.wait(timeout=10)
server.shutdown()
per_test = sum(1 for e in events if e["kind"] == "test_failure")
print("| peer | signals | replayed over | API time | its CPU | notifications | alerts in them | one per failing test | fewer |")
print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
print(
    f"| Prometheus Alertmanager 0.25 (group_by workspace, subject; {compression:.0f}x compressed) | {sent} | {fed:.1f} s "
    f"| {posting:.1f} s | {cpu:.1f} s | {received['posts']} | {received['alerts']} | {per_test} "
    f"| {100 * (1 - received['posts'] / max(per_test, 1)):.2f} % |"
)
