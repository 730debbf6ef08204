"""bomdrift's CI-facing ``diff`` options: attestations, VEX, forge footer, calibration, file entries.

Kept out of ``diff.py`` so that module stays about the diff itself: ``ci_options`` adds the
options, ``CiOptions.pop`` takes their values out of the parsed parameters (after
``.bomdrift.toml`` was merged into them), and ``diff`` calls the steps below around its run.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, get_args

import click

from bomhost.errors import UsageError
from bomhost.report.calibration import CalibrationFormat
from bomhost.report.forge import PLATFORMS
from bomhost.vex.emit import DEFAULT_JUSTIFICATION, JUSTIFICATIONS

_OPTIONS: list[Callable[[Callable[..., Any]], Callable[..., Any]]] = [
    click.option(
        "--include-file-components",
        is_flag=True,
        help="Keep Syft's 'file' pseudo-components (dropped by default, as bomdrift).",
    ),
    click.option(
        "--repo-url",
        metavar="URL",
        help="Repository URL for the Markdown footer's links [default: BOMHOST_REPO_URL, "
        "BOMDRIFT_REPO_URL, CI_PROJECT_URL, BITBUCKET_GIT_HTTP_ORIGIN, BUILD_REPOSITORY_URI, "
        "GITHUB_SERVER_URL/GITHUB_REPOSITORY; none: no footer].",
    ),
    click.option(
        "--platform",
        type=click.Choice(PLATFORMS),
        help="Forge the Markdown is for (footer shape) [default: detected from CI variables].",
    ),
    click.option(
        "--vex",
        "vex",
        multiple=True,
        metavar="FILE",
        help="OpenVEX 0.2.0 or CycloneDX VEX 1.6 file (repeatable): not_affected/fixed drop a "
        "finding, affected/under_investigation annotate it.",
    ),
    click.option("--emit-vex", metavar="PATH", help="Write an OpenVEX 0.2.0 document here."),
    click.option(
        "--vex-author", metavar="TEXT", help="--emit-vex author [default: repo URL, else bomhost]."
    ),
    click.option(
        "--vex-default-justification",
        type=click.Choice(JUSTIFICATIONS),
        help=f"--emit-vex justification when a baseline entry has none [default: {DEFAULT_JUSTIFICATION}].",
    ),
    click.option(
        "--before-attestation",
        metavar="OCI-REF",
        help="Take OLD from this image's cosign-verified CycloneDX attestation (needs cosign).",
    ),
    click.option(
        "--after-attestation",
        metavar="OCI-REF",
        help="Take NEW from this image's cosign-verified CycloneDX attestation (needs cosign).",
    ),
    click.option(
        "--cosign-identity",
        metavar="REGEX",
        help="cosign --certificate-identity-regexp for the attestations.",
    ),
    click.option(
        "--cosign-issuer",
        metavar="URL",
        help="cosign --certificate-oidc-issuer for the attestations.",
    ),
    click.option(
        "--require-attestation",
        is_flag=True,
        help="Both sides must come from verified attestations (no local files).",
    ),
    click.option(
        "--debug-calibration",
        is_flag=True,
        help="Print one stderr row per finding: kind|key|score|threshold.",
    ),
    click.option(
        "--debug-calibration-format",
        type=click.Choice(get_args(CalibrationFormat)),
        default="pipe",
        show_default=True,
        help="Rows for --debug-calibration: pipe or jsonl.",
    ),
]


_THRESHOLDS = ("typosquat_similarity_threshold", "multi_major_delta", "young_maintainer_days")


def ci_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """Add the options above to ``command``."""
    for option in reversed(_OPTIONS):
        command = option(command)
    return command


@dataclass(frozen=True)
class CiOptions:
    """The values of the options above for one run."""

    include_file_components: bool = False
    repo_url: str | None = None
    platform: str | None = None
    vex: tuple[str, ...] = ()
    emit_vex: str | None = None
    vex_author: str | None = None
    vex_default_justification: str | None = None
    before_attestation: str | None = None
    after_attestation: str | None = None
    cosign_identity: str | None = None
    cosign_issuer: str | None = None
    require_attestation: bool = False
    debug_calibration: bool = False
    debug_calibration_format: CalibrationFormat = "pipe"
    # The signal thresholds in force (options of their own, read not taken), for calibration rows.
    thresholds: Mapping[str, Any] = field(default_factory=dict)

    @classmethod
    def pop(cls, params: dict[str, Any]) -> CiOptions:
        """Take this module's values out of ``params`` (what is left is ``_diff``'s)."""
        names = set(cls.__dataclass_fields__) - {"thresholds"}
        values = {k: params.pop(k) for k in list(params) if k in names}
        thresholds = {k: params[k] for k in _THRESHOLDS if params.get(k) is not None}
        return cls(**values, thresholds=thresholds)

    def sides(self, old: str | None, new: str | None) -> tuple[str | None, str | None]:
        """Which positional file is which side, once attestations take their side's place.

        bomdrift makes a side's file and its attestation mutually exclusive; here the files
        given fill the sides that have no attestation, in order, so ``diff --before-attestation
        REF new.json`` reads as it is written.
        """
        files = [f for f in (old, new) if f is not None]
        want = [
            s
            for s, ref in (("OLD", self.before_attestation), ("NEW", self.after_attestation))
            if ref is None
        ]
        if self.require_attestation and want:
            raise UsageError(
                "--require-attestation needs both --before-attestation and --after-attestation"
            )
        flag = {"OLD": "--before-attestation", "NEW": "--after-attestation"}
        if len(files) < len(want):
            missing = want[len(files) :]
            raise UsageError(
                "diff: Missing argument "
                + " and ".join(f"{m} (an SBOM file, or {flag[m]})" for m in missing)
            )
        if len(files) > len(want):
            taken = " and ".join(flag[s] for s in ("OLD", "NEW") if s not in want)
            raise UsageError(
                f"diff: {len(files)} SBOM files given, but {taken} takes a side's place"
            )
        given = dict(zip(want, files, strict=True))
        return given.get("OLD"), given.get("NEW")


def fetch_attestations(
    ci: CiOptions, old: str | None, new: str | None
) -> tuple[str, str, dict[str, bytes]]:
    """Both sides' names, fetching the attested ones through cosign (before any plugin runs)."""
    from bomhost.sbom.attestation import fetch_verified_sbom

    attested: dict[str, bytes] = {}
    names: list[str] = []
    for side, path, ref in (
        ("before", old, ci.before_attestation),
        ("after", new, ci.after_attestation),
    ):
        if ref is None:
            assert path is not None  # CiOptions.sides checked it
            names.append(path)
            continue
        if not ci.cosign_identity:
            raise UsageError(
                f"--{side}-attestation needs --cosign-identity (the regex cosign checks the "
                "certificate identity against)"
            )
        if not ci.cosign_issuer:
            raise UsageError(
                f"--{side}-attestation needs --cosign-issuer (the OIDC issuer URL cosign checks)"
            )
        name = f"attestation:{ref}"
        attested[name] = fetch_verified_sbom(ref, ci.cosign_identity, ci.cosign_issuer)
        names.append(name)
        if ci.debug_calibration:
            from bomhost.report.calibration import format_row

            row = format_row(
                "attestation", ref, "verified", ci.cosign_identity, ci.debug_calibration_format
            )
            click.echo(row, err=True)
    return names[0], names[1], attested


def emit_vex(ci: CiOptions, report: Any, baseline: Any, forge_url: str | None, now_ms: int) -> None:
    """Write ``--emit-vex`` (atomically); the author falls back to the repo URL, then 'bomhost'."""
    if ci.emit_vex is None:
        return
    from bomhost.errors import ReportError
    from bomhost.vex.emit import emit_openvex

    author = ci.vex_author or forge_url or "bomhost"
    text = emit_openvex(
        report.enrichment.plugin_findings,
        baseline.entries if baseline is not None else (),
        author=author,
        default_justification=ci.vex_default_justification or DEFAULT_JUSTIFICATION,
        now_ms=now_ms,
    )
    target = Path(ci.emit_vex)
    tmp = target.with_name(f".{target.name}.tmp")
    try:
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(target)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise ReportError(f"--emit-vex {ci.emit_vex}: cannot write: {exc.strerror or exc}") from exc


def environment() -> Mapping[str, str]:
    """The process environment (one seam, so the forge detection reads one mapping)."""
    return os.environ
