"""Local mail sink: an SMTP server (aiosmtpd) that keeps every message it receives and shows
them on a small web page. Nothing is ever delivered anywhere.

Run it with::

    python -m simulators.mailsink [--host 127.0.0.1] [--smtp-port 8025] [--http-port 8104]
        [--keep 1000]

The product sends through Django's SMTP e-mail backend (EMAIL_HOST / EMAIL_PORT, default
127.0.0.1:8025). The web page lists the messages, newest first:

- ``GET /``: the list (HTML); ``GET /messages/<n>``: one message (HTML, text part);
- ``GET /_sim/messages``: JSON ``{"count", "messages": [{"id", "received_at", "mail_from",
  "rcpt_tos", "subject", "to", "message_id", "text"}]}``;
- ``POST /_sim/reset``: forget every message.

Only ``aiosmtpd`` beyond the standard library; no Django, no product code.
"""

from __future__ import annotations

import argparse
import email
import email.policy
import html
import json
import signal
import sys
import threading
from collections import deque
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from aiosmtpd.controller import Controller


class Mailbox:
    def __init__(self, keep: int) -> None:
        self.lock = threading.Lock()
        self.messages: deque[dict] = deque(maxlen=keep)
        self.next_id = 1

    def add(self, mail_from: str, rcpt_tos: list[str], raw: bytes) -> dict:
        parsed = email.message_from_bytes(raw, policy=email.policy.default)
        body = parsed.get_body(preferencelist=("plain", "html"))
        text = body.get_content() if body is not None else ""
        with self.lock:
            entry = {
                "id": self.next_id,
                "received_at": datetime.now(UTC).isoformat(timespec="seconds"),
                "mail_from": mail_from,
                "rcpt_tos": list(rcpt_tos),
                "subject": " ".join(str(parsed.get("Subject", "")).split()),
                "to": str(parsed.get("To", "")).strip(),
                "message_id": str(parsed.get("Message-ID", "")).strip(),
                "text": text,
            }
            self.next_id += 1
            self.messages.append(entry)
            return entry

    def all(self) -> list[dict]:
        with self.lock:
            return list(self.messages)

    def reset(self) -> None:
        with self.lock:
            self.messages.clear()


class SmtpHandler:
    def __init__(self, mailbox: Mailbox) -> None:
        self.mailbox = mailbox

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.mailbox.add(envelope.mail_from, envelope.rcpt_tos, envelope.original_content)
        return "250 Message accepted for delivery"


class WebServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address, mailbox: Mailbox) -> None:
        self.mailbox = mailbox
        super().__init__(address, WebHandler)


PAGE = """<!doctype html><html lang="da"><head><meta charset="utf-8">
<title>Mail-sink</title><style>body{{font-family:sans-serif;margin:2rem}}
td,th{{padding:.3rem .8rem;text-align:left;border-bottom:1px solid #ddd}}
pre{{white-space:pre-wrap;background:#f6f6f6;padding:1rem}}</style></head>
<body><h1>Mail-sink (test)</h1>{body}</body></html>"""


class WebHandler(BaseHTTPRequestHandler):
    server: WebServer
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _send(self, status: int, data: bytes, ctype: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", f"{ctype}; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self) -> None:
        mailbox = self.server.mailbox
        path = self.path.split("?")[0].rstrip("/") or "/"
        if path == "/_sim/messages":
            messages = mailbox.all()
            body = json.dumps({"count": len(messages), "messages": messages}, ensure_ascii=False)
            self._send(200, body.encode(), "application/json")
        elif path == "/":
            rows = "".join(
                f'<tr><td><a href="/messages/{m["id"]}">{m["id"]}</a></td>'
                f"<td>{html.escape(m['received_at'])}</td><td>{html.escape(m['to'])}</td>"
                f"<td>{html.escape(m['subject'])}</td></tr>"
                for m in reversed(mailbox.all())
            )
            table = (
                "<table><tr><th>#</th><th>Modtaget</th><th>Til</th><th>Emne</th></tr>"
                f"{rows}</table>"
                if rows
                else "<p>Ingen beskeder endnu.</p>"
            )
            self._send(200, PAGE.format(body=table).encode(), "text/html")
        elif path.startswith("/messages/"):
            wanted = path[len("/messages/") :]
            found = next((m for m in mailbox.all() if str(m["id"]) == wanted), None)
            if found is None:
                self._send(404, PAGE.format(body="<p>Ikke fundet.</p>").encode(), "text/html")
                return
            body = (
                f"<p><a href='/'>Alle beskeder</a></p><h2>{html.escape(found['subject'])}</h2>"
                f"<p>Fra: {html.escape(found['mail_from'])}<br>Til: {html.escape(found['to'])}"
                f"<br>Modtaget: {html.escape(found['received_at'])}</p>"
                f"<pre>{html.escape(found['text'])}</pre>"
            )
            self._send(200, PAGE.format(body=body).encode(), "text/html")
        else:
            self._send(404, b"{}", "application/json")

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        if self.path.rstrip("/") == "/_sim/reset":
            self.server.mailbox.reset()
            self._send(200, b'{"reset": true}', "application/json")
        else:
            self._send(404, b"{}", "application/json")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m simulators.mailsink")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--smtp-port", type=int, default=8025)
    parser.add_argument("--http-port", type=int, default=8104)
    parser.add_argument("--keep", type=int, default=1000, help="messages kept (oldest dropped)")
    args = parser.parse_args(argv)

    mailbox = Mailbox(args.keep)
    controller = Controller(SmtpHandler(mailbox), hostname=args.host, port=args.smtp_port)
    controller.start()
    web = WebServer((args.host, args.http_port), mailbox)

    def stop(*_: object) -> None:
        threading.Thread(target=web.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    print(
        f"Mail sink: SMTP {args.host}:{args.smtp_port}, "
        f"messages at http://{args.host}:{args.http_port}/",
        flush=True,
    )
    try:
        web.serve_forever(poll_interval=0.2)
    finally:
        web.server_close()
        controller.stop()
        print("Mail sink stopped", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
