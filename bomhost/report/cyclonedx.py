"""CycloneDX output: a BOM of what the change brings in, for scanners that should look only there.

``--output cyclonedx`` writes a CycloneDX 1.6 JSON document whose components are the added
components and the new side of every version change — the delta a vulnerability scanner or a
licence checker downstream needs to examine, instead of the whole SBOM again. Each component
carries bomhost properties: how it changed (``bomhost:change``, ``bomhost:previous-version``)
and one ``bomhost:finding`` per plugin finding. Written with cyclonedx-python-lib so the output
follows the schema by construction (a test validates it).

Deterministic: the serial number is a UUID derived from the content, and ``metadata.timestamp``
is present only when ``SOURCE_DATE_EPOCH`` set the report's ``generated_at``.
"""

from __future__ import annotations

import json
import re
import uuid
from collections import defaultdict
from collections.abc import Iterator
from datetime import datetime
from typing import Any

from bomhost.model import Component, Finding
from bomhost.report.model import Report

# bomhost's hash names -> (CycloneDX algorithm name, hex digest length).
_HASHES: dict[str, tuple[str, int]] = {
    "md5": ("MD5", 32),
    "sha1": ("SHA-1", 40),
    "sha256": ("SHA-256", 64),
    "sha512": ("SHA-512", 128),
}
_HEX = re.compile(r"^[0-9a-fA-F]+$")
# Fixed namespace so the same delta always gets the same serial number.
_SERIAL_NAMESPACE = uuid.UUID("6f0b1d2e-5c1a-4f7e-9f55-0b0a5e1d2c3b")


def _delta(report: Report) -> Iterator[tuple[Component, dict[str, str]]]:
    for c in report.changes.added:
        yield c, {"bomhost:change": "added"}
    for v in report.changes.version_changed:
        yield (
            v.after,
            {
                "bomhost:change": "version-changed",
                "bomhost:previous-version": v.before.version,
                "bomhost:direction": v.direction,
            },
        )


def _bom_ref(c: Component) -> str:
    return c.purl or f"{c.ecosystem}:{c.name}@{c.version}"


def render_cyclonedx(report: Report) -> str:
    """The CycloneDX 1.6 JSON text of the report's delta."""
    # Imported here: cyclonedx-python-lib is only needed for this output format.
    from cyclonedx.contrib.license.factories import LicenseFactory
    from cyclonedx.model import HashAlgorithm, HashType, Property
    from cyclonedx.model.bom import Bom, BomMetaData
    from cyclonedx.model.component import Component as CdxComponent
    from cyclonedx.model.component import ComponentType
    from cyclonedx.model.contact import OrganizationalEntity
    from cyclonedx.output.json import JsonV1Dot6
    from packageurl import PackageURL

    findings: dict[str, list[Finding]] = defaultdict(list)
    for f in report.enrichment.plugin_findings:
        findings[f.component_purl].append(f)
    licenses = LicenseFactory()

    components = []
    for c, props in _delta(report):
        properties = [Property(name=k, value=v) for k, v in props.items()]
        properties += [
            Property(
                name="bomhost:finding",
                value=f"{f.plugin_name} {f.severity} {f.rule_id}: {f.message}",
            )
            for f in findings.get(c.display_id, ())
        ]
        hashes = []
        for h in c.hashes:
            known = _HASHES.get(h.alg)
            if known and len(h.value) == known[1] and _HEX.match(h.value):
                hashes.append(HashType(alg=HashAlgorithm(known[0]), content=h.value.lower()))
        purl = None
        if c.purl:
            try:
                purl = PackageURL.from_string(c.purl)
            except ValueError:
                properties.append(Property(name="bomhost:purl", value=c.purl))
        components.append(
            CdxComponent(
                type=ComponentType.LIBRARY,
                name=c.name,
                version=c.version or None,
                purl=purl,
                bom_ref=_bom_ref(c),
                hashes=hashes,
                licenses=[licenses.make_from_string(x) for x in c.licenses],
                supplier=OrganizationalEntity(name=c.supplier) if c.supplier else None,
                properties=properties,
            )
        )

    identity = json.dumps(
        [(_bom_ref(c), sorted(p.items())) for c, p in _delta(report)], sort_keys=True
    )
    bom = Bom(
        components=components,
        serial_number=uuid.uuid5(_SERIAL_NAMESPACE, identity),
        metadata=BomMetaData(
            timestamp=datetime.fromisoformat(report.generated_at) if report.generated_at else None
        ),
    )
    bom.metadata.tools.components.add(
        CdxComponent(type=ComponentType.APPLICATION, name="bomhost", version=report.bomhost_version)
    )
    doc: dict[str, Any] = json.loads(JsonV1Dot6(bom).output_as_string())
    if report.generated_at is None:
        # The library always stamps "now"; a delta BOM must be the same bytes on every run.
        doc.get("metadata", {}).pop("timestamp", None)
    return json.dumps(doc, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
