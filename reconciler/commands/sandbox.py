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


def run(args: argparse.Namespace) -> int:
    emulator = sandbox.start()
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
