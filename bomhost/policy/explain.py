"""``bomhost explain``: what one sandbox event means, what decided it, and what would allow it.

An explanation is built from the event alone (its rule id, reason code and context carry the
numbers); given the policy too, it also quotes the rule or budget as currently written. The
suggested change is concrete (a value to exceed, a TOML snippet to add) or None when no policy
change can help (the file is missing, the plugin's buffer is too small, the plugin trapped).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError

from bomhost.errors import ReportError, UsageError
from bomhost.model import SandboxEvent
from bomhost.policy.broker import parse_url
from bomhost.policy.model import BOMDRIFT_FUNCTIONS, INERT_WASI, Policy


class Explanation(BaseModel):
    """The answer to "why": plain sentences plus an optional TOML snippet to paste."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    event: SandboxEvent
    what: str
    decided_by: str
    change: str | None
    snippet: str | None = None


_Ctx = dict[str, Any]
_Parts = tuple[str, str, str | None, str | None]  # what, decided_by, change, snippet


def load_event(
    report: str | Path | None, index: int | None, event_json: str | None
) -> SandboxEvent:
    """The event chosen on the command line: ``--event-index`` of a report, or ``--event-json``."""
    if (index is None) == (event_json is None):
        raise UsageError("give exactly one of --event-index N (with a REPORT) or --event-json")
    if event_json is not None:
        try:
            return SandboxEvent.model_validate_json(event_json)
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(x) for x in first["loc"])
            raise UsageError(
                f"--event-json: {where + ': ' if where else ''}{first['msg']}"
            ) from exc
    if report is None:
        raise UsageError("--event-index needs a REPORT.json")
    p = Path(report)
    try:
        doc = json.loads(p.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ReportError(f"{p}: cannot read report: {exc.strerror or exc}") from exc
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ReportError(f"{p}: not a JSON report: {exc}") from exc
    sandbox = doc.get("sandbox") if isinstance(doc, dict) else None
    events = sandbox.get("events") if isinstance(sandbox, dict) else None
    if not isinstance(events, list):
        raise ReportError(f"{p}: no sandbox.events in this report (is it a bomhost JSON report?)")
    assert index is not None
    if not 0 <= index < len(events):
        raise ReportError(
            f"{p}: --event-index {index} is out of range (the report has {len(events)} events)"
        )
    try:
        return SandboxEvent.model_validate(events[index])
    except ValidationError as exc:
        raise ReportError(f"{p}: sandbox.events[{index}] is not a sandbox event") from exc


def explain(event: SandboxEvent, policy: Policy | None = None) -> Explanation:
    """Explain one event; ``policy`` (optional) lets the answer quote the current rule."""
    ctx = event.context
    handler = _HANDLERS.get(event.reason_code)
    if handler is None and event.rule_id.startswith("budgets."):
        handler = _budget
    what, decided_by, change, snippet = (handler or _other)(event, ctx)
    if policy is not None:
        decided_by += _quote(event, policy)
    return Explanation(
        event=event, what=what, decided_by=decided_by, change=change, snippet=snippet
    )


def _quote(event: SandboxEvent, policy: Policy) -> str:
    """The rule or budget in the given policy, as it is written there."""
    src = policy.source or "the built-in policy"
    found = policy.find_rule(event.rule_id)
    if found is not None:
        where, rule = found
        fields = rule.model_dump(exclude_none=True)
        shown = ", ".join(f"{k} = {json.dumps(v)}" for k, v in fields.items() if k != "id")
        return f"; in {src} it is {where}: {shown}"
    if event.rule_id.startswith("budgets."):
        name = event.rule_id.removeprefix("budgets.")
        value = getattr(policy.for_plugin(event.plugin_name).budgets, name, None)
        if value is not None:
            return f"; in {src} the value for {event.plugin_name} is {value}"
    return ""


# Reads of these are almost always an attack or a mistake; explain says so next to the advice.
_SYSTEM_PATHS = ("/etc/", "/proc/", "/sys/", "/dev/", "/root/", "/var/run/", "/run/")


def _who(e: SandboxEvent) -> str:
    return f"plugin {e.plugin_name!r} (for {e.component_purl})"


# -- files -------------------------------------------------------------------------------------


def _plugin_table(plugin: str) -> str:
    """``plugins.NAME`` with NAME quoted when TOML needs it."""
    bare = plugin.replace("-", "").replace("_", "").isalnum() and plugin.isascii()
    return f"plugins.{plugin if bare else json.dumps(plugin)}"


def _grant_import(plugin: str, name: str) -> str:
    return f"[{_plugin_table(plugin)}.imports]\nextend = [{json.dumps(name)}]\n"


def _fs_rule_snippet(plugin: str, rule_id: str, path: str) -> str:
    # Least privilege: the suggested grant names this plugin only, never every plugin.
    return _grant_import(plugin, "bomdrift.read_file") + (
        f'[[{_plugin_table(plugin)}.fs.read]]\nid = "{rule_id}"\npath = {json.dumps(path)}\n'
        "max_bytes_per_invocation = 1048576\nmax_bytes_per_run = 16777216\n"
    )


def _fs_read(e: SandboxEvent, c: _Ctx) -> _Parts:
    what = f"{_who(e)} read {c.get('bytes')} bytes of {c.get('resolved', c.get('path'))}"
    return what, f"[[fs.read]] rule {e.rule_id!r} allowed it", None, None


def _fs_denied(e: SandboxEvent, c: _Ctx) -> _Parts:
    path, real = c.get("path", ""), c.get("resolved")
    what = f"{_who(e)} asked to read {path!r}"
    if real and real != path:
        what += f", which resolves to {real}"
    escaped = c.get("escapes_rule")
    if escaped:
        decided = (
            f"the path is written inside rule {escaped!r}, but a symlink or '..' takes it "
            "outside: resolved paths are matched, and no rule covers the target (deny by default)"
        )
        change = (
            f"only if {real} itself is meant to be readable, add a rule for it to "
            f"[{_plugin_table(e.plugin_name)}]; escapes from {escaped!r} stay denied whatever "
            "the policy says"
        )
        return what, decided, change, _fs_rule_snippet(e.plugin_name, "allow-target", real or path)
    if not real:
        return what, "an empty path or one with a NUL byte is always denied", None, None
    decided = "no [[fs.read]] rule covers this path (deny by default)"
    change = (
        f"if {e.plugin_name} should read it, add a read rule for {real} (or a folder above it) "
        f"to [{_plugin_table(e.plugin_name)}], with bomdrift.read_file in its imports"
    )
    if str(real).startswith(_SYSTEM_PATHS):
        change += f"; careful: {real} is a system file, a plugin rarely has a reason to read it"
    return what, decided, change, _fs_rule_snippet(e.plugin_name, f"{e.plugin_name}-data", real)


def _fs_quota(e: SandboxEvent, c: _Ctx) -> _Parts:
    quota, limit, used, size = c.get("quota"), c.get("limit"), c.get("used", 0), c.get("size")
    what = f"{_who(e)} read {c.get('resolved', c.get('path'))} ({size} bytes)"
    decided = f"quota {quota} = {limit} of rule {e.rule_id!r} ({used} bytes already used)"
    need = (used or 0) + (size or 0)
    change = f"raise {quota} of rule {e.rule_id!r} above {need} (used {used} + this file {size})"
    return what, decided, change, None


def _fs_not_found(e: SandboxEvent, c: _Ctx) -> _Parts:
    what = f"{_who(e)} read {c.get('resolved', c.get('path'))}, which does not exist"
    return what, f"rule {e.rule_id!r} allowed it; the file was missing", None, None


def _fs_unreadable(e: SandboxEvent, c: _Ctx) -> _Parts:
    what = f"{_who(e)} read {c.get('resolved', c.get('path'))}, which could not be read"
    decided = f"rule {e.rule_id!r} allowed it; the read failed: {c.get('error', 'unreadable')}"
    return what, decided, None, None


def _too_small(e: SandboxEvent, c: _Ctx) -> _Parts:
    target = c.get("resolved") or c.get("url") or c.get("path")
    size = f" of {c['size']} bytes" if "size" in c else ""
    what = f"{_who(e)} read {target}{size} into a {c.get('buf_cap')}-byte buffer"
    decided = f"rule {e.rule_id!r} allowed it; the plugin's buffer was too small (result -4)"
    return what, decided, None, None


# -- network -----------------------------------------------------------------------------------


def _net_rule_snippet(plugin: str, rule_id: str, scheme: str, host: str, port: int) -> str:
    return _grant_import(plugin, "bomdrift.http_get") + (
        f'[[{_plugin_table(plugin)}.net.allow]]\nid = "{rule_id}"\nscheme = "{scheme}"\n'
        f'host = "{host}"\nport = {port}\n'
        "max_requests = 1000\nmax_response_bytes = 16777216\nmax_egress_bytes = 1048576\n"
        "timeout_ms = 1000\n"
    )


def _net_ok(e: SandboxEvent, c: _Ctx) -> _Parts:
    what = f"{_who(e)} fetched {c.get('url')} ({c.get('bytes')} bytes, status {c.get('status')})"
    return what, f"[[net.allow]] rule {e.rule_id!r} allowed it", None, None


def _net_denied(e: SandboxEvent, c: _Ctx) -> _Parts:
    scheme, host, port = c.get("scheme"), c.get("host"), c.get("port")
    what = f"{_who(e)} asked for {c.get('url')}"
    miss = {
        "net_host_denied": f"no [[net.allow]] rule names host {host}",
        "net_port_denied": f"rules name host {host}, but none with port {port} (a rule never means any port)",
        "net_scheme_denied": f"rules name host {host}, but none with scheme {scheme}",
    }[e.reason_code]
    decided = f"{miss} (deny by default)"
    change = (
        f"if {e.plugin_name} should reach it, add a net.allow rule to [{_plugin_table(e.plugin_name)}]: "
        f'scheme = "{scheme}", host = "{host}", port = {port} (with bomdrift.http_get in its imports)'
    )
    snippet = _net_rule_snippet(
        e.plugin_name,
        f"{e.plugin_name}-{host}".replace(":", "-"),
        str(scheme),
        str(host),
        int(port or 0),
    )
    return what, decided, change, snippet


def _net_url_invalid(e: SandboxEvent, c: _Ctx) -> _Parts:
    what = f"{_who(e)} asked for {c.get('url')!r}"
    decided = (
        "the URL is refused before any rule is consulted: only http(s) URLs of printable ASCII, "
        "with a host, a valid port and no user@ part are accepted"
    )
    return what, decided, None, None


def _net_quota(e: SandboxEvent, c: _Ctx) -> _Parts:
    quota, limit, used = c.get("quota"), c.get("limit"), c.get("used")
    what = f"{_who(e)} asked for {c.get('url')}"
    decided = f"quota {quota} = {limit} of rule {e.rule_id!r} (per plugin, per run; {used} used)"
    if quota == "max_requests":
        change = f"raise max_requests of rule {e.rule_id!r} above {limit}"
    elif quota == "max_egress_bytes":
        need = (used or 0) + (c.get("egress_bytes") or 0)
        change = f"raise max_egress_bytes of rule {e.rule_id!r} above {need}"
    else:
        change = (
            f"raise {quota} of rule {e.rule_id!r} above {limit} (the response did not fit in "
            f"the {(limit or 0) - (used or 0)} bytes left)"
        )
    return what, decided, change, None


def _net_timeout(e: SandboxEvent, c: _Ctx) -> _Parts:
    what = f"{_who(e)} asked for {c.get('url')}, which did not complete in time"
    if c.get("bounded_by") == "invocation":
        decided = (
            f"the invocation's budget ran out first (rule {e.rule_id!r} allows "
            f"{c.get('timeout_ms')} ms per request, but the plugin had less left)"
        )
        change = f"raise [budgets] timeout_ms (or [plugins.{e.plugin_name}.budgets] timeout_ms)"
        return what, decided, change, None
    decided = f"timeout_ms = {c.get('timeout_ms')} of rule {e.rule_id!r}"
    change = f"raise timeout_ms of rule {e.rule_id!r} above {c.get('timeout_ms')}"
    return what, decided, change, None


def _net_status(e: SandboxEvent, c: _Ctx) -> _Parts:
    what = f"{_who(e)} fetched {c.get('url')}: the server answered {c.get('status')}"
    location = c.get("location")
    if not location:
        return what, f"rule {e.rule_id!r} allowed it; only a 2xx body is returned", None, None
    decided = (
        f"rule {e.rule_id!r} allowed it; the server redirected to {location}, and redirects are "
        "never followed (the operator, not the server, picks destinations)"
    )
    target = parse_url(str(location))
    if target is None:
        return what, decided, None, None
    scheme, host, port, _ = target
    change = (
        f"have the plugin request {location} directly; if that host is not yet allowed, add a "
        f'net.allow rule to [{_plugin_table(e.plugin_name)}]: scheme = "{scheme}", '
        f'host = "{host}", port = {port}'
    )
    return (
        what,
        decided,
        change,
        _net_rule_snippet(e.plugin_name, "redirect-target", scheme, host, port),
    )


def _net_failed(e: SandboxEvent, c: _Ctx) -> _Parts:
    what = f"{_who(e)} asked for {c.get('url')}; the connection failed: {c.get('error')}"
    return what, f"rule {e.rule_id!r} allowed it; the server could not be reached", None, None


# -- budgets and imports (decided by the WASM runtime) -----------------------------------------

_BUDGET_WHAT = {
    "fuel": "ran out of fuel (executed more WASM operators than allowed)",
    "timeout_ms": "ran past its wall-clock limit",
    "memory_bytes": "hit the linear-memory ceiling (memory.grow was refused)",
    "max_output_bytes": "wrote a response larger than allowed",
    "max_log_bytes": "logged more than is kept (the rest was dropped)",
}


def _budget(e: SandboxEvent, c: _Ctx) -> _Parts:
    name = e.rule_id.removeprefix("budgets.")
    limit, used = c.get("limit"), c.get("used")
    what = f"{_who(e)} {_BUDGET_WHAT.get(name, f'exceeded budget {name}')}"
    decided = f"[budgets] {name} = {limit}" if limit is not None else f"[budgets] {name}"
    if used is not None:
        above, why = used, "used"
    elif limit is not None:
        above, why = limit, "the current limit"
    else:
        above, why = None, ""
    bound = f" above {above} ({why})" if above is not None else ""
    change = f"raise [budgets] {name}{bound}, or for this plugin only [plugins.{e.plugin_name}.budgets] {name}"
    snippet = None
    if isinstance(above, int):
        snippet = f"[plugins.{e.plugin_name}.budgets]\n{name} = {max(above * 2, 1)}\n"
    return what, decided, change, snippet


def _import(e: SandboxEvent, c: _Ctx) -> _Parts:
    name = str(c.get("import") or c.get("name") or "?")
    what = f"{_who(e)} imports {name}"
    decided = "[imports] allow does not list it, so the module was refused"
    if name not in BOMDRIFT_FUNCTIONS and name not in INERT_WASI:
        return (
            what,
            decided + f"; bomhost does not provide {name} as a granted capability",
            None,
            None,
        )
    change = f'add "{name}" to [plugins.{e.plugin_name}.imports] extend (or to [imports] allow)'
    snippet = f'[plugins.{e.plugin_name}.imports]\nextend = ["{name}"]\n'
    return what, decided, change, snippet


def _other(e: SandboxEvent, c: _Ctx) -> _Parts:
    detail = ", ".join(f"{k} = {v}" for k, v in sorted(c.items()))
    what = f"{_who(e)}: {e.reason_code}" + (f" ({detail})" if detail else "")
    if e.decision == "allow":
        return what, f"{e.rule_id} allowed it", None, None
    return what, f"{e.rule_id} decided it; this is a fault of the plugin, not a grant", None, None


_HANDLERS: dict[str, Callable[[SandboxEvent, _Ctx], _Parts]] = {
    "fs_read": _fs_read,
    "fs_path_denied": _fs_denied,
    "fs_quota_exceeded": _fs_quota,
    "fs_not_found": _fs_not_found,
    "fs_unreadable": _fs_unreadable,
    "fs_buffer_too_small": _too_small,
    "net_ok": _net_ok,
    "net_host_denied": _net_denied,
    "net_port_denied": _net_denied,
    "net_scheme_denied": _net_denied,
    "net_url_invalid": _net_url_invalid,
    "net_quota_exceeded": _net_quota,
    "net_timeout": _net_timeout,
    "net_http_status": _net_status,
    "net_connect_failed": _net_failed,
    "net_buffer_too_small": _too_small,
    "import_not_allowed": _import,
}


def render_text(x: Explanation) -> str:
    """The explanation as a few labelled lines, then the snippet, if any."""
    e = x.event
    if x.change:
        change = x.change
    elif e.decision == "allow":
        change = "none needed: the policy allowed this request"
    else:
        change = "no policy change would allow this"
    lines = [
        f"event:        {e.decision} {e.rule_id} {e.reason_code}",
        f"what:         {x.what}",
        f"decided by:   {x.decided_by}",
        f"to allow it:  {change}",
    ]
    if x.snippet:
        lines += ["", "add to the policy:", *("    " + ln for ln in x.snippet.splitlines())]
    return "\n".join(lines) + "\n"


def render_json(x: Explanation) -> str:
    return x.model_dump_json(indent=2) + "\n"
