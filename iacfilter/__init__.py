"""iacfilter: keep the real IaC security problems, filter the scanner's false positives."""

__version__ = "0.1.0"
