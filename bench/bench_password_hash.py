"""CPU, page faults and memory of one argon2id password check, by how glibc hands out its block.

Each password check (``idp.security.passwords``, the production parameters: 19 MiB, t=2,
p=1) needs a 19 MiB block. The script checks a password ``--checks`` times (40 by default)
in a fresh process for each way of getting that block, and prints per check the CPU time
(user and system) and the minor page faults, and the process's resident set at the end:

- ``glibc's default``: glibc raises its mmap threshold after the first large block is
  freed, so later blocks come from the heap and stay there;
- ``block given back``: the provider's own setting (``idp.app``, a fixed mmap threshold of
  128 KiB): every check maps its block afresh and faults in its 4 KiB pages;
- ``given back, huge pages``: the same with ``GLIBC_TUNABLES=glibc.malloc.hugetlb=1``, as
  ``idp run`` starts its workers (``idp.production.tuned_environment``).

    .venv/bin/python bench/bench_password_hash.py
    .venv/bin/python bench/bench_password_hash.py --checks 100 --rounds 3

Huge pages only take effect where the kernel's transparent huge pages are ``madvise`` or
``always`` (``/sys/kernel/mm/transparent_hugepage/enabled``, printed first).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from idp.production import HUGE_PAGE_BLOCKS  # noqa: E402  (after the path is set)

MODES = {
    "glibc's default": ({}, False),
    "block given back": ({}, True),
    "given back, huge pages": ({"GLIBC_TUNABLES": HUGE_PAGE_BLOCKS}, True),
}


def measure(checks: int, give_back: bool) -> dict[str, float]:
    """Check a password `checks` times in this process; return the figures per check."""
    from idp.app import _give_back_large_blocks
    from idp.security.passwords import Argon2Parameters, PasswordService

    if give_back:
        _give_back_large_blocks()
    service = PasswordService(Argon2Parameters(), concurrency=1, wait_seconds=1)
    stored = service.hash("correct horse battery staple")
    service.verify(stored, "correct horse battery staple")  # the first block, either way
    before = resource.getrusage(resource.RUSAGE_SELF)
    started = time.process_time()
    for _ in range(checks):
        assert service.verify(stored, "correct horse battery staple")
    cpu = time.process_time() - started
    after = resource.getrusage(resource.RUSAGE_SELF)
    rss_kib = next(int(line.split()[1]) for line in
                   Path("/proc/self/status").read_text().splitlines()
                   if line.startswith("VmRSS:"))
    return {"cpu_ms": cpu / checks * 1000,
            "system_ms": (after.ru_stime - before.ru_stime) / checks * 1000,
            "minor_faults": (after.ru_minflt - before.ru_minflt) / checks,
            "rss_mib": rss_kib / 1024}


def in_a_fresh_process(checks: int, environ: dict[str, str], give_back: bool) -> dict:
    env = {k: v for k, v in os.environ.items()
           if k not in ("GLIBC_TUNABLES", "MALLOC_MMAP_THRESHOLD_")}
    env.update(environ)
    out = subprocess.run([sys.executable, __file__, "--one", str(checks),
                          *(["--give-back"] if give_back else [])],
                         env=env, cwd=ROOT, check=True, capture_output=True, text=True)
    return json.loads(out.stdout)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--checks", type=int, default=40, help="password checks per process")
    parser.add_argument("--rounds", type=int, default=2,
                        help="processes per way, interleaved")
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--give-back", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.one is not None:
        print(json.dumps(measure(args.one, args.give_back)))
        return 0
    try:
        thp = Path("/sys/kernel/mm/transparent_hugepage/enabled").read_text().strip()
    except OSError:
        thp = "unknown"
    print(f"transparent huge pages: {thp}; {args.checks} checks per process")
    print(f"{'':24} {'CPU ms':>7} {'system ms':>10} {'minor faults':>13} {'RSS MiB':>8}")
    for _ in range(args.rounds):
        for name, (environ, give_back) in MODES.items():
            r = in_a_fresh_process(args.checks, environ, give_back)
            print(f"{name:24} {r['cpu_ms']:7.1f} {r['system_ms']:10.2f} "
                  f"{r['minor_faults']:13.0f} {r['rss_mib']:8.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
