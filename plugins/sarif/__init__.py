"""SARIF from any tool: the reader, and the rules maps of IaC scanners that write SARIF (KICS, Trivy, Semgrep;
checkov's is in plugins/checkov)."""
