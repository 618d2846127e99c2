"""Readers for web-scanner reports: OWASP ZAP (traditional-json, -plus), Nuclei JSONL, Burp Suite XML, Wapiti JSON.

Each reader is its own plugin (entry point) and fills ``Finding.details`` in the shape of
:mod:`iacfilter_plugins.http.exchange`; the helpers they share are in :mod:`.common`.
"""
