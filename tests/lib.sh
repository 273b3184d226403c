# lib.sh: starting and stopping the local stand-ins, shared by the bats
# suites (through helpers.bash), `make demo` and `make bench`.  Needs TOP
# (the project root); state goes to V2K_RUNDIR, else the bats file's
# temporary directory.

SERVERS=$TOP/tests/servers
# Debian's own python3: the stand-ins need the standard library only, the
# fidelity tests need python3-hvac and python3-azure, which live there.
PY=/usr/bin/python3
[ -x "$PY" ] || PY=python3

_rundir() {
	echo "${V2K_RUNDIR:-${BATS_FILE_TMPDIR:-$BATS_TEST_TMPDIR}}"
}

# tls_setup DIR [SAN]: a throwaway CA and a server certificate for
# 127.0.0.1 and localhost in DIR (ca.pem, server.pem, server.key), made
# with openssl; SAN, when given, is the certificate's subjectAltName
# instead (IP:127.0.0.1,DNS:localhost,DNS:*.localhost).
tls_setup() {
	local d=$1 san=${2:-IP:127.0.0.1,DNS:localhost,DNS:*.localhost}
	[ -f "$d/server.pem" ] && return 0
	mkdir -p "$d"
	openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=v2k-test-ca \
	    -keyout "$d/ca.key" -out "$d/ca.pem" \
	    -addext basicConstraints=critical,CA:TRUE \
	    -addext keyUsage=critical,keyCertSign,cRLSign >/dev/null 2>&1 || return 1
	openssl req -newkey rsa:2048 -nodes -subj /CN=127.0.0.1 \
	    -keyout "$d/server.key" -out "$d/server.csr" >/dev/null 2>&1 || return 1
	printf '%s\n' "subjectAltName=$san" \
	    'basicConstraints=CA:FALSE' 'extendedKeyUsage=serverAuth' >"$d/ext.cnf"
	openssl x509 -req -in "$d/server.csr" -CA "$d/ca.pem" -CAkey "$d/ca.key" \
	    -CAcreateserial -days 2 -extfile "$d/ext.cnf" \
	    -out "$d/server.pem" >/dev/null 2>&1 || return 1
}

# self_signed DIR NAME CN: a throwaway self-signed certificate for CN in
# DIR: NAME.key, NAME.crt, and both in NAME.pem (certificate first).
self_signed() {
	openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=$3" \
	    -keyout "$1/$2.key" -out "$1/$2.crt" >/dev/null 2>&1 || return 1
	cat "$1/$2.crt" "$1/$2.key" >"$1/$2.pem"
}

# _start NAME SCRIPT ARGS...: start a stand-in, wait for the first line of
# its stdout (its base URL) and set NAME_URL and NAME_PID.
_start() {
	local name=$1 script=$2 dir url i
	shift 2
	dir=$(_rundir)
	: >"$dir/$name.out"
	"$PY" "$SERVERS/$script" --port 0 "$@" \
	    >"$dir/$name.out" 2>"$dir/$name.err" 3>&- &
	eval "${name}_PID=$!"
	echo "$!" >>"$dir/servers.pids"
	for i in $(seq 1 200); do
		url=$(head -n 1 "$dir/$name.out" 2>/dev/null)
		[ -n "$url" ] && break
		sleep 0.05
	done
	if [ -z "$url" ]; then
		echo "$name did not start:" >&2
		cat "$dir/$name.err" >&2
		return 1
	fi
	eval "${name}_URL=\$url"
}

# start_vault [ARGS...]: the Vault stand-in over plain HTTP with root token
# "root"; exports VAULT_ADDR and VAULT_TOKEN.
start_vault() {
	local dir=$(_rundir)
	_start VAULT vault.py --root-token root --log "$dir/vault.log" "$@" || return 1
	export VAULT_ADDR=$VAULT_URL VAULT_TOKEN=root VAULT_PID VAULT_URL
}

# start_keyvault [ARGS...]: the Key Vault stand-in over TLS with a throwaway
# CA; exports the variables a tool needs to reach it with a client secret,
# as the public cloud (AZURE_CLOUD) with its endpoints pointed at it: no
# metadata document is read (tests/clouds.bats reads it).
start_keyvault() {
	local dir=$(_rundir)
	tls_setup "$dir/tls" || return 1
	_start KV keyvault.py --tls-cert "$dir/tls/server.pem" \
	    --tls-key "$dir/tls/server.key" --tenant test-tenant \
	    --client-id test-client --client-secret test-secret-Zq8 \
	    --log "$dir/keyvault.log" "$@" || return 1
	export KV_URL KV_PID
	export KEY_VAULT_NAME=$KV_URL AZURE_AUTHORITY_HOST=$KV_URL
	export AZURE_RESOURCE_MANAGER_URL=$KV_URL AZURE_CLOUD=AzureCloud
	export AZURE_TENANT_ID=test-tenant AZURE_CLIENT_ID=test-client
	export AZURE_CLIENT_SECRET=test-secret-Zq8
	export SSL_CERT_FILE=$dir/tls/ca.pem CURL_CA_BUNDLE=$dir/tls/ca.pem
	export REQUESTS_CA_BUNDLE=$dir/tls/ca.pem TLS_DIR=$dir/tls
}

# stop_servers: stop every stand-in this file started.
stop_servers() {
	local dir=$(_rundir) p
	[ -f "$dir/servers.pids" ] || return 0
	while read -r p; do
		kill "$p" 2>/dev/null
	done <"$dir/servers.pids"
	while read -r p; do
		for _ in $(seq 1 50); do
			kill -0 "$p" 2>/dev/null || break
			sleep 0.05
		done
		kill -9 "$p" 2>/dev/null
	done <"$dir/servers.pids"
	rm -f "$dir/servers.pids"
	return 0
}

