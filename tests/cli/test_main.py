"""`treadle.cli.main`: the console script entry, with and without click installed."""

from __future__ import annotations

import subprocess
import sys


def test_without_click_main_names_the_extra_and_exits_2():
    # `sys.modules["click"] = None` makes `import click` fail as if it were not installed.
    code = "import sys; sys.modules['click'] = None; from treadle.cli import main; main()"

    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)

    assert done.returncode == 2
    assert done.stderr.strip() == ("treadle's command line needs click: pip install 'treadle[cli]'")


def test_importing_the_package_does_not_import_click():
    code = "import sys, treadle.cli; print('click' in sys.modules)"

    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)

    assert done.stdout.strip() == "False"


def test_console_script_help_lists_the_commands_and_exit_codes(treadle):
    done = treadle("--help", app=None)

    assert done.returncode == 0
    for command in ("dev", "run", "runs", "resume", "cancel", "graph"):
        assert f"  {command} " in done.stdout
    text = " ".join(done.stdout.split())  # however the help is wrapped
    assert "0 success, 1 the run failed, 2 bad usage or input, 3 the run suspended" in text
    assert "4 the run was canceled, 130 interrupted by Ctrl-C" in text


def test_version(treadle):
    done = treadle("--version", app=None)

    assert done.returncode == 0
    assert done.stdout.startswith("treadle, version ")
