# -*- coding: utf-8 -*-
# Copyright (c) golive.readiness contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Check kind alertmanager: Alertmanager is ready, has receivers that notify and routes alerts to them (private).

Two read-only requests: ``/-/ready`` and ``/api/v2/status``, whose ``config.original`` is the loaded
configuration as YAML (Alertmanager replaces its secrets with ``<secret>``). Routes are evaluated the way
Alertmanager routes an alert: depth first, a route matching when all its matchers do, its children tried in
order, the first matching child ending the search unless it has ``continue: true``, a route without a
matching child taking the alert itself, and a route without a receiver inheriting its parent's.
"""

from __future__ import annotations

import json
import re

from ansible.module_utils.basic import missing_required_lib

from ansible_collections.golive.readiness.plugins.module_utils._check import (
    CheckError,
    Evaluation,
    OptionError,
    mask_url,
    quantity,
)
from ansible_collections.golive.readiness.plugins.module_utils._http_json import (
    CONNECTION_OPTIONS,
    JsonApi,
    prepare_connection,
)

KIND = "alertmanager"
SECTION = "monitoring"
SEVERITY = "high"
VARIABLES = {"golive_alertmanagers": "monitoring"}
ENDPOINT = True
OPTIONS = dict(CONNECTION_OPTIONS)
OPTIONS.update(
    min_receivers=dict(type="int", default=1),
    required_receivers=dict(type="list", elements="str"),
    required_routes=dict(type="list", elements="dict", options=dict(
        receiver=dict(type="str", required=True),
        labels=dict(type="dict"),
    )),
    min_cluster_peers=dict(type="int"),
)

_LABEL_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_MATCHER = re.compile(r"^\s*(?P<name>[^\s=!~\"{},]+)\s*(?P<op>=~|!~|!=|=)\s*(?P<value>.*?)\s*$")


def describe(item):
    url = mask_url(item.get("url") or "")
    return url, f"Alertmanager at {url}"


# --- options ------------------------------------------------------------------------------------

def _receiver_names(values):
    names = []
    for value in values or []:
        name = (value or "").strip()
        if not name:
            raise OptionError("required_receivers: names must not be empty")
        if name not in names:
            names.append(name)
    return names


def _routes(values):
    routes = []
    for index, route in enumerate(values or []):
        where = f"required_routes[{index}]"
        receiver = (route.get("receiver") or "").strip()
        if not receiver:
            raise OptionError(f"{where}: receiver must not be empty")
        labels = route.get("labels")
        if labels is not None:
            for name in labels:
                if not _LABEL_NAME.match(str(name)):
                    raise OptionError(f"{where}: labels: {name!r} is not a label name")
            labels = dict((str(k), "" if v is None else str(v)) for k, v in labels.items())
        routes.append(dict(receiver=receiver, labels=labels))
    return routes


def prepare(item):
    min_receivers = item["min_receivers"]
    if min_receivers < 0:
        raise OptionError(f"min_receivers: must not be negative, got {min_receivers}")
    if item.get("min_cluster_peers") is not None and item["min_cluster_peers"] < 1:
        raise OptionError("min_cluster_peers: must be at least 1 (an Alertmanager counts itself), "
                          f"got {item['min_cluster_peers']}")
    return dict(
        connection=prepare_connection(item),
        min_receivers=min_receivers,
        required_receivers=_receiver_names(item.get("required_receivers")),
        required_routes=_routes(item.get("required_routes")),
        min_cluster_peers=item.get("min_cluster_peers"),
    )


# --- the configuration --------------------------------------------------------------------------

def load_yaml():
    try:
        import yaml
    except ImportError:
        return None
    return yaml


def parse_config(text):
    """The configuration as a dict, from config.original; CheckError when it cannot be read."""
    yaml = load_yaml()
    if yaml is None:
        raise CheckError(missing_required_lib("PyYAML"))
    try:
        config = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise CheckError(f"config.original of /api/v2/status is not YAML: {exc}") from None
    if not isinstance(config, dict):
        raise CheckError("config.original of /api/v2/status holds no configuration")
    return config


def integrations_of(receiver):
    """The notification integrations of a receiver: {'webhook': 2, 'email': 1}."""
    counts = {}
    for key, value in receiver.items():
        if key.endswith("_configs") and isinstance(value, list) and value:
            counts[key[:-len("_configs")]] = len(value)
    return counts


def receivers_of(config):
    receivers = {}
    for receiver in config.get("receivers") or []:
        if isinstance(receiver, dict) and receiver.get("name"):
            receivers[str(receiver["name"])] = integrations_of(receiver)
    return receivers


class Matcher(object):
    """One label matcher of a route; a missing label matches as the empty string, as in Alertmanager."""

    def __init__(self, name, op, value):
        self.name = name
        self.op = op
        self.value = value
        self.regex = None
        if op in ("=~", "!~"):
            try:
                self.regex = re.compile(rf"^(?:{value})$")
            except re.error as exc:
                raise CheckError(f"route matcher {self} cannot be evaluated here: {exc}") from None

    def matches(self, labels):
        value = labels.get(self.name, "")
        if self.op == "=":
            return value == self.value
        if self.op == "!=":
            return value != self.value
        found = self.regex.match(value) is not None
        return found if self.op == "=~" else not found

    def __str__(self):
        return f"{self.name}{self.op}{json.dumps(self.value)}"


def _unquote(text):
    if len(text) >= 2 and text[0] == '"' and text[-1] == '"':
        try:
            return json.loads(text)
        except ValueError:
            return text[1:-1]
    return text


def _split_matchers(text):
    """'{a="b", c=~"d"}' or 'a=b' into single matcher strings (commas inside quotes kept)."""
    text = text.strip()
    if text.startswith("{") and text.endswith("}"):
        text = text[1:-1]
    parts, current, quoted, escaped = [], "", False, False
    for char in text:
        if char == "," and not quoted:
            parts.append(current)
            current = ""
            continue
        current += char
        if escaped:
            escaped = False
        elif char == "\\":
            escaped = True
        elif char == '"':
            quoted = not quoted
    parts.append(current)
    return [part for part in parts if part.strip()]


def matchers_of(route):
    """Every matcher of a route: its ``matchers`` and the deprecated ``match`` and ``match_re``."""
    matchers = []
    for line in route.get("matchers") or []:
        for text in _split_matchers(str(line)):
            found = _MATCHER.match(text)
            if not found:
                raise CheckError(f"route matcher {text!r} cannot be parsed")
            matchers.append(Matcher(found.group("name"), found.group("op"), _unquote(found.group("value"))))
    for name, value in (route.get("match") or {}).items():
        matchers.append(Matcher(str(name), "=", str(value)))
    for name, value in (route.get("match_re") or {}).items():
        matchers.append(Matcher(str(name), "=~", str(value)))
    return matchers


class Route(object):
    def __init__(self, spec, parent_receiver=None):
        self.receiver = spec.get("receiver") or parent_receiver
        self.matchers = matchers_of(spec)
        self.continue_ = bool(spec.get("continue"))
        self.routes = [Route(child, self.receiver) for child in spec.get("routes") or [] if isinstance(child, dict)]

    def receivers(self):
        """Every receiver a route of this tree sends to."""
        found = [self.receiver]
        for child in self.routes:
            found.extend(child.receivers())
        return found

    def match(self, labels):
        """The routes an alert with ``labels`` ends at (Alertmanager's Route.Match)."""
        if not all(matcher.matches(labels) for matcher in self.matchers):
            return []
        found = []
        for child in self.routes:
            matched = child.match(labels)
            found.extend(matched)
            if matched and not child.continue_:
                break
        return found or [self]


# --- run ----------------------------------------------------------------------------------------

def check_ready(api, ev):
    response = api.get("/-/ready", accept="text/plain")
    ev.observe("ready", response.status == 200)
    ev.require(response.status == 200, f"not ready: /-/ready answered HTTP {response.status} {response.reason}: "
               f"{api.shown_text(response)}", passing="ready")
    return response.status == 200


def fetch_status(api):
    status = api.get_json("/api/v2/status")
    if not isinstance(status, dict) or not isinstance(status.get("config"), dict):
        raise CheckError("/api/v2/status answered no config; is this Alertmanager 0.16 or later?")
    return status


def check_cluster(plan, status, ev):
    cluster = status.get("cluster") if isinstance(status.get("cluster"), dict) else {}
    state = cluster.get("status")
    peers = len(cluster.get("peers") or [])
    version = (status.get("versionInfo") or {}).get("version")
    ev.observe("cluster", dict(status=state, peers=quantity(peers, "count")))
    if version:
        ev.observe("version", version)
    minimum = plan["min_cluster_peers"]
    if minimum is None:
        return
    ev.expect("cluster_status", "ready")
    ev.observe("cluster_peers", peers, "count")
    ev.expect_at_least("cluster_peers", minimum, "count")
    if state != "ready":
        ev.finding("fail", f"cluster is {state or 'unknown'} (expected ready with at least {minimum} "
                           f"peer{'' if minimum == 1 else 's'})")
    else:
        peer_s = "" if peers == 1 else "s"
        ev.require(peers >= minimum, f"cluster has {peers} peer{peer_s} (expected at least {minimum})",
                   passing=f"cluster ready, {peers} peer{peer_s}")


def check_receivers(plan, receivers, ev):
    notifying = sorted(name for name, integrations in receivers.items() if integrations)
    ev.observe("receivers", receivers)
    ev.observe("notifying_receivers", len(notifying), "count")
    ev.expect_at_least("notifying_receivers", plan["min_receivers"], "count")
    receiver_s = "" if len(notifying) == 1 else "s"
    ev.require(len(notifying) >= plan["min_receivers"],
               f"{len(notifying)} receiver{receiver_s} with a notification integration "
               f"(expected at least {plan['min_receivers']}){_empty_note(receivers)}",
               passing=f"{len(notifying)} receiver{receiver_s} notify")
    required = plan["required_receivers"]
    if not required:
        return
    ev.expect("required_receivers", required)
    missing = [name for name in required if name not in receivers]
    silent = [name for name in required if name in receivers and not receivers[name]]
    ev.observe("missing_receivers", missing)
    ev.require(not missing, "receiver{} not configured: {}".format("s" if len(missing) > 1 else "", ", ".join(missing)))
    ev.require(not silent, "receiver{} without any notification integration: {}".format(
        "s" if len(silent) > 1 else "", ", ".join(silent)))


def _empty_note(receivers):
    empty = sorted(name for name, integrations in receivers.items() if not integrations)
    return "; without any integration: {}".format(", ".join(empty)) if empty else ""


def check_routes(plan, root, ev):
    required = plan["required_routes"]
    if not required:
        return
    ev.expect("required_routes", [dict((k, v) for k, v in r.items() if v is not None) for r in required])
    results = []
    for wanted in required:
        if wanted["labels"] is None:
            reached = sorted(set(r for r in root.receivers() if r))
            ok = wanted["receiver"] in reached
            problem = "no route sends to receiver {}".format(wanted["receiver"])
        else:
            reached = [route.receiver for route in root.match(wanted["labels"])]
            ok = wanted["receiver"] in reached
            problem = "an alert with {} is routed to {}, not {}".format(
                _shown_labels(wanted["labels"]), ", ".join(str(r) for r in reached), wanted["receiver"])
        results.append(dict(receiver=wanted["receiver"], labels=wanted["labels"], routed_to=reached, ok=ok))
        ev.require(ok, problem)
    ev.observe("routes", results)
    if all(result["ok"] for result in results):
        ev.note(f"{len(results)} required route{'' if len(results) == 1 else 's'} present")


def _shown_labels(labels):
    return "{{{}}}".format(", ".join(f"{name}={json.dumps(value)}" for name, value in sorted(labels.items())))


def run(plan, ctx):
    api = JsonApi(plan["connection"], ctx.child_timeout())
    ev = Evaluation()
    ev.observe("url", mask_url(plan["connection"]["url"]))
    if not check_ready(api, ev):
        return ev.outcome()  # a starting or broken Alertmanager: its configuration is not worth judging yet
    status = fetch_status(api)
    check_cluster(plan, status, ev)
    config = parse_config(status["config"].get("original") or "")
    check_receivers(plan, receivers_of(config), ev)
    if plan["required_routes"]:
        root = config.get("route")
        if not isinstance(root, dict):
            raise CheckError("the configuration has no route")
        check_routes(plan, Route(root), ev)
    return ev.outcome()
