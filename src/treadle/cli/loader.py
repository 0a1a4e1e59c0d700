"""Find the app a command works on: a Python file, a `module:attr`, or the bundled examples."""

from __future__ import annotations

import importlib
import importlib.util
import os
import sys
import traceback
from collections.abc import Callable, Mapping
from pathlib import Path
from types import ModuleType
from typing import Any, cast

from ..app import Treadle
from ..workflow import Workflow

__all__ = ["DEFAULT_ATTR", "AppLoadError", "load_app"]

DEFAULT_ATTR = "app"
"""The attribute read when a target names no attribute (`app.py` means `app.py:app`)."""

AnyWorkflow = Workflow[Any, Any, Any]

_IMPORTLIB_DIR = str(Path(importlib.__file__).parent)  # its frames say nothing to the user


class AppLoadError(Exception):
    """The target could not be turned into an app; `str()` says what is wrong and where."""


def load_app(target: str | None) -> Treadle:
    """The `Treadle` app named by `target`.

    `target` is a Python file (`path/to/app.py` or `path/to/app.py:attr`), a module
    (`package.module` or `package.module:attr`), or None for the bundled examples. The attribute
    (default `app`) may be a `Treadle`, a workflow, a dict of workflows, or a function that takes
    no argument and returns one of those. Raises `AppLoadError` naming the problem.
    """
    if target is None or not target.strip():
        module = _import_examples()
        # `make_app()` when there is one: a fresh app per load, even within one process.
        attr = "make_app" if callable(getattr(module, "make_app", None)) else DEFAULT_ATTR
        return _as_app(_attribute(module, attr, "the bundled examples"), f"examples:{attr}")
    target = target.strip()
    path, attr = _split_target(target)
    if path is not None:
        module = _import_file(path)
    else:
        module_name, _, _ = target.partition(":")
        module = _import_module(module_name)
    return _as_app(_attribute(module, attr, target), target)


def _split_target(target: str) -> tuple[Path | None, str]:
    """(the file, the attribute) for a file target, (None, the attribute) for a module."""
    head, sep, attr = target.rpartition(":")
    # A Windows path (`C:\app.py`) is not the attribute `\app.py` of a file `C`.
    names_attr = bool(sep and head and attr) and not attr.startswith(("\\", "/"))
    if names_attr and _looks_like_file(head):
        return Path(head), attr
    if _looks_like_file(target):
        return Path(target), DEFAULT_ATTR
    if sep and head:
        return None, attr or DEFAULT_ATTR
    return None, DEFAULT_ATTR


def _looks_like_file(text: str) -> bool:
    return text.endswith(".py") or os.sep in text or "/" in text or Path(text).is_file()


def _import_file(path: Path) -> ModuleType:
    if not path.exists():
        raise AppLoadError(f"app file not found: {path}")
    if path.is_dir():
        init = path / "__init__.py"
        if not init.is_file():
            raise AppLoadError(f"{path} is a directory, not a Python file or package")
        path = init
    path = path.resolve()
    # Import it under its package-qualified name (walking up through `__init__.py` folders) so
    # relative imports inside the file work, as `python -m` would run them.
    parts = [] if path.name == "__init__.py" else [path.stem]
    folder = path.parent
    while (folder / "__init__.py").is_file() and folder.parent != folder:
        parts.insert(0, folder.name)
        folder = folder.parent
    name = ".".join(parts)
    taken = sys.modules.get(name)
    if taken is not None and not _is_file_of(taken, path):
        where = getattr(taken, "__file__", None) or "a built-in module"
        raise AppLoadError(
            f"{path}: its module name '{name}' is already taken by {where}; rename the file"
        )
    _put_on_path(folder)
    module = _import_module(name, shown_as=str(path))
    if not _is_file_of(module, path):  # an installed module of that name came first
        raise AppLoadError(
            f"{path}: importing '{name}' gave {module.__file__ or 'a built-in module'}, not this "
            "file; rename the file"
        )
    return module


def _is_file_of(module: ModuleType, path: Path) -> bool:
    filename = getattr(module, "__file__", None)
    return isinstance(filename, str) and Path(filename).resolve() == path


def _import_module(name: str, shown_as: str | None = None) -> ModuleType:
    if not name or any(not part.isidentifier() for part in name.split(".")):
        raise AppLoadError(f"'{name}' is not a module name (expected package.module[:attr])")
    _put_on_path(Path.cwd())  # a console script does not have the working directory on sys.path
    shown = shown_as or name
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as exc:
        missing = exc.name or ""
        if missing and (name == missing or name.startswith(missing + ".")):
            raise AppLoadError(
                f"no module named '{missing}' (looked in the working directory and sys.path)"
            ) from None
        raise AppLoadError(_import_failure(shown, exc)) from None
    except Exception as exc:
        raise AppLoadError(_import_failure(shown, exc)) from None


def _import_failure(shown: str, exc: BaseException) -> str:
    return _failure(f"importing {shown}", exc)


def _failure(doing: str, exc: BaseException) -> str:
    """The error raised in the user's code, with the user's frames only."""
    frames = [
        frame
        for frame in traceback.extract_tb(exc.__traceback__)
        if not frame.filename.startswith(("<frozen", _IMPORTLIB_DIR)) and frame.filename != __file__
    ]
    lines = traceback.format_list(frames) + traceback.format_exception_only(type(exc), exc)
    detail = "".join(lines).rstrip()
    return f"{doing} failed:\nTraceback (most recent call last):\n{detail}"


def _put_on_path(folder: Path) -> None:
    entry = str(folder)
    if entry not in sys.path:
        sys.path.insert(0, entry)


def _import_examples() -> ModuleType:
    """`treadle.examples` when the examples are bundled in the wheel, else the `examples`
    package of a source checkout (next to `src/`) or of the working directory."""
    if importlib.util.find_spec("treadle.examples") is not None:
        return _import_module("treadle.examples")
    checkout = Path(__file__).resolve().parents[3]  # src/treadle/cli/loader.py -> the checkout
    for root in (checkout, Path.cwd()):
        if (root / "examples" / "__init__.py").is_file():
            _put_on_path(root)
            return _import_module("examples", shown_as=str(root / "examples"))
    raise AppLoadError(
        "no app given and the bundled examples are not installed: "
        "pass an app (treadle dev path/to/app.py, or --app module:attr / TREADLE_APP)"
    )


def _attribute(module: ModuleType, attr: str, shown: str) -> object:
    value: object = module
    for part in attr.split("."):
        if not hasattr(value, part):
            found = _candidates(module)
            hint = f" (it has: {', '.join(found)})" if found else ""
            raise AppLoadError(
                f"{shown}: module '{module.__name__}' has no attribute '{attr}'{hint}"
            )
        value = getattr(value, part)
    return value


def _candidates(module: ModuleType) -> list[str]:
    """Names in `module` that would make a valid attribute, to suggest one."""
    return sorted(
        name
        for name, value in vars(module).items()
        if not name.startswith("_") and isinstance(value, Treadle | Workflow)
    )


def _as_app(value: object, shown: str, *, called: bool = False) -> Treadle:
    if isinstance(value, Treadle):
        return value
    if isinstance(value, Workflow):
        return Treadle({value.id: cast(AnyWorkflow, value)})
    if isinstance(value, Mapping):
        entries = cast(Mapping[object, object], value)
        bad = [str(key) for key, item in entries.items() if not isinstance(item, Workflow)]
        if bad:
            raise AppLoadError(f"{shown}: these entries are not workflows: {', '.join(bad)}")
        return Treadle({str(key): cast(AnyWorkflow, item) for key, item in entries.items()})
    if callable(value) and not called:
        factory = cast(Callable[[], object], value)
        try:
            made = factory()
        except Exception as exc:
            raise AppLoadError(_failure(f"calling {shown}()", exc)) from None
        return _as_app(made, f"{shown}()", called=True)
    raise AppLoadError(
        f"{shown} is a {type(value).__name__}, not a Treadle app, a Workflow, a dict of "
        "workflows or a function returning one"
    )
