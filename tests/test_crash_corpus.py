"""Every input that once crashed a loader (tests/assets/fuzz) stays a one-line BomhostError."""

from __future__ import annotations

from pathlib import Path

import pytest

from bomhost.errors import SbomError
from bomhost.sbom.interface import load

CORPUS = Path(__file__).parent / "assets" / "fuzz"


# A number past Python's 4,300-digit limit in a field no reader uses: the CycloneDX fast path
# (bomhost/sbom/cyclonedx_fast.py) never builds that field, so the file is read, not refused.
READ_NOW = {"huge-integer-metadata.cdx.json"}


def test_unused_huge_number_no_longer_makes_the_file_unreadable() -> None:
    doc = load(str(CORPUS / "sbom" / "huge-integer-metadata.cdx.json"))
    assert doc.format == "cyclonedx-json"
    assert doc.components == ()


@pytest.mark.parametrize(
    "path",
    sorted(p for p in (CORPUS / "sbom").iterdir() if p.name not in READ_NOW),
    ids=lambda p: p.name,
)
def test_sbom_crash_is_a_one_line_error_naming_the_file(path: Path) -> None:
    with pytest.raises(SbomError) as err:
        load(str(path))
    message = str(err.value)
    assert message.startswith(f"{path}: ")
    assert "\n" not in message
    assert "internal error" not in message
