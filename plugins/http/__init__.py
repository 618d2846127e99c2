"""Web-scanner findings: readers for ZAP, Nuclei, Burp and Wapiti reports, the HTTP technology, HTTP data."""
