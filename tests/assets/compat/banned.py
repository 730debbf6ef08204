#!/usr/bin/env python3
"""A bomdrift-style Python plugin: one JSON request on stdin, one JSON response on stdout."""

import json
import sys

BANNED = {"left-pad": "error", "event-stream": "warning"}

request = json.load(sys.stdin)
component = request["component"]
findings = []
severity = BANNED.get(component["name"])
if severity:
    findings.append(
        {
            "kind": "banned",
            "message": f"{component['name']} is banned",
            "severity": severity,
            "rule_id": f"banned/{component['name']}",
        }
    )
if request["event"] == "version-changed":
    findings.append(
        {
            "kind": "bump",
            "message": f"{request['before']['version']} -> {component['version']}",
            "severity": "info",
            "rule_id": "bump",
        }
    )
print(json.dumps({"findings": findings}))
