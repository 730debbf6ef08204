"""Schema validation of CycloneDX inputs on request (``--validate``), via cyclonedx-python-lib.

Kept apart from the readers on purpose: the readers are fast and lenient (real generators emit
slightly off documents that are still worth diffing); strict validation costs a second parse and
is for pipelines that want to reject malformed SBOMs outright.
"""

from __future__ import annotations

from pathlib import Path

from bomhost.errors import SbomContentError
from bomhost.sbom.interface import SbomDocument


def validate_schema(doc: SbomDocument) -> str | None:
    """Raise ``SbomContentError`` if a CycloneDX document breaks its schema.

    Returns a warning for formats bomhost cannot validate (SPDX, Syft), else None.
    """
    if not doc.format.startswith("cyclonedx"):
        return f"{doc.path}: --validate checks CycloneDX only; {doc.format} was not validated"
    # Imported here: the validators pull in jsonschema/lxml and their schema files.
    from cyclonedx.schema import SchemaVersion
    from cyclonedx.validation.json import JsonStrictValidator, JsonValidationError
    from cyclonedx.validation.xml import XmlValidationError, XmlValidator

    try:
        version = SchemaVersion.from_version(doc.spec_version)
    except (ValueError, KeyError) as exc:
        raise SbomContentError(
            doc.path, f"no CycloneDX schema for specVersion {doc.spec_version}"
        ) from exc
    text = Path(doc.path).read_text(encoding="utf-8", errors="replace")
    error: JsonValidationError | XmlValidationError | None
    if doc.format == "cyclonedx-json":
        error = JsonStrictValidator(version).validate_str(text)
    else:
        error = XmlValidator(version).validate_str(text)
    if error is None:
        return None
    detail = error.data
    message = getattr(detail, "message", None) or str(detail).splitlines()[0]
    where = ".".join(str(p) for p in getattr(detail, "absolute_path", ()))
    location = f" at {where}" if where else ""
    raise SbomContentError(doc.path, f"not valid CycloneDX {doc.spec_version}{location}: {message}")
