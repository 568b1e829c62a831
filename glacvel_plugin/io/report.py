"""Self-contained HTML reports (tables + matplotlib figures embedded as PNG).

Used by the algorithms that report statistics (stable ground, validation,
profiles). Figures are drawn with matplotlib's Agg backend, so no display is
needed. The file is written atomically
(:func:`glacvel_plugin.io.files.atomic_write_text`).
"""
from __future__ import annotations

import base64
import html
import io as _io
from typing import Iterable, Sequence

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from .files import atomic_write_text  # noqa: E402

_CSS = """body{font-family:sans-serif;max-width:60em;margin:2em auto;color:#222}
table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #bbb;padding:.25em .6em;
text-align:right}th{background:#eef}td:first-child,th:first-child{text-align:left}
img{max-width:100%}.note{color:#555}"""


def _fmt(v) -> str:
    if isinstance(v, float):
        return f"{v:.4g}"
    return html.escape(str(v))


class HtmlReport:
    """Build an HTML report piece by piece, then ``save(path)``.

    Parameters
    ----------
    title : str
        Page title and first heading.
    """

    def __init__(self, title: str):
        self.title = title
        self.parts = [f"<h1>{html.escape(title)}</h1>"]

    def heading(self, text: str, level: int = 2):
        """Add a heading.

        Parameters
        ----------
        text : str
            Heading text (HTML-escaped).
        level : int, default 2
            HTML heading level (``<h2>``).
        """
        self.parts.append(f"<h{level}>{html.escape(text)}</h{level}>")

    def paragraph(self, text: str, css_class: str = ""):
        """Add a paragraph.

        Parameters
        ----------
        text : str
            Paragraph text (HTML-escaped).
        css_class : str, optional
            CSS class (``"note"`` for grey notes).
        """
        cls = f' class="{css_class}"' if css_class else ""
        self.parts.append(f"<p{cls}>{html.escape(text)}</p>")

    def table(self, headers: Sequence[str], rows: Iterable[Sequence]):
        """Add a table.

        Parameters
        ----------
        headers : sequence of str
            Column headers.
        rows : iterable of sequence
            Cells; floats shown with four significant digits, others as ``str``.
        """
        head = "".join(f"<th>{html.escape(str(h))}</th>" for h in headers)
        body = "".join("<tr>" + "".join(f"<td>{_fmt(c)}</td>" for c in r) + "</tr>" for r in rows)
        self.parts.append(f"<table><tr>{head}</tr>{body}</table>")

    def figure(self, fig, alt: str = "figure", dpi: int = 110):
        """Embed a matplotlib figure as a PNG data URI and close it.

        Parameters
        ----------
        fig : matplotlib.figure.Figure
            The figure.
        alt : str, default "figure"
            Alternative text.
        dpi : int, default 110
            Resolution of the PNG.
        """
        buf = _io.BytesIO()
        fig.savefig(buf, format="png", dpi=dpi, bbox_inches="tight")
        plt.close(fig)
        data = base64.b64encode(buf.getvalue()).decode("ascii")
        self.parts.append(f'<img alt="{html.escape(alt)}" src="data:image/png;base64,{data}"/>')

    def html(self) -> str:
        """The whole report as one HTML document.

        Returns
        -------
        str
            UTF-8 HTML with the style sheet and figures inline.
        """
        return ("<!DOCTYPE html><html><head><meta charset='utf-8'>"
                f"<title>{html.escape(self.title)}</title><style>{_CSS}</style></head><body>"
                + "\n".join(self.parts) + "</body></html>")

    def save(self, path: str) -> str:
        """Write the report atomically (:func:`glacvel_plugin.io.files.atomic_write_text`).

        Parameters
        ----------
        path : str
            Destination ``.html`` file.

        Returns
        -------
        str
            ``path``.

        Raises
        ------
        OSError
            As :func:`glacvel_plugin.io.files.atomic_write_text`.
        """
        return atomic_write_text(path, lambda f: f.write(self.html()))


def new_figure(width: float = 6.0, height: float = 4.0):
    """A matplotlib figure and axes on the Agg backend.

    Parameters
    ----------
    width, height : float
        Figure size (inches).

    Returns
    -------
    (fig, ax)
        From ``matplotlib.pyplot.subplots``.
    """
    return plt.subplots(figsize=(width, height))
