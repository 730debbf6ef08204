"""Every input that once crashed a loader (tests/assets/fuzz) stays a one-line BomhostError."""

from __future__ import annotations

from pathlib import Path

import pytest

from bomhost.errors import SbomError
from bomhost.sbom.interface import load

CORPUS = Path(__file__).parent / "assets" / "fuzz"


@pytest.mark.parametrize("path", sorted((CORPUS / "sbom").iterdir()), ids=lambda p: p.name)
def test_sbom_crash_is_a_one_line_error_naming_the_file(path: Path) -> None:
    with pytest.raises(SbomError) as err:
        load(str(path))
    message = str(err.value)
    assert message.startswith(f"{path}: ")
    assert "\n" not in message
    assert "internal error" not in message
