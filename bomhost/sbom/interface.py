"""The reader seam: what every SBOM reader returns, and ``load`` which picks the reader.

Readers are pure functions of bytes to ``SbomDocument``; format detection is by content, never
by file name. Every failure is an ``SbomError`` naming the file (see bomhost.errors).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, ConfigDict

from bomhost.errors import SbomNotFound
from bomhost.model import Component

if TYPE_CHECKING:
    from bomhost.sbom.common import Interner

SbomFormat = Literal["auto", "cdx", "spdx", "syft"]


class SbomDocument(BaseModel):
    """One parsed SBOM: its components plus what a report says about where they came from."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    path: str
    format: Literal["cyclonedx-json", "cyclonedx-xml", "spdx-json", "syft-json"]
    spec_version: str
    components: tuple[Component, ...]
    # Entries with neither purl nor name: counted in a warning, never fatal.
    skipped: int = 0


def load(path: str, fmt: SbomFormat = "auto", interner: Interner | None = None) -> SbomDocument:
    """Read ``path`` and return its components; raise ``SbomError`` naming the file on failure.

    ``interner``: one shared by both sides of a diff lets them share equal components
    (``common.Interner``); without it, each document is read on its own.
    """
    # Imported here: the readers import SbomDocument from this module.
    from bomhost.sbom.common import gc_paused
    from bomhost.sbom.detect import parse_owned

    try:
        with open(path, "rb") as handle:
            # Handed over in a list so the parser can drop the bytes early (see parse_owned).
            buffer = [handle.read()]
    except OSError as exc:
        raise SbomNotFound(path, f"cannot read the file: {exc.strerror or exc}") from exc
    with gc_paused():
        return parse_owned(buffer, path, fmt, interner)
