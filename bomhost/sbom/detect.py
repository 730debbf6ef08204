"""Format detection by content and dispatch to a reader; every failure becomes an SbomError.

JSON: ``bomFormat == "CycloneDX"`` (any case), else ``spdxVersion``, else a Syft ``schema.url``
(bomdrift's order). XML: a root element in a CycloneDX namespace. ``--format`` forces a reader
for a document without any marker; a document whose marker names another format is an error
rather than silently misread.
"""

from __future__ import annotations

import codecs
import json
import sys
from typing import Any, Literal
from xml.etree.ElementTree import Element, ParseError

import orjson

from bomhost.errors import SbomContentError, SbomError, SbomFormatError, SbomParseError
from bomhost.sbom import cyclonedx_fast, cyclonedx_json, cyclonedx_xml, spdx_json, syft_json
from bomhost.sbom.common import Interner
from bomhost.sbom.interface import SbomDocument, SbomFormat

Detected = Literal["cdx", "spdx", "syft"]

_NAMES: dict[str, str] = {"cdx": "CycloneDX", "spdx": "SPDX", "syft": "Syft"}


def detect_json(doc: dict[str, Any]) -> Detected | None:
    """Which format a JSON document says it is, or None when it carries no marker."""
    marker = doc.get("bomFormat")
    if isinstance(marker, str) and marker.lower() == "cyclonedx":
        return "cdx"
    if "spdxVersion" in doc:
        return "spdx"
    if syft_json.is_syft(doc):
        return "syft"
    return None


def parse_bytes(
    data: bytes, source: str, fmt: SbomFormat = "auto", interner: Interner | None = None
) -> SbomDocument:
    """Parse SBOM bytes read from ``source`` (a path, used in messages)."""
    return parse_owned([data], source, fmt, interner)


def parse_owned(
    buffer: list[bytes],
    source: str,
    fmt: SbomFormat = "auto",
    interner: Interner | None = None,
) -> SbomDocument:
    """``parse_bytes`` for a one-item list whose bytes the parser may take and drop.

    Memory, not style: a 200k-component file is 190 MB of bytes, as much again as text, and
    ~750 MB as a JSON tree. Popping the bytes from the list leaves the parser the only
    reference, so the bytes and the text are freed as soon as each has been used, instead of
    living on in the caller's frame until the whole document has been read.
    """
    head = _head(buffer[0])
    if not head:
        raise SbomParseError(source, "the file is empty")
    try:
        if head.startswith("<"):
            return _from_xml(buffer.pop(), source, fmt)
        return _from_json(buffer, source, fmt, interner)
    except SbomError:
        raise
    except RecursionError as exc:
        raise SbomParseError(source, "the document is nested too deeply to read") from exc
    except ValueError as exc:
        # The boundary of every reader, whatever parser it uses: a parser's own error (e.g.
        # Python's 4,300-digit integer limit, an orjson or XML error) is a format error of the
        # file, never an internal error. Readers' checked errors are SbomErrors and pass above.
        detail = _one_line(exc)
        if "integer string conversion" in detail:
            detail = f"a number has more than {sys.get_int_max_str_digits()} digits"
        raise SbomParseError(source, f"invalid JSON: {detail}") from exc
    except (TypeError, KeyError, IndexError, AttributeError, OverflowError) as exc:
        # A reader met a value shape it did not expect: still bad input, not a crash.
        raise SbomContentError(
            source, f"unexpected content ({type(exc).__name__}: {_one_line(exc)})"
        ) from exc


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return text[:200] if text else type(exc).__name__


_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),  # before UTF-16 LE, whose BOM is its prefix
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


def _head(data: bytes) -> str:
    """The first characters after any byte-order mark and whitespace: "<" means XML."""
    encoding = next((enc for bom, enc in _BOMS if data.startswith(bom)), "latin-1")
    return data[:64].decode(encoding, errors="ignore").lstrip("\ufeff \t\r\n")


def _parse_json(buffer: list[bytes], source: str) -> Any:
    """The JSON tree: orjson on the fast path, Python's json for anything orjson refuses.

    orjson parses the bytes in place (no decoded text copy) about three times faster, but it is
    stricter than json: it refuses byte-order marks, UTF-16/32, NaN and lone surrogates, which
    bomhost has always read. On any orjson error the stdlib parser decides, so what is accepted
    and every error message stay exactly as they were; only valid UTF-8 gets faster.
    """
    data = buffer.pop()
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError:
        pass
    try:
        # What json.loads(bytes) does, in two steps so that each buffer is freed once used.
        text = data.decode(json.detect_encoding(data), "surrogatepass")
        del data
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise SbomParseError(
            source, f"invalid JSON at line {exc.lineno} column {exc.colno}: {exc.msg}"
        ) from exc
    except UnicodeDecodeError as exc:
        raise SbomParseError(source, f"invalid JSON: not UTF-8/16/32 text ({exc.reason})") from exc


def _from_json(
    buffer: list[bytes], source: str, fmt: SbomFormat, interner: Interner | None
) -> SbomDocument:
    if fmt in ("auto", "cdx"):
        # CycloneDX JSON decoded straight into the fields read (cyclonedx_fast); None means
        # anything else, and the checked path below decides, exactly as before.
        fast = cyclonedx_fast.read(buffer, source, interner)
        if fast is not None:
            return fast
    doc = _parse_json(buffer, source)
    if not isinstance(doc, dict):
        raise SbomFormatError(source, "not an SBOM: the JSON document is not an object")
    detected = detect_json(doc)
    chosen = _choose(detected, fmt, source)
    if chosen == "cdx":
        return cyclonedx_json.read(doc, source)
    if chosen == "spdx":
        return spdx_json.read(doc, source)
    return syft_json.read(doc, source)


def _from_xml(data: bytes, source: str, fmt: SbomFormat) -> SbomDocument:
    # Imported here: most SBOMs are JSON, and a plain diff's start-up counts (docs/benchmarks.md).
    from defusedxml import DefusedXmlException
    from defusedxml.ElementTree import fromstring

    try:
        root: Element = fromstring(data, forbid_dtd=True)
    except ParseError as exc:
        line, column = exc.position
        detail = str(exc).split(":", 1)[0]
        raise SbomParseError(
            source, f"invalid XML at line {line} column {column + 1}: {detail}"
        ) from exc
    except DefusedXmlException as exc:
        raise SbomParseError(
            source, f"refused XML: DTDs and entity declarations are not allowed ({exc})"
        ) from exc
    except (ValueError, LookupError) as exc:  # LookupError: an unknown declared encoding
        raise SbomParseError(source, f"invalid XML: {exc}") from exc
    detected: Detected | None = "cdx" if cyclonedx_xml.is_cyclonedx(root) else None
    if detected is None:
        raise SbomFormatError(source, "not an SBOM: the XML root is not a CycloneDX <bom>")
    _choose(detected, fmt, source)
    return cyclonedx_xml.read(root, source)


def _choose(detected: Detected | None, fmt: SbomFormat, source: str) -> Detected:
    if fmt == "auto":
        if detected is None:
            raise SbomFormatError(
                source,
                "not an SBOM: no CycloneDX bomFormat, SPDX spdxVersion or Syft schema.url",
            )
        return detected
    if detected is not None and detected != fmt:
        raise SbomFormatError(
            source, f"--format {fmt} was given, but this is a {_NAMES[detected]} document"
        )
    return fmt
