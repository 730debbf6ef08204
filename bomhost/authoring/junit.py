"""JUnit XML for ``bomhost plugin test --junit``: the format every CI shows as a test report.

One ``<testsuite>`` per plugin, one ``<testcase>`` per case (``classname`` is the plugin and the
case file), a ``<failure>`` with the diff when a case fails, and the case's sandbox events, logs
and stats in ``<system-out>``.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Sequence
from pathlib import Path

from bomhost.authoring.testing import CaseResult


def details(result: CaseResult) -> list[str]:
    """The lines shown under a case: stats, plugin errors, logs, sandbox events, HTTP requests."""
    stats = f"calls {result.calls}"
    if result.fuel is not None:
        stats += f", fuel {result.fuel}"
    if result.memory_bytes is not None:
        stats += f", memory {result.memory_bytes} bytes"
    lines = [stats]
    lines += [f"plugin error: {e}" for e in result.errors]
    lines += [f"log {line}" for line in result.logs]
    lines += [f"sandbox: {e}" for e in result.events] or ["sandbox: no events"]
    lines += [f"http: {r}" for r in result.requests]
    return lines


def write_junit(path: Path, plugin: str, results: Sequence[CaseResult]) -> None:
    """Write the report; the parent folder is created if needed."""
    failures = sum(1 for r in results if not r.passed)
    total_time = sum(r.elapsed_ms for r in results) / 1000
    suites = ET.Element("testsuites", name="bomhost plugin test")
    suite = ET.SubElement(
        suites,
        "testsuite",
        name=plugin,
        tests=str(len(results)),
        failures=str(failures),
        errors="0",
        skipped="0",
        time=f"{total_time:.3f}",
    )
    for r in results:
        case = ET.SubElement(
            suite,
            "testcase",
            classname=f"{plugin}.{r.source}",
            name=r.name,
            time=f"{r.elapsed_ms / 1000:.3f}",
        )
        if not r.passed:
            failure = ET.SubElement(case, "failure", message=r.problem or "failed")
            failure.text = "\n".join([r.problem or "", *r.diff])
        ET.SubElement(case, "system-out").text = "\n".join(details(r))
    ET.indent(suites)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as fh:
        ET.ElementTree(suites).write(fh, encoding="utf-8", xml_declaration=True)
        fh.write(b"\n")
