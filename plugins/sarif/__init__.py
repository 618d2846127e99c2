"""SARIF from any tool: the reader, and the rules maps of IaC scanners that write SARIF (checkov, KICS, Trivy, Semgrep)."""
