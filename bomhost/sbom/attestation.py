"""``--before-attestation`` / ``--after-attestation``: an SBOM from a cosign-verified OCI attestation.

As bomdrift (src/attestation.rs), bomhost shells out to the ``cosign`` on PATH rather than
re-implementing Sigstore verification (Fulcio roots, Rekor inclusion, certificate identity):
``cosign verify-attestation --type=cyclonedx --certificate-identity-regexp ID
--certificate-oidc-issuer ISSUER REF``. Its stdout is a DSSE envelope (one JSON object, possibly
one per line after a status line); the base64 ``payload`` is an in-toto Statement whose
``predicate`` is the CycloneDX SBOM. cosign missing, cosign failing and an envelope of the wrong
shape are each a one-line error (exit 1).
"""

from __future__ import annotations

import base64
import binascii
import json
import shutil
import subprocess
from typing import Any

from bomhost.errors import UsageError

COSIGN_INSTALL_URL = "https://docs.sigstore.dev/system_config/installation/"
# Verification fetches from the registry and the transparency log: bounded, not forever.
COSIGN_TIMEOUT_S = 300


def _envelope(stdout: str, ref: str) -> dict[str, Any]:
    text = stdout.strip()
    if not text:
        raise UsageError(f"cosign printed nothing for {ref}; expected a DSSE envelope")
    try:
        doc = json.loads(text)
    except json.JSONDecodeError:
        doc = None
        for line in text.splitlines():
            try:
                doc = json.loads(line)
                break
            except json.JSONDecodeError:
                continue
    if not isinstance(doc, dict):
        raise UsageError(f"cosign output for {ref} has no DSSE envelope (a JSON object)")
    return doc


def extract_sbom(stdout: str, ref: str) -> bytes:
    """The CycloneDX SBOM (JSON bytes) inside cosign's ``verify-attestation`` output."""
    payload = _envelope(stdout, ref).get("payload")
    if not isinstance(payload, str):
        raise UsageError(f"cosign output for {ref}: the DSSE envelope has no payload string")
    try:
        statement = json.loads(base64.b64decode(payload, validate=True))
    except (binascii.Error, ValueError) as exc:
        raise UsageError(f"cosign output for {ref}: payload is not base64 JSON ({exc})") from exc
    if not isinstance(statement, dict) or "predicate" not in statement:
        raise UsageError(f"cosign output for {ref}: the in-toto statement has no predicate")
    return json.dumps(statement["predicate"]).encode()


def fetch_verified_sbom(ref: str, identity: str, issuer: str) -> bytes:
    """Run cosign for ``ref`` and return the verified SBOM's bytes."""
    cosign = shutil.which("cosign")
    if cosign is None:
        raise UsageError(
            f"cosign is not installed (not on PATH); install it per {COSIGN_INSTALL_URL} and retry"
        )
    argv = [
        cosign,
        "verify-attestation",
        "--type=cyclonedx",
        "--certificate-identity-regexp",
        identity,
        "--certificate-oidc-issuer",
        issuer,
        ref,
    ]
    try:
        proc = subprocess.run(
            argv, capture_output=True, text=True, timeout=COSIGN_TIMEOUT_S, check=False
        )
    except subprocess.TimeoutExpired as exc:
        raise UsageError(
            f"cosign verify-attestation {ref}: no answer in {COSIGN_TIMEOUT_S}s"
        ) from exc
    except OSError as exc:
        raise UsageError(f"cannot run cosign: {exc.strerror or exc}") from exc
    if proc.returncode != 0:
        last = (proc.stderr.strip().splitlines() or ["(no output)"])[-1]
        raise UsageError(
            f"cosign verify-attestation failed for {ref} (exit {proc.returncode}): {last}"
        )
    return extract_sbom(proc.stdout, ref)
