"""promised.py: the value kv-put promises to store for a record of
kv-name's output, for the suites that check Key Vault after a run
(faults.bats, pipeline.bats)."""

import json


def dump(v):
    """v as compact JSON with sorted keys, UTF-8 kept."""
    return json.dumps(v, sort_keys=True, separators=(",", ":"),
                      ensure_ascii=False)


def promised(rec):
    """One key: the string itself, or a non-string as compact JSON; else
    the object as compact JSON with sorted keys."""
    d = rec["data"]
    if len(d) == 1:
        (v,) = d.values()
        return v if isinstance(v, str) else dump(v)
    return dump(d)
