"""Baselines: findings a team has already accepted, dropped from the report and from the gates.

The file is bomdrift's: a ``diff --output json`` report (its findings are the accepted state),
plus a ``suppressed_advisories`` list (alias ``suppressed_ids``) of ids, each a string or an
object ``{id, purl?, expires?, reason?, vex_status?, vex_justification?}``. An entry past its
``expires`` date (YYYY-MM-DD) no longer suppresses and is reported as a warning.

Suppression is generic over findings: a finding is suppressed when its id (a plugin finding's
``rule_id``; a vulnerability's advisory id) is listed, optionally for one purl, or when the same
finding (plugin, component, rule) is in the baseline report. bomdrift's own vulnerability keys
(``enrichment.vulns``) are read too, for the findings that carry an advisory id.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bomhost.errors import UsageError
from bomhost.model import Finding

_ID = re.compile(r"^(GHSA|CVE|MAL|OSV)-[A-Za-z0-9-]+$")


@dataclass(frozen=True)
class BaselineEntry:
    """One object-form ``suppressed_advisories`` entry (kept for warnings and VEX)."""

    id: str
    purl: str | None = None
    reason: str | None = None
    expires: str | None = None
    vex_status: str | None = None
    vex_justification: str | None = None


@dataclass(frozen=True)
class Baseline:
    """Precomputed match keys of one baseline file."""

    path: str
    ids: frozenset[str] = frozenset()
    id_purls: frozenset[tuple[str, str]] = frozenset()
    findings: frozenset[tuple[str, str, str]] = frozenset()
    expired: tuple[BaselineEntry, ...] = ()
    entries: tuple[BaselineEntry, ...] = field(default=())

    def suppresses(self, finding: Finding) -> bool:
        """Whether ``finding`` is accepted by this baseline."""
        key = (finding.plugin_name, finding.component_purl, finding.rule_id)
        return (
            finding.rule_id in self.ids
            or (finding.rule_id, finding.component_purl) in self.id_purls
            or key in self.findings
        )

    def warnings(self) -> list[str]:
        """One line per expired entry, as bomdrift prints them."""
        return [
            f"{self.path}: baseline entry {e.id} ({e.purl or '*'}) expired on {e.expires}; "
            "it no longer suppresses"
            for e in self.expired
        ]


def today() -> dt.date:
    """Today in UTC, or SOURCE_DATE_EPOCH's day, so runs are reproducible."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if epoch.lstrip("-").isdigit():
        return dt.datetime.fromtimestamp(int(epoch), tz=dt.UTC).date()
    return dt.datetime.now(tz=dt.UTC).date()


def parse_date(text: str, what: str) -> dt.date:
    """A strict YYYY-MM-DD date, or a one-line error naming ``what``."""
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        raise UsageError(f"{what}: {text!r} is not a YYYY-MM-DD date")
    try:
        return dt.date.fromisoformat(text)
    except ValueError as exc:
        raise UsageError(f"{what}: {text!r} is not a valid date ({exc})") from exc


def _read_json(path: Path) -> Any:
    try:
        body = path.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise UsageError(f"--baseline {path}: no such file") from exc
    except OSError as exc:
        raise UsageError(f"--baseline {path}: cannot read: {exc.strerror or exc}") from exc
    except UnicodeDecodeError as exc:
        raise UsageError(f"--baseline {path}: not UTF-8 text") from exc
    if not body.strip():
        return {}
    try:
        return json.loads(body)
    except json.JSONDecodeError as exc:
        raise UsageError(
            f"--baseline {path}: invalid JSON at line {exc.lineno} column {exc.colno}: {exc.msg}"
        ) from exc


def _text(obj: dict[str, Any], key: str) -> str | None:
    value = obj.get(key)
    return value if isinstance(value, str) else None


def load_baseline(path: str) -> Baseline:
    """Read a baseline strictly: a missing file, bad JSON or a malformed expiry is an error."""
    doc = _read_json(Path(path))
    if not isinstance(doc, dict):
        raise UsageError(f"--baseline {path}: the root must be a JSON object")
    ids: set[str] = set()
    id_purls: set[tuple[str, str]] = set()
    findings: set[tuple[str, str, str]] = set()
    entries: list[BaselineEntry] = []
    expired: list[BaselineEntry] = []
    enrichment = doc.get("enrichment")
    if isinstance(enrichment, dict):
        for f in enrichment.get("plugin_findings") or ():
            if isinstance(f, dict):
                key = (_text(f, "plugin_name"), _text(f, "component_purl"), _text(f, "rule_id"))
                if all(key):
                    findings.add(key)  # type: ignore[arg-type]  # all() checked for None
        vulns = enrichment.get("vulns")
        if isinstance(vulns, dict):
            for purl, advisories in vulns.items():
                for adv in advisories if isinstance(advisories, list) else ():
                    if isinstance(adv, dict) and _text(adv, "id"):
                        id_purls.add((adv["id"], purl))
    now = today()
    for list_key in ("suppressed_advisories", "suppressed_ids"):
        for item in doc.get(list_key) or ():
            if isinstance(item, str):
                if item:
                    ids.add(item)
                continue
            if not isinstance(item, dict):
                continue
            ident = _text(item, "id")
            if not ident:
                raise UsageError(f"--baseline {path}: a {list_key} entry has no id: {item}")
            entry = BaselineEntry(
                id=ident,
                purl=_text(item, "purl"),
                reason=_text(item, "reason"),
                expires=_text(item, "expires"),
                vex_status=_text(item, "vex_status"),
                vex_justification=_text(item, "vex_justification"),
            )
            entries.append(entry)
            if entry.expires is not None:
                when = parse_date(entry.expires, f"--baseline {path}: entry {ident} expires")
                if when < now:
                    expired.append(entry)
                    continue
            if entry.purl:
                id_purls.add((ident, entry.purl))
            else:
                ids.add(ident)
    return Baseline(
        path=path,
        ids=frozenset(ids),
        id_purls=frozenset(id_purls),
        findings=frozenset(findings),
        expired=tuple(expired),
        entries=tuple(entries),
    )


def parse_directive(body: str) -> tuple[str, str | None] | None:
    """The ``/bomdrift suppress <ID> [reason: <text>]`` directive in a comment, if any.

    The directive may follow prose on its line; the first one wins. A malformed id is an error
    rather than a silent no-op (the comment author should hear about the typo).
    """
    for line in body.splitlines():
        idx = line.find("/bomdrift")
        if idx < 0:
            continue
        rest = line[idx + len("/bomdrift") :].lstrip()
        if not rest.startswith("suppress"):
            continue
        parts = rest[len("suppress") :].strip().split(None, 1)
        if not parts:
            continue
        ident = parts[0]
        if not _ID.match(ident):
            raise UsageError(
                f"comment directive has a malformed advisory id {ident!r} "
                "(expected a GHSA-, CVE-, MAL- or OSV- id)"
            )
        reason = None
        if len(parts) > 1 and parts[1].strip().startswith("reason:"):
            reason = parts[1].strip()[len("reason:") :].strip() or None
        return ident, reason
    return None


def add_suppression(
    path: str, ident: str, *, expires: str | None = None, reason: str | None = None
) -> bool:
    """Append ``ident`` to the file's ``suppressed_advisories``; False when already there.

    A missing file is created (with its folder); every other field of an existing file is kept;
    the write is atomic. An entry with an expiry or a reason is written in object form.
    """
    ident = ident.strip()
    if not ident:
        raise UsageError("baseline add: the id must not be empty")
    if expires is not None:
        parse_date(expires, "--expires")
    target = Path(path)
    doc: Any = _read_json(target) if target.exists() else {}
    if not isinstance(doc, dict):
        raise UsageError(f"{path}: the baseline root must be a JSON object")
    doc.setdefault("schema_version", 1)
    items = doc.setdefault("suppressed_advisories", [])
    if not isinstance(items, list):
        raise UsageError(f"{path}: suppressed_advisories is not a list")
    for item in items:
        if item == ident or (isinstance(item, dict) and item.get("id") == ident):
            return False
    if expires is None and reason is None:
        items.append(ident)
    else:
        entry: dict[str, str] = {"id": ident}
        if expires is not None:
            entry["expires"] = expires
        if reason is not None:
            entry["reason"] = reason
        items.append(entry)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.tmp")
    try:
        tmp.write_text(json.dumps(doc, indent=2) + "\n", encoding="utf-8")
        tmp.replace(target)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise UsageError(f"cannot write {path}: {exc.strerror or exc}") from exc
    return True
