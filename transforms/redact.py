"""Credentials out of everything a person reads: manifests, logs, columns, messages.

A feed URL may carry a password (``https://user:pass@host/feed``) or a token
(``?api_key=...``), and Beam options may carry cloud keys
(``--s3_secret_access_key=...``). The output folder and the logs are read by
people who must not learn them, so they are replaced by ``***`` wherever
newsbeam writes them down, while the URL's scheme, host, path and harmless
parameters stay readable. Only what is written is redacted: the fetcher still
connects with the real credentials.

Pure functions of strings (no Beam, no I/O), so that every stage redacts the
same way and a redacted value is stable from run to run. Hand-written on the
standard library's ``re``: what counts as a credential is newsbeam's policy,
and the well-known secret scanners look for secrets in code, not for the names
of URL parameters and Beam options.
"""
from __future__ import annotations

import re
from typing import Any

MASK = "***"

# Name parts that say "credential" on their own ("api_key", "x-amz-signature", "pass").
_SECRET_WORDS = frozenset({
    "key", "keys", "apikey", "sig", "signature", "secret", "token", "auth", "jwt", "pass", "passwd", "password",
    "pwd", "credential", "credentials", "sessionid",
})
# Anywhere in a name ("x_amz_security_token", "client_secret", "s3_secret_access_key", "oauth_token").
_SECRET_PARTS = ("token", "secret", "passw", "apikey", "accesskey", "privatekey", "credential", "signature",
                 "connectionstring")
_WORD_SPLIT = re.compile(r"[^a-z0-9]+")

# scheme://userinfo@ : the userinfo runs to the last '@' before the path. A backslash ends it,
# so that a hostile 'http://169.254.169.254\@example.com/' stays visible in an error row.
_USERINFO = re.compile(r"(?P<scheme>\b[a-z][a-z0-9+.-]*://)(?P<userinfo>[^/?#\s\\@]*(?:@[^/?#\s\\@]*)*)@",
                       re.IGNORECASE)
# name=value where a URL query, a fragment, a list or a command line may start one.
_PAIR = re.compile(r"(?P<lead>^|[?&;#\s,(\[{'\"])(?P<name>[A-Za-z0-9_.~%+-]{1,100})=(?P<value>[^&;#\s'\"<>]*)")


def sensitive_name(name: str) -> bool:
    """Whether a URL parameter or Beam option of this name carries a credential."""
    flat = name.lower()
    words = [w for w in _WORD_SPLIT.split(flat) if w]
    squashed = "".join(words)
    return any(w in _SECRET_WORDS for w in words) or any(part in squashed for part in _SECRET_PARTS)


def redact_text(text: str) -> str:
    """``text`` with URL userinfo and the values of credential-named ``name=value`` pairs masked.

    Works on whole URLs and on free text that mentions them (exception messages, log
    lines, command lines); text without credentials comes back unchanged."""
    if not isinstance(text, str) or ("@" not in text and "=" not in text):
        return text
    text = _USERINFO.sub(lambda m: f"{m['scheme']}{MASK}@", text)
    return _PAIR.sub(_mask_pair, text)


def _mask_pair(match: re.Match) -> str:
    if not match["value"] or not sensitive_name(match["name"]):
        return match[0]
    return f"{match['lead']}{match['name']}={MASK}"


redact_url = redact_text  # a URL is text: one definition keeps rows, messages and logs consistent


def redact_argv(argv: list[str]) -> list[str]:
    """Command-line options with the values of credential-named ones masked,
    in both the ``--name=value`` and the ``--name value`` form."""
    redacted = []
    for i, item in enumerate(argv):
        previous = argv[i - 1] if i else ""
        if (previous.startswith("--") and "=" not in previous and sensitive_name(previous)
                and not item.startswith("--")):
            redacted.append(MASK)
        else:
            redacted.append(redact_text(item))
    return redacted


def redact_tree(value: Any, name: str = "") -> Any:
    """A JSON-like value with credentials masked: strings under credential-named keys
    entirely, every other string as :func:`redact_text` does. Numbers and booleans stay."""
    if isinstance(value, dict):
        return {key: redact_tree(item, str(key)) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [redact_tree(item, name) for item in value]
    if isinstance(value, str):
        return MASK if value and sensitive_name(name) else redact_text(value)
    return value
