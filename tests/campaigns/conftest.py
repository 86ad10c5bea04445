"""Local receivers for the external channels: a WeCom-robot-like HTTP server and an SMTP server.

Both record what they receive, so tests check the real bytes a channel sent, not a mock's call list.
"""

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest


class WebhookRecorder:
    """Answers like a WeCom robot ({"errcode": 0}); `errcode` and `delay` make it fail or stall on purpose."""

    def __init__(self):
        self.received: list[dict] = []
        self.errcode = 0
        self.delay = 0.0
        self.lock = threading.Lock()
        recorder = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 (http.server's name)
                import time

                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                if recorder.delay:
                    time.sleep(recorder.delay)
                with recorder.lock:
                    recorder.received.append(
                        {"key": self.headers.get("Idempotency-Key"), "path": self.path, "body": json.loads(body)}
                    )
                payload = json.dumps({"errcode": recorder.errcode, "errmsg": "ok" if not recorder.errcode else "err"})
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(payload.encode())

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/cgi-bin/webhook/send?key=test"

    def keys(self) -> list[str]:
        with self.lock:
            return [item["key"] for item in self.received]


@pytest.fixture
def webhook_server():
    recorder = WebhookRecorder()
    recorder.thread.start()
    yield recorder
    recorder.server.shutdown()
    recorder.server.server_close()


class SmtpRecorder:
    """Accepts and records every message, except those to an address in `refuse` (550, nothing recorded)."""

    def __init__(self):
        self.messages = []
        self.refuse: set[str] = set()

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's name)
        from email import message_from_bytes, policy

        if set(envelope.rcpt_tos) & self.refuse:
            return "550 Mailbox unavailable"

        self.messages.append(
            {"to": envelope.rcpt_tos, "message": message_from_bytes(envelope.content, policy=policy.default)}
        )
        return "250 Message accepted for delivery"


@pytest.fixture
def smtp_server(settings):
    from aiosmtpd.controller import Controller

    from tests.servers import free_port

    handler = SmtpRecorder()
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = controller.port
    yield handler
    controller.stop()
