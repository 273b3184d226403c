#!/usr/bin/python3
"""fidelity_keyvault.py: drive the Key Vault stand-in (keyvault.py) with the
official Azure SDK for Python as Debian ships it (python3-azure:
azure-keyvault-secrets 4.7.0b1, API 7.3; azure-identity 1.13.0b2 with MSAL
1.21; azure-mgmt-authorization 3.0.0; azure-mgmt-keyvault), to show that the
stand-in answers the way the real services do for real clients.

Usage: fidelity_keyvault.py CHECK     (run with /usr/bin/python3)
Environment (set by tests/helpers.bash start_keyvault and the bats file):
  KV_URL, AZURE_TENANT_ID, AZURE_CLIENT_ID, AZURE_CLIENT_SECRET,
  AZURE_AUTHORITY_HOST, REQUESTS_CA_BUNDLE; CLIENT_CERT_PEM (cert + key),
  FEDERATED_TOKEN, IDENTITY_HEADER, KV_SUBSCRIPTION, KV_RG, KV_VAULT_NAME.
Prints "ok CHECK: details" and exits 0, or fails with a traceback.
"""

import os
import sys
import tempfile
import time
import uuid

import requests
from azure.core.exceptions import (ClientAuthenticationError, HttpResponseError,
                                   ResourceExistsError, ResourceNotFoundError)
from azure.identity import (CertificateCredential, ClientAssertionCredential,
                            ClientSecretCredential, ManagedIdentityCredential)
from azure.keyvault.secrets import SecretClient

KV = os.environ["KV_URL"]
TENANT = os.environ["AZURE_TENANT_ID"]
CLIENT = os.environ["AZURE_CLIENT_ID"]
SECRET = os.environ["AZURE_CLIENT_SECRET"]
CA = os.environ["REQUESTS_CA_BUNDLE"]
RUN = uuid.uuid4().hex[:6]


def admin(method, path, body=None):
    r = requests.request(method, KV + path, json=body, verify=CA, timeout=30)
    r.raise_for_status()
    return r.json()


def requests_since(seq):
    return admin("GET", "/_admin/requests?since=%d" % seq)["requests"]


def last_seq():
    reqs = admin("GET", "/_admin/requests")["requests"]
    return reqs[-1]["seq"] if reqs else 0


def check(cond, what):
    if not cond:
        raise AssertionError(what)


def secret_cred():
    # azure-identity passes instance_discovery to MSAL; without it MSAL would
    # ask login.microsoftonline.com to validate a custom authority.
    return ClientSecretCredential(TENANT, CLIENT, SECRET, instance_discovery=False)


def kv_client(cred, **kw):
    # The SDK checks that the challenge resource's host is a parent domain of
    # the vault host; 127.0.0.1:PORT is not, so the check is turned off (the
    # constructor argument exists in this version).
    return SecretClient(KV, cred, verify_challenge_resource=False, **kw)


def name(tag):
    return "fid-%s-%s" % (tag, RUN)


def http_code(e):
    err = getattr(e, "error", None)
    code = getattr(err, "code", None)
    inner = getattr(err, "innererror", None) or {}
    inner = inner.get("code") if isinstance(inner, dict) else None
    return e.status_code, code, inner


def refused(cred, code, what):
    """cred gets no token: Entra ID's error names code."""
    try:
        cred.get_token("https://127.0.0.1/.default")
        raise AssertionError(what)
    except ClientAuthenticationError as e:
        check(code in str(e), "%s in %s" % (code, e))


def http_refused(what, want, fn, *args):
    """fn(*args) fails with http_code want; the error."""
    try:
        fn(*args)
    except HttpResponseError as e:
        check(http_code(e) == want, "%s: %r" % (what, http_code(e)))
        return e
    raise AssertionError(what)


def token_posts(seq):
    """The token requests (POST) since seq."""
    return [r for r in requests_since(seq) if r["kind"] == "token" and
            r["method"] == "POST"]


def roundtrip(cred, tag):
    c = kv_client(cred)
    n = name(tag)
    s = c.set_secret(n, "value-" + tag)
    g = c.get_secret(n)
    check(g.value == "value-" + tag, "value roundtrip")
    check(g.properties.version == s.properties.version, "same version")
    return c, n


# ---------------------------------------------------------------- checks

def chk_secret_credential():
    seq = last_seq()
    roundtrip(secret_cred(), "sec")
    reqs = requests_since(seq)
    paths = [(r["method"], r["path"], r["status"]) for r in reqs]
    check(("GET", "/%s/v2.0/.well-known/openid-configuration" % TENANT, 200)
          in paths, "MSAL fetched the OpenID configuration: %r" % paths)
    tok = [r for r in reqs if r["path"].endswith("/oauth2/v2.0/token")]
    check(tok and tok[0]["status"] == 200, "token request: %r" % tok)
    check(tok[0]["body"]["client_secret"] == "<redacted>", "secret redacted")
    check(tok[0]["body"]["scope"] == "https://127.0.0.1/.default",
          "scope from the challenge: %r" % tok[0]["body"])
    # the first data-plane request is the unauthenticated challenge probe
    data = [r for r in reqs if r["kind"] == "data"]
    check(data[0]["status"] == 401 and "authorization" not in data[0]["headers"],
          "challenge first: %r" % data[0])
    # a wrong secret gives the real AADSTS error through MSAL
    bad = ClientSecretCredential(TENANT, CLIENT, "wrong", instance_discovery=False)
    refused(bad, "AADSTS7000215", "wrong secret accepted")
    print("ok secret-credential: %d requests" % len(reqs))


def chk_certificate():
    seq = last_seq()
    cred = CertificateCredential(TENANT, CLIENT, os.environ["CLIENT_CERT_PEM"],
                                 instance_discovery=False)
    roundtrip(cred, "cert")
    tok = token_posts(seq)
    check(tok and tok[-1]["status"] == 200, "token: %r" % tok)
    b = tok[-1]["body"]
    check(b["client_assertion_type"] ==
          "urn:ietf:params:oauth:client-assertion-type:jwt-bearer", repr(b))
    check(b["client_assertion"] == "<redacted>", "assertion redacted")
    # a certificate that is not registered is refused
    d = tempfile.mkdtemp()
    pem = os.path.join(d, "other.pem")
    os.system("openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=x "
              "-keyout %s -out %s.crt >/dev/null 2>&1 && cat %s.crt >> %s"
              % (pem, pem, pem, pem))
    other = CertificateCredential(TENANT, CLIENT, pem, instance_discovery=False)
    refused(other, "AADSTS700027", "unregistered certificate accepted")
    print("ok certificate")


def chk_assertion():
    fed = os.environ["FEDERATED_TOKEN"]
    cred = ClientAssertionCredential(TENANT, CLIENT, lambda: fed)
    roundtrip(cred, "assert")
    bad = ClientAssertionCredential(
        TENANT, CLIENT, lambda: "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln")
    refused(bad, "AADSTS700213", "unknown federated token accepted")
    print("ok assertion")


def chk_workload_identity():
    # azure-identity 1.13.0b2 has no WorkloadIdentityCredential class yet; its
    # ManagedIdentityCredential does the same token exchange when the AKS
    # webhook's variables are set (AZURE_FEDERATED_TOKEN_FILE read each time).
    d = tempfile.mkdtemp()
    path = os.path.join(d, "token")
    with open(path, "w") as f:
        f.write(os.environ["FEDERATED_TOKEN"])
    os.environ["AZURE_FEDERATED_TOKEN_FILE"] = path
    for v in ("IDENTITY_ENDPOINT", "IDENTITY_HEADER", "MSI_ENDPOINT"):
        os.environ.pop(v, None)
    seq = last_seq()
    roundtrip(ManagedIdentityCredential(), "wid")
    tok = token_posts(seq)
    check(tok and tok[-1]["body"]["client_assertion"] == "<redacted>", repr(tok))
    print("ok workload-identity")


def chk_app_service():
    os.environ["IDENTITY_ENDPOINT"] = KV + "/msi/token"
    os.environ["IDENTITY_HEADER"] = os.environ["IDENTITY_HEADER_VALUE"]
    seq = last_seq()
    roundtrip(ManagedIdentityCredential(), "appsvc")
    m = [r for r in requests_since(seq) if r["kind"] == "msi"]
    check(m and m[-1]["status"] == 200, repr(m))
    check(m[-1]["query"] == {"api-version": "2019-08-01",
                             "resource": "https://127.0.0.1"}, repr(m[-1]))
    check(m[-1]["headers"]["x-identity-header"] == "<redacted>", "redacted")
    print("ok app-service")


def chk_imds():
    for v in ("IDENTITY_ENDPOINT", "IDENTITY_HEADER", "MSI_ENDPOINT",
              "AZURE_FEDERATED_TOKEN_FILE"):
        os.environ.pop(v, None)
    os.environ["AZURE_POD_IDENTITY_AUTHORITY_HOST"] = KV
    seq = last_seq()
    roundtrip(ManagedIdentityCredential(), "imds")
    m = [r for r in requests_since(seq) if r["kind"] == "msi"]
    # (with AZURE_POD_IDENTITY_AUTHORITY_HOST set the SDK skips its probe
    # without the Metadata header; the bats file checks that 400 with curl)
    check([r["status"] for r in m] == [200], repr(m))
    check(m[0]["headers"].get("metadata") == "true", repr(m[0]))
    print("ok imds")


def chk_crud():
    c = kv_client(secret_cred())
    n = name("crud")
    exp = int(time.time()) + 86400
    import datetime
    s1 = c.set_secret(n, "one", content_type="text/plain",
                      tags={"owner": "team-a"},
                      expires_on=datetime.datetime.fromtimestamp(
                          exp, datetime.timezone.utc))
    check(s1.properties.content_type == "text/plain", "contentType")
    check(s1.properties.tags == {"owner": "team-a"}, "tags")
    check(int(s1.properties.expires_on.timestamp()) == exp, "exp")
    check(s1.properties.recovery_level == "Recoverable+Purgeable", "level")
    check(len(s1.properties.version) == 32, "32-char version")
    s2 = c.set_secret(n, "two")
    check(s2.properties.version != s1.properties.version, "new version")
    check(c.get_secret(n).value == "two", "latest")
    check(c.get_secret(n, s1.properties.version).value == "one", "by version")
    # names are case-insensitive and keep the case of the first creation
    check(c.get_secret(n.upper()).name == n, "case-insensitive name")
    vers = list(c.list_properties_of_secret_versions(n))
    check(sorted(v.version for v in vers) ==
          sorted([s1.properties.version, s2.properties.version]), "versions")
    up = c.update_secret_properties(n, s2.properties.version,
                                    content_type="application/json",
                                    tags={"k": "v"})
    check(up.content_type == "application/json" and up.tags == {"k": "v"},
          "update")
    g = c.get_secret(n)
    check(g.value == "two" and g.properties.content_type == "application/json",
          "update kept the value")
    c.update_secret_properties(n, enabled=False)
    http_refused("disabled secret readable",
                 (403, "Forbidden", "SecretDisabled"), c.get_secret, n)
    try:
        c.get_secret(name("missing"))
        raise AssertionError("missing secret found")
    except ResourceNotFoundError as e:
        check(http_code(e)[:2] == (404, "SecretNotFound"), repr(http_code(e)))
    try:
        c.set_secret("bad_name", "x")
        raise AssertionError("bad name accepted")
    except HttpResponseError as e:
        check(http_code(e)[:2] == (400, "BadParameter"), repr(http_code(e)))
        check("The request URI contains an invalid name: bad_name" in str(e),
              str(e))
    print("ok crud")


def chk_paging():
    c = kv_client(secret_cred())
    prefix = name("pg")
    want = set()
    for i in range(23):
        n = "%s-%02d" % (prefix, i)
        c.set_secret(n, "v")
        want.add(n)
    for empty in (False, True):
        admin("POST", "/_admin/config", {"empty_pages": empty})
        try:
            seq = last_seq()
            got = {p.name for p in c.list_properties_of_secrets(max_page_size=4)
                   if p.name.startswith(prefix)}
            check(got == want, "listed %d of %d (empty=%s)" %
                  (len(got), len(want), empty))
            lists = [r for r in requests_since(seq)
                     if r["path"] == "/secrets" and r["method"] == "GET"]
            check(len(lists) >= 6, "pages followed: %d" % len(lists))
            check(any("$skiptoken" in r["query"] for r in lists), "nextLink")
        finally:
            admin("POST", "/_admin/config", {"empty_pages": False})
    # versions paging
    n = prefix + "-v"
    for i in range(7):
        c.set_secret(n, str(i))
    vs = list(c.list_properties_of_secret_versions(n, max_page_size=2))
    check(len(vs) == 7, "7 versions, got %d" % len(vs))
    print("ok paging: %d secrets" % len(want))


def chk_soft_delete():
    c = kv_client(secret_cred())
    n = name("sd")
    c.set_secret(n, "keep-me")
    admin("POST", "/_admin/config", {"delete_delay": 1.5, "recover_delay": 1.5})
    try:
        poller = c.begin_delete_secret(n, _polling_interval=0.2)
        d0 = poller.result()
        check(d0.recovery_id.endswith("/deletedsecrets/" + n), d0.recovery_id)
        # deletion still in progress: the name is busy
        http_refused("set during delete accepted",
                     (409, "Conflict", "ObjectIsBeingDeleted"),
                     c.set_secret, n, "again")
        try:
            c.get_deleted_secret(n)
            raise AssertionError("deleted secret visible before completion")
        except ResourceNotFoundError:
            pass
        poller.wait()
        check(poller.done(), "delete poller done")
        ds = c.get_deleted_secret(n)
        check(ds.name == n and ds.scheduled_purge_date is not None, "deleted")
        check(n in {d.name for d in c.list_deleted_secrets()}, "listed deleted")
        e = http_refused("set on a soft-deleted name accepted",
                         (409, "Conflict", "ObjectIsDeletedButRecoverable"),
                         c.set_secret, n, "again")
        check("is currently in a deleted but recoverable state" in str(e),
              str(e))
        rp = c.begin_recover_deleted_secret(n, _polling_interval=0.2)
        http_refused("set during recovery accepted",
                     (409, "Conflict", "ObjectIsBeingRecovered"),
                     c.set_secret, n, "again")
        rp.wait()
        check(c.get_secret(n).value == "keep-me", "recovered value")
        c.begin_delete_secret(n, _polling_interval=0.2).wait()
        c.purge_deleted_secret(n)
        check(n not in {d.name for d in c.list_deleted_secrets()}, "purged")
        c.set_secret(n, "fresh")
        check(c.get_secret(n).value == "fresh", "name reusable after purge")
    finally:
        admin("POST", "/_admin/config", {"delete_delay": 0.5,
                                         "recover_delay": 0.5})
    print("ok soft-delete")


def chk_throttle():
    c = kv_client(secret_cred())
    c.set_secret(name("warm"), "x")   # token and challenge out of the way
    admin("POST", "/_admin/config", {"write_limit": 3, "window": 2})
    try:
        seq = last_seq()
        t0 = time.time()
        for i in range(7):
            c.set_secret(name("thr%d" % i), "x")
        took = time.time() - t0
        reqs = [r for r in requests_since(seq) if r["method"] == "PUT"]
        n429 = sum(1 for r in reqs if r["status"] == 429)
        n200 = sum(1 for r in reqs if r["status"] == 200)
        check(n200 == 7 and n429 >= 1, "200s=%d 429s=%d" % (n200, n429))
        check(took >= 2, "the SDK waited Retry-After (%.1fs)" % took)
    finally:
        admin("POST", "/_admin/config", {"write_limit": 300, "window": 10})
    for i in range(7):
        check(c.get_secret(name("thr%d" % i)).value == "x", "all written")
    print("ok throttle: %d throttled, %.1fs" % (n429, took))


def chk_expired_token():
    cred = secret_cred()
    c = kv_client(cred)
    n = name("exp")
    c.set_secret(n, "x")
    admin("POST", "/_admin/tokens/expire")
    try:
        c.get_secret(n)
        raise AssertionError("expired token accepted")
    except (ClientAuthenticationError, HttpResponseError) as e:
        check(e.status_code == 401 and "[TokenExpired]" in str(e), str(e))
    # a fresh credential gets a fresh token
    check(kv_client(secret_cred()).get_secret(n).value == "x", "new token")
    print("ok expired-token")


def chk_arm():
    from azure.mgmt.authorization import AuthorizationManagementClient
    from azure.mgmt.authorization.v2022_04_01.models import \
        RoleAssignmentCreateParameters
    from azure.mgmt.keyvault import KeyVaultManagementClient
    sub = os.environ["KV_SUBSCRIPTION"]
    rg, vname = os.environ["KV_RG"], os.environ["KV_VAULT_NAME"]
    cred = secret_cred()
    kvm = KeyVaultManagementClient(cred, sub, base_url=KV)
    v = kvm.vaults.get(rg, vname)
    check(v.properties.vault_uri.rstrip("/") == KV, v.properties.vault_uri)
    check(v.properties.enable_rbac_authorization is True, "rbac")
    listed = [x.id for x in kvm.vaults.list()]
    check(listed == [v.id], "vaults.list: %r" % listed)
    try:
        kvm.vaults.get(rg, "nope")
        raise AssertionError("unknown vault found")
    except ResourceNotFoundError as e:
        check(e.error.code == "ResourceNotFound", e.error.code)

    auth = AuthorizationManagementClient(cred, sub, base_url=KV)
    ra = auth.role_assignments
    scope = v.id
    pid = str(uuid.uuid4())
    rdid = ("/subscriptions/%s/providers/Microsoft.Authorization/"
            "roleDefinitions/b86a8fe4-44ce-4948-aee5-eccb2c155cd7" % sub)
    params = RoleAssignmentCreateParameters(
        role_definition_id=rdid, principal_id=pid,
        principal_type="ServicePrincipal")
    ra_name = str(uuid.uuid4())
    seq = last_seq()
    r1 = ra.create(scope, ra_name, params)
    check(r1.name == ra_name and r1.scope == scope and
          r1.principal_type == "ServicePrincipal", repr(r1.as_dict()))
    r2 = ra.create(scope, ra_name, params)   # identical: 200
    statuses = [r["status"] for r in requests_since(seq) if r["method"] == "PUT"]
    check(statuses == [201, 200], "PUT statuses %r" % statuses)
    try:
        ra.create(scope, str(uuid.uuid4()), params)
        raise AssertionError("duplicate assignment accepted")
    except HttpResponseError as e:
        check(e.status_code == 409 and e.error.code == "RoleAssignmentExists",
              repr((e.status_code, e.error.code)))
        check(ra_name.replace("-", "") in e.error.message, e.error.message)
    got = ra.get(scope, ra_name)
    check(got.principal_id == pid, "get")
    mine = [x.name for x in ra.list_for_scope(
        scope, filter="principalId eq '%s'" % pid)]
    check(mine == [ra_name], "filtered list %r" % mine)
    at = [x.name for x in ra.list_for_scope(scope, filter="atScope()")]
    check(ra_name in at, "atScope list")
    d = ra.delete(scope, ra_name)
    check(d is not None and d.name == ra_name, "delete returns the assignment")
    check(ra.delete(scope, ra_name) is None, "second delete: 204, no body")
    try:
        ra.create(scope, str(uuid.uuid4()), RoleAssignmentCreateParameters(
            role_definition_id=rdid.replace("b86a8fe4", "b86a8fe5"),
            principal_id=pid))
        raise AssertionError("unknown role definition accepted")
    except HttpResponseError as e:
        check(e.error.code == "RoleDefinitionDoesNotExist", e.error.code)
    print("ok arm")


def chk_rbac():
    """--enforce-rbac: a principal with only Key Vault Secrets User reads but
    cannot set (403 ForbiddenByRbac naming setSecret/action); the
    permissions API reports what its assignments grant; Secrets Officer
    then may set."""
    from azure.mgmt.authorization import AuthorizationManagementClient
    sub = os.environ["KV_SUBSCRIPTION"]
    rg, vname = os.environ["KV_RG"], os.environ["KV_VAULT_NAME"]
    vid = admin("GET", "/_admin/state")["vault"]["id"]
    rd = "/subscriptions/%s/providers/Microsoft.Authorization/roleDefinitions/" % sub
    user, officer = str(uuid.uuid4()), str(uuid.uuid4())
    n = name("rbac")
    # The caller's object id is its client id (a fixture: not a GUID here).
    admin("POST", "/_admin/seed", {"secrets": [{"name": n, "value": "v1"}],
          "roleAssignments": [{"scope": vid, "name": user, "principalId": CLIENT,
                               "roleDefinitionId": rd + "4633458b-17de-408a-b874-0445c86b69e6"}]})
    admin("POST", "/_admin/config", {"enforce_rbac": True})
    auth = AuthorizationManagementClient(secret_cred(), sub, base_url=KV)
    try:
        c = kv_client(secret_cred())
        check(c.get_secret(n).value == "v1", "Secrets User reads")
        check(n in [p.name for p in c.list_properties_of_secrets()], "and lists")
        e = http_refused("Secrets User could set a secret",
                         (403, "Forbidden", "ForbiddenByRbac"),
                         c.set_secret, n, "v2")
        check("Action: 'Microsoft.KeyVault/vaults/secrets/setSecret/action'"
              in e.error.message and "DeniedWithNoValidRBAC" in
              e.error.message, e.error.message)
        perms = list(auth.permissions.list_for_resource(
            rg, "Microsoft.KeyVault", "", "vaults", vname))
        data = [a for p in perms for a in p.data_actions]
        check(data == ["Microsoft.KeyVault/vaults/secrets/getSecret/action",
                       "Microsoft.KeyVault/vaults/secrets/readMetadata/action"],
              "permissions %r" % data)
        admin("POST", "/_admin/seed", {"roleAssignments": [
            {"scope": vid, "name": officer, "principalId": CLIENT,
             "roleDefinitionId": rd + "b86a8fe4-44ce-4948-aee5-eccb2c155cd7"}]})
        perms = list(auth.permissions.list_for_resource(
            rg, "Microsoft.KeyVault", "", "vaults", vname))
        check(len(perms) == 2 and any("Microsoft.KeyVault/vaults/secrets/*" in
              p.data_actions for p in perms), "two assignments %r" %
              [p.as_dict() for p in perms])
        check(c.set_secret(n, "v2").value == "v2", "Secrets Officer sets")
    finally:
        admin("POST", "/_admin/config", {"enforce_rbac": False})
        for ra in (user, officer):
            auth.role_assignments.delete(vid, ra)
    print("ok rbac")


def chk_vaults():
    """keyvault.py --vaults: each vault of the listener, told apart by the
    Host header, keeps its own secrets (VAULT_URLS: their base URLs)."""
    import socket
    real = socket.getaddrinfo

    # The test's resolver, not the stand-in's behaviour: curl takes every
    # NAME.localhost to the loopback (RFC 6761); glibc may not.
    def loopback(host, *a, **kw):
        if isinstance(host, str) and host.endswith(".localhost"):
            host = "127.0.0.1"
        return real(host, *a, **kw)
    socket.getaddrinfo = loopback
    urls = os.environ["VAULT_URLS"].split()
    check(len(urls) >= 2, "two vaults at least")
    cred = secret_cred()
    a, b = (SecretClient(u, cred, verify_challenge_resource=False)
            for u in urls[:2])
    n = name("vaults")
    a.set_secret(n, "in-a")
    try:
        b.get_secret(n)
        raise AssertionError("a secret of one vault read in another")
    except ResourceNotFoundError:
        pass
    b.set_secret(n, "in-b")
    check(a.get_secret(n).value == "in-a", "vault a keeps its value")
    check(b.get_secret(n).value == "in-b", "vault b has its own")
    check(n in [p.name for p in b.list_properties_of_secrets()],
          "vault b lists it")
    a.begin_delete_secret(n).wait()
    check(b.get_secret(n).value == "in-b",
          "a delete in one vault leaves the other's")
    print("ok vaults: %d vaults, each its own secrets" % len(urls))


CHECKS = {k[4:].replace("_", "-"): v for k, v in globals().items()
          if k.startswith("chk_")}

if __name__ == "__main__":
    if len(sys.argv) != 2 or sys.argv[1] not in CHECKS:
        sys.exit("usage: fidelity_keyvault.py {%s}" % ",".join(sorted(CHECKS)))
    CHECKS[sys.argv[1]]()
