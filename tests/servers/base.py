"""base.py: what the stand-ins in this folder share, as curl's test servers
share tests/server/util.c: the threading HTTP(S) server, reading a request
body, writing an answer, the request log, the fault knobs every stand-in has
and the flags that set them.  Standard library only.

A stand-in is run as a script from any directory; it finds this module
through its own directory:

    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import base

What a service says (its errors, its headers, what it redacts, how it counts
a rate limit) stays in the stand-in of that service.
"""

import collections
import json
import random
import signal
import socket
import ssl
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

# ---------------------------------------------------------------------------
# the server


def tls_context(cert, key, alpn=None, client_ca=None):
    """A server context for the certificate chain in cert and its key.
    With client_ca, mutual TLS: the handshake fails without a client
    certificate signed by that CA (as Vault's listener does with
    tls_require_and_verify_client_cert)."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    ctx.load_cert_chain(cert, key)
    if client_ca:
        ctx.load_verify_locations(cafile=client_ca)
        ctx.verify_mode = ssl.CERT_REQUIRED
    if alpn:
        ctx.set_alpn_protocols(alpn)
    return ctx


class Server(ThreadingHTTPServer):
    """A thread a connection.  With tls, every connection is wrapped, and
    its handshake done, in that connection's own thread, so a client that
    never finishes one holds up no other."""

    daemon_threads = True
    allow_reuse_address = True
    handshake_timeout = 15
    trace_errors = True     # a traceback on stderr for errors not of the network

    def __init__(self, addr, handler, tls=None, backlog=5):
        self.tls = tls
        self.host = addr[0]
        self.request_queue_size = backlog   # read by listen() in __init__
        super().__init__(addr, handler)

    @property
    def url(self):
        """The base URL: the scheme, the host as given, the port bound."""
        host = self.host if ":" not in self.host else "[%s]" % self.host
        return "%s://%s:%d" % ("https" if self.tls else "http", host,
                               self.server_address[1])

    def finish_request(self, request, client_address):
        try:
            request.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        except OSError:
            pass
        if self.tls is None:
            self.RequestHandlerClass(request, client_address, self)
            return
        request.settimeout(self.handshake_timeout)
        try:
            conn = self.tls.wrap_socket(request, server_side=True)
        except (ssl.SSLError, OSError):
            return
        try:
            self.RequestHandlerClass(conn, client_address, self)
        finally:
            self.shutdown_request(conn)

    def handle_error(self, request, client_address):
        # A client that goes away, times out or fails its handshake is
        # part of the tests, not a fault of the stand-in.
        if isinstance(sys.exc_info()[1], OSError) or not self.trace_errors:
            return
        super().handle_error(request, client_address)


def serve(server, close=None, poll_interval=0.5):
    """Print the base URL as the first line on stdout, now that the socket
    listens, and answer until SIGTERM or SIGINT; then close and return 0."""

    def stop(signum, frame):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    sys.stdout.write(server.url + "\n")
    sys.stdout.flush()
    try:
        server.serve_forever(poll_interval=poll_interval)
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
        if close is not None:
            close()
    return 0


# ---------------------------------------------------------------------------
# a request and its answer


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):   # no access log on stderr
        pass

    def read_body(self, limit=None):
        """The request body, chunked or of Content-Length bytes; ValueError
        when it is malformed or its Content-Length is above limit."""
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            chunks = []
            while True:
                line = self.rfile.readline(65537)
                size = int(line.split(b";", 1)[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline(65537) not in (b"\r\n", b"\n", b""):
                        pass
                    break
                chunks.append(self.rfile.read(size))
                self.rfile.readline(65537)
            return b"".join(chunks)
        n = int(self.headers.get("Content-Length") or 0)
        if limit is not None and n > limit:
            raise ValueError("body too large")
        return self.rfile.read(n) if n > 0 else b""

    def send_raw(self, status, headers, body=b"", head_only=False):
        """The status line, headers in the order given, Content-Length
        (none on 204 and 304, which have no body) and Connection: close when
        this is the last answer on the connection, in one write: no
        Nagle/delayed-ACK stall between headers and body."""
        reason = self.responses.get(status, ("",))[0]
        lines = ["HTTP/1.1 %d %s" % (status, reason)]
        lines.extend("%s: %s" % h for h in headers)
        if status in (204, 304):
            body = b""
        else:
            lines.append("Content-Length: %d" % len(body))
        if self.close_connection:
            lines.append("Connection: close")
        out = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
        self.wfile.write(out if head_only else out + body)

    def drop(self):
        """End the connection without an answer."""
        self.close_connection = True
        try:
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass


# ---------------------------------------------------------------------------
# the request log


class RequestLog:
    """The requests seen, numbered from 1 (seq), the last keep of them in
    memory and each one a line of the file at path when there is one."""

    def __init__(self, path=None, keep=100000, dumps=None):
        self.lock = threading.Lock()
        self.entries = collections.deque(maxlen=keep)
        self.seq = 0
        self.dumps = dumps or (lambda e: json.dumps(e, ensure_ascii=False))
        self.fh = open(path, "a", encoding="utf-8", buffering=1) if path else None

    def add(self, entry):
        with self.lock:
            self.seq += 1
            entry["seq"] = self.seq
            self.entries.append(entry)
            if self.fh is not None:
                try:
                    self.fh.write(self.dumps(entry) + "\n")
                except (OSError, ValueError):
                    pass

    def since(self, seq):
        with self.lock:
            return [e for e in self.entries if e["seq"] > seq]

    def clear(self):
        """Forget the entries; the numbering goes on."""
        with self.lock:
            self.entries.clear()

    def admin(self, method, query):
        """GET /_admin/requests[?since=SEQ] and DELETE /_admin/requests:
        the answer's document, or None for another method."""
        if method == "GET":
            return {"requests": self.since(int(query.get("since") or 0))}
        if method == "DELETE":
            self.clear()
            return {"ok": True}
        return None

    def close(self):
        with self.lock:
            if self.fh is not None:
                try:
                    self.fh.close()
                except OSError:
                    pass
                self.fh = None


# ---------------------------------------------------------------------------
# fault knobs


class Faults:
    """A fixed latency, and a fault drawn at random for a share fail_rate of
    the requests from fail_kinds, reproducibly with fail_seed.  What a kind
    means, which requests may draw one and how the knobs are checked is the
    stand-in's."""

    def __init__(self, latency_ms=0, fail_rate=0.0, fail_seed=None,
                 fail_kinds=()):
        self.lock = threading.Lock()
        self.latency_ms = latency_ms
        self.fail_rate = fail_rate
        self.fail_kinds = list(fail_kinds)
        self.reseed(fail_seed)

    def reseed(self, seed):
        self.fail_seed = seed
        self.rng = random.Random(seed)

    def delay(self):
        if self.latency_ms:
            time.sleep(self.latency_ms / 1000.0)

    def pick(self):
        """A kind from fail_kinds, or None for no fault."""
        with self.lock:
            if self.fail_rate <= 0 or not self.fail_kinds:
                return None
            if self.rng.random() >= self.fail_rate:
                return None
            return self.rng.choice(self.fail_kinds)


# ---------------------------------------------------------------------------
# flags


def listen_args(p, tls_required=False):
    """--port, --host, --tls-cert and --tls-key."""
    p.add_argument("--port", type=int, default=0,
                   help="TCP port (default 0: a free one)")
    p.add_argument("--host", default="127.0.0.1",
                   help="address to bind and to put in the base URL "
                   "(default 127.0.0.1)")
    p.add_argument("--tls-cert", metavar="PEM", required=tls_required,
                   help="serve HTTPS with this certificate chain (PEM; "
                   "needs --tls-key)")
    p.add_argument("--tls-key", metavar="PEM", required=tls_required,
                   help="private key for --tls-cert (PEM)")


def client_ca_arg(p):
    """--client-ca, for a server that offers mutual TLS."""
    p.add_argument("--client-ca", metavar="PEM",
                   help="mutual TLS: refuse a connection without a client "
                   "certificate signed by this CA (needs --tls-cert)")


def listen_tls(p, args, alpn=None):
    """The TLS context the listening flags ask for, or None for HTTP."""
    if bool(args.tls_cert) != bool(args.tls_key):
        p.error("--tls-cert and --tls-key go together")
    client_ca = getattr(args, "client_ca", None)
    if client_ca and not args.tls_cert:
        p.error("--client-ca needs --tls-cert and --tls-key")
    if not args.tls_cert:
        return None
    return tls_context(args.tls_cert, args.tls_key, alpn, client_ca)


def fault_args(p, fail_seed, fail_kinds, kinds_help):
    """--latency, --fail-rate, --fail-seed and --fail-kinds."""
    p.add_argument("--latency", type=float, default=0, metavar="MS",
                   help="delay every request but the admin ones by MS "
                   "milliseconds")
    p.add_argument("--fail-rate", type=float, default=0, metavar="F",
                   help="probability (0..1) that a request gets an injected "
                   "fault before it is processed")
    p.add_argument("--fail-seed", type=int, default=fail_seed, metavar="N",
                   help="seed of the fault generator, for reproducible "
                   "faults (default %s)" % ("a new one each run"
                                            if fail_seed is None else fail_seed))
    p.add_argument("--fail-kinds", default=fail_kinds, metavar="LIST",
                   help="comma list of faults to draw from: %s; drop closes "
                   "the connection without an answer (default %s)"
                   % (kinds_help, fail_kinds))
