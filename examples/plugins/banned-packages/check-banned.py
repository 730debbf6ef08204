#!/usr/bin/env python3
"""bomdrift/bomhost plugin (protocol 1): flag components whose purl starts with a banned prefix.

Reads one request on stdin, writes one response on stdout. Standard library only.
Rule: for each prefix in banned.txt (next to this file), in file order, a component whose purl
starts with the prefix (exact, case-sensitive) gets one finding:
  kind "banned", severity "error", rule_id "banned/<prefix>",
  message "<purl> matches banned prefix <prefix>".
A component without a purl is never flagged.
"""

import json
import os
import sys


def load_prefixes(path):
    with open(path, encoding="utf-8") as fh:
        lines = (line.strip() for line in fh)
        return [line for line in lines if line and not line.startswith("#")]


def findings(purl, prefixes):
    if not purl:
        return []
    return [
        {
            "kind": "banned",
            "message": f"{purl} matches banned prefix {prefix}",
            "severity": "error",
            "rule_id": f"banned/{prefix}",
        }
        for prefix in prefixes
        if purl.startswith(prefix)
    ]


def main():
    request = json.load(sys.stdin)
    here = os.path.dirname(os.path.abspath(__file__))
    prefixes = load_prefixes(os.path.join(here, "banned.txt"))
    purl = request["component"].get("purl")
    json.dump({"findings": findings(purl, prefixes)}, sys.stdout)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
