"""Report writers: ``text`` and ``json``. Same input, same bytes out."""

from kernlint.report.json import render_json
from kernlint.report.text import render_text

FORMATS = {"text": render_text, "json": render_json}

__all__ = ["FORMATS", "render_json", "render_text"]
