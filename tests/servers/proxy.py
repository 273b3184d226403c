#!/usr/bin/env python3
"""proxy.py: a recording HTTP proxy for the tests (standard library only).

Every request it receives is logged to --log as one JSON line:
{"method": ..., "target": ..., "headers": {lower-case name: value}}.
Absolute-form requests (GET http://host:port/path) are forwarded as they
are; CONNECT host:port opens a tunnel and relays bytes both ways.  Names
ending in .localhost go to 127.0.0.1, as curl resolves them, so that a
test can use names that are not loopback by their look.

Prints its base URL (http://127.0.0.1:PORT) on the first line of stdout.
"""

import argparse
import http.client
import json
import os
import select
import socket
import sys
import threading
from urllib.parse import urlsplit

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import base  # noqa: E402  the scaffolding the stand-ins share

HOP = {"connection", "proxy-connection", "keep-alive", "te", "trailer",
       "transfer-encoding", "upgrade", "proxy-authorization"}


def resolve(host):
    if host == "localhost" or host.endswith(".localhost"):
        return "127.0.0.1"
    return host


class Handler(base.Handler):
    def record(self):
        rec = {"method": self.command, "target": self.path,
               "headers": {k.lower(): v for k, v in self.headers.items()}}
        with self.server.lock:
            with open(self.server.log, "a") as f:
                f.write(json.dumps(rec) + "\n")

    def do_CONNECT(self):
        self.record()
        host, _, port = self.path.rpartition(":")
        try:
            up = socket.create_connection((resolve(host.strip("[]")),
                                           int(port)), timeout=10)
        except (OSError, ValueError):
            self.send_error(502)
            return
        self.send_response(200, "Connection established")
        self.end_headers()
        self.wfile.flush()
        socks = [self.connection, up]
        try:
            while True:
                r, _, _ = select.select(socks, [], [], 30)
                if not r:
                    break
                for s in r:
                    data = s.recv(65536)
                    if not data:
                        return
                    (up if s is self.connection else
                     self.connection).sendall(data)
        except OSError:
            pass
        finally:
            up.close()
            self.close_connection = True

    def forward(self):
        self.record()
        u = urlsplit(self.path)
        if u.scheme != "http" or not u.hostname:
            self.send_error(400, "not an absolute http URL")
            return
        body = self.read_body() or None
        hdrs = {k: v for k, v in self.headers.items()
                if k.lower() not in HOP}
        path = u.path or "/"
        if u.query:
            path += "?" + u.query
        try:
            c = http.client.HTTPConnection(resolve(u.hostname),
                                           u.port or 80, timeout=30)
            c.request(self.command, path, body=body, headers=hdrs)
            r = c.getresponse()
            data = r.read()
        except OSError:
            self.send_error(502)
            return
        self.send_response(r.status, r.reason)
        for k, v in r.getheaders():
            if k.lower() not in HOP and k.lower() != "content-length":
                self.send_header(k, v)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)
        c.close()

    def __getattr__(self, name):
        # do_GET, do_PUT, do_LIST...: every method is forwarded.
        if name.startswith("do_"):
            return self.forward
        raise AttributeError(name)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--log", required=True)
    a = ap.parse_args()
    srv = base.Server(("127.0.0.1", a.port), Handler)
    srv.log = a.log
    srv.lock = threading.Lock()
    open(a.log, "a").close()
    return base.serve(srv)


if __name__ == "__main__":
    sys.exit(main())
