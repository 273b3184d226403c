#!/usr/bin/env bats
# faults.bats: what production does to a run.  2,000 secrets through the
# whole pipeline while both stand-ins fail ~10% of requests (500, 503,
# 429, dropped connections) and Key Vault tokens live 5 seconds; SIGTERM
# and SIGINT in the middle of kv-put, then the re-run; a reader that goes
# away (| head -n 1).

setup_file() {
	load helpers
	env_reset
	# 2,000 secrets: 1,600 in a KV v2 mount (in 140 folders), 400 in a
	# KV v1 mount; 300 more in int/ for the interruption tests.
	"$PY" - >"$BATS_FILE_TMPDIR/bulk.json" <<-'EOF'
	import json
	v2 = {"f%02d/g%d/s%04d" % (i % 20, i % 7, i):
	      {"data": {"n": str(i), "v": "value %d \"q\" é" % i}}
	      for i in range(1600)}
	v1 = {"old%02d/s%04d" % (i % 10, i): {"data": {"k": "v1-%d" % i}}
	      for i in range(400)}
	it = {"s%04d" % i: {"data": {"v": "int-value-%d" % i}}
	      for i in range(300)}
	print(json.dumps({"mounts": {"bulk/": 2, "bulk1/": 1, "int/": 2},
	                  "secrets": {"bulk/": v2, "bulk1/": v1, "int/": it}}))
	EOF
	start_vault --seed "$BATS_FILE_TMPDIR/bulk.json"
	# No throttling budgets: faults are the subject here, not pacing.
	start_keyvault --write-limit 0 --all-limit 0
}

teardown_file() { load helpers; stop_servers; }

setup() {
	load helpers
	W=$BATS_TEST_TMPDIR
	kv_reset
	kvconfig '{"latency_ms":0,"fail_rate":0,"token_lifetime":3600,
	    "fail_tokens":false}'
	vconfig '{"latency_ms":0,"fail_rate":0}'
	admin "$KV_URL/_admin/requests" -X DELETE >/dev/null
	admin "$VAULT_URL/_admin/requests" -X DELETE >/dev/null
}

kvconfig() {
	admin "$KV_URL/_admin/config" -X POST \
	    -H 'Content-Type: application/json' -d "$1" >/dev/null
}

vconfig() {
	admin "$VAULT_URL/_admin/config" -X POST \
	    -H 'Content-Type: application/json' -d "$1" >/dev/null
}

kvstate() {
	admin "$KV_URL/_admin/state"
}

# nsecrets: how many secrets Key Vault holds.
nsecrets() {
	kvstate | jq '.secrets | length'
}

# verify NAMED: every record of NAMED (with data) is in Key Vault once,
# with 1 or 2 versions (2 only after a retried write), the latest holding
# the value kv-put promises.  Prints the differences; fails on one.
verify() {
	kvstate >"$W/state.json"
	PYTHONPATH=$TOP/tests "$PY" - "$1" "$W/state.json" <<-'EOF'
	import json, sys
	from promised import promised
	recs = [json.loads(l) for l in open(sys.argv[1], encoding="utf-8")]
	state = json.load(open(sys.argv[2], encoding="utf-8"))
	kv = {}
	for s in state["secrets"]:
	    kv.setdefault(s["name"].lower(), []).append(s)
	bad = []
	for r in recs:
	    want = promised(r)
	    ss = kv.get(r["name"].lower(), [])
	    if len(ss) != 1:
	        bad.append("%s: %d secrets of that name" % (r["name"], len(ss)))
	        continue
	    vs = ss[0]["versions"]
	    if not 1 <= len(vs) <= 2:
	        bad.append("%s: %d versions" % (r["name"], len(vs)))
	    if vs[-1]["value"] != want:
	        bad.append("%s: value %r, want %r" % (r["name"], vs[-1]["value"],
	                                              want))
	    tag = vs[-1]["tags"].get("vault-path")
	    if tag != "%s/%s" % (r["mount"], r["path"]):
	        bad.append("%s: vault-path %r" % (r["name"], tag))
	if len(state["secrets"]) != len(recs):
	    bad.append("%d secrets in Key Vault for %d records" %
	               (len(state["secrets"]), len(recs)))
	print("\n".join(bad[:20]))
	sys.exit(1 if bad else 0)
	EOF
}

# injected URL KIND: how many requests the stand-in at URL failed with
# KIND (500, 503, 429, drop) since the last reset of its log.
injected() {
	admin "$1/_admin/requests" | jq --arg k "$2" \
	    '[.requests[] | select(((.injected // .fault) | tostring) == $k)] | length'
}

@test "2,000 secrets through the whole pipeline with 10% failures and 5 s tokens: every record accounted for, kv-check all ok" {
	local f kinds='"500","503","429","drop"' n
	vconfig '{"fail_rate":0.1,"fail_seed":11,"fail_kinds":['"$kinds"']}'
	kvconfig '{"fail_rate":0.1,"fail_seed":11,"fail_kinds":['"$kinds"'],
	    "fail_tokens":true,"token_lifetime":5}'
	# The stages run at once, as an operator runs them.
	! vault-ls -j 16 bulk bulk1 2>"$W/ls.err" | tee "$W/ls" |
	    vault-dump -j 16 2>"$W/dump.err" | tee "$W/dump" |
	    kv-name 2>"$W/name.err" | tee "$W/named" |
	    kv-put -j 16 --write-rate 1000000 --rate 1000000 2>"$W/put.err" |
	    tee "$W/put" |
	    kv-check -j 16 --rate 1000000 >"$W/check" 2>"$W/check.err"
	ps="${PIPESTATUS[*]}"
	vconfig '{"fail_rate":0}'
	kvconfig '{"fail_rate":0}'
	for f in ls dump name put check; do
		echo "# $(tail -n 1 "$W/$f.err")" >&3
	done
	assert_equal "$ps" "0 0 0 0 0 0 0 0 0"
	# Every record accounted for: 2,000 in, 2,000 out of every stage, in
	# the same order, none failed, every one checked ok.
	for f in ls dump named put check; do
		assert_equal "$(wc -l <"$W/$f")" 2000
		assert_equal "$(jq -r '"\(.mount)/\(.path)"' "$W/$f" | md5sum)" \
		    "$(jq -r '"\(.mount)/\(.path)"' "$W/ls" | md5sum)"
	done
	assert_equal "$(cat "$W"/{ls,dump,named,put,check} | grep -c '"error"')" 0
	assert_equal "$(jq -r .check "$W/check" | sort | uniq -c | xargs)" \
	    "2000 ok"
	assert_equal "$(jq -r .status "$W/put" | sort | uniq -c | xargs)" \
	    "2000 created"
	[[ $(tail -n 1 "$W/check.err") == "kv-check: 2000 records: 2000 ok, 0 differ, 0 failed;"* ]]
	run -0 verify "$W/named"
	# The faults did happen, of every kind, on both sides...
	for f in 500 503 429 drop; do
		n=$(injected "$VAULT_URL" "$f")
		(( n >= 20 )) || fail "Vault injected only $n $f"
		n=$(injected "$KV_URL" "$f")
		(( n >= 20 )) || fail "Key Vault injected only $n $f"
	done
	# ...and the 5 s tokens were renewed as they ran out (two tools).
	n=$(kvstate | jq .tokens.issued)
	(( n >= 6 )) || fail "only $n tokens issued"
	# The summaries count the retries.
	[[ $(tail -n 1 "$W/put.err") =~ \;\ [0-9]+\ requests,\ [1-9][0-9]*\ retried ]]
}

# interrupt SIGNAL: kv-put on 300 records is sent SIGNAL once some were
# written; it must stop within seconds, say what it did and exit 2; the
# re-run of the same input then completes the migration.
interrupt() {
	local sig=$1 pid n i t0 t1 st created
	vault-ls -q int | vault-dump -q | kv-name -q >"$W/named"
	assert_equal "$(wc -l <"$W/named")" 300
	# Slow enough to be caught in the middle: ~40 writes a second.
	kvconfig '{"latency_ms":100}'
	kv-put -j 4 <"$W/named" >"$W/put1" 2>"$W/put1.err" &
	pid=$!
	for i in $(seq 1 300); do
		n=$(nsecrets)
		(( n >= 30 )) && break
		sleep 0.1
	done
	(( n >= 30 )) || fail "kv-put wrote only $n secrets in 30 s"
	t0=$(date +%s%N)
	kill -s "$sig" "$pid"
	st=0
	wait "$pid" || st=$?
	t1=$(date +%s%N)
	kvconfig '{"latency_ms":0}'
	sed "s/^/# /" "$W/put1.err" >&3
	(( (t1 - t0) / 1000000 < 10000 )) ||
	    fail "kv-put took $(( (t1 - t0) / 1000000 )) ms to stop"
	# Exit 2 (DESIGN: interrupted is fatal), and the summary says so
	# and what was done.
	assert_equal "$st" 2
	run tail -n 1 "$W/put1.err"
	assert_output --regexp '^kv-put: interrupted: [0-9]+ records: [0-9]+ created, 0 updated, 0 unchanged, 0 conflicts, 0 skipped, '
	created=$(sed -E 's/.*: ([0-9]+) records: ([0-9]+) created.*/\2/' <<<"$output")
	# The summary and the output agree, and what it reports was written.
	assert_equal "$(tail -n 1 "$W/put1.err" |
	    sed -E 's/.*interrupted: ([0-9]+) records.*/\1/')" \
	    "$(wc -l <"$W/put1")"
	assert_equal "$(jq -r 'select(.status == "created") | .name' "$W/put1" | wc -l)" \
	    "$created"
	(( created >= 30 && created < 300 )) || fail "created $created"
	run jq -r 'select(has("error")) | .error.message' "$W/put1"
	[[ -z $output ]] || assert_equal "$(sort -u <<<"$output")" \
	    "interrupted: not written"
	# The records come out in input order: a prefix of the input.
	assert_equal "$(jq -r .path "$W/put1")" \
	    "$(jq -r .path "$W/named" | head -n "$(wc -l <"$W/put1")")"
	kvstate >"$W/state1.json"
	for id in $(jq -r 'select(.status == "created") | .id' "$W/put1"); do
		jq -e --arg id "$id" '[.secrets[] | .name as $n |
		    .versions[] | "/secrets/\($n)/\(.version)"] |
		    any(. as $v | $id | endswith($v))' "$W/state1.json" \
		    >/dev/null || fail "$id reported created, not in Key Vault"
	done
	(( $(nsecrets) >= created )) || fail "fewer secrets than created"
	# The same input again finishes the migration.
	run -0 --separate-stderr kv-put -j 4 <"$W/named"
	printf '%s\n' "$output" >"$W/put2"
	assert_equal "$(wc -l <"$W/put2")" 300
	assert_equal "$(jq -r .status "$W/put2" | sort -u | xargs)" \
	    "created unchanged"
	(( $(jq -r 'select(.status == "unchanged")' "$W/put2" | grep -c .) >= created ))
	run -0 verify "$W/named"
	run -0 --separate-stderr kv-check <"$W/put2"
	assert_equal "$(jq -r .check <<<"$output" | sort | uniq -c | xargs)" \
	    "300 ok"
}

@test "SIGTERM in the middle of kv-put: it stops within seconds, says what it did, exits 2; the re-run completes" {
	interrupt TERM
}

@test "SIGINT in the middle of kv-put: it stops within seconds, says what it did, exits 2; the re-run completes" {
	interrupt INT
}

# into_head IN TOOL ARGS...: the tool reads IN, its stdout goes to head -n
# 1 (into $W/out, which must hold that line), its stderr to $W/err; it
# must end within 20 s.  st: the pipeline's statuses.  Under timeout: a
# hang shows as 124.
into_head() {
	local in=$1
	shift
	SECONDS=0
	timeout 60 "$@" <"$in" 2>"$W/err" | head -n 1 >"$W/out"
	st=("${PIPESTATUS[@]}")
	assert_equal "$(wc -l <"$W/out")" 1
	(( SECONDS < 20 )) || fail "took $SECONDS s"
}

@test "vault-dump | head -n 1: vault-dump stops at once, quietly, with the status of what it wrote" {
	local ms
	vault-ls -q bulk bulk1 >"$W/ls"
	into_head "$W/ls" vault-dump -j 8
	# A read-only stage whose reader left ends as a filter does: 0 for
	# the records it wrote (all fine), no message; not a hang (124).
	assert_equal "${st[0]}" 0
	run cat "$W/err"
	assert_output ""
}

@test "kv-put | head -n 1: kv-put stops at once with a message, exit 2, and a re-run finishes the job" {
	vault-ls -q int | vault-dump -q | kv-name -q >"$W/named"
	into_head "$W/named" kv-put -j 4
	assert_equal "${st[0]}" 2
	run cat "$W/err"
	assert_output --regexp '(Broken pipe|broken pipe)'
	# It stopped early: not everything was written.
	(( $(nsecrets) < 300 )) || fail "kv-put went on writing after its reader left"
	run -0 --separate-stderr kv-put -j 4 <"$W/named"
	run -0 verify "$W/named"
}

@test "kv-name and kv-check into head -n 1: they stop at once, quietly, with the status of what they wrote" {
	vault-ls -q bulk | vault-dump -q >"$W/dump"
	SECONDS=0
	timeout 60 kv-name <"$W/dump" 2>"$W/err" | head -n 1 >/dev/null
	st=("${PIPESTATUS[@]}")
	assert_equal "${st[0]}" 0
	assert_equal "$(cat "$W/err")" ""
	kv-name -q <"$W/dump" | head -n 200 | kv-put -q -j 8 >"$W/put"
	timeout 60 kv-check <"$W/put" 2>"$W/err" | head -n 1 >/dev/null
	st=("${PIPESTATUS[@]}")
	assert_equal "${st[0]}" 0
	assert_equal "$(cat "$W/err")" ""
	(( SECONDS < 30 )) || fail "took $SECONDS s"
}
