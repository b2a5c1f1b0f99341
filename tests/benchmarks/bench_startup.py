"""Wall time of the commands people type most, against a bare Python start.

    python tests/benchmarks/bench_startup.py [--repeat N]

Prints the median of N runs per command and its ratio to ``python -c pass``
measured in the same process, so the figures compare across machines.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time

COMMANDS = {
    "python -c pass (baseline)": [sys.executable, "-c", "pass"],
    "imagine --help": [sys.executable, "-m", "imagine_core", "--help"],
    "imagine plugins": [sys.executable, "-m", "imagine_core", "plugins"],
    "imagine config show": [sys.executable, "-m", "imagine_core", "config", "show"],
    "imagine config validate": [
        sys.executable,
        "-m",
        "imagine_core",
        "config",
        "validate",
        "--skip-paths",
    ],
}


def median_seconds(command: list[str], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    baseline = None
    print(f"{'command':<28} {'median s':>9} {'x baseline':>11}")
    for name, command in COMMANDS.items():
        seconds = median_seconds(command, args.repeat)
        baseline = baseline or seconds
        print(f"{name:<28} {seconds:>9.3f} {seconds / baseline:>11.1f}")


if __name__ == "__main__":
    main()
