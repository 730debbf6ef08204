"""``bomhost plugin test``: cases through the real runner, files and a real local HTTP server,
readable diffs, exit codes and JUnit XML, as an author runs it (whole processes)."""

from __future__ import annotations

import shutil
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from tests.test_cli import ROOT, bomhost, one_error_line

LOOKUP = ROOT / "tests/assets/c/lookup-plugin"
CONTRACT_C = ROOT / "tests/assets/c/contract-plugin/contract_plugin_c.wasm"


def test_files_and_http_answers_reach_the_plugin_through_its_policy(tmp_path: Path) -> None:
    junit = tmp_path / "out" / "junit.xml"
    proc = bomhost("plugin", "test", LOOKUP / "plugin.toml", "--junit", junit)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    out = proc.stdout
    assert "4 cases: 4 passed, 0 failed" in out
    # The file was read through the case's grant, the request answered by the local server.
    assert "sandbox: allow plugin-test-files fs_read" in out
    assert '"resolved": "${files}/deny/names.txt"' in out
    assert "http: GET /api/verdict/left-pad -> 200" in out
    assert '"url": "${base_url}/api/verdict/left-pad"' in out
    assert "log info: looking up colorama" in out
    assert "fuel " in out
    # The port and the temporary folder are named, not printed: the same bytes every run.
    again = bomhost("plugin", "test", LOOKUP / "plugin.toml")
    assert again.stdout == out
    suite = ET.parse(junit).getroot().find("testsuite")
    assert suite is not None
    assert (suite.get("name"), suite.get("tests"), suite.get("failures")) == ("lookup", "4", "0")
    names = [c.get("name") for c in suite.iter("testcase")]
    assert names[0] == "a name listed in the file is a finding"
    assert [c.get("classname") for c in suite.iter("testcase")][1] == "lookup.cases/http.toml"


def _copy_lookup(tmp_path: Path) -> Path:
    dst = tmp_path / "lookup"
    shutil.copytree(LOOKUP, dst)
    return dst


def test_a_wrong_expectation_is_a_readable_diff_and_exit_1(tmp_path: Path) -> None:
    plugin = _copy_lookup(tmp_path)
    case = plugin / "cases" / "http.toml"
    case.write_text(
        case.read_text().replace(
            'message = "left-pad 1.3.0 was unpublished"', 'message = "left-pad was fine"'
        ),
        encoding="utf-8",
    )
    junit = tmp_path / "junit.xml"
    proc = bomhost("plugin", "test", plugin / "plugin.toml", case, "--junit", junit)
    assert proc.returncode == 1
    lines = proc.stdout.splitlines()
    assert "FAIL  a verdict from the service is a finding  [cases/http.toml]" in lines
    assert "      findings differ: expected 1, got 1" in lines
    assert any(line.startswith("      -") and "left-pad was fine" in line for line in lines)
    assert any(line.startswith("      +") and "was unpublished" in line for line in lines)
    assert "3 cases: 2 passed, 1 failed" in lines
    failure = ET.parse(junit).getroot().find("testsuite/testcase/failure")
    assert failure is not None
    assert failure.get("message") == "findings differ: expected 1, got 1"
    assert "left-pad was fine" in (failure.text or "")


def test_a_refused_import_fails_the_case_as_the_diff_would(tmp_path: Path) -> None:
    plugin = _copy_lookup(tmp_path)
    (plugin / "policy.toml").unlink()  # the built-in policy grants neither http_get nor read_file
    proc = bomhost("plugin", "test", plugin / "plugin.toml")
    assert proc.returncode == 1
    assert "not loaded:" in proc.stdout
    assert "bomdrift.http_get" in proc.stdout


def _contract_case(tmp_path: Path, body: str) -> Path:
    (tmp_path / "plugin.toml").write_text(
        f'[plugin]\nname = "contract-c"\nexec = "{CONTRACT_C}"\n', encoding="utf-8"
    )
    (tmp_path / "cases").mkdir()
    (tmp_path / "cases" / "c.toml").write_text(body, encoding="utf-8")
    return tmp_path / "plugin.toml"


def test_an_expected_error_kind(tmp_path: Path) -> None:
    manifest = _contract_case(
        tmp_path,
        '[[case]]\nname = "crash traps"\nerror = "trap"\n'
        'component = { name = "crash", ecosystem = "npm" }\n'
        '[[case]]\nname = "garbage is bad output"\nerror = "trap"\n'
        'component = { name = "garbage", ecosystem = "npm" }\n',
    )
    proc = bomhost("plugin", "test", manifest)
    assert proc.returncode == 1
    assert "PASS  crash traps" in proc.stdout
    assert "expected error trap, got bad_output" in proc.stdout
    assert "plugin error: bad_output:" in proc.stdout


def test_an_unexpected_failure_says_why(tmp_path: Path) -> None:
    manifest = _contract_case(
        tmp_path,
        '[[case]]\nname = "n"\nexpect = []\ncomponent = { name = "crash", ecosystem = "npm" }\n',
    )
    proc = bomhost("plugin", "test", manifest)
    assert proc.returncode == 1
    assert "the call failed: trap:" in proc.stdout


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (
            '[[case]]\nname = "x"\ncomponent = { name = "a", ecosystem = "npm" }\n',
            "give either expect",
        ),
        (
            '[[case]]\nname = "x"\nexpect = []\nevent = "version-changed"\n'
            'component = { name = "a", ecosystem = "npm" }\n',
            "needs before",
        ),
        ('[[case]]\nname = "x"\nexpect = []\ncomponent = { name = "a" }\n', "ecosystem"),
        ("[[case]\n", "invalid TOML"),
        (
            '[[case]]\nname = "x"\nexpect = []\nfiles = { "../x" = "" }\n'
            'component = { name = "a", ecosystem = "npm" }\n',
            "relative path inside the case",
        ),
    ],
)
def test_a_bad_case_file_is_one_line(tmp_path: Path, body: str, message: str) -> None:
    manifest = _contract_case(tmp_path, body)
    line = one_error_line(bomhost("plugin", "test", manifest))
    assert "cases/c.toml" in line
    assert message in line


def test_no_cases_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "plugin.toml").write_text(
        f'[plugin]\nname = "contract-c"\nexec = "{CONTRACT_C}"\n', encoding="utf-8"
    )
    line = one_error_line(bomhost("plugin", "test", tmp_path / "plugin.toml"))
    assert "no test cases" in line


def test_data_is_compared_when_the_case_gives_it(tmp_path: Path) -> None:
    plugin = _copy_lookup(tmp_path)
    case = plugin / "cases" / "http.toml"
    case.write_text(case.read_text().replace("score = 9.8 }", "score = 1.0 }"), encoding="utf-8")
    proc = bomhost("plugin", "test", plugin / "plugin.toml", case)
    assert proc.returncode == 1
    assert "FAIL  structured detail from the service is the finding's data" in proc.stdout
    minus = [line for line in proc.stdout.splitlines() if line.startswith("      -")]
    plus = [line for line in proc.stdout.splitlines() if line.startswith("      +")]
    assert '"score": 1.0' in minus[0]
    assert '"score": 9.8' in plus[0]
