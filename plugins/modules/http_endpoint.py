#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) golive.readiness contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: http_endpoint
short_description: Check an HTTP(S) endpoint's status, latency, body and security posture
version_added: 0.1.0
description:
  - Sends a request to each URL and checks the answer's status code, latency, body (regular
    expressions, JMESPath assertions on JSON) and headers. The same item can check the endpoint's
    security posture, each part independently, each reported in C(observed) and C(expected) -
    redirect from http to https, HSTS, required and forbidden headers, CORS, that the URL refuses
    unauthenticated requests, that an unknown path answers 404, and (opt-in) rate limiting.
  - A check's status is the worst of its findings. An endpoint that cannot be asked at all (refused
    connection, unknown host, TLS verification failure, a server that accepts the connection and
    never answers) is C(error), naming the reason; C(timed out ...) comes within the check's
    I(timeout). When the main request succeeds but one of the extra posture requests cannot be made,
    that part alone is C(error).
  - Redirects are not followed unless I(follow_redirects) is set; then at most 10 are, and only to
    the URL's own host (or O(checks[].server_name)) and the hosts of O(checks[].redirect_hosts). Credentials
    (I(secret_headers), C(Authorization), C(Cookie)) follow a redirect only to the same host name,
    never from https down to http.
  - >-
    Any ordinary server's answer is read - HTTP/1.0, C(Connection: close), keep-alive, chunked, and
    gzip or deflate bodies (the request says C(Accept-Encoding: gzip, deflate) unless O(checks[].headers)
    sets it), which are decoded. Connecting, the TLS handshake, the headers and the body together take
    at most the check's I(timeout).
  - At most I(max_body_bytes) of a (decoded) body are read. Proxy environment variables are not used; the
    probe host connects to the endpoint directly.
  - Endpoint check; it runs on the probe host (by default the controller) with the Python standard
    library; I(json_query) needs the C(jmespath) Python library there. Checks only read, but the
    request is sent as given, so only use methods that change nothing (C(GET), C(HEAD), or a
    C(POST) to a search or dry-run API). Many endpoints in one call run concurrently (I(max_workers)).
author: golive.readiness contributors (@golive-readiness)
extends_documentation_fragment:
  - golive.readiness.check_item
requirements:
  - jmespath (on the probe host, only for I(json_query))
options:
  checks:
    description:
      - The endpoints to check, one item each.
      - An item's C(id) defaults to C(http_endpoint:<METHOD> <url>), the url with its password masked.
      - Its C(title) defaults to C(HTTP <METHOD> <url>).
      - An item's C(timeout) is the time limit of this check, all its requests together.
      # BEGIN generated: kind defaults (scripts/generate; do not edit by hand)
      - A C(http_endpoint) item defaults to section V(application) and severity V(high).
      # END generated: kind defaults
    type: list
    elements: dict
    required: true
    suboptions:
      url:
        description:
          - The C(http://) or C(https://) URL to request.
          - A C(user:password@) in it is sent as Basic authentication and masked in the id, title and
            results; prefer I(secret_headers), because the URL itself is not a C(no_log) option.
        type: str
        required: true
      method:
        description: The HTTP method. It must not change anything on the server.
        type: str
        default: GET
      headers:
        description:
          - Request headers, shown in the results. Put credentials in I(secret_headers).
          - Headers that carry credentials are treated as I(secret_headers) even when given here -
            C(Authorization), C(Proxy-Authorization), C(Cookie), C(X-Api-Key) and any name containing
            C(token), C(secret) or C(key) (case-insensitive) - so their values are never shown.
        type: dict
      secret_headers:
        description:
          - Request headers carrying credentials (C(Authorization), API keys). Sent with every request
            of the check except the one of I(expect_unauthenticated); C(no_log), shown masked, and
            scrubbed from anything the results show of a response.
        type: dict
      body:
        description:
          - Request body as text. Not with I(json).
          - Never shown - a request body often carries credentials - nor anything an endpoint echoes
            of it. The invocation shows it as C(VALUE_SPECIFIED_IN_NO_LOG_PARAMETER). Unlike a C(no_log)
            option, a body's short values (numbers, V(true), texts under 4 characters) are not masked
            everywhere in the output, which would mask every such number of the results.
        type: str
      json:
        description:
          - Request body as JSON (C(Content-Type application/json) unless I(headers) set one). Not with I(body).
          - Never shown, like O(checks[].body); the body as sent and its texts of 4 characters or more are
            masked wherever they appear in the output.
        type: raw
      status:
        description:
          - The status code, or list of codes, that pass.
          - When not set, C(200); with I(require_https_redirect) and without I(follow_redirects) the
            redirect itself is the expected answer, and no other status is checked.
        type: raw
      latency_warn_above:
        description:
          - Warn when the request takes longer than this duration (V(500ms), V(2s)), measured from
            opening the connection to the end of the body read, redirects followed included.
        type: raw
      latency_fail_above:
        description: Fail when the request takes longer than this duration.
        type: raw
      body_regex:
        description: Regular expression the body must match (searched, multi-line).
        type: str
      body_not_regex:
        description: Regular expression the body must not match (searched, multi-line).
        type: str
      json_query:
        description:
          - Assertions on the body parsed as JSON. Each item is a JMESPath I(query) and one or more
            assertions on its result; all must hold. A body that is not JSON, or bigger than
            I(max_body_bytes), is reported as C(error).
        type: list
        elements: dict
        suboptions:
          query:
            description: A JMESPath expression, such as V(db.ok).
            type: str
            required: true
          # BEGIN generated: json_query assertions (scripts/generate; do not edit by hand)
          equals:
            description: The result must equal this value (a JSON boolean never equals a number).
            type: raw
          matches:
            description:
              - Regular expression the result must match (searched). A result that is not a string is
                matched in its JSON form.
            type: str
          min:
            description: The result must be a number not below this.
            type: float
          max:
            description: The result must be a number not above this.
            type: float
          length:
            description: The result must be a list, object or string of exactly this length.
            type: int
          truthy:
            description:
              - V(true) - the result must be truthy (not null, false, 0, empty); V(false) - it must be
                falsy.
            type: bool
          # END generated: json_query assertions
      ca_file:
        description: PEM file of the CAs to trust instead of the system's, for C(https) URLs.
        type: path
      client_cert:
        description: PEM file of a client certificate (with its key, unless I(client_key) is given), for mutual TLS.
        type: path
      client_key:
        description: PEM file of the key of I(client_cert).
        type: path
      validate_certs:
        description:
          - Verify the server's certificate and name. A failure is C(error), naming the reason.
          - V(false) only for endpoints whose certificate another check (M(golive.readiness.verify)
            with C(tls_certificate)) already covers.
        type: bool
        default: true
      server_name:
        description:
          - The server's name, for probing one node by address behind a name-based certificate or
            virtual host - C(url=https://10.0.0.7/health) with C(server_name=shop.example.com).
          - Sent as the TLS SNI name, checked against the certificate (with O(checks[].validate_certs)), and
            sent as the C(Host) header of every request to the URL's host. Not with a C(Host) header
            in O(checks[].headers).
          - A followed redirect to this name stays on the node the URL names (its address), as a redirect to
            the URL's own host does; the name is not resolved.
        type: str
      follow_redirects:
        description:
          - Follow redirects (at most 10) and judge the final answer. Without it a redirect is the answer.
          - A redirect to another host is not followed unless O(checks[].redirect_hosts) lists it; the
            check then fails naming the redirect's target.
        type: bool
        default: false
      redirect_hosts:
        description:
          - With O(checks[].follow_redirects), the other hosts (DNS names or IP addresses, no port) a redirect may
            go to, such as a login or CDN host. The URL's own host and O(checks[].server_name) are always
            allowed.
        type: list
        elements: str
      max_body_bytes:
        description:
          - The most of a body that is read, as a size (V(64KB), V(1MiB)) or bytes; it bounds the
            probe's memory. A gzip or deflate body counts decoded.
          - A longer body is cut there. What the cut part cannot decide is C(error) naming the cap -
            O(checks[].json_query), or a O(checks[].body_regex) or O(checks[].body_not_regex) whose pattern is not in
            the part read.
        type: raw
        default: 1MiB
      require_https_redirect:
        description:
          - For an C(http://) URL - it must answer 301 or 308 with a C(Location) on C(https://) of the
            same host name and path (the port may differ).
          - With I(follow_redirects) the other options then judge the final https answer.
        type: bool
        default: false
      allow_temporary_redirect:
        description: With I(require_https_redirect), also accept 302 and 307.
        type: bool
        default: false
      hsts_min_age:
        description:
          - The final answer, over https, must carry C(Strict-Transport-Security) with a C(max-age) of
            at least this duration (V(180d)) or number of seconds. C(includeSubDomains) and C(preload)
            are reported in C(observed.hsts).
        type: raw
      required_headers:
        description:
          - Response headers that must be present, as a list of names, or a dict of name to a regular
            expression the value must match (an empty one means present).
        type: raw
      forbidden_headers:
        description:
          - Response headers that must not be sent, as a list of names (V([X-Powered-By])), or a dict
            of name to a regular expression the value must not match (the regular expression V(\\d) for C(Server)
            forbids a C(Server) header carrying a version).
        type: raw
      cors_allowed_origin:
        description:
          - An origin (V(https://shop.example.com)) that must be allowed - a request carrying it in
            C(Origin) must get it back in C(Access-Control-Allow-Origin) (or C(*)).
        type: str
      cors_forbidden_origin:
        description:
          - A foreign origin that must not be allowed - a request carrying it must not get it (or
            C(null)) back in C(Access-Control-Allow-Origin), nor C(*) together with
            C(Access-Control-Allow-Credentials true).
        type: str
      expect_unauthenticated:
        description:
          - The URL is protected - a request sent without I(secret_headers) (and without the URL's
            user and password) must get one of these status codes.
          - V(true) means V([401, 403]); a code or list of codes sets them. The request does not
            follow redirects, so add V(302) when a login page is the answer.
        type: raw
      expect_not_found_path:
        description:
          - A path on the same host (V(/definitely-not-here)) that must answer 404, proving that
            unknown URLs are not served as pages (a "soft 404" hides broken links and probes).
        type: str
      rate_limit:
        description:
          - Opt-in - a burst of at most I(max_requests) sequential requests like the main one, which
            must meet I(expect_status) within the burst; C(observed.rate_limit) tells after how many.
          - It runs last, after the check's other requests, which count against the server's limit too.
          - It consumes the probe's allowance at the server - do not point it at an endpoint whose limit real
            users share with the probe host.
        type: dict
        suboptions:
          max_requests:
            description: The most requests the burst sends (1-1000). Required.
            type: int
          expect_status:
            description: The status of a limited answer.
            type: int
            default: 429
      # BEGIN generated: item options (scripts/generate; do not edit by hand)
      id:
        description:
          - Result id, unique within a host; waivers and reports refer to it.
          - Its default is given in the description of O(checks).
        type: str
      title:
        description: Human title; its default is given in the description of O(checks).
        type: str
      section:
        description:
          - Checklist section of this check; defaults to the module's O(section), else the kind's (see
            O(checks)).
        type: str
      severity:
        description: Severity of this check; defaults to the module's O(severity), else the kind's (see O(checks)).
        type: str
        choices: [critical, high, medium, low]
      timeout:
        description:
          - Time limit of this check, as a duration (V(10s), V(500ms), V(2m)) or seconds; defaults to the module's
            O(timeout).
          - What it bounds besides the check itself, if anything, is said in the description of O(checks).
        type: raw
      target:
        description: Inventory host this check is about, when it runs from another (probe) host.
        type: str
      hint:
        description:
          - What to do when this check does not pass (a runbook step, a command, a link), at most 1000 characters.
          - Carried in the result and shown beside the check in the HTML, Markdown and JUnit reports when it
            warns, fails or errs.
        type: str
      contact:
        description:
          - Who acts when this check does not pass (a team, a person, a channel), at most 200 characters.
          - Carried in the result and shown beside the check, with O(checks[].hint), when it warns, fails or errs.
        type: str
      # END generated: item options
seealso:
  - module: golive.readiness.verify
  - module: ansible.builtin.uri
"""

EXAMPLES = r"""
- name: The API is healthy and fast, its database too
  golive.readiness.http_endpoint:
    checks:
      - url: https://api.example.com/health
        latency_warn_above: 300ms
        latency_fail_above: 2s
        json_query:
          - query: status
            equals: healthy
          - query: db.ok
            equals: true

- name: Security posture of the shop
  golive.readiness.http_endpoint:
    checks:
      - url: http://shop.example.com/
        require_https_redirect: true
      - url: https://shop.example.com/
        hsts_min_age: 180d
        required_headers:
          X-Content-Type-Options: ^nosniff$
          Content-Security-Policy: ""
        forbidden_headers:
          Server: '\d'
          X-Powered-By: ""
        expect_not_found_path: /definitely-not-here
      - url: https://api.example.com/v1/orders
        secret_headers:
          Authorization: "Bearer {{ api_probe_token }}"
        expect_unauthenticated: true
        cors_allowed_origin: https://shop.example.com
        cors_forbidden_origin: https://evil.example.net

- name: The login endpoint is rate limited
  golive.readiness.http_endpoint:
    checks:
      - url: https://api.example.com/v1/login
        method: POST
        json: {user: golive-probe, password: wrong}
        status: 401
        rate_limit:
          max_requests: 30
"""

RETURN = r"""
golive_checks:
  description:
    - One record per endpoint, in the order of O(checks).
    - C(observed) holds C(request) (method, url, headers; secret headers masked), C(status), C(reason),
      C(headers) of the answer (cookies masked), C(body_bytes) (bytes), C(body_truncated), C(body) (its first
      200 characters), C(redirects) and C(final_url) when redirects were followed, C(latency) (seconds, the
      value graded) and C(latency_ms) (the same in ms), C(assertions) (body regexes and JSON queries with their
      C(actual) results), and per posture option C(https_redirect), C(hsts) and C(hsts_max_age) (seconds),
      C(unauthenticated_status), C(not_found), C(cors_allowed_origin), C(cors_forbidden_origin), C(rate_limit)
      (C(burst), C(limited_after), C(check_requests_before), C(statuses), C(retry_after)).
    - C(expected) holds C(status) (the accepted codes), the C(latency) levels when set, the regular
      expressions, C(json_query), C(required_headers) and C(forbidden_headers) as given, the C(hsts_max_age)
      level, and what each posture option expects.
    - Secret header values never appear, not even when a server echoes them back.
  returned: always
  type: list
  elements: dict
  sample:
    - id: http_endpoint:GET https://shop.example.com/healthz
      kind: http_endpoint
      section: application
      title: HTTP GET https://shop.example.com/healthz
      status: pass
      severity: high
      summary: >-
        status 200; latency 84ms (warn > 500ms, fail > 2s); 1 of 1 body assertions hold; HSTS max-age 365d;
        includeSubDomains
      observed:
        request: {method: GET, url: 'https://shop.example.com/healthz', headers: {Authorization: '****'}}
        status: 200
        reason: OK
        headers: {Content-Type: application/json, Strict-Transport-Security: max-age=31536000; includeSubDomains}
        body_bytes: {value: 16, unit: bytes}
        body_truncated: false
        body: '{"status": "ok"}'
        latency: {value: 0.084, unit: seconds}
        latency_ms: {value: 84, unit: ms}
        assertions: [{assertion: 'body matches /"status": *"ok"/', passed: true}]
        hsts: {max_age: 31536000, include_subdomains: true, preload: false}
        hsts_max_age: {value: 31536000, unit: seconds}
      expected:
        status: [200]
        latency: {warn: {above: 0.5}, fail: {above: 2.0}, unit: seconds}
        body_regex: '"status": *"ok"'
        hsts_max_age: {fail: {below: 31536000}, unit: seconds}
      duration_ms: 91
  contains:
    # BEGIN generated: record fields (scripts/generate; do not edit by hand)
    id:
      description: Stable identifier of the check, unique within a host; waivers refer to it.
      returned: always
      type: str
    kind:
      description: The check kind (the module's name).
      returned: always
      type: str
    section:
      description: Checklist section.
      returned: always
      type: str
    title:
      description: Human title.
      returned: always
      type: str
    status:
      description: V(pass), V(warn), V(fail), V(error) (could not be evaluated) or V(skipped).
      returned: always
      type: str
    severity:
      description: V(critical), V(high), V(medium) or V(low).
      returned: always
      type: str
    summary:
      description: One line saying what was observed against what was expected.
      returned: always
      type: str
    observed:
      description:
        - Measured values by name (what each kind measures is listed in the description of RV(golive_checks)).
        - A number with a unit is C({value, unit}) (units V(bytes), V(seconds), V(ms), V(percent), V(count), V(ratio),
          V(days)); texts, lists and flags are plain; secrets only masked.
      returned: always
      type: dict
    expected:
      description:
        - 'What each observed value was held against, under the same name: levels
          C({warn: {below|above: n}, fail: {...}, unit}), a quantity, or a plain value. Empty when nothing was graded.'
      returned: always
      type: dict
    duration_ms:
      description:
        - How long the check took, in milliseconds.
        - With O(wait), from its first round's start to its last round's end, pauses included.
      returned: always
      type: int
    rounds:
      description:
        - How many times the check ran while the call waited (O(wait)); V(1) when it passed, warned or was
          skipped at once, V(0) when the call's deadline came before it could start. Its other fields are
          its last round's.
      returned: when O(wait) is set above V(0s)
      type: int
    target:
      description: Inventory host the check is about, when it ran from another (probe) host.
      returned: when set in the item
      type: str
    hint:
      description: What to do when the check does not pass, as the item's C(hint) says.
      returned: when set in the item
      type: str
    contact:
      description: Who acts when the check does not pass, as the item's C(contact) says.
      returned: when set in the item
      type: str
    # END generated: record fields
# BEGIN generated: golive_counts (scripts/generate; do not edit by hand)
golive_counts:
  description: Number of results per status.
  returned: always
  type: dict
  sample: {pass: 3, warn: 1, fail: 0, error: 0, skipped: 0}
  contains:
    pass:
      description: Checks that passed.
      returned: always
      type: int
    warn:
      description: Checks that warned.
      returned: always
      type: int
    fail:
      description: Checks that failed.
      returned: always
      type: int
    error:
      description: Checks that could not be evaluated.
      returned: always
      type: int
    skipped:
      description: Checks that were skipped.
      returned: always
      type: int
# END generated: golive_counts
"""

from ansible_collections.golive.readiness.plugins.module_utils._checks import http_endpoint
from ansible_collections.golive.readiness.plugins.module_utils._module import run_kind_module


def main():
    run_kind_module(http_endpoint)


if __name__ == "__main__":
    main()
