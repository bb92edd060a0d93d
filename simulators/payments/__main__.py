"""Command line: ``python -m simulators.payments --help``."""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from pathlib import Path

from .server import Knobs, make_server
from .store import Store
from .webhooks import Dispatcher


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m simulators.payments",
        description="Payment provider and SMS gateway simulator for local use and tests.",
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8103)
    parser.add_argument(
        "--public-url",
        default="",
        help="address browsers reach the payment page at (default http://HOST:PORT)",
    )
    parser.add_argument("--data", default="var/payments-sim.json", help="state file ('' = memory)")
    parser.add_argument("--api-key", default="demo-payments")
    parser.add_argument("--webhook-secret", default="demo-webhook-secret")
    parser.add_argument("--webhook-url", default="", help="used when a session names none")
    parser.add_argument("--webhook-threads", type=int, default=8)
    parser.add_argument("--webhook-timeout", type=float, default=10.0)
    parser.add_argument("--latency-ms", type=float, default=0.0)
    parser.add_argument("--failure-rate", type=float, default=0.0)
    parser.add_argument("--webhook-loss-rate", type=float, default=0.0)
    parser.add_argument("--webhook-duplicate-rate", type=float, default=0.0)
    parser.add_argument("--webhook-delay-ms", type=float, default=0.0)
    parser.add_argument("--webhook-retry-base-ms", type=float, default=500.0)
    parser.add_argument("--verbose", action="store_true", help="log each request line")
    args = parser.parse_args(argv)

    try:
        knobs = Knobs(
            latency_ms=args.latency_ms,
            failure_rate=args.failure_rate,
            webhook_loss_rate=args.webhook_loss_rate,
            webhook_duplicate_rate=args.webhook_duplicate_rate,
            webhook_delay_ms=args.webhook_delay_ms,
            webhook_retry_base_ms=args.webhook_retry_base_ms,
            webhook_url=args.webhook_url,
        )
    except ValueError as exc:
        parser.error(str(exc))
    public_url = args.public_url or f"http://{args.host}:{args.port}"
    store = Store(Path(args.data) if args.data else None, public_url=public_url)
    dispatcher = Dispatcher(
        store,
        knobs,
        secret=args.webhook_secret,
        default_url=None,
        threads=args.webhook_threads,
        timeout=args.webhook_timeout,
    )
    server = make_server(
        args.host, args.port, store=store, knobs=knobs, dispatcher=dispatcher, api_key=args.api_key
    )
    server.verbose = args.verbose
    dispatcher.start()

    def stop(*_: object) -> None:
        threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    host, port = server.server_address[:2]
    print(f"Payment simulator on http://{host}:{port} (data: {args.data or 'memory'})", flush=True)
    try:
        server.serve_forever(poll_interval=0.2)
    finally:
        dispatcher.stop()
        server.server_close()
        store.save()
        print("Payment simulator stopped; state saved", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
