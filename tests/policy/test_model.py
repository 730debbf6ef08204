"""The policy language: loading, validation messages, plugin tables, and the presets."""

from __future__ import annotations

from pathlib import Path

import pytest

from bomhost.errors import PolicyError
from bomhost.policy.load import load_policy
from bomhost.policy.model import DEFAULT_IMPORTS, HTTP_GET, Budgets, Policy
from bomhost.policy.presets import PRESETS, preset_text

from .conftest import write_policy

ROOT = Path(__file__).resolve().parents[2]


def test_no_policy_is_the_strict_default() -> None:
    policy = load_policy(None)
    assert policy == Policy()
    assert policy.fs.read == ()
    assert policy.net.allow == ()
    assert policy.imports.allow == DEFAULT_IMPORTS


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[budgets]\nfule = 1\n", "budgets.fule: unknown key"),
        ("[[net.allow]]\nid='a'\nscheme='http'\nhost='x.org'\n", "net.allow[0].port: required"),
        (
            "[[net.allow]]\nid='a'\nscheme='http'\nhost='x.org/path'\nport=80\n",
            "net.allow[0].host",
        ),
        ("[imports]\nallow = ['bomdrift.readfile']\n", "not a bomdrift host function"),
        (
            "[[fs.read]]\nid='a'\npath='x'\n[[plugins.p.fs.read]]\nid='a'\npath='y'\n",
            "rule id 'a' is used twice",
        ),
        ("[budgets\n", "invalid TOML"),
        ("source = 'x'\n", "source: unknown key"),
    ],
)
def test_invalid_policy_is_one_line_naming_file_and_key(
    tmp_path: Path, text: str, message: str
) -> None:
    with pytest.raises(PolicyError) as info:
        write_policy(tmp_path, text)
    assert str(info.value).startswith(str(tmp_path / "policy.toml"))
    assert message in str(info.value)
    assert "\n" not in str(info.value)


def test_for_plugin_merges_budgets_imports_and_rules(tmp_path: Path) -> None:
    policy = write_policy(
        tmp_path,
        """
[budgets]
timeout_ms = 500
[[net.allow]]
id = "top"
scheme = "http"
host = "127.0.0.1"
port = 1
[plugins.p.budgets]
fuel = 7
[plugins.p.imports]
extend = ["bomdrift.http_get"]
[[plugins.p.net.allow]]
id = "own"
scheme = "http"
host = "127.0.0.1"
port = 2
""",
    )
    eff = policy.for_plugin("p")
    assert eff.budgets == Budgets(timeout_ms=500, fuel=7)
    assert eff.imports.allow == (*DEFAULT_IMPORTS, HTTP_GET)
    assert [r.id for r in eff.net.allow] == ["own", "top"]
    assert eff.plugins == {}
    assert eff.for_plugin("p") == eff  # idempotent: the runtime may apply it again
    other = policy.for_plugin("q")
    assert other.budgets.fuel == Budgets().fuel
    assert [r.id for r in other.net.allow] == ["top"]
    assert HTTP_GET not in other.imports.allow


def test_fs_paths_resolve_against_the_policy_folder(tmp_path: Path) -> None:
    (tmp_path / "conf").mkdir()
    policy = write_policy(tmp_path / "conf", "[[fs.read]]\nid='a'\npath='../data'\n")
    assert policy.fs.read[0].path == "../data"
    assert policy.fs.read[0].resolved == str(tmp_path / "data")


@pytest.mark.parametrize("name", PRESETS)
def test_presets_ship_identically_in_policies_folder(name: str) -> None:
    shipped = (ROOT / "policies" / f"{name}.toml").read_text(encoding="utf-8")
    assert shipped == preset_text(name), f"regenerate: bomhost policy template --preset {name}"


def test_strict_preset_is_exactly_the_built_in_default() -> None:
    strict = load_policy(ROOT / "policies" / "strict.toml")
    assert strict.model_copy(update={"source": None}) == Policy()


def test_presets_grant_what_they_say(tmp_path: Path) -> None:
    balanced = load_policy(ROOT / "policies" / "balanced.toml")
    assert [(r.scheme, r.host, r.port) for r in balanced.net.allow] == [
        ("https", "api.osv.dev", 443)
    ]
    dev = load_policy(ROOT / "policies" / "dev.toml")
    assert dev.fs.read[0].resolved == str(ROOT / "policies")


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("fuel", 2**64),  # wasmtime's fuel is a u64: a larger value would be cut silently
        ("timeout_ms", 9_223_372_036_854_775_807),
        ("memory_bytes", 2**32 + 1),  # beyond a 32-bit guest's address space
    ],
)
def test_budgets_beyond_what_the_sandbox_can_honour_are_errors(
    tmp_path: Path, key: str, value: int
) -> None:
    policy = tmp_path / "p.toml"
    policy.write_text(f"[budgets]\n{key} = {value}\n[plugins.x.budgets]\n")
    with pytest.raises(PolicyError, match=rf"budgets\.{key}: Input should be less than or equal"):
        load_policy(policy)
