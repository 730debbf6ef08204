"""Protocol 1 on the wire, byte for byte as bomdrift's serde writes it and reads the answer."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bomhost.model import ChangeSet
from bomhost.plugins.manifest import load_manifest
from tests.compat.helpers import bomhost, install, write_manifest, write_pair
from tests.plugins.contract import comp, run

# What bomdrift's `serde_json::to_vec(&PluginInput { .. })` writes for write_pair's changes:
# compact, fields in struct order, nulls and empty arrays present, no trailing newline.
# `component` of a version change is the AFTER side; `before` the old one.
EXPECTED_REQUESTS = {
    b'{"protocol_version":1,"component":{"name":"nopurl","version":"2.0","ecosystem":"library",'
    b'"purl":null,"licenses":[],"supplier":null,"hashes":[],"relationship":"unknown",'
    b'"source_url":null,"bom_ref":null},"event":"added","before":null}',
    b'{"protocol_version":1,"component":{"name":"left-pad","version":"1.0.0","ecosystem":"go",'
    b'"purl":"pkg:golang/github.com/x/left-pad@1.0.0","licenses":[],"supplier":"ACME",'
    b'"hashes":[],"relationship":"unknown","source_url":null,"bom_ref":null},"event":"added",'
    b'"before":null}',
    b'{"protocol_version":1,"component":{"name":"lodash","version":"4.17.21","ecosystem":"npm",'
    b'"purl":"pkg:npm/lodash@4.17.21","licenses":["MIT"],"supplier":null,'
    b'"hashes":[{"alg":"sha256","value":"abcd"}],"relationship":"unknown","source_url":null,'
    b'"bom_ref":null},"event":"version-changed","before":{"name":"lodash","version":"4.17.20",'
    b'"ecosystem":"npm","purl":"pkg:npm/lodash@4.17.20","licenses":["MIT"],"supplier":null,'
    b'"hashes":[],"relationship":"unknown","source_url":null,"bom_ref":null}}',
}


def test_shell_plugin_gets_bomdrifts_envelope_and_process(tmp_path: Path) -> None:
    old, new = write_pair(tmp_path)
    plugdir = tmp_path / "plugin"
    plugdir.mkdir()
    install(plugdir, "capture.sh")
    manifest = write_manifest(plugdir, '[plugin]\nname = "cap"\nexec = "./capture.sh"\n')
    captured = tmp_path / "captured"
    captured.mkdir()
    workdir = tmp_path / "work"
    workdir.mkdir()
    proc = bomhost(
        "diff",
        old,
        new,
        "--plugin",
        manifest,
        "--output",
        "json",
        cwd=workdir,
        env={"CAPTURE_DIR": str(captured), "COMPAT_MARKER": "inherited"},
    )
    assert proc.returncode == 0, proc.stderr

    # `cat` returned, so stdin was closed after the one request; removed is never sent.
    requests = {p.read_bytes() for p in captured.glob("*.request")}
    assert requests == EXPECTED_REQUESTS
    # No arguments, the caller's working directory, the caller's environment.
    for p in captured.glob("*.process"):
        assert p.read_text().splitlines() == ["0", str(workdir), "inherited"]

    findings = json.loads(proc.stdout)["enrichment"]["plugin_findings"]
    assert [f["component_purl"] for f in findings] == [
        "nopurl",  # no purl: the name, as bomdrift
        "pkg:golang/github.com/x/left-pad@1.0.0",
        "pkg:npm/lodash@4.17.21",
    ]
    assert list(findings[0]) == [
        "plugin_name",
        "component_purl",
        "kind",
        "message",
        "severity",
        "rule_id",
    ]


def test_python_plugin_order_is_plugins_in_cli_order_then_added_then_version_changed(
    tmp_path: Path,
) -> None:
    old, new = write_pair(tmp_path)
    install(tmp_path, "banned.py")
    first = write_manifest(tmp_path, '[plugin]\nname = "zz-first"\nexec = "banned.py"\n', "a.toml")
    second = write_manifest(
        tmp_path, '[plugin]\nname = "aa-second"\nexec = "banned.py"\n', "b.toml"
    )
    proc = bomhost("diff", old, new, "--plugin", first, "--plugin", second, "--output", "json")
    assert proc.returncode == 0, proc.stderr
    rows = [
        (f["plugin_name"], f["kind"], f["message"])
        for f in json.loads(proc.stdout)["enrichment"]["plugin_findings"]
    ]
    per_plugin = [("banned", "left-pad is banned"), ("bump", "4.17.20 -> 4.17.21")]
    assert rows == [("zz-first", *r) for r in per_plugin] + [("aa-second", *r) for r in per_plugin]


F = '{"kind":"k","message":"m","severity":"warning","rule_id":"r"}'


@pytest.mark.parametrize(
    ("stdout", "status", "findings", "error_kind"),
    [
        # Accepted as bomdrift accepts them (it trims with Rust's Unicode-aware str::trim).
        (f'  \n\t {{"findings":[{F}]}} \n\n'.encode(), 0, 1, None),
        (f'{{"findings":[{F}]}}\u00a0\u2028'.encode(), 0, 1, None),
        (
            b'{"findings":[{"kind":"k","message":"m","severity":"info","rule_id":"r","x":1}],"v":2}',
            0,
            1,
            None,
        ),
        (b'{"findings":[]}', 0, 0, None),
        # Dropped by bomdrift; bomhost drops them too, and records why.
        (f'{{"findings":[{F}]}}'.encode(), 1, 0, "exit_status"),
        (b'{"findings":[{"kind":"k","message":"m","severity":"info"}]}', 0, 0, "bad_output"),
        (
            b'{"findings":[{"kind":"k","message":null,"severity":"info","rule_id":"r"}]}',
            0,
            0,
            "bad_output",
        ),
        (
            b'{"findings":[{"kind":"k","message":"m","severity":"Warning","rule_id":"r"}]}',
            0,
            0,
            "bad_output",
        ),
        (
            b'{"findings":[{"kind":"k","message":"m","severity":"warn","rule_id":"r"}]}',
            0,
            0,
            "bad_output",
        ),
        (
            b'{"findings":[{"kind":1,"message":"m","severity":"info","rule_id":"r"}]}',
            0,
            0,
            "bad_output",
        ),
        (b"{}", 0, 0, "bad_output"),
        (b'{"findings":null}', 0, 0, "bad_output"),
        (b'{"findings":[]}\n{"findings":[]}', 0, 0, "bad_output"),
        (b"", 0, 0, "bad_output"),
        (b"[]", 0, 0, "bad_output"),
        (b'\xef\xbb\xbf{"findings":[]}', 0, 0, "bad_output"),  # a BOM is not whitespace
        (
            b'{"findings":[{"kind":"k","message":"caf\xe9","severity":"info","rule_id":"r"}]}',
            0,
            0,
            "bad_output",
        ),  # not UTF-8: bomdrift's read_to_string fails, so does bomhost
    ],
)
def test_response_handling_matches_bomdrift(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    stdout: bytes,
    status: int,
    findings: int,
    error_kind: str | None,
) -> None:
    install(tmp_path, "respond.sh")
    response = tmp_path / "response"
    response.write_bytes(stdout)
    monkeypatch.setenv("RESPONSE_FILE", str(response))
    monkeypatch.setenv("RESPONSE_STATUS", str(status))
    path = write_manifest(tmp_path, '[plugin]\nname = "r"\nexec = "./respond.sh"\n')
    out = run([load_manifest(path)], ChangeSet(added=(comp("left-pad"),)))
    assert len(out.findings) == findings
    assert [e.error_kind for e in out.errors] == ([error_kind] if error_kind else [])
    # stderr of a successful call is not a finding and not kept; of a failed one it is the why.
    if status:
        assert "a log line on stderr" in out.errors[0].message
