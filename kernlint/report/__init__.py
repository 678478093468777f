"""Report writers: ``text``, ``json``, ``sarif``, ``github``. Same input, same bytes out."""

from kernlint.report.github import render_github
from kernlint.report.json import render_json
from kernlint.report.sarif import render_sarif
from kernlint.report.text import render_text

FORMATS = {"text": render_text, "json": render_json, "sarif": render_sarif, "github": render_github}

__all__ = ["FORMATS", "render_github", "render_json", "render_sarif", "render_text"]
