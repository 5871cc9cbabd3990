"""RELIABILITY 22 on the source: no pickle of user data, `torch.load` only with
weights_only=True, no `torch.save`, safetensors always, `trust_remote_code` never set.

An AST scan of everything that runs (app.py, views/, engine/, storage/, bench/), so a new call
site fails here before it ships. test_resume.py checks the files a real run writes.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from tests.conftest import REPO

PICKLING_MODULES = {"pickle", "cPickle", "_pickle", "dill", "joblib", "shelve", "cloudpickle"}
# Calls that unpickle or pickle: (object, attribute) as written in the source.
PICKLING_CALLS = {("torch", "save"), ("pd", "read_pickle"), ("pandas", "read_pickle")}


def sources() -> list[Path]:
    files = [REPO / "app.py"]
    for folder in ("views", "engine", "storage", "bench"):
        files += sorted((REPO / folder).rglob("*.py"))
    return files


def keyword(call: ast.Call, name: str) -> ast.expr | None:
    return next((k.value for k in call.keywords if k.arg == name), None)


def is_constant(node: ast.expr | None, value: object) -> bool:
    return isinstance(node, ast.Constant) and node.value is value


def violations(path: Path, root: Path = REPO) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found = []
    for node in ast.walk(tree):
        where = f"{path.relative_to(root)}:{getattr(node, 'lineno', 0)}"
        if isinstance(node, ast.Import | ast.ImportFrom):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else []
            names.append(getattr(node, "module", None) or "")
            if {n.split(".")[0] for n in names} & PICKLING_MODULES:
                found.append(f"{where}: imports a pickling module")
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        attr = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
        owner = getattr(func.value, "id", "") if isinstance(func, ast.Attribute) else ""
        if (owner, attr) in PICKLING_CALLS:
            found.append(f"{where}: {owner}.{attr}() pickles")
        if (owner, attr) == ("torch", "load") and not is_constant(
            keyword(node, "weights_only"), True
        ):
            found.append(f"{where}: torch.load without weights_only=True")
        if keyword(node, "trust_remote_code") is not None:
            found.append(f"{where}: sets trust_remote_code")
        if is_constant(keyword(node, "safe_serialization"), False):
            found.append(f"{where}: safe_serialization=False writes a pickle")
        if is_constant(keyword(node, "allow_pickle"), True):
            found.append(f"{where}: allow_pickle=True")
    return found


@pytest.mark.parametrize("path", sources(), ids=lambda p: str(p.relative_to(REPO)))
def test_no_pickle_no_remote_code(path):
    assert not violations(path)


def test_the_scan_catches_what_it_looks_for(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text(
        "import pickle\nimport torch\ntorch.save(m, 'x.pt')\nstate = torch.load('x.pt')\n"
        "ok = torch.load('x.pt', weights_only=True)\n"
        "AutoModel.from_pretrained('x', trust_remote_code=True)\n"
        "model.save_pretrained('d', safe_serialization=False)\n"
    )
    found = violations(bad, root=tmp_path)
    assert [f.split(": ", 1)[1] for f in found] == [
        "imports a pickling module",
        "torch.save() pickles",
        "torch.load without weights_only=True",
        "sets trust_remote_code",
        "safe_serialization=False writes a pickle",
    ]
