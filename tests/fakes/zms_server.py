"""A local stand-in for the ZMS/eappointment API on 127.0.0.1: invented processes in the
shape of the published schema, the three routes the kiosk uses, and switches for the
faults a real one shows (slow, 500, nonsense, an "already queued" refusal).

Shapes and answers from it-at-m/eappointment (commit 7b670e4e): zmsentities/schema/
process.json, appointment.json, availability.json, scope.json, request.json,
metaresult.json; the test fixture zmsbackend/tests/Zmsbackend/fixtures/GetProcess_10030.json
(field layout only); zmsbackend/routing.php and Process/Api/ProcessGet.php,
ProcessQueued.php, Workstation/Api/WorkstationProcessGet.php with their exceptions
(ProcessNotFound 404, AuthKeyMatchFailed 403, ProcessNotCallable 403,
UserAccountMissingLogin 401) as Helper/ErrorHandler.php renders them. The published
ProcessQueued has no "already queued" refusal; the switch models a ZMS that has one
(the exception name is ours)."""

from __future__ import annotations

import copy
import json
import threading
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

BASE = "/terminvereinbarung/api/2"
API_KEY = "fake-workstation-authkey-0001"
NOT_CALLABLE = {"reserved", "preconfirmed", "deleted", "called", "processing"}


def process(pid: int, auth_key: str, *, status: str = "confirmed", date: int,
            slot_count: int = 1, slot_minutes: int = 10, scope_id: int = 141,
            request_ids=(120703,), priority=None) -> dict:
    """An invented process as GET /process/{id}/{authKey}/ returns it (nothing personal:
    the client entry is there, as in ZMS, but empty)."""
    scope = {"id": scope_id, "shortName": "Zentrale", "source": "dldb",
             "provider": {"id": 122217, "source": "dldb", "name": "Bürgeramt Test",
                          "displayName": "001"}}
    return {
        "$schema": "https://schema.berlin.de/queuemanagement/process.json",
        "amendment": "",
        "appointments": [{
            "date": date,
            "scope": {"id": scope_id, "shortName": "Zentrale",
                      "provider": {"id": 122217, "source": "dldb", "name": "Bürgeramt Test"}},
            "availability": {"id": 94678, "slotTimeInMinutes": slot_minutes,
                             "type": "appointment", "startTime": "08:00", "endTime": "18:00",
                             "startDate": 0, "endDate": 0,
                             "weekday": {"monday": 2}, "scope": {"id": scope_id}},
            "slotCount": slot_count,
        }],
        "authKey": auth_key,
        "clients": [{"familyName": "", "email": "", "telephone": "", "emailSendCount": 0}],
        "createIP": "127.0.0.1",
        "createTimestamp": date - 86400,
        "id": pid,
        "priority": priority,
        "requests": [{"id": str(r), "link": f"https://service.example/dienstleistung/{r}/",
                      "name": f"Dienstleistung {r}", "source": "dldb"} for r in request_ids],
        "queue": {"arrivalTime": date, "callCount": 0, "callTime": 0, "number": str(pid),
                  "status": status, "lastCallTime": 0, "withAppointment": 1},
        "reminderTimestamp": 0,
        "scope": scope,
        "status": status,
    }


class FakeZms:
    """Start with FakeZms(); .url is the API base for [appointments.zms] url."""

    def __init__(self, workstation_scopes=(141,)) -> None:
        self.processes: dict[int, dict] = {}
        self.keys: dict[int, str] = {}     # the authKey ZMS checks (kept apart from the JSON)
        self.workstation_scopes = set(workstation_scopes)
        # switches
        self.slow_s = 0.0                 # sleep this long before answering anything
        self.slow_post_s = 0.0            # ...before answering a POST, after applying it
        self.fail_500 = False             # every request: HTTP 500 (a ZMS error envelope)
        self.fail_500_times = 0           # only the next N requests answer 500
        self.fail_post_500 = False        # POSTs only: HTTP 500 after applying nothing
        # html | truncated | wrong_types | not_envelope | huge_nesting | trickle
        self.nonsense: str | None = None
        self.error_flag_on_success = False  # 200 answers carry meta.error true (a broken proxy)
        self.refuse_second_queued = False  # a ZMS that answers a second "queued" with an error
        self.queued_by_other_at_post = False  # another terminal queues it just before our POST
        self.posted_bodies: list[dict] = []
        self.request_log: list[tuple[str, str]] = []   # (method, route name)
        self._stop = threading.Event()
        self._lock = threading.Lock()
        handler = type("Handler", (_Handler,), {"fake": self})
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}{BASE}"
        self._thread = threading.Thread(target=self.server.serve_forever,
                                        kwargs={"poll_interval": 0.05}, daemon=True)
        self._thread.start()

    def add(self, proc: dict) -> dict:
        with self._lock:
            self.processes[int(proc["id"])] = proc
            self.keys[int(proc["id"])] = proc.get("authKey")
        return proc

    def status(self, pid: int) -> str:
        with self._lock:
            return self.processes[pid]["status"]

    def set_status(self, pid: int, status: str) -> None:
        with self._lock:
            self.processes[pid]["status"] = status
            self.processes[pid]["queue"]["status"] = status

    def count(self, method: str, route: str) -> int:
        return sum(1 for entry in self.request_log if entry == (method, route))

    def close(self) -> None:
        self._stop.set()   # wakes sleeping handlers
        self.server.shutdown()
        self.server.server_close()
        self._thread.join(5)

    def sleep(self, seconds: float) -> None:
        self._stop.wait(seconds)


def envelope(data, *, error: bool = False, exception: str | None = None,
             message: str | None = None) -> dict:
    meta = {"$schema": "https://schema.berlin.de/queuemanagement/metaresult.json",
            "error": error, "exception": exception,
            "generated": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "server": "Zmsbackend-fake"}
    if message is not None:
        meta["message"] = message
    return {"$schema": f"http://127.0.0.1{BASE}/", "meta": meta, "data": data}


_EXC = "BO\\Zmsbackend\\Process\\Exception\\"


class _Handler(BaseHTTPRequestHandler):
    fake: FakeZms

    def log_message(self, format, *args) -> None:  # quiet: the test output stays readable
        pass

    def do_GET(self) -> None:
        self._dispatch("GET")

    def do_POST(self) -> None:
        self._dispatch("POST")

    def _dispatch(self, method: str) -> None:
        fake = self.fake
        path = self.path.split("?", 1)[0]
        if not path.startswith(BASE + "/"):
            return self._send(404, b"<html><body>Not Found</body></html>", "text/html")
        parts = [p for p in path[len(BASE):].split("/") if p]
        body = None
        if method == "POST":
            length = int(self.headers.get("Content-Length") or 0)
            try:
                body = json.loads(self.rfile.read(length) or b"null")
            except ValueError:
                body = None
        if fake.slow_s:
            fake.sleep(fake.slow_s)
        if fake.fail_500 or fake.fail_500_times > 0:
            fake.fail_500_times = max(0, fake.fail_500_times - 1)
            fake.request_log.append((method, "500"))
            return self._json(500, envelope(None, error=True, exception="PDOException",
                                            message="SQLSTATE[HY000] [2002] gone away"))
        if method == "POST" and fake.fail_post_500:
            fake.request_log.append((method, "500"))
            return self._json(500, envelope(None, error=True, exception="PDOException"))
        if fake.nonsense:
            fake.request_log.append((method, "nonsense"))
            pid = int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else 1000
            return self._nonsense(fake.nonsense, pid)
        if method == "GET" and len(parts) == 3 and parts[0] == "process" and parts[1].isdigit():
            fake.request_log.append(("GET", "process"))
            return self._get_process(int(parts[1]), parts[2])
        if method == "GET" and len(parts) == 2 and parts[0] == "process" and parts[1].isdigit():
            fake.request_log.append(("GET", "workstation_process"))
            return self._get_by_number(int(parts[1]))
        if method == "POST" and parts == ["process", "status", "queued"]:
            fake.request_log.append(("POST", "queued"))
            return self._post_queued(body)
        fake.request_log.append((method, "unknown"))
        return self._json(404, envelope(None, error=True, message=(
            "Could not find a resource with the given URL " + path)))

    # --- routes ---------------------------------------------------------------------------

    def _get_process(self, pid: int, auth_key: str) -> None:
        with self.fake._lock:
            proc = copy.deepcopy(self.fake.processes.get(pid))
        if proc is None:
            return self._not_found(pid)
        if self.fake.keys.get(pid) != auth_key:
            return self._json(403, envelope(None, error=True, exception=_EXC + "AuthKeyMatchFailed",
                                            message="Der Absagecode ist nicht korrekt."))
        self._json(200, envelope(proc, error=self.fake.error_flag_on_success))

    def _get_by_number(self, pid: int) -> None:
        if not self._logged_in():
            return self._missing_login()
        with self.fake._lock:
            proc = copy.deepcopy(self.fake.processes.get(pid))
        if proc is None:
            return self._not_found(pid)
        if proc["status"] in NOT_CALLABLE:
            return self._json(403, envelope({"processId": pid, "status": proc["status"]},
                                            error=True, exception=_EXC + "ProcessNotCallable"))
        if proc["scope"]["id"] not in self.fake.workstation_scopes:
            return self._json(403, envelope(None, error=True, exception=(
                "BO\\Zmsentities\\Exception\\WorkstationProcessMatchScopeFailed")))
        self._json(200, envelope(proc))

    def _post_queued(self, body) -> None:
        fake = self.fake
        if not self._logged_in():
            return self._missing_login()
        if not isinstance(body, dict) or "id" not in body:
            return self._json(400, envelope(None, error=True,
                                            exception="BO\\Zmsentities\\Exception\\SchemaValidation"))
        fake.posted_bodies.append(body)
        pid = int(body["id"])
        with fake._lock:
            proc = fake.processes.get(pid)
            if proc is None:
                return self._not_found(pid)
            if fake.keys.get(pid) != body.get("authKey"):
                return self._json(403, envelope(None, error=True,
                                                exception=_EXC + "AuthKeyMatchFailed"))
            if proc["scope"]["id"] not in fake.workstation_scopes:
                return self._json(403, envelope(None, error=True, exception=(
                    "BO\\Zmsentities\\Exception\\WorkstationProcessMatchScopeFailed")))
            if fake.queued_by_other_at_post:
                proc["status"] = proc["queue"]["status"] = "queued"
            if proc["status"] == "queued" and fake.refuse_second_queued:
                return self._json(400, envelope(None, error=True,
                                                exception=_EXC + "ProcessAlreadyQueued",
                                                message="process is already queued"))
            # as the published ProcessQueued: whatever the status, queued again
            proc["status"] = proc["queue"]["status"] = "queued"
            proc["queue"]["callCount"] = 0
            proc["queue"]["lastCallTime"] = 0
            answer = copy.deepcopy(proc)
        if fake.slow_post_s:
            fake.sleep(fake.slow_post_s)
        self._json(200, envelope(answer))

    # --- helpers --------------------------------------------------------------------------

    def _logged_in(self) -> bool:
        return self.headers.get("X-Authkey") == API_KEY

    def _missing_login(self) -> None:
        self._json(401, envelope(None, error=True,
                                 exception="BO\\Zmsentities\\Exception\\UserAccountMissingLogin"))

    def _not_found(self, pid: int) -> None:
        self._json(404, envelope({"processId": pid}, error=True, exception=_EXC + "ProcessNotFound",
                                 message="Zu den angegebenen Daten konnte kein Termin "
                                         "gefunden werden."))

    def _nonsense(self, kind: str, pid: int) -> None:
        if kind == "html":
            return self._send(200, b"<!DOCTYPE html><html><body>Wartungsarbeiten</body></html>",
                              "text/html")
        if kind == "truncated":
            whole = json.dumps(envelope(process(pid, "ab12", date=1_800_000_000))).encode()
            return self._send(200, whole[: len(whole) // 2], "application/json")
        if kind == "wrong_types":
            proc = process(pid, "ab12", date=1_800_000_000)
            proc["appointments"] = {"date": "soon"}
            proc["scope"] = "141"
            return self._json(200, envelope(proc))
        if kind == "not_envelope":
            return self._json(200, [1, 2, 3])
        if kind == "trickle":
            # a valid answer in the end, but its first 100 bytes (JSON whitespace) come one
            # every 0.1 s: only a deadline for the whole answer stops waiting for it
            whole = json.dumps(envelope(process(pid, "ab12", date=1_800_000_000))).encode()
            try:
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(100 + len(whole)))
                self.end_headers()
                for _ in range(100):
                    self.wfile.write(b" ")
                    self.wfile.flush()
                    if self.fake._stop.wait(0.1):
                        return
                self.wfile.write(whole)
            except OSError:
                pass
            return
        if kind == "huge_nesting":
            return self._send(200, b"[" * 100_000 + b"]" * 100_000, "application/json")
        raise ValueError(kind)

    def _json(self, code: int, payload) -> None:
        self._send(code, json.dumps(payload).encode(), "application/json")

    def _send(self, code: int, data: bytes, content_type: str) -> None:
        try:
            self.send_response(code)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
        except OSError:  # the client gave up waiting (the "slow" switch)
            pass
