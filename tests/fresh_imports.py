"""What a fresh Python process has loaded after some imports: how the layering tests prove that
a module pulls in no torch (or ray, or streamlit) when it is imported.

    assert packages_loaded_by("import engine.config", ("torch", "transformers")) == []
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterable

from tests.conftest import REPO


def packages_loaded_by(code: str, packages: Iterable[str]) -> list[str]:
    """Which of the top-level `packages` are in sys.modules after `code` ran in a new
    interpreter started in the repository root (sorted; [] when none)."""
    watched = sorted(set(packages))
    probe = (
        f"{code}\nimport sys\n"
        f"print(','.join(p for p in {watched!r} if any(m.split('.')[0] == p for m in sys.modules)))"
    )
    out = subprocess.run([sys.executable, "-c", probe], cwd=REPO, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    return [p for p in out.stdout.strip().split(",") if p]
