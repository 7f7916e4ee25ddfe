"""The receiving ends of Countersign's notifications, on loopback: a client's or webhook's
notification endpoint (`Receiver`) and a listener on `GET /api/v1/events` (`EventStream`)."""

from __future__ import annotations

import http.client
import http.server
import json
import socket
import threading
import time
import urllib.parse

from support import EVENTUALLY


class Receiver:
    """A notification endpoint on loopback (PORT, or any free port): records every request (path,
    method, headers, JSON body, raw bytes, the status answered, arrival time) and answers each with
    the next status of `statuses` (the last one repeats; `status` is a single one). A 301/302/307
    carries a Location that must never be followed: a followed redirect would arrive as a GET,
    which is recorded too."""

    def __init__(self, status: int = 204, *, port: int = 0, statuses=None):
        self.statuses = list(statuses) if statuses else [status]
        self.received: list[dict] = []
        self.arrived = threading.Condition()
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 - a followed redirect would arrive here
                self.do_POST()

            def do_POST(self):  # noqa: N802
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                with receiver.arrived:
                    status = receiver.statuses[min(len(receiver.received), len(receiver.statuses) - 1)]
                    receiver.received.append({"path": self.path, "method": self.command, "headers": dict(self.headers),
                                              "body": json.loads(body) if body else None, "raw": body,
                                              "status": status, "at": time.monotonic()})
                    receiver.arrived.notify_all()
                self.send_response(status)
                if status in (301, 302, 307):
                    self.send_header("Location", receiver.url + "/elsewhere")
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def wait(self, count: int = 1, timeout: float = EVENTUALLY) -> list[dict]:
        with self.arrived:
            assert self.arrived.wait_for(lambda: len(self.received) >= count, timeout), \
                f"expected {count} notifications, got {self.received}"
            return list(self.received)

    def stop(self):
        self.httpd.shutdown()
        self.httpd.server_close()


class EventStream:
    """A `GET /api/v1/events` listener on its own thread, collecting parsed events (each with its
    arrival time as `at`); `close` shuts its socket, which ends the read at once. `listening` is
    set by the stream's opening comment, which the server writes once the listener is registered:
    an approval change after that reaches it."""

    def __init__(self, server, token):
        self.events: list[dict] = []
        self.arrived = threading.Condition()
        self.ended = threading.Event()  # set when the server ends the stream (or close() does)
        self.listening = threading.Event()  # set by the first comment line (": listening ...")
        host, port = urllib.parse.urlsplit(server.url).netloc.rsplit(":", 1)
        self.conn = http.client.HTTPConnection(host, int(port), timeout=30)
        self.conn.request("GET", "/api/v1/events", headers={"Authorization": f"Bearer {token}"})
        self.resp = self.conn.getresponse()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        event: dict = {}
        try:
            while line := self.resp.readline():
                line = line.decode().rstrip("\r\n")
                if line == "":
                    if "event" in event:
                        with self.arrived:
                            self.events.append({**event, "at": time.monotonic()})
                            self.arrived.notify_all()
                    event = {}
                elif line.startswith(":"):
                    self.listening.set()
                elif ":" in line:
                    field, value = line.split(":", 1)
                    event[field] = value[1:] if value.startswith(" ") else value
        except Exception:  # noqa: BLE001 - closed by close(): any read error ends the listener
            pass
        finally:
            self.ended.set()

    def wait(self, predicate, timeout=EVENTUALLY):
        with self.arrived:
            assert self.arrived.wait_for(lambda: any(predicate(e) for e in self.events), timeout), self.events
            return next(e for e in self.events if predicate(e))

    def close(self):
        try:
            self.conn.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.conn.close()
