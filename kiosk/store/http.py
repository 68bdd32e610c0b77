"""The terminal's client of the office server (`kiosk serve`, API /api/v1): one request
per tap to the use-case endpoints (issue a ticket, check in, submit a sealed intake),
with this terminal's device token, the [store] timeout and retries, and one
Idempotency-Key per use case so that a retry never issues or checks in twice."""

from __future__ import annotations

import logging
import threading
import time
import uuid
from pathlib import Path

import requests

from kiosk.store.errors import StoreError

log = logging.getLogger(__name__)

API = "/api/v1"
# the outbox's kinds and where they go
PATHS = {"offline_ticket": f"{API}/tickets/offline", "checkin": f"{API}/checkins",
         "intake": f"{API}/intakes", "ticket": f"{API}/tickets"}
# answers that mean "not now" rather than "never": tried again later
RETRY_LATER = {401, 403, 404, 408, 425, 429}


class Unreachable(Exception):
    """The server did not answer usefully (network, timeout, 5xx) after the retries."""


class ApiRefused(Exception):
    """The server answered with an error: its status, stable code and reason."""

    def __init__(self, status: int, error: str, reason: str) -> None:
        super().__init__(f"{status} {error}: {reason}")
        self.status, self.error, self.reason = status, error, reason

    @property
    def final(self) -> bool:
        """True when sending the same request again cannot help."""
        return self.status < 500 and self.status not in RETRY_LATER


def read_token(path: str | Path) -> str:
    """The device token (first line of token_file); StoreError naming the file."""
    try:
        token = Path(path).read_text(encoding="utf-8").strip().splitlines()
    except (OSError, UnicodeDecodeError) as err:
        raise StoreError(f"cannot read the server token file {path}: "
                         f"{getattr(err, 'strerror', None) or err}", kind="cannot_open") from err
    if not token or not token[0].strip():
        raise StoreError(f"the server token file {path} is empty: put the token printed by "
                         f"`kiosk serve token add` in it", kind="cannot_open")
    return token[0].strip()


class ServerClient:
    """Thread-safe (one requests.Session per thread). `reachable` tracks the last
    answer: True after any answer from the server, False after a network failure."""

    def __init__(self, url: str, token: str, timeout_s: float = 2.0, retries: int = 2,
                 backoff_s: float = 0.2) -> None:
        self.url = url.rstrip("/")
        self.timeout_s, self.retries, self.backoff_s = timeout_s, retries, backoff_s
        self._token = token
        self._local = threading.local()
        self.reachable: bool | None = None  # None: not asked yet
        self.last_change = time.monotonic()

    @classmethod
    def from_config(cls, store_config) -> "ServerClient":
        return cls(store_config.url, read_token(store_config.token_file),
                   store_config.timeout_s, store_config.retries)

    def _session(self) -> requests.Session:
        session = getattr(self._local, "session", None)
        if session is None:
            session = self._local.session = requests.Session()
            session.headers["Authorization"] = f"Bearer {self._token}"
        return session

    def _mark(self, reachable: bool) -> None:
        if reachable != self.reachable:
            self.reachable, self.last_change = reachable, time.monotonic()
            log.info("office server %s", "reachable" if reachable else "NOT reachable")

    # -- requests -----------------------------------------------------------------------

    def request(self, method: str, path: str, body: dict | None = None,
                key: str | None = None, retries: int | None = None):
        """The JSON answer (None for 204). Unreachable after `retries` further tries
        (all with the same Idempotency-Key), ApiRefused for an error answer."""
        headers = {"Idempotency-Key": key} if key else {}
        tries = 1 + (self.retries if retries is None else retries)
        last = "no answer"
        for attempt in range(tries):
            if attempt:
                time.sleep(self.backoff_s * 2 ** (attempt - 1))
            try:
                answer = self._session().request(method, self.url + path, json=body,
                                                 headers=headers, timeout=self.timeout_s)
            except requests.RequestException as err:
                last = type(err).__name__
                continue
            if answer.status_code >= 500:
                last = f"HTTP {answer.status_code}"  # answers, but cannot serve now
                continue
            self._mark(True)
            if answer.status_code >= 400:
                raise _refusal(answer)
            return answer.json() if answer.content else None
        self._mark(False)
        raise Unreachable(f"{method} {path}: {last} after {tries} tries")

    def post(self, kind: str, body: dict, key: str | None = None,
             retries: int | None = None):
        """POST one use case (see PATHS) with its Idempotency-Key (new when None)."""
        return self.request("POST", PATHS[kind], body, key or str(uuid.uuid4()), retries)

    def issue_ticket(self, service: str, language: str, retries: int | None = None) -> dict:
        return self.post("ticket", {"service": service, "language": language},
                         retries=retries)

    def check_in(self, code: str, typed: bool, language: str, key: str,
                 retries: int | None = None) -> dict:
        return self.post("checkin", {"code": code, "typed": typed, "language": language},
                         key, retries)

    def submit_intake(self, body: dict, key: str, retries: int | None = None) -> dict:
        return self.post("intake", body, key, retries)

    def queue(self) -> list:
        """GET /api/v1/queue: also the link probe of the replay worker."""
        return self.request("GET", f"{API}/queue", retries=0)


def _refusal(answer: requests.Response) -> ApiRefused:
    try:
        body = answer.json()
        error, reason = str(body.get("error", "")), str(body.get("reason", ""))
    except (ValueError, AttributeError):
        error, reason = "", ""
    return ApiRefused(answer.status_code, error or f"http_{answer.status_code}",
                      reason or answer.reason or "")
