"""`load_app(target)`: files, modules, attributes of every accepted kind, and clear errors."""

from __future__ import annotations

import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from treadle import Treadle
from treadle.cli.loader import AppLoadError, load_app

WORKFLOWS = """
from treadle import Treadle, create_step, create_workflow
from treadle.storage import InMemoryStore

def _double(ctx):
    return ctx.input_data * 2

def build(wid):
    return create_workflow(id=wid).then(create_step(id="double", execute=_double)).commit()
"""


@pytest.fixture(autouse=True)
def forget_test_modules(tmp_path: Path) -> Iterator[None]:
    """The modules these tests write live in tmp_path: drop them from sys.modules after."""
    before = set(sys.modules)
    yield
    for name in set(sys.modules) - before:
        filename = getattr(sys.modules[name], "__file__", None)
        if filename and Path(filename).is_relative_to(tmp_path):
            del sys.modules[name]


def write(folder: Path, name: str, body: str) -> Path:
    target = folder / name
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(textwrap.dedent(body), encoding="utf-8")
    return target


def test_file_with_the_default_app_attribute(tmp_path: Path):
    path = write(
        tmp_path, "my_app_default.py",
        WORKFLOWS + 'app = Treadle({"one": build("one")}, InMemoryStore())\n',
    )  # fmt: skip

    app = load_app(str(path))

    assert isinstance(app, Treadle)
    assert list(app.list_workflows()) == ["one"]


def test_file_attr_may_be_a_workflow(tmp_path: Path):
    path = write(tmp_path, "my_app_wf.py", WORKFLOWS + 'flow = build("solo")\n')

    app = load_app(f"{path}:flow")

    assert list(app.list_workflows()) == ["solo"]
    assert app.get_workflow("solo").app is app


def test_file_attr_may_be_a_dict_of_workflows(tmp_path: Path):
    path = write(
        tmp_path, "my_app_dict.py",
        WORKFLOWS + 'flows = {"first": build("a"), "second": build("b")}\n',
    )  # fmt: skip

    app = load_app(f"{path}:flows")

    assert sorted(app.list_workflows()) == ["first", "second"]


def test_file_attr_may_be_a_factory(tmp_path: Path):
    path = write(
        tmp_path, "my_app_factory.py",
        WORKFLOWS + 'def make():\n    return Treadle({"x": build("x")}, InMemoryStore())\n',
    )  # fmt: skip

    first, second = load_app(f"{path}:make"), load_app(f"{path}:make")

    assert list(first.list_workflows()) == ["x"]
    assert first is not second


def test_module_attr_with_relative_imports(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    write(tmp_path, "shop_pkg/__init__.py", "")
    write(tmp_path, "shop_pkg/flows.py", WORKFLOWS)
    write(
        tmp_path, "shop_pkg/service.py",
        'from .flows import InMemoryStore, Treadle, build\n'
        'application = Treadle({"checkout": build("checkout")}, InMemoryStore())\n',
    )  # fmt: skip
    monkeypatch.chdir(tmp_path)

    by_module = load_app("shop_pkg.service:application")
    by_file = load_app(str(tmp_path / "shop_pkg" / "service.py") + ":application")

    assert list(by_module.list_workflows()) == ["checkout"]
    assert by_file is by_module  # the same module, imported once under its package name


def test_no_target_loads_the_bundled_examples():
    app = load_app(None)

    ids = {wf.id for wf in app.list_workflows().values()}
    assert {"approval", "fan-out", "batch-enrich", "retry-until-ready", "nested-report"} <= ids
    assert {"reminder", "order-approval"} <= ids
    assert load_app(None) is not app  # built by the examples' make_app(), once per load


def test_missing_file(tmp_path: Path):
    with pytest.raises(AppLoadError, match=r"app file not found: .*nowhere\.py"):
        load_app(str(tmp_path / "nowhere.py"))


def test_missing_module():
    with pytest.raises(AppLoadError, match=r"no module named 'no_such_pkg_xyz'"):
        load_app("no_such_pkg_xyz.app:app")


def test_import_error_shows_the_users_traceback(tmp_path: Path):
    path = write(tmp_path, "my_app_broken.py", "x = 1\nraise ValueError('bad config')\n")

    with pytest.raises(AppLoadError) as caught:
        load_app(str(path))

    message = str(caught.value)
    assert message.startswith(f"importing {path} failed:")
    assert f'File "{path}", line 2' in message
    assert "ValueError: bad config" in message
    assert "importlib" not in message


def test_missing_attribute_suggests_candidates(tmp_path: Path):
    path = write(tmp_path, "my_app_attr.py", WORKFLOWS + 'flow = build("f")\n')

    with pytest.raises(AppLoadError, match=r"has no attribute 'app' \(it has: flow\)"):
        load_app(str(path))


def test_wrong_type(tmp_path: Path):
    path = write(tmp_path, "my_app_type.py", "app = 42\n")

    with pytest.raises(AppLoadError, match=r"is a int, not a Treadle app, a Workflow"):
        load_app(str(path))


def test_dict_with_something_else_than_workflows(tmp_path: Path):
    path = write(tmp_path, "my_app_baddict.py", WORKFLOWS + 'app = {"ok": build("ok"), "no": 1}\n')

    with pytest.raises(AppLoadError, match=r"these entries are not workflows: no"):
        load_app(str(path))


def test_factory_that_raises(tmp_path: Path):
    path = write(tmp_path, "my_app_raise.py", "def app():\n    raise RuntimeError('no db')\n")

    with pytest.raises(AppLoadError) as caught:
        load_app(str(path))

    assert "calling " in str(caught.value)
    assert "RuntimeError: no db" in str(caught.value)


def test_a_file_shadowed_by_another_module_is_refused(tmp_path: Path):
    path = write(tmp_path, "json.py", "app = 1\n")

    with pytest.raises(AppLoadError, match=r"module name 'json' is already taken"):
        load_app(str(path))


def test_bad_app_on_the_command_line_is_a_usage_error(invoke, tmp_path: Path):
    result = invoke("runs", "list", app=str(tmp_path / "nowhere.py"))

    assert result.exit_code == 2
    assert "app file not found" in result.stderr


def test_app_from_the_environment(invoke, app_target: str, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("TREADLE_APP", app_target)

    result = invoke("run", "greet", "--input", '{"name": "env"}', app=None)

    assert result.exit_code == 0, result.stderr
    assert 'result: {"message": "hello env"}' in result.stdout
