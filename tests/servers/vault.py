#!/usr/bin/env python3
"""vault.py: a local stand-in for HashiCorp Vault's HTTP API, for tests.

Standard library only. It speaks the parts of Vault's API that vault2kv uses
(KV v1 and v2, mounts, ACL policies, tokens, namespaces, capabilities) with
Vault's real status codes, envelopes and error texts, keeps everything in
memory, and can be made slow, flaky or rate limited on purpose.

    python3 tests/servers/vault.py --port 0 --root-token root --log FILE

The FIRST line on stdout is the base URL (http://127.0.0.1:PORT, or https://
with --tls-cert/--tls-key), printed once the socket listens; nothing else is
ever written to stdout. SIGTERM or SIGINT stops it cleanly (exit 0).

Sources of the behaviour copied here are cited next to the code as
[vault FILE] (hashicorp/vault), [kvplugin FILE]
(hashicorp/vault-plugin-secrets-kv) and [docs PAGE] (developer.hashicorp.com
/vault/api-docs/...).

State at start: the root namespace with the mounts sys/, cubbyhole/,
identity/ and a KV v2 mount secret/, the policies "default" and "root", the
token auth mount token/, and the root token given by --root-token.

FIXTURE FORMAT (--seed FILE, POST /_admin/seed; both add to the state)
--------------------------------------------------------------------------
A JSON object describing one namespace (the root one at the top level); every
key is optional:

  {
    "mounts": {                        # mount path -> spec ("/" optional)
      "secret/": {"type": "kv", "version": "2"},
      "legacy/": {"type": "kv", "version": "1", "description": "old"},
      "kv1b/":   1                     # shorthand: KV of that version
    },
    "secrets": {
      "secret/": {                     # key ending in "/": a mount, then
        "app/db": {                    #   paths inside it
          "versions": [                # version 1, 2, ... in order
            {"data": {"user": "a", "password": "x"}},
            {"data": {"password": "y"}, "deleted": true},
            {"data": {"password": "z"}, "destroyed": true,
             "created_time": "2024-01-02T03:04:05Z"}
          ],
          "custom_metadata": {"owner": "team-a"},
          "delete_version_after": "3h",   # Go duration or seconds
          "max_versions": 0, "cas_required": false
        },
        "app/api": {"data": {"token": "t"}}   # shorthand: one live version
      },
      "legacy/old/thing": {"data": {"k": "v"}}  # full path: longest mount wins
    },
    "policies": {"reader": "path \\"secret/data/*\\" { capabilities = [\\"read\\"] }"},
    "tokens": {                        # token value -> spec
      "reader-token": {"policies": ["reader"], "ttl": "1h",
                       "no_default_policy": false, "display_name": "r",
                       "renewable": true, "explicit_max_ttl": "2h"}
    },
    "namespaces": {                    # child namespaces, same format,
      "team-a": {"mounts": {"kv/": 2}, "secrets": {}}   # nested freely
    }
  }

KV v2 version entries take "data" (object), and optionally "version" (an
explicit number, later entries continue from it: models pruned versions),
"created_time" and "deletion_time" (RFC 3339; a future deletion_time stays
readable, as with delete_version_after), "deleted": true (deleted at load
time) and "destroyed": true (data dropped). KV v1 secrets are
{"data": {...}}. Seeding a path that exists replaces it. A token spec may also
carry "namespace": "team-a/" when given at the top level; tokens under a
namespace belong to it. GET /_admin/state answers in this same format (with
the extra read-only fields current_version, oldest_version, created_time,
updated_time, version numbers, accessors), so it can be fed back.
Loading 20,000 secrets takes well under a second.

ADMIN API (no auth; never delayed, failed, rate limited nor logged)
--------------------------------------------------------------------------
  GET  /_admin/state     the full state in the fixture format, with values
                         (?namespace=team-a/ for one namespace only)
  POST /_admin/seed      body in the fixture format; adds to the state
  POST /_admin/reset     back to the start state (config and log kept)
  GET  /_admin/config    the fault knobs
  POST /_admin/config    any of {"latency_ms", "fail_rate", "fail_seed",
                         "fail_kinds", "rate_limit", "hang_paths",
                         "loop_lists", "fail_paths"}; answers the new knobs
                         fail_paths: /v1 path prefixes whose requests
                         always get the first of fail_kinds
                         hang_paths: /v1 paths (prefixes, e.g.
                         "secret/data/slow/") whose requests get no answer
                         until the client gives up (a server that accepts
                         and never answers); loop_lists: prefixes whose
                         LIST answers {"keys": ["loop/"]}, whatever is
                         stored: a folder that lists itself without end
  GET  /_admin/requests  {"requests": [...]}: the logged requests so far,
                         redacted, oldest first (?since=SEQ: only later ones)
  DELETE /_admin/requests  forget them

REQUEST LOG (--log FILE, GET /_admin/requests)
--------------------------------------------------------------------------
One JSON object per /v1 request: seq, time, method, path, query, status
(0 when the connection was dropped), namespace (the resolved one, "" for
root), token ("root", "accessor:<accessor>", "invalid" or null), fault
(the injected fault, if any), ms, headers (X-Vault-Token, Authorization and
Cookie redacted) and body (the request JSON; the values of KV v2 "data",
of KV v1 writes and any token id are replaced by "[redacted]").
"""

import argparse
import calendar
import collections
import dataclasses
import functools
import json
import os
import re
import secrets as _secrets
import string
import sys
import threading
import time
import traceback
import uuid
from urllib.parse import parse_qsl, unquote, urlsplit

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import base  # noqa: E402  the scaffolding the stand-ins share

VAULT_VERSION = "1.17.2"
# Default lease/token TTL of a Vault server: 768h [vault vault/core.go
# defaultLeaseTTL]; KV v1 reads report it as lease_duration [kvplugin
# passthrough.go handleRead].
DEFAULT_LEASE_TTL = 2764800
# Errors of a denied request: core wraps them in a go-multierror
# [vault vault/request_handling.go handleCancelableRequest].
PERMISSION_DENIED = "1 error occurred:\n\t* permission denied\n\n"
INVALID_TOKEN = "2 errors occurred:\n\t* permission denied\n\t* invalid token\n\n"
UNSUPPORTED_PATH = "1 error occurred:\n\t* unsupported path\n\n"
UNSUPPORTED_OP = "1 error occurred:\n\t* unsupported operation\n\n"
REDACTED = "[redacted]"
BASE62 = string.ascii_letters + string.digits

# ---------------------------------------------------------------------------
# small helpers


def now_ns():
    return time.time_ns()


def fmt_time(ns):
    """RFC 3339 with nanoseconds, UTC, trailing zeros trimmed: Go's
    time.RFC3339Nano as used by ptypes.TimestampString [kvplugin backend.go
    ptypesTimestampToString]. None gives ""."""
    if ns is None:
        return ""
    sec, frac = divmod(ns, 1_000_000_000)
    base = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(sec))
    if frac:
        return "%s.%sZ" % (base, ("%09d" % frac).rstrip("0"))
    return base + "Z"


_TIME_RE = re.compile(
    r"^(\d{4})-(\d\d)-(\d\d)[Tt ](\d\d):(\d\d):(\d\d)(\.\d+)?([Zz]|[+-]\d\d:?\d\d)$")


def parse_time(s):
    """RFC 3339 text to nanoseconds since the epoch."""
    m = _TIME_RE.match(str(s).strip())
    if not m:
        raise ValueError("bad time %r (want RFC 3339)" % (s,))
    y, mo, d, h, mi, se = (int(m.group(i)) for i in range(1, 7))
    sec = calendar.timegm((y, mo, d, h, mi, se, 0, 0, 0))
    frac = m.group(7)
    nanos = int((frac[1:] + "000000000")[:9]) if frac else 0
    tz = m.group(8)
    if tz not in ("Z", "z"):
        sign = 1 if tz[0] == "+" else -1
        tz = tz[1:].replace(":", "")
        sec -= sign * (int(tz[:2]) * 3600 + int(tz[2:]) * 60)
    return sec * 1_000_000_000 + nanos


_DUR_UNITS = {"ns": 1e-9, "us": 1e-6, "\u00b5s": 1e-6, "ms": 1e-3, "s": 1,
              "m": 60, "h": 3600, "d": 86400}
_DUR_RE = re.compile(r"(\d+(?:\.\d*)?|\.\d+)(ns|us|\u00b5s|ms|s|m|h|d)")


def parse_duration(v):
    """Vault's TypeDurationSecond: an integer of seconds or a Go duration
    string ("3h25m19s"); returns whole seconds."""
    if v is None or v == "":
        return 0
    if isinstance(v, bool):
        raise ValueError("bad duration %r" % (v,))
    if isinstance(v, (int, float)):
        if v < 0:
            raise ValueError("cannot provide negative value %r" % (v,))
        return int(v)
    s = str(v).strip()
    if re.fullmatch(r"\d+", s):
        return int(s)
    pos, total = 0, 0.0
    for m in _DUR_RE.finditer(s):
        if m.start() != pos:
            break
        total += float(m.group(1)) * _DUR_UNITS[m.group(2)]
        pos = m.end()
    if pos == 0 or pos != len(s):
        raise ValueError("time: invalid duration %r" % (s,))
    return int(total)


def go_duration(sec):
    """Go's time.Duration.String() for whole seconds ("0s", "1h0m0s")."""
    sec = int(sec)
    if sec == 0:
        return "0s"
    h, rem = divmod(sec, 3600)
    m, s = divmod(rem, 60)
    if h:
        return "%dh%dm%ds" % (h, m, s)
    if m:
        return "%dm%ds" % (m, s)
    return "%ds" % s


def parse_bool(s):
    """Go's strconv.ParseBool; None when unparsable."""
    if s in ("1", "t", "T", "TRUE", "true", "True"):
        return True
    if s in ("0", "f", "F", "FALSE", "false", "False"):
        return False
    return None


def rand_id(n=24):
    return "".join(_secrets.choice(BASE62) for _ in range(n))


_dumps_sorted = functools.partial(json.dumps, sort_keys=True,
                                  separators=(",", ":"), ensure_ascii=False)
_dumps_plain = functools.partial(json.dumps, separators=(",", ":"),
                                 ensure_ascii=False)


def go_escape(s):
    """Go's encoding/json escapes <, >, & and U+2028/9 inside strings; those
    characters only occur inside strings in JSON text, so this is safe."""
    if "<" in s or ">" in s or "&" in s or "\u2028" in s or "\u2029" in s:
        s = (s.replace("<", "\\u003c").replace(">", "\\u003e")
             .replace("&", "\\u0026").replace("\u2028", "\\u2028")
             .replace("\u2029", "\\u2029"))
    return s


def clean_mount_path(p):
    p = str(p or "").strip("/")
    return p + "/" if p else ""


def clean_ns_path(p):
    p = str(p or "").strip().strip("/")
    return p + "/" if p else ""


# ---------------------------------------------------------------------------
# responses


@dataclasses.dataclass(slots=True, eq=False)
class Envelope:
    """A logical response: Vault's standard envelope [vault sdk/logical
    response_util.go HTTPResponse]. With inject, the data keys are repeated
    at the top level first, as Vault does for the legacy sys routes
    sys/mounts, sys/policy, sys/capabilities* [vault http/handler.go
    injectDataIntoTopRoutes, sdk/logical HTTPSysInjector]."""

    data: dict | None
    warnings: list | None = None
    auth: dict | None = None
    lease_duration: int = 0
    mount_type: str = ""
    inject: bool = False

    def encode(self):
        parts = []
        if self.inject and self.data:
            for k in sorted(self.data):
                parts.append(_dumps_plain(k) + ":" + _dumps_sorted(self.data[k]))
        parts.append('"request_id":"%s"' % uuid.uuid4())
        parts.append('"lease_id":""')
        parts.append('"renewable":false')
        parts.append('"lease_duration":%d' % self.lease_duration)
        parts.append('"data":' + (_dumps_sorted(self.data)
                                  if self.data is not None else "null"))
        parts.append('"wrap_info":null')
        parts.append('"warnings":' + (_dumps_plain(self.warnings)
                                      if self.warnings else "null"))
        parts.append('"auth":' + (_dumps_plain(self.auth)
                                  if self.auth is not None else "null"))
        parts.append('"mount_type":' + _dumps_plain(self.mount_type))
        return go_escape("{" + ",".join(parts) + "}\n")


class Resp:
    __slots__ = ("status", "payload", "headers")

    def __init__(self, status, payload=None, headers=None):
        self.status = status
        self.payload = payload      # Envelope, dict/list (raw JSON) or None
        self.headers = headers or []

    def body(self):
        p = self.payload
        if p is None:
            return b""
        if isinstance(p, Envelope):
            return p.encode().encode("utf-8")
        return go_escape(_dumps_sorted(p) + "\n").encode("utf-8")


def err(status, *msgs):
    """{"errors": [...]}, Vault's error body [vault http/handler.go
    respondError]; no message gives the empty list."""
    return Resp(status, {"errors": list(msgs)})


def ok(data, **kw):
    return Resp(200, Envelope(data, **kw))


def no_content():
    return Resp(204)



# ---------------------------------------------------------------------------
# policies: the HCL subset Vault policies use, and Vault's ACL matching

CAP_BITS = {"deny": 1, "create": 2, "read": 4, "update": 8, "delete": 16,
            "list": 32, "sudo": 64, "patch": 128, "subscribe": 256,
            "recover": 512}
DENY = 1
OP_CAP = {"read": 4, "list": 32, "update": 8, "create": 2, "delete": 16,
          "patch": 128}
ANY_MOUNT_CAP = 2 | 4 | 8 | 16 | 32 | 64   # [vault logical_system.go hasMountAccess]
CAP_ORDER = ("sudo", "read", "list", "update", "delete", "create", "patch",
             "subscribe", "recover")
# Old-style "policy = ..." [vault vault/policy.go parsePaths]
LEGACY_POLICY = {"deny": ["deny"], "read": ["read", "list"],
                 "write": ["create", "read", "update", "delete", "list"],
                 "sudo": ["create", "read", "update", "delete", "list", "sudo"]}


class PolicyError(ValueError):
    pass


_HCL_TOKEN = re.compile(r'''
    (?P<ws>\s+)
  | (?P<comment>\#[^\n]*|//[^\n]*|/\*.*?\*/)
  | (?P<string>"(?:[^"\\\n]|\\.)*")
  | (?P<number>-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)
  | (?P<ident>[A-Za-z_][\w\-.]*)
  | (?P<punct>[{}\[\]=,:])
''', re.S | re.X)


def _hcl_tokens(text):
    out, pos, n = [], 0, len(text)
    while pos < n:
        m = _HCL_TOKEN.match(text, pos)
        if not m:
            line = text.count("\n", 0, pos) + 1
            raise PolicyError("At %d: illegal char %r" % (line, text[pos]))
        kind = m.lastgroup
        pos = m.end()
        if kind in ("ws", "comment"):
            continue
        val = m.group(kind)
        if kind == "string":
            try:
                val = json.loads(val)
            except ValueError:
                raise PolicyError("bad string %s" % val)
        elif kind == "number":
            val = float(val) if any(c in val for c in ".eE") else int(val)
        out.append((kind, val))
    return out


class _HCLParser:
    """Generic HCL 1 reader: attributes (k = v), blocks (k "label" {...}),
    strings, numbers, bools, lists and objects."""

    def __init__(self, toks):
        self.t = toks
        self.i = 0

    def peek(self):
        return self.t[self.i] if self.i < len(self.t) else (None, None)

    def take(self):
        tok = self.peek()
        self.i += 1
        return tok

    def body(self, closing):
        obj = {}
        while True:
            k, v = self.peek()
            if k is None:
                if closing:
                    raise PolicyError("unexpected end of policy: missing '}'")
                return obj
            if k == "punct" and v == "}" and closing:
                self.i += 1
                return obj
            if k == "punct" and v == ",":
                self.i += 1
                continue
            if k not in ("ident", "string"):
                raise PolicyError("unexpected %r" % (v,))
            self.i += 1
            key, labels = v, []
            while self.peek()[0] in ("ident", "string"):
                labels.append(self.take()[1])
            k2, v2 = self.take()
            if k2 == "punct" and v2 in ("=", ":") and not labels:
                obj.setdefault(key, []).append(("attr", None, self.value()))
            elif k2 == "punct" and v2 == "{":
                obj.setdefault(key, []).append(("block", labels, self.body(True)))
            else:
                raise PolicyError("expected '=' or '{' after %r" % (key,))

    def value(self):
        k, v = self.take()
        if k in ("string", "number"):
            return v
        if k == "ident":
            if v in ("true", "false"):
                return v == "true"
            if v == "null":
                return None
            raise PolicyError("unknown value %r" % (v,))
        if k == "punct" and v == "[":
            items = []
            while True:
                k2, v2 = self.peek()
                if k2 is None:
                    raise PolicyError("unexpected end of policy: missing ']'")
                if k2 == "punct" and v2 == "]":
                    self.i += 1
                    return items
                if k2 == "punct" and v2 == ",":
                    self.i += 1
                    continue
                items.append(self.value())
        if k == "punct" and v == "{":
            return _hcl_plain(self.body(True))
        raise PolicyError("unexpected %r" % (v,))


def _hcl_plain(obj):
    """Parsed body to plain dicts (blocks nest by their labels)."""
    out = {}
    for key, entries in obj.items():
        for kind, labels, val in entries:
            if kind == "attr":
                out[key] = val
                continue
            val = _hcl_plain(val)
            tgt = out
            for lab in [key] + labels[:-1]:
                tgt = tgt.setdefault(lab, {})
            if labels:
                tgt[labels[-1]] = val
            else:
                tgt[key] = val
    return out


def parse_policy(text):
    """Policy text (HCL or JSON) to rules [(path, is_prefix, has_wildcards,
    capabilities bitmap)], normalised like [vault vault/policy.go
    parsePaths]: a trailing * makes a prefix rule unless the path has +
    segment wildcards; +* is forbidden; deny wipes the other capabilities."""
    if not isinstance(text, str):
        raise PolicyError("policy must be a string")
    stripped = text.strip()
    if stripped.startswith("{"):
        try:
            doc = json.loads(stripped)
        except ValueError as e:
            raise PolicyError(str(e))
        paths = doc.get("path", {}) if isinstance(doc, dict) else {}
    else:
        paths = _hcl_plain(_HCLParser(_hcl_tokens(text)).body(False)).get("path", {})
    if isinstance(paths, list):
        merged = {}
        for p in paths:
            if isinstance(p, dict):
                merged.update(p)
        paths = merged
    if not isinstance(paths, dict):
        raise PolicyError("invalid path stanza")
    rules = []
    for key, spec in paths.items():
        if not isinstance(spec, dict):
            raise PolicyError('path "%s": invalid stanza' % key)
        caps = 0
        capl = spec.get("capabilities") or []
        if isinstance(capl, str):
            capl = [capl]
        legacy = spec.get("policy")
        if legacy:
            if legacy not in LEGACY_POLICY:
                raise PolicyError('path "%s": invalid policy "%s"' % (key, legacy))
            capl = list(capl) + LEGACY_POLICY[legacy]
        for c in capl:
            c = str(c).lower()
            if c not in CAP_BITS:
                raise PolicyError('path "%s": invalid capability "%s"' % (key, c))
            caps |= CAP_BITS[c]
        if caps & DENY:
            caps = DENY
        path = key[1:] if key.startswith("/") else key
        if "+*" in path:
            raise PolicyError("path %r: invalid use of wildcards ('+*' is forbidden)" % path)
        wc = path == "+" or "/+" in path or path.startswith("+/")
        prefix = False
        if path.endswith("*") and not wc:
            path, prefix = path[:-1], True
        rules.append((path, prefix, wc, caps))
    return rules


class ACL:
    """Vault's ACL [vault vault/acl.go]: rules of all of a token's policies
    merged per path string (deny wins, else capabilities add up); a request
    is checked against the exact rule, else (for LIST) the exact rule
    without the trailing slash, else the highest priority of the longest
    glob prefix and the matching + segment wildcard rules."""

    __slots__ = ("root", "exact", "prefix", "wc")

    def __init__(self, rule_lists=(), root=False):
        self.root = root
        self.exact, self.prefix, self.wc = {}, {}, {}
        for rules in rule_lists:
            for path, is_prefix, is_wc, caps in rules:
                d = self.wc if is_wc else (self.prefix if is_prefix else self.exact)
                cur = d.get(path)
                if cur is None:
                    d[path] = caps
                elif cur & DENY:
                    pass
                elif caps & DENY:
                    d[path] = DENY
                else:
                    d[path] = cur | caps

    def _lookup(self, path, is_list):
        c = self.exact.get(path)
        if c is not None:
            return c
        if is_list and path.endswith("/"):
            c = self.exact.get(path[:-1])
            if c is not None:
                return c
        return self._non_exact(path)

    def _non_exact(self, path):
        # [vault vault/acl.go CheckAllowedFromNonExactPaths]
        plen, pcaps, pkey = -1, None, None
        for p, c in self.prefix.items():
            if len(p) > plen and path.startswith(p):
                plen, pcaps, pkey = len(p), c, p
        if not self.wc:
            return pcaps
        cands = []
        if pcaps is not None:
            cands.append((plen, 0, 0, len(pkey), pkey, pcaps))
        parts = path.split("/")
        for full, caps in self.wc.items():
            if not full:
                continue
            first = full.find("+")
            cur, isp = full, False
            if cur.endswith("*"):
                cur, isp = cur[:-1], True
            sp = cur.split("/")
            if len(parts) < len(sp) or (not isp and len(sp) != len(parts)):
                continue
            nwc, good = 0, True
            last = len(sp) - 1
            for i, a in enumerate(sp):
                if a == "+":
                    nwc += 1
                elif a == parts[i]:
                    pass
                elif isp and i == last and parts[i].startswith(a):
                    pass
                else:
                    good = False
                    break
            if good:
                # priority: later first wildcard/glob, not a prefix, fewer
                # wildcards, longer, lexically greater
                cands.append((first, 0 if isp else 1, -nwc, len(cur), cur, caps))
        if not cands:
            return None
        return max(cands, key=lambda d: d[:5])[5]

    def allowed(self, path, op):
        if self.root:
            return True
        c = self._lookup(path, op == "list")
        if not c or c & DENY:
            return False
        return bool(c & OP_CAP.get(op, 0))

    def capabilities(self, path):
        # [vault vault/acl.go Capabilities; vault/capabilities.go sorts]
        if self.root:
            return ["root"]
        c = self._lookup(path, True) or 0
        names = [n for n in CAP_ORDER if c & CAP_BITS[n]]
        if c & DENY or not names:
            return ["deny"]
        return sorted(names)

    def has_mount_access(self, mpath):
        # [vault vault/logical_system.go hasMountAccess]
        if self.root or self.capabilities(mpath) != ["deny"]:
            return True
        for d in (self.exact, self.prefix):
            for p, c in d.items():
                if p.startswith(mpath) and not c & DENY and c & ANY_MOUNT_CAP:
                    return True
        parts = mpath.split("/")
        for full, c in self.wc.items():
            if not full or c & DENY or not c & ANY_MOUNT_CAP:
                continue
            isp = full.endswith("*")
            sp = (full[:-1] if isp else full).split("/")
            segs = []
            for i, a in enumerate(sp):
                if i >= len(parts):
                    break
                if a == "+" or a == parts[i]:
                    segs.append(parts[i])
                elif isp and i == len(sp) - 1 and parts[i].startswith(a):
                    segs.extend(parts[i:])
                if i == len(parts) - 2:
                    if ("/".join(segs) + "/").startswith(mpath):
                        return True
                    break
        return False


ROOT_ACL = ACL(root=True)

# The built-in "default" policy [vault vault/policy_store.go defaultPolicy]
DEFAULT_POLICY = '''
# Allow tokens to look up their own properties
path "auth/token/lookup-self" {
    capabilities = ["read"]
}

# Allow tokens to renew themselves
path "auth/token/renew-self" {
    capabilities = ["update"]
}

# Allow tokens to revoke themselves
path "auth/token/revoke-self" {
    capabilities = ["update"]
}

# Allow a token to look up its own capabilities on a path
path "sys/capabilities-self" {
    capabilities = ["update"]
}

# Allow a token to look up its own entity by id or name
path "identity/entity/id/{{identity.entity.id}}" {
  capabilities = ["read"]
}
path "identity/entity/name/{{identity.entity.name}}" {
  capabilities = ["read"]
}

# Allow a token to look up its resultant ACL from all policies
path "sys/internal/ui/resultant-acl" {
    capabilities = ["read"]
}

# Allow a token to renew a lease via lease_id in the request body
path "sys/renew" {
    capabilities = ["update"]
}
path "sys/leases/renew" {
    capabilities = ["update"]
}

# Allow looking up lease properties
path "sys/leases/lookup" {
    capabilities = ["update"]
}

# Allow a token to manage its own cubbyhole
path "cubbyhole/*" {
    capabilities = ["create", "read", "update", "delete", "list"]
}

# Allow a token to wrap arbitrary values in a response-wrapping token
path "sys/wrapping/wrap" {
    capabilities = ["update"]
}
path "sys/wrapping/lookup" {
    capabilities = ["update"]
}
path "sys/wrapping/unwrap" {
    capabilities = ["update"]
}

# Allow general purpose tools
path "sys/tools/hash" {
    capabilities = ["update"]
}
path "sys/tools/hash/*" {
    capabilities = ["update"]
}

# Allow checking the status of a Control Group request
path "sys/control-group/request" {
    capabilities = ["update"]
}

# Allow a token to make requests to the Authorization Endpoint for OIDC providers.
path "identity/oidc/provider/+/authorize" {
    capabilities = ["read", "update"]
}
'''
DEFAULT_RULES = parse_policy(DEFAULT_POLICY)

# ---------------------------------------------------------------------------
# state


class Meta:
    """KV v2 key metadata [kvplugin types.proto KeyMetadata]; versions maps
    number -> [created_ns, deletion_ns or None, destroyed, data or None]."""

    __slots__ = ("versions", "current", "oldest", "created", "updated",
                 "max_versions", "cas_required", "dva", "custom")

    def __init__(self, created=None):
        self.versions = {}
        self.current = 0
        self.oldest = 0
        self.created = created
        self.updated = created
        self.max_versions = 0
        self.cas_required = False
        self.dva = 0
        self.custom = None


def index_add(children, key):
    """children maps a folder prefix ("" or "a/b/") to {entry: count}, an
    entry being "name" (a key) or "name/" (a folder), so that LIST is a
    dict lookup; Vault storage lists a key and a folder of the same name
    both ("app", "app/") [vault sdk/logical storage List]."""
    parts = key.split("/")
    prefix, last = "", len(parts) - 1
    for i, part in enumerate(parts):
        name = part if i == last else part + "/"
        d = children.get(prefix)
        if d is None:
            d = children[prefix] = {}
        d[name] = d.get(name, 0) + 1
        prefix += part + "/"


def index_remove(children, key):
    parts = key.split("/")
    prefix, last = "", len(parts) - 1
    for i, part in enumerate(parts):
        name = part if i == last else part + "/"
        d = children.get(prefix)
        if d is not None and name in d:
            d[name] -= 1
            if d[name] <= 0:
                del d[name]
            if not d:
                del children[prefix]
        prefix += part + "/"


class KV2Store:
    __slots__ = ("meta", "children", "config")

    def __init__(self):
        self.meta = {}
        self.children = {}
        self.config = {"max_versions": 0, "cas_required": False, "dva": 0}


class KV1Store:
    __slots__ = ("data", "children")

    def __init__(self):
        self.data = {}
        self.children = {}


class Mount:
    __slots__ = ("path", "type", "options", "description", "accessor", "uuid",
                 "local", "seal_wrap", "config", "store", "plugin_version",
                 "roles")

    def __init__(self, path, mtype, options=None, description="", local=False,
                 seal_wrap=False, config=None):
        self.path = path
        self.type = mtype
        self.options = options
        self.description = description
        prefix = {"system": "system", "cubbyhole": "cubbyhole",
                  "identity": "identity", "token": "auth_token"}.get(mtype, mtype)
        self.accessor = "%s_%s" % (prefix, _secrets.token_hex(4))
        self.uuid = str(uuid.uuid4())
        self.local = local
        self.seal_wrap = seal_wrap
        self.config = config or {}
        self.plugin_version = ("v0.20.0+builtin" if mtype == "kv"
                               else "v%s+builtin.vault" % VAULT_VERSION)
        self.store = None
        self.roles = {}     # an auth method's roles: name -> spec
        if mtype == "kv":
            self.store = KV2Store() if self.kv_version() == "2" else KV1Store()

    def kv_version(self):
        # v2 iff options.version == "2" [kvplugin backend.go Factory]
        if self.type != "kv":
            return None
        v = (self.options or {}).get("version")
        return "2" if v == "2" else "1"

    def info(self):
        # [vault vault/logical_system.go mountInfo]; sample in
        # [docs system/mounts]
        cfg = {"default_lease_ttl": int(self.config.get("default_lease_ttl", 0)),
               "force_no_cache": bool(self.config.get("force_no_cache", False)),
               "max_lease_ttl": int(self.config.get("max_lease_ttl", 0))}
        d = {"accessor": self.accessor, "config": cfg,
             "description": self.description, "external_entropy_access": False,
             "local": self.local, "options": self.options,
             "plugin_version": "", "running_plugin_version": self.plugin_version,
             "running_sha256": "", "seal_wrap": self.seal_wrap,
             "type": self.type, "uuid": self.uuid}
        if self.type == "kv":
            d["deprecation_status"] = "supported"
        return d


class Namespace:
    __slots__ = ("path", "id", "mounts", "auth", "policies", "custom_metadata")

    def __init__(self, path, nsid):
        self.path = path
        self.id = nsid
        self.mounts = {}
        self.auth = {"token/": Mount("token/", "token",
                                     description="token based credentials")}
        self.policies = {"default": (DEFAULT_POLICY, DEFAULT_RULES)}
        self.custom_metadata = {}
        self.mounts["cubbyhole/"] = Mount("cubbyhole/", "cubbyhole",
                                          description="per-token private secret storage",
                                          local=True)
        self.mounts["identity/"] = Mount("identity/", "identity",
                                         description="identity store")
        self.mounts["sys/"] = Mount("sys/", "system",
                                    description="system endpoints used for control, policy and debugging")

    def mount_for(self, path):
        """Longest mount prefix of path, as Vault's router [vault
        vault/router.go MatchingMount]."""
        best = None
        for mp in self.mounts:
            if (path.startswith(mp) or path + "/" == mp) and (best is None or len(mp) > len(best)):
                best = mp
        return self.mounts[best] if best is not None else None


class Token:
    __slots__ = ("id", "accessor", "policies", "ns", "display_name", "meta",
                 "created", "ttl", "expire", "num_uses", "orphan", "path",
                 "renewable", "max_expire")

    def __init__(self, tid, policies, ns="", display_name="token", meta=None,
                 ttl=None, orphan=False, path="auth/token/create",
                 renewable=None, explicit_max_ttl=None):
        self.id = tid
        self.accessor = rand_id(24)
        self.policies = policies
        self.ns = ns
        self.display_name = display_name
        self.meta = meta
        self.created = now_ns()
        is_root = "root" in policies
        if ttl is None:
            ttl = 0 if is_root else DEFAULT_LEASE_TTL
        self.ttl = ttl
        self.expire = self.created + ttl * 1_000_000_000 if ttl else None
        self.num_uses = 0
        self.orphan = orphan
        self.path = path
        self.renewable = not is_root and bool(ttl)
        if renewable is not None and ttl:
            self.renewable = bool(renewable)
        # explicit_max_ttl: no renewal goes past it [docs auth/token]
        self.max_expire = (self.created + explicit_max_ttl * 1_000_000_000
                           if explicit_max_ttl else None)

    def is_root(self):
        return "root" in self.policies

    def expired(self, now):
        return self.expire is not None and now >= self.expire


# ---------------------------------------------------------------------------
# the fake Vault


class Ctx:
    """Per-request facts, for the handlers and for the log line."""

    __slots__ = ("method", "op", "rel", "ns", "token", "token_label", "query",
                 "data", "headers", "kind", "raw_path")

    def __init__(self):
        self.token = None
        self.token_label = None
        self.ns = None
        self.kind = "other"


class Vault:
    def __init__(self, root_token):
        self.lock = threading.Lock()
        self.root_token = root_token
        self.reset()

    # -- state ------------------------------------------------------------

    def reset(self):
        with self.lock:
            root = Namespace("", "root")
            # The dev server's KV v2 at secret/ [docs secret/kv/kv-v2]
            root.mounts["secret/"] = Mount("secret/", "kv", {"version": "2"},
                                           description="key/value secret storage")
            self.namespaces = {"": root}
            self.tokens = {}
            self.policy_gen = 0
            self.acl_cache = {}
            rt = Token(self.root_token, ["root"], "", display_name="root",
                       ttl=0, orphan=True, path="auth/token/root")
            self.tokens[rt.id] = rt

    def _new_namespace(self, path, nsid=None, custom_metadata=None):
        ns = Namespace(path, nsid or rand_id(5))
        ns.custom_metadata = dict(custom_metadata or {})
        self.namespaces[path] = ns
        return ns

    def resolve_ns(self, header, path):
        """X-Vault-Namespace and a path prefix are equivalent: the request
        namespace is the longest existing namespace prefix of header + path
        [docs index.mdx namespaces; vault http/handler.go]."""
        full = clean_ns_path(header) + path
        ns = self.namespaces[""]
        rel = full
        while True:
            i = rel.find("/")
            if i <= 0:
                break
            cand = ns.path + rel[:i + 1]
            nxt = self.namespaces.get(cand)
            if nxt is None:
                break
            ns, rel = nxt, rel[i + 1:]
        return ns, rel

    def acl_for(self, tok):
        if tok.is_root():
            return ROOT_ACL
        key = (tok.ns, tuple(tok.policies))
        hit = self.acl_cache.get(key)
        if hit is not None and hit[0] == self.policy_gen:
            return hit[1]
        ns = self.namespaces.get(tok.ns)
        rules = [ns.policies[p][1] for p in tok.policies
                 if ns is not None and p in ns.policies]
        acl = ACL(rules)
        self.acl_cache[key] = (self.policy_gen, acl)
        return acl

    def lookup_token(self, tid):
        tok = self.tokens.get(tid)
        if tok is not None and tok.expired(now_ns()):
            del self.tokens[tid]
            return None
        return tok

    # -- classification for the log's redaction ---------------------------

    def classify(self, ns_header, path):
        with self.lock:
            ns, rel = self.resolve_ns(ns_header, path)
            if rel.startswith("auth/token/"):
                return "token", ns.path
            if rel.startswith("sys/") or rel.startswith("auth/"):
                return "other", ns.path
            m = ns.mount_for(rel)
            if m is None or m.type != "kv":
                return "kv1", ns.path    # unknown: redact everything
            if m.kv_version() == "1":
                return "kv1", ns.path
            return "kv2", ns.path

    # -- the request -------------------------------------------------------

    def handle(self, method, path, query, headers, body, ctx):
        """path is the decoded URL path after /v1/. Returns a Resp."""
        ctx.method = method
        ctx.raw_path = path
        ctx.headers = headers
        qd = dict(query)
        ctx.query = qd
        # operation [vault http/logical.go buildLogicalRequestNoAuth]
        if method == "GET":
            op = "read"
            ls = qd.get("list", "")
            if ls != "":
                b = parse_bool(ls)
                if b is None:
                    return err(400)
                if b:
                    op = "list"
                    del qd["list"]
        elif method == "LIST":
            op = "list"
        elif method in ("POST", "PUT"):
            op = "write"
        elif method == "DELETE":
            op = "delete"
        elif method == "PATCH":
            op = "patch"
            ctype = (headers.get("Content-Type") or "").split(";")[0].strip()
            if ctype != "application/merge-patch+json":
                return err(415, "PATCH requires Content-Type of application/merge-patch+json, provided %s" % ctype)
        else:
            return err(405)
        if op == "list" and not path.endswith("/"):
            path += "/"
        data = None
        if op in ("write", "patch"):
            if body.strip():
                try:
                    data = json.loads(body)
                except ValueError:
                    return err(400, "error parsing JSON")
                if data is not None and not isinstance(data, dict):
                    return err(400, "error parsing JSON")
        elif op == "delete":
            data = qd or None
        ctx.op = op
        ctx.data = data or {}
        tid = headers.get("X-Vault-Token") or ""
        if not tid:
            auth = headers.get("Authorization") or ""
            if auth[:7].lower() == "bearer ":
                tid = auth[7:].strip()
        with self.lock:
            ns, rel = self.resolve_ns(headers.get("X-Vault-Namespace", ""), path)
            ctx.ns = ns
            ctx.rel = rel
            tok = self.lookup_token(tid) if tid else None
            ctx.token = tok
            if tok is not None:
                ctx.token_label = "root" if tok.id == self.root_token else "accessor:" + tok.accessor
            elif tid:
                ctx.token_label = "invalid"
            return self._route(ctx, tid)

    def _deny(self, ctx, tid):
        if tid and ctx.token is None:
            return err(403, INVALID_TOKEN)
        return err(403, PERMISSION_DENIED)

    def _acl_path(self, ctx, rel):
        """Path as the token's ACL sees it: relative to the token's own
        namespace, or None when the request namespace is outside it."""
        tns = ctx.token.ns
        if not ctx.ns.path.startswith(tns):
            return None
        return ctx.ns.path[len(tns):] + rel

    def _check(self, ctx, tid, op, rel=None):
        """None when allowed, else the 403 Resp."""
        tok = ctx.token
        if tok is None:
            return self._deny(ctx, tid)
        ap = self._acl_path(ctx, ctx.rel if rel is None else rel)
        if ap is None:
            return err(403, PERMISSION_DENIED)
        if self.acl_for(tok).allowed(ap, op):
            return None
        return err(403, PERMISSION_DENIED)

    def _route(self, ctx, tid):
        rel, op = ctx.rel, ctx.op
        # unauthenticated sys paths [vault vault/logical_system.go
        # PathsSpecial.Unauthenticated]
        if rel in ("sys/health", "sys/seal-status", "sys/leader"):
            return self._sys_unauth(ctx, rel)
        if rel == "sys/internal/ui/mounts" or rel.startswith("sys/internal/ui/mounts/"):
            return self._ui_mounts(ctx, tid)
        if rel.startswith("sys/"):
            return self._sys(ctx, tid, rel[4:])
        if rel.startswith("auth/token/"):
            return self._token(ctx, tid, rel[len("auth/token/"):])
        if rel.startswith("auth/"):
            am = None
            for ap in ctx.ns.auth:
                if rel[5:].startswith(ap) and (am is None or len(ap) > len(am.path)):
                    am = ctx.ns.auth[ap]
            if am is not None and am.type == "azure":
                return self._azure(ctx, tid, am, rel[5 + len(am.path):])
        mount = ctx.ns.mount_for(rel)
        # create vs update by existence check [vault vault/request_handling.go]
        if op == "write":
            op = "update"
            if mount is not None and mount.type == "kv":
                if self._kv_exists(mount, rel[len(mount.path):]) is False:
                    op = "create"
        denied = self._check(ctx, tid, op)
        if denied:
            return denied
        if mount is None or rel.startswith("auth/"):
            # [vault vault/router.go routeCommon]
            return err(404, 'no handler for route "%s". route entry not found.' % rel)
        if mount.type != "kv":
            if op in ("read", "list"):
                return err(404)
            return err(404, UNSUPPORTED_PATH)
        sub = rel[len(mount.path):]
        if mount.kv_version() == "2":
            return self._kv2(ctx, mount, sub, op)
        return self._kv1(ctx, mount, sub, op)

    # -- KV existence checks ---------------------------------------------

    def _kv_exists(self, mount, sub):
        """True/False for paths with an existence check (KV data, metadata,
        v1 keys), None for paths without one (always "update")."""
        st = mount.store
        if isinstance(st, KV1Store):
            return sub in st.data
        for pre in ("data/", "metadata/"):
            if sub.startswith(pre) and len(sub) > len(pre):
                return sub[len(pre):] in st.meta
        return None

    # -- KV v1 [kvplugin passthrough.go] -----------------------------------

    def _kv1(self, ctx, mount, key, op):
        st = mount.store
        if op == "list":
            kids = st.children.get(key)
            if not kids:
                return err(404)
            return ok({"keys": sorted(kids)}, mount_type="kv")
        if op == "read":
            v = st.data.get(key)
            if v is None:
                return err(404)
            ttl = DEFAULT_LEASE_TTL
            raw = v.get("ttl", v.get("lease"))
            if raw is not None:
                try:
                    ttl = parse_duration(raw)
                except ValueError:
                    pass
            return ok(v, lease_duration=ttl, mount_type="kv")
        if op in ("create", "update"):
            if not key:
                return err(400, "missing path")
            if not ctx.data:
                return err(400, "missing data fields")
            if key not in st.data:
                index_add(st.children, key)
            st.data[key] = ctx.data
            return no_content()
        if op == "delete":
            if key in st.data:
                del st.data[key]
                index_remove(st.children, key)
            return no_content()
        return err(405, UNSUPPORTED_OP)

    # -- KV v2 [kvplugin path_data.go, path_metadata.go, path_delete.go,
    #          path_destroy.go, path_config.go, backend.go] -------------------

    def _invalid_kv2(self, sub, op):
        # [kvplugin backend.go pathInvalid]
        if sub in ("metadata", "data", "delete", "undelete", "destroy"):
            w = "Non-listing operations on the root of a K/V v2 mount are not supported."
        else:
            cmd = {"create": "put", "update": "put", "patch": "patch",
                   "read": "get", "list": "list", "delete": "delete"}.get(op, "")
            w = ("Invalid path for a versioned K/V secrets engine. See the API docs "
                 "for the appropriate API endpoints to use. If using the Vault CLI, "
                 "use 'vault kv %s' for this operation." % cmd)
        return Resp(404, Envelope(None, warnings=[w], mount_type="kv"))

    def _kv2(self, ctx, mount, sub, op):
        st = mount.store
        if sub.startswith("data/") and len(sub) > 5 and not sub.endswith("/"):
            key = sub[5:]
            if op == "read":
                return self._kv2_read(ctx, st, key)
            if op in ("create", "update"):
                return self._kv2_write(ctx, st, key)
            if op == "delete":
                return self._kv2_delete_latest(st, key)
            if op == "patch":
                return self._kv2_patch(ctx, st, key)
            return self._invalid_kv2(sub, op)
        if sub.startswith("metadata/"):
            key = sub[9:]
            if op == "list":
                kids = st.children.get(key)
                if not kids:
                    return err(404)
                return ok({"keys": sorted(kids)}, mount_type="kv")
            if key and not key.endswith("/"):
                if op == "read":
                    return self._kv2_meta_read(st, key)
                if op in ("create", "update"):
                    return self._kv2_meta_write(ctx, st, key)
                if op == "delete":
                    m = st.meta.pop(key, None)
                    if m is not None:
                        index_remove(st.children, key)
                    return no_content()
                return err(405, UNSUPPORTED_OP)
            return self._invalid_kv2(sub, op)
        for verb in ("delete/", "undelete/", "destroy/"):
            if sub.startswith(verb) and len(sub) > len(verb):
                if op not in ("create", "update"):
                    return err(405, UNSUPPORTED_OP)
                return self._kv2_versions(ctx, st, sub[len(verb):], verb[:-1])
        if sub == "config":
            if op == "read":
                c = st.config
                return ok({"cas_required": c["cas_required"],
                           "delete_version_after": go_duration(c["dva"]),
                           "max_versions": c["max_versions"]}, mount_type="kv")
            if op in ("create", "update"):
                d = ctx.data
                try:
                    if "max_versions" in d:
                        st.config["max_versions"] = int(d["max_versions"])
                    if "cas_required" in d:
                        st.config["cas_required"] = bool(d["cas_required"])
                    if "delete_version_after" in d:
                        st.config["dva"] = parse_duration(d["delete_version_after"])
                except (TypeError, ValueError) as e:
                    return err(400, str(e))
                return no_content()
            return err(405, UNSUPPORTED_OP)
        if sub.startswith("subkeys/") and len(sub) > 8 and op == "read":
            return self._kv2_subkeys(ctx, st, sub[8:])
        return self._invalid_kv2(sub, op)

    @staticmethod
    def _ver_meta(m, n, v):
        return {"created_time": fmt_time(v[0]), "custom_metadata": m.custom,
                "deletion_time": fmt_time(v[1]), "destroyed": v[2], "version": n}

    @staticmethod
    def _gone(v, now):
        return v[2] or (v[1] is not None and v[1] < now)

    def _version_param(self, ctx):
        raw = ctx.query.get("version", "")
        if raw in ("", None):
            return 0, None
        try:
            return int(raw), None
        except ValueError:
            return 0, err(400, 'error converting input %s for field "version": '
                          'cannot parse \'\' as int: strconv.ParseInt: parsing "%s": '
                          'invalid syntax' % (raw, raw))

    def _kv2_version(self, ctx, st, key):
        """The secret key's version that ?version= names (none or 0: the
        current one): (metadata, number, version, None), or an error
        answer last."""
        m = st.meta.get(key)
        if m is None:
            return None, 0, None, err(404)
        n, bad = self._version_param(ctx)
        if bad:
            return None, 0, None, bad
        if n <= 0:
            n = m.current
        v = m.versions.get(n)
        if v is None:
            return None, 0, None, err(404)
        return m, n, v, None

    def _kv2_read(self, ctx, st, key):
        m, n, v, bad = self._kv2_version(ctx, st, key)
        if bad:
            return bad
        md = self._ver_meta(m, n, v)
        if self._gone(v, now_ns()):
            # deleted or destroyed: 404 WITH the body [kvplugin path_data.go
            # pathDataRead, logical.RespondWithStatusCode]
            return Resp(404, Envelope({"data": None, "metadata": md}, mount_type="kv"))
        return ok({"data": v[3], "metadata": md}, mount_type="kv")

    @staticmethod
    def _deletion_time(st, m, created):
        a, b = st.config["dva"], m.dva
        d = min(a, b) if a and b else (a or b)
        return created + d * 1_000_000_000 if d else None

    def _add_version(self, st, m, data, created=None, deletion=None,
                     destroyed=False, number=None):
        # [kvplugin path_data.go KeyMetadata.AddVersion]
        created = created if created is not None else now_ns()
        if number is not None and number > m.current:
            m.current = number
            if m.oldest == 0 and number > 1:
                m.oldest = number
        else:
            m.current += 1
        m.versions[m.current] = [created, deletion, destroyed,
                                 None if destroyed else data]
        m.updated = created
        if m.created is None:
            m.created = created
        maxv = max(m.max_versions, st.config["max_versions"]) or 10
        if m.current - m.oldest >= maxv:
            to_del = m.current - maxv
            for i in range(m.oldest, to_del + 1):
                m.versions.pop(i, None)
            m.oldest = to_del + 1
        return m.current

    def _cas_check(self, ctx, st, m):
        opts = ctx.data.get("options")
        if opts is not None and not isinstance(opts, dict):
            return err(400, "error converting input for field \"options\"")
        if opts and "cas" in opts:
            try:
                cas = int(opts["cas"])
            except (TypeError, ValueError):
                return err(400, "error parsing check-and-set parameter")
            if cas != m.current:
                return err(400, "check-and-set parameter did not match the current version")
        elif st.config["cas_required"] or m.cas_required:
            return err(400, "check-and-set parameter required for this call")
        return None

    def _kv2_write(self, ctx, st, key):
        data = ctx.data.get("data")
        if not isinstance(data, dict):
            return err(400, "no data provided")
        m = st.meta.get(key)
        new = m is None
        if new:
            m = Meta()
        bad = self._cas_check(ctx, st, m)
        if bad:
            return bad
        created = now_ns()
        n = self._add_version(st, m, data, created, self._deletion_time(st, m, created))
        if new:
            st.meta[key] = m
            index_add(st.children, key)
        v = m.versions[n]
        return ok({"created_time": fmt_time(v[0]), "custom_metadata": m.custom,
                   "deletion_time": fmt_time(v[1]), "destroyed": False,
                   "version": n}, mount_type="kv")

    def _kv2_patch(self, ctx, st, key):
        data = ctx.data.get("data")
        if not isinstance(data, dict):
            return err(400, "no data provided")
        m = st.meta.get(key)
        if m is None:
            return Resp(404, Envelope(None, mount_type="kv"))
        bad = self._cas_check(ctx, st, m)
        if bad:
            return bad
        cur = m.versions.get(m.current)
        if cur is None:
            return Resp(404, Envelope(None, mount_type="kv"))
        if self._gone(cur, now_ns()):
            return Resp(404, Envelope(self._ver_meta(m, m.current, cur), mount_type="kv"))
        merged = _merge_patch(cur[3], data)
        created = now_ns()
        n = self._add_version(st, m, merged, created, self._deletion_time(st, m, created))
        v = m.versions[n]
        return ok({"created_time": fmt_time(v[0]), "custom_metadata": m.custom,
                   "deletion_time": fmt_time(v[1]), "destroyed": False,
                   "version": n}, mount_type="kv")

    def _kv2_delete_latest(self, st, key):
        m = st.meta.get(key)
        if m is not None:
            v = m.versions.get(m.current)
            now = now_ns()
            if v is not None and not self._gone(v, now):
                v[1] = now
        return no_content()

    def _kv2_versions(self, ctx, st, key, verb):
        raw = ctx.data.get("versions")
        try:
            if raw is None:
                vers = []
            elif isinstance(raw, str):
                vers = [int(x) for x in raw.split(",") if x.strip()]
            elif isinstance(raw, list):
                vers = [int(x) for x in raw]
            else:
                vers = [int(raw)]
        except (TypeError, ValueError):
            return err(400, 'error converting input for field "versions"')
        if not vers:
            # [kvplugin path_delete.go, path_destroy.go]
            return err(400, "no version number provided" if verb == "destroy"
                       else "No version number provided")
        m = st.meta.get(key)
        if m is None:
            return no_content()
        now = now_ns()
        for n in vers:
            v = m.versions.get(n)
            if v is None or v[2]:
                continue
            if verb == "delete":
                if v[1] is not None and v[1] < now:
                    continue
                v[1] = now
            elif verb == "undelete":
                v[1] = self._deletion_time(st, m, now)
            else:
                v[2] = True
                v[3] = None
        return no_content()

    def _kv2_meta_read(self, st, key):
        m = st.meta.get(key)
        if m is None:
            return err(404)
        vers = {str(n): {"created_time": fmt_time(v[0]),
                         "deletion_time": fmt_time(v[1]), "destroyed": v[2]}
                for n, v in m.versions.items()}
        return ok({"cas_required": m.cas_required,
                   "created_time": fmt_time(m.created),
                   "current_version": m.current,
                   "custom_metadata": m.custom,
                   "delete_version_after": go_duration(m.dva),
                   "max_versions": m.max_versions,
                   "oldest_version": m.oldest,
                   "updated_time": fmt_time(m.updated),
                   "versions": vers}, mount_type="kv")

    def _kv2_meta_write(self, ctx, st, key):
        d = ctx.data
        fields = [f for f in ("max_versions", "cas_required",
                              "delete_version_after", "custom_metadata") if f in d]
        if not fields:
            return no_content()
        try:
            maxv = int(d["max_versions"]) if "max_versions" in d else None
            dva = parse_duration(d["delete_version_after"]) if "delete_version_after" in d else None
        except (TypeError, ValueError) as e:
            return err(400, str(e))
        cm = None
        if "custom_metadata" in d:
            raw = d["custom_metadata"]
            if raw is None:
                raw = {}
            if not isinstance(raw, dict):
                return err(400, "custom_metadata validation failed: not a map")
            cm = {str(k): weak_str(v) for k, v in raw.items()}
            msg = validate_custom_metadata(cm)
            if msg:
                return err(400, msg)
        m = st.meta.get(key)
        if m is None:
            m = Meta(now_ns())
            st.meta[key] = m
            index_add(st.children, key)
        if maxv is not None:
            m.max_versions = maxv
        if "cas_required" in d:
            m.cas_required = bool(d["cas_required"])
        if dva is not None:
            m.dva = dva
        if cm is not None:
            m.custom = cm
        return no_content()

    def _kv2_subkeys(self, ctx, st, key):
        m, n, v, bad = self._kv2_version(ctx, st, key)
        if bad:
            return bad
        try:
            depth = int(ctx.query.get("depth") or 0)
        except ValueError:
            depth = 0
        md = self._ver_meta(m, n, v)
        if self._gone(v, now_ns()):
            return Resp(404, Envelope({"subkeys": None, "metadata": md}, mount_type="kv"))

        def walk(obj, lvl):
            out = {}
            for k, val in obj.items():
                if isinstance(val, dict) and (depth == 0 or lvl < depth):
                    out[k] = walk(val, lvl + 1)
                else:
                    out[k] = None
            return out
        return ok({"subkeys": walk(v[3], 1), "metadata": md}, mount_type="kv")

    # -- sys ----------------------------------------------------------------

    def _sys_unauth(self, ctx, rel):
        if rel == "sys/leader":
            return Resp(200, {"ha_enabled": False, "is_self": False,
                              "leader_address": "", "leader_cluster_address": "",
                              "performance_standby": False,
                              "performance_standby_last_remote_wal": 0})
        if rel == "sys/health":
            return Resp(200, {"initialized": True, "sealed": False, "standby": False,
                              "performance_standby": False,
                              "replication_performance_mode": "disabled",
                              "replication_dr_mode": "disabled",
                              "server_time_utc": int(time.time()),
                              "version": VAULT_VERSION,
                              "cluster_name": "vault-cluster-standin",
                              "cluster_id": "00000000-0000-0000-0000-000000000000"})
        return Resp(200, {"type": "shamir", "initialized": True, "sealed": False,
                          "t": 1, "n": 1, "progress": 0, "nonce": "",
                          "version": VAULT_VERSION, "migration": False,
                          "cluster_name": "vault-cluster-standin",
                          "cluster_id": "00000000-0000-0000-0000-000000000000",
                          "recovery_seal": False, "storage_type": "inmem"})

    def _check_update(self, ctx, tid):
        """A write here is an "update" (ctx.op becomes it): the op, and
        the policy check's denial or None."""
        if ctx.op == "write":
            ctx.op = "update"
        return ctx.op, self._check(ctx, tid, ctx.op)

    def _sys(self, ctx, tid, sub):
        op, denied = self._check_update(ctx, tid)
        if denied:
            return denied
        ns = ctx.ns
        if sub == "mounts":
            if op != "read":
                return err(405, UNSUPPORTED_OP)
            return ok({mp: m.info() for mp, m in ns.mounts.items()},
                      inject=True, mount_type="system")
        if sub.startswith("mounts/"):
            mp = sub[7:]
            if mp.endswith("/tune") and op == "read":
                m = ns.mounts.get(clean_mount_path(mp[:-5]))
                if m is None:
                    return err(400, 'cannot fetch sysview for path "%s"' % clean_mount_path(mp[:-5]))
                return ok({"default_lease_ttl": DEFAULT_LEASE_TTL,
                           "max_lease_ttl": DEFAULT_LEASE_TTL,
                           "force_no_cache": False, "description": m.description,
                           "options": m.options}, inject=True, mount_type="system")
            return self._sys_mount(ctx, clean_mount_path(mp), op)
        if sub == "auth":
            if op != "read":
                return err(405, UNSUPPORTED_OP)
            return ok({p: m.info() for p, m in ns.auth.items()}, inject=True,
                      mount_type="system")
        if sub.startswith("auth/"):
            return self._sys_auth(ctx, clean_mount_path(sub[5:]), op)
        if sub in ("policy", "policy/", "policies/acl", "policies/acl/"):
            if op not in ("read", "list"):
                return err(405, UNSUPPORTED_OP)
            names = sorted(ns.policies) + (["root"] if ns.path == "" else [])
            names = sorted(set(names))
            if sub.startswith("policy"):
                return ok({"keys": names, "policies": names}, inject=True,
                          mount_type="system")
            if op != "list":
                return err(405, UNSUPPORTED_OP)
            return ok({"keys": names}, mount_type="system")
        if sub.startswith("policy/") or sub.startswith("policies/acl/"):
            legacy = sub.startswith("policy/")
            name = sub[7:] if legacy else sub[13:]
            return self._sys_policy(ctx, name.strip("/").lower(), op, legacy)
        if sub in ("capabilities-self", "capabilities"):
            if op != "update":
                return err(405, UNSUPPORTED_OP)
            return self._sys_capabilities(ctx, sub == "capabilities")
        if sub in ("namespaces", "namespaces/"):
            if op != "list":
                return err(405, UNSUPPORTED_OP)
            kids = self._child_namespaces(ns)
            if not kids:
                return err(404)
            return ok({"keys": sorted(kids),
                       "key_info": {k: self._ns_info(v, ns) for k, v in kids.items()}},
                      mount_type="system")
        if sub.startswith("namespaces/"):
            return self._sys_namespace(ctx, sub[11:].strip("/"), op)
        return err(404, UNSUPPORTED_PATH)

    @staticmethod
    def _sys_table(table, path, op, missing, refuse):
        """What sys/mounts/:path and sys/auth/:path answer alike: an empty
        path, a read (missing: the error of an unknown path), a delete
        (refuse: Vault's error when it refuses that one, or None) and an
        unsupported operation; None for an update."""
        if not path:
            return err(400, "path cannot be empty")
        if op == "read":
            m = table.get(path)
            if m is None:
                return err(400, missing)
            return ok(m.info(), inject=True, mount_type="system")
        if op == "delete":
            if refuse is not None:
                return err(400, refuse)
            table.pop(path, None)
            return no_content()
        if op != "update":
            return err(405, UNSUPPORTED_OP)
        return None

    def _sys_mount(self, ctx, mp, op):
        ns = ctx.ns
        r = self._sys_table(
            ns.mounts, mp, op, "No secret engine mount at %s" % mp,
            'cannot unmount "%s"' % mp
            if mp in ("sys/", "cubbyhole/", "identity/") else None)
        if r is not None:
            return r
        d = ctx.data
        mtype = d.get("type") or ""
        if not mtype:
            return err(400, "backend type must be specified as a string")
        options = d.get("options")
        if options is not None and not isinstance(options, dict):
            return err(400, "options must be a map")
        if options is not None:
            options = {str(k): str(v) for k, v in options.items()}
        # kv-v1/kv-v2 aliases [vault vault/logical_system.go handleMount]
        if mtype in ("kv-v1", "kv-v2"):
            options = dict(options or {})
            options["version"] = mtype[-1]
            mtype = "kv"
        if mtype == "generic":
            mtype = "kv"
        if mp.split("/")[0] + "/" in ("sys/", "auth/", "cubbyhole/", "identity/"):
            return err(400, 'cannot mount "%s" of type "%s" as it is reserved' % (mp, mtype))
        for other in ns.mounts:
            if mp.startswith(other):
                return err(400, "path is already in use at %s" % other)
            if other.startswith(mp):
                return err(400, "existing mount at %s" % other)
        if ns.path + mp in self.namespaces:
            return err(400, "path is already in use at %s" % mp)
        cfg = d.get("config") if isinstance(d.get("config"), dict) else {}
        ns.mounts[mp] = Mount(mp, mtype, options, description=str(d.get("description") or ""),
                              local=bool(d.get("local")), seal_wrap=bool(d.get("seal_wrap")),
                              config={k: cfg[k] for k in ("default_lease_ttl", "max_lease_ttl",
                                                          "force_no_cache")
                                      if k in cfg and isinstance(cfg[k], (int, bool))})
        return no_content()

    def _sys_auth(self, ctx, ap, op):
        """sys/auth/:path: enable, read and disable an auth method
        [docs system/auth; vault vault/logical_system.go handleEnableAuth,
        handleDisableAuth, handleAuthRead]."""
        ns = ctx.ns
        r = self._sys_table(
            ns.auth, ap, op, "No auth engine at %s" % ap,
            "token credential backend cannot be disabled"
            if ap == "token/" else None)
        if r is not None:
            return r
        mtype = ctx.data.get("type") or ""
        if not mtype:
            return err(400, "backend type must be specified as a string")
        if mtype == "token":
            return err(400, "token credential backend cannot be instantiated")
        for other in ns.auth:
            if ap.startswith(other) or other.startswith(ap):
                return err(400, "path is already in use at %s" % other)
        m = Mount(ap, mtype, description=str(ctx.data.get("description") or ""))
        m.accessor = "auth_%s_%s" % (mtype, _secrets.token_hex(4))
        ns.auth[ap] = m
        return no_content()

    def _sys_policy(self, ctx, name, op, legacy):
        ns = ctx.ns
        if not name:
            return err(400, "policy name must be provided in the URL")
        if op == "read":
            if name == "root" and ns.path == "":
                text = ""
            elif name in ns.policies:
                text = ns.policies[name][0]
            else:
                return err(404)
            return ok({"name": name, ("rules" if legacy else "policy"): text},
                      inject=legacy, mount_type="system")
        if op == "update":
            text = ctx.data.get("policy")
            if legacy and not text:
                text = ctx.data.get("rules")
            if not text:
                return err(400, "'policy' parameter not supplied or empty")
            if name == "root":
                return err(400, 'cannot update "root" policy')
            try:
                rules = parse_policy(text)
            except PolicyError as e:
                return err(400, "failed to parse policy: %s" % e)
            ns.policies[name] = (text, rules)
            self.policy_gen += 1
            return no_content()
        if op == "delete":
            if name in ("root", "default"):
                return err(400, 'cannot delete "%s" policy' % name)
            if ns.policies.pop(name, None) is not None:
                self.policy_gen += 1
            return no_content()
        return err(405, UNSUPPORTED_OP)

    def _sys_capabilities(self, ctx, other_token):
        # [docs system/capabilities-self; vault vault/capabilities.go]
        d = ctx.data
        paths = d.get("paths")
        if paths is None:
            paths = d.get("path")
        if isinstance(paths, str):
            paths = [p for p in paths.split(",") if p]
        if not paths:
            return err(400, "missing paths")
        tok = ctx.token
        if other_token:
            tok = self.lookup_token(str(d.get("token") or ""))
            if tok is None:
                return err(400, "invalid token")
        acl = self.acl_for(tok)
        tns = tok.ns
        out = {}
        for p in paths:
            p = str(p)
            if not ctx.ns.path.startswith(tns):
                out[p] = ["deny"]
                continue
            out[p] = acl.capabilities(ctx.ns.path[len(tns):] + p.lstrip("/"))
        if len(paths) == 1:
            out["capabilities"] = out[str(paths[0])]
        return ok(out, inject=True, mount_type="system")

    def _child_namespaces(self, ns):
        out = {}
        for p, child in self.namespaces.items():
            if p.startswith(ns.path) and p != ns.path:
                rest = p[len(ns.path):]
                if rest.count("/") == 1:
                    out[rest] = child
        return out

    @staticmethod
    def _ns_info(child, parent):
        return {"custom_metadata": dict(child.custom_metadata), "id": child.id,
                "path": child.path[len(parent.path):]}

    def _sys_namespace(self, ctx, name, op):
        ns = ctx.ns
        if not name:
            return err(400, "path must be specified")
        if "/" in name:
            return err(400, "namespace name must not contain '/': create it in its parent")
        full = ns.path + name + "/"
        if op == "read":
            child = self.namespaces.get(full)
            if child is None:
                return err(404)
            return ok(self._ns_info(child, ns), mount_type="ns_system")
        if op == "update":
            if name in ("root", "sys", "audit", "auth", "cubbyhole", "identity"):
                return err(400, '"%s" is a reserved path and cannot be used as a namespace name' % name)
            if name + "/" in ns.mounts:
                return err(400, '"%s" is in use as a mount path' % name)
            child = self.namespaces.get(full)
            if child is None:
                cm = ctx.data.get("custom_metadata")
                child = self._new_namespace(full, custom_metadata=cm if isinstance(cm, dict) else None)
            return ok(self._ns_info(child, ns), mount_type="ns_system")
        if op == "delete":
            for p in [p for p in self.namespaces if p.startswith(full)]:
                del self.namespaces[p]
            for t in [t for t in self.tokens.values() if t.ns.startswith(full)]:
                del self.tokens[t.id]
            return no_content()
        return err(405, UNSUPPORTED_OP)

    def _ui_mounts(self, ctx, tid):
        # [vault vault/logical_system.go pathInternalUIMountsRead,
        # pathInternalUIMountRead; docs system/internal-ui-mounts]
        if ctx.op != "read":
            return err(405, UNSUPPORTED_OP)
        ns = ctx.ns
        tok = ctx.token
        sub = ctx.rel[len("sys/internal/ui/mounts"):].lstrip("/")
        if tid and tok is None:
            return err(403, "permission denied")
        acl = None
        if tok is not None:
            if not ns.path.startswith(tok.ns):
                return err(403, "permission denied")
            acl = self.acl_for(tok)
            base = ns.path[len(tok.ns):]
        if not sub:
            secret, auth = {}, {}
            if acl is not None:
                for mp, m in ns.mounts.items():
                    if acl.has_mount_access(base + mp):
                        secret[mp] = m.info()
                for mp, m in ns.auth.items():
                    if acl.has_mount_access(base + "auth/" + mp):
                        auth[mp] = m.info()
            return ok({"auth": auth, "secret": secret}, mount_type="system")
        if tok is None:
            return err(403, "permission denied")
        path = clean_mount_path(sub)
        mns, mrel = self.resolve_ns("", ns.path + path)
        m = mns.mount_for(mrel) if mns.path.startswith(ns.path) else None
        if m is None and mrel.startswith("auth/") and mns.path.startswith(ns.path):
            # The router holds auth methods at "auth/" + their entry path,
            # and this endpoint answers the entry, whose path lacks the
            # "auth/": "token/" for auth/token/... [vault vault/auth.go
            # setupCredentials: router.Mount(credentialRoutePrefix +
            # entry.Path); vault/logical_system.go pathInternalUIMountRead]
            best = None
            for ap in mns.auth:
                if mrel[5:].startswith(ap) and (best is None or len(ap) > len(best)):
                    best = ap
            m = mns.auth.get(best) if best is not None else None
        denied = err(403, "preflight capability check returned 403, please ensure "
                          "client's policies grant access to path \"%s\"" % path)
        if m is None:
            # permission denied, so the path cannot be used to find mounts
            return denied
        if not acl.has_mount_access(mns.path[len(tok.ns):] + m.path):
            return denied
        info = m.info()
        info["path"] = mns.path[len(ns.path):] + m.path
        return ok(info, mount_type="system")

    # -- auth/azure roles [docs api-docs/auth/azure] -----------------------

    AZURE_LISTS = ("bound_service_principal_ids", "bound_group_ids",
                   "bound_subscription_ids", "bound_resource_groups",
                   "bound_locations", "bound_scale_sets")

    @staticmethod
    def _comma_slice(v):
        """framework.TypeCommaStringSlice: a list, or a comma-separated
        string [vault sdk/framework/field_data.go]."""
        if v is None:
            return []
        if isinstance(v, str):
            return [x.strip() for x in v.split(",") if x.strip()]
        if isinstance(v, list):
            return [str(x) for x in v]
        return [str(v)]

    def _azure(self, ctx, tid, m, sub):
        """The roles of an azure auth method, as the plugin keeps them
        [hashicorp/vault-plugin-auth-azure path_role.go]: names lowered,
        LIST of none a 404, a role without a bound constraint refused."""
        op = ctx.op
        mm = re.match(r"^role/(\w(?:[\w.-]*\w)?)$", sub)
        name = mm.group(1).lower() if mm else None
        if op == "write":
            op = "update" if name in m.roles else "create"
        denied = self._check(ctx, tid, op)
        if denied:
            return denied
        if sub in ("role", "role/"):
            if op != "list":
                return err(405, UNSUPPORTED_OP)
            if not m.roles:
                return err(404)
            return ok({"keys": sorted(m.roles)})
        if name is None:
            return err(404, UNSUPPORTED_PATH)
        if op == "read":
            r = m.roles.get(name)
            if r is None:
                return err(404)
            d = {k: r.get(k) for k in self.AZURE_LISTS}
            # tokenutil.PopulateTokenData
            d.update({"token_bound_cidrs": [], "token_explicit_max_ttl": 0,
                      "token_max_ttl": 0, "token_period": 0, "token_ttl": 0,
                      "token_no_default_policy": r["token_no_default_policy"],
                      "token_policies": r["token_policies"] or [],
                      "token_type": "default", "token_num_uses": 0})
            if r["policies"]:
                d["policies"] = d["token_policies"]
            return ok(d)
        if op == "delete":
            m.roles.pop(name, None)
            return no_content()
        if op not in ("create", "update"):
            return err(405, UNSUPPORTED_OP)
        d = ctx.data
        r = m.roles.get(name) or {k: None for k in self.AZURE_LISTS}
        r.setdefault("policies", [])
        r.setdefault("token_policies", [])
        r.setdefault("token_no_default_policy", False)
        for k in self.AZURE_LISTS:
            if k in d:
                r[k] = self._comma_slice(d[k])
        # tokenutil.UpgradeValue: "policies" sets both
        if "token_policies" in d:
            r["token_policies"] = self._comma_slice(d["token_policies"])
        elif "policies" in d:
            r["policies"] = r["token_policies"] = self._comma_slice(d["policies"])
        if "token_no_default_policy" in d:
            r["token_no_default_policy"] = parse_bool(str(d["token_no_default_policy"])) is True
        if not any(r.get(k) for k in self.AZURE_LISTS):
            return err(400, "must have at least one bound constraint when "
                            "creating/updating a role")
        m.roles[name] = r
        return no_content()

    # -- auth/token [docs auth/token] ------------------------------------

    def _token(self, ctx, tid, sub):
        op, denied = self._check_update(ctx, tid)
        if denied:
            return denied
        tok = ctx.token
        if sub in ("create", "create-orphan"):
            if op != "update":
                return err(405, UNSUPPORTED_OP)
            return self._token_create(ctx, tok, sub == "create-orphan")
        if sub == "lookup-self" or (sub == "lookup" and not ctx.data.get("token")):
            if op not in ("read", "update"):
                return err(405, UNSUPPORTED_OP)
            return ok(self._token_info(tok), mount_type="token")
        if sub == "lookup":
            if op != "update":
                return err(405, UNSUPPORTED_OP)
            other = self.lookup_token(str(ctx.data.get("token")))
            if other is None:
                return err(403, "bad token")
            return ok(self._token_info(other), mount_type="token")
        if sub == "renew-self":
            # [docs auth/token "Renew a token (self)"]: POST, optional
            # increment; the TTL starts again from now, within max TTL.
            if op != "update":
                return err(405, UNSUPPORTED_OP)
            if not tok.renewable:
                return err(400, "lease is not renewable")
            inc = ctx.data.get("increment")
            ttl = parse_duration(inc) if inc not in (None, "", 0) else tok.ttl
            now = now_ns()
            if tok.max_expire is not None:
                ttl = min(ttl, max(0, (tok.max_expire - now) // 1_000_000_000))
            tok.expire = now + ttl * 1_000_000_000
            return ok(None, auth={
                "client_token": tok.id, "accessor": tok.accessor,
                "policies": tok.policies, "token_policies": tok.policies,
                "metadata": tok.meta, "lease_duration": ttl,
                "renewable": tok.renewable, "entity_id": "",
                "token_type": "service", "orphan": tok.orphan,
                "mfa_requirement": None, "num_uses": 0})
        if sub == "revoke-self":
            if op != "update":
                return err(405, UNSUPPORTED_OP)
            if tok.id != self.root_token:
                self.tokens.pop(tok.id, None)
            return no_content()
        return err(404, UNSUPPORTED_PATH)

    def _token_create(self, ctx, parent, orphan):
        d = ctx.data
        pols = d.get("policies")
        if isinstance(pols, str):
            pols = [p.strip() for p in pols.split(",") if p.strip()]
        pols = [str(p).lower() for p in (pols or [])]
        parent_root = parent.is_root()
        if not pols:
            pols = [p for p in parent.policies]
        if not parent_root:
            extra = [p for p in pols if p != "default" and p not in parent.policies]
            if extra:
                return err(400, "child policies must be subset of parent")
        no_default = bool(d.get("no_default_policy"))
        pols = sorted(set(pols))
        if "root" in pols:
            pols = ["root"]
        elif not no_default and "default" not in pols:
            pols = sorted(pols + ["default"])
        try:
            ttl = parse_duration(d.get("ttl")) if d.get("ttl") not in (None, "") else None
        except ValueError as e:
            return err(400, str(e))
        tid = d.get("id")
        if tid:
            if not parent_root:
                return err(400, "root or sudo privileges required to specify token id")
            if tid in self.tokens:
                return err(400, "cannot create a token with a duplicate ID")
        else:
            tid = "hvs." + rand_id(24)
            if ctx.ns.path:
                tid += "." + ctx.ns.id
        meta = d.get("meta") if isinstance(d.get("meta"), dict) else None
        tok = Token(tid, pols, ctx.ns.path, display_name="token-" + str(d.get("display_name") or "").strip()
                    if d.get("display_name") else "token",
                    meta=meta, ttl=ttl, orphan=orphan or bool(d.get("no_parent")),
                    path="auth/token/create")
        self.tokens[tid] = tok
        # [vault sdk/logical response_util.go HTTPAuth field order]
        auth = collections.OrderedDict()
        auth["client_token"] = tok.id
        auth["accessor"] = tok.accessor
        auth["policies"] = tok.policies
        auth["token_policies"] = tok.policies
        auth["metadata"] = tok.meta
        auth["lease_duration"] = tok.ttl
        auth["renewable"] = tok.renewable
        auth["entity_id"] = ""
        auth["token_type"] = "service"
        auth["orphan"] = tok.orphan
        auth["mfa_requirement"] = None
        auth["num_uses"] = 0
        return ok(None, auth=auth, mount_type="token")

    def _token_info(self, tok):
        now = now_ns()
        info = {"accessor": tok.accessor,
                "creation_time": tok.created // 1_000_000_000,
                "creation_ttl": tok.ttl, "display_name": tok.display_name,
                "entity_id": "",
                "expire_time": fmt_time(tok.expire) if tok.expire else None,
                "explicit_max_ttl": 0, "id": tok.id,
                "meta": tok.meta, "num_uses": tok.num_uses,
                "orphan": tok.orphan, "path": tok.path,
                "policies": tok.policies, "renewable": tok.renewable,
                "ttl": max(0, (tok.expire - now) // 1_000_000_000) if tok.expire else 0,
                "type": "service"}
        if not tok.is_root():
            info["issue_time"] = fmt_time(tok.created)
        if tok.ns:
            info["namespace_path"] = tok.ns
        return info

    # -- fixtures ----------------------------------------------------------

    def seed(self, doc):
        """Add a fixture (see the module docstring); ValueError on bad input.
        Validated as a whole before anything changes only where cheap: a bad
        entry may leave the earlier ones of the same call applied."""
        if not isinstance(doc, dict):
            raise ValueError("fixture must be a JSON object")
        with self.lock:
            self._seed_ns(self.namespaces[""], doc, top=True)
            self.policy_gen += 1

    def _seed_ns(self, ns, doc, top=False):
        for key in doc:
            if key not in ("mounts", "secrets", "policies", "tokens", "namespaces",
                           "root_token", "id", "custom_metadata"):
                raise ValueError("unknown fixture key %r in namespace %r" % (key, ns.path or "root"))
        if isinstance(doc.get("custom_metadata"), dict) and ns.path:
            ns.custom_metadata = dict(doc["custom_metadata"])
        for mp, spec in (doc.get("mounts") or {}).items():
            self._seed_mount(ns, clean_mount_path(mp), spec)
        for name, text in (doc.get("policies") or {}).items():
            if isinstance(text, dict):
                text = text.get("policy", "")
            name = str(name).lower()
            if name == "root":
                raise ValueError('cannot update "root" policy')
            try:
                ns.policies[name] = (text, parse_policy(text))
            except PolicyError as e:
                raise ValueError("policy %r: %s" % (name, e))
        secrets_ = doc.get("secrets") or {}
        if not isinstance(secrets_, dict):
            raise ValueError("secrets must be an object")
        for key, spec in secrets_.items():
            if key.endswith("/"):
                m = ns.mounts.get(clean_mount_path(key))
                if m is None or m.type != "kv":
                    raise ValueError("secrets: no KV mount %r in namespace %r" % (key, ns.path or "root"))
                if not isinstance(spec, dict):
                    raise ValueError("secrets %r: must be an object of paths" % key)
                for p, s in spec.items():
                    self._seed_secret(m, p, s)
            else:
                m = ns.mount_for(key)
                if m is None or m.type != "kv":
                    raise ValueError("secrets: no KV mount for %r in namespace %r" % (key, ns.path or "root"))
                self._seed_secret(m, key[len(m.path):], spec)
        for name, child in (doc.get("namespaces") or {}).items():
            path = ns.path + clean_ns_path(name)
            if not clean_ns_path(name):
                raise ValueError("empty namespace name")
            # create the intermediate namespaces of "a/b" too
            parts = clean_ns_path(name).strip("/").split("/")
            cur = ns.path
            for part in parts:
                cur += part + "/"
                if cur not in self.namespaces:
                    self._new_namespace(cur, (child or {}).get("id") if cur == path else None)
            self._seed_ns(self.namespaces[path], child or {})
        toks = doc.get("tokens") or {}
        if isinstance(toks, list):
            toks = {t.get("id"): t for t in toks if isinstance(t, dict)}
        for tid, spec in toks.items():
            spec = spec or {}
            if not tid:
                raise ValueError("token without id")
            tns = ns.path
            if top and spec.get("namespace"):
                tns = clean_ns_path(spec["namespace"])
                if tns not in self.namespaces:
                    raise ValueError("token %r: no namespace %r" % (tid, tns))
            pols = [str(p).lower() for p in (spec.get("policies") or [])]
            if "root" not in pols and not spec.get("no_default_policy") and "default" not in pols:
                pols.append("default")
            pols = ["root"] if "root" in pols else sorted(set(pols))
            ttl = spec.get("ttl")
            tok = Token(str(tid), pols, tns,
                        display_name=spec.get("display_name") or "token",
                        meta=spec.get("meta"),
                        ttl=parse_duration(ttl) if ttl not in (None, "") else None,
                        orphan=bool(spec.get("orphan")),
                        renewable=spec.get("renewable"),
                        explicit_max_ttl=parse_duration(spec["explicit_max_ttl"])
                        if spec.get("explicit_max_ttl") not in (None, "") else None)
            if spec.get("accessor"):
                tok.accessor = str(spec["accessor"])
            self.tokens[tok.id] = tok

    def _seed_mount(self, ns, mp, spec):
        if not mp:
            raise ValueError("empty mount path")
        if isinstance(spec, (int, str)) and not isinstance(spec, bool):
            spec = {"type": "kv", "version": str(spec)}
        if not isinstance(spec, dict):
            raise ValueError("mount %r: spec must be an object" % mp)
        mtype = spec.get("type") or "kv"
        options = spec.get("options")
        if options is not None and not isinstance(options, dict):
            raise ValueError("mount %r: options must be an object" % mp)
        options = dict(options) if options else None
        if spec.get("version") not in (None, ""):
            options = dict(options or {})
            options["version"] = str(spec["version"])
        if mtype in ("kv-v1", "kv-v2"):
            options = dict(options or {})
            options["version"] = mtype[-1]
            mtype = "kv"
        old = ns.mounts.get(mp)
        if old is not None:
            if old.type == mtype and old.kv_version() == Mount(mp, mtype, options).kv_version():
                if spec.get("description") is not None:
                    old.description = str(spec["description"])
                return
            if old.store and (getattr(old.store, "meta", None) or getattr(old.store, "data", None)):
                raise ValueError("mount %r exists with another type or version and has secrets" % mp)
        else:
            for other in ns.mounts:
                if mp.startswith(other) or other.startswith(mp):
                    raise ValueError("mount %r: path is already in use at %s" % (mp, other))
        m = Mount(mp, mtype, options, description=str(spec.get("description") or ""))
        if spec.get("accessor"):
            m.accessor = str(spec["accessor"])
        ns.mounts[mp] = m

    def _seed_secret(self, m, path, spec):
        path = str(path).strip("/")
        if not path:
            raise ValueError("mount %r: empty secret path" % m.path)
        if not isinstance(spec, dict):
            raise ValueError("secret %s%s: spec must be an object" % (m.path, path))
        st = m.store
        if isinstance(st, KV1Store):
            data = spec.get("data")
            if not isinstance(data, dict):
                raise ValueError("secret %s%s: KV v1 needs \"data\": {...}" % (m.path, path))
            if path not in st.data:
                index_add(st.children, path)
            st.data[path] = data
            return
        vers = spec.get("versions")
        if vers is None:
            if "data" in spec:
                vers = [{"data": spec["data"]}]
            else:
                vers = []
        if not isinstance(vers, list):
            raise ValueError("secret %s%s: versions must be a list" % (m.path, path))
        now = now_ns()
        meta = Meta()
        meta.max_versions = int(spec.get("max_versions") or 0)
        meta.cas_required = bool(spec.get("cas_required"))
        meta.dva = parse_duration(spec.get("delete_version_after"))
        cm = spec.get("custom_metadata")
        if cm is not None:
            if not isinstance(cm, dict):
                raise ValueError("secret %s%s: custom_metadata must be an object" % (m.path, path))
            meta.custom = {str(k): str(v) for k, v in cm.items()}
        if spec.get("created_time"):
            meta.created = parse_time(spec["created_time"])
        saved_max = meta.max_versions
        meta.max_versions = max(saved_max, len(vers) + 1, 10)  # never prune a fixture
        for i, v in enumerate(vers):
            if not isinstance(v, dict):
                raise ValueError("secret %s%s: version %d must be an object" % (m.path, path, i + 1))
            destroyed = bool(v.get("destroyed"))
            data = v.get("data")
            if data is None and not destroyed:
                data = {}
            if not destroyed and not isinstance(data, dict):
                raise ValueError("secret %s%s: version data must be an object" % (m.path, path))
            created = parse_time(v["created_time"]) if v.get("created_time") else now
            if v.get("deletion_time"):
                deletion = parse_time(v["deletion_time"])
            elif v.get("deleted"):
                deletion = now
            else:
                deletion = None
            num = v.get("version")
            if num is not None:
                num = int(num)
                if num <= meta.current:
                    raise ValueError("secret %s%s: version numbers must increase" % (m.path, path))
            self._add_version(st, meta, data, created, deletion, destroyed, num)
        meta.max_versions = saved_max
        if spec.get("updated_time"):
            meta.updated = parse_time(spec["updated_time"])
        if meta.created is None:
            meta.created = meta.updated = now
        if spec.get("oldest_version") is not None:
            meta.oldest = int(spec["oldest_version"])
        if path not in st.meta:
            index_add(st.children, path)
        st.meta[path] = meta

    def dump(self, only_ns=None):
        with self.lock:
            root = self.namespaces[""]
            if only_ns:
                ns = self.namespaces.get(clean_ns_path(only_ns))
                if ns is None:
                    raise ValueError("no namespace %r" % only_ns)
                return self._dump_ns(ns)
            out = self._dump_ns(root)
            out["root_token"] = self.root_token
            return out

    def _dump_ns(self, ns):
        mounts, secrets_ = {}, {}
        for mp, m in sorted(ns.mounts.items()):
            if m.type in ("system", "cubbyhole", "identity"):
                continue
            spec = {"type": m.type, "description": m.description,
                    "accessor": m.accessor}
            if m.options:
                spec["options"] = dict(m.options)
            if m.type == "kv":
                spec["version"] = m.kv_version()
            mounts[mp] = spec
            st = m.store
            if isinstance(st, KV1Store):
                secrets_[mp] = {k: {"data": v} for k, v in sorted(st.data.items())}
            elif isinstance(st, KV2Store):
                group = {}
                for k, meta in sorted(st.meta.items()):
                    group[k] = {
                        "current_version": meta.current,
                        "oldest_version": meta.oldest,
                        "created_time": fmt_time(meta.created),
                        "updated_time": fmt_time(meta.updated),
                        "custom_metadata": meta.custom,
                        "max_versions": meta.max_versions,
                        "cas_required": meta.cas_required,
                        "delete_version_after": go_duration(meta.dva),
                        "versions": [{"version": n, "created_time": fmt_time(v[0]),
                                      "deletion_time": fmt_time(v[1]),
                                      "destroyed": v[2], "data": v[3]}
                                     for n, v in sorted(meta.versions.items())]}
                secrets_[mp] = group
        policies = {n: t for n, (t, _) in sorted(ns.policies.items()) if n != "default"}
        tokens = {}
        for t in self.tokens.values():
            if t.ns == ns.path and t.id != self.root_token:
                tokens[t.id] = {"policies": t.policies, "accessor": t.accessor,
                                "display_name": t.display_name, "meta": t.meta,
                                "ttl": t.ttl, "orphan": t.orphan,
                                "no_default_policy": "default" not in t.policies}
        children = {}
        for p, child in sorted(self.namespaces.items()):
            if p.startswith(ns.path) and p != ns.path and p[len(ns.path):].count("/") == 1:
                children[p[len(ns.path):-1]] = self._dump_ns(child)
        out = {"mounts": mounts, "secrets": secrets_, "policies": policies,
               "tokens": tokens, "namespaces": children}
        if ns.path:
            out["id"] = ns.id
            out["custom_metadata"] = dict(ns.custom_metadata)
        return out


def weak_str(v):
    """mapstructure.WeakDecode of a JSON value into a string."""
    if v is None:
        return ""
    if isinstance(v, bool):
        return "1" if v else "0"
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    if isinstance(v, (dict, list)):
        return json.dumps(v)
    return str(v)


def validate_custom_metadata(cm):
    # [kvplugin path_metadata.go validateCustomMetadata]
    pre = "custom_metadata validation failed"
    if len(cm) > 64:
        return "%s: payload must contain at most 64 keys, provided %d" % (pre, len(cm))
    errs = []
    for k, v in cm.items():
        if not 0 < len(k) <= 128:
            errs.append("%s: length of key %s is %d but must be 0 < len(key) <= 128"
                        % (pre, json.dumps(k), len(k)))
        if not 0 < len(v) <= 512:
            errs.append("%s: length of value for key %s is %d but must be 0 < len(value) <= 512"
                        % (pre, json.dumps(k), len(v)))
        if not k.isprintable():
            errs.append("%s: key %s (%s) contains unprintable characters" % (pre, json.dumps(k), k))
        if not v.isprintable():
            errs.append("%s: value for key %s contains unprintable characters" % (pre, json.dumps(k)))
    if not errs:
        return None
    if len(errs) == 1:
        return "1 error occurred:\n\t* %s\n\n" % errs[0]
    return "%d errors occurred:\n%s\n\n" % (len(errs), "\n".join("\t* " + e for e in errs))


def _merge_patch(target, patch):
    """RFC 7386 JSON merge patch (KV v2 PATCH)."""
    if not isinstance(patch, dict):
        return patch
    out = dict(target) if isinstance(target, dict) else {}
    for k, v in patch.items():
        if v is None:
            out.pop(k, None)
        else:
            out[k] = _merge_patch(out.get(k), v)
    return out


# ---------------------------------------------------------------------------
# knobs: latency, injected faults, rate limit


class Knobs(base.Faults):
    def __init__(self, latency_ms=0, fail_rate=0.0, fail_seed=None,
                 fail_kinds=("500",), rate_limit=0):
        super().__init__(fail_kinds=["500"])
        self.rate_limit = 0
        self.hang_paths = []
        self.loop_lists = []
        self.fail_paths = []
        self.window = 0
        self.count = 0
        self.update({"latency_ms": latency_ms, "fail_rate": fail_rate,
                     "fail_seed": fail_seed, "fail_kinds": list(fail_kinds),
                     "rate_limit": rate_limit})

    def update(self, d):
        if not isinstance(d, dict):
            raise ValueError("config must be a JSON object")
        unknown = set(d) - {"latency_ms", "fail_rate", "fail_seed", "fail_kinds", "rate_limit",
                            "hang_paths", "loop_lists", "fail_paths"}
        if unknown:
            raise ValueError("unknown config keys: %s" % ", ".join(sorted(unknown)))
        with self.lock:
            if "latency_ms" in d:
                v = float(d["latency_ms"] or 0)
                if v < 0:
                    raise ValueError("latency_ms must be >= 0")
                self.latency_ms = v
            if "fail_rate" in d:
                v = float(d["fail_rate"] or 0)
                if not 0 <= v <= 1:
                    raise ValueError("fail_rate must be within 0..1")
                self.fail_rate = v
            if "fail_kinds" in d:
                kinds = d["fail_kinds"]
                if isinstance(kinds, str):
                    kinds = [k for k in kinds.split(",") if k.strip()]
                kinds = [str(k).strip().lower() for k in kinds]
                for k in kinds:
                    if k != "drop" and not (k.isdigit() and 400 <= int(k) <= 599):
                        raise ValueError("fail kind %r: want an HTTP status 400-599 or drop" % k)
                if not kinds:
                    raise ValueError("fail_kinds is empty")
                self.fail_kinds = kinds
            if "fail_seed" in d:
                self.reseed(None if d["fail_seed"] is None else int(d["fail_seed"]))
            for k in ("hang_paths", "loop_lists", "fail_paths"):
                if k in d:
                    v = d[k] or []
                    if not isinstance(v, list) or not all(isinstance(x, str) for x in v):
                        raise ValueError("%s must be a list of strings" % k)
                    setattr(self, k, list(v))
            if "rate_limit" in d:
                v = float(d["rate_limit"] or 0)
                if v < 0:
                    raise ValueError("rate_limit must be >= 0")
                self.rate_limit = v
                self.window, self.count = 0, 0

    def snapshot(self):
        with self.lock:
            return {"latency_ms": self.latency_ms, "fail_rate": self.fail_rate,
                    "fail_seed": self.fail_seed, "fail_kinds": list(self.fail_kinds),
                    "rate_limit": self.rate_limit, "hang_paths": list(self.hang_paths),
                    "loop_lists": list(self.loop_lists),
                    "fail_paths": list(self.fail_paths)}

    def matches(self, name, vpath):
        with self.lock:
            return any(vpath.startswith(p) for p in getattr(self, name))

    def rate_check(self):
        """Fixed one-second windows of rate_limit requests, like the token
        bucket of Vault's rate limit quotas refilled every interval [vault
        vault/quotas/quotas_rate_limit.go]. Returns None or seconds to wait."""
        with self.lock:
            if self.rate_limit <= 0:
                return None
            now = time.monotonic()
            w = int(now)
            if w != self.window:
                self.window, self.count = w, 0
            if self.count >= self.rate_limit:
                return max(1, int(self.window + 1 - now + 0.999))
            self.count += 1
            return None


_SECRET_HEADERS = {"x-vault-token", "authorization", "cookie", "proxy-authorization"}


def redact_headers(headers):
    out = {}
    for k, v in headers.items():
        out[k] = REDACTED if k.lower() in _SECRET_HEADERS else v
    return out


def redact_body(body, kind, method):
    if not body:
        return None
    try:
        doc = json.loads(body)
    except ValueError:
        return "[%d bytes, not JSON]" % len(body)
    if not isinstance(doc, dict):
        return REDACTED
    if kind == "kv1" and method in ("POST", "PUT", "PATCH"):
        return {k: REDACTED for k in doc}
    out = dict(doc)
    if isinstance(out.get("data"), dict):
        out["data"] = {k: REDACTED for k in out["data"]}
    elif "data" in out and kind == "kv2":
        out["data"] = REDACTED
    for k in ("id", "token", "client_token", "secret_id", "password"):
        if k in out:
            out[k] = REDACTED
    return out


# ---------------------------------------------------------------------------
# HTTP


class Handler(base.Handler):
    timeout = 300

    def do_GET(self):
        self._dispatch()

    do_POST = do_PUT = do_DELETE = do_LIST = do_PATCH = do_HEAD = do_OPTIONS = do_GET

    # -- plumbing -----------------------------------------------------------

    def _send(self, resp, head_only=False):
        self.send_raw(resp.status, [("Date", self.date_time_string()),
                                    ("Cache-Control", "no-store"),
                                    # set even on 204 [vault http/handler.go respondOk]
                                    ("Content-Type", "application/json")]
                      + resp.headers, resp.body(), head_only)

    def _dispatch(self):
        srv = self.server
        t0 = time.monotonic()
        method = self.command.upper()
        try:
            body = self.read_body()
        except (ValueError, OSError):
            self.close_connection = True
            return
        url = urlsplit(self.path)
        path = unquote(url.path)
        query = parse_qsl(url.query, keep_blank_values=True)
        if path.startswith("/_admin/") or path == "/_admin":
            self._send(self._admin(method, path, dict(query), body))
            return
        hdrs = self.headers
        entry = {"seq": 0, "time": fmt_time(now_ns()), "method": method, "path": url.path,
                 "query": dict(query), "status": 0, "namespace": None,
                 "token": None, "fault": None}
        resp = None
        kind = "other"
        try:
            if not path.startswith("/v1/"):
                resp = err(404)
            else:
                vpath = path[4:]
                kind, nspath = srv.vault.classify(hdrs.get("X-Vault-Namespace", ""), vpath)
                entry["namespace"] = nspath
                knobs = srv.knobs
                knobs.delay()
                fault = knobs.pick()
                if not fault and knobs.matches("fail_paths", vpath):
                    fault = knobs.fail_kinds[0]
                listing = method == "LIST" or ("list", "true") in query
                if knobs.matches("hang_paths", vpath):
                    # No answer: the client's timeout ends it.
                    self.close_connection = True
                    for _ in range(3600):
                        time.sleep(1)
                        if knobs.matches("hang_paths", vpath) is False:
                            break
                    return
                if listing and knobs.matches("loop_lists", vpath):
                    resp = ok({"keys": ["loop/"]})
                elif fault:
                    entry["fault"] = fault
                    if fault == "drop":
                        self.drop()
                    else:
                        resp = fault_response(int(fault), vpath)
                elif vpath not in ("sys/health", "sys/seal-status"):
                    wait = knobs.rate_check()
                    if wait is not None:
                        # [vault http/util.go rateLimitQuotaWrapping]
                        resp = err(429, 'request path "%s": rate limit quota exceeded' % vpath)
                        resp.headers.append(("Retry-After", str(wait)))
                if resp is None and not entry["fault"]:
                    ctx = Ctx()
                    resp = srv.vault.handle(method, vpath, query, hdrs,
                                            body.decode("utf-8", "replace"), ctx)
                    entry["token"] = ctx.token_label
                    if ctx.ns is not None:
                        entry["namespace"] = ctx.ns.path
        except Exception:   # never let a bug kill the connection silently
            traceback.print_exc(file=sys.stderr)
            resp = err(500, "internal error")
        # Logged before the answer goes out: a client that reads the log
        # right after its answer must find its request there.
        if resp is not None:
            entry["status"] = resp.status
        entry["ms"] = round((time.monotonic() - t0) * 1000, 3)
        entry["headers"] = redact_headers(hdrs)
        entry["body"] = redact_body(body, kind, method)
        srv.reqlog.add(entry)
        if resp is not None:
            try:
                self._send(resp, head_only=(method == "HEAD"))
            except OSError:
                self.close_connection = True

    def _admin(self, method, path, query, body):
        srv = self.server
        try:
            doc = json.loads(body) if body.strip() else None
        except ValueError:
            return err(400, "body is not JSON")
        try:
            if path == "/_admin/state" and method == "GET":
                return Resp(200, srv.vault.dump(query.get("namespace")))
            if path == "/_admin/seed" and method in ("POST", "PUT"):
                srv.vault.seed(doc if doc is not None else {})
                return Resp(200, {"ok": True})
            if path == "/_admin/reset" and method == "POST":
                srv.vault.reset()
                return Resp(200, {"ok": True})
            if path == "/_admin/config":
                if method in ("POST", "PUT"):
                    srv.knobs.update(doc if doc is not None else {})
                elif method != "GET":
                    return err(405)
                return Resp(200, srv.knobs.snapshot())
            if path == "/_admin/requests":
                doc = srv.reqlog.admin(method, query)
                return Resp(200, doc) if doc is not None else err(405)
        except (ValueError, TypeError) as e:
            return err(400, str(e))
        return err(404, "no admin endpoint %s %s" % (method, path))


def fault_response(status, vpath):
    if status == 429:
        r = err(429, 'request path "%s": rate limit quota exceeded' % vpath)
        r.headers.append(("Retry-After", "1"))
        return r
    if status == 503:
        return err(503, "Vault is sealed")
    if status == 500:
        return err(500, "internal error")
    return err(status, "injected fault")


def main(argv=None):
    ap = argparse.ArgumentParser(
        description="Local stand-in for HashiCorp Vault's HTTP API (KV v1/v2, "
                    "mounts, policies, tokens, namespaces) for tests. Prints "
                    "its base URL as the first stdout line once listening. "
                    "Fixture format and admin API: see the module docstring "
                    "(python3 -c 'import vault; help(vault)' or the file head).")
    base.listen_args(ap)
    base.client_ca_arg(ap)
    ap.add_argument("--root-token", default="root",
                    help="the token that may do everything, in every namespace "
                         "(default: root)")
    ap.add_argument("--seed", metavar="FILE", action="append", default=[],
                    help="JSON fixture to load before listening (repeatable); "
                         "format in the module docstring")
    ap.add_argument("--log", metavar="FILE",
                    help="append one redacted JSON line per /v1 request")
    ap.add_argument("--log-keep", type=int, default=100000, metavar="N",
                    help="requests kept in memory for GET /_admin/requests "
                         "(default 100000)")
    base.fault_args(ap, None, "500", "HTTP statuses (500, 503 = sealed, "
                    "429 = quota with Retry-After, ...) and drop")
    ap.add_argument("--rate-limit", type=float, default=0, metavar="N",
                    help="requests per second allowed (fixed 1 s windows); above "
                         "it 429 with Vault's quota error and Retry-After "
                         "(0 = off)")
    args = ap.parse_args(argv)
    tls = base.listen_tls(ap, args)

    vault = Vault(args.root_token)
    for f in args.seed:
        try:
            with open(f, encoding="utf-8") as fh:
                vault.seed(json.load(fh))
        except (OSError, ValueError) as e:
            print("vault.py: --seed %s: %s" % (f, e), file=sys.stderr)
            return 2
    try:
        knobs = Knobs(args.latency, args.fail_rate, args.fail_seed,
                      args.fail_kinds.split(","), args.rate_limit)
    except ValueError as e:
        ap.error(str(e))
    server = base.Server((args.host, args.port), Handler, tls, backlog=512)
    server.vault = vault
    server.knobs = knobs
    server.reqlog = base.RequestLog(args.log, args.log_keep)
    return base.serve(server, server.reqlog.close, poll_interval=0.2)


if __name__ == "__main__":
    sys.exit(main())
