"""mailsleuth: tell whether a mail is phishing, explain why, and say what to do.

    >>> import mailsleuth
    >>> report = mailsleuth.analyze(open("mail.eml", "rb").read())
    >>> report.verdict, report.to_dict()["findings"]
"""

from __future__ import annotations

__version__ = "0.1.0"

from .analyze import analyze
from .models import Address, Finding, Hop, Link, Verdict
from .report import BrandRef, Report

__all__ = ["Address", "BrandRef", "Finding", "Hop", "Link", "Report", "Verdict", "__version__", "analyze"]
