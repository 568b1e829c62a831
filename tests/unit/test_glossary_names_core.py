"""The public API of ``glacvel_plugin.core`` uses the names of docs/glossary.md: no public
function, method or dataclass field is called by one of the older spellings the
glossary retired, and no docstring calls the correlation window a "chip"."""
import ast
import os
import re

import pytest

CORE = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))),
                    "glacvel_plugin", "core")
CORE_FILES = sorted(f for f in os.listdir(CORE) if f.endswith(".py"))

RETIRED = {
    "template": "window", "templates": "windows", "chip": "window",
    "snr": "peak_ratio", "min_snr": "min_peak_ratio",
    "nmt_threshold": "median_test", "nmt_eps": "eps",
    "radius": "search", "search_px": "search", "search_range": "search",
    "baselines": "dt_days", "s1_baselines": "s1_dt_days",
}
"""Old spelling → glossary name (parameters, fields and function names)."""

ALLOWED = {}
"""Retired names allowed in a core signature: none."""

ALLOWED_SPACING = {("profiles.py", "points_along"), ("correlation.py", "lucas_kanade_search"),
                   ("correlation.py", "deformable_search")}
"""``spacing`` that is not the distance between window centres: samples along a profile
line (m), and the sparse-search subsampling of the ``lk`` engine and of the default
engine's fallback nodes (in windows)."""


def check_names(source: str, filename: str) -> list:
    tree = ast.parse(source)
    problems = []

    def visit_function(fn, where):
        a = fn.args
        for arg in a.posonlyargs + a.args + a.kwonlyargs:
            if arg.arg in ALLOWED.get((filename, fn.name), ()):
                continue
            if arg.arg in RETIRED:
                problems.append(f"{where}: parameter {arg.arg!r} → {RETIRED[arg.arg]!r}")
            if arg.arg == "spacing" and (filename, fn.name) not in ALLOWED_SPACING:
                problems.append(f"{where}: parameter 'spacing' → 'step'")
        for word in ("chip", "chips"):
            if re.search(rf"\b{word}\b", ast.get_docstring(fn) or ""):
                problems.append(f"{where}: docstring says {word!r}; say 'window'")

    for node in tree.body:
        if isinstance(node, ast.FunctionDef) and not node.name.startswith("_"):
            if any(re.search(rf"(^|_){old}($|_)", node.name) for old in RETIRED):
                problems.append(f"{filename}:{node.lineno} function name {node.name!r}")
            visit_function(node, f"{filename}:{node.lineno} {node.name}")
        elif isinstance(node, ast.ClassDef) and not node.name.startswith("_"):
            for item in node.body:
                if isinstance(item, ast.AnnAssign) and isinstance(item.target, ast.Name) \
                        and item.target.id in RETIRED:
                    problems.append(f"{filename}:{item.lineno} field {node.name}."
                                    f"{item.target.id} → {RETIRED[item.target.id]!r}")
                if isinstance(item, ast.FunctionDef) and not item.name.startswith("_"):
                    visit_function(item, f"{filename}:{item.lineno} {node.name}.{item.name}")
    return problems


@pytest.mark.parametrize("name", CORE_FILES)
def test_core_public_names_follow_the_glossary(name):
    with open(os.path.join(CORE, name), encoding="utf-8") as f:
        problems = check_names(f.read(), name)
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("bad, expected", [
    ("def track(a, template, search):\n    '''Track.'''\n", "parameter 'template'"),
    ("def f(x, nmt_threshold=2.0):\n    '''F.'''\n", "'median_test'"),
    ("def grid(bounds, spacing):\n    '''G.'''\n", "'spacing' → 'step'"),
    ("def match_templates(a):\n    '''M.'''\n", "function name 'match_templates'"),
    ("def m(a):\n    '''Match a chip.'''\n", "docstring says 'chip'"),
    ("from dataclasses import dataclass\n@dataclass\nclass R:\n    '''R.'''\n    snr: float\n",
     "field R.snr"),
])
def test_checker_rejects_retired_names(bad, expected):
    assert any(expected in p for p in check_names(bad, "bad.py"))
