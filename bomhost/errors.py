"""The bomhost error tree: every expected failure is one of these, with a one-line message.

Errors from dependencies (json, XML parsers, pydantic, tomllib, OSError, wasmtime) are translated
into the most specific class below at the boundary where they happen (``raise ... from exc``), so
the CLI can map them to an exit code and print one line, never a traceback::

    BomhostError                  exit 1   anything the user can fix
    ├── UsageError                exit 1   bad option combination, unreadable config
    ├── SbomError                 exit 1   an input SBOM cannot be used
    │   ├── SbomNotFound                   the file is missing or unreadable
    │   ├── SbomParseError                 malformed JSON / XML (names file and position)
    │   ├── SbomFormatError                not an SBOM, or not the format asked for
    │   └── SbomContentError               valid syntax, invalid content (names the JSON path)
    ├── ManifestError             exit 1   a plugin manifest cannot be loaded
    ├── PluginLoadError           exit 1   a plugin cannot be prepared (missing exec, sha256
    │                                      mismatch, WASM module refused at load time)
    ├── PolicyError               exit 1   a sandbox policy file is invalid
    ├── ReportError               exit 1   a report cannot be read (``explain``) or written
    └── CaseError                 exit 1   a ``bomhost plugin test`` case file is invalid

A gate that trips is not an error: the engine returns exit code 2 after the report is written.
A plugin that fails on one component is not an error either: it is a ``PluginError`` record in
the report (failure as data), so one bad plugin never unwinds the run.
"""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    """Process exit codes, as bomdrift defines them."""

    OK = 0
    ERROR = 1
    GATE = 2


class BomhostError(Exception):
    """Base of every expected, user-fixable failure; ``str(err)`` is the one-line message."""

    exit_code: ExitCode = ExitCode.ERROR

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        # One line, always: multi-line messages from dependencies are folded.
        return " ".join(self.message.split())


class UsageError(BomhostError):
    """Options that cannot work together, or a config file that cannot be read."""


class SbomError(BomhostError):
    """An input SBOM cannot be used; the message names the file."""

    def __init__(self, path: str, detail: str) -> None:
        super().__init__(f"{path}: {detail}")
        self.path = path
        self.detail = detail


class SbomNotFound(SbomError):
    """The SBOM file does not exist or cannot be read."""


class SbomParseError(SbomError):
    """The SBOM is not well-formed JSON or XML."""


class SbomFormatError(SbomError):
    """The document is not an SBOM bomhost reads, or not in the format the user forced."""


class SbomContentError(SbomError):
    """Well-formed, but a required value is missing or of the wrong type."""


class ManifestError(BomhostError):
    """A plugin manifest is malformed or invalid; the message names the file."""


class PluginLoadError(BomhostError):
    """A plugin cannot be prepared before any component is sent to it."""


class PolicyError(BomhostError):
    """A sandbox policy is malformed or invalid; the message names the file."""


class ReportError(BomhostError):
    """A report cannot be read or written."""


class CaseError(BomhostError):
    """A plugin test case file (``bomhost plugin test``) is malformed; the message names the file."""
