"""Checks that `import treadle` loads nothing beyond pydantic and the standard library."""

from __future__ import annotations

import subprocess
import sys

CODE = """
import sys
before = set(sys.modules)
import treadle
loaded = sorted({m.split('.')[0] for m in set(sys.modules) - before})
print('\\n'.join(loaded))
"""

ALLOWED = {
    "treadle",
    "pydantic",
    "pydantic_core",
    "typing_extensions",
    "annotated_types",
    "typing_inspection",
    "_distutils_hack",
}


def main() -> int:
    out = subprocess.run([sys.executable, "-c", CODE], check=True, capture_output=True, text=True)
    stdlib = set(sys.stdlib_module_names)
    extra = [
        m
        for m in out.stdout.split()
        if m not in ALLOWED and m not in stdlib and not m.startswith("_sysconfigdata")
    ]
    if extra:
        print(f"import treadle pulled in non-stdlib modules: {extra}")
        return 1
    print("ok: import treadle loads only pydantic and the standard library")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
