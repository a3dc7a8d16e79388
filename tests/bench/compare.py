#!/usr/bin/env python3
"""Strata against an earlier Strata, side by side: the regression check of a restructuring.

Usage: tests/bench/compare.py BEFORE_REV [--sizes 100,1000] [--chain 10000] [--runs K] [--out DIR]

Builds the benchmark projects of tests/bench/gen.py twice, once against the runtime of
BEFORE_REV (checked out with `git worktree` under OUT) and once against this checkout, then
runs each measurement for both builds alternately (ABBA...), so a drift of the machine's speed
hits both alike, and prints the medians and the ratio after/before:

- autogenerate (`migrate -m`, the version-2 models against a database at version 1), SQLite
  and PostgreSQL, N tables;
- upgrade from base (a new database each run), SQLite and PostgreSQL, N tables;
- `heads` and `history` on a chain of K revisions.

A ratio near 1.00 is no change; the machine's noise is visible in the min-max columns.
"""

import argparse
import os
import shutil
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import bench  # noqa: E402  (the suite's helpers: processes, databases, interleaving)


class Side:
    """One build of the benchmark projects (before or after)."""

    def __init__(self, name, repo, runtime, out, sizes, chain, runs):
        args = argparse.Namespace(
            repo=repo, out=out, quick=False, only=None, runtime=runtime, runs=runs
        )
        self.name = name
        self.b = bench.Bench(args)
        self.b.sizes = sizes
        self.b.chains = [chain]

    def build(self):
        """gen.py, then the release `migrate` binaries of both model versions (no tools)."""
        b = self.b
        shutil.rmtree(b.tmp, ignore_errors=True)
        os.makedirs(b.tmp)
        gen = [
            sys.executable, os.path.join(HERE, "gen.py"), b.out, b.repo,
            "--sizes", ",".join(map(str, b.sizes)), "--chains", ",".join(map(str, b.chains)),
            "--runtime", b.args.runtime, "--no-tools",
        ]  # fmt: skip
        subprocess.run(gen, check=True)
        pkgs = []
        for n in b.sizes:
            pkgs += ["-p", f"app_{n}", "-p", f"app_{n}_v2"]
        subprocess.run(["cargo", "build", "--release", "--offline", "-q", *pkgs],
                       cwd=b.ws, env=b.cargo_env(), check=True)  # fmt: skip


def stats(xs):
    xs = sorted(xs)
    return bench.median(xs), xs[0], xs[-1]


def line(name, before, after):
    mb, lb, hb = stats(before)
    ma, la, ha = stats(after)
    ratios = sorted(a / b for a, b in zip(after, before))
    return (
        f"| {name} | {bench.fmt_time(mb)} ({bench.fmt_time(lb)}-{bench.fmt_time(hb)}) "
        f"| {bench.fmt_time(ma)} ({bench.fmt_time(la)}-{bench.fmt_time(ha)}) "
        f"| {bench.median(ratios):.2f}x ({ratios[0]:.2f}-{ratios[-1]:.2f}) |"
    )


def fresh_tmp(b, tag):
    """Points the side's scratch directory at a new one, so each case has its own projects."""
    b.tmp = os.path.join(b.out, f"run-{tag}")
    shutil.rmtree(b.tmp, ignore_errors=True)
    os.makedirs(b.tmp)


def autogen_fn(side, dialect, n):
    """A function running autogenerate of the version-2 models against a database at
    version 1 (set up once), removing the file it writes."""
    b = side.b
    fresh_tmp(b, f"autogen-{dialect}-{n}")
    root, mig, db, init, _, _ = b.project(dialect, n)
    versions = os.path.join(mig, "versions")

    def f():
        r = bench.run(b.migrate(n, mig, db.url, "migrate", "-m", "x", v2=True), cwd=root)
        new = [x for x in os.listdir(versions) if x != init]
        if len(new) != 1:
            raise bench.Failed(f"{side.name}: autogenerate wrote {new}")
        os.remove(os.path.join(versions, new[0]))
        return r

    return f


def upgrade_fn(side, dialect, n):
    """A function upgrading a new database from base to the initial revision of N tables."""
    b = side.b
    fresh_tmp(b, f"upgrade-{dialect}-{n}")
    root, mig, db, _, _, _ = b.project(dialect, n)
    db.drop()

    def f():
        fresh = bench.Db(b, dialect)
        try:
            return bench.run(b.migrate(n, mig, fresh.url, "upgrade"), cwd=root)
        finally:
            fresh.drop()

    return f


def command_fn(side, chain, *args):
    b = side.b
    mig = os.path.join(b.out, f"chain_{chain}", "migrations")
    binary = b.migrate_bin(min(b.sizes))
    return lambda: bench.run([binary, "-q", "-d", mig, *args])


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("before", help="the git revision to compare with")
    p.add_argument("--sizes", default="100,1000")
    p.add_argument("--chain", type=int, default=10000)
    p.add_argument("--runs", type=int, default=9)
    p.add_argument("--out", default=None)
    args = p.parse_args()
    repo = os.path.abspath(os.path.join(HERE, "..", ".."))
    target = os.environ.get("CARGO_TARGET_DIR", os.path.join(repo, "target"))
    out = os.path.abspath(args.out or os.path.join(target, "strata-compare"))
    sizes = [int(s) for s in args.sizes.split(",")]
    src = os.path.join(out, "before-src")
    if os.path.exists(src):
        subprocess.run(["git", "-C", repo, "worktree", "remove", "--force", src], check=False)
        shutil.rmtree(src, ignore_errors=True)
    subprocess.run(["git", "-C", repo, "worktree", "add", "-q", "--detach", src, args.before],
                   check=True)  # fmt: skip
    rev = subprocess.run(["git", "-C", repo, "rev-parse", "--short", "HEAD"],
                         capture_output=True, text=True, check=True).stdout.strip()  # fmt: skip
    before = Side(f"before ({args.before})", repo, os.path.join(src, "runtime"),
                  os.path.join(out, "before"), sizes, args.chain, args.runs)  # fmt: skip
    after = Side(f"after ({rev})", repo, os.path.join(repo, "runtime"),
                 os.path.join(out, "after"), sizes, args.chain, args.runs)  # fmt: skip
    # Both sides create databases in this process: keep their names apart.
    after.b.pg.n = 100_000
    t0 = time.perf_counter()
    start_load = bench.load()
    rows = []
    try:
        for side in (before, after):
            bench.step(f"building {side.name}")
            side.build()
        cases = []
        for n in sizes:
            for dialect in ("sqlite", "postgres"):
                cases.append((f"autogenerate, {dialect}, {n:,} tables",
                              autogen_fn(before, dialect, n), autogen_fn(after, dialect, n)))  # fmt: skip
        for n in sizes:
            for dialect in ("sqlite", "postgres"):
                if dialect == "postgres" and n > 100:
                    continue  # ~9 s per run at 1,000 tables; the suite measures it
                cases.append((f"upgrade from base, {dialect}, {n:,} tables",
                              upgrade_fn(before, dialect, n), upgrade_fn(after, dialect, n)))  # fmt: skip
        for cmd in ("heads", "history"):
            cases.append((f"`{cmd}`, {args.chain:,} revisions",
                          command_fn(before, args.chain, cmd), command_fn(after, args.chain, cmd)))  # fmt: skip
        for name, fb, fa in cases:
            bench.step(f"measuring {name}")
            pair = bench.interleave(args.runs, fb, fa)
            rows.append(line(name, pair.a, pair.b))
    except bench.Failed as e:
        print(f"compare: {e}", file=sys.stderr)
        return 1
    finally:
        for side in (before, after):
            side.b.pg.drop_all()
        subprocess.run(["git", "-C", repo, "worktree", "remove", "--force", src], check=False)
    print(f"Machine: {bench.machine()}")
    print(f"Load average (1/5/15 min): {start_load} at start, {bench.load()} at end; "
          f"took {time.perf_counter() - t0:.0f} s; {args.runs} runs of each, alternating.\n")  # fmt: skip
    print(f"| measurement | {before.name} | {after.name} | after / before |")
    print("| --- | ---: | ---: | ---: |")
    for r in rows:
        print(r)
    return 0


if __name__ == "__main__":
    sys.exit(main())
