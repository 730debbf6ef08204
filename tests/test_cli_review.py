"""`bomhost` as a user meets it: a directory passed by mistake, a big diff on a terminal, and a
sandbox denial followed from the PR comment to `bomhost explain`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.test_cli import BANNED, NEW, OLD, ROOT, SBOMS, bomhost, on_tty, one_error_line

JUICE_OLD = SBOMS / "cdx12-juice-shop-v11.1.2.bom.json"
JUICE_NEW = SBOMS / "cdx14-juice-shop-v14.1.1-flat.bom.json"
DEMO = ROOT / "examples" / "sboms"
HOST_CALL = ROOT / "tests" / "assets" / "wat" / "policy" / "host_call.wat"


@pytest.mark.parametrize(
    "args",
    [
        ("diff", "{dir}", NEW),
        ("diff", OLD, NEW, "--plugin", "{dir}"),
        ("diff", OLD, NEW, "--plugin", BANNED, "--policy", "{dir}"),
        ("plugin", "check", "{dir}"),
    ],
    ids=["sbom", "manifest", "policy", "plugin-check"],
)
def test_a_directory_instead_of_a_file_is_one_line(
    tmp_path: Path, args: tuple[object, ...]
) -> None:
    argv = [str(tmp_path) if a == "{dir}" else str(a) for a in args]
    line = one_error_line(bomhost(*argv))
    assert line.startswith(f"bomhost: error: {tmp_path}: cannot read")
    assert "Is a directory" in line


def test_a_600_change_diff_does_not_flood_the_terminal(tmp_path: Path) -> None:
    screen = on_tty("diff", JUICE_OLD, JUICE_NEW, env={"NO_COLOR": "1"}).splitlines()
    assert "Changes (646):" in screen
    assert len(screen) < 120
    assert "  ... 273 more added (--output json lists every one)" in screen
    # The one downgrade is listed first among version changes, so the cap cannot hide it.
    assert "  [DWN] npm:base64-arraybuffer 0.1.5 -> 0.1.4 (downgrade)" in screen
    # Scoped packages read as npm knows them, not as a bare "parser".
    assert "  [ADD] npm:@babel/parser@7.21.2" in screen

    # Written to a file, the terminal report is complete.
    out = tmp_path / "report.txt"
    proc = bomhost("diff", JUICE_OLD, JUICE_NEW, "--output", "terminal", "--output-file", out)
    assert proc.returncode == 0, proc.stderr
    assert out.read_text().count("[ADD]") == 298


def test_a_denial_in_the_comment_leads_to_its_explanation(tmp_path: Path) -> None:
    wat = HOST_CALL.read_text()
    for key, value in {
        "@FUNC@": "read_file",
        "@ARG@": "/etc/passwd",
        "@ARG_LEN@": "11",
        "@CAP@": "4096",
    }.items():
        wat = wat.replace(key, value)
    (tmp_path / "snoop.wat").write_text(wat)
    manifest = tmp_path / "snoop.toml"
    manifest.write_text(
        '[plugin]\nname = "snoop"\nexec = "./snoop.wat"\ntype = "wasm"\nprotocol_version = 2\n'
        'invoke_on = ["added"]\n'
    )
    (tmp_path / "data").mkdir()
    policy = tmp_path / "policy.toml"
    policy.write_text(
        '[plugins.snoop.imports]\nextend = ["bomdrift.read_file"]\n'
        '[[plugins.snoop.fs.read]]\nid = "data"\npath = "data"\nmax_bytes_per_invocation = 1024\n'
        "max_bytes_per_run = 4096\n"
    )
    common = (
        "diff",
        DEMO / "old.cdx.json",
        DEMO / "new.cdx.json",
        "--plugin",
        manifest,
        "--policy",
        policy,
    )
    report = tmp_path / "report.json"
    assert bomhost(*common, "--output", "json", "--output-file", report).returncode == 0
    events = json.loads(report.read_text())["sandbox"]["events"]
    index = next(i for i, e in enumerate(events) if e["decision"] == "deny")

    comment = bomhost(*common, "--output", "markdown").stdout
    assert (
        f"| {index} | snoop | <code>pkg:pypi/colorama@0.4.6</code> | <code>fs.default</code> |"
        " fs\\_path\\_denied | <code>/etc/passwd</code> |"
    ) in comment

    explained = bomhost("explain", report, "--event-index", str(index))
    assert explained.returncode == 0, explained.stderr
    assert "/etc/passwd" in explained.stdout
    assert "snoop" in explained.stdout
