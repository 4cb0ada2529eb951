"""Column lineage of the native index compared with sqlglot's on the same rendered SQL.

Reads `vibedata index <project> --json --sql` (stdin or a file): each model's rendered SQL (its
relations as `__vd_ref_<n>` / `__vd_src_<n>` placeholders), what each placeholder stands for, and
the index's column lineage. For every output column the index traced (`known`), sqlglot's
`lineage()` is asked for the same column, with a schema of the upstream relations built from
the index's own columns (so both expand `select *` from the same facts), and its leaves mapped
back to `(unique_id, column)`. Prints one JSON object: per model the columns compared, agreeing,
and each difference; totals; and the time sqlglot took.

Usage: python lineage_vs_sqlglot.py [index.json] [--dialect duckdb]
"""

import json
import sys
import time

import sqlglot
from sqlglot import exp
from sqlglot.lineage import lineage


def upstream_columns(nodes, sources, uid):
    """The upstream's columns and whether that is all of them (a model's traced lineage)."""
    node = nodes.get(uid) or sources.get(uid)
    if node is None:
        return [], False
    lineage_cols = node.get("column_lineage")
    if lineage_cols is not None:
        names = [c["name"] for c in lineage_cols]
        if "*" not in names:
            return names, True
    cols = list((node.get("columns") or {}).keys())
    return [c.lower() for c in cols], False


def leaves(node):
    out = []
    stack = [node]
    while stack:
        n = stack.pop()
        if not n.downstream:
            out.append(n)
        stack.extend(n.downstream)
    return out


def compare(index, dialect):
    nodes = index["nodes"]
    sources = index.get("sources", {})
    report = {"models": {}, "compared": 0, "agree": 0, "unknown": 0, "sqlglot_seconds": 0.0, "sqlglot_errors": 0}
    for uid, node in sorted(nodes.items()):
        sql = node.get("rendered_sql")
        ours = node.get("column_lineage")
        if not sql or ours is None:
            continue
        relations = node.get("rendered_relations", {})
        # Columns read from each relation by the index's own lineage: what a relation with no
        # known columns (an undocumented source) is taken to have, for both readers alike.
        read = {}
        for col in ours:
            for d in col["depends_on"]:
                read.setdefault(d["node"], set()).add(d["column"].lower())
        # And every column the SQL names with a relation's alias (a join key, a filter).
        try:
            tree = sqlglot.parse_one(sql, dialect=dialect)
            alias_of = {}
            for table in tree.find_all(exp.Table):
                if table.name in relations:
                    alias_of[table.alias_or_name] = relations[table.name]
            for column in tree.find_all(exp.Column):
                if column.table in alias_of:
                    read.setdefault(alias_of[column.table], set()).add(column.name.lower())
        except Exception:
            pass
        schema = {}
        for placeholder, upstream in relations.items():
            # Documented columns are often a subset of a table's: add what the SQL reads.
            cols, complete = upstream_columns(nodes, sources, upstream)
            if not complete:
                cols = sorted(set(cols) | read.get(upstream, set()))
            if cols:
                schema[placeholder] = {c: "varchar" for c in cols}
        model = {"compared": 0, "agree": 0, "differences": []}
        for col in ours:
            if not col["known"] or col["name"] == "*":
                report["unknown"] += 1
                continue
            want = sorted((d["node"], d["column"].lower()) for d in col["depends_on"])
            started = time.perf_counter()
            try:
                root = lineage(col["name"], sql, schema=schema, dialect=dialect)
                got = set()
                for leaf in leaves(root):
                    table = leaf.expression.find(exp.Table) if isinstance(leaf.expression, exp.Table) else None
                    name = leaf.name.split(".")[-1].lower()
                    source = leaf.source
                    table_name = None
                    if isinstance(source, exp.Table):
                        table_name = source.name
                    elif table is not None:
                        table_name = table.name
                    if table_name and table_name in relations:
                        got.add((relations[table_name], name))
                got = sorted(got)
            except Exception as e:  # sqlglot could not follow it
                got = f"sqlglot error: {type(e).__name__}: {e}"
                report["sqlglot_errors"] += 1
            report["sqlglot_seconds"] += time.perf_counter() - started
            model["compared"] += 1
            if got == want:
                model["agree"] += 1
            else:
                model["differences"].append({"column": col["name"], "index": want, "sqlglot": got})
        report["compared"] += model["compared"]
        report["agree"] += model["agree"]
        if model["compared"]:
            report["models"][uid] = model
    report["agreement_pct"] = round(100.0 * report["agree"] / report["compared"], 1) if report["compared"] else 100.0
    report["sqlglot_version"] = sqlglot.__version__
    return report


def main():
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    dialect = "duckdb"
    if "--dialect" in sys.argv:
        dialect = sys.argv[sys.argv.index("--dialect") + 1]
        args = [a for a in args if a != dialect]
    text = open(args[0]).read() if args else sys.stdin.read()
    print(json.dumps(compare(json.loads(text), dialect), indent=1))


if __name__ == "__main__":
    main()
