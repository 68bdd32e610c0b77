"""Bookings from the open-source ZMS/eappointment API (Berlin, Munich) over HTTP: look a
process up by number and authKey, and mark its arrival as ZMS's own counters do.

Routes, from zmsbackend/routing.php of it-at-m/eappointment (commit 7b670e4e):
- GET  /process/{id}/{authKey}/   ProcessGet: 404 ProcessNotFound, 403 AuthKeyMatchFailed.
- GET  /process/{id}/             WorkstationProcessGet (x-since 2.12): look-up by number
  alone for a logged-in workstation (header X-Authkey), limited to that workstation's
  scopes; 403 ProcessNotCallable for reserved/preconfirmed/deleted/called/processing.
- POST /process/status/queued/    ProcessQueued: header X-Authkey of a workstation user
  with the "appointment" permission; body: the process (id, authKey, scope, requests).
The "API key" of our config is therefore a ZMS workstation login's auth key, sent as
X-Authkey (zmsclient/src/Zmsclient/Http.php sends it under that name). ZMS's other
header, X-Api-Key (Helper/User.php hasXApiKey), only identifies citizen API clients and
does not authorise ProcessQueued.

What the published ProcessQueued does NOT do: refuse a second "queued". It sets any
process to queued again and resets its call count, even one a counter has just called.
So mark_arrived reads the status first and sends "queued" only for a confirmed (or
missed) process; that read-then-write is not atomic, and two terminals scanning the same
code within the same fraction of a second can both succeed: exactly-once across
terminals needs the shared office store. A ZMS that does answer a second "queued" with an
error is handled too (the status is read again and the answer is False).

Retries: a GET changes nothing, so it is repeated after timeouts, connection errors and
5xx answers. A POST is repeated only when the connection could not be opened (the
request certainly never left); after a read timeout, a broken connection or a 5xx it may
have arrived, and sending it again could queue the visitor twice or after a call. Then
the process is read again instead: queued now means our request did it (True); anything
else ends in SourceUnavailable, and a scan later finds the true state."""

from __future__ import annotations

import json
import logging
import threading
import time
from collections import OrderedDict
from datetime import datetime
from typing import Any, Mapping
from urllib.parse import quote

import requests

from kiosk.appointments.api_key import read_api_key
from kiosk.appointments.source import SourceUnavailable
from kiosk.appointments.zms_process import (ARRIVED, QUEUEABLE, WrongShape, ZmsProcess, envelope,
                                            is_error_answer, parse_process)
from kiosk.config_model import Config, ZmsConfig
from kiosk.domain.appointment import Booking, BookingCode

log = logging.getLogger(__name__)

AUTH_HEADER = "X-Authkey"
MAX_ANSWER_BYTES = 4 * 1024 * 1024   # a process with resolved references is ~10-50 kB
MAX_BACKOFF_S = 2.0
_KNOWN_AUTH_KEYS = 256               # recently looked-up processes whose authKey we keep


class _Failed(Exception):
    """A request that got no usable answer; sent: it may have reached the server."""

    def __init__(self, reason: str, sent: bool) -> None:
        super().__init__(reason)
        self.reason = reason
        self.sent = sent


class _Answer:
    def __init__(self, status: int, body: Any, is_json: bool) -> None:
        self.status = status
        self.body = body
        self.is_json = is_json


class ZmsSource:
    """AppointmentSource for ZMS. find() never raises anything but SourceUnavailable."""

    def __init__(self, config: ZmsConfig, service_map: Mapping[int, str],
                 api_key: str | None, office_id: str, *,
                 session: requests.Session | None = None, backoff_s: float = 0.2) -> None:
        self.config = config
        self.service_map = dict(service_map)
        self.office_id = office_id
        self._api_key = api_key
        self._session = session or requests.Session()
        self._session.trust_env = False   # no proxy or .netrc credentials from the environment
        self._backoff_s = backoff_s
        self._auth_keys: OrderedDict[str, str] = OrderedDict()
        self._lock = threading.Lock()
        _hide_paths_in_urllib3_log()

    def close(self) -> None:
        self._session.close()

    # --- AppointmentSource -------------------------------------------------------------

    def find(self, code: BookingCode) -> Booking | None:
        pid = _process_id(code.reference)
        if pid is None:
            log.info("zms find: not a ZMS process number")
            return None
        if code.auth_key is None:
            return self._find_by_number(pid)
        answer = self._get(f"/process/{pid}/{quote(code.auth_key, safe='')}/")
        if answer.status in (403, 404) and is_error_answer(answer.body, with_exception=True):
            # 404 ProcessNotFound, 403 AuthKeyMatchFailed: both "no such booking" to us
            log.info("zms find: unknown or wrong key (HTTP %d)", answer.status)
            return None
        process = self._process(answer, pid, "find")
        self._remember(process)
        return process.booking

    def mark_arrived(self, booking: Booking, at: datetime) -> bool:
        if not self._api_key:
            raise SourceUnavailable("booking system not reachable: no API key to mark "
                                    "arrivals ([appointments.zms] api_key_file)")
        pid = _process_id(booking.reference)
        if pid is None:
            raise SourceUnavailable("booking system not reachable: not a ZMS process number")
        auth_key = self._known_auth_key(booking.reference)
        if auth_key is None:
            self._find_by_number(pid)
            auth_key = self._known_auth_key(booking.reference)
        if auth_key is None:
            raise SourceUnavailable("booking system not reachable: the booking's key is not "
                                    "known (look-up refused)")
        before = self._read(pid, auth_key, "mark_arrived")
        if before.status not in QUEUEABLE:
            # already queued, called, served (a second scan, another terminal), or gone
            log.info("zms mark_arrived: status %s, nothing sent", before.status)
            return False
        # The body carries no queue.arrivalTime: ZMS then keeps the booked time there, which
        # is what orders appointments in its queue (QueueList::withEstimatedWaitingTime).
        try:
            answer = self._send("POST", "/process/status/queued/", body=before.queued_body,
                                auth=True, idempotent=False)
        except _Failed as failed:
            if not failed.sent:
                raise SourceUnavailable(f"booking system not reachable: {failed.reason}") \
                    from None
            return self._after_uncertain_post(pid, auth_key, failed.reason)
        if answer.status == 200:
            try:
                meta, data = envelope(answer.body)
                if isinstance(data, list) and len(data) == 1:  # the route documents a list
                    data = data[0]
                queued = parse_process(data, expected_id=pid, service_map=self.service_map,
                                       scope_id=self.config.scope_id,
                                       office_id=self.office_id)
            except WrongShape:
                return self._after_uncertain_post(pid, auth_key, "unexpected answer")
            if meta.get("error") is False and queued.status == "queued":
                log.info("zms mark_arrived: queued (HTTP 200)")
                return True
            return self._after_uncertain_post(pid, auth_key, "unexpected answer")
        if answer.status >= 500 or not answer.is_json:
            return self._after_uncertain_post(pid, auth_key, f"HTTP {answer.status}")
        # A refusal (4xx). Someone else queued it in the meantime (another terminal, a
        # counter; or a ZMS that refuses a second "queued"): that is our False.
        after = self._read(pid, auth_key, "mark_arrived")
        if after.status in ARRIVED:
            log.info("zms mark_arrived: already queued elsewhere (HTTP %d)", answer.status)
            return False
        # 401: the workstation login behind the key is gone; 403: it lacks the
        # "appointment" permission or the process's scope (WorkstationProcessMatchScopeFailed)
        reason = "API key refused" if answer.status == 401 else "check-in refused"
        log.warning("zms mark_arrived: %s (HTTP %d)", reason, answer.status)
        raise SourceUnavailable(f"booking system not reachable: {reason} "
                                f"(HTTP {answer.status})")

    # --- look-ups ------------------------------------------------------------------------

    def _find_by_number(self, pid: int) -> Booking | None:
        """A typed number or our signed code: ZMS finds it by number for a logged-in
        workstation only, so without an API key the answer is None (unknown)."""
        if not self._api_key:
            log.info("zms find by number: no API key configured, cannot look up")
            return None
        answer = self._get(f"/process/{pid}/", auth=True)
        if answer.status in (403, 404) and is_error_answer(answer.body, with_exception=True):
            # 404 ProcessNotFound; 403 ProcessNotCallable (deleted, called...) or a process
            # of a scope our workstation may not see
            log.info("zms find by number: not found or not callable (HTTP %d)",
                     answer.status)
            return None
        if answer.status == 401:
            log.warning("zms find by number: API key refused (HTTP 401)")
            raise SourceUnavailable("booking system not reachable: API key refused (HTTP 401)")
        process = self._process(answer, pid, "find by number")
        self._remember(process)
        return process.booking

    def _read(self, pid: int, auth_key: str, what: str) -> ZmsProcess:
        answer = self._get(f"/process/{pid}/{quote(auth_key, safe='')}/")
        return self._process(answer, pid, what)

    def _process(self, answer: _Answer, pid: int, what: str) -> ZmsProcess:
        if answer.status != 200:
            log.warning("zms %s: unexpected answer (HTTP %d)", what, answer.status)
            raise SourceUnavailable(f"booking system not reachable: HTTP {answer.status}")
        if not answer.is_json:
            log.warning("zms %s: answer is not JSON (HTTP 200)", what)
            raise SourceUnavailable("booking system not reachable: answer is not JSON")
        try:
            meta, data = envelope(answer.body)
            if meta.get("error") is not False:
                raise WrongShape("meta.error")
            process = parse_process(data, expected_id=pid, service_map=self.service_map,
                                    scope_id=self.config.scope_id, office_id=self.office_id)
        except WrongShape as wrong:
            log.warning("zms %s: answer of the wrong shape at %s (HTTP 200)", what, wrong)
            raise SourceUnavailable(f"booking system not reachable: unexpected answer "
                                    f"({wrong})") from None
        log.info("zms %s: status %s (HTTP 200)", what, process.status)
        return process

    def _after_uncertain_post(self, pid: int, auth_key: str, reason: str) -> bool:
        """The POST may or may not have arrived: the process's status says which."""
        log.warning("zms mark_arrived: %s, reading the status again", reason)
        after = self._read(pid, auth_key, "mark_arrived")
        if after.status == "queued":
            log.info("zms mark_arrived: queued after all")
            return True
        raise SourceUnavailable(f"booking system not reachable: {reason}")

    # --- authKeys of recent look-ups (memory only; needed for the queued POST) -------------

    def _remember(self, process: ZmsProcess) -> None:
        if process.booking is None:
            return
        with self._lock:
            self._auth_keys[process.booking.reference] = process.auth_key
            self._auth_keys.move_to_end(process.booking.reference)
            while len(self._auth_keys) > _KNOWN_AUTH_KEYS:
                self._auth_keys.popitem(last=False)

    def _known_auth_key(self, reference: str) -> str | None:
        with self._lock:
            return self._auth_keys.get(reference)

    # --- HTTP ----------------------------------------------------------------------------

    def _get(self, path: str, auth: bool = False) -> _Answer:
        try:
            return self._send("GET", path, auth=auth, idempotent=True)
        except _Failed as failed:
            raise SourceUnavailable(f"booking system not reachable: {failed.reason}") \
                from None

    def _send(self, method: str, path: str, *, body: Any = None, auth: bool = False,
              idempotent: bool) -> _Answer:
        """One request with bounded retries (see the module docstring for which).
        Raises _Failed; its reason never contains the URL (it holds the authKey)."""
        headers = {"Accept": "application/json"}
        if auth and self._api_key:
            headers[AUTH_HEADER] = self._api_key
        attempts = 1 + self.config.retries
        for attempt in range(attempts):
            if attempt:
                time.sleep(min(self._backoff_s * 2 ** (attempt - 1), MAX_BACKOFF_S))
            try:
                answer = self._exchange(method, self.config.url + path, headers, body)
            except _Failed as failed:
                retry = idempotent or not failed.sent
                if not retry or attempt == attempts - 1:
                    log.warning("zms %s: %s (attempt %d of %d)", method, failed.reason,
                                attempt + 1, attempts)
                    raise
                log.info("zms %s: %s, trying again", method, failed.reason)
                continue
            if answer.status >= 500 and idempotent and attempt < attempts - 1:
                log.info("zms %s: HTTP %d, trying again", method, answer.status)
                continue
            return answer
        raise AssertionError("unreachable")

    def _exchange(self, method: str, url: str, headers: dict, body: Any) -> _Answer:
        timeout = (self.config.connect_timeout_s, self.config.read_timeout_s)
        try:
            response = self._session.request(method, url, headers=headers, json=body,
                                              timeout=timeout, allow_redirects=False,
                                              stream=True)
        except requests.exceptions.ConnectTimeout:
            raise _Failed("connection timed out", sent=False) from None
        except requests.exceptions.ReadTimeout:
            raise _Failed("no answer in time", sent=True) from None
        except requests.exceptions.ConnectionError as exc:
            raise _Failed("connection failed", sent=not _never_connected(exc)) from None
        except requests.exceptions.RequestException:
            raise _Failed("request failed", sent=True) from None
        # The read timeout bounds each wait for a byte; a server that trickles its answer
        # would hold the visitor for much longer, so the whole body gets one deadline too.
        deadline = time.monotonic() + self.config.read_timeout_s
        chunks: list[bytes] = []
        size = 0
        try:
            with response:
                # read1 returns what one receive brought (urllib3 2); read(n) would wait
                # for n bytes and so for the whole trickle
                read1 = getattr(response.raw, "read1", None)
                while True:
                    chunk = read1(64 * 1024, decode_content=True) if read1 \
                        else response.raw.read(64 * 1024, decode_content=True)
                    if not chunk:
                        break
                    chunks.append(chunk)
                    size += len(chunk)
                    if size > MAX_ANSWER_BYTES:
                        raise _Failed("answer too large", sent=True)
                    if time.monotonic() > deadline:
                        raise _Failed("no answer in time", sent=True)
        except _Failed:
            raise
        except requests.exceptions.RequestException:
            raise _Failed("answer broken off", sent=True) from None
        except Exception as exc:  # urllib3 errors while reading (timeout, reset, bad gzip)
            reason = "no answer in time" if "timed out" in str(exc).lower() \
                else "answer broken off"
            raise _Failed(reason, sent=True) from None
        raw = b"".join(chunks)
        try:
            return _Answer(response.status_code, json.loads(raw), True)
        except (ValueError, RecursionError):  # not JSON, not UTF-8, nested without end
            return _Answer(response.status_code, None, False)


def _process_id(reference: str) -> int | None:
    """ZMS process numbers: 1..11 digits (routing.php: {id:\\d{1,11}})."""
    if isinstance(reference, str) and reference.isascii() and reference.isdigit() \
            and 1 <= len(reference) <= 11:
        return int(reference)
    return None


def _never_connected(exc: requests.exceptions.ConnectionError) -> bool:
    """True when the TCP connection was never opened (refused, no route, DNS), so the
    request cannot have reached the server; False for a connection dropped later."""
    import urllib3.exceptions as u3

    reason = exc.args[0] if exc.args else None
    reason = getattr(reason, "reason", reason)   # MaxRetryError wraps the cause
    return isinstance(reason, (u3.NewConnectionError, u3.ConnectTimeoutError)) or \
        type(reason).__name__ == "NameResolutionError"


class _HidePaths(logging.Filter):
    """urllib3 logs each request line at DEBUG; ours carry a process number and its
    authKey, so the path is replaced before any handler sees it."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple) and any(
                isinstance(a, str) and "/process/" in a for a in record.args):
            record.args = tuple("<path withheld>" if isinstance(a, str) and "/process/" in a
                                else a for a in record.args)
        return True


_hide_once = threading.Lock()
_hidden = False


def _hide_paths_in_urllib3_log() -> None:
    global _hidden
    with _hide_once:
        if not _hidden:
            logging.getLogger("urllib3.connectionpool").addFilter(_HidePaths())
            _hidden = True


def zms_source(config: Config) -> ZmsSource:
    """The source as [appointments] / [appointments.zms] and the services configure it.
    Raises ApiKeyError when the configured key file cannot be used."""
    zms = config.appointments.zms
    if zms is None:
        raise ValueError("[appointments.zms] is not configured")
    service_map = {request_id: service.id for service in config.services
                   if service.appointments is not None
                   for request_id in service.appointments.zms_request_ids}
    api_key = read_api_key(zms.api_key_file) if zms.api_key_file else None
    return ZmsSource(zms, service_map, api_key, config.appointments.office_id)
