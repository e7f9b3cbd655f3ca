#!/usr/bin/env python3
"""A webhook receiver for the tests: what an MES endpoint would be, on
loopback. It checks every POST's HMAC-SHA256 signature with the shared
secret, answers 503 to the first --fail-first deliveries (a receiver having
a bad minute), and appends one JSON line per delivery to --log:
{"key", "event", "delivery", "signature_ok", "status", "body"}.

usage: webhook_receiver.py --port P --secret-file F --log FILE [--fail-first N]
"""
import argparse
import hashlib
import hmac
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--secret-file", required=True)
    ap.add_argument("--log", required=True)
    ap.add_argument("--fail-first", type=int, default=0)
    args = ap.parse_args()
    secret = open(args.secret_file, "rb").read().strip()
    lock = threading.Lock()
    state = {"seen": 0}

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            want = "sha256=" + hmac.new(secret, body, hashlib.sha256).hexdigest()
            with lock:
                state["seen"] += 1
                status = 503 if state["seen"] <= args.fail_first else 200
                entry = {"key": self.headers.get("Idempotency-Key"),
                         "event": self.headers.get("X-Jigd-Event"),
                         "delivery": self.headers.get("X-Jigd-Delivery"),
                         "signature_ok": hmac.compare_digest(
                             want, self.headers.get("X-Jigd-Signature", "")),
                         "status": status,
                         "body": json.loads(body)}
                with open(args.log, "a") as f:
                    f.write(json.dumps(entry) + "\n")
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *a):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    print("ready", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
