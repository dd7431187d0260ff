"""`make bench`: render time (median of several runs) and template size of every variant.

Sizes are compared with the 51,200-byte limit of a template body sent directly by
`aws cloudformation deploy --template-file` (no S3 bucket). The default template must fit
(exit 1 otherwise); a variant over the limit is marked OVER and deploys with --s3-bucket.
Speed is measured here, never asserted in the tests.
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from stacks.settings import parse_settings  # noqa: E402
from stacks.template import render_template  # noqa: E402
from variants import VARIANTS  # noqa: E402

LIMIT = 51_200
RUNS = 9


def measure(data: dict) -> tuple[float, int]:
    times, text = [], ""
    for _ in range(RUNS):
        start = time.perf_counter()
        text = render_template(parse_settings(data))
        times.append(time.perf_counter() - start)
    return statistics.median(times), len(text.encode())


def main() -> int:
    print(f"{'variant':<20} {'median ms':>10} {'bytes':>8} {'of limit':>9}  "
          f"(median of {RUNS} renders; limit {LIMIT:,} bytes)")
    over = []
    for name, data in VARIANTS.items():
        seconds, size = measure(data)
        flag = "" if size <= LIMIT else "  OVER"
        if flag:
            over.append(name)
        print(f"{name:<20} {seconds * 1000:>10.1f} {size:>8,} {size / LIMIT:>8.0%}{flag}")
    if over:
        print(f"over the limit (deploy with --s3-bucket): {', '.join(over)}", file=sys.stderr)
    return 1 if "default" in over else 0


if __name__ == "__main__":
    sys.exit(main())
