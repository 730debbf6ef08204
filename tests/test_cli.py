"""`bomhost diff` as CI runs it: a real process, real SBOMs, exit codes, stderr, files written."""

from __future__ import annotations

import json
import os
import pty
import subprocess
import sys
from pathlib import Path

import pytest

from bomhost import __version__

ROOT = Path(__file__).resolve().parent.parent
SBOMS = ROOT / "tests" / "assets" / "sboms"
OLD = SBOMS / "cdx12-proton-bridge-v1.6.3.bom.json"
NEW = SBOMS / "cdx12-proton-bridge-v1.8.0.bom.json"
BANNED = ROOT / "examples" / "plugins" / "banned-packages" / "plugin.toml"


def bomhost(
    *args: str | Path, cwd: Path | None = None, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    full_env = {k: v for k, v in os.environ.items() if k not in ("SOURCE_DATE_EPOCH", "NO_COLOR")}
    full_env.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "bomhost", *map(str, args)],
        capture_output=True,
        text=True,
        cwd=cwd or ROOT,
        env=full_env,
        timeout=120,
        check=False,
    )


def one_error_line(proc: subprocess.CompletedProcess[str]) -> str:
    """The user-facing contract for bad input: exit 1, exactly one line, no traceback."""
    assert proc.returncode == 1, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert "Traceback" not in proc.stderr
    return lines[0]


def test_version() -> None:
    proc = bomhost("--version")
    assert proc.returncode == 0
    assert proc.stdout.strip() == f"bomhost, version {__version__}"


def test_json_report_of_a_real_pair() -> None:
    proc = bomhost("diff", OLD, NEW, "--output", "json")
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout)
    changed = sorted(after["name"] for _, after in report["changes"]["version_changed"])
    assert len(changed) == 7
    assert "github.com/miekg/dns" in changed
    assert report["changes"]["added"] == report["changes"]["removed"] == []


def test_terminal_output_falls_back_to_markdown_when_piped() -> None:
    proc = bomhost("diff", OLD, NEW)
    assert proc.returncode == 0
    assert "| Version changed | 7 |" in proc.stdout.replace("  ", " ")
    assert "\x1b[" not in proc.stdout


def on_tty(*args: str | Path, env: dict[str, str] | None = None) -> str:
    """stdout of `bomhost ARGS` on a pseudo-terminal, as a developer at a shell sees it."""
    main, child = pty.openpty()
    full_env = {k: v for k, v in os.environ.items() if k not in ("SOURCE_DATE_EPOCH", "NO_COLOR")}
    full_env.update(env or {})
    proc = subprocess.Popen(
        [sys.executable, "-m", "bomhost", *map(str, args)],
        stdout=child,
        stderr=subprocess.DEVNULL,
        cwd=ROOT,
        env=full_env,
    )
    os.close(child)
    chunks = []
    while True:
        try:
            data = os.read(main, 65536)
        except OSError:  # EIO once the child side is closed
            break
        if not data:
            break
        chunks.append(data)
    proc.wait(timeout=60)
    os.close(main)
    assert proc.returncode == 0
    return b"".join(chunks).decode().replace("\r\n", "\n")


def test_terminal_is_coloured_on_a_tty_unless_no_color() -> None:
    coloured = on_tty("diff", OLD, NEW)
    assert "\x1b[" in coloured
    assert "miekg/dns" in coloured
    plain = on_tty("diff", OLD, NEW, env={"NO_COLOR": "1"})
    assert "\x1b[" not in plain
    assert "miekg/dns" in plain


def test_same_inputs_same_bytes_and_source_date_epoch(tmp_path: Path) -> None:
    first = bomhost("diff", OLD, NEW, "--output", "json", "--plugin", BANNED)
    second = bomhost("diff", OLD, NEW, "--output", "json", "--plugin", BANNED)
    assert first.stdout == second.stdout
    assert "generated_at" not in json.loads(first.stdout) or (
        json.loads(first.stdout)["generated_at"] is None
    )
    stamped = bomhost("diff", OLD, NEW, "--output", "json", env={"SOURCE_DATE_EPOCH": "86400"})
    assert json.loads(stamped.stdout)["generated_at"] == "1970-01-02T00:00:00Z"


def test_gate_trips_after_the_report_is_written(tmp_path: Path) -> None:
    out = tmp_path / "report.json"
    proc = bomhost(
        "diff", OLD, NEW, "--output", "json", "--output-file", out, "--max-version-changed", "3"
    )
    assert proc.returncode == 2
    assert proc.stdout == ""
    report = json.loads(out.read_text())
    assert len(report["changes"]["version_changed"]) == 7
    assert report["gates"] == [
        {"option": "--max-version-changed 3", "reason": "7 version changes (limit 3)"}
    ]
    assert "gate tripped: --max-version-changed 3: 7 version changes (limit 3)" in proc.stderr


@pytest.mark.parametrize("where", ["no-such-dir/report.json", "."])
def test_unwritable_output_file_still_delivers_the_report(tmp_path: Path, where: str) -> None:
    target = tmp_path / where  # a missing folder, or a folder itself
    proc = bomhost("diff", OLD, NEW, "--output", "json", "--output-file", target)
    line = one_error_line(proc)
    assert str(target) in line
    assert "written to stdout instead" in line
    assert len(json.loads(proc.stdout)["changes"]["version_changed"]) == 7
    assert not list(tmp_path.parent.glob(".*.tmp"))  # no half-written file left behind


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (None, "No such file"),
        ('{"bomFormat": "CycloneDX", "specVersion": "1.4", "components": [', "line 1"),
        ('{"name": "my-app", "dependencies": {}}', "not"),
        ('{"bomFormat": "CycloneDX", "specVersion": "9.9", "components": []}', "9.9"),
        (
            '{"bomFormat": "CycloneDX", "specVersion": "1.4", "components": [{"purl": "pkg:npm/x@1"}]}',
            "components[0]",
        ),
        ("<bom xmlns='http://cyclonedx.org/schema/bom/1.4'><components>", "line"),
    ],
)
def test_bad_sbom_is_one_line_naming_the_file(
    tmp_path: Path, content: str | None, expected: str
) -> None:
    bad = tmp_path / "bad.json"
    if content is not None:
        bad.write_text(content)
    line = one_error_line(bomhost("diff", OLD, bad))
    assert str(bad) in line
    assert expected in line


def test_nameless_purl_less_entries_are_skipped_with_a_warning(tmp_path: Path) -> None:
    odd = tmp_path / "odd.json"
    odd.write_text(
        json.dumps(
            {
                "bomFormat": "CycloneDX",
                "specVersion": "1.4",
                "components": [{"version": "1"}, {"version": "2"}, {"name": "left-pad"}],
            }
        )
    )
    proc = bomhost("diff", odd, odd, "--output", "json")
    assert proc.returncode == 0
    assert f"{odd}: skipped 2 component(s) with neither purl nor name" in proc.stderr
    assert json.loads(proc.stdout)["new"]["skipped"] == 2


def test_bad_options_exit_1_not_the_gate_code() -> None:
    assert "unknown value 'sometimes'" in one_error_line(
        bomhost("diff", OLD, NEW, "--fail-on", "sometimes")
    )
    proc = bomhost("diff", OLD)
    assert proc.returncode == 1
    assert "Missing argument" in proc.stderr


def test_project_config_supplies_plugins_and_policy(tmp_path: Path) -> None:
    (tmp_path / ".git").mkdir()  # the lookup stops at the repository root
    (tmp_path / "policy.toml").write_text("[budgets]\nfuel = 1000\n")
    (tmp_path / ".bomhost.toml").write_text(f'policy = "policy.toml"\nplugins = ["{BANNED}"]\n')
    proc = bomhost("diff", OLD, NEW, "--output", "json", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    # The example plugin was called once per version change, and found nothing banned.
    report = json.loads(proc.stdout)
    assert report["sandbox"]["stats"]["banned-packages"]["count"] == 7
    (tmp_path / ".bomhost.toml").write_text("polcy = 'typo.toml'\n")
    line = one_error_line(bomhost("diff", OLD, NEW, cwd=tmp_path))
    assert ".bomhost.toml" in line
    assert "polcy" in line


def test_a_refused_plugin_stops_the_run_before_any_sbom_is_read(tmp_path: Path) -> None:
    manifest = tmp_path / "plugin.toml"
    wat = ROOT / "tests" / "assets" / "wat" / "env_import.wat"
    manifest.write_text(f'[plugin]\nname = "sneaky"\nexec = "{wat}"\n')
    # The SBOM does not exist either: the plugin's refusal is what the user hears about.
    line = one_error_line(bomhost("diff", tmp_path / "missing.json", NEW, "--plugin", manifest))
    assert "plugin 'sneaky': import env." in line
    assert "missing.json" not in line


def test_output_to_a_pipe_is_complete_and_a_closed_pipe_exits_1() -> None:
    """bomhost ends with os._exit after flushing (cli._exit): nothing written may be lost,
    whatever the size, and a reader that is gone gets exit 1 without a traceback."""
    old = ROOT / "tests/assets/sboms/cdx12-juice-shop-v11.1.2.bom.json"
    new = ROOT / "tests/assets/sboms/cdx14-juice-shop-v14.1.1-flat.bom.json"
    proc = bomhost("diff", old, new, "--no-signals", "--output", "json")
    assert proc.returncode == 0, proc.stderr
    assert len(proc.stdout) > 256 * 1024  # several pipe buffers
    report = json.loads(proc.stdout)
    assert len(report["changes"]["added"]) == 298  # the last bytes arrived too
    reader = subprocess.Popen(
        [sys.executable, "-m", "bomhost", "diff", old, new, "--no-signals", "--output", "json"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd=ROOT,
    )
    assert reader.stdout is not None
    assert reader.stderr is not None
    reader.stdout.close()  # the reader is gone before the report is written
    stderr = reader.stderr.read().decode()
    reader.stderr.close()
    assert reader.wait(timeout=120) == 1
    assert "Traceback" not in stderr


def test_a_closed_stdout_or_stderr_changes_no_exit_code() -> None:
    """Started with fd 1 or 2 closed, Python has no sys.stdout / sys.stderr: still exit 0."""
    for redirect in (">&-", "2>&- >/dev/null"):
        proc = subprocess.run(
            ["sh", "-c", f'exec "$0" -m bomhost --version {redirect}', sys.executable],
            capture_output=True,
            text=True,
            cwd=ROOT,
            timeout=60,
            check=False,
        )
        assert proc.returncode == 0, (redirect, proc.stderr)
        assert "Traceback" not in proc.stderr
