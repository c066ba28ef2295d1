"""Optional webhook notifier: POSTs a run's health when it is not healthy.

Settings: ``MONITOR_WEBHOOK_URL`` (unset: no notifications). The URL often
carries a token, so it is never logged.
"""

from __future__ import annotations

import json
import logging
import urllib.request
from typing import Any

logger = logging.getLogger(__name__)


def post_health(url: str, payload: dict[str, Any], timeout: float = 10.0) -> bool:
    """POST ``payload`` as JSON; False (and a warning) when the endpoint does not accept it."""
    request = urllib.request.Request(url, data=json.dumps(payload, default=str).encode(), method="POST",
                                     headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return bool(200 <= response.status < 300)
    except OSError as exc:
        logger.warning("Health webhook failed: %(error)s", {"error": type(exc).__name__})
        return False
