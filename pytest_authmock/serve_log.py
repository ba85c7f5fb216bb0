"""``--log-format json``: one JSON object per request on stderr."""

from __future__ import annotations

import json
import time
from typing import Any

#: The text log's ``name=value`` fields, by their JSON names.
_WHO = {"grant": "grant_type", "client": "client_id", "user": "username"}


def json_line(record: Any, error: str | None, who: tuple[str, ...], target: str) -> str:
    """The access record as a JSON object; ``target`` is already redacted."""
    entry: dict[str, Any] = {
        "time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "client": record.client,
    }
    if record.tls_error:
        entry["tls_error"] = record.tls_error
        return json.dumps(entry)
    entry.update(
        method=record.method,
        target=target,
        status=record.status,
        error=error,
        duration_ms=round(record.duration_ms, 1),
    )
    for field in who:
        name, _, value = field.partition("=")
        entry[_WHO.get(name, name)] = value
    if record.peer_subject:
        entry["cert"] = record.peer_subject
    return json.dumps(entry)
