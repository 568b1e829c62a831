"""What processing_provider/ and gui/ say to the user goes through tr()/translate().

An AST walk over those packages: every ``raise ValueError/QgsProcessingException(...)``
and every feedback/message call (``pushInfo``, ``pushWarning``, ``reportError``,
``setProgressText``, message boxes, labels) whose text contains English words must
wrap it in ``tr``/``translate`` (``.format`` on the translated template). Messages of
``core``/``io`` (no Qt) are passed through unchanged and are not checked here.
"""
import ast
import glob
import os
import re

from tests.conftest import ROOT

CALLS = {"pushInfo", "reportError", "pushWarning", "pushConsoleInfo", "pushCommandInfo",
         "setProgressText", "critical", "warning", "information", "question", "setText",
         "setToolTip", "setWindowTitle", "setPlaceholderText", "showMessage", "pushMessage",
         "setLabelText", "addItem"}
ERRORS = {"ValueError", "QgsProcessingException", "RuntimeError", "OSError"}
WORD = re.compile(r"[A-Za-z]{3,}")


def _translated(node):
    if isinstance(node, ast.Call):
        f = node.func
        name = f.attr if isinstance(f, ast.Attribute) else getattr(f, "id", "")
        if name in ("tr", "translate", "translate_reason"):
            return True
        if name == "format" and isinstance(f, ast.Attribute):
            return _translated(f.value)
    return False


def _has_words(node):
    for n in ast.walk(node):
        if isinstance(n, ast.Constant) and isinstance(n.value, str) and " " in n.value \
                and WORD.search(n.value):
            return True
    return False


def _untranslated(path):
    tree = ast.parse(open(path, encoding="utf-8").read())
    for node in ast.walk(tree):
        if isinstance(node, ast.Raise) and isinstance(node.exc, ast.Call):
            fn = node.exc.func
            name = getattr(fn, "id", getattr(fn, "attr", ""))
            if name in ERRORS and node.exc.args and not _translated(node.exc.args[0]) \
                    and _has_words(node.exc.args[0]):
                yield node.lineno, f"raise {name}"
        elif isinstance(node, ast.Call) and getattr(node.func, "attr", "") in CALLS:
            for a in node.args:
                if not _translated(a) and _has_words(a):
                    yield node.lineno, node.func.attr
                    break


def test_user_messages_of_the_provider_and_dialogs_are_translatable():
    files = sorted(glob.glob(os.path.join(ROOT, "glacvel_plugin", "processing_provider", "*.py"))
                   + glob.glob(os.path.join(ROOT, "glacvel_plugin", "gui", "*.py")))
    assert len(files) > 10
    bad = [f"{os.path.relpath(p, ROOT)}:{line}: {what}"
           for p in files for line, what in _untranslated(p)]
    assert not bad, "messages without tr()/translate():\n" + "\n".join(bad)


def test_the_check_finds_an_untranslated_message(tmp_path):
    p = tmp_path / "m.py"
    p.write_text('def f(feedback, n):\n'
                 '    feedback.pushInfo(f"{n} pairs done")\n'
                 '    feedback.pushInfo(self.tr("{} pairs done").format(n))\n'
                 '    raise ValueError("give a product")\n')
    assert sorted(_untranslated(str(p))) == [(2, "pushInfo"), (4, "raise ValueError")]
