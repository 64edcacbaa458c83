"""Check a Frontdesk webhook before trusting it (Python, standard library).

body = request.get_data()            # the raw bytes, before any JSON parsing
header = request.headers["Frontdesk-Signature"]
if not verify(body, header, os.environ["FRONTDESK_WEBHOOK_SECRET"]):
    return "bad signature", 400
event = json.loads(body)             # then skip it if you already handled event["id"]
"""

import hashlib
import hmac
import time

TOLERANCE_SECONDS = 300


def verify(body: bytes, header: str, secret: str, now: float | None = None) -> bool:
    """True when `header` (t=<unix>,v1=<hex>) signs `body` with `secret` and is recent."""
    parts = dict(item.split("=", 1) for item in header.split(",") if "=" in item)
    timestamp, signature = parts.get("t", ""), parts.get("v1", "")
    if not timestamp.isdigit() or not signature:
        return False
    if abs((time.time() if now is None else now) - int(timestamp)) > TOLERANCE_SECONDS:
        return False  # an old delivery replayed, or a clock far off
    signed = timestamp.encode() + b"." + body
    expected = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, signature)
