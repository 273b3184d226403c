#!/usr/bin/env python3
"""flaky.py: a loopback HTTP(S) server that misbehaves on request, for the
tests of the HTTP engine (tests/http.bats).

The path says what to do: /seq/A,B,C answers the first request for that
exact path and query with A, the second with B, then C for ever.  A step:

  200, 404, 503, ...   that status, body "METHOD PATH n=N len=BODYLEN"
  429-ra1              with Retry-After: 1 (seconds; fractions allowed)
  503-date2            with Retry-After as an HTTP-date 2 s ahead
  503-ms300            with x-ms-retry-after-ms: 300
  503-rams300          with retry-after-ms: 300
  503-ra5-ms300        both, to show which one wins
  drop                 close the connection without an answer
  hang                 answer nothing for --hang seconds

Any other path answers with the step given by --default (200 unless
told): --default hang --hang 3600 is a server that accepts and never
answers.  POST /_body sets the body of those answers, sent as
application/json, for answers a service would never give (a bare string,
null, wrong kinds inside); an empty one goes back to the text above.  A
query parameter hold=MS delays every answer, so requests overlap.
GET /_stats: JSON with the requests seen, the connections accepted, and
the most requests in progress at once, overall and by attempt number (the
how-many-th request for its path this was).  GET /_reset forgets all.

Prints its base URL on the first line of stdout once it listens.
"""

import argparse
import email.utils
import json
import os
import sys
import threading
import time
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import base  # noqa: E402  the scaffolding the stand-ins share


class State:
    def __init__(self):
        self.lock = threading.Lock()
        self.reset()

    def reset(self):
        self.seen = {}          # path and query -> requests so far
        self.requests = 0
        self.connections = 0
        self.inflight = 0
        self.max_inflight = 0
        self.max_by_attempt = {}
        self.body = None        # POST /_body: the default answers' body


STATE = State()


class Handler(base.Handler):
    hang = 5.0
    default = "200"

    def setup(self):
        super().setup()
        with STATE.lock:
            STATE.connections += 1

    def reply(self, status, body=b"", headers=(), ctype="text/plain"):
        self.send_response(status)
        for k, v in headers:
            self.send_header(k, v)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def admin(self, path, body):
        if path == "/_body" and self.command in ("POST", "PUT"):
            with STATE.lock:
                STATE.body = body or None
            return self.reply(204)
        if path == "/_reset":
            with STATE.lock:
                STATE.reset()
            return self.reply(204)
        if path == "/_stats":
            with STATE.lock:
                s = {"requests": STATE.requests,
                     "connections": STATE.connections,
                     "max_inflight": STATE.max_inflight,
                     "max_by_attempt": STATE.max_by_attempt}
            return self.reply(200, json.dumps(s, sort_keys=True).encode())
        return self.reply(404, b"no such admin path\n")

    def handle_any(self):
        body = self.read_body()
        url = urllib.parse.urlsplit(self.path)
        if url.path.startswith("/_"):
            return self.admin(url.path, body)
        query = urllib.parse.parse_qs(url.query)
        hold = float(query.get("hold", ["0"])[0]) / 1000
        with STATE.lock:
            nth = STATE.seen.get(self.path, 0) + 1
            STATE.seen[self.path] = nth
            STATE.requests += 1
            STATE.inflight += 1
            STATE.max_inflight = max(STATE.max_inflight, STATE.inflight)
            by = STATE.max_by_attempt
            by[str(nth)] = max(by.get(str(nth), 0), STATE.inflight)
        try:
            self.answer(url.path, nth, hold, body)
        finally:
            with STATE.lock:
                STATE.inflight -= 1

    def answer(self, path, nth, hold, body):
        steps = path[len("/seq/"):].split(",") if path.startswith(
            "/seq/") else [self.default]
        step = steps[min(nth, len(steps)) - 1].split("-")
        time.sleep(hold)
        if step[0] == "drop":
            self.drop()
            return
        if step[0] == "hang":
            time.sleep(self.hang)
            self.close_connection = True
            return
        headers = []
        for mod in step[1:]:
            if mod.startswith("rams"):
                headers.append(("retry-after-ms", mod[4:]))
            elif mod.startswith("ra"):
                headers.append(("Retry-After", mod[2:]))
            elif mod.startswith("date"):
                when = time.time() + float(mod[4:])
                headers.append(("Retry-After",
                                email.utils.formatdate(when, usegmt=True)))
            elif mod.startswith("ms"):
                headers.append(("x-ms-retry-after-ms", mod[2:]))
        with STATE.lock:
            fixed = STATE.body if not path.startswith("/seq/") else None
        if fixed is not None:
            return self.reply(int(step[0]), fixed, headers,
                              "application/json")
        text = "%s %s n=%d len=%d\n" % (self.command, path, nth, len(body))
        self.reply(int(step[0]), text.encode(), headers)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_LIST = \
        do_HEAD = handle_any


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    base.listen_args(ap)
    ap.add_argument("--hang", type=float, default=5.0,
                    help="seconds a 'hang' step stays silent")
    ap.add_argument("--default", default="200",
                    help="the step for paths outside /seq/")
    args = ap.parse_args()
    Handler.hang = args.hang
    Handler.default = args.default
    srv = base.Server((args.host, args.port), Handler,
                      base.listen_tls(ap, args), backlog=128)
    return base.serve(srv)


if __name__ == "__main__":
    sys.exit(main())
