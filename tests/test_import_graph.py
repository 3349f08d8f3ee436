"""The stage order of harness/ holds: no import loop outside the translator, no upward import,
and the README's layout table names every stage folder that exists."""

import importlib.util
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
_spec = importlib.util.spec_from_file_location("import_graph", ROOT / "tools" / "import_graph.py")
import_graph = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(import_graph)


def test_the_tree_has_no_loop_and_no_upward_import():
    assert import_graph.violations(import_graph.build_graph()) == []


def test_an_upward_import_and_a_loop_are_reported():
    graph = {"harness.io.atomic": {"harness.gate.policy"}, "harness.gate.policy": set(),
             "harness.scoring.run": {"harness.scoring.metrics"},
             "harness.scoring.metrics": {"harness.scoring.run"}}
    problems = import_graph.violations(graph)
    assert any(p.startswith("upward import: harness.io.atomic") for p in problems)
    assert any(p.startswith("import loop: harness.scoring.metrics -> harness.scoring.run")
               for p in problems)


def test_loops_inside_the_translator_are_the_grammar_and_allowed():
    graph = {"harness.translate.expressions": {"harness.translate.queries"},
             "harness.translate.queries": {"harness.translate.expressions"}}
    assert import_graph.violations(graph) == []


def test_readme_layout_lists_every_stage_folder_in_order():
    readme = (ROOT / "README.md").read_text()
    listed = re.findall(r"^\| \d+ \| `harness/(\w+)/` \|", readme, flags=re.M)
    folders = [s.removeprefix("harness.") for s in import_graph.STAGES
               if s.startswith("harness.") and s != "harness.commands"]
    assert listed == folders
    on_disk = {p.parent.name for p in (ROOT / "harness").glob("*/__init__.py")}
    assert on_disk == set(folders)
