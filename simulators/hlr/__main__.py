"""Command line: ``python -m simulators.hlr --help``."""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from pathlib import Path

from .server import Knobs, make_server, parse_bool
from .store import Store


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m simulators.hlr",
        description="HLR simulator (Huslejeregisteret) for local use and tests.",
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8102)
    parser.add_argument("--data", default="var/hlr-sim.json", help="state file ('' = memory only)")
    parser.add_argument("--latency-ms", type=float, default=0.0)
    parser.add_argument("--error-rate", type=float, default=0.0)
    parser.add_argument("--lost-response-rate", type=float, default=0.0)
    parser.add_argument("--down", type=parse_bool, default=False)
    parser.add_argument("--api-key", default="demo-hlr")
    parser.add_argument("--verbose", action="store_true", help="log each request line")
    args = parser.parse_args(argv)

    try:
        knobs = Knobs(
            latency_ms=args.latency_ms,
            error_rate=args.error_rate,
            lost_response_rate=args.lost_response_rate,
            down=args.down,
        )
    except ValueError as exc:
        parser.error(str(exc))
    store = Store(Path(args.data) if args.data else None)
    server = make_server(
        args.host, args.port, store=store, knobs=knobs, api_key=args.api_key, verbose=args.verbose
    )

    def stop(*_: object) -> None:
        threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    host, port = server.server_address[:2]
    print(
        f"HLR simulator on http://{host}:{port}/api/v3 (data: {args.data or 'memory'})", flush=True
    )
    try:
        server.serve_forever(poll_interval=0.2)
    finally:
        server.server_close()
        store.close()
        print("HLR simulator stopped; state saved", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
