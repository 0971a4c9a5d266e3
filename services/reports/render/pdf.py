"""The pack as a PDF: HTML from a Jinja2 template, laid out by WeasyPrint (pango with Debian's
Noto Sans CJK), charts inline as SVG. HTML rather than drawing commands: the same template
language and words as the portal, and a leader's printer gets a real A4 document."""
from __future__ import annotations

from pathlib import Path

from jinja2 import Environment, FileSystemLoader, select_autoescape

from libs.common.wording import STATUS_WORDS, date_label, number
from services.reports.domain.pack import COUNTED, QuarterPack
from services.reports.render.charts import sections_chart, trend_chart

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
_env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html"]))
_env.filters.update(date=date_label, number=number)


def environment() -> Environment:
    """The documents' templates, with the portal's filters for dates and numbers."""
    return _env


def pack_html(pack: QuarterPack) -> str:
    return _env.get_template("pack.html").render(
        pack=pack, counted=COUNTED, words=STATUS_WORDS,
        sections_svg=sections_chart(pack).decode(), trend_svg=trend_chart(pack).decode())


def pack_pdf(pack: QuarterPack) -> bytes:
    from weasyprint import HTML

    return HTML(string=pack_html(pack), base_url=str(TEMPLATES)).write_pdf()
