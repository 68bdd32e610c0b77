"""`kiosk health`: ask a terminal's /health and say ok, degraded or down. Exit 0 only for
ok; 1 for degraded, down or no answer, with one line on stderr."""

from __future__ import annotations

import json
import sys
import urllib.error
import urllib.request

TIMEOUT_S = 5.0


def default_url(bind: str, port: int) -> str:
    # a server listening on every address is asked on the loopback one
    host = {"0.0.0.0": "127.0.0.1", "::": "::1", "": "127.0.0.1"}.get(bind, bind)
    if ":" in host:
        host = f"[{host}]"
    return f"http://{host}:{port}/health"


def fetch(url: str, timeout_s: float = TIMEOUT_S) -> dict:
    """The /health JSON (also from a 503 answer); OSError with a short reason when the
    endpoint does not answer or answers something else."""
    request = urllib.request.Request(url, headers={"Accept": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=timeout_s) as response:
            raw = response.read()
    except urllib.error.HTTPError as err:
        raw = err.read()
        if err.code != 503:
            raise OSError(f"HTTP {err.code} from {url}") from None
    except urllib.error.URLError as err:
        reason = getattr(err.reason, "strerror", None) or str(err.reason)
        raise OSError(f"{url} unreachable: {reason}") from None
    except (TimeoutError, ConnectionError) as err:
        raise OSError(f"{url} unreachable: {err.strerror or type(err).__name__}") from None
    try:
        body = json.loads(raw)
        if not isinstance(body, dict) or body.get("status") not in ("ok", "degraded",
                                                                      "down"):
            raise ValueError
    except ValueError:
        raise OSError(f"{url} did not answer with a kiosk health summary") from None
    return body


def run(url: str, out=sys.stdout, err=sys.stderr) -> int:
    try:
        body = fetch(url)
    except OSError as problem:
        print(f"kiosk: health endpoint {problem}", file=err)
        return 1
    status, terminal = body["status"], body.get("terminal") or "?"
    print(f"status: {status}", file=out)
    print(f"terminal: {terminal}", file=out)
    print(f"version: {body.get('version') or '?'}", file=out)
    reasons, details = body.get("reasons") or [], body.get("details") or []
    for i, code in enumerate(reasons):
        detail = details[i] if i < len(details) else ""
        print(f"  {code}: {detail}" if detail else f"  {code}", file=out)
    if status == "ok":
        return 0
    print(f"kiosk: terminal {terminal} is {status}: {', '.join(reasons) or 'no reason given'}",
          file=err)
    return 1
