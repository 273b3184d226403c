#!/usr/bin/env bats
# vault-ls against the Vault stand-in: KV v1 and v2, deep folders, 2,500
# secrets, a token limited to one subtree, namespaces, odd paths.

FIX=$BATS_TEST_DIRNAME/fixtures/vault

setup_file() {
	load helpers
	env_reset
	start_vault --seed "$FIX/tree.json"
	# Bulk: 2,000 KV v2 secrets in 20 x 7 folders, 500 KV v1 secrets.
	"$PY" - >"$BATS_FILE_TMPDIR/bulk.json" <<-'EOF'
		import json
		v2 = {"f%02d/g%d/s%04d" % (i % 20, i % 7, i): {"data": {"n": str(i)}}
		      for i in range(2000)}
		v1 = {"d%d/s%03d" % (i % 5, i): {"data": {"n": str(i)}}
		      for i in range(500)}
		print(json.dumps({"mounts": {"bulk/": 2, "bulk1/": 1},
		                  "secrets": {"bulk/": v2, "bulk1/": v1}}))
	EOF
	admin "$VAULT_URL/_admin/seed" -X POST \
	    --data-binary "@$BATS_FILE_TMPDIR/bulk.json" >/dev/null
	TEAM1_TOKEN=$(team1_token)
	export TEAM1_TOKEN
}

teardown_file() { load helpers; stop_servers; }

setup() {
	load helpers
}

@test "lists KV v1 and v2 mounts sorted by mount then path, without values" {
	run -0 --separate-stderr vault-ls secret legacy app-secrets
	assert_output "$(cat "$FIX/ls-tree.ndjson")"
	refute_output --partial '"data"'
	assert_equal "$stderr" "vault-ls: app-secrets/: 2 secrets (kv v2)
vault-ls: legacy/: 3 secrets (kv v1)
vault-ls: secret/: 14 secrets (kv v2)
vault-ls: 19 secrets in 3 mounts, 0 failed"
}

@test "without operands it finds every KV mount in sys/mounts" {
	run -0 --separate-stderr vault-ls -q
	assert_equal "$(jq -r .mount <<<"$output" | uniq | tr '\n' ' ')" \
	    "app-secrets bulk bulk1 legacy secret "
	assert_equal "${#lines[@]}" 2519
	assert_equal "$stderr" ""
	run -0 vault-ls -q app-secrets bulk bulk1 legacy secret
	assert_equal "$(wc -l <<<"$output")" 2519
}

@test "prints the count per mount and a summary on stderr" {
	run -0 --separate-stderr vault-ls
	assert_equal "$stderr" "vault-ls: app-secrets/: 2 secrets (kv v2)
vault-ls: bulk/: 2000 secrets (kv v2)
vault-ls: bulk1/: 500 secrets (kv v1)
vault-ls: legacy/: 3 secrets (kv v1)
vault-ls: secret/: 14 secrets (kv v2)
vault-ls: 2519 secrets in 5 mounts, 0 failed"
}

@test "keeps a secret and a folder of the same name" {
	run -0 vault-ls -q secret
	assert_line '{"mount":"secret","path":"app","kv":2}'
	assert_line '{"mount":"secret","path":"app/db","kv":2}'
	assert_line '{"mount":"secret","path":"app/api","kv":2}'
}

@test "walks folders five deep" {
	run -0 vault-ls -q secret/a
	assert_output '{"mount":"secret","path":"a/b/c/d/e/leaf","kv":2}
{"mount":"secret","path":"a/b/c/d/e/leaf2","kv":2}
{"mount":"secret","path":"a/top","kv":2}'
}

@test "a folder operand lists only that subtree of a KV v1 mount" {
	run -0 --separate-stderr vault-ls legacy/old/
	assert_output '{"mount":"legacy","path":"old/other","kv":1}
{"mount":"legacy","path":"old/thing","kv":1}'
	assert_equal "$stderr" "vault-ls: legacy/: 2 secrets (kv v1)
vault-ls: 2 secrets in 1 mount, 0 failed"
}

@test "overlapping operands list each secret once" {
	run -0 vault-ls -q secret/app secret secret/app/
	assert_output "$(grep '"secret"' "$FIX/ls-tree.ndjson")"
}

@test "an empty or missing folder is a warning, not an error" {
	run -0 --separate-stderr vault-ls secret/no/such
	assert_output ""
	assert_equal "$stderr" "vault-ls: secret/no/such/: no secrets (empty or missing folder)
vault-ls: secret/: 0 secrets (kv v2)
vault-ls: 0 secrets in 1 mount, 0 failed"
}

@test "lists 2,500 secrets identically with -j 1 and -j 16" {
	run -0 vault-ls -q -j 1 bulk bulk1
	one=$output
	assert_equal "${#lines[@]}" 2500
	run -0 vault-ls -q -j 16 bulk bulk1
	assert_equal "$output" "$one"
	# Sorted by mount, then path in byte order.
	assert_equal "$(jq -r '.mount + " " + .path' <<<"$output" |
	    LC_ALL=C sort -c && echo sorted)" sorted
	assert_equal "$(jq -r .path <<<"$output" | sort -u | wc -l)" 2500
}

@test "a token limited to one subtree gets error records for the folders it may not list" {
	VAULT_TOKEN=$TEAM1_TOKEN run -1 --separate-stderr vault-ls -j 1
	assert_output "$(cat "$FIX/ls-team1.ndjson")"
	assert_equal "$stderr" "vault-ls: secret/a/: cannot list: permission denied
vault-ls: secret/app/: cannot list: permission denied
vault-ls: secret/gone/: cannot list: permission denied
vault-ls: secret/hist/: cannot list: permission denied
vault-ls: secret/team2/: cannot list: permission denied
vault-ls: secret/wéird path/: cannot list: permission denied
vault-ls: secret/: 4 secrets (kv v2), 6 failed
vault-ls: 4 secrets in 1 mount, 6 failed"
}

@test "a limited token finds its mount through sys/internal/ui/mounts" {
	admin "$VAULT_URL/_admin/requests" -X DELETE >/dev/null
	VAULT_TOKEN=$TEAM1_TOKEN run -0 --separate-stderr vault-ls -l -j 1 secret/team1
	assert_equal "$(jq -c '[.path, .version, .deleted]' <<<"$output")" \
	    '["team1/other",1,false]
["team1/svc/key",1,false]'
	run -0 admin "$VAULT_URL/_admin/requests"
	# The metadata of team1/other may be read while team1/svc/ is listed:
	# the records stream out of the walk.
	assert_equal "$(jq -r '.requests[] | "\(.method) \(.path) \(.status)"' <<<"$output" | sort)" \
	    "GET /v1/auth/token/lookup-self 200
GET /v1/secret/metadata/team1/other 200
GET /v1/secret/metadata/team1/svc/key 200
GET /v1/sys/internal/ui/mounts/secret/team1 200
LIST /v1/secret/metadata/team1/ 200
LIST /v1/secret/metadata/team1/svc/ 200"
}

@test "sends only GET and LIST requests, with X-Vault-Request" {
	admin "$VAULT_URL/_admin/requests" -X DELETE >/dev/null
	run -0 vault-ls -q -l
	run -0 admin "$VAULT_URL/_admin/requests"
	assert_equal "$(jq -r '[.requests[].method] | unique | join(" ")' <<<"$output")" \
	    "GET LIST"
	assert_equal "$(jq '[.requests[] | select(.headers["X-Vault-Request"] != "true")] | length' <<<"$output")" 0
	assert [ "$(jq '.requests | length' <<<"$output")" -gt 2000 ]
}

@test "-l adds the KV v2 metadata of the current version" {
	run -0 vault-ls -q -l secret/app secret/hist secret/gone legacy/old
	assert_equal "$(jq -c 'del(.created_time, .updated_time)' <<<"$output")" \
	    '{"mount":"legacy","path":"old/other","kv":1}
{"mount":"legacy","path":"old/thing","kv":1}
{"mount":"secret","path":"app/api","kv":2,"version":1,"custom_metadata":null,"version_count":1,"deleted":false,"destroyed":false}
{"mount":"secret","path":"app/db","kv":2,"version":2,"custom_metadata":{"owner":"team-a"},"version_count":2,"deleted":false,"destroyed":false}
{"mount":"secret","path":"gone/deleted-latest","kv":2,"version":2,"custom_metadata":null,"version_count":2,"deleted":true,"destroyed":false}
{"mount":"secret","path":"gone/destroyed-latest","kv":2,"version":2,"custom_metadata":null,"version_count":2,"deleted":false,"destroyed":true}
{"mount":"secret","path":"hist/multi","kv":2,"version":4,"custom_metadata":null,"version_count":4,"deleted":false,"destroyed":false,"delete_version_after":"3h0m0s"}'
	assert_line --partial '"path":"app/db","kv":2,"version":2,"created_time":"2024-02-01T00:00:00.5Z","updated_time":"2024-02-01T00:00:00.5Z"'
}

@test "-l with -j 1 and -j 16 gives the same 2,000 records" {
	run -0 vault-ls -q -l -j 1 bulk
	one=$output
	assert_equal "$(jq -c 'select(.version == 1 and .version_count == 1)' <<<"$output" | wc -l)" 2000
	run -0 vault-ls -q -l -j 16 bulk
	assert_equal "$output" "$one"
}

@test "-l turns a secret whose metadata it may not read into an error record" {
	vault_policy listonly <<<'{"policy":"path \"secret/metadata/app/*\" { capabilities = [\"list\"] }"}'
	tok=$(vault_token '{"policies":["listonly"]}')
	VAULT_TOKEN=$tok run -1 --separate-stderr vault-ls -l -j 1 secret/app
	assert_output '{"mount":"secret","path":"app/api","kv":2,"error":{"tool":"vault-ls","status":403,"message":"metadata: permission denied"}}
{"mount":"secret","path":"app/db","kv":2,"error":{"tool":"vault-ls","status":403,"message":"metadata: permission denied"}}'
	assert_equal "$stderr" "vault-ls: secret/app/api: metadata: permission denied
vault-ls: secret/app/db: metadata: permission denied
vault-ls: secret/: 2 secrets (kv v2), 2 failed
vault-ls: 2 secrets in 1 mount, 2 failed"
}

@test "VAULT_NAMESPACE lists the namespace's mounts and records carry it" {
	VAULT_NAMESPACE=team-a/ run -0 --separate-stderr vault-ls
	assert_output '{"mount":"kv","path":"ns/secret","kv":2,"namespace":"team-a"}'
	assert_equal "$stderr" "vault-ls: kv/: 1 secret (kv v2)
vault-ls: 1 secret in 1 mount, 0 failed"
	VAULT_NAMESPACE=team-a run -0 vault-ls -q kv/ns
	assert_output '{"mount":"kv","path":"ns/secret","kv":2,"namespace":"team-a"}'
}

@test "paths with unicode, spaces and quotes are listed and percent-encoded" {
	admin "$VAULT_URL/_admin/requests" -X DELETE >/dev/null
	run -0 vault-ls -q 'secret/wéird path'
	assert_output '{"mount":"secret","path":"wéird path/with \"quotes\" & spaces?","kv":2}'
	run -0 admin "$VAULT_URL/_admin/requests"
	assert_equal "$(jq -r '.requests[-1] | "\(.method) \(.path)"' <<<"$output")" \
	    "LIST /v1/secret/metadata/w%C3%A9ird%20path/"
}

@test "a mount it cannot resolve becomes an error record" {
	VAULT_TOKEN=$TEAM1_TOKEN run -1 --separate-stderr vault-ls app-secrets/team1
	assert_output '{"mount":"app-secrets","path":"team1","folder":true,"error":{"tool":"vault-ls","status":403,"message":"preflight capability check returned 403, please ensure client'"'"'s policies grant access to path \"app-secrets/team1/\""}}'
	assert_line -n 0 --partial '"status":403'
}

@test "reads the token from ~/.vault-token when VAULT_TOKEN is unset" {
	printf '  root\n\n' >"$HOME/.vault-token"
	unset VAULT_TOKEN
	run -0 vault-ls -q legacy
	assert_equal "${#lines[@]}" 3
}

@test "a rejected token is fatal and never printed" {
	VAULT_TOKEN=hvs.not-a-real-token-Xq7 run -2 --separate-stderr vault-ls
	assert_output ""
	assert_equal "$stderr" "vault-ls: Vault at $VAULT_ADDR rejected the token: permission denied; invalid token"
}

@test "VAULT_ADDR missing exits 2 with a clear message" {
	unset VAULT_ADDR
	run -2 --separate-stderr vault-ls
	assert_output ""
	assert_equal "$stderr" "vault-ls: VAULT_ADDR is not set: export the URL of the Vault server, e.g. https://vault.example.com:8200"
}

@test "an unreachable Vault exits 2" {
	port=$("$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
	VAULT_ADDR=http://127.0.0.1:$port run -2 --separate-stderr vault-ls
	assert_output ""
	assert_regex "$stderr" "^vault-ls: cannot reach Vault at http://127.0.0.1:$port: .*[Cc]onnect"
}

@test "bad VAULT_SKIP_VERIFY, VAULT_CACERT and -j are fatal" {
	VAULT_SKIP_VERIFY=yes run -2 --separate-stderr vault-ls
	assert_equal "$stderr" 'vault-ls: could not parse VAULT_SKIP_VERIFY: "yes" is not a boolean (true, false, 1, 0)'
	VAULT_CACERT=/nonexistent/ca.pem run -2 --separate-stderr vault-ls
	assert_equal "$stderr" "vault-ls: VAULT_CACERT: /nonexistent/ca.pem: No such file or directory"
	run -2 --separate-stderr vault-ls -j 65
	assert_equal "${stderr_lines[0]}" "vault-ls: -j: 65 is out of range 1 to 64"
}

@test "a usage error goes to stderr with exit 2" {
	run -2 --separate-stderr vault-ls -Z
	assert_output ""
	assert_equal "$stderr" "vault-ls: invalid option -- 'Z'
usage: vault-ls [-Ahlnqv] [-j jobs] [mount[/folder] ...]"
}

@test "over TLS: VAULT_CACERT or VAULT_CAPATH trust the server, VAULT_SKIP_VERIFY skips the check" {
	dir=$BATS_FILE_TMPDIR/tls
	tls_setup "$dir"
	_start VTLS vault.py --root-token root --seed "$FIX/tree.json" \
	    --tls-cert "$dir/server.pem" --tls-key "$dir/server.key"
	export VAULT_ADDR=$VTLS_URL
	assert_regex "$VAULT_ADDR" '^https://'
	run -2 --separate-stderr vault-ls -q legacy
	assert_regex "$stderr" "^vault-ls: cannot reach Vault at $VAULT_ADDR: .*(certificate|SSL)"
	VAULT_CACERT=$dir/ca.pem VAULT_CAPATH=/nonexistent run -0 vault-ls -q legacy
	assert_equal "${#lines[@]}" 3
	mkdir -p "$BATS_TEST_TMPDIR/capath"
	cp "$dir/ca.pem" "$BATS_TEST_TMPDIR/capath/"
	openssl rehash "$BATS_TEST_TMPDIR/capath"
	VAULT_CAPATH=$BATS_TEST_TMPDIR/capath run -0 vault-ls -q legacy
	assert_equal "${#lines[@]}" 3
	VAULT_SKIP_VERIFY=true run -0 vault-ls -q legacy
	assert_equal "${#lines[@]}" 3
	VAULT_SKIP_VERIFY=0 run -2 vault-ls -q legacy
}

@test "vault-ls | head: stops at once and quietly while its workers list, 40 times in a row" {
	# The printer that stopped freed a folder still queued for the
	# workers: about one run in five deadlocked (the 90-minute CI hang).
	local i l st err=$BATS_TEST_TMPDIR/err out=$BATS_TEST_TMPDIR/out
	for i in $(seq 1 40); do
		l=()
		(( i % 4 < 2 )) || l=(-l)	# -l: through the ordered pool
		timeout -s KILL 20 vault-ls -j $((i % 2 ? 8 : 16)) "${l[@]}" \
		    bulk bulk1 2>"$err" | head -n 50 >"$out" || true
		st=("${PIPESTATUS[@]}")
		# 137: killed by timeout, a hang; 0: the records it wrote.
		assert_equal "run $i: ${st[0]}" "run $i: 0"
		assert_equal "$(wc -l <"$out")" 50
		run cat "$err"
		assert_output ""
	done
}
