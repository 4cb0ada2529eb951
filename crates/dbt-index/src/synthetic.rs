//! Generators of dbt projects on disk, for benchmarks and agreement tests:
//! [`write_synthetic`] makes a project of N models with a realistic mix (sources → staging →
//! intermediate → marts, YAML tests, contracts, seeds, snapshots, exposures, an installed
//! package); [`write_feature_tour`] makes a small project that uses every construct the index
//! reads (versions, unit tests, semantic models, metrics, package refs, custom test names…).
//! Both are deterministic for a given seed and runnable by dbt-duckdb (`profiles.yml` included).

use std::fmt::Write as _;
use std::io;
use std::path::Path;

fn write(root: &Path, rel: &str, text: &str) -> io::Result<()> {
    let path = root.join(rel);
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)?;
    }
    std::fs::write(path, text)
}

fn project_files(root: &Path, name: &str) -> io::Result<()> {
    write(
        root,
        "dbt_project.yml",
        &format!(
            "name: {name}\nversion: '1.0.0'\nprofile: {name}\nmodel-paths: [models]\nseed-paths: [seeds]\nsnapshot-paths: [snapshots]\ntest-paths: [tests]\nanalysis-paths: [analyses]\nmacro-paths: [macros]\nflags:\n  send_anonymous_usage_stats: false\nmodels:\n  {name}:\n    +materialized: view\n    marts:\n      +materialized: table\n"
        ),
    )?;
    write(
        root,
        "profiles.yml",
        &format!(
            "{name}:\n  target: local\n  outputs:\n    local:\n      type: duckdb\n      path: target/{name}.duckdb\n      threads: 1\n"
        ),
    )
}

/// A utility package installed under `dbt_packages/synth_utils`: two models, a seed and a
/// generic test.
fn package(root: &Path) -> io::Result<()> {
    let pkg = "dbt_packages/synth_utils";
    write(
        root,
        &format!("{pkg}/dbt_project.yml"),
        "name: synth_utils\nversion: '0.1.0'\nconfig-version: 2\nmodel-paths: [models]\nmacro-paths: [macros]\n",
    )?;
    write(
        root,
        &format!("{pkg}/macros/is_positive.sql"),
        "{% test is_positive(model, column_name) %}\nselect * from {{ model }} where {{ column_name }} <= 0\n{% endtest %}\n",
    )?;
    write(
        root,
        &format!("{pkg}/models/util_calendar.sql"),
        "select 1 as day_id, cast('2024-01-01' as date) as day\n",
    )?;
    write(
        root,
        &format!("{pkg}/models/util_numbers.sql"),
        "select day_id as n from {{ ref('util_calendar') }}\n",
    )?;
    write(
        root,
        &format!("{pkg}/models/schema.yml"),
        "version: 2\nmodels:\n  - name: util_calendar\n    columns:\n      - name: day_id\n        data_tests: [unique, not_null]\n  - name: util_numbers\n    columns:\n      - name: n\n        data_tests: [not_null]\n",
    )
}

/// Writes a synthetic project with `models` models into `root` (which should be empty).
pub fn write_synthetic(root: &Path, models: usize, seed: u64) -> io::Result<()> {
    let mut rng = fastrand::Rng::with_seed(seed);
    project_files(root, "synth")?;
    package(root)?;
    let sources = (models / 50).max(1);
    let tables_per_source = 5;
    let staging = (models * 2 / 5).max(1);
    let intermediate = (models * 3 / 10).max(1);
    let marts = models.saturating_sub(staging + intermediate).max(1);
    let folder = |i: usize| format!("g{:03}", i / 100);

    // Sources with freshness and tests.
    for s in 0..sources {
        let mut y = format!(
            "version: 2\nsources:\n  - name: src{s}\n    schema: raw_{s}\n    freshness:\n      warn_after: {{count: 12, period: hour}}\n    loaded_at_field: loaded_at\n    tables:\n"
        );
        for t in 0..tables_per_source {
            let _ = write!(
                y,
                "      - name: t{t}\n        description: Raw table {t} of source {s}\n        columns:\n          - name: id\n            description: Primary key\n            data_tests: [unique, not_null]\n          - name: amount\n"
            );
        }
        write(
            root,
            &format!("models/staging/src{s}/_src{s}__sources.yml"),
            &y,
        )?;
    }
    // Staging: one per source table (cycled), with tests.
    let mut stg_yaml: Vec<String> =
        vec![String::from("version: 2\nmodels:\n"); staging.div_ceil(100)];
    for i in 0..staging {
        let s = i % sources;
        let t = (i / sources) % tables_per_source;
        write(
            root,
            &format!("models/staging/{}/stg_{i}.sql", folder(i)),
            &format!(
                "-- staging model {i}\nwith src as (\n    select * from {{{{ source('src{s}', 't{t}') }}}}\n)\nselect\n    id,\n    cast(amount as double) as amount,\n    'stg_{i}' as origin,\n    current_date as loaded_on\nfrom src\n"
            ),
        )?;
        let doc = if rng.u8(0..10) < 7 {
            "        description: Surrogate key\n"
        } else {
            ""
        };
        let _ = write!(
            stg_yaml[i / 100],
            "  - name: stg_{i}\n    description: Staged table {t} of source {s}\n    columns:\n      - name: id\n{doc}        data_tests:\n          - unique\n          - not_null\n      - name: amount\n        description: Amount in euros\n      - name: origin\n        data_tests:\n          - accepted_values:\n              arguments:\n                values: ['stg_{i}']\n      - name: loaded_on\n"
        );
    }
    for (g, y) in stg_yaml.iter().enumerate() {
        write(
            root,
            &format!("models/staging/g{g:03}/_stg_g{g:03}__models.yml"),
            y,
        )?;
    }
    // Intermediate: each refs two earlier staging/intermediate models.
    let mut int_yaml: Vec<String> =
        vec![String::from("version: 2\nmodels:\n"); intermediate.div_ceil(100)];
    for i in 0..intermediate {
        let a = format!("stg_{}", rng.usize(0..staging));
        let b = if i > 0 && rng.bool() {
            format!("int_{}", rng.usize(0..i))
        } else {
            format!("stg_{}", rng.usize(0..staging))
        };
        write(
            root,
            &format!("models/intermediate/{}/int_{i}.sql", folder(i)),
            &format!(
                "{{{{ config(materialized='ephemeral') }}}}\nselect\n    a.id,\n    a.amount + coalesce(b.amount, 0) as amount,\n    'int_{i}' as origin\nfrom {{{{ ref('{a}') }}}} as a\nleft join {{{{ ref('{b}') }}}} as b on a.id = b.id\n"
            ),
        )?;
        let _ = write!(
            int_yaml[i / 100],
            "  - name: int_{i}\n    columns:\n      - name: id\n        description: Key\n        data_tests: [not_null]\n      - name: amount\n"
        );
    }
    for (g, y) in int_yaml.iter().enumerate() {
        write(
            root,
            &format!("models/intermediate/g{g:03}/_int_g{g:03}__models.yml"),
            y,
        )?;
    }
    // Marts: refs to intermediate/staging, contracts on some, relationships tests.
    let mut mart_yaml: Vec<String> =
        vec![String::from("version: 2\nmodels:\n"); marts.div_ceil(100)];
    for i in 0..marts {
        let a = format!("int_{}", rng.usize(0..intermediate));
        let b = format!("stg_{}", rng.usize(0..staging));
        let util = if i % 25 == 0 {
            "\n    cross join (select count(*) as n from {{ ref('synth_utils', 'util_numbers') }}) as u"
        } else {
            ""
        };
        write(
            root,
            &format!("models/marts/{}/fct_{i}.sql", folder(i)),
            &format!(
                "select\n    a.id as fct_id,\n    a.amount as amount,\n    b.origin as origin\nfrom {{{{ ref('{a}') }}}} as a\njoin {{{{ ref('{b}') }}}} as b on a.id = b.id{util}\n"
            ),
        )?;
        let contract = if i % 3 == 0 {
            "    config:\n      contract: {enforced: true}\n    columns:\n      - name: fct_id\n        data_type: integer\n        description: Key\n        constraints: [{type: not_null}]\n        data_tests:\n          - unique\n          - relationships:\n              arguments: {to: ref('"
                .to_string()
                + &b
                + "'), field: id}\n      - name: amount\n        data_type: double\n        data_tests: [synth_utils.is_positive]\n      - name: origin\n        data_type: varchar\n"
        } else {
            "    columns:\n      - name: fct_id\n        data_tests: [unique, not_null]\n      - name: amount\n        description: Total\n".to_string()
        };
        let _ = write!(
            mart_yaml[i / 100],
            "  - name: fct_{i}\n    description: Fact {i}\n{contract}"
        );
    }
    for (g, y) in mart_yaml.iter().enumerate() {
        write(
            root,
            &format!("models/marts/g{g:03}/_fct_g{g:03}__models.yml"),
            y,
        )?;
    }
    // Seeds, snapshots, exposures, a singular test.
    for s in 0..(models / 100).max(1) {
        write(root, &format!("seeds/seed_{s}.csv"), "id,label\n1,a\n2,b\n")?;
    }
    write(
        root,
        "snapshots/snap_stg.sql",
        "{% snapshot snap_stg_0 %}\n{{ config(unique_key='id', strategy='check', check_cols='all', target_schema='snapshots') }}\nselect * from {{ ref('stg_0') }}\n{% endsnapshot %}\n",
    )?;
    let mut exposures = String::from("version: 2\nexposures:\n");
    for e in 0..(models / 200).max(1) {
        let _ = write!(
            exposures,
            "  - name: dashboard_{e}\n    type: dashboard\n    owner: {{name: Data team, email: data@example.com}}\n    depends_on:\n      - ref('fct_{}')\n      - ref('fct_{}')\n",
            rng.usize(0..marts),
            rng.usize(0..marts)
        );
    }
    write(root, "models/exposures.yml", &exposures)?;
    write(
        root,
        "tests/assert_fct_0_positive.sql",
        "select * from {{ ref('fct_0') }} where amount < 0\n",
    )?;
    Ok(())
}

/// Writes the feature-tour project into `root`: every construct the index reads, once or twice.
pub fn write_feature_tour(root: &Path) -> io::Result<()> {
    project_files(root, "tour")?;
    package(root)?;
    write(
        root,
        "seeds/country_codes.csv",
        "code,name\nNL,Netherlands\nBE,Belgium\n",
    )?;
    write(
        root,
        "seeds/seeds.yml",
        "version: 2\nseeds:\n  - name: country_codes\n    description: ISO codes\n    columns:\n      - name: code\n        data_tests: [unique]\n",
    )?;
    write(
        root,
        "models/staging/_sources.yml",
        "version: 2\nsources:\n  - name: shop\n    schema: main\n    freshness: {warn_after: {count: 1, period: day}}\n    loaded_at_field: loaded_at\n    tables:\n      - name: raw_orders\n        columns:\n          - name: id\n            data_tests: [unique, not_null]\n      - name: raw_customers\n        freshness: null\n        data_tests:\n          - dbt_utils_free_row_count:\n              name: raw_customers_not_empty\n              arguments: {min: 1}\n",
    )?;
    write(
        root,
        "models/staging/stg_orders.sql",
        "{# a Jinja comment with {{ ref('not_a_dependency') }} #}\nselect\n    id as order_id,\n    customer_id,\n    amount,\n    status\nfrom {{ source('shop', 'raw_orders') }}\n-- a SQL comment: ref('still_not_a_dependency')\n",
    )?;
    write(
        root,
        "models/staging/stg_customers.sql",
        "select id as customer_id, name, country from {{ source('shop', 'raw_customers') }}\n",
    )?;
    write(
        root,
        "models/staging/stg_models.yml",
        "version: 2\nmodels:\n  - name: stg_orders\n    description: Orders, cleaned\n    columns:\n      - name: order_id\n        description: The order\n        data_tests: [unique, not_null]\n      - name: status\n        data_tests:\n          - accepted_values:\n              arguments:\n                values: [placed, shipped, completed, return_pending, returned]\n              config: {severity: warn}\n      - name: customer_id\n        data_tests:\n          - relationships:\n              arguments:\n                to: ref('stg_customers')\n                field: customer_id\n  - name: stg_customers\n    columns:\n      - name: customer_id\n        data_tests:\n          - unique\n          - not_null:\n              name: customers_have_ids\n      - name: country\n        data_tests:\n          - relationships:\n              arguments: {to: ref('country_codes'), field: code}\n",
    )?;
    // A versioned model: v1 in dim_customers_v1.sql, v2 defined in dim_customers.sql.
    write(
        root,
        "models/marts/dim_customers_v1.sql",
        "select customer_id, name from {{ ref('stg_customers') }}\n",
    )?;
    write(
        root,
        "models/marts/dim_customers.sql",
        "select customer_id, name, country, true as is_active from {{ ref('stg_customers') }}\n",
    )?;
    write(
        root,
        "models/marts/orders.sql",
        "{{ config(materialized='table') }}\nselect o.order_id, o.customer_id, o.amount, c.country, d.day\nfrom {{ ref('stg_orders') }} as o\njoin {{ ref('dim_customers', v=1) }} as c1 on c1.customer_id = o.customer_id\njoin {{ ref('dim_customers') }} as c on c.customer_id = o.customer_id\ncross join {{ ref('synth_utils', 'util_calendar') }} as d\n",
    )?;
    write(
        root,
        "models/marts/metricflow_time_spine.sql",
        "select cast(range as date) as date_day from range(date '2024-01-01', date '2024-02-01', interval 1 day)\n",
    )?;
    write(
        root,
        "models/marts/marts.yml",
        "version: 2\nmodels:\n  - name: dim_customers\n    latest_version: 2\n    config:\n      contract: {enforced: true}\n    columns:\n      - name: customer_id\n        data_type: integer\n        data_tests: [not_null]\n      - name: name\n        data_type: varchar\n      - name: country\n        data_type: varchar\n      - name: is_active\n        data_type: boolean\n    versions:\n      - v: 1\n        columns:\n          - include: all\n            exclude: [country, is_active]\n      - v: 2\n        defined_in: dim_customers\n  - name: orders\n    description: One row per order\n    columns:\n      - name: order_id\n        description: Key\n        data_tests: [unique, not_null]\n      - name: amount\n        data_tests: [synth_utils.is_positive]\n  - name: metricflow_time_spine\n    time_spine:\n      standard_granularity_column: date_day\n    columns:\n      - name: date_day\n        granularity: day\nunit_tests:\n  - name: orders_keep_amounts\n    model: orders\n    given:\n      - input: ref('stg_orders')\n        rows: [{order_id: 1, customer_id: 1, amount: 10, status: placed}]\n      - input: ref('dim_customers', v=1)\n        rows: [{customer_id: 1, name: a}]\n      - input: ref('dim_customers')\n        rows: [{customer_id: 1, name: a, country: NL, is_active: true}]\n      - input: ref('synth_utils', 'util_calendar')\n        rows: [{day_id: 1, day: 2024-01-01}]\n    expect:\n      rows: [{order_id: 1, amount: 10}]\nexposures:\n  - name: revenue_dashboard\n    type: dashboard\n    owner: {name: Finance, email: finance@example.com}\n    depends_on:\n      - ref('orders')\n      - source('shop', 'raw_customers')\nsemantic_models:\n  - name: orders_sm\n    model: ref('orders')\n    defaults: {agg_time_dimension: ordered_on}\n    entities:\n      - {name: order, type: primary, expr: order_id}\n    dimensions:\n      - {name: ordered_on, type: time, expr: day, type_params: {time_granularity: day}}\n    measures:\n      - {name: order_total, agg: sum, expr: amount}\n      - {name: order_count, agg: count, expr: order_id}\nmetrics:\n  - name: revenue\n    label: Revenue\n    type: simple\n    type_params: {measure: order_total}\n  - name: order_count\n    label: Orders\n    type: simple\n    type_params: {measure: order_count}\n  - name: revenue_per_order\n    label: Revenue per order\n    type: ratio\n    type_params: {numerator: revenue, denominator: order_count}\n",
    )?;
    write(
        root,
        "models/marts/disabled_model.sql",
        "{{ config(enabled=false) }}\nselect * from {{ ref('orders') }}\n",
    )?;
    write(
        root,
        "snapshots/customers_snapshot.sql",
        "{% snapshot customers_snapshot %}\n{{ config(unique_key='customer_id', strategy='check', check_cols='all', target_schema='snapshots') }}\nselect * from {{ ref('stg_customers') }}\n{% endsnapshot %}\n",
    )?;
    write(
        root,
        "analyses/order_mix.sql",
        "select status, count(*) from {{ ref('stg_orders') }} group by 1\n",
    )?;
    write(
        root,
        "tests/assert_no_negative_orders.sql",
        "select * from {{ ref('orders') }} where amount < 0\n",
    )?;
    write(
        root,
        "macros/dbt_utils_free_row_count.sql",
        "{% test dbt_utils_free_row_count(model, min) %}\nselect 1 where (select count(*) from {{ model }}) < {{ min }}\n{% endtest %}\n",
    )?;
    Ok(())
}
