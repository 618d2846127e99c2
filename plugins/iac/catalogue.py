"""What the smell catalogue says about a flagged line, as evidence for the features model.

Rahman et al.'s catalogue (the meaning of each smell, ``../shared/data/glitch-findings/README.md``) decides
many findings at a glance: a reference is not a hard-coded secret, an XML namespace is never fetched, ``!MD5``
in a cipher list excludes MD5. ``evidence(snippet)`` returns those judgements as named reasons with a sign
(+1: the catalogue says a real problem; -1: it says GLITCH was wrong). The features model adds them to its
logit as a prior (``prior_weight`` times the sum) and learns the rest from data, so data can still overrule
a reason where labellers consistently disagree with it.
"""

from __future__ import annotations

import re

from iacfilter.findings import Snippet

# --- values --------------------------------------------------------------------------------------------
ASSIGN = re.compile(
    r"^\s*(?:-\s+)?(?P<key>(?:[\w$:.\[\]'\"-]+?(?:\s+\$[\w:]+)?)|(?:[A-Za-z]+\[[^\]]*\]\s+\$[\w:]+))"
    r"\s*(?P<op>=>|:|=|\s)\s*(?P<value>.*?)[,;]?\s*$")
REFERENCE = re.compile(
    r"\{\{|\{%|\$\{|#\{|%\{|<%|^\$[A-Za-z_:]|\s\$[A-Za-z_:{]|\(\$|\blookup\(|\bhiera\w*\(|\bnode\[|\bnode\.|"
    r"\bdata_bag(?:_item)?\b|\bchef_vault_item\b|EncryptedDataBagItem|\bENV\[|\benv\[|\bnew_resource\.|"
    r"\bparams\[|\bfacts\[|\$facts|\bepp\(|\btemplate\(|\bvault\b|!vault|\bsecrets\[|\bcreds\[|\bgetvar\(|"
    r"\bpick\(|\bvar\.|\bfile\(|\bget_\w+|\bsecrets?\.|\bitem\.|\bhostvars\b|\blookup\b|\bpassword_hash\(", re.I)
PLACEHOLDER_NAME = re.compile(r"^[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+$|^[A-Z]{4,}$")  # UNSET, FROM_SECRET: a name, not a value
# A stand-in for a value, not a value (a weak literal like "password" or "changeme" is still a hard-coded password).
PLACEHOLDER = re.compile(r"^(?:<[^>]*>|x{3,}|\*{3,}|\.{3}|your[_-]\w*|replace[_-]?me|todo|tbd|unset|not.?set|"
                         r"example\w*|dummy|placeholder|\{\s*\w+\s*\})$", re.I)
NULLISH = re.compile(r"^(?:undef|nil|none|null|~|''|\"\"|\[\]|\{\}|)$", re.I)
BOOLISH = re.compile(r"^(?:true|false|yes|no|on|off|enabled?|disabled?|always|never|on_create)$", re.I)
NUMBER = re.compile(r"^-?\d+(?:\.\d+)?$")
PATHISH = re.compile(r"^(?:/|~/|\./|\.\./|[A-Za-z]:\\|puppet:///|file://)|\.(?:pem|key|crt|cert|cer|pub|p12|pfx|"
                     r"keytab|jks|keystore|asc|gpg|der|csr)$|_file$", re.I)
PEM = re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----")
PUBLIC_KEY = re.compile(r"-----BEGIN (?:CERTIFICATE|PUBLIC KEY|[A-Z ]*PUBLIC KEY)-----|\bssh-(?:rsa|ed25519|dss)\s+AAAA|"
                        r"\becdsa-sha2-\w+\s+AAAA")
SECRET_KEY = re.compile(r"(?<!proxy_)(?<!by)(?<!com)pass(?!enger|_?through|ive)|pwd|secret|token|credential|api.?key|private.?key|access.?key|auth.?key|"
                        r"(?:^|[_\W])pw(?:$|[_\W])", re.I)
USER_KEY = re.compile(r"(?:^|[_\W])(?:user(?:name)?|login|owner|account|admin.?user|uid)(?:$|[_\W])|become_user|"
                      r"run_as|runas", re.I)
POLICY_KEY = re.compile(r"(?:^|[_\W])(?:min|max|minimum|maximum|minlen|maxlen|minlength|maxlength|mindays|maxdays|"
                        r"minage|maxage|maxrepeat|difok|length|len|age|days|expir\w*|retries|retry|lockout|complexity|"
                        r"remember|history|algorithm|authentication|[dulo]?credit|policy|strength|warn\w*|minclass)"
                        r"(?:$|[_\W])", re.I)
POLICY_VALUE = re.compile(r"^[A-Za-z_]+\s+-?\d+$")  # "PASS_MAX_DAYS   90" written as a line of a config file
IDENTIFIER_KEY = re.compile(r"(?:^|[_\W])(?:name|id|uuid|fsuuid|label|type|url|uri|host|port|region)$", re.I)
NAME_KEY = re.compile(r"^(?:name|description|desc|msg|message|comment|title|label|tags?)$", re.I)
HASH_NAME = re.compile(r"^(?:sha\d+|md5|sha|bcrypt|scrypt|argon2\w*|pbkdf2\w*|yescrypt|des|blowfish)$", re.I)
PATH_KEY = re.compile(r"(?:_|\b)(?:path|file|dir|location|src|dest)(?:_|\b)", re.I)
HEX_ID = re.compile(r"^(?:0x)?[0-9A-Fa-f]{8,40}$")  # a GPG key id or fingerprint: public, identifies a key
FUNCTION_OF_LITERAL = re.compile(r"\w+\(\s*['\"][^'\"]+['\"]\s*\)")

# --- comments ------------------------------------------------------------------------------------------
COMMENT = re.compile(r"^\s*(?:#|//|/\*|\*|--|<!--|;)")
STRONG_MARK = re.compile(r"\b(?:TODO|FIXME|HACK|XXX|TBD)\b")
MARK_ANY_CASE = re.compile(r"\b(?:todo|fixme|hack|xxx|to-?do|bug)\b\s*[:(!-]", re.I)
MARK_AT_START = re.compile(r"^[\s#/*;@-]*(?:@\w+\s+)?(?:todo|fixme|hack|xxx|bug|to-?do)\b", re.I)
DEFECT = re.compile(r"\b(?:hack|hacks|hacky|bug|bugs|buggy|work ?around|kludge|broken|ugly)\b", re.I)
KNOWN_WEAKNESS = re.compile(r"\b(?:known (?:bug|issue)|work ?around|until|ugly|hack\w*|broken|due to|kludge|"
                            r"temporar\w*|(?:this|that|some|known) (?:issue|problem|bug)s?)\b", re.I)
KEYWORDS = re.compile(r"bug|debug|todo|to-do|to_do|fix|issue|problem|solve|hack|ticket|later|incorrect|xxx", re.I)
WHOLE_KEYWORD = re.compile(r"\b(?:bugs?|todos?|to-do|fix(?:es|ed)?|issues?|problems?|solve[sd]?|solving|hacks?|"
                           r"tickets?|later|incorrect|xxx|fixme|debug)\b", re.I)
TRACKER = re.compile(r"https?://\S*(?:bugs?\.|bugzilla|/issues?/|/browse/|show_bug|/\+bug/|tickets?\.|/jira/|/pull/|"
                     r"/merge_requests/)", re.I)

# --- URLs ----------------------------------------------------------------------------------------------
HTTP_URL = re.compile(r"http://([^/\s'\"\\)>,;]*)([^\s'\"\\)>,;]*)", re.I)
LOCAL_HOST = re.compile(r"^(?:localhost|127\.\d+\.\d+\.\d+|0\.0\.0\.0|\[::1\]|::1|ip6-localhost)(?::\d+)?$", re.I)
EXAMPLE_HOST = re.compile(r"(?:^|\.)(?:example\.(?:com|org|net)|example|test|invalid|localdomain)(?::\d+)?$", re.I)
NAMESPACE = re.compile(r"xmlns|namespace|(?:^|\.)w3\.org$|(?:^|\.)purl\.org$|schemas?\.|/xml/ns|/POM/|/xml\b|/ns/|"
                       r"/schema|/XMLSchema|/dtd|xmlsoap\.org|java\.sun\.com/xml|/xsd", re.I)
REWRITE = re.compile(r"https://|\b(?:regexp|replace|g?sub!?|rewrite\w*|redirect\w*|return\s+30[12]|R=30[12])\b", re.I)

# --- weak crypto ---------------------------------------------------------------------------------------
WEAK = re.compile(r"md5|sha-?1\b|sha1", re.I)
CIPHER_EXCLUSION = re.compile(r"[!-](?:md5|sha1)\b", re.I)
WEAK_IN_NAME = re.compile(r"[a-z0-9](?:md5|sha1)|(?:md5|sha1)[a-z0-9]|(?:md5|sha1)_(?!crypt)|_(?:md5|sha1)\b", re.I)
SECURITY_USE = re.compile(r"checksum|digest|verify|\bsum\b|sha1sum|md5sum|passw|passwd|htpasswd|crypt|auth|pg_hba|"
                          r"\bmethod\b|password_hash|hash\(|hexdigest|openssl|mechanism|signature|\bsig\b|\bhmac\b", re.I)
CACHE = re.compile(r"cache|etag|fingerprint_name|\bid\b|uniq|bucket|shard", re.I)


def _strip_quotes(value: str) -> str:
    value = value.strip().rstrip(",;").strip()
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
        return value[1:-1]
    return value


def split_comment(line: str) -> tuple[str, str]:
    """The code of a line and its trailing comment (a ``#`` after whitespace, outside quotes)."""
    quote = None
    for i, ch in enumerate(line):
        if quote:
            if ch == quote:
                quote = None
        elif ch in "'\"":
            quote = ch
        elif ch == "#" and (i == 0 or line[i - 1] in " \t") and not line[i + 1 : i + 2] == "{":
            return line[:i].rstrip(), line[i:]
    return line, ""


SUBSCRIPT = re.compile(r"\[\s*:?['\"]?([\w-]+)['\"]?\s*\]")


def key_value(line: str) -> tuple[str, str]:
    """The key and value of an assignment-like line (YAML ``k: v``, Ruby ``k v``/``k = v``, Puppet ``k => v``).

    For a Ruby attribute path (``default['app']['db']['password'] = v``) the key is the last subscript.
    """
    code, _ = split_comment(line)
    m = ASSIGN.match(code)
    if not m:
        return "", code
    key = m.group("key").strip("'\" ")
    subscripts = SUBSCRIPT.findall(key)
    if subscripts:
        key = subscripts[-1]
    return key, m.group("value")


def _literal(value: str, tech: str) -> bool:
    """Is the value a literal (not a reference, not empty)?"""
    bare = _strip_quotes(value)
    if not bare or NULLISH.match(bare) or REFERENCE.search(value):
        return False
    quoted = value.strip()[:1] in "'\""
    if tech == "chef" and not quoted and not FUNCTION_OF_LITERAL.search(value):
        return False  # an unquoted Ruby value is an expression (a method, a variable), not a string
    return True


def _secret_evidence(s: Snippet) -> list[tuple[str, int]]:
    line = s.line
    if PEM.search(line):
        return [("secret:inline_key", +1)]
    if PUBLIC_KEY.search(line):
        return [("secret:public_key", 0)]  # not a secret by the catalogue, but labellers disagree: data decide
    key, value = key_value(line)
    bare = _strip_quotes(value)
    if value.strip().startswith("!vault") or REFERENCE.search(value):
        return [("secret:reference", -1)]
    if NULLISH.match(bare.strip()):
        return [("secret:empty", -1)]
    if tech_expression(s.tech, value):
        return [("secret:expression", -1)]
    if PATHISH.search(bare) or (PATH_KEY.search(key) and "/" in bare):
        return [("secret:path", -1)]
    if POLICY_KEY.search(key) or NUMBER.match(bare) or BOOLISH.match(bare) or HASH_NAME.match(bare) \
            or (POLICY_VALUE.match(bare) and POLICY_KEY.search(bare.split()[0])):
        return [("secret:policy_or_setting", -1)]
    if PLACEHOLDER.match(bare.strip()) or PLACEHOLDER_NAME.match(bare.strip()):
        return [("secret:placeholder", -1)]
    last = re.split(r"[_\W]+", key.strip("$").lower())[-1] if key else ""
    if USER_KEY.search(key) and (not SECRET_KEY.search(key) or USER_KEY.search(f"_{last}_")):
        partner = any(_credential_partner(ln, s.tech) for ln in s.before + s.after)
        return [("secret:user_with_literal_password", +1)] if partner else [("secret:user_alone", -1)]
    if SECRET_KEY.search(key) and _literal(value, s.tech):
        return [("secret:literal", +1)]
    if HEX_ID.match(bare):
        return [("secret:fingerprint", -1)]
    if re.search(r"public", key, re.I):
        return [("secret:public_key", 0)]
    if IDENTIFIER_KEY.search(key):
        return [("secret:identifier", -1)]
    if re.search(r"(?:^|[_\W])key$", key, re.I) and _literal(value, s.tech) and len(bare) >= 12 \
            and re.search(r"\d", bare) and re.search(r"[A-Za-z]", bare) and " " not in bare:
        return [("secret:literal_key", +1)]
    return []


def tech_expression(tech: str, value: str) -> bool:
    v = value.strip()
    return tech == "chef" and bool(v) and v[0] not in "'\"%[{:-0123456789" and not FUNCTION_OF_LITERAL.search(v) \
        and bool(re.match(r"^[A-Za-z_][\w.:]*(?:\[|\.|\(|\s|$)", v)) and not BOOLISH.match(v) and not NULLISH.match(v)


def _credential_partner(line: str, tech: str) -> bool:
    key, value = key_value(line.strip())
    bare = _strip_quotes(value)
    return bool(key) and bool(SECRET_KEY.search(key)) and not POLICY_KEY.search(key) and _literal(value, tech) \
        and not PATHISH.search(bare) and not PLACEHOLDER.match(bare) and not PLACEHOLDER_NAME.match(bare) and not NUMBER.match(bare) \
        and not BOOLISH.match(bare)


def _comment_evidence(s: Snippet) -> list[tuple[str, int]]:
    line = s.line
    if not COMMENT.match(line):
        line = split_comment(line)[1]  # a trailing comment
        if not line:
            return []
    if STRONG_MARK.search(line) or MARK_ANY_CASE.search(line) or MARK_AT_START.search(line):
        return [("comment:marker", +1)]
    if TRACKER.search(line):
        prose = TRACKER.sub(" ", line)
        if KNOWN_WEAKNESS.search(prose):  # "workaround for <link>", "until <link> is fixed": a known defect here
            return [("comment:known_weakness", +1)]
        return [("comment:tracker_link", -1)]
    if DEFECT.search(line):
        return [("comment:defect_word", +1)]
    if KNOWN_WEAKNESS.search(line) and WHOLE_KEYWORD.search(line):  # "fix ... until", "solve this issue"
        return [("comment:known_weakness", +1)]
    if KEYWORDS.search(line) and not WHOLE_KEYWORD.search(line):
        return [("comment:keyword_in_word", -1)]
    return [("comment:prose", -1)]


def _http_evidence(s: Snippet) -> list[tuple[str, int]]:
    line = s.line
    urls = HTTP_URL.findall(line)
    if not urls:
        return []
    hosts = [h.lower() for h, _ in urls]
    if REWRITE.search(line) or any(h in ("", "$host", "$http_host", "$server_name", "%{http_host}") for h in hosts):
        return [("http:rewrite", -1)]
    if all(LOCAL_HOST.match(h) for h in hosts):
        return [("http:local", -1)]
    if NAMESPACE.search(line) or all(path.endswith("#") for _, path in urls):
        return [("http:namespace", -1)]
    if all(EXAMPLE_HOST.search(h) for h in hosts):
        return [("http:documentation_domain", -1)]
    return [("http:remote", +1)]


def _crypto_evidence(s: Snippet) -> list[tuple[str, int]]:
    line = s.line
    if not WEAK.search(line):
        return []
    if CIPHER_EXCLUSION.search(line) and not re.search(r"(?<![!-])\b(?:md5|sha1)\b", line, re.I):
        return [("crypto:cipher_exclusion", -1)]
    if CACHE.search(line):
        return [("crypto:cache_key", -1)]
    if NAME_KEY.match(key_value(line)[0]):
        return [("crypto:name", -1)]
    if SECURITY_USE.search(line) or re.search(r"\b(?:md5|sha1)\b", _strip_quotes(key_value(line)[1]), re.I) \
            and SECURITY_USE.search(" ".join(s.before + s.after)):
        return [("crypto:security_use", +1)]
    if WEAK_IN_NAME.search(line):
        return [("crypto:name", -1)]
    return []


EVIDENCE = {"hard_coded_secret": _secret_evidence, "suspicious_comment": _comment_evidence,
            "use_of_http": _http_evidence, "weak_cryptography_algorithms": _crypto_evidence}


def evidence(s: Snippet) -> list[tuple[str, int]]:
    """The catalogue's reasons about this snippet, each +1 (real problem), -1 (GLITCH was wrong) or 0 (a
    distinction worth a feature, on which the catalogue and the labels do not agree)."""
    judge = EVIDENCE.get(s.smell)
    return judge(s) if judge else []
