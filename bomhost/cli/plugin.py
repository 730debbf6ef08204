"""``bomhost plugin check MANIFEST``: the load-time verdict on a plugin, without running a diff."""

from __future__ import annotations

import click


@click.group("plugin")
def plugin_group() -> None:
    """Inspect plugins."""


@plugin_group.command("check")
@click.argument("manifest", type=click.Path(readable=False))
@click.option(
    "--policy",
    "policy_file",
    type=click.Path(readable=False),
    metavar="FILE",
    help="Sandbox policy (TOML) [default: .bomhost.toml's policy, else built-in strict].",
)
@click.option("--output", type=click.Choice(("text", "json")), default="text", show_default=True)
def check_command(manifest: str, policy_file: str | None, output: str) -> int:
    """Would MANIFEST load? Lists a WASM module's imports with the policy's verdict.

    Exit 0 if the plugin would run, 1 if a run would stop on it (the same one-line reason).
    """
    from bomhost import builtins
    from bomhost.config import find_config, load_config
    from bomhost.plugins.check import check_plugin
    from bomhost.plugins.manifest import load_manifest
    from bomhost.policy.load import load_policy

    # The same policy a `bomhost diff` here would use, so the verdict is the same.
    policy = load_config(find_config()).policy_path(policy_file)
    path = builtins.resolve(manifest)
    effective = builtins.with_fragments(load_policy(policy), [load_manifest(path)])
    result = check_plugin(path, effective)
    if output == "json":
        click.echo(result.model_dump_json(indent=2))
    else:
        click.echo(f"plugin {result.name} ({result.runtime}): {result.exec}")
        click.echo(f"  sha256 {result.sha256 or '(unreadable)'}")
        batch = f" ({result.batch_size} components per call)" if result.batch_size else ""
        click.echo(f"  protocol {result.protocol}, invoke {result.invoke}{batch}")
        for imp in result.imports:
            verdict = "allowed" if imp.allowed else f"REFUSED: {imp.reason}"
            click.echo(f"  import {imp.name} ({imp.kind}): {verdict}")
        for n in result.net:
            cache = f"cached {n.cache_ttl_s} s" if n.cache_ttl_s else "not cached"
            click.echo(
                f"  net {n.id}: {'/'.join(n.methods)} {n.scheme}://{n.host}:{n.port}, {cache}"
                f", timeout {n.timeout_ms} ms"
                + (f", max {n.max_requests} requests" if n.max_requests else "")
            )
            if n.injected_headers:
                click.echo(f"    injects headers: {', '.join(n.injected_headers)} (values hidden)")
            if n.dropped_headers:
                click.echo(f"    drops headers (variable not set): {', '.join(n.dropped_headers)}")
        for f in result.files:
            quotas = [
                f"{q} {v} bytes"
                for q, v in (
                    ("per invocation", f.max_bytes_per_invocation),
                    ("per run", f.max_bytes_per_run),
                )
                if v is not None
            ]
            click.echo(f"  read {f.id}: {f.path}" + (f" ({', '.join(quotas)})" if quotas else ""))
        for warning in result.warnings:
            click.echo(f"bomhost: warning: {warning}", err=True)
        click.echo("ok: the plugin would run" if result.ok else f"refused: {result.problem}")
    if not result.ok:
        click.echo(f"bomhost: error: {result.problem}", err=True)
        return 1
    return 0


@plugin_group.command("list")
@click.option("--output", type=click.Choice(("text", "json")), default="text", show_default=True)
def list_command(output: str) -> int:
    """The first-party plugins (run with --plugin builtin:NAME): version, sha256, grants."""
    import json

    from bomhost import builtins

    rows = [builtins.describe(name) for name in builtins.names()]
    if output == "json":
        click.echo(json.dumps([r.model_dump() for r in rows], indent=2))
        return 0
    for r in rows:
        click.echo(f"builtin:{r.name}  {r.version}  sha256 {r.sha256}")
        click.echo(f"  {r.description}")
        click.echo(f"  runtime {r.runtime}, protocol {r.protocol}, invoke {r.invoke}")
        click.echo(f"  grants: {'; '.join(r.grants) or 'nothing beyond the default policy'}")
    return 0
