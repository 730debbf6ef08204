"""``bomhost refresh-typosquat``: replace a compiled-in typosquat list with a newer one.

bomdrift's ``refresh-typosquat`` downloads each list from its upstream feed into its cache; the
typosquat signal then prefers the cached list. bomhost keeps the same model, but takes the list
from a file (``--from``): CI machines often have no route to those feeds, and a list you fetched
and reviewed yourself is one you can pin. The file is one name per line (``#`` comments and
blank lines are skipped, as bomdrift); it is written to ``<cache>/typosquat/<ecosystem>.txt``
(``$BOMHOST_CACHE_DIR`` or the user cache dir), which later runs grant to ``builtin:typosquat``
alone, for exactly that file.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

import click

from bomhost.errors import UsageError
from bomhost.signals import TYPOSQUAT_ECOSYSTEMS, typosquat_list_path

MAX_LIST_BYTES = 16 << 20  # what the plugin reads at most (plugins/typosquat/src/lib.rs)


@click.command("refresh-typosquat")
@click.option(
    "--ecosystem",
    type=click.Choice(TYPOSQUAT_ECOSYSTEMS),
    required=True,
    help="Whose list to replace.",
)
@click.option(
    "--from",
    "source",
    metavar="FILE",
    help="The new list: one package name per line ('-' reads stdin).",
)
@click.option("--reset", is_flag=True, help="Remove the refreshed list: use the compiled-in one.")
def refresh_command(ecosystem: str, source: str | None, reset: bool) -> int:
    """Replace the compiled-in typosquat list of ECOSYSTEM with the names in FILE."""
    target = typosquat_list_path(ecosystem)
    if reset:
        if source is not None:
            raise UsageError("refresh-typosquat: --reset takes no --from")
        target.unlink(missing_ok=True)
        click.echo(f"{ecosystem}: the compiled-in list is used again")
        return 0
    if source is None:
        raise UsageError(
            "refresh-typosquat: give --from FILE (one package name per line); bomhost downloads"
            " nothing: fetch and review the list, then hand it over"
        )
    data = _read(source)
    names = [
        line.strip()
        for line in data.decode("utf-8", "replace").splitlines()
        if line.strip() and not line.strip().startswith("#")
    ]
    if not names:
        raise UsageError(f"refresh-typosquat: {source} holds no package names")
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{ecosystem}.")
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
    os.replace(tmp, target)  # atomic: a run that reads it never sees half a list
    click.echo(f"{ecosystem}: {len(names)} names written to {target}")
    return 0


def _read(source: str) -> bytes:
    try:
        if source == "-":
            data: bytes = sys.stdin.buffer.read(MAX_LIST_BYTES + 1)
        else:
            with Path(source).open("rb") as fh:
                data = fh.read(MAX_LIST_BYTES + 1)
    except OSError as exc:
        raise UsageError(f"refresh-typosquat: cannot read {source}: {exc.strerror}") from exc
    if len(data) > MAX_LIST_BYTES:
        raise UsageError(f"refresh-typosquat: {source} is larger than {MAX_LIST_BYTES} bytes")
    return data
