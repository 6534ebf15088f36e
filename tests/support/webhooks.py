"""A real webhook receiver for tests: an HTTP server on 127.0.0.1 that verifies Standard
Webhooks signatures with :func:`clearinghouse.notify.signing.verify` and records what came."""

from __future__ import annotations

import socketserver
import ssl
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from clearinghouse.notify import signing
from clearinghouse.timeutil import Clock


@dataclass
class Delivery:
    path: str
    headers: dict[str, str]
    body: bytes
    verified_id: str | None  # the webhook-id when the signature verified
    problem: str | None  # why it did not


@dataclass
class Receiver:
    url: str
    clock: Clock
    secret: str = ""
    # Status codes to answer, in order; 204 once they run out.
    statuses: list[int] = field(default_factory=list)
    deliveries: list[Delivery] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def answer(self, delivery: Delivery) -> int:
        with self.lock:
            self.deliveries.append(delivery)
            return self.statuses.pop(0) if self.statuses else 204


class _QuickServer(ThreadingHTTPServer):
    daemon_threads = True

    def server_bind(self) -> None:
        # HTTPServer.server_bind looks up the host's FQDN (slow reverse DNS); skip it.
        socketserver.TCPServer.server_bind(self)
        host, port = self.server_address[:2]
        self.server_name, self.server_port = str(host), int(port)


@contextmanager
def webhook_receiver(clock: Clock, tls: ssl.SSLContext | None = None) -> Iterator[Receiver]:
    """A receiver on 127.0.0.1; with ``tls`` (a server context) it speaks HTTPS and its URL
    names ``localhost``."""
    receiver_ref: list[Receiver] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            receiver = receiver_ref[0]
            body = self.rfile.read(int(self.headers.get("content-length", "0")))
            headers = {k.lower(): v for k, v in self.headers.items()}
            try:
                verified = signing.verify(
                    receiver.secret, headers, body, now=int(receiver.clock.now().timestamp())
                )
                problem = None
            except (signing.WebhookVerificationError, signing.InvalidWebhookSecretError) as exc:
                verified, problem = None, str(exc)
            status = receiver.answer(Delivery(self.path, headers, body, verified, problem))
            if problem is not None:
                status = 401
            self.send_response(status)
            self.send_header("content-length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, format: str, *args: object) -> None:
            return

    server = _QuickServer(("127.0.0.1", 0), Handler)
    host, port = server.server_address[:2]
    if tls is not None:
        server.socket = tls.wrap_socket(server.socket, server_side=True)
        url = f"https://localhost:{port}/hooks/clearinghouse"
    else:
        url = f"http://{host!s}:{port}/hooks/clearinghouse"
    receiver_ref.append(Receiver(url, clock))
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield receiver_ref[0]
    finally:
        server.shutdown()  # returns within serve_forever's poll interval
        server.server_close()
        thread.join(5)
