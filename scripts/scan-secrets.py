#!/usr/bin/env python3
"""Fails if any registered secret appears in the logs and answers the test suite wrote.

Usage: scan-secrets.py LOGDIR

LOGDIR/secrets/*.txt hold the secrets the tests used, one a line (written by
server/tests/support/recording.rs and scripts/test.sh). Every other file under
LOGDIR (server logs, recorded HTTP answers, peer logs) is searched for each
secret, as written and URL-encoded. Findings name the file and the line, and
show only the first characters of the secret.
"""
import sys
import urllib.parse
from pathlib import Path


def main() -> int:
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    root = Path(sys.argv[1])
    secrets = set()
    for registry in sorted((root / "secrets").glob("*.txt")):
        for line in registry.read_text(errors="replace").splitlines():
            if len(line.strip()) >= 8:
                secrets.add(line.strip())
    if not secrets:
        print(f"no secrets registered under {root}/secrets: nothing to look for", file=sys.stderr)
        return 2
    needles = {}
    for secret in secrets:
        for form in {secret, urllib.parse.quote(secret, safe=""), urllib.parse.quote_plus(secret)}:
            needles[form.encode()] = secret
    findings = 0
    scanned = 0
    for path in sorted(root.rglob("*")):
        if not path.is_file() or (root / "secrets") in path.parents:
            continue
        scanned += 1
        data = path.read_bytes()
        for needle, secret in needles.items():
            at = data.find(needle)
            if at < 0:
                continue
            line = data.count(b"\n", 0, at) + 1
            print(f"{path.relative_to(root)}:{line}: contains a registered secret "
                  f"({secret[:3]}…, {len(secret)} characters)", file=sys.stderr)
            findings += 1
    if findings:
        print(f"secret scan: {findings} finding(s) in {scanned} files", file=sys.stderr)
        return 1
    print(f"secret scan: {len(secrets)} secrets, {scanned} files, nothing found")
    return 0


if __name__ == "__main__":
    sys.exit(main())
