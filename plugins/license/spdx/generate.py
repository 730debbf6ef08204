"""Write licenses.txt and exceptions.txt: the SPDX identifiers builtin:license knows.

Run with the project's virtualenv (license-expression comes with cyclonedx-python-lib):

    .venv/bin/python plugins/license/spdx/generate.py

The identifiers come from the ScanCode LicenseDB index that the license-expression package
ships (AboutCode, CC-BY-4.0): every ``spdx_license_key`` and the SPDX spellings in
``other_spdx_license_keys`` (deprecated ids such as ``GPL-2.0`` and ``GPL-2.0+``), without the
``LicenseRef-`` keys ScanCode invents for licences outside the SPDX list.
"""

from __future__ import annotations

import importlib.metadata
import json
from pathlib import Path

import license_expression

HERE = Path(__file__).resolve().parent


def render() -> dict[str, str]:
    """The text of ``licenses.txt`` and ``exceptions.txt`` from the installed index."""
    index_path = Path(license_expression.__file__).parent / "data" / "scancode-licensedb-index.json"
    index = json.loads(index_path.read_text(encoding="utf-8"))
    licenses: set[str] = set()
    exceptions: set[str] = set()
    for entry in index:
        keys = [entry.get("spdx_license_key") or "", *(entry.get("other_spdx_license_keys") or [])]
        for key in keys:
            if not key or key.startswith("LicenseRef-"):
                continue
            (exceptions if entry.get("is_exception") else licenses).add(key)
    version = importlib.metadata.version("license-expression")
    head = f"# SPDX identifiers from the ScanCode LicenseDB index of license-expression {version}\n"
    return {
        "licenses.txt": head + "".join(f"{k}\n" for k in sorted(licenses)),
        "exceptions.txt": head + "".join(f"{k}\n" for k in sorted(exceptions)),
    }


def main() -> None:
    for name, text in render().items():
        (HERE / name).write_text(text, encoding="utf-8")
        print(f"{name}: {text.count(chr(10)) - 1} ids")


if __name__ == "__main__":
    main()
