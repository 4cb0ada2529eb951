# Runs `dbt <args>` on Apache Spark in local mode, in one process: a local SparkSession is started
# first, the project is parsed (dbt in-process) and each of its sources is copied into the session
# from the local DuckDB warehouse (so the models read the same bronze data they read on DuckDB),
# then dbt runs through dbt-spark's `session` method, which picks up this very session.
# Arguments: <duckdb file> <scratch dir> <dbt args…> (the profiles dir and target path among them);
# run from the dbt project's folder. Prints one JSON line with the copied row counts.
#
# dbt runs on a copy of the project in the scratch folder, with one macro added: local Spark has no
# Delta Lake (its jars come from Maven, out of reach offline), and dbt-spark sets a contract's
# constraints with ALTER TABLE, which only Delta tables take — so on the local engine the contract's
# column types are checked and its constraints are left to the data tests. Nothing in the person's
# project is written.
import json
import os
import shutil
import sys

db, scratch = sys.argv[1], sys.argv[2]
dbt_args = sys.argv[3:]
# The session's catalog lives in memory: its tables from an earlier run are stale files.
shutil.rmtree(os.path.join(scratch, "warehouse"), ignore_errors=True)
os.makedirs(scratch, exist_ok=True)
db = os.path.abspath(db)
copy = os.path.join(scratch, "project")
shutil.rmtree(copy, ignore_errors=True)
shutil.copytree(
    os.getcwd(),
    copy,
    ignore=shutil.ignore_patterns(".git", ".vibedata", "target", "logs", "*.duckdb", "*.duckdb.wal"),
)
import yaml  # noqa: E402  (dbt's own dependency)

with open(os.path.join(copy, "dbt_project.yml")) as f:
    macro_paths = (yaml.safe_load(f) or {}).get("macro-paths") or ["macros"]
macros = os.path.join(copy, macro_paths[0])
os.makedirs(macros, exist_ok=True)
with open(os.path.join(macros, "zz_vibedata_local_spark.sql"), "w") as f:
    f.write(
        "{% macro spark__persist_constraints(relation, model) %}\n"
        "  {% do log('local Spark (no Delta): constraints of ' ~ relation ~ ' left to data tests') %}\n"
        "{% endmacro %}\n"
    )
os.chdir(copy)
os.environ.setdefault("PYSPARK_PYTHON", sys.executable)

from pyspark.sql import SparkSession  # noqa: E402

spark = (
    SparkSession.builder.master("local[2]")
    .appName("vibedata-validate")
    .config("spark.sql.warehouse.dir", os.path.join(scratch, "warehouse"))
    .config("spark.ui.enabled", "false")
    .config("spark.sql.shuffle.partitions", "2")
    .config("spark.driver.extraJavaOptions", f"-Djava.io.tmpdir={scratch}")
    .config("spark.local.dir", os.path.join(scratch, "tmp"))
    .getOrCreate()
)
spark.sparkContext.setLogLevel("ERROR")

import duckdb  # noqa: E402
from dbt.cli.main import dbtRunner  # noqa: E402

# The project's sources, as dbt resolves them (Jinja in a source's schema included).
flags = [a for i, a in enumerate(dbt_args) if a.startswith("--") and a in ("--profiles-dir", "--target-path", "--target")]
passed = []
for f in flags:
    passed += [f, dbt_args[dbt_args.index(f) + 1]]
parsed = dbtRunner().invoke(["parse", "--quiet", *passed])
if not parsed.success:
    print(f"dbt parse failed: {parsed.exception}", file=sys.stderr)
    sys.exit(2)
sources = sorted({(s.schema, s.identifier) for s in parsed.result.sources.values()})

# DuckDB types → Spark SQL types; anything else travels as a string.
SPARK = {
    "BOOLEAN": "boolean", "TINYINT": "tinyint", "SMALLINT": "smallint", "INTEGER": "int",
    "BIGINT": "bigint", "HUGEINT": "decimal(38,0)", "UTINYINT": "smallint", "USMALLINT": "int",
    "UINTEGER": "bigint", "UBIGINT": "decimal(20,0)", "FLOAT": "float", "DOUBLE": "double",
    "DATE": "date", "TIMESTAMP": "timestamp", "TIMESTAMP WITH TIME ZONE": "timestamp",
    "VARCHAR": "string",
}


def spark_type(t):
    t = t.upper()
    if t.startswith("DECIMAL"):
        return t.lower()
    return SPARK.get(t, "string")


counts = {}
con = duckdb.connect(db, read_only=True)
for schema, table in sources:
    cols = con.execute(
        "select column_name, data_type from information_schema.columns "
        "where table_schema = ? and table_name = ? order by ordinal_position",
        [schema, table],
    ).fetchall()
    if not cols:
        print(f"source {schema}.{table} is not in the local warehouse", file=sys.stderr)
        continue
    select = ", ".join(
        f'"{c}"' if spark_type(t) != "string" or t.upper() == "VARCHAR" else f'cast("{c}" as varchar) as "{c}"'
        for c, t in cols
    )
    rows = con.execute(f'select {select} from "{schema}"."{table}"').fetchall()
    ddl = ", ".join(f"`{c}` {spark_type(t)}" for c, t in cols)
    spark.sql(f"create database if not exists `{schema}`")
    spark.createDataFrame(rows, ddl).write.mode("overwrite").saveAsTable(f"`{schema}`.`{table}`")
    counts[f"{schema}.{table}"] = len(rows)
con.close()
print(json.dumps({"sources": counts}), flush=True)

result = dbtRunner().invoke(dbt_args)
spark.stop()
sys.exit(0 if result.success else 1)
