# -*- coding: utf-8 -*-
# Copyright (c) golive.readiness contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Read-only requests to an S3-compatible object store, signed with AWS Signature Version 4 (private).

Only the standard library signs (hmac, hashlib), so neither the probe nor a managed host needs boto3. The
requests go through http_endpoint's client: connecting, the TLS handshake and reading each answer are bounded
by the time the check has left, no proxy is used and no redirect is followed. The secret key, the session
token and the signature never appear in a message: errors are scrubbed of every form they take.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import time
from typing import NamedTuple
from urllib.parse import quote, urlsplit
from xml.etree import ElementTree

from ansible_collections.golive.readiness.plugins.module_utils._caps import CapExceeded
from ansible_collections.golive.readiness.plugins.module_utils._check import (
    CheckError,
    OptionError,
    mask_url,
    secret_forms,
)
from ansible_collections.golive.readiness.plugins.module_utils._checks.http_endpoint import (
    USER_AGENT,
    Client,
    Scrubber,
)
from ansible_collections.golive.readiness.plugins.module_utils._evidence import Evidence, parse_xml

EMPTY_PAYLOAD_SHA256 = hashlib.sha256(b"").hexdigest()
# S3 bucket names: 3-63 lower-case letters, digits, dots and hyphens, starting and ending with a letter or digit.
_BUCKET = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
_REGION = re.compile(r"^[a-z0-9-]{1,40}$")
_SHOWN_MESSAGE_CHARS = 160


class Location(NamedTuple):
    """Where an item's objects are: the bucket and the key prefix of ``s3://bucket/prefix``."""

    bucket: str
    prefix: str


class S3Answer(NamedTuple):
    status: int
    headers: dict  # lower-case names
    body: bytes


def parse_location(value: str | None) -> Location:
    """The bucket and prefix of an ``s3://bucket/prefix`` URL; OptionError when it is not one."""
    parts = urlsplit(value or "")
    if parts.scheme != "s3" or not parts.netloc:
        raise OptionError(f"url: {mask_url(value)!r} must be s3://BUCKET or s3://BUCKET/PREFIX")
    if parts.query or parts.fragment or "@" in parts.netloc:
        raise OptionError(f"url: {mask_url(value)!r} must be s3://BUCKET/PREFIX without credentials (use "
                          "access_key_id and secret_access_key), query or fragment")
    if not _BUCKET.match(parts.netloc):
        raise OptionError(f"url: {parts.netloc!r} is not an S3 bucket name (3-63 lower-case letters, digits, dots "
                          "and hyphens)")
    return Location(parts.netloc, parts.path.lstrip("/"))


def prepare_endpoint(item: dict, bucket: str) -> dict:
    """The connection part of a plan (no I/O): where requests go, how they are addressed and signed."""
    region = item.get("region") or "us-east-1"
    if not _REGION.match(region):
        raise OptionError(f"region: {region!r} is not a region name (us-east-1, eu-central-1, ...)")
    endpoint = item.get("endpoint_url") or f"https://s3.{region}.amazonaws.com"
    parts = urlsplit(endpoint)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise OptionError(f"endpoint_url: {endpoint!r} must be an http:// or https:// URL naming a host")
    if parts.username is not None or parts.query or parts.fragment or parts.path not in ("", "/"):
        raise OptionError(f"endpoint_url: {endpoint!r} must be the service's base URL only (scheme, host, port)")
    try:
        port = parts.port
    except ValueError:
        port = 0
    if port == 0:
        raise OptionError(f"endpoint_url: {endpoint!r} has an invalid port")
    style = item.get("addressing_style") or "auto"
    if style == "auto":
        # Virtual-hosted names with dots break the wildcard certificate; custom endpoints (MinIO, Ceph) are
        # mostly addressed by path.
        style = "virtual" if not item.get("endpoint_url") and "." not in bucket else "path"
    access_key, secret_key = item.get("access_key_id"), item.get("secret_access_key")
    if bool(access_key) != bool(secret_key):
        raise OptionError("access_key_id/secret_access_key: give both (signed requests) or neither (anonymous)")
    if item.get("session_token") and not access_key:
        raise OptionError("session_token: only applies with access_key_id and secret_access_key")
    if item.get("ca_file") and item.get("validate_certs") is False:
        raise OptionError("ca_file: only applies when validate_certs is true")
    secrets: set[str] = set()
    for value in (secret_key, item.get("session_token")):
        if value:
            secrets.update(secret_forms(value))
    return dict(scheme=parts.scheme, host=parts.hostname, port=port, style=style, region=region,
                access_key=access_key, secret_key=secret_key, session_token=item.get("session_token"),
                validate_certs=item.get("validate_certs") is not False, ca_file=item.get("ca_file"),
                secrets=sorted((s for s in secrets if len(s) >= 4), key=len, reverse=True))


# --- Signature Version 4 ------------------------------------------------------------------------

def _encode(text: str, safe: str = "-_.~") -> str:
    return quote(text, safe=safe)


def canonical_query(query: dict) -> str:
    """The query as SigV4 canonicalises it (and as it is sent): sorted, every name and value encoded."""
    return "&".join(f"{_encode(name)}={_encode(value)}" for name, value in sorted(query.items()))


def _hmac(key: bytes, text: str) -> bytes:
    return hmac.new(key, text.encode("utf-8"), hashlib.sha256).digest()


def signing_key(secret_key: str, date: str, region: str) -> bytes:
    key = _hmac(("AWS4" + secret_key).encode("utf-8"), date)
    return _hmac(_hmac(_hmac(key, region), "s3"), "aws4_request")


def authorization(endpoint: dict, method: str, path: str, query: str, headers: dict, amz_date: str) -> str:
    """The Authorization header of a request whose ``headers`` (lower-case names) are all signed."""
    names = sorted(headers)
    canonical = "\n".join([method, path, query, "".join(f"{name}:{headers[name].strip()}\n" for name in names),
                           ";".join(names), headers["x-amz-content-sha256"]])
    scope = f"{amz_date[:8]}/{endpoint['region']}/s3/aws4_request"
    to_sign = "\n".join(["AWS4-HMAC-SHA256", amz_date, scope, hashlib.sha256(canonical.encode("utf-8")).hexdigest()])
    signature = hmac.new(signing_key(endpoint["secret_key"], amz_date[:8], endpoint["region"]),
                         to_sign.encode("utf-8"), hashlib.sha256).hexdigest()
    return (f"AWS4-HMAC-SHA256 Credential={endpoint['access_key']}/{scope}, SignedHeaders={';'.join(names)}, "
            f"Signature={signature}")


# --- requests -----------------------------------------------------------------------------------

class Bucket(object):
    """Signed read-only requests to one bucket, together bounded by ``budget`` seconds and each answer by
    ``max_body_bytes`` (``cap_name`` names that cap in the error)."""

    def __init__(self, endpoint: dict, bucket: str, budget: float, max_body_bytes: int, cap_name: str) -> None:
        self.endpoint = endpoint
        self.bucket = bucket
        self.max_body_bytes = max_body_bytes
        self.cap_name = cap_name
        self.scrub = Scrubber(endpoint["secrets"])
        self.client = Client(dict(validate_certs=endpoint["validate_certs"], ca_file=endpoint["ca_file"],
                                  client_cert=None, client_key=None, max_body_bytes=max_body_bytes,
                                  secret_headers={}), budget)

    def _host(self) -> str:
        host = self.endpoint["host"]
        if self.endpoint["style"] == "virtual":
            host = f"{self.bucket}.{host}"
        if ":" in host:
            host = f"[{host}]"
        default = 443 if self.endpoint["scheme"] == "https" else 80
        port = self.endpoint["port"]
        return host if port in (None, default) else f"{host}:{port}"

    def _path(self, key: str) -> str:
        prefix = "" if self.endpoint["style"] == "virtual" else "/" + self.bucket
        return prefix + "/" + _encode(key, safe="-_.~/") if key or prefix else "/"

    def request(self, method: str, key: str = "", query: dict | None = None) -> S3Answer:
        """One request; CheckError (scrubbed) when there is no answer."""
        host, path, query_text = self._host(), self._path(key), canonical_query(query or {})
        signed = {"host": host, "x-amz-content-sha256": EMPTY_PAYLOAD_SHA256}
        if self.endpoint["access_key"]:
            amz_date = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
            signed["x-amz-date"] = amz_date
            if self.endpoint["session_token"]:
                signed["x-amz-security-token"] = self.endpoint["session_token"]
            signed["authorization"] = authorization(self.endpoint, method, path, query_text, signed, amz_date)
        headers = {"Host": host, "User-Agent": USER_AGENT, "Accept-Encoding": "identity"}
        headers.update((name, value) for name, value in signed.items() if name != "host")
        url = f"{self.endpoint['scheme']}://{host}{path}" + (f"?{query_text}" if query_text else "")
        try:
            response = self.client.exchange(method, url, headers)
        except CheckError as exc:
            raise CheckError(self.scrub(str(exc))) from None
        if response.truncated:
            raise CapExceeded(f"the answer to {method} {self._shown(key)}", self.max_body_bytes, self.cap_name)
        return S3Answer(response.status, {name.lower(): value for name, value in response.headers}, response.body)

    def _shown(self, key: str) -> str:
        return f"s3://{self.bucket}/{key}"

    def xml(self, answer: S3Answer, what: str) -> ElementTree.Element:
        """The answer's XML document, namespaces dropped from the tags."""
        root = parse_xml(Evidence(what, answer.body, None), "an S3 XML answer")
        for element in root.iter():
            if isinstance(element.tag, str) and "}" in element.tag:
                element.tag = element.tag.split("}", 1)[1]
        return root

    def failure(self, answer: S3Answer, what: str) -> CheckError:
        """The error of an answer that is not 200: its S3 error code and message when it has them."""
        return CheckError(f"{what} answered HTTP {answer.status}{self.error_text(answer)}")

    def error_code(self, answer: S3Answer) -> str | None:
        if not answer.body.lstrip().startswith(b"<"):
            return None
        try:
            return self.xml(answer, "error").findtext("Code")
        except CheckError:
            return None

    def error_text(self, answer: S3Answer) -> str:
        code = self.error_code(answer)
        if code is None:
            return ""
        message = " ".join((self.xml(answer, "error").findtext("Message") or "").split())
        if len(message) > _SHOWN_MESSAGE_CHARS:
            message = message[:_SHOWN_MESSAGE_CHARS] + "\u2026"
        return self.scrub(f" {code}" + (f": {message}" if message else ""))
