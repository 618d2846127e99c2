"""What the Ansible, Chef and Puppet plugins share: ownership by file type, and the common snippet layout."""

from __future__ import annotations

from pathlib import PurePosixPath

from iacfilter.findings import Finding
from iacfilter.registry import Technology
from iacfilter.snippets import render_snippet


def iac_technology(name: str, description: str, suffixes: tuple[str, ...], context_lines: int = 3) -> Technology:
    def owns(finding: Finding) -> bool:
        return PurePosixPath(finding.path.replace("\\", "/")).suffix.lower() in suffixes

    def build_snippet(smell, line, before, after):
        return render_snippet(name, smell, line, before, after)

    return Technology(name, description, owns, build_snippet, context_lines, suffixes)
