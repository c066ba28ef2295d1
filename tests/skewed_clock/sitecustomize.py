"""Put on ``PYTHONPATH`` by a test, before its process starts: the process's clock (``time.time``) runs
``CLOCK_SKEW_SECONDS`` off, as on a host whose clock is wrong (no libfaketime on the test machine)."""

import os
import time

_SKEW = float(os.environ.get("CLOCK_SKEW_SECONDS") or 0)
if _SKEW:
    _real_time = time.time
    time.time = lambda: _real_time() + _SKEW
