"""SBOM readers: real files, each format's fields, detection, and every kind of bad input."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest

from bomhost.errors import (
    SbomContentError,
    SbomError,
    SbomFormatError,
    SbomNotFound,
    SbomParseError,
)
from bomhost.model import Component
from bomhost.sbom import SbomDocument, load

ASSETS = Path(__file__).parent.parent / "assets" / "sboms"
SYFT_URL = "https://raw.githubusercontent.com/anchore/syft/main/schema/json/schema-16.0.18.json"


def write(tmp_path: Path, doc: Any, name: str = "sbom.json") -> str:
    path = tmp_path / name
    if isinstance(doc, str):
        path.write_text(doc, encoding="utf-8")
    else:
        path.write_text(json.dumps(doc), encoding="utf-8")
    return str(path)


def cdx(*components: Any, **top: Any) -> dict[str, Any]:
    return {"bomFormat": "CycloneDX", "specVersion": "1.5", "components": list(components), **top}


# --- real files ----------------------------------------------------------------------------------

# Counts are README.txt's (worked out by its author), not recomputed from the files here.
REAL = [
    ("cdx12-proton-bridge-v1.6.3.bom.json", "cyclonedx-json", "1.2", 201),
    ("cdx12-proton-bridge-v1.8.0.bom.json", "cyclonedx-json", "1.2", 201),
    ("cdx12-juice-shop-v11.1.2.bom.json", "cyclonedx-json", "1.2", 840),
    ("cdx14-juice-shop-v14.1.1-flat.bom.json", "cyclonedx-json", "1.4", 1115),
    ("cdx12-dropwizard-1.3.15.bom.json", "cyclonedx-json", "1.2", 167),
    ("cdx14-laravel-7.12.0.bom.xml", "cyclonedx-xml", "1.4", 62),
    # 4 packages, one of which is the described root that depends on the other three
    ("spdx23-example11-hello-server.spdx.json", "spdx-json", "SPDX-2.3", 3),
    ("spdx23-example14-examplemaven-0.0.1-original.spdx.json", "spdx-json", "SPDX-2.3", 6),
    ("spdx23-example14-examplemaven-0.0.1-enriched.spdx.json", "spdx-json", "SPDX-2.3", 6),
]


@pytest.mark.parametrize(("name", "fmt", "spec", "count"), REAL)
def test_real_sboms_load(name: str, fmt: str, spec: str, count: int) -> None:
    doc = load(str(ASSETS / name))
    assert (doc.format, doc.spec_version, len(doc.components), doc.skipped) == (fmt, spec, count, 0)


ALL_ASSETS = sorted(p.name for p in ASSETS.iterdir() if p.suffix in {".json", ".xml"})


@pytest.mark.parametrize("name", ALL_ASSETS)
def test_unvalidated_construction_yields_valid_models(name: str) -> None:
    """Readers skip pydantic validation for speed; prove every object would pass it."""
    doc = load(str(ASSETS / name))
    assert SbomDocument.model_validate(doc.model_dump()) == doc
    for component in doc.components:
        again = Component.model_validate(component.model_dump())
        assert again == component
        assert again.model_dump_json() == component.model_dump_json()
        assert hash(again) == hash(component)


def test_go_component_fields() -> None:
    doc = load(str(ASSETS / "cdx12-proton-bridge-v1.6.3.bom.json"))
    toml = next(c for c in doc.components if c.name == "github.com/BurntSushi/toml")
    assert toml.model_dump() == {
        "name": "github.com/BurntSushi/toml",
        "version": "v0.3.1",
        "ecosystem": "go",
        "purl": "pkg:golang/github.com/BurntSushi/toml@v0.3.1",
        "licenses": ("MIT",),
        "supplier": None,
        "hashes": (
            {
                "alg": "sha256",
                "value": "597918625e98af7a817f52bbf440672f899a9343a29817c1d1751ff55976f0e4",
            },
        ),
        "relationship": "transitive",
        "source_url": "https://github.com/BurntSushi/toml",
        "bom_ref": "pkg:golang/github.com/BurntSushi/toml@v0.3.1",
    }


def test_cyclonedx_relationship_comes_from_the_root_dependency_entry() -> None:
    # The root (metadata.component) of proton-bridge 1.6.3 lists its direct modules in dependsOn.
    doc = load(str(ASSETS / "cdx12-proton-bridge-v1.6.3.bom.json"))
    rel = {c.name: c.relationship for c in doc.components}
    assert rel["github.com/0xAX/notificator"] == "direct"
    assert rel["github.com/BurntSushi/toml"] == "transitive"
    # juice-shop 11.1.2 has no dependency graph at all
    shop = load(str(ASSETS / "cdx12-juice-shop-v11.1.2.bom.json"))
    assert {c.relationship for c in shop.components} == {"unknown"}


def test_cyclonedx_xml_fields() -> None:
    doc = load(str(ASSETS / "cdx14-laravel-7.12.0.bom.xml"))
    cors = next(c for c in doc.components if c.name == "stack-cors")
    assert (cors.version, cors.ecosystem, cors.purl, cors.licenses, cors.source_url) == (
        "1.3.0",
        "composer",
        "pkg:composer/asm89/stack-cors@1.3.0",
        ("MIT",),
        "https://github.com/asm89/stack-cors.git",
    )
    assert cors.bom_ref == "asm89/stack-cors-1.3.0.0"


def test_spdx_fields_and_root() -> None:
    doc = load(str(ASSETS / "spdx23-example11-hello-server.spdx.json"))
    by_name = {c.name: c for c in doc.components}
    # the root hello-server-src (with its misleading deb purl) is the subject, not a component
    assert sorted(by_name) == ["hyper", "pretty_env_logger", "tokio"]
    hyper = by_name["hyper"]
    assert (hyper.version, hyper.ecosystem, hyper.purl, hyper.relationship) == (
        "0.14",
        "cargo",
        "pkg:cargo/hyper@0.14",
        "direct",
    )
    assert hyper.licenses == ("MIT",)  # licenseDeclared NOASSERTION is skipped
    assert [(h.alg, h.value[:8]) for h in hyper.hashes] == [("sha256", "02c929dc")]
    assert by_name["pretty_env_logger"].licenses == ("MIT OR Apache-2.0",)


def test_spdx_without_purl_or_version() -> None:
    doc = load(str(ASSETS / "spdx23-example14-examplemaven-0.0.1-original.spdx.json"))
    by_name = {c.name: c for c in doc.components}
    binding = by_name["Apache Log4j SLF4J Binding"]
    assert (binding.version, binding.purl, binding.ecosystem, binding.licenses) == (
        "",
        None,
        "unknown",
        (),
    )
    example = by_name["examplemaven"]
    assert (example.supplier, example.ecosystem) == ("SPDX", "library")  # "Organization: SPDX"


# --- each format's details on small documents ------------------------------------------------------


def test_cyclonedx_nested_components_are_walked_parent_first(tmp_path: Path) -> None:
    doc = cdx(
        {"name": "a", "version": "1", "purl": "pkg:npm/a@1"},
        {
            "name": "assembly",
            "type": "application",
            "components": [
                {"name": "b", "version": "2", "purl": "pkg:npm/b@2"},
                {"name": "c", "components": [{"name": "d", "purl": "pkg:pypi/d@4"}]},
            ],
        },
    )
    components = load(write(tmp_path, doc)).components
    assert [(c.name, c.version, c.ecosystem) for c in components] == [
        ("a", "1", "npm"),
        ("assembly", "", "application"),
        ("b", "2", "npm"),
        ("c", "", "unknown"),
        ("d", "", "pypi"),
    ]


def test_cyclonedx_xml_nested_components(tmp_path: Path) -> None:
    xml = """<?xml version="1.0"?>
<bom xmlns="http://cyclonedx.org/schema/bom/1.6" version="1">
  <components>
    <component type="application"><name>app</name><version>1</version>
      <components>
        <component type="library" bom-ref="x"><name>lib</name><version>2</version>
          <purl>pkg:npm/lib@2</purl>
          <licenses><expression>MIT OR ISC</expression></licenses>
          <hashes><hash alg="SHA-256">ab</hash></hashes>
        </component>
      </components>
    </component>
  </components>
</bom>"""
    doc = load(write(tmp_path, xml, "n.xml"))
    assert (doc.format, doc.spec_version) == ("cyclonedx-xml", "1.6")
    lib = doc.components[1]
    assert (lib.name, lib.purl, lib.licenses, lib.bom_ref) == (
        "lib",
        "pkg:npm/lib@2",
        ("MIT OR ISC",),
        "x",
    )
    assert [(h.alg, h.value) for h in lib.hashes] == [("sha256", "ab")]


def test_cyclonedx_licences_supplier_and_vcs(tmp_path: Path) -> None:
    component = {
        "name": "x",
        "purl": "pkg:npm/x@1",
        "licenses": [
            {"expression": "MIT OR Apache-2.0"},
            {"license": {"id": "ISC"}},
            {"license": {"name": "Custom Licence"}},
            {"license": {"url": "https://example.org"}},  # nothing nameable: skipped
        ],
        "supplier": {"name": "ACME"},
        "externalReferences": [
            {"type": "website", "url": "https://example.org"},
            {"type": "vcs", "url": "https://github.com/acme/x"},
        ],
    }
    c = load(write(tmp_path, cdx(component))).components[0]
    assert c.licenses == ("MIT OR Apache-2.0", "ISC", "Custom Licence")
    assert (c.supplier, c.source_url) == ("ACME", "https://github.com/acme/x")


def test_syft_fields(tmp_path: Path) -> None:
    doc = {
        "schema": {"version": "16.0.18", "url": SYFT_URL},
        "artifacts": [
            {"id": "1", "name": "a", "version": "1", "type": "python", "licenses": ["MIT"]},
            {
                "id": "2",
                "name": "b",
                "version": "2",
                "type": "npm",
                "purl": "pkg:npm/b@2",
                "licenses": [{"value": "MIT", "spdxExpression": "MIT OR ISC"}, {"value": "X"}],
            },
            {"id": "3", "name": "c", "type": "rust-crate"},
        ],
    }
    result = load(write(tmp_path, doc))
    assert (result.format, result.spec_version) == ("syft-json", "16.0.18")
    assert [(c.name, c.version, c.ecosystem, c.licenses, c.bom_ref) for c in result.components] == [
        ("a", "1", "pypi", ("MIT",), "1"),
        ("b", "2", "npm", ("MIT OR ISC", "X"), "2"),
        ("c", "", "cargo", (), "3"),
    ]


def test_syft_marker_as_bomdrift_writes_it(tmp_path: Path) -> None:
    url = "https://raw.githubusercontent.com/anchore/syft/main/internal/jsonschema/anchore.io/schema/syft/json/16.0.0/document.json"
    doc = load(write(tmp_path, {"schema": {"url": url}, "artifacts": []}))
    assert doc.format == "syft-json"


def test_entries_with_neither_name_nor_purl_are_skipped_and_counted(tmp_path: Path) -> None:
    doc = load(
        write(tmp_path, cdx({"name": "a"}, {"version": "1"}, {"type": "library", "name": ""}))
    )
    assert [c.name for c in doc.components] == ["a"]
    assert doc.skipped == 2


# --- detection and forcing ----------------------------------------------------------------------


def test_format_detected_by_content_not_name(tmp_path: Path) -> None:
    path = write(tmp_path, cdx({"name": "a"}), "looks-like.spdx.xml")
    assert load(path).format == "cyclonedx-json"
    spdx = write(tmp_path, {"spdxVersion": "SPDX-2.3", "packages": []}, "bom.cdx.json")
    assert load(spdx).format == "spdx-json"


def test_forced_format_reads_a_markerless_document(tmp_path: Path) -> None:
    path = write(tmp_path, {"specVersion": "1.6", "components": [{"name": "a"}]})
    with pytest.raises(SbomFormatError, match="not an SBOM"):
        load(path)
    assert [c.name for c in load(path, "cdx").components] == ["a"]


@pytest.mark.parametrize("forced", ["spdx", "syft"])
def test_forced_format_mismatch_is_an_error(tmp_path: Path, forced: Any) -> None:
    path = write(tmp_path, cdx())
    with pytest.raises(
        SbomFormatError, match=f"--format {forced} was given, but this is a CycloneDX"
    ):
        load(path, forced)
    with pytest.raises(SbomFormatError, match="CycloneDX"):
        load(str(ASSETS / "cdx14-laravel-7.12.0.bom.xml"), forced)


# --- bad input ------------------------------------------------------------------------------------


def one_line_error(exc: pytest.ExceptionInfo[SbomError], path: str) -> str:
    message = str(exc.value)
    assert "\n" not in message
    assert message.startswith(path + ": ")
    return message


def test_missing_file(tmp_path: Path) -> None:
    path = str(tmp_path / "nope.json")
    with pytest.raises(SbomNotFound) as exc:
        load(path)
    assert "No such file" in one_line_error(exc, path)
    with pytest.raises(SbomNotFound):
        load(str(tmp_path))  # a directory


@pytest.mark.parametrize(
    ("text", "position"),
    [
        ('{\n  "bomFormat": "CycloneDX",\n  "components": [,]\n}', "line 3 column 18"),
        ("{", "line 1 column 2"),
        ('{"a": 1} trailing', "line 1 column 10"),
    ],
)
def test_malformed_json_names_line_and_column(tmp_path: Path, text: str, position: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(SbomParseError) as exc:
        load(path)
    assert position in one_line_error(exc, path)


def test_malformed_xml_names_line_and_column(tmp_path: Path) -> None:
    path = write(
        tmp_path, '<bom xmlns="http://cyclonedx.org/schema/bom/1.5">\n  <components>\n</bom>'
    )
    with pytest.raises(SbomParseError) as exc:
        load(path)
    assert "invalid XML at line 3 column 3" in one_line_error(exc, path)


@pytest.mark.parametrize("data", [b"", b"   \n", b"\xef\xbb\xbf"])
def test_empty_file(tmp_path: Path, data: bytes) -> None:
    path = tmp_path / "empty.json"
    path.write_bytes(data)
    with pytest.raises(SbomParseError, match="empty"):
        load(str(path))


def test_billion_laughs_is_refused_quickly(tmp_path: Path) -> None:
    entities = '<!ENTITY lol "lol">' + "".join(
        f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">'
        for i in range(1, 10)
    )
    xml = (
        f'<?xml version="1.0"?><!DOCTYPE bom [{entities}]>'
        '<bom xmlns="http://cyclonedx.org/schema/bom/1.5"><components><component>'
        "<name>&lol9;</name></component></components></bom>"
    )
    path = write(tmp_path, xml, "laughs.xml")
    started = time.monotonic()
    with pytest.raises(SbomParseError, match="DTDs and entity declarations are not allowed"):
        load(path)
    assert time.monotonic() - started < 5  # generous: expansion would take minutes and GBs


def test_external_entity_is_refused(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("top secret", encoding="utf-8")
    xml = (
        f'<?xml version="1.0"?><!DOCTYPE bom [<!ENTITY x SYSTEM "file://{secret}">]>'
        '<bom xmlns="http://cyclonedx.org/schema/bom/1.5"><components><component>'
        "<name>&x;</name></component></components></bom>"
    )
    with pytest.raises(SbomParseError) as exc:
        load(write(tmp_path, xml, "xxe.xml"))
    assert "top secret" not in str(exc.value)


@pytest.mark.parametrize(
    ("doc", "match"),
    [
        ({"foo": "bar"}, "not an SBOM"),
        ([1, 2], "not an object"),
        ("null", "not an object"),
        (cdx() | {"specVersion": "9.9"}, "unsupported CycloneDX specVersion '9.9'"),
        (cdx() | {"specVersion": None}, "unsupported CycloneDX specVersion None"),
        ({"spdxVersion": "SPDX-3.0", "packages": []}, "unsupported spdxVersion 'SPDX-3.0'"),
    ],
)
def test_not_an_sbom_or_unknown_version(tmp_path: Path, doc: Any, match: str) -> None:
    path = write(tmp_path, doc)
    with pytest.raises(SbomFormatError, match=match):
        load(path)


def test_xml_that_is_not_cyclonedx(tmp_path: Path) -> None:
    with pytest.raises(SbomFormatError, match="not a CycloneDX"):
        load(
            write(
                tmp_path,
                '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"/>',
                "x.xml",
            )
        )
    with pytest.raises(SbomFormatError, match=r"unsupported CycloneDX specVersion '1\.1'"):
        load(write(tmp_path, '<bom xmlns="http://cyclonedx.org/schema/bom/1.1"/>', "old.xml"))


@pytest.mark.parametrize(
    ("doc", "path_in_message"),
    [
        (
            cdx({"name": "a"}, {"name": "b"}, {"name": "c"}, {"purl": "pkg:npm/d@1"}),
            "components[3].name: required",
        ),
        (cdx({"name": 7}), "components[0].name: expected a string, got a number"),
        (cdx({"name": "a", "version": 1.0}), "components[0].version: expected a string"),
        (
            cdx({"name": "a", "components": [{"purl": "pkg:npm/x@1"}]}),
            "components[0].components[0].name",
        ),
        (cdx("just a string"), "components[0]: expected an object, got a string"),
        (cdx({"name": "a", "hashes": [{"alg": "SHA-1"}]}), "components[0].hashes[0]"),
        (cdx({"name": "a", "licenses": ["MIT"]}), "components[0].licenses[0]: expected an object"),
        (
            cdx({"name": "a", "licenses": [{"license": {"id": 5}}]}),
            "components[0].licenses[0].license.id",
        ),
        (cdx({"name": "a", "supplier": "ACME"}), "components[0].supplier: expected an object"),
        (
            {"bomFormat": "CycloneDX", "specVersion": "1.4", "components": {}},
            "$.components: expected a list",
        ),
        (
            cdx(
                {"name": "a"},
                metadata={"component": {"bom-ref": "r"}},
                dependencies=[{"ref": "r", "dependsOn": [1]}],
            ),
            "dependencies[0].dependsOn[0]",
        ),
        (
            {
                "spdxVersion": "SPDX-2.3",
                "packages": [
                    {
                        "SPDXID": "x",
                        "externalRefs": [
                            {"referenceType": "purl", "referenceLocator": "pkg:npm/a@1"}
                        ],
                    }
                ],
            },
            "packages[0].name: required",
        ),
        (
            {
                "spdxVersion": "SPDX-2.3",
                "packages": [{"name": "a", "checksums": [{"algorithm": "SHA1"}]}],
            },
            "packages[0].checksums[0]",
        ),
        (
            {"schema": {"url": SYFT_URL}, "artifacts": [{"name": "a", "licenses": [3]}]},
            "artifacts[0].licenses[0]",
        ),
    ],
)
def test_content_errors_name_the_json_path(tmp_path: Path, doc: Any, path_in_message: str) -> None:
    path = write(tmp_path, doc)
    with pytest.raises(SbomContentError) as exc:
        load(path)
    assert path_in_message in one_line_error(exc, path)


def test_xml_content_error_names_the_element_path(tmp_path: Path) -> None:
    xml = (
        '<bom xmlns="http://cyclonedx.org/schema/bom/1.5"><components>'
        "<component><name>a</name><hashes><hash>00</hash></hashes></component>"
        "</components></bom>"
    )
    with pytest.raises(SbomContentError, match=r"components\[0\]\.hashes\[0\]"):
        load(write(tmp_path, xml, "h.xml"))


def test_deep_nesting_is_an_error_not_a_crash(tmp_path: Path) -> None:
    deep = "[" * 100_000 + "]" * 100_000
    with pytest.raises(SbomParseError, match="nested too deeply"):
        load(write(tmp_path, deep))
    path = tmp_path / "deep.xml"
    inner = "<component><name>leaf</name></component>"
    for _ in range(3000):
        inner = f"<component><name>n</name><components>{inner}</components></component>"
    path.write_text(
        f'<bom xmlns="http://cyclonedx.org/schema/bom/1.5"><components>{inner}</components></bom>',
        encoding="utf-8",
    )
    with pytest.raises(SbomError):
        load(str(path))


@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-16", "utf-32"])
def test_json_in_any_unicode_encoding_json_allows(tmp_path: Path, encoding: str) -> None:
    path = tmp_path / "bom.json"
    path.write_bytes(json.dumps(cdx({"name": "é", "purl": "pkg:npm/%C3%A9@1"})).encode(encoding))
    assert [c.name for c in load(str(path)).components] == ["é"]


def test_invalid_utf8_is_a_parse_error(tmp_path: Path) -> None:
    path = tmp_path / "bom.json"
    path.write_bytes(b'{"bomFormat": "CycloneDX", "x": "\xff\xfe\xfa"}')
    with pytest.raises(SbomParseError, match="invalid JSON"):
        load(str(path))


@pytest.mark.parametrize(
    ("data", "match"),
    [
        (b"<?xml version='1.0' encoding='bogus'?><bom/>", "unknown encoding"),
        (b'<bom xmlns="http://cyclonedx.org/schema/bom/1.5">&foo;</bom>', "undefined entity"),
    ],
)
def test_xml_oddities_are_parse_errors(tmp_path: Path, data: bytes, match: str) -> None:
    path = tmp_path / "odd.xml"
    path.write_bytes(data)
    with pytest.raises(SbomParseError, match=match):
        load(str(path))


def test_utf16_xml_with_a_byte_order_mark(tmp_path: Path) -> None:
    xml = (
        '<?xml version="1.0" encoding="utf-16"?><bom xmlns="http://cyclonedx.org/schema/bom/1.5">'
        "<components><component><name>x</name></component></components></bom>"
    )
    path = tmp_path / "utf16.xml"
    path.write_bytes(xml.encode("utf-16"))
    assert [c.name for c in load(str(path)).components] == ["x"]
