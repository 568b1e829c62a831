"""Fill the Simplified Chinese translation i18n/glacvel_zh_CN.ts from a phrase book.

The .ts file is the source of truth (Qt Linguist can edit it); this script only
fills messages that are still unfinished from ``i18n/zh_CN_phrasebook.json``
(``{"English source": "中文译文"}``; a key ``"Context|source"`` overrides one context),
then compiles the .qm with lrelease.

Usage::

    bash scripts/translations.sh                 # pylupdate5: new strings → unfinished
    .venv/bin/python scripts/translate_zh.py --missing   # list what the phrase book lacks
    .venv/bin/python scripts/translate_zh.py     # fill + lrelease; exit 1 if any is left

Placeholders (``{}``, ``{:.2f}``, ``%1``) must survive translation: a translation
that loses or adds one is rejected with a message.
"""
import json
import os
import re
import subprocess
import sys
import xml.etree.ElementTree as ET

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TS = os.path.join(ROOT, "i18n", "glacvel_zh_CN.ts")
BOOK = os.path.join(ROOT, "i18n", "zh_CN_phrasebook.json")
_PLACEHOLDER = re.compile(r"\{[^{}]*\}|%\d")


def placeholders(text):
    """Sorted list of the format placeholders of a message."""
    return sorted(_PLACEHOLDER.findall(text))


def load_book(path=BOOK):
    if not os.path.exists(path):
        return {}
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def fill(ts_path=TS, book=None):
    """Fill unfinished messages; returns (filled, missing list of (context, source))."""
    book = load_book() if book is None else book
    tree = ET.parse(ts_path)
    filled, missing, bad = 0, [], []
    for ctx in tree.getroot().iter("context"):
        cname = ctx.findtext("name")
        for msg in ctx.iter("message"):
            src = msg.findtext("source")
            tr = msg.find("translation")
            if tr is None:
                tr = ET.SubElement(msg, "translation")
            done = tr.get("type") not in ("unfinished", "obsolete", "vanished") and (tr.text or "")
            if done:
                continue
            text = book.get(f"{cname}|{src}", book.get(src))
            if not text:
                missing.append((cname, src))
                continue
            if placeholders(text) != placeholders(src):
                bad.append((cname, src, text))
                continue
            tr.text = text
            tr.attrib.pop("type", None)
            filled += 1
    if bad:
        for c, s, t in bad:
            print(f"placeholder mismatch in {c}: {s!r} -> {t!r}", file=sys.stderr)
        raise SystemExit(2)
    with open(ts_path, "w", encoding="utf-8") as f:
        f.write(serialize(tree.getroot()))
    return filled, missing


def _esc(text):
    return (text or "").replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def serialize(root):
    """The .ts text in pylupdate5's layout, so refills do not reformat the file."""
    out = ['<?xml version="1.0" encoding="utf-8"?>', "<!DOCTYPE TS>",
           f'<TS version="{root.get("version", "2.1")}" language="{root.get("language", "zh_CN")}">']
    for ctx in root.iter("context"):
        out.append("<context>")
        out.append(f"    <name>{_esc(ctx.findtext('name'))}</name>")
        for msg in ctx.iter("message"):
            out.append("    <message>")
            for loc in msg.findall("location"):
                out.append(f'        <location filename="{_esc(loc.get("filename")).replace(chr(34), "&quot;")}" '
                           f'line="{loc.get("line")}"/>')
            out.append(f"        <source>{_esc(msg.findtext('source'))}</source>")
            tr = msg.find("translation")
            attr = f' type="{tr.get("type")}"' if tr is not None and tr.get("type") else ""
            out.append(f"        <translation{attr}>{_esc(tr.text if tr is not None else '')}</translation>")
            out.append("    </message>")
        out.append("</context>")
    out.append("</TS>")
    return "\n".join(out) + "\n"


def main(argv):
    if "--missing" in argv:
        tree = ET.parse(TS)
        book = load_book()
        out = {}
        for ctx in tree.getroot().iter("context"):
            cname = ctx.findtext("name")
            for msg in ctx.iter("message"):
                src = msg.findtext("source")
                tr = msg.find("translation")
                unfinished = tr is None or tr.get("type") == "unfinished" or not (tr.text or "")
                if unfinished and f"{cname}|{src}" not in book and src not in book:
                    out[src] = ""
        json.dump(out, sys.stdout, ensure_ascii=False, indent=1)
        print()
        return 0
    filled, missing = fill()
    qm = TS[:-3] + ".qm"
    subprocess.run(["lrelease", "-silent", TS, "-qm", qm], check=True)
    print(f"filled {filled} messages; {len(missing)} still untranslated; wrote {os.path.relpath(qm, ROOT)}")
    for c, s in missing[:20]:
        print(f"  missing [{c}] {s[:90]!r}")
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
