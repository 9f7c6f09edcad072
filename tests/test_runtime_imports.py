"""The runtime never imports the heads-training package (issue 18: training sits beside the
runtime, not inside it). `voc analyze` needs only voc.heads to apply a heads file; recipes,
labelled-data readers and the training loop are for `voc train` and `voc eval`."""

from __future__ import annotations

import ast
import subprocess
import sys

from tests.conftest import REPO

TRAINING = "voc.training"
# The `voc train` and `voc eval` commands import the training package inside their
# functions, so building the CLI does not; no other module outside it may name it.
TRAINING_ENTRY_POINTS = {"voc/cli/heads.py"}


def _imported_modules(tree: ast.AST) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def test_no_runtime_module_imports_the_training_package_even_lazily() -> None:
    offenders = []
    for path in sorted((REPO / "voc").rglob("*.py")):
        relative = path.relative_to(REPO).as_posix()
        if relative.startswith("voc/training/") or relative in TRAINING_ENTRY_POINTS:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=relative)
        if any(m == TRAINING or m.startswith(TRAINING + ".") for m in _imported_modules(tree)):
            offenders.append(relative)
    assert offenders == []


def test_importing_the_analyze_path_loads_no_training_module() -> None:
    # The CLI, the notebook API, the pipeline and every stage the heads need to apply a
    # heads file, each imported for real in a fresh interpreter.
    code = (
        "import sys\n"
        "import voc.cli.app, voc.api, voc.analysis, voc.pipeline.run\n"
        "import voc.heads.component, voc.heads.predict, voc.heads.model\n"
        f"print(sorted(m for m in sys.modules if m.split('.')[:2] == {TRAINING.split('.')!r}))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True,
                          text=True, timeout=300, check=True)
    assert done.stdout.strip() == "[]"
