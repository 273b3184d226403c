#!/usr/bin/python3
"""fidelity_vault.py: drive tests/servers/vault.py with the official Python
client hvac (Debian's python3-hvac), one scenario per call:

    /usr/bin/python3 tests/servers/fidelity_vault.py SCENARIO

VAULT_ADDR and VAULT_TOKEN (a root token) say where the stand-in is. Each
scenario asserts what hvac sees and prints "ok SCENARIO" last; a failed
assertion exits non-zero with the reason. Where hvac and the stand-in
disagree, the stand-in is wrong. Scenarios use their own paths so they can
share one server.
"""

import json
import os
import re
import sys
import time

import hvac
import hvac.exceptions as hx
import requests

ADDR = os.environ["VAULT_ADDR"]
ROOT = os.environ.get("VAULT_TOKEN", "root")
VERIFY = os.environ.get("VAULT_CACERT") or os.environ.get("REQUESTS_CA_BUNDLE") or True
TS = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,9})?Z$")
PERMISSION_DENIED = "1 error occurred:\n\t* permission denied\n\n"


def client(token=ROOT, namespace=None):
    return hvac.Client(url=ADDR, token=token, namespace=namespace, verify=VERIFY)


def raises(exc, fn, *a, **kw):
    try:
        fn(*a, **kw)
    except exc as e:
        return e
    raise AssertionError("%s not raised by %s" % (exc.__name__, getattr(fn, "__name__", fn)))


def eq(got, want, what=""):
    if got != want:
        raise AssertionError("%s: got %r, want %r" % (what, got, want))


def admin(method, path, body=None):
    r = requests.request(method, ADDR + path, json=body, verify=VERIFY, timeout=30)
    r.raise_for_status()
    return r.json()


def raw(method, path, token=ROOT, namespace=None, **kw):
    h = kw.pop("headers", {})
    if token is not None:
        h["X-Vault-Token"] = token
    if namespace:
        h["X-Vault-Namespace"] = namespace
    return requests.request(method, ADDR + path, headers=h, verify=VERIFY, timeout=30, **kw)


def ensure_mount(c, path, version):
    mounts = c.sys.list_mounted_secrets_engines()["data"]
    if path + "/" not in mounts:
        c.sys.enable_secrets_engine("kv", path=path, options={"version": str(version)})


# ---------------------------------------------------------------------------


def s_mounts():
    c = client()
    r = c.sys.list_mounted_secrets_engines()
    data = r["data"]
    for m in ("secret/", "sys/", "cubbyhole/", "identity/"):
        assert m in data, m
    eq(data["secret/"]["type"], "kv", "secret/ type")
    eq(data["secret/"]["options"], {"version": "2"}, "secret/ options")
    # the legacy sys routes repeat data at the top level (HTTPSysInjector)
    eq(r["secret/"]["options"], {"version": "2"}, "top-level secret/")
    c.sys.enable_secrets_engine("kv", path="fid-kv1", options={"version": "1"},
                                description="v1 store")
    c.sys.enable_secrets_engine("kv", path="fid-kv2", options={"version": "2"})
    c.sys.enable_secrets_engine("kv-v2", path="fid/nested/kv")
    c.sys.enable_secrets_engine("kv", path="fid-plain")   # no options: v1
    data = c.sys.list_mounted_secrets_engines()["data"]
    eq(data["fid-kv1/"]["options"], {"version": "1"}, "v1 options")
    eq(data["fid-kv1/"]["description"], "v1 store", "description")
    eq(data["fid-kv2/"]["options"], {"version": "2"}, "v2 options")
    eq(data["fid/nested/kv/"]["options"], {"version": "2"}, "kv-v2 alias")
    eq(data["fid-plain/"]["options"], None, "no options")
    assert re.match(r"^kv_[0-9a-f]{8}$", data["fid-kv2/"]["accessor"])
    e = raises(hx.InvalidRequest, c.sys.enable_secrets_engine, "kv", path="fid-kv2")
    assert "path is already in use at fid-kv2/" in str(e), e
    one = c.adapter.get("/v1/sys/mounts/fid-kv2")
    eq(one["data"]["options"], {"version": "2"}, "GET sys/mounts/PATH")
    eq(one["type"], "kv", "GET sys/mounts/PATH top level")
    ui = c.adapter.get("/v1/sys/internal/ui/mounts")
    assert "fid-kv1/" in ui["data"]["secret"] and "token/" in ui["data"]["auth"], ui
    one = c.adapter.get("/v1/sys/internal/ui/mounts/fid/nested/kv/some/secret")
    eq(one["data"]["path"], "fid/nested/kv/", "ui mount path")
    eq(one["data"]["options"], {"version": "2"}, "ui mount options")
    e = raises(hx.Forbidden, c.adapter.get, "/v1/sys/internal/ui/mounts/no-such-mount/x")
    assert "preflight capability check returned 403" in str(e), e
    c.sys.disable_secrets_engine("fid-plain")
    assert "fid-plain/" not in c.sys.list_mounted_secrets_engines()["data"]


def s_kv2_basic():
    c = client()
    kv = c.secrets.kv.v2
    w = kv.create_or_update_secret("fid/basic", {"user": "u1", "n": 1, "nested": {"a": [1, 2]}})
    eq(w["data"]["version"], 1, "write version")
    assert TS.match(w["data"]["created_time"]), w
    eq(w["data"]["deletion_time"], "", "write deletion_time")
    eq(w["data"]["destroyed"], False, "write destroyed")
    kv.create_or_update_secret("fid/basic", {"user": "u2"}, cas=1)
    e = raises(hx.InvalidRequest, kv.create_or_update_secret, "fid/basic", {"x": 1}, cas=1)
    assert "check-and-set parameter did not match the current version" in str(e), e
    e = raises(hx.InvalidRequest, kv.create_or_update_secret, "fid/basic", {"x": 1}, cas=0)
    kv.create_or_update_secret("fid/basic", {"user": "u3"}, cas=2)
    r = kv.read_secret_version("fid/basic")
    eq(r["data"]["data"], {"user": "u3"}, "latest")
    eq(r["data"]["metadata"]["version"], 3, "latest version")
    r = kv.read_secret_version("fid/basic", version=1)
    eq(r["data"]["data"], {"user": "u1", "n": 1, "nested": {"a": [1, 2]}}, "version 1")
    eq(r["data"]["metadata"]["version"], 1, "version 1 number")
    raises(hx.InvalidPath, kv.read_secret_version, "fid/basic", version=9)
    e = raises(hx.InvalidPath, kv.read_secret_version, "fid/nope")
    eq(e.errors, [], "missing secret errors")
    md = kv.read_secret_metadata("fid/basic")["data"]
    eq(md["current_version"], 3, "current_version")
    eq(md["oldest_version"], 0, "oldest_version")
    eq(sorted(md["versions"]), ["1", "2", "3"], "versions keys")
    eq(md["delete_version_after"], "0s", "delete_version_after")
    eq(md["max_versions"], 0, "max_versions")
    eq(md["cas_required"], False, "cas_required")
    eq(md["custom_metadata"], None, "custom_metadata")
    assert TS.match(md["created_time"]) and TS.match(md["updated_time"]), md
    eq(md["versions"]["1"]["created_time"], md["created_time"], "created_time")
    eq(md["versions"]["3"]["created_time"], md["updated_time"], "updated_time")
    # a v2 write without "data" is refused
    e = raises(hx.InvalidRequest, c.adapter.post, "/v1/secret/data/fid/basic", json={"x": 1})
    assert "no data provided" in str(e), e
    # an old-style path on a v2 mount: 404 with Vault's warning
    r = raw("GET", "/v1/secret/fid/basic")
    eq(r.status_code, 404, "v1 path on v2")
    assert "Invalid path for a versioned K/V secrets engine" in r.json()["warnings"][0], r.text
    # patch (merge) with hvac
    kv.patch("fid/basic", {"extra": "e"})
    eq(kv.read_secret_version("fid/basic")["data"]["data"], {"user": "u3", "extra": "e"}, "patched")


def s_kv2_list():
    c = client()
    kv = c.secrets.kv.v2
    for i, p in enumerate(("app", "app/db", "app/api/key", "zeta"), 1):
        kv.create_or_update_secret("fid-list/" + p, {"a": str(i)})
    eq(kv.list_secrets("fid-list")["data"]["keys"], ["app", "app/", "zeta"], "folder")
    eq(kv.list_secrets("fid-list/app/")["data"]["keys"], ["api/", "db"], "subfolder")
    assert "fid-list/" in kv.list_secrets("")["data"]["keys"]
    raises(hx.InvalidPath, kv.list_secrets, "fid-list/none")
    # destroyed and deleted secrets still list; metadata delete removes them
    kv.destroy_secret_versions("fid-list/zeta", [1])
    assert "zeta" in kv.list_secrets("fid-list")["data"]["keys"]
    kv.delete_metadata_and_all_versions("fid-list/zeta")
    eq(kv.list_secrets("fid-list")["data"]["keys"], ["app", "app/"], "after delete")
    # hvac with strict_http uses GET ?list=true
    s = hvac.Client(url=ADDR, token=ROOT, verify=VERIFY, strict_http=True)
    eq(s.secrets.kv.v2.list_secrets("fid-list/app")["data"]["keys"], ["api/", "db"], "?list=true")


def s_kv2_delete():
    c = client()
    kv = c.secrets.kv.v2
    kv.create_or_update_secret("fid/del", {"v": "1"})
    kv.create_or_update_secret("fid/del", {"v": "2"})
    kv.delete_latest_version_of_secret("fid/del")
    e = raises(hx.InvalidPath, kv.read_secret_version, "fid/del")
    r = raw("GET", "/v1/secret/data/fid/del")
    eq(r.status_code, 404, "deleted status")
    body = r.json()
    eq(body["data"]["data"], None, "deleted data")
    eq(body["data"]["metadata"]["version"], 2, "deleted version")
    assert TS.match(body["data"]["metadata"]["deletion_time"]), body
    assert "errors" not in body, body
    eq(kv.read_secret_version("fid/del", version=1)["data"]["data"], {"v": "1"}, "v1 live")
    kv.undelete_secret_versions("fid/del", [2])
    eq(kv.read_secret_version("fid/del")["data"]["data"], {"v": "2"}, "undeleted")
    kv.delete_secret_versions("fid/del", [1])
    raises(hx.InvalidPath, kv.read_secret_version, "fid/del", version=1)
    kv.destroy_secret_versions("fid/del", [2])
    r = raw("GET", "/v1/secret/data/fid/del")
    eq(r.status_code, 404, "destroyed status")
    eq(r.json()["data"]["metadata"]["destroyed"], True, "destroyed flag")
    md = kv.read_secret_metadata("fid/del")["data"]
    eq(md["versions"]["2"]["destroyed"], True, "metadata destroyed")
    assert md["versions"]["1"]["deletion_time"] != "", md
    kv.undelete_secret_versions("fid/del", [2])     # destroyed: stays gone
    raises(hx.InvalidPath, kv.read_secret_version, "fid/del", version=2)
    e = raises(hx.InvalidRequest, c.adapter.post, "/v1/secret/delete/fid/del", json={"versions": []})
    assert "No version number provided" in str(e), e
    kv.delete_metadata_and_all_versions("fid/del")
    raises(hx.InvalidPath, kv.read_secret_metadata, "fid/del")
    raises(hx.InvalidPath, kv.read_secret_version, "fid/del", version=1)


def s_kv2_metadata():
    c = client()
    kv = c.secrets.kv.v2
    kv.create_or_update_secret("fid/meta", {"k": "v"})
    kv.update_metadata("fid/meta", max_versions=3, delete_version_after="1h30m")
    c.adapter.post("/v1/secret/metadata/fid/meta",
                   json={"custom_metadata": {"owner": "team-a", "tier": 1}})
    md = kv.read_secret_metadata("fid/meta")["data"]
    eq(md["max_versions"], 3, "max_versions")
    eq(md["delete_version_after"], "1h30m0s", "delete_version_after")
    eq(md["custom_metadata"], {"owner": "team-a", "tier": "1"}, "custom_metadata")
    r = kv.read_secret_version("fid/meta")
    eq(r["data"]["metadata"]["custom_metadata"], {"owner": "team-a", "tier": "1"}, "read custom")
    # new versions get a future deletion_time and stay readable
    w = kv.create_or_update_secret("fid/meta", {"k": "v2"})
    assert TS.match(w["data"]["deletion_time"]), w
    eq(kv.read_secret_version("fid/meta")["data"]["data"], {"k": "v2"}, "future deletion readable")
    for i in range(3, 6):
        kv.create_or_update_secret("fid/meta", {"k": "v%d" % i})
    md = kv.read_secret_metadata("fid/meta")["data"]
    eq(sorted(md["versions"], key=int), ["3", "4", "5"], "max_versions prunes")
    eq(md["oldest_version"], 3, "oldest after pruning")
    raises(hx.InvalidPath, kv.read_secret_version, "fid/meta", version=1)
    too_many = {"k%d" % i: "v" for i in range(65)}
    e = raises(hx.InvalidRequest, c.adapter.post, "/v1/secret/metadata/fid/meta",
               json={"custom_metadata": too_many})
    assert "custom_metadata validation failed" in str(e), e
    # metadata without versions: listed, readable, data read is a plain 404
    c.adapter.post("/v1/secret/metadata/fid/meta-only", json={"max_versions": 2})
    eq(kv.read_secret_metadata("fid/meta-only")["data"]["current_version"], 0, "meta only")
    assert "meta-only" in kv.list_secrets("fid")["data"]["keys"]
    raises(hx.InvalidPath, kv.read_secret_version, "fid/meta-only")
    # cas_required on the key
    kv.update_metadata("fid/meta", cas_required=True)
    e = raises(hx.InvalidRequest, kv.create_or_update_secret, "fid/meta", {"k": "x"})
    assert "check-and-set parameter required for this call" in str(e), e


def s_kv1():
    c = client()
    ensure_mount(c, "fid-v1", 1)
    kv = c.secrets.kv.v1
    kv.create_or_update_secret("app/db", {"password": "p", "n": 2}, mount_point="fid-v1")
    kv.create_or_update_secret("app", {"x": "y"}, mount_point="fid-v1")
    kv.create_or_update_secret("ttl", {"x": "y", "ttl": "1h"}, mount_point="fid-v1")
    r = kv.read_secret("app/db", mount_point="fid-v1")
    eq(r["data"], {"password": "p", "n": 2}, "v1 read")
    eq(r["lease_duration"], 2764800, "default lease")
    eq(kv.read_secret("ttl", mount_point="fid-v1")["lease_duration"], 3600, "ttl lease")
    eq(kv.list_secrets("", mount_point="fid-v1")["data"]["keys"], ["app", "app/", "ttl"], "v1 list")
    eq(kv.list_secrets("app", mount_point="fid-v1")["data"]["keys"], ["db"], "v1 sublist")
    raises(hx.InvalidPath, kv.list_secrets, "none", mount_point="fid-v1")
    kv.delete_secret("app/db", mount_point="fid-v1")
    raises(hx.InvalidPath, kv.read_secret, "app/db", mount_point="fid-v1")
    raises(hx.InvalidPath, kv.list_secrets, "app", mount_point="fid-v1")
    e = raises(hx.InvalidRequest, c.adapter.post, "/v1/fid-v1/empty", json={})
    assert "missing data fields" in str(e), e


READER = '''
# app readers: everything under secret/fid-app, but not its private part
path "secret/data/fid-app/*" {
  capabilities = ["read"]
}
path "secret/metadata/fid-app/*" {
  capabilities = ["list", "read"]
}
path "secret/metadata/fid-app" {
  capabilities = ["list"]
}
path "secret/data/fid-app/private/*" {
  capabilities = ["deny"]
}
path "secret/data/+/shared" {
  capabilities = ["read", "create", "update"]
}
'''


def s_policies():
    c = client()
    kv = c.secrets.kv.v2
    for i, p in enumerate(("fid-app/one", "fid-app/sub/two",
                           "fid-app/private/x", "fid-other/secret",
                           "anything/shared"), 1):
        kv.create_or_update_secret(p, {"k": str(i)})
    c.sys.create_or_update_policy("fid-reader", READER)
    assert "fid-reader" in c.sys.list_policies()["data"]["policies"]
    eq(c.sys.read_policy("fid-reader")["data"]["rules"], READER, "read policy")
    # the newer sys/policies/acl API sees the same store
    eq(c.adapter.get("/v1/sys/policies/acl/fid-reader")["data"]["policy"], READER, "acl read")
    c.adapter.put("/v1/sys/policies/acl/fid-lister",
                  json={"policy": 'path "secret/metadata/*" { capabilities = ["list"] }'})
    assert "fid-lister" in c.adapter.list("/v1/sys/policies/acl")["data"]["keys"]
    e = raises(hx.InvalidRequest, c.sys.create_or_update_policy, "fid-bad", 'path "x" { capabilities = ["fly"] }')
    assert "failed to parse policy" in str(e), e
    tok = c.auth.token.create(policies=["fid-reader"], ttl="1h")["auth"]
    eq(tok["policies"], ["default", "fid-reader"], "token policies")
    eq(tok["lease_duration"], 3600, "token ttl")
    assert tok["client_token"].startswith("hvs."), tok
    lim = client(tok["client_token"])
    lkv = lim.secrets.kv.v2
    eq(lkv.read_secret_version("fid-app/one")["data"]["data"], {"k": "1"}, "allowed read")
    eq(lkv.read_secret_version("fid-app/sub/two")["data"]["data"], {"k": "2"}, "allowed deep read")
    eq(lkv.list_secrets("fid-app")["data"]["keys"], ["one", "private/", "sub/"], "allowed list")
    eq(lkv.list_secrets("fid-app/sub")["data"]["keys"], ["two"], "allowed sublist")
    e = raises(hx.Forbidden, lkv.read_secret_version, "fid-app/private/x")
    eq(e.errors, [PERMISSION_DENIED], "deny error text")
    raises(hx.Forbidden, lkv.read_secret_version, "fid-other/secret")
    raises(hx.Forbidden, lkv.list_secrets, "fid-other")
    raises(hx.Forbidden, lkv.list_secrets, "")
    raises(hx.Forbidden, lkv.create_or_update_secret, "fid-app/one", {"k": "x"})
    raises(hx.Forbidden, lkv.read_secret_metadata, "fid-other/secret")
    raises(hx.Forbidden, lim.sys.list_mounted_secrets_engines)
    raises(hx.Forbidden, lim.sys.list_policies)
    raises(hx.Forbidden, lim.auth.token.create, policies=["root"])
    # + matches exactly one segment; create on a new key, update on an old one
    eq(lkv.read_secret_version("anything/shared")["data"]["data"], {"k": "5"}, "+ read")
    lkv.create_or_update_secret("newone/shared", {"k": "6"})
    raises(hx.Forbidden, lkv.read_secret_version, "a/b/shared")
    # a token that may only create cannot overwrite
    c.sys.create_or_update_policy("fid-create-only",
                                  'path "secret/data/fid-co/*" { capabilities = ["create"] }')
    co = client(c.auth.token.create(policies=["fid-create-only"])["auth"]["client_token"])
    co.secrets.kv.v2.create_or_update_secret("fid-co/a", {"k": "1"})
    raises(hx.Forbidden, co.secrets.kv.v2.create_or_update_secret, "fid-co/a", {"k": "2"})
    # lookup-self
    me = lim.auth.token.lookup_self()["data"]
    eq(me["policies"], ["default", "fid-reader"], "lookup policies")
    eq(me["id"], tok["client_token"], "lookup id")
    eq(me["accessor"], tok["accessor"], "lookup accessor")
    assert 3500 <= me["ttl"] <= 3600, me
    assert lim.is_authenticated()
    # capabilities-self
    caps = lim.sys.get_capabilities(["secret/data/fid-app/one", "secret/data/fid-app/private/x",
                                     "secret/metadata/fid-app/", "secret/metadata/fid-app/sub",
                                     "secret/data/other",
                                     "secret/data/x/shared"])
    eq(caps["secret/data/fid-app/one"], ["read"], "caps read")
    eq(caps["data"]["secret/data/fid-app/private/x"], ["deny"], "caps deny")
    # the exact rule (LIST fallback without the trailing slash) beats the glob
    eq(caps["secret/metadata/fid-app/"], ["list"], "caps exact list")
    eq(caps["secret/metadata/fid-app/sub"], ["list", "read"], "caps glob")
    eq(caps["secret/data/other"], ["deny"], "caps none")
    eq(caps["secret/data/x/shared"], ["create", "read", "update"], "caps +")
    one = lim.sys.get_capabilities(["secret/data/fid-app/one"])
    eq(one["capabilities"], ["read"], "single path compat field")
    eq(c.sys.get_capabilities(["anything"])["anything"], ["root"], "root caps")
    # mount discovery for a limited token
    ui = lim.adapter.get("/v1/sys/internal/ui/mounts")["data"]
    assert "secret/" in ui["secret"], ui
    assert "fid-v1/" not in ui["secret"], ui
    eq(lim.adapter.get("/v1/sys/internal/ui/mounts/secret/fid-app/one")["data"]["path"], "secret/", "ui path")
    raises(hx.Forbidden, lim.adapter.get, "/v1/sys/internal/ui/mounts/fid-kv1/x")
    # Authorization: Bearer works as well as X-Vault-Token
    r = raw("GET", "/v1/secret/data/fid-app/one", token=None,
            headers={"Authorization": "Bearer " + tok["client_token"]})
    eq(r.status_code, 200, "bearer")
    # a child token must not exceed its parent's policies
    lister = client(c.auth.token.create(policies=["fid-reader"])["auth"]["client_token"])
    raises(hx.Forbidden, lister.auth.token.create, policies=["fid-reader"])
    # deleting a policy takes effect at once
    c.sys.delete_policy("fid-reader")
    raises(hx.Forbidden, lkv.read_secret_version, "fid-app/one")


def s_tokens():
    c = client()
    me = c.auth.token.lookup_self()["data"]
    eq(me["policies"], ["root"], "root policies")
    eq(me["display_name"], "root", "root display name")
    eq(me["expire_time"], None, "root expire")
    eq(me["ttl"], 0, "root ttl")
    bad = client("not-a-token")
    assert not bad.is_authenticated()
    e = raises(hx.Forbidden, bad.secrets.kv.v2.read_secret_version, "x")
    eq(e.errors, ["2 errors occurred:\n\t* permission denied\n\t* invalid token\n\n"], "invalid token text")
    none = hvac.Client(url=ADDR, verify=VERIFY)
    none.token = None
    e = raises(hx.Forbidden, none.secrets.kv.v2.read_secret_version, "x")
    eq(e.errors, [PERMISSION_DENIED], "no token text")
    t = c.auth.token.create(policies=["default"], ttl="2s")["auth"]["client_token"]
    short = client(t)
    assert short.is_authenticated()
    time.sleep(2.2)
    assert not short.is_authenticated(), "expired token still valid"
    # a token without policies inherits its parent's: root makes a root token
    t = c.auth.token.create()["auth"]
    eq(t["policies"], ["root"], "inherited root")
    # revoke-self
    t = c.auth.token.create(policies=["default"])["auth"]["client_token"]
    client(t).auth.token.revoke_self()
    assert not client(t).is_authenticated()


def s_namespaces():
    c = client()
    r = c.sys.create_namespace("fid-team")
    eq(r["data"]["path"], "fid-team/", "namespace path")
    assert "fid-team/" in c.sys.list_namespaces()["data"]["keys"]
    n = client(namespace="fid-team")
    n.sys.enable_secrets_engine("kv", path="kv", options={"version": "2"})
    mounts = n.sys.list_mounted_secrets_engines()["data"]
    assert "kv/" in mounts and "secret/" not in mounts, mounts
    n.secrets.kv.v2.create_or_update_secret("app/db", {"p": "ns"}, mount_point="kv")
    eq(n.secrets.kv.v2.read_secret_version("app/db", mount_point="kv")["data"]["data"], {"p": "ns"}, "ns read")
    # the path prefix is the same as the header
    eq(c.adapter.get("/v1/fid-team/kv/data/app/db")["data"]["data"], {"p": "ns"}, "prefix read")
    # the root namespace has no kv/ mount
    e = raises(hx.InvalidPath, c.secrets.kv.v2.read_secret_version, "app/db", mount_point="kv")
    assert "no handler for route" in str(e), e
    # nested namespace: header + path prefix
    n.sys.create_namespace("child")
    nc = client(namespace="fid-team/child")
    nc.sys.enable_secrets_engine("kv-v2", path="deep")
    nc.secrets.kv.v2.create_or_update_secret("s", {"d": 1}, mount_point="deep")
    eq(n.adapter.get("/v1/child/deep/data/s")["data"]["data"], {"d": 1}, "header+prefix")
    # a token of the namespace, with a policy of the namespace
    n.sys.create_or_update_policy("ns-read", 'path "kv/data/*" { capabilities = ["read"] }\n'
                                             'path "kv/metadata/*" { capabilities = ["list"] }')
    t = n.auth.token.create(policies=["ns-read"])["auth"]["client_token"]
    nt = client(t, namespace="fid-team")
    eq(nt.secrets.kv.v2.read_secret_version("app/db", mount_point="kv")["data"]["data"], {"p": "ns"}, "ns token")
    eq(nt.secrets.kv.v2.list_secrets("", mount_point="kv")["data"]["keys"], ["app/"], "ns token list")
    eq(nt.auth.token.lookup_self()["data"]["namespace_path"], "fid-team/", "token namespace")
    raises(hx.Forbidden, client(t).secrets.kv.v2.read_secret_version, "fid-app/one")
    # the policy is unknown in the root namespace
    raises(hx.InvalidPath, c.sys.read_policy, "ns-read")
    ui = nt.adapter.get("/v1/sys/internal/ui/mounts")["data"]["secret"]
    assert "kv/" in ui, ui
    one = c.adapter.get("/v1/sys/internal/ui/mounts/fid-team/kv/app/db")["data"]
    eq(one["path"], "fid-team/kv/", "ui path with namespace")
    # nested listing: each namespace lists its own children, relative
    eq(n.sys.list_namespaces()["data"]["keys"], ["child/"], "nested list")
    assert "child/" not in c.sys.list_namespaces()["data"]["keys"]
    raises(hx.InvalidPath, nc.sys.list_namespaces)          # none below: 404
    # a token of the parent reads the child, by header and by path prefix
    n.sys.create_or_update_policy("kid-read", 'path "child/deep/data/*" { capabilities = ["read"] }')
    pt = n.auth.token.create(policies=["kid-read"])["auth"]["client_token"]
    eq(client(pt, namespace="fid-team/child").secrets.kv.v2.read_secret_version(
        "s", mount_point="deep")["data"]["data"], {"d": 1}, "parent token in child")
    eq(client(pt, namespace="fid-team").adapter.get("/v1/child/deep/data/s")["data"]["data"],
       {"d": 1}, "parent token, path prefix")
    # a token of the child does not read the parent; the root token reads all
    nc.sys.create_or_update_policy("all", 'path "*" { capabilities = ["read", "list"] }')
    ct = nc.auth.token.create(policies=["all"])["auth"]["client_token"]
    raises(hx.Forbidden, client(ct, namespace="fid-team").secrets.kv.v2.read_secret_version,
           "app/db", mount_point="kv")
    eq(client(namespace="fid-team/child").secrets.kv.v2.read_secret_version(
        "s", mount_point="deep")["data"]["data"], {"d": 1}, "root token in child")
    # policies are per namespace: the child's is unknown in the parent
    raises(hx.InvalidPath, n.sys.read_policy, "all")


def s_azure_roles():
    """What kv-grant --from-policies reads: sys/policies/acl (LIST and GET,
    per namespace) and the roles of azure auth methods found in sys/auth."""
    sp = "6f1c2a3b-4d5e-4f60-8a7b-9c0d1e2f3a4b"
    grp = "0e9d8c7b-6a59-4483-9271-605f4e3d2c1b"
    text = 'path "secret/data/fid-az/*" { capabilities = ["read"] }'
    c = client()
    c.adapter.put("/v1/sys/policies/acl/fid-az-read", json={"policy": text})
    keys = c.adapter.list("/v1/sys/policies/acl")["data"]["keys"]
    assert {"fid-az-read", "default", "root"} <= set(keys), keys
    eq(raw("GET", "/v1/sys/policies/acl?list=true").json()["data"]["keys"], keys,
       "GET ?list=true")
    got = c.adapter.get("/v1/sys/policies/acl/fid-az-read")["data"]
    eq(got, {"name": "fid-az-read", "policy": text}, "acl read")
    raises(hx.InvalidPath, c.adapter.get, "/v1/sys/policies/acl/fid-az-none")
    # policies of a namespace are its own
    c.sys.create_namespace("fid-az")
    n = client(namespace="fid-az")
    n.adapter.put("/v1/sys/policies/acl/fid-az-ns", json={"policy": text})
    assert "fid-az-ns" in n.adapter.list("/v1/sys/policies/acl")["data"]["keys"]
    assert "fid-az-ns" not in c.adapter.list("/v1/sys/policies/acl")["data"]["keys"]
    assert "root" not in n.adapter.list("/v1/sys/policies/acl")["data"]["keys"]
    raises(hx.InvalidPath, c.adapter.get, "/v1/sys/policies/acl/fid-az-ns")
    eq(raw("GET", "/v1/sys/policies/acl/fid-az-ns", namespace="fid-az").json()["data"]["name"],
       "fid-az-ns", "namespace header")

    # an azure auth method and its roles
    c.sys.enable_auth_method("azure", path="fid-azure")
    methods = c.sys.list_auth_methods()["data"]
    eq(methods["fid-azure/"]["type"], "azure", "auth type")
    assert methods["fid-azure/"]["accessor"].startswith("auth_azure_"), methods
    e = raises(hx.InvalidRequest, c.sys.enable_auth_method, "azure", path="fid-azure")
    assert "path is already in use" in str(e), e
    raises(hx.InvalidPath, c.auth.azure.list_roles, mount_point="fid-azure")
    c.auth.azure.create_role("Web-App", policies=["fid-az-read"],
                             bound_service_principal_ids=[sp], mount_point="fid-azure")
    c.adapter.post("/v1/auth/fid-azure/role/grp",
                   json={"token_policies": "a, b", "bound_group_ids": grp})
    eq(c.auth.azure.list_roles(mount_point="fid-azure")["keys"], ["grp", "web-app"], "roles")
    r = c.auth.azure.read_role("web-app", mount_point="fid-azure")
    eq(r["bound_service_principal_ids"], [sp], "sp ids")
    eq(r["bound_group_ids"], None, "unset list")
    eq(r["token_policies"], ["fid-az-read"], "token_policies")
    eq(r["policies"], ["fid-az-read"], "policies")
    eq(r["token_no_default_policy"], False, "no_default")
    g = c.auth.azure.read_role("GRP", mount_point="fid-azure")
    eq(g["bound_group_ids"], [grp], "group ids")
    eq(g["token_policies"], ["a", "b"], "comma list")
    assert "policies" not in g, g
    e = raises(hx.InvalidRequest, c.auth.azure.create_role, "nobind",
               policies=["x"], mount_point="fid-azure")
    assert "at least one bound constraint" in str(e), e
    # the roles are behind the ACL like any path
    t = c.auth.token.create(policies=["fid-az-read"])["auth"]["client_token"]
    raises(hx.Forbidden, client(t).auth.azure.list_roles, mount_point="fid-azure")
    # a namespace's auth methods are its own
    n.sys.enable_auth_method("azure")
    n.auth.azure.create_role("ns-role", policies=["fid-az-ns"], bound_group_ids=[grp])
    eq(n.auth.azure.list_roles()["keys"], ["ns-role"], "namespace roles")
    assert "azure/" not in c.sys.list_auth_methods()["data"]
    c.auth.azure.delete_role("grp", mount_point="fid-azure")
    raises(hx.InvalidPath, c.auth.azure.read_role, "grp", mount_point="fid-azure")
    c.sys.disable_auth_method("fid-azure")
    assert "fid-azure/" not in c.sys.list_auth_methods()["data"]


def s_ratelimit():
    admin("POST", "/_admin/config", {"rate_limit": 5})
    try:
        c = client()
        hits = 0
        for _ in range(20):
            try:
                c.secrets.kv.v2.list_secrets("")
            except hx.RateLimitExceeded as e:
                hits += 1
                assert 'rate limit quota exceeded' in str(e), e
        assert hits >= 10, hits
        r = raw("GET", "/v1/secret/data/fid/rl")
        if r.status_code != 429:
            r = raw("GET", "/v1/secret/data/fid/rl")
        eq(r.status_code, 429, "status")
        eq(r.json(), {"errors": ['request path "secret/data/fid/rl": rate limit quota exceeded']}, "body")
        assert int(r.headers["Retry-After"]) >= 1, r.headers
    finally:
        admin("POST", "/_admin/config", {"rate_limit": 0})
    time.sleep(1.05)
    client().secrets.kv.v2.list_secrets("")


def s_faults():
    c = client()
    try:
        for kind, exc in (("500", hx.InternalServerError), ("503", hx.VaultDown),
                          ("429", hx.RateLimitExceeded),
                          ("drop", requests.exceptions.ConnectionError)):
            admin("POST", "/_admin/config", {"fail_rate": 1, "fail_kinds": [kind]})
            raises(exc, c.secrets.kv.v2.list_secrets, "")
        admin("POST", "/_admin/config", {"fail_rate": 1, "fail_kinds": ["503"]})
        e = raises(hx.VaultDown, c.sys.list_mounted_secrets_engines)
        eq(e.errors, ["Vault is sealed"], "503 text")
        # seeded: the same sequence twice
        seqs = []
        for _ in range(2):
            admin("POST", "/_admin/config", {"fail_rate": 0.5, "fail_seed": 7,
                                             "fail_kinds": ["500", "503"]})
            seq = []
            for _ in range(20):
                r = raw("GET", "/v1/sys/mounts")
                seq.append(r.status_code)
            seqs.append(seq)
        eq(seqs[0], seqs[1], "seeded faults repeat")
        assert 200 in seqs[0] and set(seqs[0]) - {200}, seqs[0]
        # admin endpoints are never failed
        admin("GET", "/_admin/config")
    finally:
        admin("POST", "/_admin/config", {"fail_rate": 0, "fail_kinds": ["500"]})
    c.secrets.kv.v2.list_secrets("")
    admin("POST", "/_admin/config", {"latency_ms": 200})
    try:
        t0 = time.monotonic()
        c.secrets.kv.v2.list_secrets("")
        assert time.monotonic() - t0 >= 0.2
        t0 = time.monotonic()
        admin("GET", "/_admin/config")
        assert time.monotonic() - t0 < 0.2
    finally:
        admin("POST", "/_admin/config", {"latency_ms": 0})


def s_admin():
    c = client()
    admin("POST", "/_admin/seed", {
        "mounts": {"fid-seeded/": 2, "fid-seeded1/": {"type": "kv", "version": "1"}},
        "secrets": {
            "fid-seeded/": {
                "a/b": {"versions": [{"data": {"v": 1}}, {"data": {"v": 2}, "deleted": True},
                                     {"data": {"v": 3}, "destroyed": True}],
                        "custom_metadata": {"o": "x"}, "delete_version_after": "2h"},
                "c": {"data": {"only": "one"}}},
            "fid-seeded1/x/y": {"data": {"k": "v"}}},
        "policies": {"fid-seed-pol": 'path "fid-seeded/data/*" { capabilities = ["read"] }'},
        "tokens": {"fid-seed-token": {"policies": ["fid-seed-pol"]}}})
    kv = c.secrets.kv.v2
    raises(hx.InvalidPath, kv.read_secret_version, "a/b", mount_point="fid-seeded")
    eq(kv.read_secret_version("a/b", version=1, mount_point="fid-seeded")["data"]["data"], {"v": 1}, "seeded v1")
    raises(hx.InvalidPath, kv.read_secret_version, "a/b", version=2, mount_point="fid-seeded")
    md = kv.read_secret_metadata("a/b", mount_point="fid-seeded")["data"]
    eq(md["versions"]["3"]["destroyed"], True, "seeded destroyed")
    eq(md["delete_version_after"], "2h0m0s", "seeded dva")
    eq(md["custom_metadata"], {"o": "x"}, "seeded custom")
    eq(c.secrets.kv.v1.read_secret("x/y", mount_point="fid-seeded1")["data"], {"k": "v"}, "seeded kv1")
    t = client("fid-seed-token")
    eq(t.secrets.kv.v2.read_secret_version("c", mount_point="fid-seeded")["data"]["data"], {"only": "one"}, "seeded token")
    st = admin("GET", "/_admin/state")
    sec = st["secrets"]["fid-seeded/"]["a/b"]
    eq([v["data"] for v in sec["versions"]], [{"v": 1}, {"v": 2}, None], "state values")
    eq(st["mounts"]["fid-seeded1/"]["version"], "1", "state mount")
    # the log redacts tokens and secret values
    kv.create_or_update_secret("fid/logged", {"password": "hunter2"})
    reqs = admin("GET", "/_admin/requests")["requests"]
    last = [r for r in reqs if r["path"] == "/v1/secret/data/fid/logged"][-1]
    eq(last["method"], "POST", "log method")
    eq(last["status"], 200, "log status")
    eq(last["body"]["data"], {"password": "[redacted]"}, "log body")
    eq(last["headers"]["X-Vault-Token"], "[redacted]", "log token")
    eq(last["token"], "root", "log token label")
    assert "hunter2" not in json.dumps(reqs) and "fid-seed-token" not in json.dumps(reqs)


def s_renew():
    """auth/token/renew-self: a renewable token's TTL starts again, within
    its explicit max TTL; a token that is not renewable gets a 400."""
    admin("POST", "/_admin/seed", {"tokens": {
        "fid-renew": {"policies": ["default"], "ttl": "4s", "renewable": True,
                      "explicit_max_ttl": "1h"},
        "fid-norenew": {"policies": ["default"], "ttl": "1h", "renewable": False}}})
    c = client("fid-renew")
    eq(c.auth.token.lookup_self()["data"]["renewable"], True, "renewable")
    time.sleep(1.2)
    before = c.auth.token.lookup_self()["data"]["ttl"]
    assert before <= 3, before
    r = c.auth.token.renew_self()
    eq(r["auth"]["lease_duration"], 4, "lease_duration")
    eq(r["auth"]["renewable"], True, "auth.renewable")
    after = c.auth.token.lookup_self()["data"]["ttl"]
    assert after >= 3, after
    raises(hx.InvalidRequest, client("fid-norenew").auth.token.renew_self)


def s_mtls():
    """--client-ca: a client certificate of that CA gets in; none does not."""
    addr = os.environ["MTLS_ADDR"]
    pair = (os.environ["CLIENT_CERT"], os.environ["CLIENT_KEY"])
    c = hvac.Client(url=addr, token=ROOT, verify=VERIFY, cert=pair)
    eq(c.auth.token.lookup_self()["data"]["id"], ROOT, "lookup-self over mTLS")
    bare = hvac.Client(url=addr, token=ROOT, verify=VERIFY)
    raises(requests.exceptions.ConnectionError, bare.auth.token.lookup_self)


SCENARIOS = {k[2:]: v for k, v in globals().items() if k.startswith("s_")}


def main():
    if len(sys.argv) != 2 or sys.argv[1] not in SCENARIOS:
        print("usage: fidelity_vault.py {%s}" % "|".join(SCENARIOS), file=sys.stderr)
        return 2
    SCENARIOS[sys.argv[1]]()
    print("ok " + sys.argv[1])
    return 0


if __name__ == "__main__":
    sys.exit(main())
