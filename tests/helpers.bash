# helpers.bash: shared set-up for every bats suite of vault2kv.
#
# In a suite:
#	setup_file() { load helpers; env_reset; start_vault; start_keyvault; }
#	teardown_file() { load helpers; stop_servers; }
#	setup() { load helpers; }
# Servers are started once per file on 127.0.0.1 with a free port; their
# URLs are exported so every test of the file sees them.

bats_require_minimum_version 1.5.0
TOP=$(cd "$BATS_TEST_DIRNAME/.." && pwd)

for _t in vault-ls vault-dump kv-name kv-put kv-check kv-grant; do
	case ":$PATH:" in *":$TOP/$_t:"*) ;; *) PATH=$TOP/$_t:$PATH ;; esac
done
# make check VALGRIND=1: every tool a suite starts runs under valgrind.
if [ -n "${V2K_VALGRIND:-}" ] && [ -n "${BATS_RUN_TMPDIR:-}" ]; then
	_w=$BATS_RUN_TMPDIR/vg-bin
	if [ ! -d "$_w" ]; then
		mkdir -p "$_w"
		for _t in vault-ls vault-dump kv-name kv-put kv-check kv-grant; do
			printf '#!/bin/sh\nexec %s "%s" "$@"\n' "$V2K_VALGRIND" \
			    "$TOP/$_t/$_t" >"$_w/$_t"
			chmod +x "$_w/$_t"
		done
	fi
	PATH=$_w:$PATH
fi
export PATH
export LC_ALL=C
if [ -n "${BATS_TEST_TMPDIR:-}" ]; then
	export HOME=$BATS_TEST_TMPDIR/home TMPDIR=$BATS_TEST_TMPDIR/tmp
	mkdir -p "$HOME" "$TMPDIR"
fi

for _l in /usr/lib/bats/bats-support /usr/lib/bats/bats-assert; do
	[ -f "$_l/load.bash" ] && load "$_l/load.bash"
done

# env_reset: forget whatever VAULT_*, BAO_*, AZURE_* and identity variables the
# caller's environment had, so a test never reaches a real service.
env_reset() {
	local v
	for v in $(compgen -e); do
		case $v in
		VAULT_*|BAO_*|AZURE_*|KEY_VAULT_*|KV_CLIENT_TIMEOUT|IDENTITY_*|MSI_*|IMDS_*) unset "$v" ;;
		esac
	done
	export TMPDIR=${BATS_FILE_TMPDIR:-${TMPDIR:-/tmp}}
}

. "$TOP/tests/lib.sh"

# admin URL [CURL-ARGS...]: call a stand-in's admin endpoint.
admin() {
	local url=$1
	shift
	curl -sS --cacert "${TLS_DIR:-/dev/null}/ca.pem" "$@" "$url"
}
