#!/usr/bin/env bash
# Fetch into bench/wheels/ the wheels bench/gpu_check.py installs on a GPU machine whose image
# lacks them and reaches no package index: pydantic (+ pydantic-core, compiled, one wheel per
# CPython version and architecture, + annotated-types, typing-inspection, typing-extensions),
# seqeval (PyPI has only its sdist: built into a wheel here), tqdm, and SQLAlchemy (its
# pure-python wheel) + alembic + Mako: engine.training.distributed imports engine.jobs.task_gate
# -> storage.db -> sqlalchemy, storage.schema -> alembic, so importing the training loop needs
# them even with no database in use. bench/wheels/ is
# git-ignored: it travels with the working tree as a carried path (docs/gpu_check.md).
#
#   bash bench/gpu_wheels.sh                       # CPython 3.11-3.14, x86_64 + aarch64
#   GPU_PYTHONS="3.12" GPU_ARCHS="x86_64" bash bench/gpu_wheels.sh   # smaller
set -euo pipefail
cd "$(dirname "$0")/.."
DEST=bench/wheels
PY=${PYTHON:-.venv/bin/python}
[ -x "$PY" ] || PY=python3
PYTHONS=${GPU_PYTHONS:-"3.11 3.12 3.13 3.14"}
ARCHS=${GPU_ARCHS:-"x86_64 aarch64"}

pin() { # the version requirements.txt pins, e.g. `pin seqeval` -> seqeval==1.2.2
    grep -E "^$1==" requirements.txt | head -n 1 | cut -d' ' -f1
}

rm -rf "$DEST"
mkdir -p "$DEST"
# pydantic with its dependencies as pip resolves them (pure-python wheels, plus the
# pydantic-core of this interpreter), and tqdm
"$PY" -m pip download --quiet --disable-pip-version-check --only-binary=:all: -d "$DEST" \
    "$(pin pydantic)" "$(pin tqdm)"
# the pydantic-core that this pydantic requires, for every interpreter the image may have
core=$("$PY" - "$DEST" <<'EOF'
import sys, zipfile
from pathlib import Path
wheel = next(Path(sys.argv[1]).glob("pydantic-*.whl"))
meta = next(n for n in zipfile.ZipFile(wheel).namelist() if n.endswith(".dist-info/METADATA"))
for line in zipfile.ZipFile(wheel).read(meta).decode().splitlines():
    if line.startswith("Requires-Dist: pydantic-core"):
        print(line.split(":", 1)[1].split(";")[0].replace(" ", ""))
        break
EOF
)
for py in $PYTHONS; do
    abi="cp${py/./}"
    for arch in $ARCHS; do
        "$PY" -m pip download --quiet --disable-pip-version-check --no-deps --only-binary=:all: \
            --implementation cp --python-version "$py" --abi "$abi" \
            --platform "manylinux_2_17_$arch" -d "$DEST" "$core"
    done
done
# seqeval: sdist only on PyPI, so build its (pure-python) wheel here; numpy and scikit-learn,
# its dependencies, are in the GPU image
"$PY" -m pip wheel --quiet --disable-pip-version-check --no-deps -w "$DEST" "$(pin seqeval)"
# SQLAlchemy's pure-python wheel (no C speed-ups; none of its code runs in the check)
"$PY" -m pip download --quiet --disable-pip-version-check --no-deps --only-binary=:all: \
    --platform any --implementation py --python-version 3.11 --abi none -d "$DEST" \
    "$(pin sqlalchemy)"
# alembic and its Mako (pure python; Mako's MarkupSafe is in the image, a jinja2 dependency)
"$PY" -m pip download --quiet --disable-pip-version-check --no-deps --only-binary=:all: \
    -d "$DEST" "$(pin alembic)" mako
rm -f "$DEST"/*.tar.gz
ls -l "$DEST"
du -ch "$DEST"/*.whl | tail -n 1
