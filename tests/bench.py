"""`make bench`: the size of every variant's deployable template against the direct-upload
limit, and how long `ecs-bluegreen template` takes.

Sizes: the file to deploy (template.json) of every variant, against the 51,200 bytes that
`aws cloudformation deploy --template-file` sends without an S3 bucket; the largest settings
file the validation accepts with the CodeDeploy engine ("largest") must fit, and the default must
leave 5 KB for features to come (exit 1 otherwise: sizes do not depend on the machine). With
ECS's own engine the largest settings ("largest-ecs") need --s3-bucket, by decision (README,
"Template size"): it is reported, not a failure.

Speed: the median wall time of several runs of `ecs-bluegreen template` as separate
processes, with Python's bytecode cache on (as on a user's machine; the first run warms it),
against the goal of 0.25 s for the default. Reported, never asserted: timings depend on the
machine and on what else it is doing.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from variants import EXAMPLES, VARIANTS, deployed, rendered  # noqa: E402

# Over the direct-upload limit on purpose: deployed with --s3-bucket.
NEEDS_A_BUCKET = {"largest-ecs"}

LIMIT = 51_200
HEADROOM = 5 * 1024
SPEED_GOAL = 0.25
RUNS = int(os.environ.get("BENCH_RUNS", "15"))


def command_seconds(*arguments: str) -> float:
    """Median wall time of `ecs-bluegreen template ...` in fresh processes."""
    executable = Path(sys.executable).parent / "ecs-bluegreen"
    environment = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    with tempfile.TemporaryDirectory() as output:
        command = [str(executable), "template", *arguments, "--output", output]
        subprocess.run(command, env=environment, stdout=subprocess.DEVNULL, check=True)
        times = []
        for _ in range(RUNS):
            start = time.perf_counter()
            subprocess.run(command, env=environment, stdout=subprocess.DEVNULL, check=True)
            times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> int:
    print(f"{'variant':<22} {'template.json':>14} {'of limit':>9} {'template.yaml':>14}")
    failures = []
    for name in VARIANTS:
        size = len(deployed(name).encode())
        flag = "" if size <= LIMIT else (
            "  over: --s3-bucket" if name in NEEDS_A_BUCKET else "  OVER")
        print(f"{name:<22} {size:>14,} {size / LIMIT:>8.0%} {len(rendered(name).encode()):>14,}"
              f"{flag}")
        if flag and name not in NEEDS_A_BUCKET:
            failures.append(f"{name} is over the {LIMIT:,}-byte limit")
    default, largest = (len(deployed(n).encode()) for n in ("default", "largest"))
    print(f"\ndefault: {default:,} bytes, {LIMIT - default:,} below the limit "
          f"(goal: at least {HEADROOM:,})")
    print(f"largest accepted settings: {largest:,} bytes, {LIMIT - largest:,} below the limit")
    largest_ecs = len(deployed("largest-ecs").encode())
    print(f"largest with ECS's engine: {largest_ecs:,} bytes (deploy with --s3-bucket), "
          f"{largest_ecs - largest:,} more than with CodeDeploy")
    if LIMIT - default < HEADROOM:
        failures.append(f"the default leaves less than {HEADROOM:,} bytes")

    print(f"\necs-bluegreen template, median of {RUNS} process runs (bytecode cache on):")
    for label, arguments in (("default", ()),
                             ("examples/canary.toml", ("--config", str(EXAMPLES / "canary.toml")))):
        seconds = command_seconds(*arguments)
        verdict = "met" if seconds <= SPEED_GOAL else "missed"
        print(f"  {label:<22} {seconds * 1000:>6.0f} ms  (goal {SPEED_GOAL * 1000:.0f} ms: "
              f"{verdict})")
        if verdict == "missed":
            failures.append(f"{label}: the command took more than {SPEED_GOAL * 1000:.0f} ms "
                            "(on a busy machine, run again)")
    for failure in failures:
        print(f"error: {failure}", file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
