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
BOOLISH = re.compile(r"^(?:true|false|yes|no|on|off|enabled?|disabled?|always|never)$", re.I)
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
SECRET_STORE_KEY = re.compile(r"(?:data_?bag|vault|secret_?store|keyring)(?:_name|_item)?$", re.I)
HEX_ID = re.compile(r"^(?:0x)?[0-9A-Fa-f]{8,40}$")  # a GPG key id or fingerprint: public, identifies a key
FUNCTION_OF_LITERAL = re.compile(r"\w+\(\s*['\"][^'\"]+['\"]\s*\)")

# --- comments ------------------------------------------------------------------------------------------
COMMENT = re.compile(r"^\s*(?:#|//|/\*|\*|--|<!--|;)")
STRONG_MARK = re.compile(r"\b(?:TODO|FIXME|HACK|XXX|TBD)\b")
MARK_ANY_CASE = re.compile(r"\b(?:todo|fixme|hack|xxx|to-?do|bug)\b\s*[:(!-]", re.I)
MARK_AT_START = re.compile(r"^[\s#/*;@-]*(?:@\w+\s+)?(?:todo|fixme|hack|xxx|bug|to-?do)\b", re.I)
DEFECT = re.compile(r"\b(?:hack|hacks|hacky|bug|bugs|buggy|work ?around|kludge|broken|ugly)\b", re.I)
KNOWN_WEAKNESS = re.compile(r"\b(?:known (?:bug|issue)|work ?around|until|ugly|hack\w*|broken|due to|kludge|"
                            r"when\b.{0,80}\b(?:is|are|gets?|has been) (?:addressed|fixed|resolved|merged|released)|"
                            r"temporar\w*|(?:this|that|some|known) (?:issue|problem|bug)s?)\b", re.I)
KEYWORDS = re.compile(r"bug|debug|todo|to-do|to_do|fix|issue|problem|solve|hack|ticket|later|incorrect|xxx", re.I)
WHOLE_KEYWORD = re.compile(r"\b(?:bugs?|todos?|to-do|fix(?:es|ed)?|issues?|problems?|solve[sd]?|solving|hacks?|"
                           r"tickets?|later|incorrect|xxx|fixme|debug)\b", re.I)
TRACKER = re.compile(r"https?://\S*(?:bugs?\.|bugzilla|/issues?/|/browse/|show_bug|/\+bug/|tickets?\.|/jira/|/pull/|"
                     r"/merge_requests/)", re.I)

MISSING_WORK = re.compile(
    r"\b(?:to be (?:implemented|done|added|written|completed|fixed)|not (?:yet |currently )?(?:implemented|supported|"
    r"handled|done)(?! by)|unimplemented|left (?:out|unimplemented)|work in progress|for now|"
    r"(?:intentionally|deliberately|on purpose|purposely)\b[^.;]{0,40}?\b(?:omit\w*|skip\w*|left|not|disabled?)|"
    r"(?:omit\w*|skipp?\w*|left out|disabled?) (?:intentionally|deliberately|on purpose|for now)|won'?t fix|"
    r"(?:will |we )?needs? to (?:be )?(?:fix|implement|support|handl|add)\w*)", re.I)
DEBUG_SETTING = re.compile(r"\b(?:debug\w*|verbos\w*)\b", re.I)

# --- URLs ----------------------------------------------------------------------------------------------
HTTP_URL = re.compile(r"http://([^/\s'\"\\)>,;]*)([^\s'\"\\)>,;]*)", re.I)
LOCAL_HOST = re.compile(r"^(?:localhost|127\.\d+\.\d+\.\d+|0\.0\.0\.0|\[::1\]|::1|ip6-localhost)(?::\d+)?$", re.I)
EXAMPLE_HOST = re.compile(r"(?:^|\.)(?:example\.(?:com|org|net)|example|test|invalid|localdomain)(?::\d+)?$", re.I)
NAMESPACE = re.compile(r"xmlns|namespace|(?:^|\.)w3\.org$|schemas?\.|/xml/ns|/POM/|/xml\b|/ns/|"
                       r"/schema|/XMLSchema|/dtd|xmlsoap\.org|java\.sun\.com/xml|/xsd", re.I)
PROTOCOL_HTTP = re.compile(r"(?:proto\w*|scheme|transport)['\"]?\s*(?:=>|:|=|\s)\s*['\"]?http['\"]?\s*,?\s*$", re.I)
REWRITE = re.compile(r"https://|\b(?:regexp|replace|g?sub!?|rewrite\w*|redirect\w*|return\s+30[12]|R=30[12])\b", re.I)

# --- weak crypto ---------------------------------------------------------------------------------------
WEAK = re.compile(r"md5|sha-?1\b|sha1", re.I)
CIPHER_EXCLUSION = re.compile(r"[!-](?:md5|sha1)\b", re.I)
WEAK_IN_NAME = re.compile(r"[a-z0-9](?:md5|sha1)|(?:md5|sha1)[a-z0-9]|(?:md5|sha1)_(?!crypt)|_(?:md5|sha1)\b", re.I)
SECURITY_USE = re.compile(r"checksum|digest|verify|\bsum\b|sha1sum|md5sum|passw|passwd|htpasswd|crypt|auth|pg_hba|"
                          r"\bmethod\b|password_hash|hash\(|hexdigest|openssl|mechanism|signature|\bsig\b|\bhmac\b", re.I)
ALGORITHM_LIST = re.compile(r"[\w@.+!-]+(?:[,:][\w@.+!-]+)+")  # "hmac-sha2-512,hmac-sha1", "HIGH:!MD5"
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


RUBY_PATH = re.compile(r"^\s*[A-Za-z_][\w.]*(?:\s*\[[^\]]*\])+\s*(?:\|\|=|=)(?!=|>|~)\s*(?P<value>.*?)[,;]?\s*$")


def key_value(line: str) -> tuple[str, str]:
    """The key and value of an assignment-like line (YAML ``k: v``, Ruby ``k v``/``k = v``, Puppet ``k => v``).

    For a Ruby attribute path (``default['app']['db']['password'] = v``, ``default[:app][:user] = v``) the key
    is the last subscript.
    """
    code, _ = split_comment(line)
    path = RUBY_PATH.match(code)
    if path:
        subscripts = SUBSCRIPT.findall(code[: path.start("value")])
        if subscripts:
            return subscripts[-1], path.group("value")
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
        # The catalogue's secrets are passwords, private keys and tokens: a public key or certificate is made
        # to be handed out (an authorized_keys entry, a CA bundle), so writing it into a script hides nothing.
        return [("secret:public_key", -1)]
    key, value = key_value(line)
    bare = _strip_quotes(value)
    if value.strip().startswith("!vault") or REFERENCE.search(value):
        return [("secret:reference", -1)]
    if SECRET_STORE_KEY.search(key):
        return [("secret:store_name", -1)]  # names the data bag or vault that holds the secrets: a reference
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
    if key.lower() in ("name", "user", "login") and _literal(value, s.tech) and " " not in bare.strip() \
            and any(_credential_partner(ln, s.tech) for ln in s.before + s.after):
        # the ``name`` of an account resource (mysql_user, user) beside its literal password: a login pair
        return [("secret:user_with_literal_password", +1)]
    if HEX_ID.match(bare):
        return [("secret:fingerprint", -1)]
    if re.search(r"public", key, re.I):
        return [("secret:public_key", -1)]
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
    if MISSING_WORK.search(line):  # "TO BE IMPLEMENTED", "not supported yet", "left out on purpose"
        return [("comment:missing_functionality", +1)]
    if TRACKER.search(line):
        prose = TRACKER.sub(" ", line)
        if KNOWN_WEAKNESS.search(prose):  # "workaround for <link>", "until <link> is fixed": a known defect here
            return [("comment:known_weakness", +1)]
        return [("comment:tracker_link", -1)]
    if DEFECT.search(line):
        return [("comment:defect_word", +1)]
    if DEBUG_SETTING.search(line) and {w.lower() for w in WHOLE_KEYWORD.findall(line)} <= {"debug"}:
        return [("comment:debug_setting", -1)]  # describes a debug/verbose switch: no defect, nothing missing
    if KNOWN_WEAKNESS.search(line) and WHOLE_KEYWORD.search(line):  # "fix ... until", "solve this issue"
        return [("comment:known_weakness", +1)]
    if KEYWORDS.search(line) and not WHOLE_KEYWORD.search(line):
        return [("comment:keyword_in_word", -1)]
    return [("comment:prose", -1)]


def _http_evidence(s: Snippet) -> list[tuple[str, int]]:
    line = s.line
    urls = HTTP_URL.findall(line)
    if not urls:
        code = split_comment(line)[0]
        if PROTOCOL_HTTP.search(code):
            return [("http:protocol_http", +1)]  # "protocol: http" chooses plain HTTP without writing a URL
        # A host name without a scheme ("www.example.org") or a word containing "http" says nothing about
        # which protocol is used: the catalogue's smell is a URL or endpoint that uses plain HTTP.
        return [("http:no_scheme", -1)]
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
    if _weak_in_algorithm_list(line):
        return [("crypto:weak_algorithm_enabled", +1)]
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


def _weak_in_algorithm_list(line: str) -> bool:
    """A list of algorithms (an sshd ``MACs``/``Ciphers``/``KexAlgorithms`` value, a TLS cipher string) that
    enables MD5 or SHA-1 among others: the weak one is offered to every peer, so it is in use."""
    for items in ALGORITHM_LIST.findall(split_comment(line)[0]):
        parts = [p for p in re.split(r"[,:]", items) if p]
        if len(parts) >= 2 and not HEX_ID.match(parts[-1]) and any(
                WEAK.search(p) and p[0] not in "!-" and not CACHE.search(p) for p in parts):
            return True
    return False


# --- the smells GLITCH is rarely wrong about ------------------------------------------------------------
# Each judge keeps a finding with a stated reason when the catalogue's meaning is met, filters it only for a
# reason the catalogue gives (a template blank, a URL path, a verified download, ...), and says nothing when
# it cannot tell: then the model's smell bias (these smells are real in most findings) decides. Because
# GLITCH is so rarely wrong about these smells, real data holds almost no false positives of them and the
# model learns a strong "keep"; a filtering reason here says the smell's definition is not met at all (the
# default branch is there, the checksum is given, no account is named), so it counts double.
DEFINITIONAL = 2
PARAMETER = re.compile(r"^\s*(?:[A-Z][\w:]*(?:\[[^\]]*\])?\s+)?\$\w+\s*=")  # Puppet "[Type] $name = default"
CHEF_ATTRIBUTE = re.compile(r"^\s*(?:default|normal|override|set)\b\s*(?:\[|\.)")
EMPTY_STRING = re.compile(r"^(?:''|\"\")$")
UNSET = re.compile(r"^(?:undef|nil|none|null|~)$", re.I)


def _blank_neighbour(line: str) -> bool:
    key, value = key_value(line.strip().lstrip("#").strip())  # a commented-out slot counts too
    return bool(key) and bool(SECRET_KEY.search(key)) and _strip_quotes(value).strip() in ("", "''", '""')


def _empty_password_evidence(s: Snippet) -> list[tuple[str, int]]:
    code = split_comment(s.line)[0]
    key, value = key_value(code)
    bare = _strip_quotes(value).strip()
    if REFERENCE.search(value):
        return [("empty:reference", -DEFINITIONAL)]  # the value comes from elsewhere: GLITCH saw an empty default of it
    if value.strip() == "" and code.rstrip().endswith(":") and not code.lstrip().startswith("-"):
        # "galera_root_password:" with nothing after it is a slot of a secrets template: a generator or the
        # operator fills it before use (the catalogue: a placeholder, not a password in use).
        blanks = sum(_blank_neighbour(ln) for ln in s.before + s.after)
        variable = bool(re.match(r"^\w+_\w+$", key))  # "galera_root_password", not a module's "password"
        return [("empty:template_blank", -DEFINITIONAL)] if blanks or variable else [("empty:blank_value", 0)]
    if UNSET.match(bare) and (PARAMETER.match(code) or CHEF_ATTRIBUTE.match(code)):
        # "$redis_password = undef": a parameter left unset (no password option is written), not an empty string
        return [("empty:unset_default", -DEFINITIONAL)]
    if EMPTY_STRING.match(value.strip()) or (bare == "" and value.strip() != ""):
        if PARAMETER.match(code) or CHEF_ATTRIBUTE.match(code):
            return [("empty:empty_default", +1)]  # used as it is unless a caller overrides it: an empty password
        return [("empty:empty_string", +1)]  # an empty password passed to a user, database or service
    return []


ADMIN_NAME = re.compile(r"^(?:root|admin|administrator|superuser|sa|postgres|sysadmin|system|sys|"
                        r"enterprisedb|dba|wheel)$", re.I)
ADMIN_URL = re.compile(r"https?://\S*admin|/admin\b|\badmin[_-]?(?:url|uri|endpoint|port|interface|path|api|"
                       r"address|host|bind\w*|listen\w*|state\w*|protocol|network|vip|token_url)\b", re.I)
INTERFACE_KEY = re.compile(r"(?:^|[_\W])(?:interface|endpoint)$", re.I)  # keystone's admin interface
ACCOUNT_KEY = re.compile(r"(?:^|[_\W])(?:user(?:name)?|owner|group|login|account|role|become_user|run_as|runas|"
                         r"remote_user|admin_user|uid|gid|superuser|db_user|tenant|project)(?:$|[_\W])|^user$", re.I)


def _admin_evidence(s: Snippet) -> list[tuple[str, int]]:
    code = split_comment(s.line)[0]
    key, value = key_value(code)
    bare = _strip_quotes(value).strip()
    if REFERENCE.search(value) and not ADMIN_NAME.match(bare):
        return [("admin:reference", -DEFINITIONAL)]
    if INTERFACE_KEY.search(key) or (ADMIN_URL.search(code) and not ADMIN_NAME.match(bare)):
        return [("admin:url_or_interface", -DEFINITIONAL)]  # "admin" names an endpoint or a path, not an account
    if re.match(r"^[\w.+-]+@[\w-]+(?:\.[\w-]+)*$", bare):
        return [("admin:email_address", -DEFINITIONAL)]  # "root@localhost" as a ServerAdmin contact, no account
    if ADMIN_NAME.match(bare) or re.search(r"\b(?:root|admin|administrators?|superuser)\b", bare, re.I):
        if ACCOUNT_KEY.search(key) or not key:
            return [("admin:admin_account", +1)]  # a process, file or login runs as an administrator
        return [("admin:admin_value", +1)]
    return []


ANY_ADDRESS = re.compile(r"(?<![\d.])0\.0\.0\.0(?![\d.])|(?<![\w:])::(?![\w:])|\[::\]")
CIDR_ANY = re.compile(r"(?<![\d.])0\.0\.0\.0/0\b|(?<![\w:])::/0\b")
ALLOW_LIST_KEY = re.compile(r"allow|permit|source|src|cidr|network|subnet|whitelist|trusted|acl|from|ranges?|"
                            r"route|destination|dest\b|mask|prefix", re.I)
BIND_KEY = re.compile(r"bind|listen|host|address|addr|interface|ip\b|_ip$|server", re.I)


def _bind_evidence(s: Snippet) -> list[tuple[str, int]]:
    code = split_comment(s.line)[0]
    key, value = key_value(code)
    if not ANY_ADDRESS.search(code) and REFERENCE.search(value):
        return [("bind:reference", -DEFINITIONAL)]
    if CIDR_ANY.search(code) or (ALLOW_LIST_KEY.search(key) and not BIND_KEY.search(key)):
        # 0.0.0.0/0 in a firewall rule or a route is a range of peers, not an address a service listens on
        return [("bind:cidr_or_allow_list", -DEFINITIONAL)]
    if ANY_ADDRESS.search(code):
        return [("bind:all_interfaces", +1)]
    return []


CHECKSUM_GIVEN = re.compile(r"\b(?:checksum|sha\d+sum|sha\d+|md5sum|digest|signature|gpg_?key|gpgkey|"
                            r"verify_checksum|checksum_url|checksum_value|checksum_type|hash)\b\s*(?:=>|:|=|\s)"
                            r"\s*['\"]?(?!false|no\b|none|undef|nil|''|\"\")\S", re.I)
CHECKSUM_URL = re.compile(r"\.(?:sha\d+|md5|sha\d+sum|md5sum|asc|sig|gpg)\b['\"]?", re.I)
CHECK_DISABLED = re.compile(r"\b(?:gpgcheck|gpg_check|repo_gpgcheck|disable_gpg_check|validate_checksum|"
                            r"verify_checksum|check_signature|allow_unauthenticated|allow_downgrade|nogpgcheck|"
                            r"--no-check-certificate|--nogpgcheck|--allow-unauthenticated|skip_verify|insecure)\b",
                            re.I)
NOT_A_DOWNLOAD = re.compile(r"^\s*(?:get_checksum|get_md5|get_mime|get_attributes|checksum_algorithm)\s*:", re.I)
PACKAGE_MANAGER = re.compile(r"\b(?:apt|yum|dnf|zypper|package|pip|gem|npm|apk|portage|pacman|homebrew)\b", re.I)


def _integrity_evidence(s: Snippet) -> list[tuple[str, int]]:
    code = split_comment(s.line)[0]
    around = [split_comment(ln)[0] for ln in s.before + s.after]
    if NOT_A_DOWNLOAD.match(code):
        return [("integrity:not_a_download", -DEFINITIONAL)]  # ``stat``'s get_checksum: whether to hash a local file
    if CHECK_DISABLED.search(code):
        return [("integrity:check_disabled", +1)]  # a check that would verify the content is switched off
    if CHECKSUM_URL.search(code) or any(CHECKSUM_GIVEN.search(ln) for ln in [code] + around):
        return [("integrity:checksum_given", -DEFINITIONAL)]  # the download is verified against a checksum or signature
    if PACKAGE_MANAGER.search(code) and not re.search(r"https?://|\.(?:deb|rpm|tar|tgz|zip|gz|whl)\b", code):
        return [("integrity:package_manager", -DEFINITIONAL)]  # the package manager verifies signed repositories
    if re.search(r"https?://|ftp://|\b(?:get_url|remote_file|archive|wget|curl|download)\b", " ".join([code] + around)):
        return [("integrity:download_unverified", +1)]
    return []


CASE_START = re.compile(r"^\s*(?:case\b|\$?\w+\s*\?\s*\{|.*\?\s*\{\s*$)")
CASE_DEFAULT = re.compile(r"^\s*(?:else\b|default\s*(?::|=>)|'?default'?\s*(?::|=>))")


def _case_evidence(s: Snippet) -> list[tuple[str, int]]:
    if not re.search(r"\bcase\b|\?\s*\{", s.line):
        return []
    for ln in s.after:
        body = split_comment(ln)[0]
        if CASE_DEFAULT.match(body):
            return [("case:has_default", -DEFINITIONAL)]
        if re.match(r"^\s*(?:end\b|\})", body):
            return [("case:no_default", +1)]  # the case closes without a default branch
    return []  # the case runs past the lines we see: no reason either way


PERMISSIVE_MODE = re.compile(r"['\"]?0?[0-7]?77[67]['\"]?|\b[augo]*a[+=]r?w|\bo\+w|\bugo\+rwx|777", re.I)


def _permission_evidence(s: Snippet) -> list[tuple[str, int]]:
    if PERMISSIVE_MODE.search(split_comment(s.line)[0]):
        return [("mode:world_writable", +1)]
    return []


EVIDENCE = {"hard_coded_secret": _secret_evidence, "suspicious_comment": _comment_evidence,
            "use_of_http": _http_evidence, "weak_cryptography_algorithms": _crypto_evidence,
            "empty_password": _empty_password_evidence, "admin_by_default": _admin_evidence,
            "invalid_ip_address_binding": _bind_evidence, "no_integrity_check": _integrity_evidence,
            "missing_default_case": _case_evidence, "full_permission_filesystem": _permission_evidence}


def evidence(s: Snippet) -> list[tuple[str, int]]:
    """The catalogue's reasons about this snippet, each with a sign: +1 (a real problem), -1 (GLITCH was
    wrong; -2 where the smell's definition is not met at all), or 0 (a distinction worth a feature, on which
    the catalogue and the labels do not agree)."""
    judge = EVIDENCE.get(s.smell)
    return judge(s) if judge else []
