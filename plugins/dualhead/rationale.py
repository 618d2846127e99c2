"""The rationale a user reads is masked like the snippet it was written from.

The snippet a technology builds is already masked (HTTP: ``iacfilter_plugins.http.masking``), so an analysis
that only echoes its input echoes masked values. A language model can also write what it memorised in
pre-training (a password from an IaC file, a token from an exchange): two guards make sure none reaches SARIF:
the HTTP masker runs on the rationale where that plugin is installed, and any value-like token (letters and
digits together, 6+ characters) that the snippet does not show is replaced by ``[MASKED]``.
"""

from __future__ import annotations

import re

MASK = "[MASKED]"
# The conclusion an analysis states, in the words the training analyses use ("... is not a real weakness here",
# "... is a real problem"): what a faithfulness check compares with the head's verdict.
CONCLUSION = re.compile(r"\bis (not )?a real (?:weakness|problem)\b", re.I)
VALUE = re.compile(r"[A-Za-z0-9_+/=.:@%-]{6,}")


def _value_like(token: str) -> bool:
    core = token.strip(".:,;")
    return any(c.isdigit() for c in core) and any(c.isalpha() for c in core)


def _http_mask(text: str) -> str:
    try:
        from iacfilter_plugins.http.masking import mask_text
    except ImportError:  # the HTTP technology is not installed: the echo guard below still applies
        return text
    return mask_text(text)


def mask_rationale(rationale: str, snippet_text: str) -> str:
    masked = _http_mask(rationale)

    def guard(m: re.Match) -> str:
        token = m.group(0)
        core = token.strip(".:,;")
        if not _value_like(core) or core in snippet_text:
            return token
        return token.replace(core, MASK)

    return VALUE.sub(guard, masked)


def conclusion(rationale: str | None) -> str | None:
    """"TP" or "FP" where the analysis states a conclusion, else None (the first one stated counts)."""
    m = CONCLUSION.search(rationale or "")
    return None if m is None else ("FP" if m.group(1) else "TP")
