# -*- coding: utf-8 -*-
# Copyright (c) golive.readiness contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Every check kind ``verify`` can run, by name, imported on first use (private)."""

from __future__ import annotations

import importlib
from collections.abc import Mapping

KIND_NAMES = (
    "alertmanager",
    "backup_freshness",
    "backup_restore",
    "command_output",
    "data_file",
    "db_data_quality",
    "db_row_counts",
    "db_schema",
    "db_server",
    "disk_space",
    "dns_record",
    "env_vars",
    "http_endpoint",
    "log_health",
    "path",
    "process",
    "prometheus_targets",
    "python_runtime",
    "redis",
    "rollback_readiness",
    "scheduled_jobs",
    "secrets_hygiene",
    "smtp_server",
    "stripe_account",
    "system_resources",
    "tcp_port",
    "time_sync",
    "tls_certificate",
)

_PACKAGE = "ansible_collections.golive.readiness.plugins.module_utils._checks"


def _bundled_for_ansiballz():  # pragma: no cover
    """Never called: lists the kinds for AnsiballZ, which bundles every module_utils it sees imported.

    Kinds are imported by name on first use instead, so a host imports only the kinds its call runs
    (the network kinds alone pull in ssl, http.client and smtplib).
    """
    from ansible_collections.golive.readiness.plugins.module_utils._checks import (  # noqa: F401  pylint: disable=unused-import
        alertmanager,
        backup_freshness,
        backup_restore,
        command_output,
        data_file,
        db_data_quality,
        db_row_counts,
        db_schema,
        db_server,
        disk_space,
        dns_record,
        env_vars,
        http_endpoint,
        log_health,
        path,
        process,
        prometheus_targets,
        python_runtime,
        redis,
        rollback_readiness,
        scheduled_jobs,
        secrets_hygiene,
        smtp_server,
        stripe_account,
        system_resources,
        tcp_port,
        time_sync,
        tls_certificate,
    )


class LazyKinds(Mapping):
    """KIND name -> kind module, importing each module when it is first asked for."""

    def __init__(self, names):
        self._names = tuple(names)
        self._loaded = {}

    def __getitem__(self, name):
        if name not in self._names:
            raise KeyError(name)
        if name not in self._loaded:
            self._loaded[name] = importlib.import_module("%s.%s" % (_PACKAGE, name))
        return self._loaded[name]

    def __iter__(self):
        return iter(self._names)

    def __len__(self):
        return len(self._names)

    def load_all(self):
        for name in self._names:
            self[name]


KINDS = LazyKinds(KIND_NAMES)
