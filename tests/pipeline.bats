#!/usr/bin/env bats
# pipeline.bats: whole runs, vault-ls | vault-dump | kv-name | kv-put |
# kv-check, on a mixed tree (KV v1 and v2, nested folders, several keys,
# unicode, nested JSON values): the first run, the re-run that changes
# nothing, the history (vault-dump --all-versions), and a run where two
# paths map to one name.  What lands in Key Vault is checked against the
# Vault fixture independently of kv-check (tests/pipeline.bats verify()).

setup_file() {
	load helpers
	env_reset
	cat >"$BATS_FILE_TMPDIR/tree.json" <<-'EOF'
	{
	  "mounts": {"legacy/": {"type": "kv", "version": "1"},
	             "kv2b/": {"type": "kv", "version": "2"}},
	  "secrets": {
	    "secret/": {
	      "app/db": {"versions": [
	        {"data": {"user": "app", "password": "pw-1"}},
	        {"data": {"user": "app", "password": "pw-2"}},
	        {"data": {"user": "app", "password": "pw-3", "port": 5432}}]},
	      "app/api": {"data": {"token": "api-tok"}},
	      "app": {"data": {"role": "parent of app/"}},
	      "a/b/c/d/e/f/leaf": {"data": {"depth": "7"}},
	      "num": {"data": {"n": 42}},
	      "obj": {"data": {"o": {"z": 1, "a": [true, null, 2.5, "x"]}}},
	      "empty": {"data": {}},
	      "wéird path/ключ ✓": {"data": {
	        "ключ": "значение ✓", "emoji": "🔑 key",
	        "multi\nline": "l1\nl2\r\n\t\"q\" \\ end"}},
	      "hist/two": {"versions": [
	        {"data": {"v": "one"}}, {"data": {"v": "two"}}]}
	    },
	    "legacy/": {
	      "top": {"data": {"k": "v1-top"}},
	      "old/thing": {"data": {"k": "v", "ttl": "1h"}},
	      "old/uni": {"data": {"ü": "ö"}}
	    },
	    "kv2b/": {
	      "x/y": {"data": {"a": "1", "b": "2"}}
	    }
	  }
	}
	EOF
	start_vault --seed "$BATS_FILE_TMPDIR/tree.json"
	start_keyvault
}

teardown_file() { load helpers; stop_servers; }

setup() {
	load helpers
	kv_reset
	W=$BATS_TEST_TMPDIR
}

N_SECRETS=13

# kvstate: the Key Vault stand-in's state (every version and value).
kvstate() {
	admin "$KV_URL/_admin/state"
}

# verify NAMED [all]: every record of NAMED (kv-name's output, with data)
# is in Key Vault with the value kv-put promises (one key: the string
# itself, or a non-string as compact JSON; else the object as compact
# JSON with sorted keys) and the tags vault-path and vault-version; with
# "all", the version whose vault-version tag is the record's, else the
# latest.  Prints every difference; fails if there is one.
verify() {
	kvstate >"$W/state.json"
	PYTHONPATH=$TOP/tests "$PY" - "$1" "$W/state.json" "${2:-latest}" <<-'EOF'
	import json, os, sys
	from promised import promised
	recs = [json.loads(l) for l in open(sys.argv[1], encoding="utf-8")]
	state = json.load(open(sys.argv[2], encoding="utf-8"))
	mode = sys.argv[3]
	kv = {s["name"].lower(): s for s in state["secrets"]}
	bad = []
	for r in recs:
	    if "error" in r:
	        continue
	    want = promised(r)
	    s = kv.get(r["name"].lower())
	    if s is None:
	        bad.append("%s: not in Key Vault" % r["name"]); continue
	    vs = s["versions"]
	    if mode == "all" and "version" in r:
	        vs = [x for x in vs if x["tags"].get("vault-version") ==
	              str(r["version"])]
	        if len(vs) != 1:
	            bad.append("%s: %d versions tagged %s" % (r["name"], len(vs),
	                       r["version"])); continue
	    v = vs[-1]
	    if v["value"] != want:
	        bad.append("%s: value %r, want %r" % (r["name"], v["value"], want))
	    t = v["tags"]
	    if t.get("vault-path") != "%s/%s" % (r["mount"], r["path"]):
	        bad.append("%s: vault-path %r" % (r["name"], t.get("vault-path")))
	    if t.get("migrated-from") != os.environ["VAULT_ADDR"].lower():
	        bad.append("%s: migrated-from %r" % (r["name"], t.get("migrated-from")))
	    if "version" in r and t.get("vault-version") != str(r["version"]):
	        bad.append("%s: vault-version %r, want %s" % (r["name"],
	                   t.get("vault-version"), r["version"]))
	print("\n".join(bad))
	sys.exit(1 if bad else 0)
	EOF
}

# versions: "name count" for every secret in Key Vault, sorted.
versions() {
	kvstate | jq -r '.secrets[] | "\(.name) \(.versions | length)"' | sort
}

@test "the first run migrates every secret of KV v1 and v2, nested, unicode and multi-key, and kv-check says ok" {
	pipeline
	assert_equal "$PS" "0 0 0 0 0 0 0 0 0"
	assert_equal "$(wc -l <"$W/ls")" "$N_SECRETS"
	# Every record comes out of every stage, in the same order.
	for f in dump named put check; do
		assert_equal "$(jq -c '[.mount, .path]' "$W/$f")" \
		    "$(jq -c '[.mount, .path]' "$W/ls")"
	done
	run jq -r 'select(.check != "ok" or has("error"))' "$W/check"
	assert_output ''
	assert_equal "$(jq -r .status "$W/put" | sort | uniq -c | xargs)" \
	    "$N_SECRETS created"
	assert_equal "$(jq -c 'select(.kv == 1) | .path' "$W/ls" | wc -l)" 3
	run -0 verify "$W/named"
	# The mapping and the check hold no value.
	run grep -c '"data"' "$W/put" "$W/check"
	assert_output "$W/put:0
$W/check:0"
	# Summaries.
	assert_equal "$(tail -n 1 "$W/put.err")" \
	    "$(tail -n 1 "$W/put.err" | grep -E "^kv-put: $N_SECRETS records: $N_SECRETS created, 0 updated, 0 unchanged, 0 conflicts, 0 skipped, 0 failed, 0 recovered; ")"
	[[ $(tail -n 1 "$W/check.err") == "kv-check: $N_SECRETS records: $N_SECRETS ok, 0 differ, 0 failed;"* ]]
}

@test "a re-run changes nothing: every record unchanged, no new version, kv-check ok" {
	pipeline
	assert_equal "$PS" "0 0 0 0 0 0 0 0 0"
	versions >"$W/v1"
	cp "$W/put" "$W/put1"
	pipeline
	assert_equal "$PS" "0 0 0 0 0 0 0 0 0"
	assert_equal "$(jq -r .status "$W/put" | sort | uniq -c | xargs)" \
	    "$N_SECRETS unchanged"
	versions >"$W/v2"
	assert_equal "$(cat "$W/v2")" "$(cat "$W/v1")"
	# Same names and same ids: the versions of the first run.
	assert_equal "$(jq -c '[.name, .id]' "$W/put")" \
	    "$(jq -c '[.name, .id]' "$W/put1")"
	run jq -r 'select(.check != "ok")' "$W/check"
	assert_output ''
}

@test "a changed secret is updated on the re-run, the others stay unchanged" {
	pipeline
	assert_equal "$PS" "0 0 0 0 0 0 0 0 0"
	versions >"$W/v1"
	curl -sfS -X POST -H "X-Vault-Token: $VAULT_TOKEN" \
	    "$VAULT_URL/v1/secret/data/app/api" \
	    -d '{"data":{"token":"api-tok-2"}}' >/dev/null
	pipeline
	assert_equal "$PS" "0 0 0 0 0 0 0 0 0"
	assert_equal "$(jq -r .status "$W/put" | sort | uniq -c | xargs)" \
	    "$((N_SECRETS - 1)) unchanged 1 updated"
	assert_equal "$(jq -r 'select(.status == "updated") | .path' "$W/put")" \
	    app/api
	versions >"$W/v2"
	assert_equal "$(diff "$W/v1" "$W/v2" | grep '^[<>]' | xargs)" \
	    "< secret-app-api 1 > secret-app-api 2"
	run -0 verify "$W/named"
	# Back as it was, for the tests after this one.
	curl -sfS -X POST -H "X-Vault-Token: $VAULT_TOKEN" \
	    "$VAULT_URL/v1/secret/data/app/api" \
	    -d '{"data":{"token":"api-tok"}}' >/dev/null
}

@test "--all-versions moves the history oldest first, kv-check checks every version, a re-run adds nothing" {
	local n
	pipeline -a
	assert_equal "$PS" "0 0 0 0 0 0 0 0 0"
	# One record per live version: app/db 3, hist/two 2, app/api 2 (the
	# test before wrote a second version).
	n=$(wc -l <"$W/dump")
	assert_equal "$(jq -c 'select(.path == "app/db") | [.version, .data.password]' "$W/dump" | xargs)" \
	    "[1,pw-1] [2,pw-2] [3,pw-3]"
	assert_equal "$(wc -l <"$W/check")" "$n"
	run jq -r 'select(.check != "ok" or has("error"))' "$W/check"
	assert_output ''
	run -0 verify "$W/named" all
	# Key Vault holds the versions in Vault's order, latest last.
	assert_equal "$(kvstate | jq -r '.secrets[] | select(.name == "secret-app-db") |
	    [.versions[] | .tags["vault-version"] + ":" + .value] | join(" ")')" \
	    '1:{"password":"pw-1","user":"app"} 2:{"password":"pw-2","user":"app"} 3:{"password":"pw-3","port":5432,"user":"app"}'
	versions >"$W/v1"
	pipeline -a
	assert_equal "$PS" "0 0 0 0 0 0 0 0 0"
	assert_equal "$(jq -r .status "$W/put" | sort | uniq -c | xargs)" \
	    "$n unchanged"
	versions >"$W/v2"
	assert_equal "$(cat "$W/v2")" "$(cat "$W/v1")"
	run jq -r 'select(.check != "ok")' "$W/check"
	assert_output ''
	# And the latest-only run after it: unchanged too.
	pipeline
	assert_equal "$PS" "0 0 0 0 0 0 0 0 0"
	assert_equal "$(jq -r .status "$W/put" | sort | uniq -c | xargs)" \
	    "$N_SECRETS unchanged"
}

@test "two paths that map to one name: one error record, exit 1 from kv-name on, every other secret migrated" {
	curl -sfS -X POST -H "X-Vault-Token: $VAULT_TOKEN" \
	    "$VAULT_URL/v1/secret/data/app/API" -d '{"data":{"token":"upper"}}' \
	    >/dev/null
	pipeline
	assert_equal "$PS" "0 0 0 0 1 0 1 0 1"
	assert_equal "$(wc -l <"$W/check")" "$((N_SECRETS + 1))"
	# app/API sorts before app/api: the first one seen keeps the name.
	run jq -c 'select(has("error")) | [.path, .error.tool]' "$W/check"
	assert_output '["app/api","kv-name"]'
	run jq -r 'select(has("error")) | .error.message' "$W/check"
	assert_output --regexp 'secret-app-api.*(taken|collid).*secret/app/API'
	run jq -r 'select(has("error") | not) | select(.check != "ok")' "$W/check"
	assert_output ''
	[[ $(cat "$W/name.err") == *"secret/app/api: "* ]]
	assert_equal "$(kvstate | jq -r '.secrets[] | select(.name == "secret-app-API" or .name == "secret-app-api") | .versions[-1].value')" \
	    upper
	run -0 verify "$W/named"
	# kv-name failed it: the later stages count it as failed upstream.
	[[ $(tail -n 1 "$W/name.err") == *", 1 failed" ]]
	[[ $(tail -n 1 "$W/put.err") == "kv-put: $((N_SECRETS + 1)) records: $N_SECRETS created, "*" 0 failed here, 1 failed upstream, "* ]]
	[[ $(tail -n 1 "$W/check.err") == "kv-check: $((N_SECRETS + 1)) records: $N_SECRETS ok, 0 differ, 0 failed here, 1 failed upstream;"* ]]
	curl -sfS -X DELETE -H "X-Vault-Token: $VAULT_TOKEN" \
	    "$VAULT_URL/v1/secret/metadata/app/API" >/dev/null
}

@test "a value holding U+0000, other control characters and a non-BMP character arrives byte for byte, and kv-check says ok" {
	# Key Vault takes any string as a value and keeps its octets
	# (learn.microsoft.com, "About Azure Key Vault secrets").
	curl -sfS -X POST -H "X-Vault-Token: $VAULT_TOKEN" \
	    "$VAULT_URL/v1/secret/data/ctl/one" \
	    -d '{"data":{"k":"a\u0000b\u0001c\u001bd\u007fe\u0085f\ud83d\ude00g"}}' \
	    >/dev/null
	curl -sfS -X POST -H "X-Vault-Token: $VAULT_TOKEN" \
	    "$VAULT_URL/v1/secret/data/ctl/two" \
	    -d '{"data":{"k":"\u0000","j":"x\u0000y"}}' >/dev/null
	! vault-dump secret/ctl/one secret/ctl/two 2>"$W/dump.err" |
	    kv-name 2>"$W/name.err" | tee "$W/named" |
	    kv-put 2>"$W/put.err" | tee "$W/put" |
	    kv-check 2>"$W/check.err" >"$W/check"
	PS="${PIPESTATUS[*]}"
	curl -sfS -X DELETE -H "X-Vault-Token: $VAULT_TOKEN" \
	    "$VAULT_URL/v1/secret/metadata/ctl/one" >/dev/null
	curl -sfS -X DELETE -H "X-Vault-Token: $VAULT_TOKEN" \
	    "$VAULT_URL/v1/secret/metadata/ctl/two" >/dev/null
	assert_equal "$PS" "0 0 0 0 0 0"
	assert_equal "$(jq -c '[.name, .status]' "$W/put")" \
	    '["secret-ctl-one","created"]
["secret-ctl-two","created"]'
	assert_equal "$(jq -c '[.name, .check]' "$W/check")" \
	    '["secret-ctl-one","ok"]
["secret-ctl-two","ok"]'
	# What the stand-in holds, asked directly.
	kvstate >"$W/state.json"
	run -0 "$PY" - "$W/state.json" <<-'EOF'
	import json, sys
	st = {s["name"]: s["versions"][-1] for s in
	      json.load(open(sys.argv[1], encoding="utf-8"))["secrets"]}
	want = {"secret-ctl-one": ("a\x00b\x01c\x1bd\x7fe\x85f\U0001F600g",
	                           "text/plain"),
	        "secret-ctl-two": ('{"j":"x\\u0000y","k":"\\u0000"}',
	                           "application/json")}
	for n, (v, ct) in want.items():
	    got = st[n]
	    if got["value"] != v or got["contentType"] != ct:
	        print("%s: %r %r" % (n, got["value"], got["contentType"]))
	EOF
	assert_output ''
	run -0 verify "$W/named"
}
