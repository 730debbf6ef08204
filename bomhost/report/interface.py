"""The renderer seam: one ``Renderer`` per output format, looked up by name in ``RENDERERS``.

A renderer is a pure function of the Report (plus the colour flag, which only the terminal
format uses); it returns the whole text and the CLI decides where it goes. Adding a format is one
module and one registry line.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Literal, Protocol, get_args

from bomhost.errors import UsageError
from bomhost.report.model import Report

OutputFormat = Literal["terminal", "markdown", "json", "sarif", "cyclonedx"]
OUTPUT_FORMATS: tuple[OutputFormat, ...] = get_args(OutputFormat)

# How much of the report a text format shows: everything, bomdrift's --summary-only (the counts
# table and gates), or --findings-only (no added/removed/version-changed lists). The data
# formats (json, sarif, cyclonedx) always carry everything.
View = Literal["full", "summary", "findings"]
# Markdown layout: bomhost's (bomdrift's plus bomhost's buckets, escaping and size limit), or
# bomdrift's byte for byte (--markdown-style bomdrift; its examples' goldens reproduce).
Style = Literal["bomhost", "bomdrift"]


class Renderer(Protocol):
    """Turn a Report into the full text of one output format."""

    def __call__(
        self,
        report: Report,
        /,
        *,
        color: bool = False,
        screen: bool = False,
        view: View = "full",
        style: str = "bomhost",
    ) -> str: ...


# Each renderer module is imported when its format is asked for: a run renders one format.


def _terminal(
    report: Report,
    /,
    *,
    color: bool = False,
    screen: bool = False,
    view: View = "full",
    style: str = "bomhost",
) -> str:
    from bomhost.report.terminal import SCREEN_LIMIT, render_terminal

    return render_terminal(report, color, SCREEN_LIMIT if screen else None)


def _markdown(
    report: Report,
    /,
    *,
    color: bool = False,
    screen: bool = False,
    view: View = "full",
    style: str = "bomhost",
) -> str:
    from bomhost.report.markdown import render_markdown

    return render_markdown(report, view=view, style=style)


def _json(
    report: Report,
    /,
    *,
    color: bool = False,
    screen: bool = False,
    view: View = "full",
    style: str = "bomhost",
) -> str:
    from bomhost.report.json import render_json

    return render_json(report)


def _sarif(
    report: Report,
    /,
    *,
    color: bool = False,
    screen: bool = False,
    view: View = "full",
    style: str = "bomhost",
) -> str:
    from bomhost.report.sarif import render_sarif

    return render_sarif(report)


def _cyclonedx(
    report: Report,
    /,
    *,
    color: bool = False,
    screen: bool = False,
    view: View = "full",
    style: str = "bomhost",
) -> str:
    from bomhost.report.cyclonedx import render_cyclonedx

    return render_cyclonedx(report)


RENDERERS: Mapping[str, Renderer] = MappingProxyType(
    {
        "terminal": _terminal,
        "markdown": _markdown,
        "json": _json,
        "sarif": _sarif,
        "cyclonedx": _cyclonedx,
    }
)


def render(
    report: Report,
    output: str,
    *,
    color: bool = False,
    screen: bool = False,
    view: View = "full",
    style: str = "bomhost",
) -> str:
    """Render ``report`` as ``output``; ``UsageError`` for a format bomhost does not have.

    ``screen``: the text goes to an interactive terminal, so long lists are capped there.
    """
    renderer = RENDERERS.get(output)
    if renderer is None:
        raise UsageError(
            f"unknown output format {output!r} (choose from {', '.join(OUTPUT_FORMATS)})"
        )
    return renderer(report, color=color, screen=screen, view=view, style=style)
