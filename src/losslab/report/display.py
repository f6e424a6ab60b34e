"""How the reports show names, numbers and tables: short, wrapped, escaped, and never wider than the page.

A candidate's label is its identity in the store (``bce(pos_weight=28.571428571428573)``);
readers need a shorter name. `display_names` rounds long floats to a few significant digits
(adding digits back only where two names would otherwise read alike); `wrap_name` breaks a
name for a figure's axis; `html_table` writes a table whose cells wrap (and which turns into
one card per row on a phone), so no table forces the page to scroll sideways. `Report` is a
report before it is written: its HTML and its figures as ``(caption, png)`` pairs, which an
experiment tracker logs as image files without reading the HTML.
"""

from __future__ import annotations

import base64
import html
import io
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

# A float in a name (0.8421052631578947, 1.5e-07); `_round` shortens those with more than 4 significant digits.
_LONG_FLOAT = re.compile(r"(?<![\w.])-?\d+\.\d+(?:[eE][+-]?\d+)?(?![\w.])")
_KEEP_DIGITS = 4  # as written up to this many significant digits: a reader's own 0.8421 or 28.57 stays

# A cell that holds a number (or a mean with its interval): it does not break across lines.
_NUMERIC = re.compile(r"^[<>]?[-+]?[\d.]+(?:[eE][-+]?\d+)?(?: ± [-+]?[\d.]+(?:[eE][-+]?\d+)?)?$")

CSS = """
*{box-sizing:border-box}
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;max-width:1100px;margin:1.5em auto;padding:0 1em;color:#1b1b1b;line-height:1.45}
h1{font-size:1.6em;margin-bottom:.2em} h2{margin-top:1.6em;border-bottom:1px solid #ddd;padding-bottom:.2em}
p,li,figcaption,summary{overflow-wrap:anywhere}
table{border-collapse:collapse;margin:.6em 0;font-size:.92em;max-width:100%}
th,td{border:1px solid #ccc;padding:.3em .6em;text-align:left;vertical-align:top}
th{background:#f3f3f3} th.num,td.num{text-align:right} td.num{white-space:nowrap}
td.name{overflow-wrap:break-word;font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:.92em}
.verdict{font-size:1.15em;background:#eef6ee;border-left:4px solid #3a8a3a;padding:.6em 1em}
.warning{background:#fff5e0;border-left:4px solid #b7791f;padding:.5em 1em;margin:.6em 0}
.muted{color:#666;font-size:.9em}
pre{background:#f7f7f7;padding:.6em;white-space:pre-wrap;overflow-wrap:anywhere;font-size:.85em}
figure{margin:1em 0;min-width:0} figure img{max-width:100%;height:auto;display:block}
.grid{display:flex;flex-wrap:wrap;gap:1em} .grid figure{flex:0 1 calc(50% - .5em);min-width:0} .grid figure.wide{flex-basis:100%}
@media (max-width:760px){.grid figure{flex-basis:100%}}
details{margin:1em 0;border-top:1px solid #ddd;padding-top:.4em} summary{cursor:pointer;font-weight:600;font-size:1.1em}
.flag{color:#8a3a00}
@media (max-width:640px){
 body{padding:0 .6em}
 table.cards,table.cards tbody,table.cards tr,table.cards td{display:block;width:100%}
 table.cards thead{display:none}
 table.cards tr{border:1px solid #ccc;margin:.5em 0}
 table.cards td{border:0;border-bottom:1px solid #eee;text-align:right;white-space:normal;overflow-wrap:anywhere}
 table.cards td::before{content:attr(data-label);float:left;font-weight:600;margin-right:.6em;text-align:left}
 table.cards td:first-child{text-align:left;background:#f3f3f3}
 table.cards td:first-child::before{content:none}
}
"""


def short_name(label: str, digits: int = 3) -> str:
    """``label`` with every float of more than 4 significant digits rounded to ``digits``.

    >>> short_name("sparse_categorical_crossentropy(class_weight=(0.8421052631578947, 1.2345678901234567))")
    'sparse_categorical_crossentropy(class_weight=(0.842, 1.23))'
    """
    return _LONG_FLOAT.sub(lambda m: _round(m.group(0), digits), str(label))


def _round(text: str, digits: int) -> str:
    value = float(text)
    mantissa = re.split(r"[eE]", text)[0].lstrip("-").replace(".", "").lstrip("0")
    if not math.isfinite(value) or len(mantissa) <= max(digits, _KEEP_DIGITS):
        return text
    return f"{value:.{digits}g}"


def display_names(labels: Iterable[str]) -> dict[str, str]:
    """A short, distinct name per label: 3 significant digits, more where two names would collide."""
    labels = list(dict.fromkeys(str(label) for label in labels))
    for digits in (3, 4, 5, 6, 8):
        names = {label: short_name(label, digits) for label in labels}
        if len(set(names.values())) == len(labels):
            return names
    return {label: label for label in labels}


def wrap_name(name: str, width: int = 26) -> str:
    """``name`` broken into lines of at most ``width`` characters, after ``_ , ( =`` where it can.

    Joining the lines gives ``name`` back: nothing is dropped at a break.
    """
    if len(name) <= width:
        return name
    # Pieces that each end at a natural break (the delimiter and any spaces after it stay with the piece).
    pieces = [p for p in re.findall(r".*?(?:[_,(=] *|$)", name) if p]
    lines, line = [], ""
    for piece in pieces:
        while len(piece) > width:  # one piece longer than a line: cut it
            room = width - len(line)
            lines.append(line + piece[:room])
            line, piece = "", piece[room:]
        if len(line) + len(piece) > width:
            lines.append(line)
            line = ""
        line += piece
    lines.append(line)
    return "\n".join(x for x in lines if x)


def heading(column: str) -> str:
    """A metric column as a reader reads it: ``rmse[lat]`` -> ``rmse (lat)``."""
    match = re.fullmatch(r"(.+)\[(.+)\]", str(column))
    return f"{match.group(1)} ({match.group(2)})" if match else str(column)


def number(value: object, digits: int = 4) -> str:
    """A number with ``digits`` significant digits; blanks for missing values."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    try:
        x = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return str(value)
    if math.isnan(x):
        return ""
    if float(x).is_integer() and abs(x) < 1e6:
        return str(int(x))
    return f"{x:.{digits}g}"


def p_value(p: float) -> str:
    """A p-value as papers print it: ``p<0.0001`` below that, else 2 significant digits."""
    if p is None or (isinstance(p, float) and math.isnan(p)):
        return ""
    return "<0.0001" if p < 1e-4 else f"{p:.2g}"


def _joints(text: str, joints: str = "_,(=") -> str:
    """Escaped ``text`` with a break opportunity after each of ``joints``: a long name wraps there first."""
    return re.sub(f"([{re.escape(joints)}])", r"\1<wbr>", text)


def html_table(header: Sequence[str], rows: Sequence[Sequence[object]], *, names: int = 1) -> str:
    """An escaped HTML table; its first ``names`` columns hold names (monospace, wrapped after ``_ , ( =``).

    Columns whose every cell is a number are right-aligned and never break inside a number.
    Every cell carries its column's heading (``data-label``), so on a narrow screen the
    stylesheet turns each row into a card of "heading: value" lines instead of a table
    wider than the phone.
    """
    texts = [[str(value) for value in row] for row in rows]
    numeric = [i >= names and all(_NUMERIC.match(row[i]) or not row[i] for row in texts) for i in range(len(header))]
    head = "".join(f"<th scope='col'{' class=num' if numeric[i] else ''}>{_joints(html.escape(h), '_,=')}</th>" for i, h in enumerate(header))
    body = []
    for row in texts:
        cells = []
        for i, (h, value) in enumerate(zip(header, row)):
            if i < names:
                shown, cls = _joints(html.escape(value)), " class='name'"
            else:
                shown, cls = html.escape(value), " class='num'" if numeric[i] else ""
            cells.append(f"<td{cls} data-label='{html.escape(h, quote=True)}'>{shown}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    return f"<table class='cards'><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def frame_table(df, names: Mapping[str, str] | None = None, digits: int = 4) -> str:
    """A DataFrame as `html_table` (index first), loss names shortened with ``names``."""
    names = names or {}
    index_name = df.index.name or ""
    header = [heading(index_name), *(heading(c) for c in df.columns)]
    rows = []
    for key, row in df.iterrows():
        cells = [names.get(str(key), short_name(str(key)))]
        for value in row:
            text = value if isinstance(value, str) else number(value, digits)
            cells.append(names.get(text, short_name(text)) if isinstance(value, str) else text)
        rows.append(cells)
    return html_table(header, rows)


def png(fig, dpi: int = 100) -> bytes:
    """The figure as PNG bytes; the figure is closed."""
    import matplotlib.pyplot as plt

    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi)
    plt.close(fig)
    return buf.getvalue()


def figure_html(caption: str, data: bytes, *, alt: str | None = None, wide: bool = False) -> str:
    """An embedded PNG with its caption; ``alt`` (default: the caption) describes it to a screen reader."""
    cls = " class='wide'" if wide else ""
    encoded = base64.b64encode(data).decode("ascii")
    return (f"<figure{cls}><img alt=\"{html.escape(alt or caption)}\" src=\"data:image/png;base64,{encoded}\">"
            f"<figcaption class='muted'>{html.escape(caption)}</figcaption></figure>")


def readable(text: str, names: dict[str, str]) -> str:
    """``text`` with every loss label replaced by its display name (longest labels first)."""
    for label in sorted(names, key=len, reverse=True):
        if names[label] != label:
            text = text.replace(label, names[label])
    return text


@dataclass(frozen=True)
class Report:
    """A report before it is written: its HTML, and its figures as ``(caption, png bytes)`` pairs
    (in the order they appear; what an experiment tracker logs as image files)."""

    html: str
    figures: tuple[tuple[str, bytes], ...]

    def write(self, path: str | Path) -> Path:
        """Write the HTML to ``path`` (its folder is made); return the path."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(self.html, encoding="utf-8")
        return path


class _Figures(list):
    """The figures of a report as they are placed: each ``add`` returns the figure's HTML."""

    def add(self, caption: str, data: bytes, *, wide: bool = False) -> str:
        self.append((caption, data))
        return figure_html(caption, data, wide=wide)


def pair_rows(frame, columns: Sequence[str], names: Mapping[str, str]) -> list[list[object]]:
    """The rows of a pairwise table for :func:`html_table`: loss names shortened, adjusted
    p-values as p-values, other numbers to 3 significant digits, text as it is."""
    rows = []
    for _, row in frame[list(columns)].iterrows():
        cells: list[object] = []
        for c in columns:
            value = row[c]
            if c in ("loss_a", "loss_b"):
                cells.append(names.get(str(value), str(value)))
            elif c == "p_adjusted":
                cells.append(p_value(value))
            else:
                cells.append(value if isinstance(value, str) else number(value, 3))
        rows.append(cells)
    return rows

