#!/usr/bin/env bash
# bench.sh: `make bench`; see tests/bench.py.
exec /usr/bin/python3 "$(dirname "$0")/bench.py"
