"""Every parameter of every glacvel algorithm has its key as a class constant
(``WINDOW = "WINDOW"``, used as ``self.WINDOW``), and no algorithm module spells a
declared key as a string literal where Processing receives or reads a parameter."""
import ast
import os

from tests.conftest import ROOT

PROVIDER = os.path.join(ROOT, "glacvel_plugin", "processing_provider")


def _classes():
    from glacvel_plugin.processing_provider.alg_workflows import GlacvelChainModel
    from glacvel_plugin.processing_provider.provider import algorithm_classes
    return [c for c in algorithm_classes(strict=True) if not issubclass(c, GlacvelChainModel)]


def test_every_parameter_key_is_a_class_constant(qgis_app):
    classes = _classes()
    assert len(classes) == 14
    missing = []
    for cls in classes:
        alg = cls()
        alg.initAlgorithm()
        for p in alg.parameterDefinitions():
            if getattr(cls, p.name(), None) != p.name():
                missing.append(f"{cls.__name__}.{p.name()}")
    assert not missing, f"parameter keys without a class constant: {missing}"


def _literal_keys(path):
    """String literals given as the key of a QgsProcessingParameter*/Output* or as the
    parameter name of ``parameterAs*(parameters, NAME, context)``."""
    tree = ast.parse(open(path, encoding="utf-8").read(), path)
    found = []
    for n in ast.walk(tree):
        if not isinstance(n, ast.Call):
            continue
        f = n.func
        name = f.id if isinstance(f, ast.Name) else getattr(f, "attr", "")
        if (name.startswith("QgsProcessingParameter") or name.startswith("QgsProcessingOutput")) \
                and n.args and isinstance(n.args[0], ast.Constant):
            found.append((n.lineno, n.args[0].value))
        elif name.startswith("parameterAs") and len(n.args) >= 2 \
                and isinstance(n.args[1], ast.Constant):
            found.append((n.lineno, n.args[1].value))
    return found


def test_algorithm_modules_use_the_constants_not_literals():
    modules = sorted(f for f in os.listdir(PROVIDER) if f.startswith("alg_") and f.endswith(".py"))
    assert len(modules) >= 10
    bad = [(m, line, key) for m in modules for line, key in _literal_keys(os.path.join(PROVIDER, m))]
    assert not bad, f"parameter keys spelt as literals; use the class constant: {bad}"


def test_the_literal_check_catches_both_forms(tmp_path):
    p = tmp_path / "alg_x.py"
    p.write_text("def f(self, parameters, context):\n"
                 "    self.addParameter(QgsProcessingParameterNumber('WINDOW', 'w'))\n"
                 "    self.addParameter(QgsProcessingParameterNumber(self.STEP, 's'))\n"
                 "    return self.parameterAsInt(parameters, 'WINDOW', context)\n")
    assert sorted(_literal_keys(str(p))) == [(2, "WINDOW"), (4, "WINDOW")]
