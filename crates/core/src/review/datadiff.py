"""Data diff of two relations of one DuckDB file (run by the app with its venv's Python).

argv: db left right request-json. The request: {"key": [cols] | null, "candidates": [{"columns":
[...], "evidence": "..."}], "segments": 1024, "samples": 10, "attach": {"alias": "other.duckdb"}}
(`attach`: other files, read-only, whose relations are named `alias.schema.table`). Prints one
JSON object.

How it stays fast: one pass computes count and an order-independent checksum of each side
(identical tables answer here, before any key is looked for); with a key, segment checksums (rows
bucketed by the key's hash) leave out the segments that are equal, one join of (key, row hash)
over the rest finds the rows only on one side and the keys whose rows differ, and only those rows
are then compared column by column, in one pass. The profile of both sides is one pass each over all
columns.
"""

import json
import sys

import duckdb

db, left, right, request = sys.argv[1], sys.argv[2], sys.argv[3], json.loads(sys.argv[4])
con = duckdb.connect(db, read_only=True)
# A slow query (a busy machine) would print DuckDB's progress bar into the JSON answer.
con.execute("SET enable_progress_bar = false")
for alias, path in (request.get("attach") or {}).items():
    con.execute(f"attach '{path.replace(chr(39), chr(39) * 2)}' as \"{alias}\" (read_only)")


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

# The row's hash: every common column (the key included) in one `hash(...)`.
row = "hash(" + ", ".join(q(c) for c in common) + ")" if common else "0"


def totals(relation):
    n, s = con.execute(f"select count(*), coalesce(sum({row}::hugeint), 0) from {relation}").fetchone()
    return n, int(s)


def segment_sums(relation, cols, segments):
    k = ", ".join(q(c) for c in cols)
    sql = f"select hash({k}) % {segments} as s, count(*) as n, sum({row}::hugeint) as h from {relation} group by 1"
    return {s_: (n, int(h)) for s_, n, h in con.execute(sql).fetchall()}


segments = int(request.get("segments") or 1024)
given = request.get("key")
seg_cache = None
if given and all(c in lcols and c in rcols for c in given):
    # With the key known, one pass per side gives both the totals and the segment checksums.
    seg_cache = (segment_sums(L, given, segments), segment_sums(R, given, segments))
    ln, lsum = sum(n for n, _ in seg_cache[0].values()), sum(h for _, h in seg_cache[0].values())
    rn, rsum = sum(n for n, _ in seg_cache[1].values()), sum(h for _, h in seg_cache[1].values())
else:
    (ln, lsum), (rn, rsum) = totals(L), totals(R)
out["left_rows"], out["right_rows"] = ln, rn
same_schema = not (out["schema"]["added"] or out["schema"]["removed"] or out["schema"]["type_changed"])
out["identical"] = same_schema and ln == rn and lsum == rsum


def unique(relation, cols, exact=True):
    """Whether `cols` are a key of `relation`: no nulls, no duplicates. A key the caller vouches
    for (given, or declared by a dbt `unique` test, primary key or `unique_key`) is checked with
    HyperLogLog (a clearly duplicated key is caught at the cost of one fast pass; an exact count
    of distinct keys runs only if it looks duplicated); a key inferred here is checked exactly."""
    k = ", ".join(q(c) for c in cols)
    nulls = " or ".join(f"{q(c)} is null" for c in cols)
    if not exact:
        n, d, z = con.execute(
            f"select count(*), approx_count_distinct(({k})), count(*) filter (where {nulls}) from {relation}"
        ).fetchone()
        if z:
            return False
        if d >= 0.97 * n:
            return True
    n, d, z = con.execute(
        f"select count(*), count(distinct ({k})), count(*) filter (where {nulls}) from {relation}"
    ).fetchone()
    return n == d and z == 0


key, evidence, rejected = request.get("key"), None, []
if out["identical"]:
    # Same rows on both sides: no key is needed to say so.
    key = key or []
    evidence = "given" if key else None
elif key:
    missing = [c for c in key if c not in lcols or c not in rcols]
    if missing:
        raise SystemExit(f"Error: the key column(s) {', '.join(missing)} are not in both relations")
    evidence = "given"
    if not (unique(L, key, exact=False) and unique(R, key, exact=False)):
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
        vouched = cand.get("declared", False)
        if unique(L, cols, exact=not vouched) and unique(R, cols, exact=not vouched):
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
    k = ", ".join(q(c) for c in key)
    on = " and ".join(f"l.{q(c)} = r.{q(c)}" for c in key)
    value_cols = [c for c in common if c not in key]
    # Segment checksums: rows bucketed by their key's hash; only differing segments are joined
    # (when changes are clustered, most of both tables is never joined).
    seg = f"hash({k}) % {segments}"
    if seg_cache is not None and key == given:
        a, b = seg_cache
    else:
        a, b = segment_sums(L, key, segments), segment_sums(R, key, segments)
    differing = sorted(s_ for s_ in set(a) | set(b) if a.get(s_) != b.get(s_))
    out["segments"], out["differing_segments"] = segments, len(differing)
    only = f"where {seg} in ({', '.join(str(s_) for s_ in differing)})" if 0 < len(differing) < segments // 2 else ""
    # One join of (key, row hash) finds the rows only on one side and the keys whose rows differ;
    # only those rows are then compared column by column, in one pass.
    con.execute(
        f"""create temp table __vd_diff as
            with l as (select {k}, {row} as __h from {L} {only}), r as (select {k}, {row} as __h from {R} {only})
            select {', '.join(f'coalesce(l.{q(c)}, r.{q(c)}) as {q(c)}' for c in key)},
                   case when r.__h is null then 'left' when l.__h is null then 'right' else 'changed' end as __side
            from l full outer join r on {on}
            where l.__h is distinct from r.__h"""
    )
    lo, ro, ch = con.execute(
        "select count(*) filter (where __side = 'left'), count(*) filter (where __side = 'right'), "
        "count(*) filter (where __side = 'changed') from __vd_diff"
    ).fetchone()
    out["left_only"], out["right_only"], out["changed_rows"] = lo, ro, ch
    dk = " and ".join(f"d.{q(c)} = l.{q(c)}" for c in key)
    per_col = ", ".join(f"count(*) filter (where l.{q(c)} is distinct from r.{q(c)})" for c in value_cols)
    res = con.execute(
        f"""select {per_col or '0'} from __vd_diff d join {L} l on {dk} join {R} r on {on}
            where d.__side = 'changed'"""
    ).fetchone() if ch else [0] * len(value_cols)
    common_rows = ln - lo
    out["columns"] = [
        {"name": c, "changed": res[i],
         "match_pct": round(100.0 * (1 - res[i] / common_rows), 3) if common_rows else 100.0}
        for i, c in enumerate(value_cols)
    ]
    shown = int(request.get("samples", 10))
    if shown and value_cols and ch:
        sel = ", ".join([f"l.{q(c)} as {q(c)}" for c in key] + [f"l.{q(c)} as {q('left.' + c)}, r.{q(c)} as {q('right.' + c)}" for c in value_cols])
        cur = con.execute(
            f"""select {sel} from __vd_diff d join {L} l on {dk} join {R} r on {on}
                where d.__side = 'changed' limit {shown}"""
        )
        names = [d[0] for d in cur.description]
        out["samples"] = [dict(zip(names, [str(v) if v is not None else None for v in r])) for r in cur.fetchall()]
    else:
        out["samples"] = []
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
