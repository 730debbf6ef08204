#!/usr/bin/env python3
"""A protocol-2 plugin that reports each bomdrift signal kind for the component named after it.

Lets the gate and report tests drive every --fail-on value through a real plugin process,
whatever first-party signals this build ships: a component named ``cve-high`` gets a HIGH
vulnerability, ``typosquat`` a typosquat, and so on (see SIGNALS).
"""

import json
import sys

SIGNALS = {
    "cve-low": ("vulnerability", "warning", "GHSA-low", {"id": "GHSA-low", "severity": "LOW"}),
    "cve-high": (
        "vulnerability",
        "error",
        "CVE-2099-0001",
        {"id": "CVE-2099-0001", "severity": "HIGH", "aliases": ["GHSA-xxxx"], "epss_score": 0.7},
    ),
    "cve-kev": (
        "vulnerability",
        "warning",
        "CVE-2099-0002",
        {"id": "CVE-2099-0002", "severity": "MEDIUM", "kev": True, "epss_score": 0.1},
    ),
    "typosquat": (
        "typosquat",
        "warning",
        "bomdrift.typosquat",
        {"closest": "typescript", "score": 0.93},
    ),
    "licensed": (
        "license-violation",
        "error",
        "bomdrift.license-violation",
        {"license": "GPL-3.0-only", "matched_rule": "deny: GPL-*", "kind": "deny"},
    ),
    "fresh": (
        "recently-published",
        "warning",
        "bomdrift.recently-published",
        {"published_at": "2099-01-01T00:00:00Z", "age_days": 1},
    ),
    "old-news": (
        "deprecated",
        "warning",
        "bomdrift.deprecated",
        {"reason": "no longer maintained"},
    ),
}

request = json.loads(sys.stdin.read())
signal = SIGNALS.get(request["component"]["name"])
findings = []
if signal:
    kind, severity, rule_id, data = signal
    findings.append(
        {
            "kind": kind,
            "message": f"{kind} here",
            "severity": severity,
            "rule_id": rule_id,
            "data": data,
        }
    )
print(json.dumps({"findings": findings}))
