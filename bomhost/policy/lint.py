"""``bomhost policy lint``: every error and warning in a policy file, not just the first.

Errors make the policy unusable or mean something other than what it says (bad TOML, unknown
keys, bad values, duplicate ids, rules no plugin can ever reach). Warnings are legal but risky or
probably mistaken (a host ``*``, a folder rule on / or the home folder, missing or huge quotas,
a rule shadowed by an earlier one, a path that does not exist).
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, ValidationError

from bomhost.errors import PolicyError
from bomhost.policy.load import validate_policy
from bomhost.policy.model import (
    BOMDRIFT_FUNCTIONS,
    HTTP_GET,
    HTTP_REQUEST,
    INERT_WASI,
    READ_FILE,
    FsReadRule,
    NetAllowRule,
    Policy,
)
from bomhost.tomlfile import describe_errors, read_toml

HUGE_BYTES = 1 << 30  # 1 GiB: more than any plugin should move in one run
HUGE_REQUESTS = 100_000

Severity = Literal["error", "warning"]


class Diagnostic(BaseModel):
    """One finding of the linter; ``where`` is a TOML location such as ``net.allow[1].port``."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    severity: Severity
    code: str
    where: str
    message: str


class LintResult(BaseModel):
    """All diagnostics of one file, in file order."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    file: str
    diagnostics: tuple[Diagnostic, ...]

    @property
    def errors(self) -> int:
        return sum(d.severity == "error" for d in self.diagnostics)

    @property
    def warnings(self) -> int:
        return sum(d.severity == "warning" for d in self.diagnostics)

    def exit_code(self, strict: bool) -> int:
        """1 on any error, or on any warning with ``strict``; else 0."""
        return 1 if self.errors or (strict and self.warnings) else 0


def lint_policy(path: str | Path) -> LintResult:
    """Lint the policy file at ``path``."""
    p = Path(path)
    out: list[Diagnostic] = []
    try:
        raw = read_toml(p, "policy", PolicyError)
        policy = validate_policy(raw, p)
    except PolicyError as exc:
        msg = str(exc).removeprefix(f"{p}: ")
        out.append(Diagnostic(severity="error", code="unreadable", where="", message=msg))
        return LintResult(file=str(p), diagnostics=tuple(out))
    except ValidationError as exc:
        for where, msg in describe_errors(exc):
            code = {"unknown key": "unknown_key", "required key is missing": "missing_key"}.get(
                msg, "bad_value"
            )
            out.append(Diagnostic(severity="error", code=code, where=where, message=msg))
        return LintResult(file=str(p), diagnostics=tuple(out))
    out += _check_imports(policy)
    out += _check_reachable(policy)
    out += _check_rules(policy)
    return LintResult(file=str(p), diagnostics=tuple(out))


def _d(severity: Severity, code: str, where: str, message: str) -> Diagnostic:
    return Diagnostic(severity=severity, code=code, where=where, message=message)


def _label(where: str, rule: FsReadRule | NetAllowRule) -> str:
    return f'{where} ("{rule.id}")'


def _check_imports(policy: Policy) -> list[Diagnostic]:
    lists = [("imports.allow", policy.imports.allow)]
    for name, table in policy.plugins.items():
        lists.append((f"plugins.{name}.imports.allow", table.imports.allow or ()))
        lists.append((f"plugins.{name}.imports.extend", table.imports.extend))
    out = []
    for where, names in lists:
        for n in names:
            if n not in BOMDRIFT_FUNCTIONS and n not in INERT_WASI:
                out.append(
                    _d(
                        "warning",
                        "import_not_inert",
                        where,
                        f"{n} is neither a bomdrift host function nor in the inert WASI set: "
                        "check what it grants",
                    )
                )
    return out


def _check_reachable(policy: Policy) -> list[Diagnostic]:
    """A rule is unreachable when no plugin it applies to may import the function it serves."""
    out = []
    for name, prefix, fs_rules, net_rules in _rule_lists(policy):
        if name is None:
            # Top-level rules serve plugins without a table, and those whose table inherits.
            users = [policy.for_plugin(_NO_TABLE)]
            users += [policy.for_plugin(n) for n, t in policy.plugins.items() if t.inherit]
        else:
            users = [policy.for_plugin(name)]
        pairs: list[tuple[str, str, Sequence[FsReadRule | NetAllowRule]]] = [
            (READ_FILE, "fs.read", fs_rules),
            (HTTP_GET, "net.allow", net_rules),
        ]
        for func, kind, rules in pairs:
            # A net rule also serves bomdrift.http_request.
            also = (HTTP_REQUEST,) if func == HTTP_GET else ()
            if any(f in u.imports.allow for u in users for f in (func, *also)):
                continue
            fix = (
                f"add {func} to [imports] allow"
                if name is None
                else f"add {func} to [plugins.{name}.imports] extend"
            )
            for i, rule in enumerate(rules):
                where = f"{prefix}{kind}[{i}]"
                out.append(
                    _d(
                        "error",
                        "unreachable_rule",
                        where,
                        f"{_label(where, rule)} can never be used: no plugin it applies to may "
                        f"import {func}; {fix}",
                    )
                )
    return out


_NO_TABLE = "\0"  # a plugin name no TOML table can have: for_plugin() of it is the top level


def _rule_lists(
    policy: Policy,
) -> list[tuple[str | None, str, tuple[FsReadRule, ...], tuple[NetAllowRule, ...]]]:
    """(plugin name or None for the top level, location prefix, fs rules, net rules)."""
    lists: list[tuple[str | None, str, tuple[FsReadRule, ...], tuple[NetAllowRule, ...]]] = [
        (None, "", policy.fs.read, policy.net.allow)
    ]
    lists += [(n, f"plugins.{n}.", t.fs.read, t.net.allow) for n, t in policy.plugins.items()]
    return lists


def _check_rules(policy: Policy) -> list[Diagnostic]:
    out: list[Diagnostic] = []
    home = os.path.realpath(os.path.expanduser("~"))
    for name, prefix, fs_rules, net_rules in _rule_lists(policy):
        budget = policy.for_plugin(_NO_TABLE if name is None else name).budgets.timeout_ms
        for i, rule in enumerate(fs_rules):
            where = f"{prefix}fs.read[{i}]"
            label = _label(where, rule)
            shadow = next((j for j in range(i) if fs_rules[j].covers(rule.resolved)), None)
            if shadow is not None:
                out.append(_shadowed(where, label, f"{prefix}fs.read[{shadow}]", fs_rules[shadow]))
            res = rule.resolved
            if os.path.isdir(res) and (
                res == os.sep or home == res or home.startswith(res + os.sep)
            ):
                out.append(
                    _d(
                        "warning",
                        "broad_folder",
                        where,
                        f"{label} grants {res}, which is / or holds the home folder "
                        "(keys, tokens, shell history)",
                    )
                )
            if not os.path.exists(res):
                out.append(
                    _d("warning", "path_missing", where, f"{label}: {res} does not exist (yet)")
                )
            out += _quota_checks(
                where,
                label,
                {
                    "max_bytes_per_invocation": (rule.max_bytes_per_invocation, HUGE_BYTES),
                    "max_bytes_per_run": (rule.max_bytes_per_run, HUGE_BYTES),
                },
            )
        for i, net in enumerate(net_rules):
            where = f"{prefix}net.allow[{i}]"
            label = _label(where, net)
            shadow = next(
                (
                    j
                    for j in range(i)
                    if net_rules[j].scheme == net.scheme
                    and net_rules[j].port == net.port
                    and net_rules[j].covers_host_pattern(net.host)
                ),
                None,
            )
            if shadow is not None:
                out.append(
                    _shadowed(where, label, f"{prefix}net.allow[{shadow}]", net_rules[shadow])
                )
            if net.host == "*":
                out.append(
                    _d(
                        "warning",
                        "host_any",
                        where,
                        f'{label}: host = "*" lets plugins reach any host on port {net.port}, '
                        "including internal services",
                    )
                )
            if net.timeout_ms > budget:
                out.append(
                    _d(
                        "warning",
                        "timeout_over_budget",
                        where,
                        f"{label}: timeout_ms = {net.timeout_ms} never applies: the invocation's "
                        f"budget ends after {budget} ms",
                    )
                )
            out += _quota_checks(
                where,
                label,
                {
                    "max_requests": (net.max_requests, HUGE_REQUESTS),
                    "max_response_bytes": (net.max_response_bytes, HUGE_BYTES),
                    "max_egress_bytes": (net.max_egress_bytes, HUGE_BYTES),
                },
            )
    return out


def _shadowed(
    where: str, label: str, earlier_where: str, earlier: FsReadRule | NetAllowRule
) -> Diagnostic:
    return _d(
        "warning",
        "shadowed_rule",
        where,
        f"{label} never matches: {_label(earlier_where, earlier)} comes first and covers "
        "everything it does (first match wins)",
    )


def _quota_checks(
    where: str, label: str, quotas: dict[str, tuple[int | None, int]]
) -> list[Diagnostic]:
    missing = [name for name, (value, _) in quotas.items() if value is None]
    out = []
    if missing:
        out.append(
            _d(
                "warning",
                "quota_missing",
                where,
                f"{label} has no {', '.join(missing)}: a plugin may use it without limit",
            )
        )
    for name, (value, huge) in quotas.items():
        if value is not None and value > huge:
            out.append(
                _d(
                    "warning",
                    "quota_huge",
                    where,
                    f"{label}: {name} = {value} is above {huge}: effectively no limit",
                )
            )
    return out


def render_text(result: LintResult) -> str:
    """One line per diagnostic, then a summary line."""
    lines = []
    for d in result.diagnostics:
        where = f" {d.where}:" if d.where and not d.message.startswith(d.where) else ""
        lines.append(f"{result.file}: {d.severity}:{where} {d.message} [{d.code}]")
    e, w = result.errors, result.warnings
    lines.append(f"{result.file}: {e} error{'s' * (e != 1)}, {w} warning{'s' * (w != 1)}")
    return "\n".join(lines) + "\n"


def render_json(result: LintResult) -> str:
    """A stable JSON document for CI tooling."""
    doc: dict[str, object] = {
        "file": result.file,
        "errors": result.errors,
        "warnings": result.warnings,
        "diagnostics": [d.model_dump() for d in result.diagnostics],
    }
    return json.dumps(doc, indent=2) + "\n"
