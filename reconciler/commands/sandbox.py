"""`reconciler sandbox`: a local AWS emulator seeded for the examples."""

from __future__ import annotations

import argparse
import contextlib
import signal
import sys
import threading

from reconciler.sandbox import server as sandbox

NAME = "sandbox"
HELP = "start a local AWS emulator seeded for manifests/ and print how to use it"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--no-seed", action="store_true", help="start empty")
    # No --region: the seed matches manifests/, whose functions name eu-west-1
    # (the emulator itself answers for any region).
    parser.add_argument(
        "--port",
        type=_port,
        default=0,
        help="listen on 127.0.0.1:PORT (default: a free port, printed in the export lines)",
    )


def _port(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a port number: {text!r}") from None
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"port must be 0-65535, not {value}")
    return value


def run(args: argparse.Namespace) -> int:
    emulator = sandbox.start(args.port)
    try:
        if not args.no_seed:
            sandbox.seed(emulator)
        for key, value in emulator.env().items():
            print(f"export {key}={value}")
        print(f"# emulator running at {emulator.url}; Ctrl-C stops it", file=sys.stderr)
        sys.stdout.flush()
        stop = threading.Event()
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
        with contextlib.suppress(KeyboardInterrupt):
            stop.wait()
    finally:
        emulator.stop()
    return 0
