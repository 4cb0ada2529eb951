"""A query run on both sides of a review and its results compared (run by the app with its
venv's Python). argv: base.duckdb head.duckdb sql. The results are compared as multisets of rows
(no key): rows only in base, only in head, and a few of each. Prints one JSON object."""

import json
import sys

import duckdb

base_db, head_db, sql = sys.argv[1], sys.argv[2], sys.argv[3]


mem = duckdb.connect()
# A slow query (a busy machine) would print DuckDB's progress bar into the JSON answer.
mem.execute("SET enable_progress_bar = false")
mem.execute(f"attach '{base_db.replace(chr(39), chr(39) * 2)}' as base (read_only)")
mem.execute(f"attach '{head_db.replace(chr(39), chr(39) * 2)}' as head (read_only)")


def run(catalog, table):
    # The query's names resolve in that side's warehouse; its result is kept in temp.
    mem.execute(f"use {catalog}")
    mem.execute(f"create temp table {table} as {sql}")
    return [d[0] for d in mem.execute(f"select * from temp.{table} limit 0").description]


bnames = run("base", "b")
hnames = run("head", "h")
mem.execute("use memory")
out = {"base_columns": bnames, "head_columns": hnames}
out["base_rows"] = mem.execute("select count(*) from b").fetchone()[0]
out["head_rows"] = mem.execute("select count(*) from h").fetchone()[0]
if bnames != hnames:
    out.update(only_base=None, only_head=None, samples_base=[], samples_head=[],
               note="the query's columns differ between the sides")
else:
    out["only_base"] = mem.execute("select count(*) from (select * from b except all select * from h)").fetchone()[0]
    out["only_head"] = mem.execute("select count(*) from (select * from h except all select * from b)").fetchone()[0]
    show = lambda q: [[str(v) if v is not None else None for v in r] for r in mem.execute(q + " limit 5").fetchall()]
    out["samples_base"] = show("select * from b except all select * from h")
    out["samples_head"] = show("select * from h except all select * from b")
print(json.dumps(out, default=str))
