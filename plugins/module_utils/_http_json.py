# -*- coding: utf-8 -*-
# Copyright (c) golive.readiness contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""GET JSON from a monitoring API (Prometheus, Alertmanager) within a check's time, with optional auth (private).

The requests go through http_endpoint's client, so connecting, the TLS handshake and reading the answer are
all bounded by the time the check has left, proxies are not used and redirects are not followed. Credentials
are sent but never shown: error messages are scrubbed of them in every form they take on the wire.
"""

from __future__ import annotations

import base64
import json
from urllib.parse import urlencode, urlsplit

from ansible_collections.golive.readiness.plugins.module_utils._caps import CapExceeded
from ansible_collections.golive.readiness.plugins.module_utils._check import (
    CheckError,
    OptionError,
    mask_url,
    secret_forms,
)
from ansible_collections.golive.readiness.plugins.module_utils._checks.http_endpoint import (
    ACCEPT_ENCODING,
    USER_AGENT,
    Client,
    Scrubber,
)

# The connection options both monitoring kinds accept (documented in each module).
CONNECTION_OPTIONS = dict(
    url=dict(type="str", required=True),
    validate_certs=dict(type="bool", default=True),
    ca_file=dict(type="path"),
    username=dict(type="str"),
    password=dict(type="str", no_log=True),
    bearer_token=dict(type="str", no_log=True),
)

# A target list of a large Prometheus runs to megabytes; anything beyond this is not an API answer we read.
MAX_BODY_BYTES = 64 * 1024 * 1024
SHOWN_TEXT_CHARS = 120


def base_url(value, allow_query=False):
    """The API's base URL without a trailing slash (or, ``allow_query``, a document's URL as given);
    OptionError unless it is a plain http(s) URL."""
    parts = urlsplit(value or "")
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise OptionError(f"url: {mask_url(value)!r} must be an http:// or https:// URL naming a host")
    try:
        port = parts.port
    except ValueError:
        raise OptionError(f"url: {mask_url(value)!r} has an invalid port") from None
    if port == 0:
        raise OptionError(f"url: {mask_url(value)!r} has an invalid port")
    if parts.username is not None:
        raise OptionError(f"url: {mask_url(value)!r} carries credentials; use username and password")
    if allow_query:
        if parts.fragment:
            raise OptionError(f"url: {mask_url(value)!r} must not have a fragment")
        return value
    if parts.query or parts.fragment:
        raise OptionError(f"url: {mask_url(value)!r} must not have a query or fragment (give the base URL, e.g. "
                          "https://prometheus.example.com:9090)")
    return value.rstrip("/")


def _authorization(item):
    if item.get("bearer_token") and (item.get("username") or item.get("password")):
        raise OptionError("bearer_token: give either bearer_token or username/password, not both")
    if item.get("password") and not item.get("username"):
        raise OptionError("password: only applies with username")
    if item.get("bearer_token"):
        return "Bearer " + item["bearer_token"]
    if item.get("username"):
        credentials = "{}:{}".format(item["username"], item.get("password") or "")
        return "Basic " + base64.b64encode(credentials.encode("utf-8")).decode("ascii")
    return None


def prepare_connection(item, allow_query=False):
    """The connection part of a plan, validated (no I/O)."""
    url = base_url(item.get("url"), allow_query)
    if item.get("ca_file") and item.get("validate_certs") is False:
        raise OptionError("ca_file: only applies when validate_certs is true")
    if item.get("ca_file") and urlsplit(url).scheme != "https":
        raise OptionError("ca_file: only applies to an https:// url")
    authorization = _authorization(item)
    secrets = set()
    for value in (item.get("password"), item.get("bearer_token"), authorization):
        if value:
            secrets.update(secret_forms(value))  # the wire forms too: base64, URL-encoded
    return dict(url=url, validate_certs=item.get("validate_certs") is not False, ca_file=item.get("ca_file"),
                authorization=authorization,
                secrets=sorted(set(s for s in secrets if len(s) >= 4), key=len, reverse=True))


class JsonApi(object):
    """GETs of one API, together bounded by ``budget`` seconds."""

    def __init__(self, connection, budget, max_body_bytes=MAX_BODY_BYTES, cap_name="MAX_BODY_BYTES"):
        self.connection = connection
        self.max_body_bytes = max_body_bytes
        self.cap_name = cap_name
        self.scrub = Scrubber(connection["secrets"])
        # The client reads these keys of an http_endpoint plan; no client certificate, no secret headers to
        # strip on redirects (none are followed).
        client_plan = dict(validate_certs=connection["validate_certs"], ca_file=connection["ca_file"],
                           client_cert=None, client_key=None, max_body_bytes=max_body_bytes, secret_headers={})
        self.client = Client(client_plan, budget)

    def url(self, path, query=None):
        return self.connection["url"] + path + ("?" + urlencode(query) if query else "")

    def get(self, path, query=None, accept="application/json"):
        """The Response to GET ``path``; CheckError (scrubbed) when there is none."""
        headers = {"User-Agent": USER_AGENT, "Accept": accept, "Accept-Encoding": ACCEPT_ENCODING}
        if self.connection["authorization"]:
            headers["Authorization"] = self.connection["authorization"]
        try:
            response = self.client.exchange("GET", self.url(path, query), headers)
        except CheckError as exc:
            raise CheckError(self.scrub(str(exc))) from None
        if response.truncated:
            raise CapExceeded(f"{path or mask_url(self.connection['url'])}: the answer", self.max_body_bytes,
                              self.cap_name)
        return response

    def get_json(self, path, query=None):
        """The decoded JSON answer to GET ``path``, which must be 200; CheckError otherwise."""
        response = self.get(path, query)
        if response.status != 200:
            raise CheckError(f"{path} answered HTTP {response.status} {response.reason}: {self.shown_text(response)}")
        try:
            return json.loads(response.text())
        except ValueError:
            raise CheckError(f"{path} did not answer JSON: {self.shown_text(response)}") from None

    def shown_text(self, response):
        """The start of a body, on one line and scrubbed, for error messages."""
        text = " ".join(response.text().split()) or "(empty body)"
        if len(text) > SHOWN_TEXT_CHARS:
            text = text[:SHOWN_TEXT_CHARS] + "\u2026"
        return self.scrub(text)
