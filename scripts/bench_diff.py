"""Data diff benchmark: the app's diff (crates/core/src/review/datadiff.py) against one query per
column (the pattern other review tools use) and, where it installs, reladiff — on the same
DuckDB file, in one run. Prints a markdown table.

Usage: python bench_diff.py <datadiff.py> <work-dir> [rows…] [--reladiff <python>]
"""

import json
import os
import subprocess
import sys
import time

import duckdb

script, work = sys.argv[1], sys.argv[2]
args = sys.argv[3:]
reladiff_py = None
if "--reladiff" in args:
    i = args.index("--reladiff")
    reladiff_py = args[i + 1]
    args = args[:i] + args[i + 2:]
sizes = [int(a) for a in args] or [1_000_000, 10_000_000]
COLS = 10


def build(db, n):
    con = duckdb.connect(db)
    values = ", ".join(f"(i * {k + 3}) % 100003 as c{k}" for k in range(COLS - 1))
    con.execute(f"create or replace table base as select i as id, {values} from range({n}) t(i)")
    # 0.1 % changed, 0.05 % removed, 0.05 % added.
    changed = ", ".join(
        (f"case when id % 1000 = 7 then c{k} + 1 else c{k} end as c{k}" if k == 3 else f"c{k}")
        for k in range(COLS - 1)
    )
    con.execute(
        f"create or replace table head as select id, {changed} from base where id % 2000 <> 11 "
        f"union all select {n} + i, {', '.join('0' for _ in range(COLS - 1))} from range({n // 2000}) t(i)"
    )
    con.execute("create or replace table same as select * from base")
    con.close()


def timed(f):
    t = time.perf_counter()
    r = f()
    return time.perf_counter() - t, r


def ours(db, left, right):
    # The key is given, as the per-column pattern knows it (inferring it is a separate cost).
    req = json.dumps({"key": ["id"], "candidates": [], "segments": 1024, "samples": 10, "profile": False})
    out = subprocess.run([sys.executable, script, db, left, right, req], capture_output=True, text=True, check=True)
    return json.loads(out.stdout)


def per_column(db, left, right):
    con = duckdb.connect(db, read_only=True)
    cols = [c[0] for c in con.execute(f"describe {left}").fetchall() if c[0] != "id"]
    changed = {}
    for c in cols:
        changed[c] = con.execute(
            f"select count(*) from {left} l full outer join {right} r on l.id = r.id "
            f"where l.id is not null and r.id is not null and l.{c} is distinct from r.{c}"
        ).fetchone()[0]
    return changed


def counts(db, left, right):
    con = duckdb.connect(db, read_only=True)
    return con.execute(f"select (select count(*) from {left}), (select count(*) from {right})").fetchone()


def reladiff(db, left, right):
    code = (
        "import reladiff, sys\n"
        f"a = reladiff.connect_to_table('duckdb://{db}', '{left}', 'id')\n"
        f"b = reladiff.connect_to_table('duckdb://{db}', '{right}', 'id')\n"
        "print(sum(1 for _ in reladiff.diff_tables(a, b)))\n"
    )
    subprocess.run([reladiff_py, "-c", code], capture_output=True, text=True, check=True)


print("| rows × 10 columns | pair | ours | one query per column | count(*) of both | reladiff | ours: changed / left-only / right-only |")
print("|---:|---|---:|---:|---:|---:|---|")
for n in sizes:
    db = os.path.join(work, f"diff{n}.duckdb")
    build(db, n)
    for pair in (("base", "head"), ("base", "same")):
        t_ours, r = timed(lambda: ours(db, *pair))
        t_col, _ = timed(lambda: per_column(db, *pair))
        t_cnt, _ = timed(lambda: counts(db, *pair))
        t_rel = "—"
        if reladiff_py:
            try:
                t, _ = timed(lambda: reladiff(db, *pair))
                t_rel = f"{t:.2f} s"
            except subprocess.CalledProcessError as e:
                t_rel = "failed"
        found = f"{r['changed_rows']} / {r['left_only']} / {r['right_only']}" + (" (identical)" if r["identical"] else "")
        print(f"| {n:,} | {pair[0]} vs {pair[1]} | {t_ours:.2f} s | {t_col:.2f} s | {t_cnt:.2f} s | {t_rel} | {found} |")
    os.remove(db)
