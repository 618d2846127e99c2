"""GLITCH: readers for its CSV and ``--linter`` output, and its rules map."""
