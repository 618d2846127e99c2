"""Web-scanner findings: readers for ZAP, Nuclei, Burp and Wapiti reports, their rules maps, the HTTP technology,
the ``http-features`` scorer and its champion, HTTP data."""
