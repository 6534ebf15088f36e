"""The outside-world services the platform talks to, built once by the wiring.

``app.py`` (and the CLI) build one :class:`Services` from the settings and hand it to the
job registry; handlers never build clients themselves. Tests and the development server
hand in real-but-local ones (an SMTP server on 127.0.0.1), production the configured ones.
"""

from __future__ import annotations

import ssl
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Protocol

import httpcore
import httpx

from clearinghouse.crypto import SecretBox
from clearinghouse.settings import Settings

USER_AGENT = "Clearinghouse-Webhooks/1"


class Mailer(Protocol):
    def send(self, message: EmailMessage) -> None:
        """Hand the message to the mail system; raise ``notify.mail.MailError`` if it refuses."""
        ...


# (host, port) -> the IP address a connection to it must use.
Pins = Mapping[tuple[str, int], str]


class _PinnedBackend(httpcore.NetworkBackend):
    """Connects to the address resolved (and checked) before the request, never to what
    the name resolves to a moment later: no DNS-rebinding window. TLS still verifies the
    certificate for the name, and sends it as SNI (httpcore passes the request's host)."""

    def __init__(self, pins: Pins) -> None:
        self._pins = dict(pins)
        self._inner = httpcore.SyncBackend()

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.NetworkStream:
        pinned = self._pins.get((host, port))
        if pinned is None:
            raise httpcore.ConnectError(f"{host}:{port} was not resolved and checked first")
        return self._inner.connect_tcp(
            pinned, port, timeout, local_address=local_address, socket_options=socket_options
        )

    def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.NetworkStream:
        raise httpcore.ConnectError("webhooks are not delivered over Unix sockets")

    def sleep(self, seconds: float) -> None:
        self._inner.sleep(seconds)


class PinnedTransport(httpx.BaseTransport):
    """An httpx transport over httpcore whose connections go to pinned addresses only."""

    def __init__(self, pins: Pins, ssl_context: ssl.SSLContext | None = None) -> None:
        self._pool = httpcore.ConnectionPool(
            ssl_context=ssl_context or ssl.create_default_context(),
            network_backend=_PinnedBackend(pins),
            max_connections=4,
        )

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        try:
            return self._handle(request)
        except httpcore.TimeoutException as exc:
            raise httpx.TimeoutException(str(exc), request=request) from exc
        except (httpcore.ConnectError, httpcore.UnsupportedProtocol) as exc:
            raise httpx.ConnectError(str(exc), request=request) from exc
        except httpcore.ProtocolError as exc:
            raise httpx.RemoteProtocolError(str(exc), request=request) from exc
        except httpcore.NetworkError as exc:
            raise httpx.NetworkError(str(exc), request=request) from exc

    def _handle(self, request: httpx.Request) -> httpx.Response:
        if not isinstance(request.stream, httpx.SyncByteStream):  # pragma: no cover
            raise TypeError("a synchronous client sends a synchronous body")
        core = self._pool.handle_request(
            httpcore.Request(
                method=request.method,
                url=httpcore.URL(
                    scheme=request.url.raw_scheme,
                    host=request.url.raw_host,
                    port=request.url.port,
                    target=request.url.raw_path,
                ),
                headers=request.headers.raw,
                content=request.stream,
                extensions=request.extensions,
            )
        )
        stream = core.stream
        if not isinstance(stream, Iterable):  # pragma: no cover (a sync pool's stream)
            raise TypeError("the connection pool returned an async stream")
        content = b"".join(stream)
        core.close()
        return httpx.Response(
            status_code=core.status, headers=core.headers, content=content, request=request
        )

    def close(self) -> None:
        self._pool.close()


@dataclass(frozen=True)
class Services:
    mailer: Mailer
    # A new HTTP client for one delivery, connecting only to the given checked addresses;
    # the caller closes it (``with factory(pins) as c``).
    webhook_client: Callable[[Pins], httpx.Client]
    secrets: SecretBox
    # Deliver webhooks to loopback, private and link-local addresses? Off unless the operator
    # allows it (CLEARINGHOUSE_WEBHOOK_ALLOW_PRIVATE): a member could otherwise make the
    # platform call its internal network (SSRF).
    webhook_allow_private: bool = False

    @classmethod
    def from_settings(
        cls, settings: Settings, *, mailer: Mailer, ssl_context: ssl.SSLContext | None = None
    ) -> Services:
        timeout = settings.webhook_timeout_seconds

        def client(pins: Pins) -> httpx.Client:
            return httpx.Client(
                transport=PinnedTransport(pins, ssl_context),
                timeout=timeout,
                follow_redirects=False,
                headers={"user-agent": USER_AGENT},
            )

        return cls(
            mailer=mailer,
            webhook_client=client,
            secrets=SecretBox(settings.secret_key.get_secret_value()),
            webhook_allow_private=settings.webhook_allow_private,
        )
