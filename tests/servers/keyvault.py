#!/usr/bin/env python3
"""keyvault.py: a local stand-in for Azure Key Vault (secrets), Microsoft Entra
ID token issuance, the managed-identity endpoints and the Azure Resource
Manager role-assignment API, for vault2kv's tests, `make demo` and `make bench`.

Python 3 standard library only.  One vault is served at the base URL; the
token endpoints and ARM live under the same base URL.  The first line on
stdout is the base URL (https://HOST:PORT), printed once listening; nothing
else is written to stdout.  SIGTERM/SIGINT end it cleanly (exit status 0).

Facts the behaviour follows are cited next to the code: [V] read in a
primary source (spec, official doc, vendor SDK), [O] observed in real
service traffic (SDK test recordings, issue reports), [S] a guess where no
source gave the exact text.  Shorthands: specs7.4 = Azure/azure-rest-api-specs
specification/keyvault/data-plane/Microsoft.KeyVault/stable/7.4/secrets.json
(and its examples/); azdocs = MicrosoftDocs/azure-docs, articles/
(learn.microsoft.com/azure/); entra = MicrosoftDocs/entra-docs,
docs/identity-platform/ (learn.microsoft.com/entra/identity-platform/);
js-rec = the test recordings of Azure/azure-sdk-for-js sdk/keyvault/
keyvault-secrets (real traffic, 2019-2022).

Endpoints
---------
Data plane (api-version 2016-10-01, 7.0 .. 7.6; Bearer token for audience R,
R = --challenge-resource, default https://HOST):
  PUT    /secrets/{n}                 set (always a new 32-hex version)
  GET    /secrets/{n}[/]              latest        GET /secrets/{n}/{v}  version
  PATCH  /secrets/{n}[/{v}]           update contentType/tags/attributes
  GET    /secrets                     list (maxresults 1..25, $skiptoken)
  GET    /secrets/{n}/versions        list versions
  DELETE /secrets/{n}                 soft delete (asynchronous, --delete-delay)
  GET    /deletedsecrets[/{n}]        list / get deleted
  POST   /deletedsecrets/{n}/recover  recover (asynchronous, --recover-delay)
  DELETE /deletedsecrets/{n}          purge (204)
Entra ID:
  POST /{tenant}/oauth2/v2.0/token    client_credentials: client_secret, a
                                      certificate assertion (RS256/PS256,
                                      checked with `openssl dgst`), or the
                                      --federated-token as client_assertion
  POST /{tenant}/oauth2/token         the v1 form (resource=)
  GET  /{tenant}/v2.0/.well-known/openid-configuration  (and the v1 one)
  GET  /common/discovery/instance
Managed identity:
  GET /msi/token?api-version=2019-08-01&resource=R   header X-IDENTITY-HEADER
  GET /metadata/identity/oauth2/token?api-version=2018-02-01&resource=R
                                                     header Metadata: true
ARM (Bearer token for --arm-audience, default https://management.azure.com
or https://management.core.windows.net; any other audience gets 401
InvalidAuthenticationTokenAudience):
  GET /metadata/endpoints?api-version=2022-09-01  the cloud's metadata
      document (no token): authentication.loginEndpoint (the base URL),
      authentication.audiences (--arm-audience), suffixes.keyVaultDns (the
      host of --challenge-resource), resourceManager (the base URL)
  GET /subscriptions                  each --extra-subscription (which hold
                                      nothing), then --subscription
  PUT/GET/DELETE {scope}/providers/Microsoft.Authorization/roleAssignments/{guid}
  GET {scope}/providers/Microsoft.Authorization/roleAssignments[?$filter=...]
  GET /subscriptions/{s}/resourceGroups/{rg}/providers/Microsoft.KeyVault/vaults/{n}
  GET /subscriptions/{s}[/resourceGroups/{rg}]/providers/Microsoft.KeyVault/vaults
  GET /subscriptions/{s}[/resourceGroups/{rg}]/resources?$filter=resourceType eq
      'Microsoft.KeyVault/vaults' and name eq 'N'
  GET {scope}/providers/Microsoft.Authorization/permissions   the caller's
      effective permissions there: one entry per role assignment of the
      caller at the scope or above, its role definition's permissions
      (without RBAC enforced: one entry allowing everything)

RBAC (--enforce-rbac, or the config key enforce_rbac): every data-plane
request needs its data action (ROUTE_ACTIONS) from a role assignment of the
caller, whose object id is its client id, at the secret, the vault or
above; else 403 ForbiddenByRbac.  Built-in role definitions are in
ROLE_PERMISSIONS; a custom one (roleDefinitions in a fixture) grants
nothing.

Throttling: per vault; PUT /secrets/{n} draws on --write-limit (the "CREATE
secret" budget), every other authenticated data-plane request on
--all-limit (the "All other transactions" budget), each per --window
seconds, as in the service-limits table ("maximum transactions allowed in
10 seconds, per vault per region": 300 secret CREATE, 4,000 all other,
https://learn.microsoft.com/en-us/azure/key-vault/general/service-limits).
The service does not say how it counts its windows, so --throttle-mode
picks one: "bucket" (the default), a token bucket that holds the budget
and refills it over the window; "fixed", windows of --window seconds one
after the other, each with the whole budget; "sliding", at most the budget
in any --window seconds.  A 429 does not count toward either budget
("Failed requests that return a 429 do not count towards the throttle
limits", overview-throttling).  ARM, token, managed-identity and admin
endpoints are not throttled.  A limit of 0 disables that budget.

Fixture format (--seed FILE, POST /_admin/seed)
-----------------------------------------------
{
  "secrets": [
    {"name": "db-password",                 # case kept as given
     "versions": [                          # oldest first; last = latest
       {"value": "s3cret", "contentType": "text/plain", "tags": {"k": "v"},
        "enabled": true, "nbf": null, "exp": 1900000000,
        "created": 1700000000, "version": "<32 hex, optional>"}
     ],
     "deleted": false,                      # true: soft-deleted (recoverable)
     "deletedDate": 1700000000},            # optional, with "deleted"
    {"name": "simple", "value": "x", "tags": {}}   # one-version shorthand
  ],
  "roleAssignments": [
    {"scope": "/subscriptions/.../vaults/kv-test", "name": "<guid>",
     "roleDefinitionId": ".../roleDefinitions/4633458b-...", "principalId":
     "<guid>", "principalType": "ServicePrincipal"}
  ],
  "roleDefinitions": ["<guid>", ...]        # extra known role definitions
}
Attributes may also be given as "attributes": {"enabled":..,"nbf":..,"exp":..}.

Admin API (no auth; never throttled, failed, delayed or logged)
---------------------------------------------------------------
  GET    /_admin/state           every secret with all versions and values,
                                 role assignments, config, token counts
  POST   /_admin/seed            load a fixture (body); {"reset": true} in it
                                 clears secrets and role assignments first
  POST   /_admin/reset           clear secrets, role assignments, throttle
                                 windows and the in-memory request list
  GET    /_admin/config          current knobs
  POST   /_admin/config          change knobs: latency_ms, fail_rate,
                                 fail_seed, fail_kinds, fail_tokens,
                                 write_limit, all_limit, window,
                                 throttle_mode, token_lifetime,
                                 challenge_resource,
                                 arm_audience, require_x5c,
                                 challenge_scope (also sent as scope=,
                                 when not null), challenge_tenant (the
                                 tenant the challenge names, when not
                                 null), empty_pages, delete_delay, recover_delay,
                                 tag_length, purge_protection, deny
                                 (null or one of DENIALS: every
                                 authenticated data-plane or ARM request
                                 gets that real refusal), enforce_rbac,
                                 odd_answers (null, or a list of
                                 {"path": PREFIX, "body": JSON}: an
                                 authenticated data-plane or ARM request
                                 whose path starts with PREFIX is
                                 answered 200 with that body, or with
                                 none when "body" is absent, as the
                                 service never would: for hostile-server
                                 tests; the first match wins)
  GET    /_admin/requests[?since=SEQ]   logged requests (same records as --log)
  DELETE /_admin/requests        forget them
  POST   /_admin/tokens/expire   expire every issued access token now

Request log (--log FILE and /_admin/requests): one JSON object per request:
seq, time, kind (data|arm|token|msi|meta), method, path, query (name -> last
value), status (0 = connection dropped), injected (500|503|429|drop|null),
request_id, headers (lower-case names; authorization, x-identity-header
redacted), aud (the audience of the Bearer token the request carried, null
when it carried none this stand-in issued), body (parsed JSON or form;
client_secret, client_assertion and a secret's "value" redacted; a client
assertion's JOSE header is kept as assertion_header, without x5c's
certificates: x5c_count says how many it held).
"""

import argparse
import base64
import collections
import copy
import dataclasses
import hashlib
import json
import math
import os
import re
import secrets as pysecrets
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from urllib.parse import parse_qsl, quote, unquote, urlsplit

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import base  # noqa: E402  the scaffolding the stand-ins share

# ----------------------------------------------------------------------------
# Constants and facts

# Data-plane versions the service knows.  Debian's azure-keyvault-secrets 4.7
# speaks 7.3; vault2kv uses 7.5/7.4.  An unknown version gets
# 400 BadParameter "The specified version (7.3) is not recognized. Consider
# using the latest supported version (7.1)." [O Azure/azure-sdk-for-python
# issue #28595, an Azure Stack vault].
KV_API_VERSIONS = (
    "2015-06-01", "2016-10-01", "7.0", "7.1", "7.2", "7.3", "7.4", "7.5",
    "7.6", "7.3-preview", "7.4-preview.1", "7.5-preview.1", "7.6-preview.1",
    "7.6-preview.2")
KV_LATEST = "7.6"

# Secret names: 1-127 of 0-9 a-z A-Z - [V about-keys-secrets-certificates.md]
NAME_RE = re.compile(r"^[0-9a-zA-Z-]{1,127}$")
VERSION_RE = re.compile(r"^[0-9a-fA-F]{32}$")
GUID_RE = re.compile(
    r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")

# Value 25k bytes; contentType 255; 15 tags, name/value 512 (older docs 256)
# [V about-secrets.md].  The CLI's own check says "Secret is beyond the
# maximum permitted length of 25600 characters." [O Azure/azure-cli #5639].
MAX_VALUE_BYTES = 25600
MAX_CONTENT_TYPE = 255
MAX_TAGS = 15

MSG_NOT_FOUND = ("A secret with (name/id) {} was not found in this key vault. "
                 "If you recently deleted this secret you may be able to "
                 "recover it using the correct recovery command. For help "
                 "resolving this issue, please see "
                 "https://go.microsoft.com/fwlink/?linkid=2125182")
MSG_DELETED_NOT_FOUND = "Deleted Secret not found: {}"
MSG_DELETED_CONFLICT = ("Secret {} is currently in a deleted but recoverable "
                        "state, and its name cannot be reused; in this state, "
                        "the secret can only be recovered or purged.")
# [O hashicorp/terraform-provider-azurerm #12285: 409 Conflict, innererror
# ObjectIsBeingRecovered, this message]
MSG_BEING_RECOVERED = ("Secret {} is currently being recovered and cannot be "
                       "re-created; retry later.")
MSG_BEING_DELETED = ("Secret {} is currently being deleted and cannot be "
                     "re-created; retry later.")  # [S] modelled on the above
MSG_DISABLED = "Operation get is not allowed on a disabled secret."
MSG_BAD_NAME = "The request URI contains an invalid name: {}"
THROTTLE_MODES = ("bucket", "fixed", "sliding")
# [O vcsjones/AzureSignTool #219: real 429 body]
MSG_THROTTLED = ("Request was not processed because too many requests were "
                 "received. Reason: VaultRequestTypeLimitReached")

# Built-in role definitions [V azdocs rbac-guide.md, built-in-roles.md]
BUILTIN_ROLES = {
    "00482a5a-887f-4fb3-b363-3b7fe8e74483": "Key Vault Administrator",
    "21090545-7ca7-4776-b22c-e363652d74d2": "Key Vault Reader",
    "b86a8fe4-44ce-4948-aee5-eccb2c155cd7": "Key Vault Secrets Officer",
    "4633458b-17de-408a-b874-0445c86b69e6": "Key Vault Secrets User",
    "a4417e6f-fecd-4de8-b567-7b0420556985": "Key Vault Certificates Officer",
    "db79e9a7-68ee-4b58-9aeb-b90e7c24fcba": "Key Vault Certificate User",
    "14b46e9e-c2b7-41b4-b07b-48a6ebf60603": "Key Vault Crypto Officer",
    "12338af0-0e69-4776-bea7-57ae8d297424": "Key Vault Crypto User",
    "e147488a-f6f5-4113-8e2d-b22465e65bf6": "Key Vault Crypto Service Encryption User",
    "08bbd89e-9f13-488c-ac41-acfcb10c90ab": "Key Vault Crypto Service Release User",
    "8b54135c-b56d-4d72-a534-26097cfdc8d8": "Key Vault Data Access Administrator",
    "f25e0fa2-a7c8-4377-a976-54943a77a395": "Key Vault Contributor",
    "8e3af657-a8ff-443c-a75c-2fe8c4bcb635": "Owner",
    "b24988ac-6180-42a0-ab88-20f7382dd24c": "Contributor",
    "acdd72a7-3385-48ef-bd42-f606fba81ae7": "Reader",
    "18d7d88d-d35e-4fb5-a5c3-7773c20a72d9": "User Access Administrator",
    "f58310d9-a9f6-439a-9e8d-f62e7b41a168": "Role Based Access Control Administrator",
}
PRINCIPAL_TYPES = ("User", "Group", "ServicePrincipal", "ForeignGroup")

# The permissions of the built-in roles the stand-in enforces and reports
# [V azdocs role-based-access-control/built-in-roles/security.md (the Key
# Vault roles, Key Vault Data Access Administrator) and general.md (Owner,
# Contributor, Reader, User Access Administrator, Role Based Access Control
# Administrator); S: the Contributor and Key Vault Administrator lists are
# abridged to what matters here].  guid -> [permission]
_KV_READS = ["Microsoft.Authorization/*/read", "Microsoft.Insights/alertRules/*",
             "Microsoft.Resources/deployments/*",
             "Microsoft.Resources/subscriptions/resourceGroups/read",
             "Microsoft.Support/*", "Microsoft.KeyVault/checkNameAvailability/read",
             "Microsoft.KeyVault/deletedVaults/read",
             "Microsoft.KeyVault/locations/*/read",
             "Microsoft.KeyVault/vaults/*/read", "Microsoft.KeyVault/operations/read"]


def _perm(actions=(), data=(), not_actions=(), not_data=()):
    return {"actions": list(actions), "notActions": list(not_actions),
            "dataActions": list(data), "notDataActions": list(not_data)}


ROLE_PERMISSIONS = {
    # Key Vault Administrator
    "00482a5a-887f-4fb3-b363-3b7fe8e74483": [_perm(_KV_READS, ["Microsoft.KeyVault/vaults/*"])],
    # Key Vault Reader
    "21090545-7ca7-4776-b22c-e363652d74d2": [_perm(_KV_READS, [
        "Microsoft.KeyVault/vaults/*/read",
        "Microsoft.KeyVault/vaults/secrets/readMetadata/action"])],
    # Key Vault Secrets Officer
    "b86a8fe4-44ce-4948-aee5-eccb2c155cd7": [_perm(_KV_READS, [
        "Microsoft.KeyVault/vaults/secrets/*"])],
    # Key Vault Secrets User
    "4633458b-17de-408a-b874-0445c86b69e6": [_perm((), [
        "Microsoft.KeyVault/vaults/secrets/getSecret/action",
        "Microsoft.KeyVault/vaults/secrets/readMetadata/action"])],
    # Key Vault Data Access Administrator (its ABAC condition not modelled)
    "8b54135c-b56d-4d72-a534-26097cfdc8d8": [_perm([
        "Microsoft.Authorization/roleAssignments/write",
        "Microsoft.Authorization/roleAssignments/delete",
        "Microsoft.Authorization/*/read", "Microsoft.Resources/deployments/*",
        "Microsoft.Resources/subscriptions/resourceGroups/read",
        "Microsoft.Resources/subscriptions/read",
        "Microsoft.Management/managementGroups/read", "Microsoft.Support/*",
        "Microsoft.KeyVault/vaults/*/read"])],
    # Key Vault Contributor: the vault, never its data
    "f25e0fa2-a7c8-4377-a976-54943a77a395": [_perm([
        "Microsoft.Authorization/*/read", "Microsoft.Insights/alertRules/*",
        "Microsoft.KeyVault/*", "Microsoft.Resources/deployments/*",
        "Microsoft.Resources/subscriptions/resourceGroups/read",
        "Microsoft.Support/*"])],
    # Owner
    "8e3af657-a8ff-443c-a75c-2fe8c4bcb635": [_perm(["*"])],
    # Contributor
    "b24988ac-6180-42a0-ab88-20f7382dd24c": [_perm(["*"], (), [
        "Microsoft.Authorization/*/Delete", "Microsoft.Authorization/*/Write",
        "Microsoft.Authorization/elevateAccess/Action"])],
    # Reader
    "acdd72a7-3385-48ef-bd42-f606fba81ae7": [_perm(["*/read"])],
    # User Access Administrator
    "18d7d88d-d35e-4fb5-a5c3-7773c20a72d9": [_perm([
        "*/read", "Microsoft.Authorization/*", "Microsoft.Support/*"])],
    # Role Based Access Control Administrator (its condition not modelled)
    "f58310d9-a9f6-439a-9e8d-f62e7b41a168": [_perm([
        "Microsoft.Authorization/roleAssignments/write",
        "Microsoft.Authorization/roleAssignments/delete", "*/read",
        "Microsoft.Support/*"])],
}

# The data action each data-plane route needs [V azdocs key-vault/general/
# rbac-guide.md and the Key Vault ABAC page (conditions-authorization-
# actions-attributes: getSecret, readMetadata, setSecret, update, delete,
# recover, purge); S: the deleted-secret reads as readMetadata].
KV_DATA = "Microsoft.KeyVault/vaults/secrets/"


def action_matches(pattern, action):
    """An operation string against a pattern whose '*' matches any run of
    characters, case-insensitively [V azdocs role-based-access-control/
    role-definitions.md, "Actions" and wildcards]."""
    rx = ".*".join(re.escape(x) for x in pattern.lower().split("*"))
    return re.fullmatch(rx, action.lower()) is not None


def perm_allows(perm, action, data):
    """One permission entry allows action: in (data)actions and not in the
    same entry's not(Data)Actions [V role-definitions.md: NotActions are
    subtracted from the Actions of that role; another role may grant it]."""
    allow, deny = ("dataActions", "notDataActions") if data else \
        ("actions", "notActions")
    return any(action_matches(p, action) for p in perm.get(allow) or []) and \
        not any(action_matches(p, action) for p in perm.get(deny) or [])

# ARM api-versions.  2023-02-01 of Microsoft.KeyVault was withdrawn
# ("The api-version '2023-02-01' is invalid. The supported versions are ...")
# [O Azure/azure-cli #27109]; Debian's azure-mgmt-keyvault defaults to
# 2022-07-01 and vaults.list() goes through /resources with 2015-11-01.
ARM_VERSIONS_RA = ("2015-07-01", "2018-01-01-preview", "2018-09-01-preview",
                   "2020-03-01-preview", "2020-04-01-preview",
                   "2020-08-01-preview", "2020-10-01-preview",
                   "2021-04-01-preview", "2022-01-01-preview", "2022-04-01")
ARM_VERSIONS_KV = ("2015-06-01", "2016-10-01", "2018-02-14", "2019-09-01",
                   "2020-04-01-preview", "2021-04-01-preview",
                   "2021-06-01-preview", "2021-10-01", "2021-11-01-preview",
                   "2022-02-01-preview", "2022-07-01", "2022-11-01",
                   "2023-07-01", "2024-04-01-preview", "2024-11-01",
                   "2024-12-01-preview")
ARM_VERSIONS_RES = ("2015-11-01", "2016-02-01", "2016-09-01", "2017-05-10",
                    "2018-05-01", "2019-05-01", "2019-10-01", "2020-06-01",
                    "2020-10-01", "2021-01-01", "2021-04-01", "2022-09-01",
                    "2023-07-01", "2024-03-01", "2024-07-01")
ARM_VERSIONS_SUBS = ("2016-06-01", "2020-01-01", "2021-01-01", "2022-01-01",
                     "2022-12-01")
ARM_AUDIENCES = ("https://management.azure.com",
                 "https://management.core.windows.net")

JWT_BEARER = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
IGNORED_SCOPES = {"openid", "profile", "offline_access", "email"}

KV_SERVICE_VERSION = "1.9.2061.1"


def b64url_encode(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode("ascii")


def b64url_decode(s):
    s = s.strip()
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))


def jdump(obj):
    return json.dumps(obj, separators=(",", ":")).encode("utf-8")


def iso_now(t=None):
    t = time.time() if t is None else t
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(t)) + \
        ".%07dZ" % int((t % 1) * 1e7)


def norm_aud(a):
    return (a or "").strip().rstrip("/").lower()


def norm_scope(s):
    s = "/" + (s or "").strip("/")
    return s.lower()


def scope_covers(outer, inner):
    """True when `outer` is `inner` or one of its ancestors."""
    outer, inner = norm_scope(outer), norm_scope(inner)
    return outer == "/" or inner == outer or inner.startswith(outer + "/")


def bare(segs, n):
    """segs is n path segments, or n and an empty one (a trailing /)."""
    return len(segs) == n or (len(segs) == n + 1 and segs[n] == "")


class HTTPError(Exception):
    pass


# ----------------------------------------------------------------------------
# State

@dataclasses.dataclass(slots=True, eq=False)
class Version:
    vid: str
    value: str
    content_type: str | None
    tags: dict | None
    enabled: bool
    nbf: int | None
    exp: int | None
    created: int
    seq: int
    updated: int = dataclasses.field(init=False)

    def __post_init__(self):
        self.updated = self.created


class Secret:
    __slots__ = ("name", "versions", "by_id", "state", "ready_at",
                 "deleted_date")

    def __init__(self, name):
        self.name = name
        self.versions = []
        self.by_id = {}
        self.state = "active"   # active | deleting | deleted | recovering
        self.ready_at = 0.0
        self.deleted_date = None

    def add(self, v):
        self.versions.append(v)
        self.by_id[v.vid.lower()] = v

    def latest(self):
        return self.versions[-1] if self.versions else None


# Refusals of a good token, with the service's codes and texts [O Container
# Apps Key Vault troubleshooting text; learn.microsoft.com/answers/questions/
# 2139767 (ForbiddenByRbac); V azdocs general/common-error-codes.md; V
# learn.microsoft.com/azure/role-based-access-control/troubleshooting;
# O Azure/AgentBaker PR #8251].  name: (kind, status, code, inner, message)
DENIALS = {
    "rbac": ("data", 403, "Forbidden", "ForbiddenByRbac",
             "Caller is not authorized to perform action on resource.\r\n"
             "If role assignments, deny assignments or role definitions were "
             "changed recently, please observe propagation time.\r\n"
             "Caller: appid=test-client;oid=00000000-0000-0000-0000-0000000000aa;"
             "iss=https://sts.windows.net/test-tenant/\r\n"
             "Action: 'Microsoft.KeyVault/vaults/secrets/setSecret/action'\r\n"
             "Resource: '/subscriptions/.../vaults/%(vault)s%(path)s'\r\n"
             "Assignment: (not found)\r\nDenyAssignmentId: null\r\n"
             "DecisionReason: 'DeniedWithNoValidRBAC' \r\n"
             "Vault: %(vault)s;location=eastus\r\n"),
    "access-policy": ("data", 403, "Forbidden", "AccessDenied",
                      "The user, group or application 'appid=test-client;"
                      "oid=00000000-0000-0000-0000-0000000000aa;iss=https://"
                      "sts.windows.net/test-tenant/' does not have secrets set "
                      "permission on key vault '%(vault)s;location=eastus'. For "
                      "help resolving this issue, please see "
                      "https://go.microsoft.com/fwlink/?linkid=2125287"),
    "firewall": ("data", 403, "Forbidden", "ForbiddenByFirewall",
                 "Client address is not authorized and caller is not a "
                 "trusted service.\r\nClient address: 127.0.0.1\r\n"
                 "Caller: appid=test-client\r\nVault: %(vault)s;"
                 "location=eastus"),
    "connection": ("data", 403, "Forbidden", "ForbiddenByConnection",
                   "Public network access is disabled and request is not "
                   "from a trusted service nor via an approved private link."
                   "\r\nCaller: appid=test-client\r\nVault: %(vault)s;"
                   "location=eastus"),
    "arm-forbidden": ("arm", 403, "AuthorizationFailed", None,
                      "The client 'test-client' with object id "
                      "'00000000-0000-0000-0000-0000000000aa' does not have "
                      "authorization to perform action "
                      "'Microsoft.Authorization/roleAssignments/write' over "
                      "scope '%(scope)s' or the scope is invalid. If access "
                      "was recently granted, please refresh your credentials."),
    "principal-not-found": ("arm", 400, "PrincipalNotFound", None,
                            "Principal %s does not exist in the directory "
                            "%s. Check that you have the correct principal "
                            "ID. If you are creating this principal and then "
                            "immediately assigning a role, this error might "
                            "be related to a replication delay. In this "
                            "case, set the role assignment principalType "
                            "property to a value, such as ServicePrincipal, "
                            "User, or Group.  See "
                            "https://aka.ms/docs-principaltype"),
}


class Config(base.Faults):
    KEYS = ("latency_ms", "fail_rate", "fail_seed", "fail_kinds",
            "fail_tokens", "write_limit", "all_limit", "window",
            "throttle_mode", "token_lifetime", "challenge_resource",
            "challenge_scope", "challenge_tenant", "arm_audience",
            "require_x5c", "empty_pages",
            "delete_delay", "recover_delay", "tag_length", "purge_protection",
            "deny", "enforce_rbac", "odd_answers")

    def __init__(self, a, host):
        super().__init__(a.latency, a.fail_rate, a.fail_seed,
                         parse_kinds(a.fail_kinds))
        self.fail_tokens = a.fail_tokens
        self.write_limit = a.write_limit
        self.all_limit = a.all_limit
        self.window = a.window
        self.throttle_mode = a.throttle_mode
        self.token_lifetime = a.token_lifetime
        self.challenge_resource = (a.challenge_resource or
                                   "https://" + host).rstrip("/")
        self.challenge_scope = None
        self.challenge_tenant = None
        self.arm_audience = (a.arm_audience.rstrip("/")
                             if a.arm_audience else None)
        self.require_x5c = a.require_x5c
        self.empty_pages = a.empty_pages
        self.delete_delay = a.delete_delay
        self.recover_delay = a.recover_delay
        self.tag_length = a.tag_length
        self.purge_protection = a.purge_protection
        self.deny = None
        self.odd_answers = None
        self.enforce_rbac = a.enforce_rbac

    def as_dict(self):
        d = {k: getattr(self, k) for k in self.KEYS}
        d["fail_kinds"] = list(self.fail_kinds)
        return d


def parse_kinds(v):
    if isinstance(v, list):
        items = [str(x) for x in v]
    else:
        items = [x for x in str(v or "").split(",")]
    items = [x.strip().lower() for x in items if x.strip()]
    for k in items:
        if k not in ("500", "503", "429", "drop"):
            raise ValueError("unknown failure kind %r (500,503,429,drop)" % k)
    return items


class ClientCert:
    def __init__(self, path, workdir, idx):
        der = subprocess.run(
            ["openssl", "x509", "-in", path, "-outform", "DER"],
            check=True, capture_output=True).stdout
        pub = subprocess.run(
            ["openssl", "x509", "-in", path, "-pubkey", "-noout"],
            check=True, capture_output=True).stdout
        self.x5t = b64url_encode(hashlib.sha1(der).digest())
        self.x5t256 = b64url_encode(hashlib.sha256(der).digest())
        self.thumb = hashlib.sha1(der).hexdigest().upper()
        self.pubkey = os.path.join(workdir, "client%d.pub.pem" % idx)
        with open(self.pubkey, "wb") as f:
            f.write(pub)


class App:
    def __init__(self, a):
        self.a = a
        self.lock = threading.Lock()
        self.cfg = Config(a, a.host)
        self.base = None          # set once listening
        self.tenant = a.tenant
        self.secrets = {}         # lower name -> Secret
        self.roles = {}           # lower name -> role assignment dict
        self.role_defs = dict(BUILTIN_ROLES)
        self.tokens = {}          # token -> {"aud","exp","client_id","via"}
        self.seq = 0
        self.wts = collections.deque()   # create-secret timestamps
        self.ats = collections.deque()   # all other transactions
        self.tb = {}              # "w"/"a" -> (tokens, time): bucket mode
        self.fw = {}              # "w"/"a" -> (window number, count): fixed
        self.t0 = time.monotonic()
        self.reqlog = base.RequestLog(
            a.log, 20000, lambda e: json.dumps(e, separators=(",", ":")))
        self.workdir = tempfile.mkdtemp(prefix="kvstandin-")
        self.certs = [ClientCert(p, self.workdir, i)
                      for i, p in enumerate(a.client_cert or [])]
        self.vault_name = a.vault_name
        self.peers = [self]       # the vaults of this listener (--vaults)

    def sibling(self, name):
        """Another vault behind the same Entra and ARM: its own secrets,
        budget and configuration; tokens, role assignments, the request
        log and the lock are shared."""
        o = copy.copy(self)
        o.cfg = Config(self.a, self.a.host)
        o.secrets = {}
        o.wts = collections.deque()
        o.ats = collections.deque()
        # Its own counts in every throttle mode (copy.copy shares dicts).
        o.tb = {}
        o.fw = {}
        o.seq = 0
        o.vault_name = name
        self.peers.append(o)
        return o

    def close(self):
        self.reqlog.close()
        shutil.rmtree(self.workdir, ignore_errors=True)

    # ------------------------------------------------------------------ misc
    def next_seq(self):
        self.seq += 1
        return self.seq

    def advance(self, sec, now=None):
        """Finish an asynchronous delete or recovery whose time has come."""
        if sec is None:
            return
        now = time.time() if now is None else now
        if sec.state == "deleting" and now >= sec.ready_at:
            sec.state = "deleted"
        elif sec.state == "recovering" and now >= sec.ready_at:
            sec.state = "active"
            sec.deleted_date = None

    def recovery(self):
        days = self.a.recoverable_days
        level = "Recoverable" if days == 90 else "CustomizedRecoverable"
        if not self.cfg.purge_protection:
            level += "+Purgeable"
        return days, level

    def attrs(self, v):
        days, level = self.recovery()
        d = {"enabled": v.enabled}
        if v.nbf is not None:
            d["nbf"] = v.nbf
        if v.exp is not None:
            d["exp"] = v.exp
        d["created"] = v.created
        d["updated"] = v.updated
        d["recoverableDays"] = days
        d["recoveryLevel"] = level
        return d

    def bundle(self, sec, v, value=True, versioned=True):
        d = {}
        if value:
            d["value"] = v.value
        if v.content_type is not None:
            d["contentType"] = v.content_type
        d["id"] = "%s/secrets/%s" % (self.base, sec.name)
        if versioned:
            d["id"] += "/" + v.vid
        d["attributes"] = self.attrs(v)
        if v.tags is not None:
            d["tags"] = dict(v.tags)
        return d

    def deleted_bundle(self, sec, versioned=True):
        d = self.bundle(sec, sec.latest(), value=False, versioned=versioned)
        days, _ = self.recovery()
        dd = sec.deleted_date or int(time.time())
        d["recoveryId"] = "%s/deletedsecrets/%s" % (self.base, sec.name)
        d["deletedDate"] = dd
        d["scheduledPurgeDate"] = dd + days * 86400
        return d

    # --------------------------------------------------------------- fixture
    def load_fixture(self, doc):
        if not isinstance(doc, dict):
            raise ValueError("fixture must be a JSON object")
        now = int(time.time())
        with self.lock:
            if doc.get("reset"):
                self.secrets.clear()
                self.roles.clear()
            for s in doc.get("secrets", []):
                name = s["name"]
                if not NAME_RE.match(name):
                    raise ValueError("invalid secret name %r" % name)
                vers = s.get("versions")
                if vers is None:
                    vers = [s]
                sec = Secret(name)
                for i, vd in enumerate(vers):
                    at = vd.get("attributes") or {}
                    vid = vd.get("version") or vd.get("id") or uuid.uuid4().hex
                    vid = vid.rsplit("/", 1)[-1].lower()
                    if not VERSION_RE.match(vid):
                        raise ValueError("invalid version id %r" % vid)
                    created = int(vd.get("created", at.get("created",
                                                           now - len(vers) + i)))
                    v = Version(vid, vd["value"], vd.get("contentType"),
                                vd.get("tags"),
                                bool(vd.get("enabled", at.get("enabled", True))),
                                vd.get("nbf", at.get("nbf")),
                                vd.get("exp", at.get("exp")),
                                created, self.next_seq())
                    if "updated" in vd or "updated" in at:
                        v.updated = int(vd.get("updated", at.get("updated")))
                    if not isinstance(v.value, str):
                        raise ValueError("secret %s: value must be a string" % name)
                    sec.add(v)
                if not sec.versions:
                    raise ValueError("secret %s has no versions" % name)
                if s.get("deleted"):
                    sec.state = "deleted"
                    sec.deleted_date = int(s.get("deletedDate", now))
                self.secrets[name.lower()] = sec
            for g in doc.get("roleDefinitions", []):
                self.role_defs[str(g).lower()] = "custom"
            for ra in doc.get("roleAssignments", []):
                name = (ra.get("name") or str(uuid.uuid4())).lower()
                props = ra.get("properties", ra)
                rec = self.new_role(name, ra.get("scope") or props.get("scope"),
                                    props["roleDefinitionId"],
                                    props["principalId"],
                                    props.get("principalType", "User"),
                                    props.get("description"),
                                    props.get("condition"),
                                    props.get("conditionVersion"), "fixture")
                self.roles[name] = rec

    def new_role(self, name, scope, rdid, pid, ptype, desc, cond, condv, who):
        scope = "/" + (scope or "").strip("/")
        t = iso_now()
        return {"name": name, "scope": scope, "roleDefinitionId": rdid,
                "principalId": pid.lower(), "principalType": ptype,
                "description": desc, "condition": cond,
                "conditionVersion": condv, "createdOn": t, "updatedOn": t,
                "createdBy": who, "updatedBy": who}

    def role_json(self, r):
        sc = "" if r["scope"] == "/" else r["scope"]
        return {
            "properties": {
                "roleDefinitionId": r["roleDefinitionId"],
                "principalId": r["principalId"],
                "principalType": r["principalType"],
                "scope": r["scope"],
                "condition": r["condition"],
                "conditionVersion": r["conditionVersion"],
                "createdOn": r["createdOn"],
                "updatedOn": r["updatedOn"],
                "createdBy": r["createdBy"],
                "updatedBy": r["updatedBy"],
                "delegatedManagedIdentityResourceId": None,
                "description": r["description"],
            },
            "id": "%s/providers/Microsoft.Authorization/roleAssignments/%s"
                  % (sc, r["name"]),
            "type": "Microsoft.Authorization/roleAssignments",
            "name": r["name"],
        }

    def state_json(self):
        now = time.time()
        out = []
        with self.lock:
            for key in sorted(self.secrets):
                sec = self.secrets[key]
                self.advance(sec, now)
                vs = []
                for v in sec.versions:
                    at = {"enabled": v.enabled, "nbf": v.nbf, "exp": v.exp,
                          "created": v.created, "updated": v.updated}
                    vs.append({"version": v.vid, "value": v.value,
                               "contentType": v.content_type,
                               "tags": v.tags, "attributes": at})
                d = {"name": sec.name, "state": sec.state, "versions": vs}
                if sec.deleted_date is not None:
                    d["deletedDate"] = sec.deleted_date
                out.append(d)
            roles = [self.role_json(r) for r in
                     sorted(self.roles.values(), key=lambda r: r["name"])]
            active = sum(1 for t in self.tokens.values() if t["exp"] > now)
            ntok = len(self.tokens)
            cfg = self.cfg.as_dict()
        return {"secrets": out, "roleAssignments": roles,
                "tokens": {"issued": ntok, "active": active},
                "config": cfg,
                "vault": {"id": self.vault_id(), "vaultUri": self.base + "/"}}

    # -------------------------------------------------------------- dispatch
    def handle(self, method, rawpath, headers, body):
        """Returns (status, [(name, value)], body bytes); status None drops."""
        sp = urlsplit(rawpath)
        path = re.sub(r"/{2,}", "/", sp.path) or "/"
        qlist = parse_qsl(sp.query, keep_blank_values=True)
        q = {}
        for k, v in qlist:
            q[k] = v
        if path == "/_admin" or path.startswith("/_admin/"):
            return self.admin(method, path, q, body)

        kind = classify(path)
        cfg = self.cfg
        cfg.delay()
        entry = {"time": iso_now(), "vault": self.vault_name,
                 "kind": kind, "method": method,
                 "path": path, "query": q, "status": None, "injected": None,
                 "request_id": str(uuid.uuid4()),
                 "headers": redact_headers(headers),
                 "aud": self.token_aud(headers),
                 "body": redact_body(path, headers, body)}
        res = None
        if kind in ("data", "arm") or cfg.fail_tokens:
            fk = cfg.pick()
            if fk:
                entry["injected"] = fk
                res = self.injected(fk, kind, entry["request_id"], headers)
        if res is None and entry["injected"] is None and cfg.deny and \
                DENIALS[cfg.deny][0] == kind and \
                (headers.get("Authorization") or "").startswith("Bearer "):
            res = self.denial(cfg.deny, method, path, body)
        if res is None and entry["injected"] is None and cfg.odd_answers \
                and kind in ("data", "arm") and \
                (headers.get("Authorization") or "").startswith("Bearer "):
            for odd in cfg.odd_answers:
                if path.startswith(odd["path"]):
                    entry["injected"] = "odd"
                    res = (200, [("Content-Type", "application/json")],
                           jdump(odd["body"]) if "body" in odd else b"")
                    break
        if res is None and entry["injected"] is None:
            try:
                if kind == "data":
                    res = self.data_plane(method, path, q, headers, body)
                elif kind == "arm":
                    res = self.arm(method, path, q, headers, body)
                elif kind == "token":
                    res = self.entra(method, path, q, headers, body)
                elif kind == "meta":
                    res = self.metadata(method, q)
                else:
                    res = self.msi(method, path, q, headers, body)
            except Exception as e:  # a bug here must not kill the connection
                sys.stderr.write("keyvault.py: internal error: %r\n" % (e,))
                res = (500, [], jdump({"error": {"code": "InternalError",
                                                 "message": str(e)}}))
        if res is None:   # drop
            entry["status"] = 0
            self.reqlog.add(entry)
            return None, [], b""
        status, hdrs, payload = res
        hdrs = self.common_headers(kind, headers, entry["request_id"]) + hdrs
        entry["status"] = status
        self.reqlog.add(entry)
        return status, hdrs, payload

    def common_headers(self, kind, req, rid):
        h = [("Cache-Control", "no-cache"), ("Pragma", "no-cache"),
             ("Expires", "-1")]
        if kind == "data":
            # [O js-rec; Azure/AzureSignTool #219; terraform #12285]
            h += [("x-ms-keyvault-region", self.a.location),
                  ("x-ms-request-id", rid),
                  ("x-ms-keyvault-service-version", KV_SERVICE_VERSION),
                  ("x-ms-keyvault-network-info",
                   "conn_type=Ipv4;addr=127.0.0.1;act_addr_fam=InterNetwork;"),
                  ("X-Content-Type-Options", "nosniff"),
                  ("Strict-Transport-Security",
                   "max-age=31536000;includeSubDomains")]
            crid = req.get("x-ms-client-request-id")
            if crid:
                h.append(("x-ms-client-request-id", crid))
        elif kind == "arm":
            h += [("x-ms-request-id", rid),
                  ("x-ms-correlation-request-id",
                   req.get("x-ms-correlation-request-id") or rid),
                  ("x-ms-routing-request-id", "LOCAL:%s:%s" % (
                      time.strftime("%Y%m%dT%H%M%SZ", time.gmtime()), rid)),
                  ("Strict-Transport-Security",
                   "max-age=31536000; includeSubDomains"),
                  ("X-Content-Type-Options", "nosniff")]
            crid = req.get("x-ms-client-request-id")
            if crid:
                h.append(("x-ms-client-request-id", crid))
        else:
            h[0] = ("Cache-Control", "no-store, no-cache")
            h += [("x-ms-request-id", rid),
                  ("Strict-Transport-Security",
                   "max-age=31536000; includeSubDomains"),
                  ("X-Content-Type-Options", "nosniff")]
            if kind == "token":
                h.append(("x-ms-ests-server", "2.1.0.0 - LOCAL ProdSlices"))
                crid = req.get("client-request-id")
                if crid:
                    h.append(("client-request-id", crid))
        return h

    def denial(self, name, method, path, body):
        """A refusal the real service gives once the token is good."""
        kind, status, code, inner, msg = DENIALS[name]
        if name == "arm-forbidden" and method not in ("PUT", "DELETE"):
            return None     # a reader of the scope may not write to it
        if name == "principal-not-found":
            # Only a PUT without principalType needs the directory lookup
            # that fails for a principal not yet replicated [O Azure/AgentBaker
            # PR #8251; azure-cli retries on ' does not exist in the directory '].
            try:
                props = json.loads(body or b"{}").get("properties") or {}
            except ValueError:
                props = {}
            if method != "PUT" or props.get("principalType"):
                return None
            msg = msg % (props.get("principalId"), self.a.tenant)
        elif kind == "data":
            msg = msg % {"vault": self.vault_name, "path": path}
        else:
            msg = msg % {"scope": path.split("/providers/Microsoft.Authorization")[0]}
        err = {"code": code, "message": msg}
        if inner:
            err["innererror"] = {"code": inner}
        return status, [json_ct()], jdump({"error": err})

    def injected(self, fk, kind, rid, headers):
        if fk == "drop":
            return None
        if kind == "token":
            err = {"500": ("server_error", 500), "503": (
                "temporarily_unavailable", 503), "429": ("temporarily_unavailable", 429)}[fk]
            return aad_error(err[1], err[0], 90033 if fk != "500" else 50000,
                             "A transient error has occurred. Please try again.")
        if kind == "msi":
            return (int(fk), [json_ct()], jdump(
                {"error": "service_unavailable" if fk != "500" else "unknown",
                 "error_description": "Injected failure %s" % fk}))
        if fk == "429":
            if kind == "arm":
                return (429, [json_ct(), ("Retry-After", "1")], jdump(
                    {"error": {"code": "TooManyRequests", "message":
                               "The request is being throttled."}}))
            return (429, [json_ct(), ("Retry-After", "1")], jdump(
                {"error": {"code": "Throttled", "message": MSG_THROTTLED}}))
        if fk == "503":
            return (503, [json_ct()], jdump(
                {"error": {"code": "ServiceUnavailable", "message":
                           "The service is temporarily unavailable. Please "
                           "retry the request later."}}))
        return (500, [json_ct()], jdump(
            {"error": {"code": "InternalServerError", "message":
                       "An internal server error occurred. Please retry the "
                       "request."}}))

    # ------------------------------------------------------------- tokens
    def issue(self, aud, client_id, via):
        tok = pysecrets.token_urlsafe(48)
        exp = time.time() + float(self.cfg.token_lifetime)
        with self.lock:
            self.tokens[tok] = {"aud": aud.rstrip("/"), "exp": exp,
                                "client_id": client_id, "via": via}
        return tok, int(exp)

    def lookup_token(self, headers):
        auth = headers.get("Authorization") or ""
        if not auth[:7].lower() == "bearer ":
            return None, "missing"
        tok = auth[7:].strip()
        with self.lock:
            info = self.tokens.get(tok)
        if info is None:
            return None, "unknown"
        if info["exp"] <= time.time():
            return info, "expired"
        return info, None

    def token_aud(self, headers):
        """The audience of the Bearer token a request carries, or None."""
        auth = headers.get("Authorization") or ""
        if auth[:7].lower() != "bearer ":
            return None
        with self.lock:
            info = self.tokens.get(auth[7:].strip())
        return info["aud"] if info else None

    def arm_audiences(self):
        if self.cfg.arm_audience:
            return (norm_aud(self.cfg.arm_audience),)
        return ARM_AUDIENCES

    def known_resources(self):
        # Entra issues a token for any Resource Manager audience: which one
        # Resource Manager takes is its own affair (arm_audiences).
        return {norm_aud(x.cfg.challenge_resource) for x in self.peers} | {
                "https://vault.azure.net", "https://graph.microsoft.com"} | \
            set(ARM_AUDIENCES) | set(self.arm_audiences())

    def metadata(self, method, q):
        """The cloud's metadata document, as ARM serves it without a token.

        Shape of api-version 2022-09-01: one object [V hashicorp/go-azure-sdk
        sdk/environments metaDataResponse20220901; Azure/azure-cli
        cloud.py _arm_to_cli_mapper reads the same keys]; 2019-05-01 and
        older answer a list of clouds."""
        if method != "GET":
            return self.arm_err(405, "MethodNotAllowed", "The requested "
                                "method is not supported.")  # [S]
        v = q.get("api-version")
        if v not in ("2019-05-01", "2020-06-01", "2022-09-01"):
            return self.arm_err(400, "InvalidApiVersionParameter", "The "
                                "api-version '%s' is invalid. The supported "
                                "versions are '2022-09-01,2020-06-01,"
                                "2019-05-01'." % v)  # [S]
        b = self.base
        kv = urlsplit(self.cfg.challenge_resource).hostname or ""
        if self.cfg.arm_audience:
            auds = [self.cfg.arm_audience]
            name = "StandInCloud"
        else:
            auds = ["https://management.core.windows.net/",
                    "https://management.azure.com/"]
            name = "AzureCloud"
        doc = {"portal": b, "name": name,
               "authentication": {"loginEndpoint": b + "/",
                                  "audiences": auds, "tenant": "common",
                                  "identityProvider": "AAD"},
               "media": b, "graphAudience": b, "graph": b,
               "suffixes": {"keyVaultDns": kv, "storage": "core.localhost",
                            "sqlServerHostname": "database.localhost",
                            "acrLoginServer": "azurecr.localhost"},
               "batch": b, "resourceManager": b + "/",
               "vmImageAliasDoc": b, "activeDirectoryDataLake": b,
               "sqlManagement": b, "microsoftGraphResourceId": b + "/",
               "gallery": b}
        return (200, [json_ct()], jdump(doc if v == "2022-09-01" else [doc]))

    # ------------------------------------------------------------ throttling
    def throttle(self, is_create):
        """None when the request is within its budget (and counted), else
        the seconds to wait, for Retry-After."""
        cfg = self.cfg
        now = time.monotonic()
        with self.lock:
            kind = "w" if is_create else "a"
            limit = cfg.write_limit if is_create else cfg.all_limit
            if limit <= 0:
                return None
            if cfg.throttle_mode == "bucket":
                # Full at first; refills the whole budget in one window.
                rate = limit / cfg.window
                tokens, last = self.tb.get(kind, (float(limit), now))
                tokens = min(float(limit), tokens + (now - last) * rate)
                if tokens < 1:
                    self.tb[kind] = (tokens, now)
                    return max(1, int(math.ceil((1 - tokens) / rate)))
                self.tb[kind] = (tokens - 1, now)
                return None
            if cfg.throttle_mode == "fixed":
                # Windows one after the other from the server's start.
                n = int((now - self.t0) // cfg.window)
                win, count = self.fw.get(kind, (n, 0))
                if win != n:
                    count = 0
                if count >= limit:
                    self.fw[kind] = (n, count)
                    end = self.t0 + (n + 1) * cfg.window
                    return max(1, int(math.ceil(end - now)))
                self.fw[kind] = (n, count + 1)
                return None
            dq = self.wts if is_create else self.ats
            cutoff = now - cfg.window
            while dq and dq[0] <= cutoff:
                dq.popleft()
            if len(dq) >= limit:
                return max(1, int(math.ceil(dq[0] + cfg.window - now)))
            dq.append(now)
        return None

    # ------------------------------------------------------------ data plane
    def kv_err(self, status, code, msg, inner=None, extra=None):
        e = {"code": code, "message": msg}
        if inner:
            e["innererror"] = {"code": inner}
        return (status, [json_ct()] + (extra or []), jdump({"error": e}))

    def kv_ok(self, obj, status=200):
        return (status, [json_ct()], jdump(obj))

    def data_plane(self, method, path, q, headers, body):
        cfg = self.cfg
        # Authentication first: the SDK's first request carries no token and
        # no body, to elicit the challenge [V challenge_auth_policy.py].
        info, why = self.lookup_token(headers)
        res = cfg.challenge_resource
        chal = 'Bearer authorization="%s/%s", resource="%s"' % (
            self.base, cfg.challenge_tenant or self.tenant, res)
        if cfg.challenge_scope is not None:
            chal += ', scope="%s"' % cfg.challenge_scope
        chal = [("WWW-Authenticate", chal)]
        if why in ("missing", "unknown"):
            return self.kv_err(401, "Unauthorized", "AKV10000: Request is "
                               "missing a Bearer or PoP token.", extra=chal)
        if why == "expired":
            # [O Azure/azure-sdk-for-python #27266, CDCgov/prime-reportstream #2566]
            return self.kv_err(401, "Unauthorized", "[TokenExpired] Error "
                               "validating token: 'S2S12086'.", extra=chal)
        if norm_aud(info["aud"]) != norm_aud(res):
            # [O microsoft/vscode-azure-account #679; argocd-vault-plugin #621]
            return self.kv_err(401, "Unauthorized", "AKV10022: Invalid "
                               "audience. Expected %s, found: %s."
                               % (res, info["aud"]), extra=chal)

        segs = path.strip("/").split("/") if path != "/" else [""]
        if path.endswith("/") and path != "/":
            segs.append("")
        top = segs[0].lower()
        is_create = (method == "PUT" and top == "secrets" and
                     (len(segs) == 2 or (len(segs) == 3 and segs[2] == "")))
        retry = self.throttle(is_create)
        if retry is not None:
            return self.kv_err(429, "Throttled", MSG_THROTTLED,
                               extra=[("Retry-After", str(retry))])

        ver = q.get("api-version")
        if ver not in KV_API_VERSIONS:
            return self.kv_err(400, "BadParameter", "The specified version (%s)"
                               " is not recognized. Consider using the latest "
                               "supported version (%s)."
                               % (ver or "", KV_LATEST))

        if top not in ("secrets", "deletedsecrets"):
            return self.kv_not_found_route()
        if cfg.enforce_rbac:
            refused = self.rbac_refusal(info, method, top, segs)
            if refused is not None:
                return refused
        if bare(segs, 1):
            if method != "GET":
                return self.not_allowed()
            if top == "secrets":
                return self.list_secrets(path.rstrip("/"), q, ver)
            return self.list_deleted(path.rstrip("/"), q, ver)
        name = unquote(segs[1])
        if not NAME_RE.match(name):
            return self.kv_err(400, "BadParameter", MSG_BAD_NAME.format(name))
        rest = segs[2:]
        if top == "deletedsecrets":
            if bare(rest, 0):
                if method == "GET":
                    return self.get_deleted(name)
                if method == "DELETE":
                    return self.purge(name)
                return self.not_allowed()
            if rest[0].lower() == "recover" and bare(rest, 1):
                if method != "POST":
                    return self.not_allowed()
                return self.recover(name)
            return self.kv_not_found_route()
        if bare(rest, 0):
            if method == "PUT":
                return self.set_secret(name, body)
            if method == "GET":
                return self.get_secret(name, None)
            if method == "PATCH":
                return self.update_secret(name, None, body)
            if method == "DELETE" and not rest:
                return self.delete_secret(name)
            return self.not_allowed()
        if rest[0].lower() == "versions" and bare(rest, 1):
            if method != "GET":
                return self.not_allowed()
            return self.list_versions(name, path.rstrip("/"), q, ver)
        if bare(rest, 1):
            vid = unquote(rest[0])
            if method == "GET":
                return self.get_secret(name, vid)
            if method == "PATCH":
                return self.update_secret(name, vid, body)
            return self.not_allowed()
        return self.kv_not_found_route()

    def route_action(self, method, top, segs):
        """The data action a request needs and the resource it acts on,
        or (None, None) for a route that answers 404 or 405 anyway."""
        rest = segs[1:]
        if bare(segs, 1):
            return ((KV_DATA + "readMetadata/action", "")
                    if method == "GET" else (None, None))
        res = "/secrets/" + unquote(segs[1])
        rest = segs[2:]
        if top == "deletedsecrets":
            if bare(rest, 0):
                act = {"GET": "readMetadata/action", "DELETE": "purge/action"}
            elif rest[0].lower() == "recover" and bare(rest, 1):
                act = {"POST": "recover/action"}
            else:
                act = {}
        elif bare(rest, 0):
            act = {"PUT": "setSecret/action", "GET": "getSecret/action",
                   "PATCH": "update/action", "DELETE": "delete"}
        elif rest[0].lower() == "versions" and bare(rest, 1):
            act = {"GET": "readMetadata/action"}
        elif bare(rest, 1):
            act = {"GET": "getSecret/action", "PATCH": "update/action"}
        else:
            act = {}
        if method not in act:
            return None, None
        return KV_DATA + act[method], res

    def caller_permissions(self, principal, scope):
        """The permission entries of every role assignment of principal
        at scope or above it."""
        with self.lock:
            rds = [role_guid(r["roleDefinitionId"]) for r in
                   sorted(self.roles.values(), key=lambda r: r["name"])
                   if r["principalId"] == principal.lower() and
                   scope_covers(r["scope"], scope)]
        out = []
        for g in rds:
            out += [dict(p) for p in ROLE_PERMISSIONS.get(g, [_perm()])]
        return out

    def rbac_refusal(self, info, method, top, segs):
        """403 ForbiddenByRbac unless a role assignment of the caller grants
        the request's data action (DENIALS["rbac"] is the real text)."""
        action, res = self.route_action(method, top, segs)
        if action is None:
            return None
        cid = info.get("client_id") or ""
        scope = self.vault_id() + res
        if any(perm_allows(p, action, True)
               for p in self.caller_permissions(cid, scope)):
            return None
        msg = ("Caller is not authorized to perform action on resource.\r\n"
               "If role assignments, deny assignments or role definitions "
               "were changed recently, please observe propagation time.\r\n"
               "Caller: appid=%s;oid=%s;iss=https://sts.windows.net/%s/\r\n"
               "Action: '%s'\r\nResource: '%s'\r\n"
               "Assignment: (not found)\r\nDenyAssignmentId: null\r\n"
               "DecisionReason: 'DeniedWithNoValidRBAC' \r\n"
               "Vault: %s;location=%s\r\n" % (
                   cid, cid, self.tenant, action, scope.lower(),
                   self.a.vault_name, self.a.location))
        return self.kv_err(403, "Forbidden", msg, "ForbiddenByRbac")

    def not_allowed(self):
        return self.kv_err(405, "MethodNotAllowed", "The requested method is "
                           "not allowed for this resource.")  # [S]

    def kv_not_found_route(self):
        return self.kv_err(404, "NotFound", "The requested resource was not "
                           "found.")  # [S]

    def parse_json_body(self, body):
        if not body or not body.strip():
            raise HTTPError(self.kv_err(400, "BadParameter",
                                        "The request body is missing."))  # [S]
        try:
            doc = json.loads(body.decode("utf-8"))
        except (ValueError, UnicodeDecodeError):
            raise HTTPError(self.kv_err(400, "BadParameter", "The request "
                                        "body is not a valid JSON document."))
        if not isinstance(doc, dict):
            raise HTTPError(self.kv_err(400, "BadParameter", "The request "
                                        "body is not a valid JSON object."))
        return doc

    def check_props(self, doc):
        """Validate contentType/tags/attributes; exact texts unknown [S]."""
        ct = doc.get("contentType")
        if ct is not None:
            if not isinstance(ct, str):
                raise HTTPError(self.kv_err(400, "BadParameter",
                                            "Property contentType must be a string."))
            if len(ct) > MAX_CONTENT_TYPE:
                raise HTTPError(self.kv_err(
                    400, "BadParameter", "Property contentType is too long. "
                    "The maximum length is %d characters." % MAX_CONTENT_TYPE))
        tags = doc.get("tags")
        if tags is not None:
            if not isinstance(tags, dict):
                raise HTTPError(self.kv_err(400, "BadParameter",
                                            "Property tags must be an object."))
            if len(tags) > MAX_TAGS:
                raise HTTPError(self.kv_err(
                    400, "BadParameter", "The number of tags (%d) exceeds the "
                    "maximum of %d." % (len(tags), MAX_TAGS)))
            lim = int(self.cfg.tag_length)
            for k, v in tags.items():
                if not isinstance(v, str):
                    raise HTTPError(self.kv_err(
                        400, "BadParameter", "Tag %s: value must be a string." % k))
                if len(k) > lim:
                    raise HTTPError(self.kv_err(
                        400, "BadParameter", "Tag name is too long. The "
                        "maximum length is %d characters." % lim))
                if len(v) > lim:
                    raise HTTPError(self.kv_err(
                        400, "BadParameter", "Tag value is too long. The "
                        "maximum length is %d characters." % lim))
        at = doc.get("attributes")
        if at is not None:
            if not isinstance(at, dict):
                raise HTTPError(self.kv_err(400, "BadParameter",
                                            "Property attributes must be an object."))
            if "enabled" in at and at["enabled"] is not None and \
                    not isinstance(at["enabled"], bool):
                raise HTTPError(self.kv_err(400, "BadParameter",
                                            "Attribute enabled must be a boolean."))
            for k in ("nbf", "exp"):
                v = at.get(k)
                if v is not None and (isinstance(v, bool) or
                                      not isinstance(v, int)):
                    raise HTTPError(self.kv_err(
                        400, "BadParameter", "Attribute %s must be an integer "
                        "(seconds since 1970-01-01)." % k))
        return ct, tags, at or {}

    def set_secret(self, name, body):
        try:
            doc = self.parse_json_body(body)
            value = doc.get("value")
            if not isinstance(value, str):
                raise HTTPError(self.kv_err(400, "BadParameter",
                                            "Property value is required."))  # [S]
            if len(value.encode("utf-8")) > MAX_VALUE_BYTES:
                # exact service text not found [S]; wording from az CLI
                raise HTTPError(self.kv_err(
                    400, "BadParameter", "Secret is beyond the maximum "
                    "permitted length of %d characters." % MAX_VALUE_BYTES))
            ct, tags, at = self.check_props(doc)
        except HTTPError as e:
            return e.args[0]
        now = time.time()
        with self.lock:
            sec = self.secrets.get(name.lower())
            self.advance(sec, now)
            if sec is not None:
                if sec.state == "deleting":
                    return self.kv_err(409, "Conflict",
                                       MSG_BEING_DELETED.format(sec.name),
                                       "ObjectIsBeingDeleted")
                if sec.state == "deleted":
                    return self.kv_err(409, "Conflict",
                                       MSG_DELETED_CONFLICT.format(sec.name),
                                       "ObjectIsDeletedButRecoverable")
                if sec.state == "recovering":
                    return self.kv_err(409, "Conflict",
                                       MSG_BEING_RECOVERED.format(sec.name),
                                       "ObjectIsBeingRecovered")
            else:
                sec = Secret(name)
                self.secrets[name.lower()] = sec
            en = at.get("enabled")
            v = Version(uuid.uuid4().hex, value, ct,
                        dict(tags) if tags is not None else None,
                        True if en is None else en, at.get("nbf"),
                        at.get("exp"), int(now), self.next_seq())
            sec.add(v)
            return self.kv_ok(self.bundle(sec, v))

    def active(self, name, vid=None):
        sec = self.secrets.get(name.lower())
        self.advance(sec)
        if sec is None or sec.state != "active":
            return None, None
        if vid is None or vid == "":
            return sec, sec.latest()
        return sec, sec.by_id.get(vid.lower())

    def get_secret(self, name, vid):
        with self.lock:
            sec, v = self.active(name, vid)
            if v is None:
                shown = (sec.name if sec else name) + ("/" + vid if vid else "")
                return self.kv_err(404, "SecretNotFound",
                                   MSG_NOT_FOUND.format(shown))
            if not v.enabled:
                # [O azure-sdk-for-js tests].  nbf/exp are not enforced: an
                # expired secret still reads 200 [O Azure/AzureKeyVault #19],
                # whatever about-secrets.md suggests.
                return self.kv_err(403, "Forbidden", MSG_DISABLED,
                                   "SecretDisabled")
            return self.kv_ok(self.bundle(sec, v))

    def update_secret(self, name, vid, body):
        try:
            doc = self.parse_json_body(body)
            ct, tags, at = self.check_props(doc)
        except HTTPError as e:
            return e.args[0]
        with self.lock:
            sec, v = self.active(name, vid)
            if v is None:
                shown = (sec.name if sec else name) + ("/" + vid if vid else "")
                return self.kv_err(404, "SecretNotFound",
                                   MSG_NOT_FOUND.format(shown))
            # "attributes not specified are left unchanged" [V specs7.4]
            if "contentType" in doc:
                v.content_type = ct
            if "tags" in doc:
                v.tags = dict(tags) if tags is not None else None
            if "enabled" in at and at["enabled"] is not None:
                v.enabled = at["enabled"]
            for k in ("nbf", "exp"):
                if k in at:
                    setattr(v, k, at[k])
            v.updated = int(time.time())
            return self.kv_ok(self.bundle(sec, v, value=False))

    def delete_secret(self, name):
        now = time.time()
        with self.lock:
            sec, v = self.active(name)
            if v is None:
                return self.kv_err(404, "SecretNotFound", MSG_NOT_FOUND.format(
                    sec.name if sec else name))
            sec.deleted_date = int(now)
            delay = float(self.cfg.delete_delay)
            if delay > 0:
                sec.state, sec.ready_at = "deleting", now + delay
            else:
                sec.state = "deleted"
            return self.kv_ok(self.deleted_bundle(sec))

    def deleted(self, name):
        sec = self.secrets.get(name.lower())
        self.advance(sec)
        if sec is None or sec.state != "deleted":
            return None
        return sec

    def get_deleted(self, name):
        with self.lock:
            sec = self.deleted(name)
            if sec is None:
                return self.kv_err(404, "SecretNotFound",
                                   MSG_DELETED_NOT_FOUND.format(name))
            return self.kv_ok(self.deleted_bundle(sec))

    def purge(self, name):
        with self.lock:
            sec = self.deleted(name)
            if sec is None:
                return self.kv_err(404, "SecretNotFound",
                                   MSG_DELETED_NOT_FOUND.format(name))
            if self.cfg.purge_protection:
                return self.kv_err(403, "Forbidden", 'Operation "purge" is '
                                   'not allowed because purge protection is '
                                   'enabled for this vault.')  # [S]
            del self.secrets[name.lower()]
            return (204, [], b"")

    def recover(self, name):
        now = time.time()
        with self.lock:
            sec = self.deleted(name)
            if sec is None:
                # recovering a name that is not soft-deleted: SecretNotFound
                # [O js-rec canrecoveradeletedsecretnonexisting]
                return self.kv_err(404, "SecretNotFound",
                                   MSG_NOT_FOUND.format(name))
            delay = float(self.cfg.recover_delay)
            if delay > 0:
                sec.state, sec.ready_at = "recovering", now + delay
            else:
                sec.state, sec.deleted_date = "active", None
            return self.kv_ok(self.bundle(sec, sec.latest(), value=False))

    # ---- paging
    def page_args(self, q):
        mr = q.get("maxresults")
        if mr is None or mr == "":
            n = 25
        else:
            try:
                n = int(mr)
            except ValueError:
                n = -1
            if n < 1 or n > 25:
                # maxresults 1..25 [V specs7.4]; exact text [S]
                raise HTTPError(self.kv_err(
                    400, "BadParameter", "Invalid value for maxresults: %s. "
                    "The value must be between 1 and 25." % mr))
        tok = q.get("$skiptoken")
        marker, empty_done = None, False
        if tok:
            try:
                d = json.loads(b64url_decode(tok).decode("utf-8"))
                marker = d.get("NextMarker")
                empty_done = bool(d.get("E"))
            except Exception:
                raise HTTPError(self.kv_err(400, "BadParameter",
                                            "Invalid skip token."))  # [S]
        return n, marker, empty_done, mr

    def next_link(self, path, ver, marker, mr, empty):
        d = {"NextMarker": marker, "TargetLocation": 0}
        if empty:
            d["E"] = 1
        tok = b64url_encode(json.dumps(d, separators=(",", ":")).encode())
        # absolute, carrying api-version, $skiptoken and maxresults [V specs7.4 examples]
        link = "%s%s?api-version=%s&$skiptoken=%s" % (self.base, path, ver, tok)
        if mr:
            link += "&maxresults=%s" % quote(mr)
        return link

    def paged(self, keyed, path, q, ver):
        """keyed: sorted list of (key, item-builder)."""
        try:
            n, marker, empty_done, mr = self.page_args(q)
        except HTTPError as e:
            return e.args[0]
        if self.cfg.empty_pages and not empty_done:
            # an empty page that still has a nextLink, as the real service
            # may send [O Azure/azure-sdk-for-go #10711]
            return self.kv_ok({"value": [], "nextLink": self.next_link(
                path, ver, marker, mr, True)})
        rest = [kb for kb in keyed if marker is None or kb[0] > marker]
        page = rest[:n]
        items = [b() for _, b in page]
        nl = None
        if len(rest) > n:
            nl = self.next_link(path, ver, page[-1][0], mr, False)
        # last page: "nextLink": null, present [O js-rec]
        return self.kv_ok({"value": items, "nextLink": nl})

    def list_secrets(self, path, q, ver):
        with self.lock:
            now = time.time()
            keyed = []
            for key in sorted(self.secrets):
                sec = self.secrets[key]
                self.advance(sec, now)
                if sec.state == "active":
                    keyed.append((key, self.item_builder(sec, sec.latest(), False)))
            return self.paged(keyed, path, q, ver)

    def item_builder(self, sec, v, versioned):
        # built only for the items of the page (the lock is held meanwhile)
        return lambda: self.bundle(sec, v, value=False, versioned=versioned)

    def list_versions(self, name, path, q, ver):
        with self.lock:
            sec, _ = self.active(name)
            keyed = []
            if sec is not None:
                for v in sec.versions:
                    keyed.append(("%012d" % v.seq, self.item_builder(sec, v, True)))
            return self.paged(keyed, path, q, ver)

    def list_deleted(self, path, q, ver):
        with self.lock:
            now = time.time()
            keyed = []
            for key in sorted(self.secrets):
                sec = self.secrets[key]
                self.advance(sec, now)
                if sec.state == "deleted":
                    keyed.append((key, (lambda sec=sec: self.deleted_bundle(
                        sec, versioned=False))))
            return self.paged(keyed, path, q, ver)

    # ------------------------------------------------------------------ Entra
    def entra(self, method, path, q, headers, body):
        m = re.match(r"^/([^/]+)/(v2\.0/)?\.well-known/openid-configuration$", path)
        if m:
            if method != "GET":
                return aad_error(405, "invalid_request", 900561,
                                 "The endpoint only accepts GET requests.")
            return self.openid(unquote(m.group(1)), bool(m.group(2)))
        if path.lower() == "/common/discovery/instance":
            t = self.tenant
            return (200, [json_ct()], jdump({
                "tenant_discovery_endpoint": "%s/%s/v2.0/.well-known/openid-"
                "configuration" % (self.base, t),
                "api-version": "1.1",
                "metadata": [{"preferred_network": self.host_port(),
                              "preferred_cache": self.host_port(),
                              "aliases": [self.host_port()]}]}))
        m = re.match(r"^/([^/]+)/oauth2/(v2\.0/)?token$", path)
        if not m:
            return aad_error(404, "invalid_request", 900561,
                             "The requested endpoint was not found.")  # [S]
        if method != "POST":
            return aad_error(405, "invalid_request", 900561, "The endpoint "
                             "only accepts POST, OPTIONS requests. Received a "
                             "%s request." % method)
        return self.token(unquote(m.group(1)), bool(m.group(2)), headers, body)

    def host_port(self):
        return self.base.split("://", 1)[1]

    def tenant_ok(self, t):
        return t.lower() == (self.tenant or "").lower()

    def tenant_error(self, t):
        # [V entra reference-error-codes: AADSTS90002]
        return aad_error(400, "invalid_request", 90002, "Tenant '%s' not "
                         "found. Check to make sure you have the correct "
                         "tenant ID and are signing into the correct cloud. "
                         "Check with your subscription administrator, this "
                         "may happen if there are no active subscriptions for "
                         "the tenant." % t)

    def openid(self, t, v2):
        if not (self.tenant_ok(t) or t.lower() in ("common", "organizations")):
            st, h, b = self.tenant_error(t)
            d = json.loads(b)
            d["error"] = "invalid_tenant"
            return (st, h, jdump(d))
        b = "%s/%s" % (self.base, t)
        # shape of the real document [O Azure/azure-workload-identity #682]
        if v2:
            doc = {
                "token_endpoint": b + "/oauth2/v2.0/token",
                "token_endpoint_auth_methods_supported": [
                    "client_secret_post", "private_key_jwt",
                    "client_secret_basic"],
                "jwks_uri": b + "/discovery/v2.0/keys",
                "response_modes_supported": ["query", "fragment", "form_post"],
                "subject_types_supported": ["pairwise"],
                "id_token_signing_alg_values_supported": ["RS256"],
                "response_types_supported": ["code", "id_token",
                                             "code id_token", "id_token token"],
                "scopes_supported": ["openid", "profile", "email",
                                     "offline_access"],
                "issuer": b + "/v2.0",
                "request_uri_parameter_supported": False,
                "userinfo_endpoint": "https://graph.microsoft.com/oidc/userinfo",
                "authorization_endpoint": b + "/oauth2/v2.0/authorize",
                "device_authorization_endpoint": b + "/oauth2/v2.0/devicecode",
                "http_logout_supported": True,
                "frontchannel_logout_supported": True,
                "end_session_endpoint": b + "/oauth2/v2.0/logout",
                "claims_supported": ["sub", "iss", "cloud_instance_name",
                                     "cloud_instance_host_name",
                                     "cloud_graph_host_name", "msgraph_host",
                                     "aud", "exp", "iat", "auth_time", "acr",
                                     "nonce", "preferred_username", "name",
                                     "tid", "ver", "at_hash", "c_hash",
                                     "email"],
                "kerberos_endpoint": b + "/kerberos",
                "tenant_region_scope": "NA",
                "cloud_instance_name": "microsoftonline.com",
                "cloud_graph_host_name": "graph.windows.net",
                "msgraph_host": "graph.microsoft.com",
                "rbac_url": "https://pas.windows.net",
            }
        else:
            doc = {
                "token_endpoint": b + "/oauth2/token",
                "token_endpoint_auth_methods_supported": [
                    "client_secret_post", "private_key_jwt",
                    "client_secret_basic"],
                "jwks_uri": b + "/discovery/keys",
                "response_modes_supported": ["query", "fragment", "form_post"],
                "subject_types_supported": ["pairwise"],
                "id_token_signing_alg_values_supported": ["RS256"],
                "response_types_supported": ["code", "id_token",
                                             "code id_token", "token id_token",
                                             "token"],
                "scopes_supported": ["openid"],
                "issuer": "https://sts.windows.net/%s/" % t,
                "authorization_endpoint": b + "/oauth2/authorize",
                "device_authorization_endpoint": b + "/oauth2/devicecode",
                "end_session_endpoint": b + "/oauth2/logout",
                "tenant_region_scope": "NA",
                "cloud_instance_name": "microsoftonline.com",
                "cloud_graph_host_name": "graph.windows.net",
                "msgraph_host": "graph.microsoft.com",
            }
        return (200, [json_ct()], jdump(doc))

    def token(self, t, v2, headers, body):
        form = {}
        try:
            for k, v in parse_qsl(body.decode("utf-8"), keep_blank_values=True):
                form[k] = v
        except UnicodeDecodeError:
            pass
        if not self.tenant_ok(t):
            return self.tenant_error(t)
        # client_secret_basic (RFC 6749 2.3.1) [V entra client-creds flow]
        basic_id = basic_secret = None
        auth = headers.get("Authorization") or ""
        if auth[:6].lower() == "basic ":
            try:
                raw = base64.b64decode(auth[6:].strip()).decode("utf-8")
                i, _, s = raw.partition(":")
                basic_id, basic_secret = unquote(i), unquote(s)
            except Exception:
                pass
        gt = form.get("grant_type")
        if not gt:
            return aad_error(400, "invalid_request", 900144, "The request body "
                             "must contain the following parameter: "
                             "'grant_type'.")
        if gt != "client_credentials":
            return aad_error(400, "unsupported_grant_type", 70003, "The app "
                             "requested an unsupported grant type '%s'." % gt)  # [S]
        cid = form.get("client_id") or basic_id
        if not cid:
            return aad_error(400, "invalid_request", 900144, "The request body "
                             "must contain the following parameter: "
                             "'client_id'.")
        if self.a.client_id and cid != self.a.client_id:
            # [V entra error codes AADSTS700016]
            return aad_error(400, "unauthorized_client", 700016, "Application "
                             "with identifier '%s' was not found in the "
                             "directory '%s'. This can happen if the "
                             "application has not been installed by the "
                             "administrator of the tenant or consented to by "
                             "any user in the tenant. You may have sent your "
                             "authentication request to the wrong tenant."
                             % (cid, t))
        # resource: v2 scope=<R>/.default, v1 resource=<R>
        if v2:
            scope = form.get("scope")
            if not scope:
                return aad_error(400, "invalid_request", 900144, "The request "
                                 "body must contain the following parameter: "
                                 "'scope'.")
            scopes = [s for s in scope.split() if s.lower() not in IGNORED_SCOPES]
            if len(scopes) != 1 or not scopes[0].endswith("/.default"):
                return aad_error(400, "invalid_scope", 1002012, "The provided "
                                 "value for scope %s is not valid. Client "
                                 "credential flows must have a scope value "
                                 "with /.default suffixed to the resource "
                                 "identifier (application ID URI)." % scope)
            resource = scopes[0][:-len("/.default")]
        else:
            resource = form.get("resource") or ""
        if norm_aud(resource) not in self.known_resources():
            return aad_error(400, "invalid_resource", 500011, "The resource "
                             "principal named %s was not found in the tenant "
                             "named %s. This can happen if the application has "
                             "not been installed by the administrator of the "
                             "tenant or consented to by any user in the tenant. "
                             "You might have sent your authentication request "
                             "to the wrong tenant." % (resource, t))
        secret = form.get("client_secret", basic_secret)
        assertion = form.get("client_assertion")
        if assertion is not None:
            if form.get("client_assertion_type") != JWT_BEARER:
                return aad_error(400, "invalid_request", 900144, "The request "
                                 "body must contain the following parameter: "
                                 "'client_assertion_type'.")  # [S]
            err, via = self.check_assertion(assertion, cid, t, v2)
            if err:
                return err
        elif secret is not None:
            if not self.a.client_secret or secret != self.a.client_secret:
                # [O OfficeDev/microsoft-365-agents-toolkit #8621: 401 body]
                return aad_error(401, "invalid_client", 7000215, "Invalid "
                                 "client secret provided. Ensure the secret "
                                 "being sent in the request is the client "
                                 "secret value, not the client secret ID, for "
                                 "a secret added to app '%s'." % cid)
            via = "client_secret"
        else:
            return aad_error(401, "invalid_client", 7000218, "The request body "
                             "must contain the following parameter: "
                             "'client_assertion' or 'client_secret'.")
        tok, exp = self.issue(resource, cid, via)
        life = int(round(float(self.cfg.token_lifetime)))
        if v2:
            # [V entra client-creds flow; ext_expires_in O js-rec]
            doc = {"token_type": "Bearer", "expires_in": life,
                   "ext_expires_in": life, "access_token": tok}
        else:
            now = int(time.time())
            doc = {"token_type": "Bearer", "expires_in": str(life),
                   "ext_expires_in": str(life), "expires_on": str(exp),
                   "not_before": str(now), "resource": resource,
                   "access_token": tok}
        return (200, [json_ct()], jdump(doc))

    def check_assertion(self, assertion, cid, t, v2):
        """Returns (error response or None, how)."""
        fed = self.a.federated_token
        if fed and assertion == fed:
            return None, "federated_token"
        parts = assertion.split(".")
        try:
            if len(parts) != 3:
                raise ValueError
            header = json.loads(b64url_decode(parts[0]))
            claims = json.loads(b64url_decode(parts[1]))
            sig = b64url_decode(parts[2])
            if not isinstance(header, dict) or not isinstance(claims, dict):
                raise ValueError
        except Exception:
            return aad_error(401, "invalid_client", 50027, "JWT token is "
                             "invalid or malformed."), None  # [S]
        # compared without base64 padding: MSAL and azure-identity's own
        # AadClientCertificate pad it, RFC 7515 does not
        x5t = str(header.get("x5t") or "").rstrip("=") or None
        x5t256 = str(header.get("x5t#S256") or "").rstrip("=") or None
        if fed and not x5t and not x5t256:
            # a federated token that is not the registered one
            # [O Azure/azure-workload-identity #1200: AADSTS700213]
            return aad_error(401, "invalid_client", 700213, "No matching "
                             "federated identity record found for presented "
                             "assertion subject '%s'. Check your federated "
                             "identity credential Subject, Audience and Issuer "
                             "against the presented assertion. "
                             "https://learn.microsoft.com/entra/workload-id/"
                             "workload-identity-federation"
                             % claims.get("sub", "")), None
        cert = None
        for c in self.certs:
            if (x5t256 and x5t256 == c.x5t256) or (x5t and x5t == c.x5t):
                cert = c
                break
        if cert is None:
            thumb = ""
            if x5t:
                try:
                    thumb = b64url_decode(x5t).hex().upper()
                except Exception:
                    thumb = x5t
            return aad_error(401, "invalid_client", 700027, "The certificate "
                             "with identifier used to sign the client "
                             "assertion is not registered on application. "
                             "[Reason - The key was not found., Thumbprint of "
                             "key used by client: '%s', Please visit the Azure "
                             "Portal, Graph Explorer or directly use MS Graph "
                             "to see configured keys for app Id '%s'.]"
                             % (thumb, cid)), None
        if self.cfg.require_x5c:
            # Subject name and issuer authentication: the chain comes in
            # x5c, standard base64 DER, the leaf first [V RFC 7515 4.1.6;
            # entra certificate-credentials: x5c "used for SN+I"].
            x5c = header.get("x5c")
            leaf = None
            if isinstance(x5c, list) and x5c and isinstance(x5c[0], str):
                try:
                    leaf = base64.b64decode(x5c[0], validate=True)
                except Exception:
                    leaf = None
            if leaf is None or b64url_encode(
                    hashlib.sha256(leaf).digest()) != cert.x5t256:
                return aad_error(401, "invalid_client", 700027, "Client "
                                 "assertion has no x5c header holding the "
                                 "certificate, which is trusted by subject "
                                 "name and issuer only."), None  # [S]
        alg = header.get("alg")
        if alg not in ("RS256", "PS256"):
            return aad_error(401, "invalid_client", 5002738, "The algorithm "
                             "'%s' of the client assertion is not supported."
                             % alg), None  # [S]
        signing_input = (parts[0] + "." + parts[1]).encode("ascii")
        if not self.verify_sig(cert, alg, signing_input, sig):
            # [O AzureAD/passport-azure-ad #453: AADSTS700027 invalid signature]
            return aad_error(401, "invalid_client", 700027, "Client assertion "
                             "contains an invalid signature. [Reason - The "
                             "provided signature value did not match the "
                             "expected signature value., Thumbprint of key "
                             "used by client: '%s']" % cert.thumb), None
        now = time.time()
        exp, nbf = claims.get("exp"), claims.get("nbf", 0)
        if not isinstance(exp, (int, float)) or exp <= now or \
                (isinstance(nbf, (int, float)) and nbf > now + 300):
            # [O AzureAD/microsoft-authentication-library-for-dotnet #4951]
            fmt = lambda x: time.strftime("%Y-%m-%dT%H:%M:%S.0000000Z",
                                          time.gmtime(x))
            return aad_error(401, "invalid_client", 700024, "Client assertion "
                             "is not within its valid time range. Current "
                             "time: %s, assertion valid from %s, expiry time of "
                             "assertion %s. Review the documentation at "
                             "https://learn.microsoft.com/entra/identity-"
                             "platform/certificate-credentials ."
                             % (fmt(now), fmt(nbf if isinstance(nbf, (int, float)) else 0),
                                fmt(exp if isinstance(exp, (int, float)) else 0))), None
        if claims.get("iss") != cid or claims.get("sub") != cid:
            return aad_error(401, "invalid_client", 700021, "Client assertion "
                             "application identifier doesn't match "
                             "'client_id' parameter. Review the documentation "
                             "at https://learn.microsoft.com/entra/identity-"
                             "platform/certificate-credentials ."), None  # [S]
        want = "%s/%s/oauth2/%stoken" % (self.base, t, "v2.0/" if v2 else "")
        aud = claims.get("aud")
        auds = aud if isinstance(aud, list) else [aud]
        # aud = the exact token endpoint URL [V entra certificate-credentials]
        if not any(isinstance(x, str) and x.lower() == want.lower() for x in auds):
            return aad_error(401, "invalid_client", 700212, "The audience "
                             "claim of the client assertion '%s' does not "
                             "match the token endpoint '%s'." % (aud, want)), None  # [S]
        return None, "certificate_" + alg

    def verify_sig(self, cert, alg, data, sig):
        with tempfile.TemporaryDirectory(dir=self.workdir) as d:
            fi, fs = os.path.join(d, "in"), os.path.join(d, "sig")
            with open(fi, "wb") as f:
                f.write(data)
            with open(fs, "wb") as f:
                f.write(sig)
            cmd = ["openssl", "dgst", "-sha256", "-verify", cert.pubkey,
                   "-signature", fs]
            if alg == "PS256":
                cmd += ["-sigopt", "rsa_padding_mode:pss",
                        "-sigopt", "rsa_pss_saltlen:-2"]
            cmd.append(fi)
            r = subprocess.run(cmd, capture_output=True)
            return r.returncode == 0

    # ---------------------------------------------------- managed identity
    def msi(self, method, path, q, headers, body):
        if method != "GET":
            return (405, [json_ct()], jdump({"error": "invalid_request",
                                             "error_description": "Method not allowed"}))
        resource = q.get("resource") or ""
        if path.lower() == "/metadata/identity/oauth2/token":
            # IMDS [V entra how-to-use-vm-token.md]
            if (headers.get("Metadata") or "").lower() != "true":
                return (400, [json_ct()], jdump(
                    {"error": "bad_request_102",
                     "error_description": "Required metadata header not specified"}))
            if q.get("api-version") != "2018-02-01":
                return (400, [json_ct()], jdump(
                    {"error": "invalid_request",
                     "error_description": "Invalid api-version"}))  # [S]
            if not resource:
                return (400, [json_ct()], jdump(
                    {"error": "invalid_request", "error_description":
                     "Required query variable 'resource' is missing"}))  # [S]
            if norm_aud(resource) not in self.known_resources():
                return (400, [json_ct()], jdump(
                    {"error": "invalid_resource", "error_description":
                     "AADSTS500011: The resource principal named %s was not "
                     "found in the tenant named %s." % (resource, self.tenant)}))
            tok, exp = self.issue(resource, self.a.client_id, "imds")
            life = str(int(round(float(self.cfg.token_lifetime))))
            now = str(int(time.time()))
            # all numbers are strings [V how-to-use-vm-token.md]
            return (200, [json_ct()], jdump(
                {"access_token": tok, "client_id": self.a.client_id,
                 "expires_in": life, "expires_on": str(exp),
                 "ext_expires_in": life, "not_before": now,
                 "resource": resource, "token_type": "Bearer"}))
        # App Service 2019-08-01 [V azdocs app-service overview-managed-identity.md;
        # O Azure/azure-sdk-for-python #11346 response sample]
        want = self.a.identity_header
        if not want or headers.get("X-IDENTITY-HEADER") != want:
            return (401, [json_ct()], jdump(
                {"statusCode": 401, "message": "Unauthorized. The "
                 "X-IDENTITY-HEADER header is missing or wrong.",
                 "correlationId": str(uuid.uuid4())}))  # [S]
        if q.get("api-version") != "2019-08-01":
            return (400, [json_ct()], jdump(
                {"statusCode": 400, "message": "The api-version %s is not "
                 "supported." % q.get("api-version"),
                 "correlationId": str(uuid.uuid4())}))  # [S]
        if not resource or norm_aud(resource) not in self.known_resources():
            return (400, [json_ct()], jdump(
                {"statusCode": 400, "message": "AADSTS500011: The resource "
                 "principal named %s was not found in the tenant named %s."
                 % (resource, self.tenant),
                 "correlationId": str(uuid.uuid4())}))  # [S]
        tok, exp = self.issue(resource, self.a.client_id, "app_service")
        return (200, [json_ct()], jdump(
            {"access_token": tok, "expires_on": str(exp),
             "resource": resource, "token_type": "Bearer",
             "client_id": self.a.client_id}))

    # -------------------------------------------------------------------- ARM
    def arm_err(self, status, code, msg, extra=None):
        return (status, [json_ct()] + (extra or []),
                jdump({"error": {"code": code, "message": msg}}))

    def arm_version(self, q, allowed):
        v = q.get("api-version")
        if not v:
            # [O Azure/azure-cli #26405]
            raise HTTPError(self.arm_err(400, "MissingApiVersionParameter",
                                         "The api-version query parameter "
                                         "(?api-version=) is required for all "
                                         "requests."))
        if v not in allowed:
            # [O Azure/azure-cli #27109]
            raise HTTPError(self.arm_err(
                400, "InvalidApiVersionParameter", "The api-version '%s' is "
                "invalid. The supported versions are '%s'."
                % (v, ",".join(reversed(allowed)))))
        return v

    def vault_id(self):
        a = self.a
        return ("/subscriptions/%s/resourceGroups/%s/providers/"
                "Microsoft.KeyVault/vaults/%s" % (a.subscription,
                                                  a.resource_group,
                                                  self.vault_name))

    def vault_json(self):
        a = self.a
        days, _ = self.recovery()
        props = {
            "sku": {"family": "A", "name": "standard"},
            "tenantId": self.tenant,
            "accessPolicies": [],
            "enabledForDeployment": False,
            "enabledForDiskEncryption": False,
            "enabledForTemplateDeployment": False,
            "enableSoftDelete": True,
            "softDeleteRetentionInDays": days,
            "enableRbacAuthorization": True,
            # the list example carries the trailing slash [V 2023-07-01
            # examples/listVaultByResourceGroup.json]
            "vaultUri": self.base + "/",
            "provisioningState": "Succeeded",
            "publicNetworkAccess": "Enabled",
        }
        if self.cfg.purge_protection:
            props["enablePurgeProtection"] = True
        t = iso_now(0)
        return {"id": self.vault_id(), "name": self.vault_name,
                "type": "Microsoft.KeyVault/vaults", "location": a.location,
                "tags": {},
                "systemData": {"createdBy": self.a.client_id,
                               "createdByType": "Application",
                               "createdAt": t,
                               "lastModifiedBy": self.a.client_id,
                               "lastModifiedByType": "Application",
                               "lastModifiedAt": t},
                "properties": props}

    def arm(self, method, path, q, headers, body):
        info, why = self.lookup_token(headers)
        if why == "missing":
            return self.arm_err(401, "AuthenticationFailed", "Authentication "
                                "failed. The 'Authorization' header is "
                                "missing.", [("WWW-Authenticate", 'Bearer '
                                              'authorization_uri="%s/%s", '
                                              'error="invalid_token", '
                                              'error_description="The '
                                              'authentication failed because '
                                              'of missing \'Authorization\' '
                                              'header."' % (self.base, self.tenant))])
        if why == "unknown":
            return self.arm_err(401, "InvalidAuthenticationToken",
                                "The access token is invalid.")
        if why == "expired":
            fmt = lambda x: time.strftime("%m/%d/%Y %H:%M:%S", time.gmtime(x))
            return self.arm_err(401, "ExpiredAuthenticationToken", "The access "
                                "token expiry UTC time '%s' is earlier than "
                                "current UTC time '%s'." % (fmt(info["exp"]),
                                                            fmt(time.time())))
        if norm_aud(info["aud"]) not in self.arm_audiences():
            # [O Azure/azure-cli #25009 and others: this code and message]
            allowed = ",".join("'%s/','%s'" % (x, x)
                               for x in self.arm_audiences())
            return self.arm_err(401, "InvalidAuthenticationTokenAudience",
                                "The access token has been obtained for wrong "
                                "audience or resource '%s'. It should exactly "
                                "match with one of the allowed audiences "
                                "%s." % (info["aud"], allowed))
        try:
            m = re.match(r"^(.*?)/providers/Microsoft\.Authorization/"
                         r"permissions/?$", path, re.I)
            if m:
                return self.permissions(method, m.group(1) or "/", q, info)
            m = re.match(r"^(.*?)/providers/Microsoft\.Authorization/"
                         r"roleAssignments(?:/([^/]*))?/?$", path, re.I)
            if m:
                self.arm_version(q, ARM_VERSIONS_RA)
                return self.role_assignments(method, m.group(1) or "/",
                                             unquote(m.group(2) or ""), q,
                                             body, info)
            return self.arm_vaults(method, path, q)
        except HTTPError as e:
            return e.args[0]

    def arm_scope_check(self, sub, rg=None):
        a = self.a
        if sub.lower() in [x.lower() for x in a.extra_subscription or []]:
            if rg is not None:
                raise HTTPError(self.arm_err(404, "ResourceGroupNotFound",
                                             "Resource group '%s' could not "
                                             "be found." % rg))
            return False
        if sub.lower() != a.subscription.lower():
            raise HTTPError(self.arm_err(404, "SubscriptionNotFound",
                                         "The subscription '%s' could not be "
                                         "found." % sub))
        if rg is not None and rg.lower() != a.resource_group.lower():
            raise HTTPError(self.arm_err(404, "ResourceGroupNotFound",
                                         "Resource group '%s' could not be "
                                         "found." % rg))
        return True

    def subscriptions(self, method, q):
        """Subscriptions - List [V azure-rest-api-specs resources
        subscriptions 2022-12-01 examples/GetSubscriptions.json]."""
        if method != "GET":
            return self.arm_err(405, "MethodNotAllowed", "The requested "
                                "method is not supported by the stand-in.")
        self.arm_version(q, ARM_VERSIONS_SUBS)
        items = []
        for i, sub in enumerate((self.a.extra_subscription or []) +
                                [self.a.subscription]):
            items.append({"id": "/subscriptions/" + sub,
                          "authorizationSource": "RoleBased",
                          "managedByTenants": [], "subscriptionId": sub,
                          "tenantId": self.tenant,
                          "displayName": "Subscription %d" % (i + 1),
                          "state": "Enabled",
                          "subscriptionPolicies": {
                              "locationPlacementId": "Public_2014-09-01",
                              "quotaId": "PayAsYouGo_2014-09-01",
                              "spendingLimit": "Off"}})
        return self.arm_page(items, "/subscriptions", q)

    def arm_vaults(self, method, path, q):
        a = self.a
        if path.rstrip("/").lower() == "/subscriptions":
            return self.subscriptions(method, q)
        m = re.match(r"^/subscriptions/([^/]+)(?:/resourceGroups/([^/]+))?"
                     r"/providers/Microsoft\.KeyVault/vaults(?:/([^/]+))?/?$",
                     path, re.I)
        if m:
            if method != "GET":
                return self.arm_err(405, "MethodNotAllowed", "The requested "
                                    "method is not supported by the stand-in.")
            self.arm_version(q, ARM_VERSIONS_KV)
            sub, rg, name = m.group(1), m.group(2), m.group(3)
            if not self.arm_scope_check(sub, rg):
                return self.arm_page([], path, q)
            if name is not None:
                if rg is None:
                    return self.arm_err(404, "NotFound", "The requested "
                                        "resource was not found.")  # [S]
                found = [x for x in self.peers
                         if x.vault_name.lower() == name.lower()]
                if not found:
                    return self.arm_err(404, "ResourceNotFound", "The Resource "
                                        "'Microsoft.KeyVault/vaults/%s' under "
                                        "resource group '%s' was not found. For "
                                        "more details please go to "
                                        "https://aka.ms/ARMResourceNotFoundFix"
                                        % (name, rg))
                return (200, [json_ct()], jdump(found[0].vault_json()))
            return self.arm_page([x.vault_json() for x in self.peers], path, q)
        m = re.match(r"^/subscriptions/([^/]+)(?:/resourceGroups/([^/]+))?"
                     r"/resources/?$", path, re.I)
        if m:
            if method != "GET":
                return self.arm_err(405, "MethodNotAllowed", "The requested "
                                    "method is not supported by the stand-in.")
            self.arm_version(q, ARM_VERSIONS_RES)
            if not self.arm_scope_check(m.group(1), m.group(2)):
                return self.arm_page([], path, q)
            flt = q.get("$filter") or ""
            want = {}
            if flt.strip():
                for term in re.split(r"\s+and\s+", flt.strip(), flags=re.I):
                    tm = re.match(r"^\s*(resourceType|name)\s+eq\s+'([^']*)'\s*$",
                                  term, re.I)
                    if not tm:
                        return self.arm_err(400, "InvalidFilterInQueryString",
                                            "Invalid $filter '%s' specified in "
                                            "the query string." % flt)  # [S]
                    want[tm.group(1).lower()] = tm.group(2).lower()
            items = []
            for x in self.peers:
                if want.get("resourcetype", "microsoft.keyvault/vaults") == \
                        "microsoft.keyvault/vaults" and \
                        want.get("name", x.vault_name.lower()) == \
                        x.vault_name.lower():
                    items.append({"id": x.vault_id(), "name": x.vault_name,
                                  "type": "Microsoft.KeyVault/vaults",
                                  "location": a.location, "tags": {}})
            return self.arm_page(items, path, q)
        return self.arm_err(404, "NotFound", "The requested resource was not "
                            "found.")  # [S]

    def arm_page(self, items, path, q):
        start = 0
        tok = q.get("$skiptoken") or q.get("$skipToken")
        if tok:
            try:
                start = int(b64url_decode(tok).decode())
            except Exception:
                return self.arm_err(400, "InvalidSkipToken",
                                    "The skip token is invalid.")  # [S]
        top = q.get("$top")
        n = len(items)
        if top:
            try:
                n = max(1, int(top))
            except ValueError:
                return self.arm_err(400, "InvalidTopInQueryString",
                                    "The $top value '%s' is invalid." % top)  # [S]
        page = items[start:start + n]
        doc = {"value": page}
        if start + n < len(items):
            extra = [(k, v) for k, v in q.items() if k not in ("$skiptoken",
                                                               "$skipToken")]
            extra.append(("$skiptoken", b64url_encode(str(start + n).encode())))
            doc["nextLink"] = "%s%s?%s" % (self.base, path, "&".join(
                "%s=%s" % (k, quote(v, safe="'()")) for k, v in extra))
        return (200, [json_ct()], jdump(doc))

    def role_assignments(self, method, scope, name, q, body, info):
        scope = "/" + scope.strip("/")
        if not name:
            if method != "GET":
                return self.arm_err(405, "MethodNotAllowed", "The requested "
                                    "method is not allowed.")
            return self.list_roles(scope, q)
        if not GUID_RE.match(name):
            # [O pulumi issue #194; V Azure/azure-rest-api-specs
            # Microsoft.Authorization/stable/2022-04-01/authorization-RoleAssignmentsCalls.json:
            # the name "can be any valid GUID"]
            return self.arm_err(400, "InvalidRoleAssignmentId", "The role "
                                "assignment ID '%s' is not valid. The role "
                                "assignment ID must be a GUID." % name)
        key = name.lower()
        if method == "GET":
            with self.lock:
                r = self.roles.get(key)
                if r is None or norm_scope(r["scope"]) != norm_scope(scope):
                    return self.arm_err(404, "RoleAssignmentNotFound", "The "
                                        "role assignment '%s' is not found."
                                        % name)  # [S]
                return (200, [json_ct()], jdump(self.role_json(r)))
        if method == "DELETE":
            with self.lock:
                r = self.roles.get(key)
                if r is None or norm_scope(r["scope"]) != norm_scope(scope):
                    return (204, [], b"")   # [V spec: 204 when absent]
                del self.roles[key]
                return (200, [json_ct()], jdump(self.role_json(r)))
        if method != "PUT":
            return self.arm_err(405, "MethodNotAllowed", "The requested method "
                                "is not allowed.")
        try:
            doc = json.loads(body.decode("utf-8")) if body else None
        except (ValueError, UnicodeDecodeError) as e:
            return self.arm_err(400, "InvalidRequestContent", "The request "
                                "content was invalid and could not be "
                                "deserialized: '%s'." % e)
        props = doc.get("properties") if isinstance(doc, dict) else None
        if not isinstance(props, dict):
            return self.arm_err(400, "InvalidRequestContent", "The request "
                                "content was invalid and could not be "
                                "deserialized: 'Required property 'properties' "
                                "not found in JSON.'.")
        for req in ("roleDefinitionId", "principalId"):
            if not isinstance(props.get(req), str) or not props.get(req):
                # [O Azure/azure-powershell #12581 wording]
                return self.arm_err(400, "InvalidRequestContent", "The content "
                                    "of your request was not valid, and the "
                                    "original object could not be "
                                    "deserialized. Exception message: "
                                    "'Required property '%s' not found in "
                                    "JSON. Path 'properties'.'" % req)
        pid = props["principalId"]
        if not GUID_RE.match(pid):
            # [O Azure/azure-powershell #16627]
            return self.arm_err(400, "InvalidPrincipalId", "The Principal ID "
                                "'%s' is not valid. Principal ID must be a "
                                "GUID." % pid)
        rdid = props["roleDefinitionId"]
        rm = re.match(r"^(?:/subscriptions/[^/]+)?/providers/Microsoft\."
                      r"Authorization/roleDefinitions/([^/]+)$", rdid, re.I)
        if not rm or not GUID_RE.match(rm.group(1)):
            return self.arm_err(400, "InvalidRoleDefinitionId", "The role "
                                "definition ID '%s' is not valid." % rdid)  # [S]
        rguid = rm.group(1).lower()
        if rguid not in self.role_defs:
            # [O Azure/azure-powershell tests, terraform/autorest captures]
            return self.arm_err(400, "RoleDefinitionDoesNotExist", "The "
                                "specified role definition with ID '%s' does "
                                "not exist." % rm.group(1))
        ptype = props.get("principalType") or "User"
        if ptype not in PRINCIPAL_TYPES:
            # [O Azure/azure-cli #11594 message; code S]
            return self.arm_err(400, "InvalidPrincipalType", "The PrincipalType"
                                " property '%s' is not valid. It must be "
                                "'User', 'Group' or 'ServicePrincipal'." % ptype)
        who = info.get("client_id") or ""
        with self.lock:
            cur = self.roles.get(key)
            if cur is not None:
                same = (norm_scope(cur["scope"]) == norm_scope(scope) and
                        cur["principalId"] == pid.lower() and
                        role_guid(cur["roleDefinitionId"]) == rguid)
                if not same:
                    return self.arm_err(409, "RoleAssignmentUpdateNotPermitted",
                                        "Tenant ID, application ID, principal "
                                        "ID, and scope are not allowed to be "
                                        "updated.")
                cur["principalType"] = ptype
                for k in ("description", "condition", "conditionVersion"):
                    if k in props:
                        cur[k] = props[k]
                cur["updatedOn"], cur["updatedBy"] = iso_now(), who
                return (200, [json_ct()], jdump(self.role_json(cur)))
            for r in self.roles.values():
                if norm_scope(r["scope"]) == norm_scope(scope) and \
                        r["principalId"] == pid.lower() and \
                        role_guid(r["roleDefinitionId"]) == rguid:
                    # [O Azure/bicep #5694 and newer captures]
                    return self.arm_err(409, "RoleAssignmentExists", "The role "
                                        "assignment already exists. The ID of "
                                        "the existing role assignment is %s."
                                        % r["name"].replace("-", ""))
            rec = self.new_role(key, scope, rdid, pid, ptype,
                                props.get("description"), props.get("condition"),
                                props.get("conditionVersion"), who)
            self.roles[key] = rec
            return (201, [json_ct()], jdump(self.role_json(rec)))

    def permissions(self, method, scope, q, info):
        """Permissions - List For Resource [V learn.microsoft.com/rest/api/
        authorization/permissions/list-for-resource (api-version
        2022-04-01): GET {scope}/providers/Microsoft.Authorization/
        permissions answers {value: [Permission], nextLink}, a Permission
        being actions, notActions, dataActions, notDataActions]."""
        if method != "GET":
            return self.arm_err(405, "MethodNotAllowed", "The requested "
                                "method is not allowed.")
        self.arm_version(q, ARM_VERSIONS_RA)
        if self.cfg.enforce_rbac:
            perms = self.caller_permissions(info.get("client_id") or "",
                                            scope)
        else:
            # Nothing is enforced, so everything is allowed, and the API
            # says so [S].
            perms = [_perm(["*"], ["*"])]
        return (200, [json_ct()], jdump({"value": perms, "nextLink": None}))

    def list_roles(self, scope, q):
        flt = (q.get("$filter") or "").strip()
        at_scope, principal = False, None
        if flt:
            for term in re.split(r"\s+and\s+", flt, flags=re.I):
                term = term.strip()
                if re.match(r"^atScope\(\)$", term, re.I):
                    at_scope = True
                    continue
                tm = re.match(r"^(?:principalId\s+eq\s+'([^']*)'|"
                              r"assignedTo\('([^']*)'\))$", term, re.I)
                if tm:
                    principal = (tm.group(1) or tm.group(2) or "").lower()
                    continue
                return self.arm_err(400, "UnsupportedQuery", "The filter '%s' "
                                    "is not supported." % flt)  # [S]
        with self.lock:
            out = []
            for r in sorted(self.roles.values(), key=lambda r: r["name"]):
                above = scope_covers(r["scope"], scope)
                below = scope_covers(scope, r["scope"])
                if at_scope and not above:
                    continue
                if not at_scope and not (above or below):
                    continue
                if principal is not None and r["principalId"] != principal:
                    continue
                out.append(self.role_json(r))
        path = "%s/providers/Microsoft.Authorization/roleAssignments" % (
            "" if scope == "/" else scope)
        return self.arm_page(out, path, q)

    # ------------------------------------------------------------------ admin
    def admin(self, method, path, q, body):
        def ok(obj, status=200):
            return (status, [json_ct()], jdump(obj))

        def bad(msg, status=400):
            return (status, [json_ct()], jdump({"error": msg}))

        p = path.rstrip("/")
        if p == "/_admin/state" and method == "GET":
            return ok(self.state_json())
        if p == "/_admin/config":
            if method == "GET":
                return ok(self.cfg.as_dict())
            if method == "POST":
                try:
                    doc = json.loads(body or b"{}")
                    self.set_config(doc)
                except (ValueError, TypeError) as e:
                    return bad(str(e))
                return ok(self.cfg.as_dict())
        if p == "/_admin/seed" and method == "POST":
            try:
                self.load_fixture(json.loads(body or b"{}"))
            except (ValueError, KeyError, TypeError) as e:
                return bad("bad fixture: %s" % e)
            return ok({"ok": True})
        if p == "/_admin/reset" and method == "POST":
            with self.lock:
                self.secrets.clear()
                self.roles.clear()
                self.wts.clear()
                self.ats.clear()
                self.tb.clear()
                self.fw.clear()
            self.reqlog.clear()
            return ok({"ok": True})
        if p == "/_admin/requests":
            doc = self.reqlog.admin(method, q)
            if doc is not None:
                return ok(doc)
        if p == "/_admin/tokens/expire" and method == "POST":
            with self.lock:
                for t in self.tokens.values():
                    t["exp"] = 0
                n = len(self.tokens)
            return ok({"expired": n})
        return bad("no such admin endpoint: %s %s" % (method, path), 404)

    def set_config(self, doc):
        if not isinstance(doc, dict):
            raise ValueError("config must be a JSON object")
        cfg = self.cfg
        for k, v in doc.items():
            if k not in Config.KEYS:
                raise ValueError("unknown config key %r" % k)
        with self.lock:
            for k, v in doc.items():
                if k == "fail_kinds":
                    cfg.fail_kinds = parse_kinds(v)
                elif k == "fail_seed":
                    cfg.reseed(int(v))
                elif k == "challenge_resource":
                    cfg.challenge_resource = str(v).rstrip("/")
                elif k == "arm_audience":
                    cfg.arm_audience = str(v).rstrip("/") if v else None
                elif k in ("challenge_scope", "challenge_tenant"):
                    setattr(cfg, k, None if v is None else str(v))
                elif k in ("fail_tokens", "empty_pages", "purge_protection",
                           "enforce_rbac", "require_x5c"):
                    setattr(cfg, k, bool(v))
                elif k in ("write_limit", "all_limit"):
                    setattr(cfg, k, int(v))
                elif k == "throttle_mode":
                    if v not in THROTTLE_MODES:
                        raise ValueError("throttle_mode must be one of %s"
                                         % ", ".join(THROTTLE_MODES))
                    cfg.throttle_mode = v
                    self.tb.clear()
                    self.fw.clear()
                    self.wts.clear()
                    self.ats.clear()
                elif k == "deny":
                    if v is not None and v not in DENIALS:
                        raise ValueError("deny must be null or one of %s"
                                         % ", ".join(sorted(DENIALS)))
                    cfg.deny = v
                elif k == "odd_answers":
                    if v is not None and not (
                            isinstance(v, list) and all(
                                isinstance(o, dict) and
                                isinstance(o.get("path"), str)
                                for o in v)):
                        raise ValueError("odd_answers must be null or a "
                                         "list of {path, body}")
                    cfg.odd_answers = v
                elif k == "tag_length":
                    if int(v) not in (256, 512):
                        raise ValueError("tag_length must be 256 or 512")
                    cfg.tag_length = int(v)
                else:
                    setattr(cfg, k, float(v))


def role_guid(rdid):
    return rdid.rstrip("/").rsplit("/", 1)[-1].lower()


def json_ct():
    return ("Content-Type", "application/json; charset=utf-8")


def aad_error(status, error, code, msg):
    """An Entra error body [O e.g. OfficeDev/microsoft-365-agents-toolkit #8621]."""
    now = time.time()
    ts = time.strftime("%Y-%m-%d %H:%M:%SZ", time.gmtime(now))
    trace, corr = str(uuid.uuid4()), str(uuid.uuid4())
    desc = "AADSTS%d: %s Trace ID: %s Correlation ID: %s Timestamp: %s" % (
        code, msg, trace, corr, ts)
    return (status, [json_ct()], jdump({
        "error": error, "error_description": desc, "error_codes": [code],
        "timestamp": ts, "trace_id": trace, "correlation_id": corr,
        "error_uri": "https://login.microsoftonline.com/error?code=%d" % code}))


def classify(path):
    low = path.lower()
    if low.startswith("/subscriptions/") or low.startswith("/providers/") or \
            low in ("/subscriptions", "/providers"):
        return "arm"
    if low in ("/msi/token", "/metadata/identity/oauth2/token"):
        return "msi"
    if low == "/metadata/endpoints":
        return "meta"
    if re.match(r"^/[^/]+/oauth2/(v2\.0/)?token$", low) or \
            re.match(r"^/[^/]+/(v2\.0/)?\.well-known/openid-configuration$", low) or \
            low == "/common/discovery/instance":
        return "token"
    return "data"


REDACT_HEADERS = {"authorization", "x-identity-header", "secret"}


def redact_headers(headers):
    out = {}
    for k, v in headers.items():
        lk = k.lower()
        if lk in REDACT_HEADERS:
            scheme = v.split(" ", 1)[0] if " " in v else ""
            v = (scheme + " <redacted>").strip()
        out[lk] = v
    return out


def assertion_header(jwt):
    """A client assertion's JOSE header (no secret in it), x5c counted."""
    try:
        hd = json.loads(b64url_decode(jwt.split(".")[0]))
    except Exception:
        return None
    if not isinstance(hd, dict):
        return None
    if "x5c" in hd:
        x5c = hd.pop("x5c")
        hd["x5c_count"] = len(x5c) if isinstance(x5c, list) else -1
    return hd


def redact_body(path, headers, body):
    if not body:
        return None
    ct = (headers.get("Content-Type") or "").lower()
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        return "<%d bytes of binary data>" % len(body)
    if "x-www-form-urlencoded" in ct or re.search(r"/oauth2/", path):
        form = {}
        for k, v in parse_qsl(text, keep_blank_values=True):
            if k == "client_assertion":
                hd = assertion_header(v)
                if hd is not None:
                    form["assertion_header"] = hd
            if k in ("client_secret", "client_assertion", "assertion",
                     "refresh_token", "password"):
                v = "<redacted>"
            form[k] = v
        return form
    try:
        doc = json.loads(text)
    except ValueError:
        return text[:2000]
    if isinstance(doc, dict) and "value" in doc:
        doc["value"] = "<redacted>"
    return doc


# ----------------------------------------------------------------------------
# HTTP plumbing

class Handler(base.Handler):
    server_version = "kv-standin"
    sys_version = ""
    timeout = 120          # idle keep-alive connections are closed after this

    def log_message(self, fmt, *args):
        if self.server.app.a.verbose:
            sys.stderr.write("keyvault.py: %s\n" % (fmt % args))

    def _dispatch(self):
        try:
            body = self.read_body(limit=8 * 1024 * 1024)
        except (ValueError, OSError):
            self.close_connection = True
            self._send(400, [json_ct()], jdump({"error": {
                "code": "BadRequest", "message": "Malformed request body."}}))
            return
        # --vaults: the vault is the Host's first label; others go to the
        # first vault (Entra, ARM and the single-vault tests).
        host = (self.headers.get("Host") or "").rsplit(":", 1)[0].lower()
        app = self.server.apps.get(host, self.server.app)
        status, hdrs, payload = app.handle(
            self.command, self.path, self.headers, body)
        if status is None:
            self.drop()
            return
        self._send(status, hdrs, payload)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _dispatch

    def _send(self, status, hdrs, payload):
        self.send_raw(status, hdrs + [("Date", self.date_time_string())],
                      payload)


def parse_args(argv):
    p = argparse.ArgumentParser(
        prog="keyvault.py",
        description="Local stand-in for Azure Key Vault secrets, Entra ID "
        "token issuance, managed identity and ARM role assignments (TLS). "
        "Prints its base URL as the first stdout line.  See the module "
        "docstring for the fixture format and the admin API.")
    base.listen_args(p.add_argument_group("listening"), tls_required=True)
    g = p.add_argument_group("identity")
    g.add_argument("--tenant", default="test-tenant",
                   help="the only tenant the token endpoint knows")
    g.add_argument("--client-id", default="test-client",
                   help="the only application (client) id accepted")
    g.add_argument("--client-secret", default=None,
                   help="the client secret accepted for --client-id")
    g.add_argument("--client-cert", action="append", metavar="PEM",
                   help="certificate registered for --client-id; client "
                   "assertions signed by its key (RS256 or PS256, header x5t "
                   "or x5t#S256) are accepted (repeatable)")
    g.add_argument("--federated-token", default=None, metavar="STRING",
                   help="the federated (workload identity) token accepted "
                   "verbatim as client_assertion")
    g.add_argument("--identity-header", default=None, metavar="H",
                   help="X-IDENTITY-HEADER value the App Service managed "
                   "identity endpoint /msi/token requires (unset: it refuses "
                   "every request)")
    g.add_argument("--challenge-resource", default=None, metavar="URL",
                   help="resource in the 401 challenge and the audience the "
                   "data plane accepts (default https://HOST, no port)")
    g.add_argument("--arm-audience", default=None, metavar="URL",
                   help="the only token audience Resource Manager accepts, "
                   "published by /metadata/endpoints (default the public "
                   "cloud's two)")
    g.add_argument("--require-x5c", action="store_true",
                   help="the --client-cert certificates are registered for "
                   "subject name and issuer authentication: an assertion "
                   "must carry the certificate as the first of its x5c")
    g.add_argument("--token-lifetime", type=float, default=3600, metavar="S",
                   help="lifetime of issued access tokens in seconds "
                   "(default 3600)")
    g = p.add_argument_group("the vault as an ARM resource")
    g.add_argument("--subscription",
                   default="00000000-0000-0000-0000-000000000000",
                   help="subscription id (default all zeros)")
    g.add_argument("--resource-group", default="rg-test",
                   help="resource group (default rg-test)")
    g.add_argument("--vault-name", default="kv-test",
                   help="vault name (default kv-test)")
    g.add_argument("--extra-subscription", action="append", metavar="ID",
                   help="another subscription GET /subscriptions lists, "
                   "which holds no vault (repeatable)")
    g.add_argument("--vaults", default=None, metavar="N|NAME,...",
                   help="serve N vaults (named --vault-name, then "
                   "--vault-name-2, ...) or the vaults named, on this one "
                   "listener, told apart by the Host header: "
                   "https://NAME.localhost:PORT, each with its own secrets, "
                   "budget, configuration and admin view, one Entra and ARM; "
                   "their URLs are printed one a line, the first first")
    g.add_argument("--location", default="westus",
                   help="region reported by ARM and x-ms-keyvault-region "
                   "(default westus)")
    g = p.add_argument_group("service behaviour")
    g.add_argument("--write-limit", type=int, default=300, metavar="N",
                   help="SetSecret requests allowed per window (default 300, "
                   "the published 'CREATE secret' limit; 0 = unlimited)")
    g.add_argument("--all-limit", type=int, default=4000, metavar="N",
                   help="all other data-plane transactions allowed per window "
                   "(default 4000; 0 = unlimited)")
    g.add_argument("--window", type=float, default=10, metavar="S",
                   help="throttling window in seconds (default 10)")
    g.add_argument("--throttle-mode", choices=THROTTLE_MODES,
                   default="bucket",
                   help="how the budgets are counted: a token bucket whose "
                   "burst is the budget, fixed windows one after the "
                   "other, or a sliding window (default bucket)")
    g.add_argument("--delete-delay", type=float, default=0.5, metavar="S",
                   help="seconds a soft delete takes to complete (default 0.5)")
    g.add_argument("--recover-delay", type=float, default=0.5, metavar="S",
                   help="seconds a recovery takes to complete (default 0.5)")
    g.add_argument("--empty-pages", action="store_true",
                   help="answer every list request that has not just had one "
                   "with an empty page and a nextLink first, as the service "
                   "may")
    g.add_argument("--tag-length", type=int, choices=(256, 512), default=512,
                   help="maximum tag name and value length (default 512)")
    g.add_argument("--recoverable-days", type=int, default=90, metavar="N",
                   help="soft-delete retention in days (7..90, default 90)")
    g.add_argument("--enforce-rbac", action="store_true",
                   help="the data plane obeys the role assignments made "
                   "through ARM (the caller's object id is its client id); "
                   "refusals are 403 ForbiddenByRbac")
    g.add_argument("--purge-protection", action="store_true",
                   help="purge protection on: recoveryLevel without "
                   "+Purgeable and purge answers 403")
    g = p.add_argument_group("test knobs")
    base.fault_args(g, 1, "500,503,429,drop", "500, 503, 429 and drop")
    g.add_argument("--fail-tokens", action="store_true",
                   help="let failures hit the token and managed-identity "
                   "endpoints too")
    g.add_argument("--seed", metavar="FILE",
                   help="JSON fixture loaded at start (see the docstring)")
    g.add_argument("--log", metavar="FILE",
                   help="append one JSON line per request (secrets redacted)")
    g.add_argument("--verbose", action="store_true",
                   help="log connections and errors on stderr")
    a = p.parse_args(argv)
    if a.vaults is not None:
        if re.match(r"^[0-9]+$", a.vaults):
            n = int(a.vaults)
            if n < 1 or n > 64:
                p.error("--vaults must be 1..64")
            a.vaults = [a.vault_name] + ["%s-%d" % (a.vault_name, i)
                                         for i in range(2, n + 1)]
        else:
            a.vaults = a.vaults.split(",")
        for v in a.vaults:
            if not re.match(r"^[A-Za-z][A-Za-z0-9-]{1,22}[A-Za-z0-9]$", v):
                p.error("--vaults: %r is not a vault name" % v)
        if len(set(v.lower() for v in a.vaults)) != len(a.vaults):
            p.error("--vaults: a name given twice")
    if a.recoverable_days < 7 or a.recoverable_days > 90:
        p.error("--recoverable-days must be 7..90")
    try:
        parse_kinds(a.fail_kinds)
    except ValueError as e:
        p.error(str(e))
    return a


def main(argv=None):
    a = parse_args(sys.argv[1:] if argv is None else argv)
    app = App(a)
    if a.seed:
        with open(a.seed, encoding="utf-8") as f:
            app.load_fixture(json.load(f))
    ctx = base.tls_context(a.tls_cert, a.tls_key, alpn=["http/1.1"])
    srv = Server((a.host, a.port), Handler, ctx, backlog=256)
    srv.app = app
    srv.apps = {}
    srv.handshake_timeout = 30
    srv.trace_errors = a.verbose
    app.base = srv.url
    if a.vaults:
        app.vault_name = a.vaults[0]
        for name in a.vaults[1:]:
            app.sibling(name)
        port = srv.server_address[1]
        for x in app.peers:
            host = "%s.localhost" % x.vault_name.lower()
            x.base = "https://%s:%d" % (host, port)
            if not a.challenge_resource:
                x.cfg.challenge_resource = "https://" + host
            srv.apps[host] = x
        srv.urls = [x.base for x in app.peers]
    return base.serve(srv, app.close)


class Server(base.Server):
    urls = None

    @property
    def url(self):
        """With --vaults, every vault's URL, one a line."""
        if self.urls:
            return "\n".join(self.urls)
        return super().url


if __name__ == "__main__":
    sys.exit(main())
