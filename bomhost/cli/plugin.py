"""``bomhost plugin``: check, list, and the author's kit (new, test, pin, inspect)."""

from __future__ import annotations

import click


@click.group("plugin")
def plugin_group() -> None:
    """Write, test, pin and inspect plugins."""


POLICY_HELP = "Sandbox policy (TOML) [default: .bomhost.toml's policy, else built-in strict]."


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


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"


@plugin_group.command("test")
@click.argument("manifest", type=click.Path(readable=False))
@click.argument("cases", nargs=-1, type=click.Path(readable=False))
@click.option(
    "--policy",
    "policy_file",
    type=click.Path(readable=False),
    metavar="FILE",
    help="Sandbox policy (TOML) [default: policy.toml beside the manifest, else built-in strict].",
)
@click.option(
    "--junit",
    "junit_path",
    type=click.Path(dir_okay=False, writable=True),
    metavar="PATH",
    help="Also write a JUnit XML report there (for CI).",
)
def test_command(
    manifest: str, cases: tuple[str, ...], policy_file: str | None, junit_path: str | None
) -> int:
    """Run MANIFEST's plugin on test CASES and compare its findings with the expected ones.

    Without CASES: the case files beside the manifest (cases/*.toml, cases/*.json). Each case
    runs through the same runner, budgets and policy as `bomhost diff`; the policy also grants
    the case's files and a local HTTP server for its answers (docs/plugins.md). Exit 0 when
    every case passes, 1 otherwise.
    """
    from pathlib import Path

    from bomhost import builtins
    from bomhost.authoring.cases import collect
    from bomhost.authoring.junit import details, write_junit
    from bomhost.authoring.testing import run_cases
    from bomhost.plugins.manifest import load_manifest
    from bomhost.policy.load import load_policy

    path = Path(builtins.resolve(manifest))
    plugin = load_manifest(path)
    for warning in plugin.warnings:
        click.echo(f"bomhost: warning: {warning}", err=True)
    beside = path.parent / "policy.toml"
    if policy_file is None and beside.is_file() and not builtins.is_builtin(plugin):
        policy_file = str(beside)
    policy = load_policy(policy_file)
    loaded = collect(path, list(cases))
    where = f"policy {policy_file}" if policy_file else "built-in policy"
    n = len(loaded)
    click.echo(f"plugin {plugin.name} ({plugin.manifest.runtime}), {_count(n, 'case')}, {where}")
    results = run_cases(plugin, policy, loaded)
    for r in results:
        click.echo(f"{'PASS' if r.passed else 'FAIL'}  {r.name}  [{r.source}]")
        if not r.passed:
            click.echo(f"      {r.problem}")
            for line in r.diff:
                click.echo(f"      {line}")
        for line in details(r):
            click.echo(f"      {line}")
    failed = sum(1 for r in results if not r.passed)
    click.echo(f"{_count(len(results), 'case')}: {len(results) - failed} passed, {failed} failed")
    if junit_path:
        write_junit(Path(junit_path), plugin.name, results)
    return 1 if failed else 0


@plugin_group.command("new")
@click.argument("name")
@click.option(
    "--lang",
    type=click.Choice(("rust", "c", "python")),
    default="rust",
    show_default=True,
    help="rust or c: a sandboxed WASM plugin; python: an external protocol-1 plugin.",
)
@click.option(
    "--dir",
    "folder",
    type=click.Path(file_okay=False),
    metavar="D",
    help="Where to write it (missing or empty) [default: ./NAME].",
)
def new_command(name: str, lang: str, folder: str | None) -> int:
    """Write a working plugin NAME: manifest, source, build, policy, test cases.

    It builds offline (Rust: Debian's rustc; C: clang and wasi-libc) and passes
    `bomhost plugin test plugin.toml` as written.
    """
    from pathlib import Path

    from bomhost.authoring.scaffold import LANGS, new_plugin

    chosen = next(x for x in LANGS if x == lang)  # click.Choice already checked it
    made = new_plugin(name, chosen, Path(folder) if folder else None)
    click.echo(f"created {made.lang} plugin {made.name} in {made.folder}/")
    for rel in made.files:
        click.echo(f"  {rel}")
    click.echo("next:")
    for step in made.next_steps:
        click.echo(f"  {step}")
    return 0


@plugin_group.command("pin")
@click.argument("manifest", type=click.Path(readable=False))
@click.option(
    "--check",
    is_flag=True,
    help="Write nothing; exit 1 if the pin is missing or not the exec file's sha256 (for CI).",
)
def pin_command(manifest: str, check: bool) -> int:
    """Write the sha256 of MANIFEST's module (or command) file into MANIFEST.

    Only the sha256 key changes; comments and formatting are kept. Re-pin after every build:
    bomhost refuses to run a pinned file that changed.
    """
    from pathlib import Path

    from bomhost import builtins
    from bomhost.authoring.pin import pin

    path = Path(builtins.resolve(manifest))
    result = pin(path, write=not check)
    what = f"{result.exec_path.name}, {result.size} bytes"
    if check:
        if result.changed:
            pinned = result.previous or "no pin"
            click.echo(f"{path}: {pinned}, but {what} is sha256 {result.sha256}")
            click.echo(
                f"bomhost: error: {path}: pin is not current: run bomhost plugin pin", err=True
            )
            return 1
        click.echo(f"{path}: pinned, sha256 {result.sha256} ({what})")
        return 0
    if not result.changed:
        click.echo(f"{path}: already pinned, sha256 {result.sha256} ({what})")
    else:
        was = f" (was {result.previous})" if result.previous else ""
        click.echo(f"{path}: sha256 = {result.sha256} ({what}){was}")
    return 0


@plugin_group.command("inspect")
@click.argument("module", type=click.Path(readable=False))
@click.option("--output", type=click.Choice(("text", "json")), default="text", show_default=True)
def inspect_command(module: str, output: str) -> int:
    """Show a WASM MODULE's size, exports, imports and the policy grants it would need.

    MODULE is a .wasm/.wat file or a plugin manifest (then grants name its plugin). Exit 1 when
    no policy could run it (a broken ABI, an import bomhost never provides).
    """
    from bomhost import builtins
    from bomhost.authoring.inspection import inspect_module, target

    result = inspect_module(target(builtins.resolve(module)))
    if output == "json":
        click.echo(result.model_dump_json(indent=2))
    else:
        click.echo(f"module {result.module}")
        click.echo(f"  size {result.size} bytes, sha256 {result.sha256}")
        click.echo("exports:")
        for e in result.exports:
            click.echo(f"  {e.name} ({e.kind} {e.type})")
        abi = "; ".join(result.abi_problems) or "ok (memory, bomdrift_alloc, bomdrift_enrich)"
        click.echo(f"  abi: {abi}")
        click.echo("imports:")
        for i in result.imports:
            click.echo(f"  {i.name} ({i.kind} {i.type}): {i.needs}")
        if not result.imports:
            click.echo("  none")
        click.echo("grants needed:")
        none = "none: it runs under the default policy" if result.loadable else "none would do"
        for g in result.grants or (none,):
            click.echo(f"  {g}")
        if result.policy_fragment:
            click.echo("policy fragment to start from:")
            for line in result.policy_fragment.splitlines():
                click.echo(f"  {line}")
    if not result.loadable:
        why = "; ".join(result.abi_problems) or "an import no policy can grant"
        click.echo(f"bomhost: error: {result.module}: cannot run: {why}", err=True)
        return 1
    return 0
