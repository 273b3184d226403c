#!/usr/bin/env python3
"""kvwrap.py: the Key Vault stand-in (keyvault.py, the same arguments),
recording every access token it issues, one a line, in the file that
KVWRAP_TOKENS names: tests/hygiene.bats and tests/report.bats look for
them wherever a token must never be."""
import os
import sys

import keyvault

_issue = keyvault.App.issue


def issue(self, *a, **k):
    tok, exp = _issue(self, *a, **k)
    with open(os.environ["KVWRAP_TOKENS"], "a") as f:
        f.write(tok + "\n")
    return tok, exp


keyvault.App.issue = issue

if __name__ == "__main__":
    sys.exit(keyvault.main(sys.argv[1:]))
