"""`python -m bench <name> [--db sqlite|mariadb] [--rounds N] [--clients 1,8] [--smoke]`.

`python -m bench list` names the benchmarks. Each is a module with
`run(*, options: Options) -> str`, imported only when asked for. Exit status 0 when the
benchmark ran (whatever its figures), 2 for a bad option or an unknown benchmark.
"""

from __future__ import annotations

import argparse
import importlib
import sys
import time
from collections.abc import Sequence

from bench.harness import Options, machine_line

BENCHMARKS = {
    "ec2": ("bench.ec2_control", "EC2 control plane (boto3) vs moto_server"),
    "s3": ("bench.s3_data", "S3 data plane"),
    "native-scale": ("bench.native_scale", "native API at scale"),
    "vm-boot": ("bench.vm_boot", "real VM boot (libvirt, QEMU/TCG) vs a bare QEMU boot"),
}


def _clients(text: str) -> tuple[int, ...]:
    try:
        values = tuple(int(part) for part in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a comma-separated list of counts: {text}")
    if not values or min(values) < 1:
        raise argparse.ArgumentTypeError(f"client counts must be at least 1: {text}")
    return values


def _positive(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"not a positive integer: {text}")
    return int(text)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument("name", choices=["list", *BENCHMARKS], help="benchmark to run, or list")
    parser.add_argument("--db", choices=("sqlite", "mariadb"), default="sqlite")
    parser.add_argument("--rounds", type=_positive, help="timed operations per workload")
    parser.add_argument("--clients", type=_clients, help="concurrent clients, e.g. 1,8")
    parser.add_argument("--smoke", action="store_true", help="tiny sizes and few rounds (CI)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run one benchmark (or list them); returns the exit status."""
    args = build_parser().parse_args(argv)
    if args.name == "list":
        for name, (_module, description) in BENCHMARKS.items():
            print(f"{name:14} {description}")
        return 0
    module = importlib.import_module(BENCHMARKS[args.name][0])
    options = Options(db=args.db, rounds=args.rounds, clients=args.clients, smoke=args.smoke)
    print(f"machine: {machine_line()}", flush=True)
    began = time.monotonic()
    module.run(options=options)
    print(f"{args.name}: finished in {time.monotonic() - began:.0f} s", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
