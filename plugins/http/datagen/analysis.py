"""The short written analysis of a label: 2-4 sentences citing the evidence, phrased in varied ways.

Each (rule, reason) has several ways to state the evidence and the policy point; a row's analysis is an
optional sentence naming the scanner's claim, one evidence/policy passage, and a verdict sentence.
"""

from __future__ import annotations

import re
import string

from ..policy import Verdict

CLAIMS = [
    "{scanner} reports \u201c{check}\u201d on {method} {url}.",
    "The alert ({scanner}: {check}) was raised on {url}.",
    "{scanner} flagged {url} with \u201c{check}\u201d.",
    "This {scanner} finding, \u201c{check}\u201d, concerns {url}.",
]
CLAIMS_BY_LABEL = {
    "TP": ["{scanner}'s \u201c{check}\u201d on {url} is borne out by the exchange.",
           "The exchange at {url} confirms {scanner}'s \u201c{check}\u201d."],
    "FP": ["{scanner}'s \u201c{check}\u201d does not hold up against the exchange at {url}.",
           "Whatever {scanner} says in \u201c{check}\u201d, the exchange at {url} decides."],
}
VERDICT = {
    "TP": ["So it is a true positive.", "Verdict: true positive, a real weakness to fix.",
           "The finding stands (TP).", "Under the policy this is a TP that the team must fix.",
           "That makes it a true positive.", "Keep it: this is a true positive.",
           "It is a real issue (TP)."],
    "FP": ["So it is a false positive.", "Verdict: false positive under the policy.",
           "The alert is noise here (FP).", "Under the policy this is an FP; nothing needs fixing for it.",
           "That makes it a false positive.", "Filter it: this is a false positive.",
           "It is not a real issue (FP)."],
}
EVIDENCE = {
    ("hsts", "missing"): [
        "The response comes over HTTPS and carries no Strict-Transport-Security header. Every HTTPS response must "
        "send HSTS with a max-age of at least 15552000 seconds.",
        "It is an HTTPS response (status {status}) without any Strict-Transport-Security header, and the policy "
        "requires HSTS on every HTTPS response.",
        "No Strict-Transport-Security header appears among the response headers, although the URL is https. "
        "HSTS is required on all HTTPS responses, whatever the content type.",
    ],
    ("hsts", "too-short"): [
        "The HTTPS response sends `Strict-Transport-Security: {value}`, a max-age below the 15552000 seconds "
        "(180 days) the policy requires.",
        "HSTS is present but its max-age ({age}) is shorter than 180 days (15552000 s), which the policy treats as "
        "missing protection.",
        "`{value}` is too short a lifetime: the policy asks for max-age of at least 15552000 on HTTPS.",
    ],
    ("hsts", "plain-http"): [
        "The URL uses plain HTTP, where browsers ignore Strict-Transport-Security entirely. A finding about HSTS on "
        "an HTTP response is noise; the use of HTTP itself is what would be reported.",
        "This response was served over http://, so an HSTS header would have no effect there. The policy says such "
        "HSTS findings are FP and the transport is judged separately.",
    ],
    ("hsts", "sufficient"): [
        "The response already sends `Strict-Transport-Security: {value}`, a max-age of at least 15552000 seconds. "
        "The complaint is about the value of a header that is present and not defeated (e.g. missing "
        "includeSubDomains or preload).",
        "HSTS is set with max-age={age}, above the 180-day minimum. Other directives such as preload are not "
        "required by the policy.",
    ],
    ("csp", "missing"): [
        "The response is HTML ({ctype}) with a body, and no Content-Security-Policy header is sent. HTML responses "
        "need a CSP that restricts scripts.",
        "There is no Content-Security-Policy on this {ctype} page, so nothing limits where scripts may come from.",
        "This is an HTML document served as {ctype} without any CSP header; the policy requires one on HTML "
        "responses.",
    ],
    ("csp", "unsafe-inline"): [
        "The CSP `{value}` allows 'unsafe-inline' for scripts without a nonce or hash, so inline script injection "
        "is not blocked.",
        "Its script policy includes 'unsafe-inline' with no nonce or hash (`{value}`), which defeats the CSP.",
    ],
    ("csp", "wildcard"): [
        "The CSP `{value}` lets scripts load from `*`, i.e. from anywhere, so it does not restrict scripts.",
        "A `*` script source in `{value}` defeats the policy's purpose.",
    ],
    ("csp", "data"): [
        "The CSP `{value}` accepts `data:` as a script source, which lets injected data: URLs run as script.",
        "`data:` is allowed for scripts in `{value}`, so the CSP is defeated.",
    ],
    ("csp", "no-script-directive"): [
        "The CSP `{value}` has neither default-src nor script-src, so scripts are unrestricted even though a "
        "header is present.",
        "Only non-script directives are set (`{value}`); without default-src or script-src nothing restricts "
        "scripts on this HTML page.",
    ],
    ("csp", "not-html"): [
        "The response is not HTML: it is {what}, and a missing or weak CSP only matters on HTML documents.",
        "This is {what}, not an HTML page, so CSP findings here are FP under the policy.",
        "Nothing here renders as a document ({what}). CSP is required only on HTML responses.",
    ],
    ("csp", "sound"): [
        "The page does send a CSP that restricts scripts (`{value}`). The complaint targets some other aspect of a "
        "present, non-defeated policy.",
        "`{value}` restricts script sources without unsafe-inline (or with a nonce/hash), `*` or data:, so the CSP "
        "is sound; findings about nonces or style directives alone are FP.",
    ],
    ("optional-headers", "not-html"): [
        "{header} is only required on HTML responses without a sound CSP; this one is {what}, not HTML.",
        "The missing {header} is on a non-HTML response ({what}), where the policy calls it FP.",
    ],
    ("optional-headers", "sound-csp"): [
        "{header} is missing, but the HTML response has a sound CSP (`{value}`), which makes it unnecessary under "
        "the policy.",
        "A script-restricting CSP is present (`{value}`), so the absence of {header} is not a finding.",
    ],
    ("optional-headers", "frame-ancestors"): [
        "X-Frame-Options is absent, but the CSP `{value}` sets frame-ancestors, which covers framing.",
        "Framing is already controlled by frame-ancestors in `{value}`, so a missing X-Frame-Options is FP.",
    ],
    ("optional-headers", "no-frame-ancestors"): [
        "This HTML page sets neither X-Frame-Options nor a CSP frame-ancestors directive, so it can be framed.",
        "The HTML response has no X-Frame-Options and its CSP ({value}) has no frame-ancestors: clickjacking is "
        "not prevented.",
    ],
    ("optional-headers", "no-sound-csp"): [
        "{header} is missing on an HTML page whose CSP is absent or defeated ({value}), so the header is needed.",
        "The page is HTML, lacks {header}, and has no sound CSP to make it optional (CSP: {value}).",
    ],
    ("header-value", "present"): [
        "{header} is present (`{value}`); the complaint is about its value, which no policy rule treats as "
        "defeated.",
        "The response does send `{header}: {value}`. Disliking a present header's value is FP unless a rule says "
        "that value is defeated.",
    ],
    ("x-xss-protection", "absent"): [
        "X-XSS-Protection is absent, but browsers removed the filter it controlled, so it is not required.",
        "The missing X-XSS-Protection header is irrelevant to modern browsers; the policy calls such findings FP "
        "always.",
    ],
    ("x-xss-protection", "present"): [
        "X-XSS-Protection is set to `{value}`; the header is obsolete (and `0` is even recommended), so its value "
        "does not matter.",
        "The response sends `X-XSS-Protection: {value}`. Findings about this obsolete header are FP always.",
    ],
    ("pragma-expires", "absent"): [
        "{header} is an HTTP/1.0 leftover; Cache-Control decides caching, so its absence is FP.",
        "A missing {header} header is never a finding: caching is governed by Cache-Control.",
    ],
    ("pragma-expires", "present"): [
        "{header} is present (`{value}`) and is an HTTP/1.0 leftover; Cache-Control decides caching.",
        "`{header}: {value}` is an obsolete caching header, and complaints about it are FP.",
    ],
    ("caching", "sensitive-storable"): [
        "The response is sensitive ({why}) and its caching headers (Cache-Control: {cache_control}) let a shared "
        "cache store it, since neither no-store nor private is set.",
        "Cache-Control is `{cache_control}`, without no-store or private, on a sensitive response: {why}.",
    ],
    ("caching", "not-storable"): [
        "Cache-Control is `{cache_control}`, which keeps shared caches from storing the response.",
        "The response already forbids shared caching (`{cache_control}`), so there is nothing to fix.",
    ],
    ("caching", "public"): [
        "The content at {path} is public (no login, account or personal data, no session cookie), so caching it "
        "is fine even with Cache-Control {cache_control}.",
        "Caching only matters for sensitive responses; {path} serves public content (Cache-Control: "
        "{cache_control}).",
    ],
    ("banner", "version"): [
        "The {header} header discloses a version number (`{value}`), which helps an attacker match known "
        "vulnerabilities.",
        "`{header}: {value}` includes a version, which the policy treats as a real banner leak.",
    ],
    ("banner", "product-only"): [
        "`{header}: {value}` names the product only, without a version number.",
        "The {header} banner is just `{value}`; a product name alone is FP under the policy.",
    ],
    ("cors", "wildcard-sensitive"): [
        "The response sends `Access-Control-Allow-Origin: *` while being sensitive ({why}).",
        "Any origin may read this response (ACAO `*`), and it is sensitive: {why}.",
    ],
    ("cors", "reflected-credentials"): [
        "The server reflects the request's Origin `{origin}` in Access-Control-Allow-Origin and adds "
        "Access-Control-Allow-Credentials: true, so any site can read authenticated responses.",
        "Origin `{origin}` is echoed back with credentials allowed, which is an exploitable CORS setup.",
    ],
    ("cors", "wildcard-public"): [
        "`Access-Control-Allow-Origin: *` is set, but the content is public and unauthenticated.",
        "A wildcard ACAO on public content (no login, account or personal data) is FP.",
    ],
    ("cors", "fixed-origin"): [
        "Access-Control-Allow-Origin names one fixed origin (`{value}`) rather than reflecting the request's Origin "
        "`{origin}`.",
        "The allowed origin is fixed to `{value}` and does not follow the attacker-controlled Origin header.",
    ],
    ("cookies", "httponly-missing"): [
        "`{set_cookie}` sets the session cookie {cookie} without HttpOnly, so scripts can steal it.",
        "The session cookie {cookie} lacks the HttpOnly flag (`Set-Cookie: {set_cookie}`).",
    ],
    ("cookies", "secure-missing"): [
        "{cookie} is a session cookie set without Secure (`{set_cookie}`) on a host that serves HTTPS, so it can "
        "leak over plain HTTP.",
        "The host serves HTTPS, yet the session cookie {cookie} has no Secure flag: `{set_cookie}`.",
    ],
    ("cookies", "samesite-missing"): [
        "The session cookie {cookie} has no SameSite attribute (`{set_cookie}`).",
        "`{set_cookie}` sets session cookie {cookie} without SameSite, which the policy requires on session "
        "cookies.",
    ],
    ("cookies", "claim-session"): [
        "The report names the session cookie {cookie} as lacking {flag}; its name marks it as a session cookie, so "
        "the missing flag matters.",
        "{cookie} is a session cookie by its name, and the scanner found it without {flag}.",
    ],
    ("cookies", "not-session"): [
        "{cookie} is not a session cookie but one that scripts must read (CSRF token, preference or analytics id), "
        "so missing {flag} is expected.",
        "The flagged cookie {cookie} carries no session; missing flags on such cookies are FP.",
    ],
    ("cookies", "flag-present"): [
        "The cookie already carries the {flag} attribute (`{set_cookie}`); attribute names are case-insensitive.",
        "`{set_cookie}` does include {flag}, so the scanner's claim does not hold.",
    ],
    ("cookies", "http-only-host"): [
        "The host is served only over plain HTTP (no https URL, redirect or link to it), so Secure on {cookie} "
        "would make the site unusable; the use of HTTP is what to report.",
        "Nothing in the exchange shows HTTPS on this host; a missing Secure flag on an HTTP-only host is FP.",
    ],
    ("plain-http", "serves"): [
        "The site serves an HTML page over plain HTTP (status {status}, {ctype}) without redirecting to HTTPS.",
        "This http:// URL answers with a {ctype} page instead of redirecting to HTTPS.",
    ],
    ("plain-http", "sets-cookies"): [
        "Over plain HTTP the response (status {status}) sets cookies ({cookies}) and does not redirect to HTTPS.",
        "This http:// response sets {cookies} in the clear instead of sending the client to HTTPS.",
    ],
    ("plain-http", "redirects"): [
        "The HTTP endpoint only redirects ({status}) to `{location}`, an HTTPS URL.",
        "Plain HTTP here just answers {status} with Location `{location}`, which is the correct upgrade to HTTPS.",
    ],
    ("certificate", "self-signed"): [
        "The certificate's subject and issuer are the same (`{issuer}`): it is self-signed.",
        "The server presents a self-signed certificate (issuer {issuer}).",
    ],
    ("certificate", "expired"): [
        "The certificate expired on {not_after}, before the scan date in the response.",
        "notAfter is {not_after}, which is in the past relative to the response's Date header.",
    ],
    ("certificate", "name-mismatch"): [
        "The certificate is issued for {names}, which does not match the host {host}.",
        "Host {host} is not covered by the certificate's names ({names}).",
    ],
    ("certificate", "valid"): [
        "The certificate is issued by {issuer}, is valid until {not_after} and matches {host}.",
        "Nothing is wrong with the certificate: a public CA ({issuer}) issued it for a name that covers {host}, "
        "and it has not expired.",
    ],
    ("certificate", "observed-self-signed"): [
        "The scanner observed that the certificate of {host} is self-signed (“{observation}”).",
        "The certificate presented by {host} is not signed by a trusted CA: “{observation}”.",
    ],
    ("certificate", "observed-expired"): [
        "The scanner observed an expired certificate on {host} (“{observation}”).",
        "“{observation}”: the certificate of {host} is no longer valid.",
    ],
    ("certificate", "observed-name-mismatch"): [
        "The certificate does not cover the requested host {host} (“{observation}”).",
        "“{observation}”: the certificate is for another name than {host}.",
    ],
    ("certificate", "observed-valid"): [
        "The observation “{observation}” does not make the certificate invalid: it is neither "
        "self-signed, expired nor issued for another name.",
        "“{observation}” describes a property the policy does not require of a valid certificate.",
    ],
    ("xss", "unencoded"): [
        "The payload `{attack}` appears verbatim in the {ctype} response, where it can break out of its context.",
        "Parameter {param} is reflected unencoded: the body contains `{attack}` exactly as sent.",
    ],
    ("xss", "encoded"): [
        "The payload `{attack}` is reflected only in encoded form, so it cannot break out of its context.",
        "The body echoes {param}, but the special characters of `{attack}` are escaped for their context.",
    ],
    ("xss", "json-nosniff"): [
        "The payload is reflected only in a JSON response served as application/json with "
        "X-Content-Type-Options: nosniff, which browsers will not render as HTML.",
        "Reflection happens in application/json with nosniff, which the policy treats as FP.",
    ],
    ("csrf", "no-token"): [
        "The form posting to {action} changes state and has no anti-CSRF token field, and no SameSite=Lax/Strict "
        "session cookie is set.",
        "A state-changing POST form ({action}) carries no anti-CSRF token, and nothing in the response sets a "
        "SameSite session cookie.",
    ],
    ("csrf", "empty-token"): [
        "The form to {action} has a {token} field, but its value is empty, and a token rendered empty protects "
        "nothing.",
        "The anti-CSRF field {token} in the {action} form is blank, so the form is effectively unprotected.",
    ],
    ("csrf", "token"): [
        "The form to {action} carries a non-empty anti-CSRF token in the hidden field {token}.",
        "A hidden {token} field with a value protects the {action} form.",
    ],
    ("csrf", "samesite"): [
        "The session cookie {cookie} is set with SameSite={samesite}, which stops cross-site form posts.",
        "Cross-site requests will not carry the session: {cookie} is SameSite={samesite}.",
    ],
    ("csrf", "no-state-change"): [
        "The flagged form ({method} {action}, fields {fields}) only searches or filters and changes nothing.",
        "This is a search/filter form ({method} {action}); forms that change no state need no anti-CSRF token.",
    ],
    ("csrf", "request-no-token"): [
        "The {method} to {action} changes state (it submits {fields}) and carries no anti-CSRF token, and no "
        "SameSite=Lax/Strict session cookie is in sight.",
        "The flagged request {method} {action} submits no anti-CSRF token, so a cross-site page can forge it.",
    ],
    ("csrf", "request-empty-token"): [
        "The {method} to {action} sends the token field {token} with an empty value, which protects nothing.",
        "Its anti-CSRF field {token} is submitted empty, so the request to {action} is effectively unprotected.",
    ],
    ("csrf", "request-token"): [
        "The {method} to {action} carries a non-empty anti-CSRF token ({token}) in its body.",
        "The submitted form data includes a real {token} value, so the request is protected.",
    ],
    ("csrf", "request-samesite"): [
        "The response sets the session cookie {cookie} with SameSite={samesite}, which keeps cross-site requests "
        "from carrying the session.",
        "With {cookie} set SameSite={samesite}, a forged cross-site {method} would arrive without the session.",
    ],
    ("csrf", "request-no-state-change"): [
        "The {method} to {action} only submits search or filter fields ({fields}) and changes nothing.",
        "This request ({fields}) searches or sorts; requests that change no state need no anti-CSRF token.",
    ],
    ("backup-file", "binary"): [
        "The probe for {path} returned status 200 with Content-Type {ctype}, an archive or binary file.",
        "{path} really is served: a {ctype} download, not the site's normal page.",
    ],
    ("backup-file", "source"): [
        "The body served at {path} is source code, configuration or a database dump (it contains `{marker}`).",
        "{path} returns the file itself: the body starts with `{marker}`.",
    ],
    ("backup-file", "normal-page"): [
        "For {path} the server answered 200 with an HTML page (\u201c{title}\u201d), its normal page, a listing "
        "or a soft-404, not the file.",
        "The 200 response to {path} is an ordinary {ctype} page, not an archive or source file.",
    ],
    ("server-error", "internals"): [
        "The {status} response body discloses internals (`{marker}`), e.g. a stack trace, file path or SQL.",
        "The error page leaks implementation details: it contains `{marker}`.",
    ],
    ("server-error", "generic"): [
        "The {status} response is a generic error page with no stack trace, path, SQL or debug output.",
        "The body of this {status} shows no internals, just a generic error message.",
    ],
    ("methods", "works"): [
        "The server accepted {method} and answered {status}, so the method really works on this resource.",
        "{method} succeeded with status {status}.",
    ],
    ("methods", "not-exercised"): [
        "The exchange is a plain {method} request; nothing shows TRACE, PUT or DELETE actually working on this "
        "resource, and a heuristic list of methods is not that.",
        "Only a {method} was sent here, so there is no evidence that any risky method really works.",
    ],
    ("methods", "refused"): [
        "The server refused {method} with status {status}.",
        "{method} is not honoured here: the answer is {status}, a refusal or redirect.",
    ],
}


FIX = {
    "hsts": ["The fix is to send `Strict-Transport-Security: max-age=31536000` (or longer) on every HTTPS response.",
             "Setting HSTS with a max-age of at least 180 days at the proxy or server would close it."],
    "csp": ["A policy like `default-src 'self'` (with nonces or hashes for inline scripts) would fix it.",
            "The page needs a CSP whose script sources exclude `*`, `data:` and bare 'unsafe-inline'."],
    "optional-headers": ["Either the missing header or a sound CSP (frame-ancestors for framing) resolves it.",
                         "Adding the header, or a script-restricting CSP, would address it."],
    "caching": ["Marking the response `Cache-Control: no-store` (or private) fixes it.",
                "Shared caches must be told not to keep it, e.g. with `Cache-Control: no-store`."],
    "banner": ["Removing the version from the banner (e.g. `server_tokens off`) fixes it.",
               "The header should name at most the product, not its version."],
    "cors": ["The server should allow only fixed, trusted origins here.",
             "Restricting Access-Control-Allow-Origin to known origins fixes it."],
    "cookies": ["The session cookie needs HttpOnly, Secure and SameSite.",
                "Setting the missing attribute on the session cookie fixes it."],
    "plain-http": ["The site should redirect every HTTP request to HTTPS.",
                   "Serving it only over HTTPS, with a redirect from HTTP, fixes it."],
    "certificate": ["A certificate from a trusted CA for this host name is needed.",
                    "Replacing it with a valid, trusted certificate fixes it."],
    "xss": ["Encoding the input for its output context fixes it.",
            "The value must be escaped for the context it lands in."],
    "csrf": ["The form needs a non-empty anti-CSRF token (or a SameSite=Lax/Strict session cookie).",
             "Adding a per-session anti-CSRF token to the form fixes it."],
    "backup-file": ["The file should be removed from the web root.",
                    "Deleting the file from the document root (and rotating any secrets in it) fixes it."],
    "server-error": ["Error pages should be generic in production, with details only in server logs.",
                     "Turning off debug output for production fixes it."],
    "methods": ["The server should refuse the method with 405 on this resource.",
                "Disabling the method on this resource fixes it."],
}
NOTE = ["The scanner's wording does not change what the exchange shows.",
        "The exchange, not the alert's severity or wording, decides this.",
        "Nothing in the response needs to change for this alert."]
SENTENCE = re.compile(r"(?<=[.!?])\s+(?=[A-Z`\u201c])")


class _Facts(dict):
    def __missing__(self, key):
        return "none"


def _fmt(template: str, facts: dict) -> str:
    return string.Formatter().vformat(template, (), _Facts({k: ("none" if v is None or v == "" else v)
                                                           for k, v in facts.items()}))


def write(verdict: Verdict, finding: dict, rng) -> str:
    facts = dict(verdict.facts)
    r = finding.get("response") or {}
    facts.setdefault("status", r.get("status"))
    facts.setdefault("url", finding.get("url"))
    facts.setdefault("ctype", next((v.split(";")[0] for k, v in r.get("headers") or [] if k.lower() == "content-type"),
                                   "no content type"))
    if isinstance(facts.get("fields"), list):
        facts["fields"] = ", ".join(facts["fields"])
    if isinstance(facts.get("cookies"), list):
        facts["cookies"] = ", ".join(facts["cookies"]) or "no cookies"
    facts.update(scanner=finding.get("scanner"), check=finding.get("check"), method=facts.get("method")
                 or finding.get("method"))
    parts = []
    roll = rng.random()
    if roll < 0.4:
        parts.append(_fmt(rng.choice(CLAIMS), facts))
    elif roll < 0.55:
        parts.append(_fmt(rng.choice(CLAIMS_BY_LABEL[verdict.label]), facts))
    parts.append(_fmt(rng.choice(EVIDENCE[(verdict.rule, verdict.reason)]), facts))
    parts.append(rng.choice(VERDICT[verdict.label]))
    extra = rng.choice(FIX.get(verdict.rule, NOTE)) if verdict.label == "TP" else rng.choice(NOTE)
    if rng.random() < 0.35 and len(SENTENCE.split(" ".join(parts + [extra]))) <= 4:
        parts.append(extra)
    return " ".join(parts)
