#!/usr/bin/env python3
"""Strata's benchmark suite: whole processes, each next to its floor and its target.

Usage: tests/bench/run.sh [--quick] [--only NAMES] [--runs K] [--out DIR]

Run through run.sh, which passes the repository and output directories. Steps:

1. gen.py writes a cargo workspace of generated projects (N models each) and revision chains
   under OUT (default: $CARGO_TARGET_DIR/strata-bench, else target/strata-bench);
2. cargo builds the measured binaries once (release) and the derive crates' dependencies;
3. every benchmark runs Strata and its floor alternately (ABBA...), several times, and keeps the
   median; peak memory is the child's ru_maxrss from wait4;
4. a markdown table goes to stdout (and OUT/results.md; raw numbers in OUT/results.json).

Benchmarks (names for --only): autogen, upgrade, commands, chain, derive.
PostgreSQL: STRATA_BENCH_PG (default postgres://postgres@127.0.0.1:5432); MySQL/MariaDB:
STRATA_BENCH_MYSQL (default mysql://root@127.0.0.1:3306); databases are created per run as
strata_bench_<pid>_<n> and dropped. --dialects picks the dialects (default: all three).
"""

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse

HERE = os.path.dirname(os.path.abspath(__file__))
# The floors' client programs, per dialect.
CLIENT = {"postgres": "psql", "sqlite": "sqlite3", "mysql": "the mariadb client"}
SCRIPT_CLIENT = {"postgres": "psql -1 -f", "sqlite": "sqlite3", "mysql": "the mariadb client"}
# Statements per call in Strata's executor (runtime/src/apply/mod.rs, BATCH_STATEMENTS).
DRIVER_BATCH = 64


# ---------------------------------------------------------------- processes


class Failed(Exception):
    pass


def run(cmd, cwd=None, env=None, stdin_path=None, stdout_path=None, check=True):
    """Runs `cmd` as a whole process; returns (seconds, max RSS in KiB).

    Output goes to /dev/null unless `stdout_path` is given; stderr is kept for errors."""
    with tempfile.TemporaryFile() as err:
        stdin = open(stdin_path, "rb") if stdin_path else subprocess.DEVNULL
        stdout = open(stdout_path, "wb") if stdout_path else subprocess.DEVNULL
        try:
            t0 = time.perf_counter()
            p = subprocess.Popen(cmd, cwd=cwd, env=env, stdin=stdin, stdout=stdout, stderr=err)
            _, status, usage = os.wait4(p.pid, 0)
            dt = time.perf_counter() - t0
            p.returncode = os.waitstatus_to_exitcode(status)
        finally:
            if stdin_path:
                stdin.close()
            if stdout_path:
                stdout.close()
        if check and p.returncode != 0:
            err.seek(0)
            raise Failed(
                f"command failed ({p.returncode}): {' '.join(map(str, cmd))}\n"
                + err.read().decode(errors="replace")[-4000:]
            )
        return dt, usage.ru_maxrss


def output(cmd, **kw):
    """Runs `cmd` and returns its stdout (for setup, not timed)."""
    r = subprocess.run(cmd, capture_output=True, text=True, **kw)
    if r.returncode != 0:
        raise Failed(f"command failed ({r.returncode}): {' '.join(map(str, cmd))}\n{r.stderr}")
    return r.stdout


# ---------------------------------------------------------------- databases


class Server:
    """A database server: throwaway databases named strata_bench_<pid>_<n>, dropped at the end.
    Subclasses say how to run SQL on it (`admin`) and how it quotes a name (`quote`)."""

    scheme, default_port, default_user = "", 0, ""

    def __init__(self, url):
        u = urllib.parse.urlparse(url)
        self.host = u.hostname or "127.0.0.1"
        self.port = str(u.port or self.default_port)
        self.user = u.username or self.default_user
        self.base = f"{self.scheme}://{self.user}@{self.host}:{self.port}"
        self.n = 0
        self.live = set()

    def create(self):
        self.n += 1
        name = f"strata_bench_{os.getpid()}_{self.n}"
        output(self.admin(f"CREATE DATABASE {self.quote(name)}"))
        self.live.add(name)
        return name

    def drop(self, name):
        output(self.admin(self.drop_sql(name)))
        self.live.discard(name)

    def drop_sql(self, name):
        return f"DROP DATABASE IF EXISTS {self.quote(name)}"

    def drop_all(self):
        for name in list(self.live):
            try:
                self.drop(name)
            except Failed as e:
                print(f"warning: {e}", file=sys.stderr)

    def url(self, name):
        return f"{self.base}/{name}"


class Postgres(Server):
    """The PostgreSQL server: throwaway databases and psql argument lists."""

    scheme, default_port, default_user = "postgres", 5432, "postgres"

    def quote(self, name):
        return f'"{name}"'

    def admin(self, sql):
        return self.psql("postgres", "-c", sql)

    def drop_sql(self, name):
        return f"{super().drop_sql(name)} WITH (FORCE)"

    def psql(self, db, *args):
        # Plain TCP like Strata's driver (sqlx is built without TLS here): no SSL handshake.
        conninfo = f"host={self.host} port={self.port} user={self.user} dbname={db} sslmode=disable"
        return ["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", conninfo, *args]

    def setting(self, name):
        return output(self.psql("postgres", "-At", "-c", f"SHOW {name}")).strip()


class Mysql(Server):
    """The MySQL/MariaDB server: throwaway databases and `mariadb` client argument lists."""

    scheme, default_port, default_user = "mysql", 3306, "root"

    def quote(self, name):
        return f"`{name}`"

    def client(self, db=None):
        return ["mariadb", "-h", self.host, "-P", self.port, "-u", self.user, "--batch",
                *([db] if db else [])]  # fmt: skip

    def admin(self, sql):
        return [*self.client(), "-e", sql]


class Db:
    """One database of any dialect: its URL and how to feed it a SQL file as a process."""

    def __init__(self, bench, dialect):
        self.bench, self.dialect = bench, dialect
        if dialect == "postgres":
            self.name = bench.pg.create()
            self.url = bench.pg.url(self.name)
        elif dialect == "mysql":
            self.name = bench.my.create()
            self.url = bench.my.url(self.name)
        else:
            bench.sqlite_n += 1
            self.path = os.path.join(bench.tmp, f"db_{bench.sqlite_n}.sqlite")
            for p in (self.path, self.path + "-journal", self.path + "-wal"):
                if os.path.exists(p):
                    os.remove(p)
            self.url = f"sqlite://{self.path}"

    def sql_file_cmd(self, path, single_tx=False):
        """(cmd, stdin) running the SQL file `path` as a client process: psql, mariadb or
        sqlite3. (MySQL commits each DDL statement: `single_tx` changes nothing there.)"""
        if self.dialect == "postgres":
            extra = ["-1"] if single_tx else []
            return self.bench.pg.psql(self.name, *extra, "-A", "-t", "-o", "/dev/null", "-f", path), None
        if self.dialect == "mysql":
            return self.bench.my.client(self.name), path
        return ["sqlite3", "-batch", "-bail", self.path], path

    def run_sql(self, path, single_tx=False):
        cmd, stdin = self.sql_file_cmd(path, single_tx)
        return run(cmd, stdin_path=stdin)

    def drop(self):
        if self.dialect == "postgres":
            self.bench.pg.drop(self.name)
        elif self.dialect == "mysql":
            self.bench.my.drop(self.name)
        elif os.path.exists(self.path):
            os.remove(self.path)


# ---------------------------------------------------------------- measuring


def is_lock_table_full(e):
    """PostgreSQL's `out of shared memory` (max_locks_per_transaction too low)."""
    return "out of shared memory" in str(e)


def chunk_transactions(path, per=2000):
    """Rewrites an offline script (`BEGIN; ... COMMIT;`) into transactions of `per`
    statements, for setup only."""
    with open(path) as f:
        text = f.read()
    stmts = [s for s in text.split(";\n\n") if s.strip() and s.strip() not in ("BEGIN", "COMMIT;", "COMMIT")]
    with open(path, "w") as f:
        for i in range(0, len(stmts), per):
            f.write("BEGIN;\n" + "".join(s + ";\n" for s in stmts[i:i + per]) + "COMMIT;\n")


def median(xs):
    return statistics.median(xs) if xs else float("nan")


class Pair:
    """Strata and its floor, timed alternately."""

    def __init__(self):
        self.a, self.b, self.rss_a = [], [], []


def interleave(runs, a, b, *more):
    """Calls `a()`, `b()` and any `more` (each returns (seconds, rss)) `runs` times, the
    order reversed every other run (ABBA...). Times of `more` go to `pair.more[i]`."""
    pair = Pair()
    pair.more = [[] for _ in more]
    fns = [a, b, *more]
    for i in range(runs):
        order = list(range(len(fns))) if i % 2 == 0 else list(reversed(range(len(fns))))
        for k in order:
            t, rss = fns[k]()
            if k == 0:
                pair.a.append(t)
                pair.rss_a.append(rss)
            elif k == 1:
                pair.b.append(t)
            else:
                pair.more[k - 2].append(t)
    return pair


def fmt_time(s):
    if s != s:
        return "-"
    if s < 1:
        return f"{s * 1000:.0f} ms" if s >= 0.01 else f"{s * 1000:.1f} ms"
    return f"{s:.2f} s"


class Row:
    def __init__(self, name, ratio, target, ok, strata, floor, note=""):
        self.name, self.ratio, self.target, self.ok = name, ratio, target, ok
        self.strata, self.floor, self.note = strata, floor, note


# ---------------------------------------------------------------- the suite


class Bench:
    def __init__(self, args):
        self.args = args
        self.repo = os.path.abspath(args.repo)
        self.out = os.path.abspath(args.out)
        self.ws = os.path.join(self.out, "ws")
        self.target = os.path.join(self.out, "target")
        self.sizes = [100] if args.quick else [100, 1000, 5000]
        self.chains = [1000] if args.quick else [1000, 10000]
        self.pg = Postgres(os.environ.get("STRATA_BENCH_PG", "postgres://postgres@127.0.0.1:5432"))
        self.my = Mysql(os.environ.get("STRATA_BENCH_MYSQL", "mysql://root@127.0.0.1:3306"))
        self.dialects = (args.dialects or "postgres,sqlite,mysql").split(",")
        self.tmp = os.path.join(self.out, "run")
        self.sqlite_n = 0
        self.rows = []
        self.failed = False
        self.raw = {}
        self.only = set(args.only.split(",")) if args.only else None
        # (dialect, N) whose single-transaction upgrade does not fit the server's lock table.
        self.lock_limited = set()

    def want(self, name):
        return self.only is None or name in self.only

    def runs(self, n):
        if self.args.runs:
            return self.args.runs
        if self.args.quick:
            return 3
        return {100: 7, 1000: 5}.get(n, 3)

    def upgrade_runs(self, dialect, n):
        if self.args.runs or self.args.quick:
            return self.runs(n)
        # SQLite's commit waits on fsync, whose time varies run to run on a VM: more runs where
        # they are cheap (~0.5 s at N = 1,000). A PostgreSQL upgrade of 1,000 tables takes ~9 s.
        if dialect == "sqlite":
            return {100: 15, 1000: 11}.get(n, 3)
        if dialect == "mysql":
            return {100: 5}.get(n, 3 if n <= 1000 else 1)
        return self.runs(n) if n < 1000 else 3

    def cargo_env(self):
        env = dict(os.environ)
        env["CARGO_TARGET_DIR"] = self.target
        return env

    def migrate_bin(self, n, v2=False):
        return os.path.join(self.target, "release", f"migrate-{n}-v2" if v2 else f"migrate-{n}")

    def tools(self):
        return os.path.join(self.target, "release", "strata-bench-tools")

    # ---- setup

    def generate_and_build(self):
        shutil.rmtree(self.tmp, ignore_errors=True)
        os.makedirs(self.tmp)
        sizes = sorted(set(self.sizes) | {100})
        gen = [
            sys.executable, os.path.join(HERE, "gen.py"), self.out, self.repo,
            "--sizes", ",".join(map(str, sizes)), "--chains", ",".join(map(str, self.chains)),
        ]  # fmt: skip
        if self.args.runtime:
            gen += ["--runtime", self.args.runtime]
        subprocess.run(gen, check=True)
        pkgs = []
        for n in sizes:
            pkgs += ["-p", f"app_{n}", "-p", f"app_{n}_v2"]
        step(f"building the measured binaries (release, once; N = {sizes})")
        t0 = time.perf_counter()
        subprocess.run(
            ["cargo", "build", "--release", "--offline", "-q", *pkgs, "-p", "tools"],
            cwd=self.ws, env=self.cargo_env(), check=True,
        )  # fmt: skip
        step(f"  built in {time.perf_counter() - t0:.0f} s")

    def migrate(self, n, mig_dir, url, *args, v2=False):
        return [self.migrate_bin(n, v2), "-q", "-d", mig_dir, "--database-url", url, *args]

    def catalog_sql(self, dialect, url=None):
        """The catalog queries Strata runs; for MySQL those of the server behind `url` (its
        flavour is detected when connecting)."""
        path = os.path.join(self.tmp, f"catalog_{dialect}.sql")
        if not os.path.exists(path):
            with open(path, "w") as f:
                f.write(output([self.tools(), "queries", url if dialect == "mysql" and url else dialect]))
        return path

    def expected_queries(self, dialect):
        with open(self.catalog_sql(dialect)) as f:
            return sum(1 for line in f if line.strip().endswith(";"))

    # ---- 1, 2, 5: autogenerate and upgrade at N tables

    def project(self, dialect, n):
        """A migrations directory whose initial revision (autogenerated on an empty database by
        the version-1 models) is applied to a new database."""
        root = os.path.join(self.tmp, f"{dialect}_{n}")
        mig = os.path.join(root, "migrations")
        os.makedirs(os.path.join(mig, "versions"))
        with open(os.path.join(mig, "strata.toml"), "w") as f:
            f.write("# benchmark project\n")
        db = Db(self, dialect)
        info = {}
        t, _ = run(self.migrate(n, mig, db.url, "migrate", "-m", "init"), cwd=root)
        info["autogen_empty"] = t
        init = os.listdir(os.path.join(mig, "versions"))
        assert len(init) == 1, init
        try:
            t, _ = run(self.migrate(n, mig, db.url, "upgrade"), cwd=root)
            info["upgrade_once"] = t
        except Failed as e:
            if not is_lock_table_full(e):
                raise
            # One transaction creating N tables needs ~5N locks: more than a default server's
            # shared lock table holds at N = 5,000. Set up with the same SQL in chunks instead.
            self.lock_limited.add((dialect, n))
            script = os.path.join(root, "setup.sql")
            run([self.migrate_bin(n), "-d", mig, "upgrade", "--sql", "--dialect", dialect],
                stdout_path=script)  # fmt: skip
            chunk_transactions(script)
            db.run_sql(script)
        # Version 2 of the models adds an indexed column to a third of the tables.
        return root, mig, db, init[0], 2 * len(range(0, n, 3)), info

    def bench_autogen(self, dialect, n):
        root, mig, db, init, want_ops, info = self.project(dialect, n)
        versions = os.path.join(mig, "versions")
        self.catalog_sql(dialect, db.url)
        q = self.expected_queries(dialect)
        got = output([self.tools(), "introspect", db.url]).split()
        self.raw[f"introspect/{dialect}/{n}"] = got
        if int(got[0]) != q or int(got[1]) != n:
            raise Failed(f"{dialect} N={n}: introspection ran {got[0]} queries (want {q}) "
                         f"and read {got[1]} tables (want {n})")
        self.query_counts.setdefault(dialect, set()).add(int(got[0]))

        def strata():
            r = run(self.migrate(n, mig, db.url, "migrate", "-m", "x", v2=True), cwd=root)
            new = [f for f in os.listdir(versions) if f != init]
            if len(new) != 1:
                raise Failed(f"autogenerate wrote {new}")
            path = os.path.join(versions, new[0])
            with open(path) as f:
                ops = f.read().count("[[upgrade]]")
            if ops != want_ops:
                raise Failed(f"{path}: {ops} upgrade ops, want {want_ops}")
            os.remove(path)
            return r

        cmd, stdin = db.sql_file_cmd(self.catalog_sql(dialect))

        def floor():
            return run(cmd, stdin_path=stdin)

        pair = interleave(self.runs(n), strata, floor)
        self.raw[f"autogen/{dialect}/{n}"] = {**pair.__dict__, **info}
        return root, mig, db, pair

    def bench_upgrade(self, dialect, n, mig, root):
        script = os.path.join(root, f"up_{dialect}.sql")
        run([self.migrate_bin(n), "-d", mig, "upgrade", "--sql", "--dialect", dialect],
            stdout_path=script)  # fmt: skip
        def strata():
            db = Db(self, dialect)
            try:
                return run(self.migrate(n, mig, db.url, "upgrade"), cwd=root)
            finally:
                db.drop()

        def floor():
            db = Db(self, dialect)
            try:
                return db.run_sql(script, single_tx=True)
            finally:
                db.drop()

        def driver():
            # The same SQL through Strata's driver (sqlx) alone, in the executor's batches:
            # what any sqlx-based tool pays before doing anything of its own.
            db = Db(self, dialect)
            try:
                return run([self.tools(), "run-sql", db.url, script, str(DRIVER_BATCH)])
            finally:
                db.drop()

        more = [driver] if dialect == "sqlite" else []
        pair = interleave(self.upgrade_runs(dialect, n), strata, floor, *more)
        self.raw[f"upgrade/{dialect}/{n}"] = pair.__dict__
        return pair

    def check_floor_lock_limited(self, dialect, n, mig, root):
        script = os.path.join(root, f"up_{dialect}.sql")
        run([self.migrate_bin(n), "-d", mig, "upgrade", "--sql", "--dialect", dialect],
            stdout_path=script)  # fmt: skip
        db = Db(self, dialect)
        try:
            db.run_sql(script, single_tx=True)
        except Failed as e:
            if is_lock_table_full(e):
                return
            raise
        finally:
            db.drop()
        raise Failed(f"psql -1 applied {n} tables where Strata's upgrade ran out of locks")

    def tables_case(self, dialect, n):
        if self.want("autogen"):
            step(f"autogenerate, {dialect}, N = {n}")
            root, mig, db, pair = self.bench_autogen(dialect, n)
            a, b = median(pair.a), median(pair.b)
            target = "<= 2x" if ((dialect == "postgres" and n == 1000) or dialect == "mysql") else ""
            ok = (a / b <= 2.0) if target else None
            self.rows.append(Row(f"1. autogenerate, {dialect}, N={n}", a / b, target, ok,
                                 a, b, "floor: catalog queries via " + CLIENT[dialect]))
            if n == max(self.sizes):
                rss = max(pair.rss_a) / 1024
                self.rows.append(Row(f"5. peak memory, autogenerate, {dialect}, N={n}",
                                     None, "< 100 MB", rss < 100, None, None,
                                     f"{rss:.1f} MB (max RSS over {len(pair.rss_a)} runs)"))
            db.drop()
        else:
            root, mig, db, _, _, _ = self.project(dialect, n)
            db.drop()
        if self.want("upgrade") and (dialect, n) in self.lock_limited:
            step(f"upgrade from base, {dialect}, N = {n}: checking that psql -1 fails too")
            self.check_floor_lock_limited(dialect, n, mig, root)
            self.rows.append(Row(f"2. upgrade from base, {dialect}, N={n}", None,
                                 "<= 1.3x", None, None, None,
                                 "not measurable here: one transaction creating "
                                 f"{n} tables exceeds the server's lock table "
                                 f"(max_locks_per_transaction = {self.pg.setting('max_locks_per_transaction')}); "
                                 "`psql -1` fails the same way"))
        elif self.want("upgrade"):
            step(f"upgrade from base, {dialect}, N = {n}")
            pair = self.bench_upgrade(dialect, n, mig, root)
            a, b = median(pair.a), median(pair.b)
            self.rows.append(Row(f"2. upgrade from base, {dialect}, N={n}", a / b,
                                 "<= 1.3x", a / b <= 1.3, a, b,
                                 "floor: `upgrade --sql` via " + SCRIPT_CLIENT[dialect]))
            if pair.more:
                d = median(pair.more[0])
                self.rows.append(Row(f"2. (same SQL through the driver alone), {dialect}, N={n}",
                                     d / b, "", None, d, b,
                                     f"sqlx, {DRIVER_BATCH} statements per call; "
                                     f"Strata = driver x {a / d:.2f}"))

    def suite_tables(self):
        self.query_counts = {}
        for dialect in self.dialects:
            for n in self.sizes:
                self.guard(f"1./2. autogenerate and upgrade, {dialect}, N={n}",
                           lambda: self.tables_case(dialect, n))
        for dialect, counts in self.query_counts.items():
            self.rows.append(Row(f"1. catalog queries per introspection, {dialect}", None,
                                 "constant", len(counts) == 1, None, None,
                                 f"{sorted(counts)} at N = {self.sizes}"))

    # ---- 3, 4: revision chains

    def suite_chains(self):
        n = 100  # any generated binary: these commands do not look at the models
        for k in self.chains:
            mig = os.path.join(self.out, f"chain_{k}", "migrations")
            if self.want("commands"):
                dbs = {"sqlite": Db(self, "sqlite"), "postgres": Db(self, "postgres")}
                for db in dbs.values():
                    run(self.migrate(n, mig, db.url, "stamp", "head"))
                cmds = [
                    ("history", self.migrate(n, mig, dbs["sqlite"].url, "history")),
                    ("heads", self.migrate(n, mig, dbs["sqlite"].url, "heads")),
                    ("current (sqlite)", self.migrate(n, mig, dbs["sqlite"].url, "current")),
                    ("current (postgres)", self.migrate(n, mig, dbs["postgres"].url, "current")),
                ]
                # The floor: reading the same files and nothing else, as one `cat` process.
                # Every one of these commands reads each file's header (the graph needs all
                # of them); `cat` shows what the system charges for opening and reading them.
                versions = os.path.join(mig, "versions")
                files = sorted(os.path.join(versions, f) for f in os.listdir(versions))
                cmds.append(("cat", ["cat", *files]))
                step(f"history/heads/current, {k} revisions")
                times = {name: [] for name, _ in cmds}
                for _ in range(self.runs(0) if not self.args.quick else 3):
                    for name, cmd in cmds:
                        times[name].append(run(cmd)[0])
                floor = median(times["cat"])
                for name, _ in cmds[:-1]:
                    a = median(times[name])
                    self.rows.append(Row(f"3. `{name}`, {k} revisions", a / floor, "< 100 ms",
                                         a < 0.1, a, floor,
                                         "floor: `cat` of the same files, one process"))
                self.raw[f"commands/{k}"] = times
                for db in dbs.values():
                    db.drop()
            if self.want("chain") and k == 1000:
                for dialect in ("postgres", "sqlite"):
                    step(f"chain of {k} revisions from base, {dialect}")
                    script = os.path.join(self.tmp, f"chain_{k}_{dialect}.sql")
                    run([self.migrate_bin(n), "-d", mig, "upgrade", "--sql", "--dialect",
                         dialect], stdout_path=script)  # fmt: skip

                    def strata():
                        db = Db(self, dialect)
                        try:
                            return run(self.migrate(n, mig, db.url, "upgrade"))
                        finally:
                            db.drop()

                    def floor():
                        db = Db(self, dialect)
                        try:
                            return db.run_sql(script, single_tx=True)
                        finally:
                            db.drop()

                    pair = interleave(self.runs(1000), strata, floor)
                    self.raw[f"chain/{dialect}/{k}"] = pair.__dict__
                    a, b = median(pair.a), median(pair.b)
                    self.rows.append(Row(f"4. {k}-revision chain from base, {dialect}", a / b,
                                         "", None, a, b, "floor: `upgrade --sql` via " +
                                         ("psql -1 -f" if dialect == "postgres" else "sqlite3")))

    # ---- 6: derive compile time

    def suite_derive(self):
        step("derive compile time: building dependencies once (dev profile)")
        env = self.cargo_env()
        env["CARGO_INCREMENTAL"] = "0"
        build = ["cargo", "build", "--offline", "-q"]
        subprocess.run(build + ["-p", "derive_model", "-p", "derive_serde"], cwd=self.ws,
                       env=env, check=True)  # fmt: skip
        srcs = {c: os.path.join(self.ws, c, "src", "lib.rs") for c in ("derive_model", "derive_serde")}
        with open(srcs["derive_model"]) as f:
            models = f.read().count("#[derive(Model)]")

        def one(crate):
            def f():
                os.utime(srcs[crate])
                return run(build + ["-p", crate], cwd=self.ws, env=env)
            return f

        runs = 3 if self.args.quick else 5
        step(f"derive compile time: {models} models, {runs} runs each")
        pair = interleave(runs, one("derive_model"), one("derive_serde"))
        self.raw["derive"] = pair.__dict__
        a, b = median(pair.a), median(pair.b)
        self.rows.append(Row(f"6. compile {models} models: derive(Model) vs serde", a / b,
                             "<= 1x", a / b <= 1.0, a, b,
                             "floor: derive(Serialize, Deserialize); `cargo build`, dev profile, "
                             "CARGO_INCREMENTAL=0"))

    def guard(self, name, f):
        """Runs one benchmark; a failure becomes an error row and the suite goes on."""
        try:
            f()
        except (Failed, AssertionError, OSError) as e:
            self.failed = True
            step(f"FAILED: {name}: {e}")
            first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
            self.rows.append(Row(name, None, "", False, None, None, f"ERROR: {first}"))

    # ---- report

    def table(self):
        lines = [
            "| Benchmark | Ratio to floor | Target | Met | Strata | Floor | Notes |",
            "| --- | ---: | --- | :---: | ---: | ---: | --- |",
        ]
        def order(r):
            head = r.name.split(".", 1)[0]
            return int(head) if head.isdigit() else 0

        for r in sorted(self.rows, key=order):
            ratio = f"{r.ratio:.2f}x" if r.ratio is not None else "-"
            met = {True: "yes", False: "**NO**", None: ""}[r.ok]
            strata = fmt_time(r.strata) if r.strata is not None else "-"
            floor = fmt_time(r.floor) if r.floor is not None else "-"
            lines.append(f"| {r.name} | {ratio} | {r.target} | {met} | {strata} | {floor} | {r.note} |")
        return "\n".join(lines)


def step(msg):
    print(f"[bench {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def machine():
    model = "?"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
        with open("/proc/meminfo") as f:
            mem = int(f.readline().split()[1]) / 1024 / 1024
    except OSError:
        mem = float("nan")
    return f"{os.cpu_count()} cores, {model}, {mem:.1f} GiB RAM, {platform.system()} {platform.release()}"


def load():
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def main():
    p = argparse.ArgumentParser(description="Strata benchmark suite")
    p.add_argument("--repo", required=True, help="the repository (run.sh passes it)")
    p.add_argument("--out", required=True, help="where generated projects and builds go")
    p.add_argument("--quick", action="store_true", help="smoke run: N = 100, 1,000 revisions")
    p.add_argument("--only", help="comma-separated: autogen,upgrade,commands,chain,derive")
    p.add_argument("--runtime", help="build against this strata package (default: REPO/runtime)")
    p.add_argument("--runs", type=int, help="runs per measurement (default 7/5/3 by size)")
    p.add_argument("--dialects", help="comma-separated: postgres,sqlite,mysql (default: all)")
    args = p.parse_args()
    b = Bench(args)
    t0 = time.perf_counter()
    start_load = load()
    try:
        b.generate_and_build()
        if b.want("autogen") or b.want("upgrade"):
            b.suite_tables()
        if b.want("commands") or b.want("chain"):
            b.guard("3./4. revision chains", b.suite_chains)
        if b.want("derive"):
            b.guard("6. derive compile time", b.suite_derive)
    except Failed as e:
        print(f"bench: {e}", file=sys.stderr)
        return 1
    finally:
        b.pg.drop_all()
        b.my.drop_all()
    table = b.table()
    head = (
        f"Machine: {machine()}\n"
        f"Load average (1/5/15 min): {start_load} at start, {load()} at end; "
        f"suite took {time.perf_counter() - t0:.0f} s.\n"
    )
    print(head)
    print(table)
    with open(os.path.join(b.out, "results.md"), "w") as f:
        f.write(head + "\n" + table + "\n")
    with open(os.path.join(b.out, "results.json"), "w") as f:
        json.dump(b.raw, f, indent=1, default=list)
    return 1 if b.failed else 0


if __name__ == "__main__":
    sys.exit(main())
