"""GLITCH: its runner (``iacfilter scan``, ``iacfilter hook``), readers for its CSV and ``--linter`` output, and its
rules map."""
