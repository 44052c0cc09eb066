# -*- coding: utf-8 -*-
# Copyright (c) golive.readiness contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Every check kind ``verify`` can run, by name (private).

Imports are explicit so that AnsiballZ bundles each kind's code with the module.
"""

from __future__ import annotations

from ansible_collections.golive.readiness.plugins.module_utils._checks import (
    command_output,
    disk_space,
    dns_record,
    env_vars,
    http_endpoint,
    path,
    process,
    python_runtime,
    smtp_server,
    system_resources,
    tcp_port,
    time_sync,
    tls_certificate,
)

KINDS = dict(
    (kind.KIND, kind)
    for kind in (
        command_output,
        disk_space,
        dns_record,
        env_vars,
        http_endpoint,
        path,
        process,
        python_runtime,
        smtp_server,
        system_resources,
        tcp_port,
        time_sync,
        tls_certificate,
    )
)
