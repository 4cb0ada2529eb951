"""Table metrics of a DuckDB warehouse after a run, read-only: for every table and view (the
information schema's, system schemas left out), its row count, and per column (tables of up to
60 columns) its type, null count, distinct count and, for numbers, mean — one query per table.
argv: db. Prints JSON: {"tables": [{"schema", "name", "rows", "columns": [{"name", "type",
"nulls", "distinct", "mean"}]}]}"""
import json
import math
import sys

import duckdb

con = duckdb.connect(sys.argv[1], read_only=True)
# A slow query (a busy machine) would print DuckDB's progress bar into the JSON answer.
con.execute("SET enable_progress_bar = false")


def q(ident):
    return '"' + ident.replace('"', '""') + '"'


tables = con.execute(
    """select table_schema, table_name from information_schema.tables
       where table_schema not in ('information_schema', 'pg_catalog')
       order by table_schema, table_name"""
).fetchall()
out = []
for schema, name in tables:
    cols = con.execute(
        """select column_name, data_type from information_schema.columns
           where table_schema = ? and table_name = ? order by ordinal_position""",
        [schema, name],
    ).fetchall()
    rel = f"{q(schema)}.{q(name)}"
    counted = cols if len(cols) <= 60 else []
    numeric = {"TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "FLOAT", "DOUBLE", "REAL", "UTINYINT", "USMALLINT", "UINTEGER", "UBIGINT"}
    exprs = ["count(*)"]
    for c, t in counted:
        exprs.append(f"count(*) - count({q(c)})")
        exprs.append(f"approx_count_distinct({q(c)})")
        is_number = t.upper() in numeric or (t.upper().startswith("DECIMAL") and "[" not in t)
        exprs.append(f"avg({q(c)})::double" if is_number else "null")
    try:
        row = con.execute(f"select {', '.join(exprs)} from {rel}").fetchone()
    except duckdb.Error as e:  # a view over something gone: said, not fatal
        out.append({"schema": schema, "name": name, "error": str(e).splitlines()[0]})
        continue
    stats = {c: row[1 + 3 * i: 4 + 3 * i] for i, (c, _) in enumerate(counted)}
    out.append({
        "schema": schema,
        "name": name,
        "rows": row[0],
        "columns": [
            {"name": c, "type": t,
             "nulls": stats[c][0] if c in stats else None,
             "distinct": stats[c][1] if c in stats else None,
             "mean": stats[c][2] if c in stats else None}
            for c, t in cols
        ],
    })
def finite(v):
    # NaN and infinities are not JSON: a column holding them has no mean to tell.
    return v if not isinstance(v, float) or math.isfinite(v) else None


for t in out:
    for c in t.get("columns", []):
        c["mean"] = finite(c.get("mean"))
print(json.dumps({"tables": out}))
