"""bomdrift manifests load in bomhost as bomdrift parses them: fields, defaults, errors, paths."""

from __future__ import annotations

from pathlib import Path

import pytest

from bomhost.errors import ManifestError, PluginLoadError
from bomhost.model import ChangeSet, VersionChange
from bomhost.plugins.external import check_executable
from bomhost.plugins.manifest import load_manifest
from tests.compat.helpers import bomhost, install, write_manifest, write_pair
from tests.plugins.contract import comp, run


def test_minimal_manifest_gets_bomdrift_defaults(tmp_path: Path) -> None:
    path = write_manifest(tmp_path, '[plugin]\nname = "demo"\nexec = "./run.sh"\n')
    loaded = load_manifest(path)
    assert loaded.manifest.timeout_ms == 5000
    assert loaded.manifest.invoke_on == ("added", "version-changed")
    assert loaded.manifest.description is None
    assert loaded.exec_path == tmp_path / "run.sh"
    assert loaded.warnings == ()


def test_full_manifest_with_absolute_exec(tmp_path: Path) -> None:
    path = write_manifest(
        tmp_path,
        '[plugin]\nname = "banned-packages"\ndescription = "Flag dependencies on org-banned '
        'packages"\nexec = "/abs/path/to/check"\ntimeout_ms = 10000\ninvoke_on = ["added"]\n',
    )
    m = load_manifest(path)
    assert m.exec_path == Path("/abs/path/to/check")
    assert m.manifest.timeout_ms == 10000
    assert m.manifest.invoke_on == ("added",)


@pytest.mark.parametrize(
    ("line", "complaint"),
    [
        ("timeout_ms = 0", "timeout_ms"),
        ("timeout_ms = -1", "timeout_ms"),
        # bomdrift's u64 field takes none of these; pydantic's lax mode would read 5000, 5000, 1.
        ('timeout_ms = "5000"', "timeout_ms"),
        ("timeout_ms = 5000.0", "timeout_ms"),
        ("timeout_ms = true", "timeout_ms"),
        ('invoke_on = ["removed"]', "invoke_on"),
        ('invoke_on = ["Added"]', "invoke_on"),
        ('invoke_on = "added"', "invoke_on"),
        ("description = 5", "description"),
    ],
)
def test_values_bomdrift_rejects_are_errors(tmp_path: Path, line: str, complaint: str) -> None:
    path = write_manifest(tmp_path, f'[plugin]\nname = "a"\nexec = "./x"\n{line}\n')
    with pytest.raises(ManifestError, match=complaint):
        load_manifest(path)


@pytest.mark.parametrize(
    ("body", "complaint"),
    [
        ('[plugin]\nexec = "./x"\n', "name"),
        ('[plugin]\nname = "a"\n', "exec"),
        ('[plugin]\nname = 1\nexec = "./x"\n', "name"),
        ('[plugin\nname = "a"\n', "invalid TOML"),
        ('name = "a"\nexec = "./x"\n', r"\[plugin\]"),
    ],
)
def test_broken_manifest_is_one_line_and_exit_1(tmp_path: Path, body: str, complaint: str) -> None:
    old, new = write_pair(tmp_path)
    path = write_manifest(tmp_path, body)
    with pytest.raises(ManifestError, match=complaint):
        load_manifest(path)
    proc = bomhost("diff", old, new, "--plugin", path)
    assert proc.returncode == 1
    assert proc.stderr.count("\n") == 1
    assert proc.stderr.startswith("bomhost: error: ")


def test_unknown_keys_still_load_but_warn(tmp_path: Path) -> None:
    # bomdrift ignores `timeout` silently (so the plugin gets 5000 ms); bomhost says so.
    path = write_manifest(
        tmp_path, '[plugin]\nname = "a"\nexec = "./x"\ntimeout = 100\n[extra]\nk = 1\n'
    )
    m = load_manifest(path)
    assert m.manifest.timeout_ms == 5000
    assert any("plugin.timeout" in w for w in m.warnings)
    assert any("[extra]" in w for w in m.warnings)


def test_duplicate_and_reordered_invoke_on_run_each_event_once_in_bomdrift_order(
    tmp_path: Path,
) -> None:
    install(tmp_path, "banned.py")
    path = write_manifest(
        tmp_path,
        '[plugin]\nname = "b"\nexec = "banned.py"\n'
        'invoke_on = ["version-changed", "added", "added"]\n',
    )
    changes = ChangeSet(
        added=(comp("left-pad"),),
        version_changed=(VersionChange(before=comp("x", "1.0.0"), after=comp("x", "2.0.0")),),
    )
    out = run([load_manifest(path)], changes)
    assert [(f.component_purl, f.kind) for f in out.findings] == [
        ("pkg:npm/left-pad@1.0.0", "banned"),
        ("pkg:npm/x@2.0.0", "bump"),
    ]


def test_empty_invoke_on_never_calls(tmp_path: Path) -> None:
    install(tmp_path, "banned.py")
    path = write_manifest(tmp_path, '[plugin]\nname = "b"\nexec = "banned.py"\ninvoke_on = []\n')
    out = run([load_manifest(path)], ChangeSet(added=(comp("left-pad"),)))
    assert out.findings == ()
    assert out.errors == ()
    assert out.stats == {}


def test_relative_exec_resolves_against_the_manifest_folder_not_cwd(tmp_path: Path) -> None:
    plugdir = tmp_path / "plugins"
    plugdir.mkdir()
    install(plugdir, "banned.py")
    write_manifest(plugdir, '[plugin]\nname = "b"\nexec = "banned.py"\n')
    old, new = write_pair(tmp_path)
    new.write_text(new.read_text().replace('"nopurl"', '"left-pad-2"'))
    other = tmp_path / "elsewhere"
    other.mkdir()
    proc = bomhost(
        "diff", old, new, "--plugin", "../plugins/plugin.toml", "--output", "json", cwd=other
    )
    assert proc.returncode == 0, proc.stderr
    assert '"rule_id": "banned/left-pad"' in proc.stdout


def test_symlinked_exec_is_run_by_the_name_given(tmp_path: Path) -> None:
    # bomdrift runs the joined path as written; a wrapper reading $0 must see its link name.
    real = install(tmp_path, "banned.py")
    (tmp_path / "link").symlink_to(real)
    path = write_manifest(tmp_path, '[plugin]\nname = "b"\nexec = "link"\n')
    assert load_manifest(path).exec_path == tmp_path / "link"


@pytest.mark.parametrize(
    ("exec_", "hint"),
    [("python3 banned.py", "no arguments"), ("~/banned.py", "~ is not expanded")],
)
def test_exec_with_arguments_or_tilde_is_refused_with_the_reason(
    tmp_path: Path, exec_: str, hint: str
) -> None:
    # bomdrift would spawn-fail on every call and drop the findings silently.
    install(tmp_path, "banned.py")
    path = write_manifest(tmp_path, f'[plugin]\nname = "b"\nexec = "{exec_}"\n')
    with pytest.raises(PluginLoadError, match=hint):
        check_executable(load_manifest(path))


def test_largest_timeout_toml_can_hold_runs(tmp_path: Path) -> None:
    install(tmp_path, "banned.py")
    path = write_manifest(
        tmp_path, '[plugin]\nname = "b"\nexec = "banned.py"\ntimeout_ms = 9223372036854775807\n'
    )
    out = run([load_manifest(path)], ChangeSet(added=(comp("left-pad"),)))
    assert out.errors == ()
    assert [f.severity for f in out.findings] == ["error"]
