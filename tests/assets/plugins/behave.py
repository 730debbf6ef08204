#!/usr/bin/env python3
"""Test plugin (per call): what it does is chosen by the component's name; see ``answer``."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time


def finding(i: int, purl: str) -> dict[str, str]:
    return {
        "kind": "test",
        "message": f"{purl} #{i}",
        "severity": ("info", "warning", "error")[i % 3],
        "rule_id": f"test/{i}",
    }


def answer(raw: bytes) -> bytes:
    """The bytes to print for one request (may also sleep, crash or spawn, by name).

    finding-N: N findings | none: no findings | echo: the raw request as the message |
    env: sorted environment names as the message | pid: this process id as the message |
    garbage: not JSON | badshape: a finding without its fields | flood: 8 MiB |
    stderr-flood: 8 MiB on stderr, then no findings | crash: "boom" on stderr, exit 3 |
    sleep: sleep 60 s | grandchild / grandchild-exit: leave a sleeping grandchild that writes
    $BOMHOST_TEST_MARKER after 2.5 s (and its pid to $BOMHOST_TEST_MARKER.pid), then sleep / exit |
    escape / escape-exit: the same with a grandchild that calls setsid() and holds stdout open.
    """
    req = json.loads(raw)
    if "batch" in req:
        return _batch(req, raw)
    out = _one(req["component"], raw)
    return out if isinstance(out, bytes) else json.dumps({"findings": out}).encode() + b"\n"


def _batch(req: dict[str, object], raw: bytes) -> bytes:
    """``invoke = "batch"``: each item answered as above; the first that crashes, sleeps or
    writes garbage does so for the whole call. ``stranger`` names a component not sent."""
    findings: list[dict[str, str]] = []
    items = req["batch"]
    assert isinstance(items, list)
    for item in items:
        out = _one(item["component"], raw)
        if isinstance(out, bytes):
            return out
        purl = "pkg:npm/never-sent@0" if item["component"]["name"] == "stranger" else None
        findings += [{**f, "component_purl": purl or item["component_purl"]} for f in out]
        if purl:
            findings.append({**finding(0, purl), "component_purl": purl})
    return json.dumps({"findings": findings}).encode() + b"\n"


def _one(comp: dict[str, str], raw: bytes) -> bytes | list[dict[str, str]]:
    name = comp["name"]
    purl = comp["purl"] or name
    findings: list[dict[str, str]] = []
    if name.startswith("finding-"):
        findings = [finding(i, purl) for i in range(int(name.split("-")[1]))]
    elif name == "echo":
        findings = [
            {"kind": "echo", "message": raw.decode(), "severity": "info", "rule_id": "echo"}
        ]
    elif name == "env":
        keys = " ".join(sorted(os.environ))
        findings = [{"kind": "env", "message": keys, "severity": "info", "rule_id": "env"}]
    elif name == "pid":
        pid = str(os.getpid())
        findings = [{"kind": "pid", "message": pid, "severity": "info", "rule_id": "pid"}]
    elif name == "garbage":
        return b"this is not json\n"
    elif name == "badshape":
        return b'{"findings": [{"kind": "x"}]}\n'
    elif name == "flood":
        return b"x" * (8 * 1024 * 1024)
    elif name == "stderr-flood":
        for _ in range(128):
            sys.stderr.write("e" * 65535 + "\n")
        sys.stderr.flush()
    elif name == "crash":
        sys.stderr.write("starting\nboom\n")
        sys.stderr.flush()
        os._exit(3)
    elif name == "sleep":
        time.sleep(60)
    elif name.startswith(("grandchild", "escape")):
        marker = os.environ["BOMHOST_TEST_MARKER"]
        script = f"echo $$ > '{marker}.pid.tmp'; mv '{marker}.pid.tmp' '{marker}.pid'; sleep 2.5; touch '{marker}'"
        # escape*: the grandchild leaves the process group and session (setsid), keeping
        # stdout open; escape-exit answers and exits, escape sleeps.
        subprocess.Popen(["/bin/sh", "-c", script], start_new_session=name.startswith("escape"))
        deadline = time.monotonic() + 10
        while not os.path.exists(marker + ".pid") and time.monotonic() < deadline:
            time.sleep(0.01)
        if name in ("grandchild", "escape"):
            time.sleep(60)
    return findings


if __name__ == "__main__":
    sys.stdout.buffer.write(answer(sys.stdin.buffer.read()))
