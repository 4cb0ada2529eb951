"""Data diff of two relations of one DuckDB file (run by the app with its venv's Python).

argv: db left right request-json. The request: {"key": [cols] | null, "candidates": [{"columns":
[...], "evidence": "..."}], "segments": 1024, "samples": 10}. Prints one JSON object.

How it stays fast: one pass computes count and an order-independent checksum of each side
(identical tables answer here); with a key, rows are bucketed by the key's hash into segments, the
segments' checksums are compared, and only the rows of differing segments are joined — in one
pass that counts, per column, the matched rows whose values differ. The profile of both sides is
one pass each over all columns.
"""

import json
import sys

import duckdb

db, left, right, request = sys.argv[1], sys.argv[2], sys.argv[3], json.loads(sys.argv[4])
con = duckdb.connect(db, read_only=True)


def q(ident):
    return '"' + ident.replace('"', '""') + '"'


def rel(name):
    return ".".join(q(p) for p in name.split("."))


L, R = rel(left), rel(right)


def schema(relation):
    return [(r[0], r[1]) for r in con.execute(f"describe select * from {relation}").fetchall()]


ls, rs = schema(L), schema(R)
lcols, rcols = dict(ls), dict(rs)
common = [c for c, _ in ls if c in rcols]
out = {
    "left": left,
    "right": right,
    "schema": {
        "added": [c for c, _ in rs if c not in lcols],
        "removed": [c for c, _ in ls if c not in rcols],
        "type_changed": [
            {"name": c, "left": lcols[c], "right": rcols[c]} for c in common if lcols[c] != rcols[c]
        ],
    },
}

row = "struct_pack(" + ", ".join(f"{q(c)} := {q(c)}" for c in common) + ")" if common else "1"


def totals(relation):
    n, s = con.execute(f"select count(*), coalesce(sum(hash({row})::hugeint), 0) from {relation}").fetchone()
    return n, int(s)


(ln, lsum), (rn, rsum) = totals(L), totals(R)
out["left_rows"], out["right_rows"] = ln, rn
same_schema = not (out["schema"]["added"] or out["schema"]["removed"] or out["schema"]["type_changed"])
out["identical"] = same_schema and ln == rn and lsum == rsum


def unique(relation, cols):
    k = ", ".join(q(c) for c in cols)
    nulls = " or ".join(f"{q(c)} is null" for c in cols)
    n, d, z = con.execute(
        f"select count(*), count(distinct ({k})), count(*) filter (where {nulls}) from {relation}"
    ).fetchone()
    return n == d and z == 0


key, evidence, rejected = request.get("key"), None, []
if key:
    missing = [c for c in key if c not in lcols or c not in rcols]
    if missing:
        raise SystemExit(f"Error: the key column(s) {', '.join(missing)} are not in both relations")
    evidence = "given"
    if not (unique(L, key) and unique(R, key)):
        rejected.append({"columns": key, "evidence": "given", "why": "not unique (or null) on one side"})
        key = None
else:
    candidates = list(request.get("candidates") or [])
    base = right.split(".")[-1].lower()
    for prefix in ("stg_", "int_", "fct_", "dim_"):
        if base.startswith(prefix):
            base = base[len(prefix):]
    for name in ("id", f"{base}_id", f"{base.rstrip('s')}_id"):
        candidates.append({"columns": [name], "evidence": f"its name (`{name}`)"})
    for cand in candidates:
        cols = cand["columns"]
        if not all(c in lcols and c in rcols for c in cols):
            continue
        if unique(L, cols) and unique(R, cols):
            key, evidence = cols, cand["evidence"]
            break
        rejected.append({"columns": cols, "evidence": cand["evidence"], "why": "not unique (or null) on one side"})
    if key is None and common:
        # The uniqueness probe: every common column in one pass, the first unique one wins.
        probe = ", ".join(
            f"count(distinct {q(c)}) = count(*) and count(*) filter (where {q(c)} is null) = 0" for c in common
        )
        lu = con.execute(f"select {probe} from {L}").fetchone()
        ru = con.execute(f"select {probe} from {R}").fetchone()
        for c, a, b in zip(common, lu, ru):
            if a and b:
                key, evidence = [c], "a uniqueness probe of the data"
                break
out["key"], out["key_evidence"], out["rejected_keys"] = key or [], evidence, rejected

if out["identical"]:
    out.update(left_only=0, right_only=0, changed_rows=0,
               columns=[{"name": c, "changed": 0, "match_pct": 100.0} for c in common], samples=[])
elif key:
    segments = int(request.get("segments") or 1024)
    k = ", ".join(q(c) for c in key)
    seg = f"hash({k}) % {segments}"
    diff_segs = con.execute(
        f"""with a as (select {seg} as s, count(*) as n, sum(hash({row})::hugeint) as h from {L} group by 1),
                 b as (select {seg} as s, count(*) as n, sum(hash({row})::hugeint) as h from {R} group by 1)
            select coalesce(a.s, b.s) from a full outer join b on a.s = b.s
            where a.n is distinct from b.n or a.h is distinct from b.h"""
    ).fetchall()
    segs = [r[0] for r in diff_segs]
    out["segments"], out["differing_segments"] = segments, len(segs)
    if segs:
        seglist = ", ".join(str(s) for s in segs)
        on = " and ".join(f"l.{q(c)} = r.{q(c)}" for c in key)
        value_cols = [c for c in common if c not in key]
        per_col = ", ".join(
            f"count(*) filter (where l.{q(key[0])} is not null and r.{q(key[0])} is not null and l.{q(c)} is distinct from r.{q(c)})"
            for c in value_cols
        )
        any_diff = " or ".join(f"l.{q(c)} is distinct from r.{q(c)}" for c in value_cols) or "false"
        sql = f"""with l as (select * from {L} where {seg} in ({seglist})),
                      r as (select * from {R} where {seg} in ({seglist}))
                 select count(*) filter (where r.{q(key[0])} is null),
                        count(*) filter (where l.{q(key[0])} is null),
                        count(*) filter (where l.{q(key[0])} is not null and r.{q(key[0])} is not null and ({any_diff}))
                        {', ' + per_col if per_col else ''}
                 from l full outer join r on {on}"""
        res = con.execute(sql).fetchone()
        out["left_only"], out["right_only"], out["changed_rows"] = res[0], res[1], res[2]
        common_rows = ln - res[0]
        out["columns"] = [
            {"name": c, "changed": res[3 + i],
             "match_pct": round(100.0 * (1 - res[3 + i] / common_rows), 3) if common_rows else 100.0}
            for i, c in enumerate(value_cols)
        ]
        shown = request.get("samples", 10)
        if shown and value_cols:
            sel = ", ".join([f"l.{q(c)} as {q(c)}" for c in key] + [f"l.{q(c)} as {q('left.' + c)}, r.{q(c)} as {q('right.' + c)}" for c in value_cols])
            cur = con.execute(
                f"""with l as (select * from {L} where {seg} in ({seglist})),
                         r as (select * from {R} where {seg} in ({seglist}))
                    select {sel} from l join r on {on} where {any_diff} limit {int(shown)}"""
            )
            names = [d[0] for d in cur.description]
            out["samples"] = [dict(zip(names, [str(v) if v is not None else None for v in r])) for r in cur.fetchall()]
        else:
            out["samples"] = []
    else:
        out.update(left_only=0, right_only=0, changed_rows=0,
                   columns=[{"name": c, "changed": 0, "match_pct": 100.0} for c in common if c not in key], samples=[])
else:
    out.update(left_only=None, right_only=None, changed_rows=None, columns=[], samples=[])
    out["note"] = "no column or set of columns is a unique key on both sides: row counts and profiles only"


def profile(relation, schema_of):
    numeric = ("TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "FLOAT", "DOUBLE", "DECIMAL", "UBIGINT", "UINTEGER")
    parts = []
    for c in common:
        t = schema_of[c].upper()
        mean = f"avg({q(c)})" if t.startswith(numeric) else "null"
        parts.append(f"count(*) filter (where {q(c)} is null), approx_count_distinct({q(c)}), min({q(c)})::varchar, max({q(c)})::varchar, {mean}")
    if not parts:
        return []
    r = con.execute(f"select {', '.join(parts)} from {relation}").fetchone()
    return [
        {"name": c, "nulls": r[5 * i], "distinct": r[5 * i + 1], "min": r[5 * i + 2], "max": r[5 * i + 3],
         "mean": float(r[5 * i + 4]) if r[5 * i + 4] is not None else None}
        for i, c in enumerate(common)
    ]


if request.get("profile", True):
    lp, rp = profile(L, lcols), profile(R, rcols)
    out["profile"] = [{"name": a["name"], "left": a, "right": b} for a, b in zip(lp, rp)]
print(json.dumps(out, default=str))
