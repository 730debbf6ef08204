"""--before-attestation/--after-attestation: bomhost runs the cosign on PATH, as bomdrift does.

No cosign package exists for this machine (neither Debian nor PyPI ships it), and a real
keyless verification needs a registry and Sigstore's services anyway: the success path runs a
small executable named ``cosign`` that checks the exact command line bomdrift uses and prints
a DSSE envelope, as cosign does. The missing-cosign path is the real thing: an empty PATH.
"""

from __future__ import annotations

import base64
import json
import sys
from pathlib import Path

from tests.test_cli import ROOT, bomhost, one_error_line

OLD = ROOT / "examples" / "sboms" / "old.cdx.json"
NEW = ROOT / "examples" / "sboms" / "new.cdx.json"
IDENTITY = "https://github.com/o/.+"
ISSUER = "https://token.actions.githubusercontent.com"

STUB = """\
import json, sys
want = {want!r}
args = sys.argv[1:]
if args[:-1] != want or args[-1] not in {envelopes!r}:
    print("stub cosign: unexpected arguments: " + " ".join(args), file=sys.stderr)
    sys.exit(1)
print("Verification for " + args[-1] + " --")
print({envelopes!r}[args[-1]])
"""


def envelope(sbom: Path) -> str:
    statement = {
        "_type": "https://in-toto.io/Statement/v0.1",
        "predicateType": "https://cyclonedx.org/bom",
        "subject": [{"name": "img", "digest": {"sha256": "00" * 32}}],
        "predicate": json.loads(sbom.read_text(encoding="utf-8")),
    }
    payload = base64.b64encode(json.dumps(statement).encode()).decode()
    return json.dumps({"payloadType": "application/vnd.in-toto+json", "payload": payload})


def stub_cosign(tmp_path: Path, refs: dict[str, Path]) -> dict[str, str]:
    bindir = tmp_path / "bin"
    bindir.mkdir()
    want = [
        "verify-attestation", "--type=cyclonedx",
        "--certificate-identity-regexp", IDENTITY, "--certificate-oidc-issuer", ISSUER,
    ]  # fmt: skip
    body = STUB.format(want=want, envelopes={ref: envelope(p) for ref, p in refs.items()})
    cosign = bindir / "cosign"
    cosign.write_text(f"#!{sys.executable} -S\n{body}", encoding="utf-8")
    cosign.chmod(0o755)
    return {"PATH": str(bindir)}


def test_both_sides_from_verified_attestations(tmp_path: Path) -> None:
    env = stub_cosign(tmp_path, {"reg.test/app:1": OLD, "reg.test/app:2": NEW})
    proc = bomhost(
        "diff", "--before-attestation", "reg.test/app:1", "--after-attestation", "reg.test/app:2",
        "--cosign-identity", IDENTITY, "--cosign-issuer", ISSUER, "--require-attestation",
        "--output", "json", "--debug-calibration", env=env,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout)
    assert report["old"]["path"] == "attestation:reg.test/app:1"
    assert [c["name"] for c in report["changes"]["added"]] == ["colorama"]
    assert f"attestation|reg.test/app:2|verified|{IDENTITY}" in proc.stderr.splitlines()


def test_one_side_attested_the_other_a_file(tmp_path: Path) -> None:
    env = stub_cosign(tmp_path, {"reg.test/app:1": OLD})
    proc = bomhost(
        "diff", "--before-attestation", "reg.test/app:1", NEW, "--output", "json",
        "--cosign-identity", IDENTITY, "--cosign-issuer", ISSUER, env=env,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["new"]["path"] == str(NEW)


def test_cosign_failures_are_one_line(tmp_path: Path) -> None:
    base = ("diff", "--before-attestation", "reg.test/app:1", NEW)
    flags = ("--cosign-identity", IDENTITY, "--cosign-issuer", ISSUER)
    empty = tmp_path / "empty"
    empty.mkdir()
    line = one_error_line(bomhost(*base, *flags, env={"PATH": str(empty)}))
    assert "cosign is not installed" in line
    assert "https://docs.sigstore.dev/" in line
    env = stub_cosign(tmp_path, {"reg.test/app:1": OLD})
    line = one_error_line(
        bomhost(*base, "--cosign-identity", "x", "--cosign-issuer", ISSUER, env=env)
    )
    assert "cosign verify-attestation failed for reg.test/app:1 (exit 1)" in line
    assert "unexpected arguments" in line
    assert "--cosign-identity" in one_error_line(bomhost(*base, env=env))
    assert "--cosign-issuer" in one_error_line(bomhost(*base, "--cosign-identity", "x", env=env))
    line = one_error_line(bomhost("diff", OLD, NEW, "--require-attestation"))
    assert "--require-attestation needs both" in line
    assert "Missing argument NEW" in one_error_line(bomhost("diff", "--before-attestation", "r"))
