//! Review of a real git history: both sides written out and indexed, the change classified, its
//! column changes followed downstream, contract breaks listed — without touching the checkout.

use vibedata_core::Studio;
use vibedata_dbt_index::diff::{Category, Change, ContractBreakKind};

use crate::fresh_paths;

fn sh(dir: &std::path::Path, script: &str) {
    let status = std::process::Command::new("sh")
        .arg("-c")
        .arg(format!(
            "set -e\nexport GIT_AUTHOR_NAME=Ada GIT_AUTHOR_EMAIL=ada@example.com GIT_COMMITTER_NAME=Ada GIT_COMMITTER_EMAIL=ada@example.com\n{script}"
        ))
        .current_dir(dir)
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .status()
        .unwrap();
    assert!(status.success());
}

const BASE: &str = r#"
git init -q -b main shop && cd shop
mkdir -p models/staging models/marts
printf 'name: shop\nversion: "1.0"\nprofile: shop\n' > dbt_project.yml
cat > models/staging/_sources.yml <<'Y'
version: 2
sources:
  - name: raw
    tables: [{name: orders}]
Y
echo "select id, amount, status, customer_id from {{ source('raw', 'orders') }}" > models/staging/stg_orders.sql
echo "select id, amount from {{ ref('stg_orders') }} where status = 'ok'" > models/marts/orders.sql
echo "select customer_id, count(*) as n from {{ ref('stg_orders') }} group by customer_id" > models/marts/customers.sql
echo "select o.id, o.amount * 2 as doubled, o.id as order_id from {{ ref('orders') }} as o" > models/marts/doubled.sql
echo "select 1 as id" > models/marts/old_one.sql
cat > models/marts/_marts.yml <<'Y'
version: 2
models:
  - name: orders
    config: {contract: {enforced: true}}
    columns:
      - {name: id, data_type: integer, constraints: [{type: not_null}]}
      - {name: amount, data_type: decimal}
exposures:
  - name: board
    type: dashboard
    owner: {email: a@example.com}
    depends_on: [ref('doubled')]
Y
git add . && git commit -q -m base
git checkout -q -b intent/change
"#;

const HEAD: &str = r#"
cd shop
echo "select id, amount * 100 as amount, status, customer_id from {{ source('raw', 'orders') }}" > models/staging/stg_orders.sql
echo "{{ config(materialized='table') }} select customer_id, count(*) as n from {{ ref('stg_orders') }} group by customer_id" > models/marts/customers.sql
git rm -q models/marts/old_one.sql
echo "select 2 as id" > models/marts/new_one.sql
cat > models/marts/_marts.yml <<'Y'
version: 2
models:
  - name: orders
    config: {contract: {enforced: true}}
    columns:
      - {name: id, data_type: bigint}
exposures:
  - name: board
    type: dashboard
    owner: {email: a@example.com}
    depends_on: [ref('doubled')]
Y
git add -A && git commit -q -m change
git checkout -q main
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_branch_is_reviewed_from_both_indexes_with_classes_columns_and_contract_breaks() {
    let dir = tempfile::tempdir().unwrap();
    sh(dir.path(), BASE);
    sh(dir.path(), HEAD);
    let repo = dir.path().join("shop");
    let (_data, paths) = fresh_paths();
    let studio = Studio::open(paths).await.unwrap();
    let r = studio
        .review()
        .compare(repo.clone(), None, "main".into(), "intent/change".into())
        .await
        .unwrap();
    assert!(r.from_merge_base);
    let changed = |uid: &str| {
        r.diff
            .changed
            .iter()
            .find(|c| c.unique_id == uid)
            .unwrap_or_else(|| panic!("{uid} changed: {:#?}", r.diff.changed))
    };
    let stg = changed("model.shop.stg_orders");
    assert_eq!(
        (stg.change, stg.category),
        (Change::Modified, Some(Category::PartialBreaking))
    );
    assert_eq!(stg.columns.modified, ["amount"]);
    assert!(stg.modified.contains(&"body"));
    let customers = changed("model.shop.customers");
    assert_eq!(
        customers.category,
        Some(Category::NonBreaking),
        "{customers:?}"
    );
    assert_eq!(customers.modified, ["configs"]);
    assert_eq!(changed("model.shop.new_one").change, Change::Added);
    let old = changed("model.shop.old_one");
    assert_eq!(
        (old.change, old.category),
        (Change::Removed, Some(Category::Breaking))
    );

    // Column by column downstream: amount reaches orders.amount and doubled.doubled, not the ids.
    let impact = |uid: &str| {
        r.diff
            .impact
            .iter()
            .find(|i| i.unique_id == uid)
            .unwrap_or_else(|| panic!("{uid} impacted: {:#?}", r.diff.impact))
    };
    let orders = impact("model.shop.orders");
    assert_eq!(orders.affected_columns, ["amount"]);
    assert_eq!(orders.unaffected_columns, ["id"]);
    let doubled = impact("model.shop.doubled");
    assert_eq!(doubled.affected_columns, ["doubled"]);
    assert_eq!(doubled.unaffected_columns, ["id", "order_id"]);
    assert!(
        r.diff.impacted.contains(&"exposure.shop.board".to_string()),
        "impact reaches exposures: {:?}",
        r.diff.impacted
    );
    assert!(
        !r.diff.impacted.contains(&"model.shop.orders".to_string()),
        "a changed node is listed as changed, not in the impacted set"
    );
    assert!(r.diff.impacted.contains(&"model.shop.doubled".to_string()));
    // customers reads stg_orders, but none of the columns that changed.
    assert!(impact("model.shop.customers").affected_columns.is_empty());

    // The enforced contract: amount removed, id's type changed and its constraint removed.
    let breaks: Vec<(String, ContractBreakKind)> = r
        .diff
        .contract_breaks
        .iter()
        .map(|b| (b.column.clone(), b.kind))
        .collect();
    assert!(
        breaks.contains(&("amount".into(), ContractBreakKind::Removed)),
        "{breaks:?}"
    );
    assert!(
        breaks.contains(&("id".into(), ContractBreakKind::TypeChanged)),
        "{breaks:?}"
    );
    assert!(
        breaks.contains(&("id".into(), ContractBreakKind::ConstraintRemoved)),
        "{breaks:?}"
    );

    // The person's checkout was not touched.
    let head = std::process::Command::new("git")
        .args(["rev-parse", "--abbrev-ref", "HEAD"])
        .current_dir(&repo)
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&head.stdout).trim(), "main");
    assert!(repo.join("models/marts/old_one.sql").is_file());

    let missing = studio
        .review()
        .compare(repo, None, "main".into(), "no-such-branch".into())
        .await
        .unwrap_err();
    assert!(missing.to_string().contains("no-such-branch"), "{missing}");
}

/// The data diff on the real DuckDB: exact counts of left-only, right-only and changed rows and
/// per column, a key inferred by name (and a given one that is not unique refused, with why),
/// identical tables answered as such, and no usable key said plainly.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_tables_are_diffed_with_an_inferred_key_and_exact_counts() {
    let (dir, paths) = fresh_paths();
    let venv = vibedata_core::platform::venv::Venv::new(&paths.venv);
    let db = dir.path().join("diff.duckdb");
    venv.run_python(
        "import duckdb, sys\n\
         c = duckdb.connect(sys.argv[1])\n\
         c.execute('create schema base; create schema head')\n\
         c.execute(\"create table base.orders as select i as order_id, i % 7 as status, i * 1.5 as amount, 'x' || i as note from range(100000) t(i)\")\n\
         c.execute(\"create table head.orders as select order_id, case when order_id % 1000 = 0 then 99 else status end as status, amount, note from base.orders where order_id % 5000 <> 1 union all select 200000 + i, 1, 1.0, 'new' from range(25) t(i)\")\n\
         c.execute('create table head.same as select * from base.orders')\n\
         c.execute('create table base.nokey as select i % 10 as a, i as b from range(100) t(i)')\n\
         c.execute('create table head.nokey as select i % 10 as a, i % 3 as b from range(100) t(i)')\n",
        &[db.as_os_str()],
    )
    .unwrap();
    let studio = Studio::open(paths).await.unwrap();
    let diff = |left: &str, right: &str, key: Option<Vec<String>>| {
        studio
            .review()
            .diff_tables(db.clone(), left.into(), right.into(), key)
    };
    let d = diff("base.orders", "head.orders", None).await.unwrap();
    assert_eq!(d.key, ["order_id"]);
    assert!(d.key_evidence.as_deref().unwrap().contains("name"), "{d:?}");
    assert_eq!((d.left_rows, d.right_rows), (100_000, 100_005));
    assert_eq!(
        (d.left_only, d.right_only, d.changed_rows),
        (Some(20), Some(25), Some(100))
    );
    let status = d.columns.iter().find(|c| c.name == "status").unwrap();
    assert_eq!(status.changed, 100);
    assert!(
        d.columns
            .iter()
            .filter(|c| c.name != "status")
            .all(|c| c.changed == 0)
    );
    assert!(!d.samples.is_empty() && d.samples.len() <= 10);
    assert!(!d.identical);

    let given = diff("base.orders", "head.orders", Some(vec!["status".into()]))
        .await
        .unwrap();
    assert!(
        given.key.is_empty() && given.rejected_keys.len() == 1,
        "{given:?}"
    );

    let same = diff("base.orders", "head.same", None).await.unwrap();
    assert!(same.identical && same.changed_rows == Some(0));

    let nokey = diff("base.nokey", "head.nokey", None).await.unwrap();
    assert!(nokey.changed_rows.is_none());
    assert!(nokey.note.unwrap().contains("row counts and profiles only"));
    assert_eq!(nokey.profile.len(), 2, "profiles of both columns");

    let missing = diff("base.orders", "head.gone", None).await.unwrap_err();
    assert!(missing.to_string().contains("gone"), "{missing}");
}

/// The data diff of a demo branch: both sides built on the local DuckDB (the head deferring its
/// unchanged upstream to the base), each changed or impacted model diffed with the key its tests
/// declare; the changed column is found, the others are equal.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_demo_branch_is_data_diffed_on_duckdb_with_declared_keys() {
    let (_dir, paths) = fresh_paths();
    let studio = Studio::open(paths).await.unwrap();
    let demo = studio.workspaces().ensure_demo().await.unwrap().workspace;
    sh(
        &demo.path,
        "git checkout -q -b intent/amounts-in-thousands\n\
         sed -i 's|/ 100 as amount_usd|/ 100000 as amount_usd|' models/staging/stg_crm__opportunities.sql\n\
         git commit -qam 'Amounts in thousands'\n\
         git checkout -q main",
    );
    let d = studio
        .review()
        .data_diff_branch(&demo.id, "intent/amounts-in-thousands".into())
        .await
        .unwrap();
    assert!(d.build_failures.is_empty(), "{:?}", d.build_failures);
    let model = |uid: &str| {
        d.models
            .iter()
            .find(|m| m.unique_id == uid)
            .unwrap_or_else(|| panic!("{uid} diffed: {:#?}", d.models))
    };
    let stg = model("model.demo_crm.stg_crm__opportunities");
    assert_eq!(stg.key, ["opportunity_id"]);
    assert!(
        stg.key_evidence.as_deref().unwrap().contains("unique"),
        "{stg:?}"
    );
    assert_eq!((stg.base_rows, stg.head_rows), (1200, 1200));
    assert_eq!((stg.base_only, stg.head_only), (Some(0), Some(0)));
    // Exactly the opportunities whose amount is not zero (or null) change.
    let venv = vibedata_core::platform::venv::Venv::new(&studio.paths().venv);
    let expected = venv
        .query_duckdb(
            &demo.warehouse(),
            "select count(*) from bronze.opportunities where amount_cents <> 0",
            1,
        )
        .unwrap();
    let expected: u64 = expected.rows[0][0].parse().unwrap();
    let amount = stg.columns.iter().find(|c| c.name == "amount_usd").unwrap();
    assert_eq!(amount.changed, expected, "{amount:?}");
    assert_eq!(stg.changed_rows, Some(expected));
    assert!(
        stg.columns
            .iter()
            .filter(|c| c.name != "amount_usd")
            .all(|c| c.changed == 0),
        "{stg:?}"
    );
    assert!(!stg.samples.is_empty() && stg.samples[0].contains("amount_usd"));
    let mart = model("model.demo_crm.account_pipeline");
    let changed: Vec<&str> = mart
        .columns
        .iter()
        .filter(|c| c.changed > 0)
        .map(|c| c.name.as_str())
        .collect();
    assert!(changed.contains(&"won_revenue_usd"), "{mart:?}");
    assert!(!changed.contains(&"account_name"), "{mart:?}");

    // Kept with the review: a check per model, then the reviewer's queries on both built sides.
    use vibedata_protocol::review::CheckStatus;
    let head = "intent/amounts-in-thousands".to_string();
    let checks = studio
        .review()
        .checks(&demo.id, head.clone())
        .await
        .unwrap();
    let stg_check = checks
        .iter()
        .find(|c| c.name == "data diff: stg_crm__opportunities")
        .unwrap();
    assert_eq!(stg_check.status, CheckStatus::Changed);
    assert!(stg_check.summary.contains("amount_usd"), "{stg_check:?}");
    let q = |name: &str, sql: &str| {
        studio
            .review()
            .query_diff(&demo.id, head.clone(), name.into(), sql.into())
    };
    let total = q(
        "won revenue",
        "select round(sum(won_revenue_usd), 2) from gold.account_pipeline",
    )
    .await
    .unwrap();
    assert_eq!(total.status, CheckStatus::Changed, "{total:?}");
    let accounts = q("accounts", "select count(*) from silver.stg_crm__accounts")
        .await
        .unwrap();
    assert_eq!(accounts.status, CheckStatus::Identical, "{accounts:?}");
    let broken = q("broken", "select nope from nowhere").await.unwrap();
    assert_eq!(broken.status, CheckStatus::Error);
    assert!(broken.summary.contains("nowhere"), "{broken:?}");
    let names: Vec<String> = studio
        .review()
        .checks(&demo.id, head.clone())
        .await
        .unwrap()
        .into_iter()
        .map(|c| c.name)
        .collect();
    assert!(
        names.ends_with(&["won revenue".into(), "accounts".into(), "broken".into()]),
        "{names:?}"
    );
    // Running a check again keeps one entry, its latest result.
    q("accounts", "select count(*) from silver.stg_crm__accounts")
        .await
        .unwrap();
    let again = studio.review().checks(&demo.id, head).await.unwrap();
    assert_eq!(again.iter().filter(|c| c.name == "accounts").count(), 1);
}

/// A data diff can be cancelled while dbt builds: it ends with "cancelled", and there is nothing
/// to cancel once it is over.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_running_data_diff_is_cancelled() {
    let (_dir, paths) = fresh_paths();
    let studio = Studio::open(paths).await.unwrap();
    let demo = studio.workspaces().ensure_demo().await.unwrap().workspace;
    sh(
        &demo.path,
        "git checkout -q -b intent/cancel-me\n\
         sed -i 's|/ 100 as amount_usd|/ 10 as amount_usd|' models/staging/stg_crm__opportunities.sql\n\
         git commit -qam 'Amounts'\n\
         git checkout -q main",
    );
    let head = "intent/cancel-me".to_string();
    let nothing = studio
        .review()
        .cancel_data_diff(&demo.id, &head)
        .unwrap_err();
    assert!(nothing.to_string().contains("no data diff"), "{nothing}");
    let run = studio.review().data_diff_branch(&demo.id, head.clone());
    let stop = async {
        loop {
            tokio::time::sleep(std::time::Duration::from_millis(300)).await;
            if studio.review().cancel_data_diff(&demo.id, &head).is_ok() {
                break;
            }
        }
    };
    let (result, ()) = tokio::join!(run, stop);
    let err = result.unwrap_err();
    assert!(err.to_string().contains("cancelled"), "{err}");
    assert!(studio.review().cancel_data_diff(&demo.id, &head).is_err());
    assert!(
        studio
            .review()
            .checks(&demo.id, head)
            .await
            .unwrap()
            .is_empty(),
        "a cancelled diff keeps no check"
    );
}

/// A teammate's pull request, from the synced inbox: listed for review, its head and target
/// fetched from GitHub (`refs/pull/<n>/head`, as GitHub serves forks too) and reviewed; offline
/// it is reviewed as last fetched, said so; the person's review waits in the outbox and is
/// delivered once, with the summary as one comment. The person's checkout never moves.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pull_request_of_the_inbox_is_fetched_reviewed_and_its_review_delivered_once() {
    use vibedata_fakes::github::FakeGitHub;
    use vibedata_protocol::inbox::{OutboxKind, OutboxState, ReviewEvent};
    use vibedata_protocol::{AddWorkspaceDto, WorkspaceKind};
    use vibedata_secrets::Sensitive;
    const TOKEN: &str = "ghp_review_pull_request_token_42";

    let fake = FakeGitHub::start().await;
    fake.accept_token(TOKEN);
    fake.add_repo("acme/shop");
    let work = tempfile::tempdir().unwrap();
    sh(work.path(), BASE);
    sh(work.path(), HEAD);
    let served = tempfile::tempdir().unwrap();
    let bare = served.path().join("acme/shop.git");
    std::fs::create_dir_all(&bare).unwrap();
    let head_sha = {
        let out = std::process::Command::new("git")
            .args(["rev-parse", "intent/change"])
            .current_dir(work.path().join("shop"))
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    };
    let number = fake.add_pull(
        "acme/shop",
        "Amounts in cents",
        "feature/cents",
        &head_sha,
        "main",
    );
    sh(
        work.path(),
        &format!(
            "git init -q --bare -b main {bare}\ncd shop\ngit push -q {bare} main intent/change:refs/heads/feature/cents intent/change:refs/pull/{number}/head",
            bare = bare.display()
        ),
    );
    fake.serve_git(served.path());

    let (dir, paths) = fresh_paths();
    let clone = dir.path().join("shop");
    let url = format!("{}/git/acme/shop.git", fake.base_url());
    sh(
        dir.path(),
        &format!("git clone -q {url} {}", clone.display()),
    );
    let studio = Studio::open(paths).await.unwrap();
    let ws = studio
        .workspaces()
        .add_workspace(
            AddWorkspaceDto {
                source: clone.to_string_lossy().into_owned(),
                name: None,
                kind: WorkspaceKind::Domain,
                project_dir: None,
            },
            |_| {},
        )
        .await
        .unwrap();
    studio
        .github()
        .use_token(&fake.base_url(), Sensitive::new(TOKEN.into()));
    studio.github().inbox_sync().await.unwrap();
    let pulls = studio.review().pull_requests(&ws.id).await.unwrap();
    assert_eq!(pulls.len(), 1, "{pulls:?}");
    assert_eq!(
        (
            pulls[0].number,
            pulls[0].head.as_str(),
            pulls[0].title.as_str()
        ),
        (
            number,
            format!("pull/{number}").as_str(),
            "Amounts in cents"
        )
    );
    assert!(
        studio
            .github()
            .inbox(Default::default())
            .await
            .unwrap()
            .issues
            .is_empty(),
        "a pull request is not an incident of the inbox"
    );

    let head = format!("pull/{number}");
    let r = studio
        .review()
        .review_branch(&ws.id, head.clone())
        .await
        .unwrap();
    assert_eq!(
        (r.head.as_str(), r.base.as_str()),
        (head.as_str(), "origin/main")
    );
    assert_eq!(r.head_commit, head_sha);
    assert!(r.problems.is_empty(), "{:?}", r.problems);
    let stg = r
        .changed
        .iter()
        .find(|c| c.unique_id == "model.shop.stg_orders")
        .unwrap();
    assert_eq!(stg.modified_columns, ["amount"]);
    let code: Vec<(&str, usize, usize)> = r
        .code
        .iter()
        .map(|f| (f.path.as_str(), f.additions, f.deletions))
        .collect();
    assert!(
        code.contains(&("models/staging/stg_orders.sql", 1, 1)),
        "the code of the change: {code:?}"
    );
    let listed = studio.review().pull_requests(&ws.id).await.unwrap();
    assert_eq!(listed[0].base_ref.as_deref(), Some("main"));
    assert_eq!(listed[0].head_ref.as_deref(), Some("feature/cents"));

    // Offline: reviewed as last fetched, and said so; the review waits in the outbox.
    fake.set_offline(true);
    let offline = studio
        .review()
        .review_branch(&ws.id, head.clone())
        .await
        .unwrap();
    assert_eq!(offline.changed.len(), r.changed.len());
    assert!(
        offline
            .problems
            .iter()
            .any(|p| p.contains("as last fetched")),
        "{:?}",
        offline.problems
    );
    let queued = studio
        .review()
        .post_review(
            &ws.id,
            head.clone(),
            ReviewEvent::Comment,
            "Cents everywhere downstream?".into(),
        )
        .await
        .unwrap();
    assert_eq!(
        queued.iter().map(|w| (w.kind, w.state)).collect::<Vec<_>>(),
        [
            (OutboxKind::UpsertComment, OutboxState::Queued),
            (OutboxKind::Review, OutboxState::Queued)
        ]
    );
    assert!(fake.reviews_of("acme/shop").is_empty());
    fake.set_offline(false);
    studio.github().inbox_sync().await.unwrap();
    studio.github().inbox_sync().await.unwrap();
    let reviews = fake.reviews_of("acme/shop");
    assert_eq!(reviews.len(), 1, "{reviews:?}");
    assert_eq!(reviews[0]["state"], "COMMENTED");
    let comments = fake.comments_of("acme/shop");
    assert_eq!(comments.len(), 1, "one summary comment: {comments:?}");
    assert!(
        comments[0]["body"]
            .as_str()
            .unwrap()
            .contains(&format!("Vibedata review of `{head}`")),
        "{comments:?}"
    );

    // Never fetched: said plainly.
    let never = studio
        .review()
        .review_branch(&ws.id, "pull/99".into())
        .await
        .unwrap_err();
    assert!(never.to_string().contains("#99"), "{never}");
    // The person's checkout stayed on main.
    let out = std::process::Command::new("git")
        .args(["rev-parse", "--abbrev-ref", "HEAD"])
        .current_dir(&clone)
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "main");
}

/// Starts the advisor and waits for its end; returns the tool results that were refused.
async fn advise(
    studio: &Studio,
    ws: &str,
    head: &str,
) -> (vibedata_protocol::SessionDto, Vec<String>) {
    use vibedata_protocol::{SessionEventDto as E, SessionStatus};
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let session = studio
        .review()
        .advise(ws, head.into(), move |e| drop(tx.send(e)))
        .await
        .unwrap();
    let mut refused = Vec::new();
    loop {
        let e = tokio::time::timeout(std::time::Duration::from_secs(60), rx.recv())
            .await
            .unwrap()
            .unwrap();
        match e {
            E::ToolResult {
                output,
                is_error: true,
                ..
            } => refused.push(output),
            E::Finished { status, message } => {
                assert_eq!(status, SessionStatus::Completed, "{message:?}");
                break;
            }
            _ => {}
        }
    }
    (session, refused)
}

/// The reviewer advisor on the demo domain (its labelled replay): on the branch the demo's build
/// transcript writes, its summary is kept with every claim citing a fact of the review; on
/// another branch the same transcript cites facts that review does not have, and it is refused,
/// saying which; on a person's own repository without a model it does not start.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_advisor_s_summary_is_kept_only_when_every_claim_cites_the_review_s_facts() {
    let (_dir, paths) = fresh_paths();
    let studio = Studio::open(paths).await.unwrap();
    let demo = studio.workspaces().ensure_demo().await.unwrap().workspace;
    // The files the demo's Build transcript writes, committed on a branch of the demo clone.
    let transcript = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("assets/replays/demo-build-intent.jsonl"),
    )
    .unwrap();
    let mut written = 0;
    for line in transcript.lines().skip(1) {
        let turn: serde_json::Value = serde_json::from_str(line).unwrap();
        for e in turn["events"].as_array().unwrap() {
            if e["type"] == "tool_call" && e["call"]["name"] == "write_file" {
                let args: serde_json::Value =
                    serde_json::from_str(e["call"]["arguments"].as_str().unwrap()).unwrap();
                let path = demo.path.join(args["path"].as_str().unwrap());
                std::fs::create_dir_all(path.parent().unwrap()).unwrap();
                std::fs::write(path, args["content"].as_str().unwrap()).unwrap();
                written += 1;
            }
        }
    }
    assert_eq!(written, 3);
    sh(
        &demo.path,
        "git checkout -q -b intent/silver && git add -A && git commit -qm silver && git checkout -q main\n\
         git checkout -q -b intent/thousands && sed -i 's|/ 100 as amount_usd|/ 100000 as amount_usd|' models/staging/stg_crm__opportunities.sql && git commit -qam thousands && git checkout -q main",
    );

    let (session, refused) = advise(&studio, &demo.id, "intent/silver").await;
    assert!(session.is_replay && session.provider.contains("Reviewer advisor"));
    assert!(refused.is_empty(), "{refused:?}");
    let s = studio
        .review()
        .summary(&demo.id, "intent/silver".into())
        .await
        .unwrap()
        .expect("the summary is kept");
    assert!(s.is_replay && !s.stale);
    assert_eq!(s.session_id, session.id);
    assert_eq!(s.claims.len(), 6, "{:#?}", s.claims);
    assert!(s.claims.iter().all(|c| !c.citations.is_empty()));
    let cited: Vec<&str> = s
        .claims
        .iter()
        .flat_map(|c| c.citations.iter().map(|f| f.id.as_str()))
        .collect();
    assert!(cited.contains(&"C:silver_customers") && cited.contains(&"S:totals"));
    let silver = s.claims[0].citations[0].clone();
    assert_eq!(
        silver.unique_id.as_deref(),
        Some("model.demo_crm.silver_customers")
    );
    assert!(silver.text.contains("added"), "{}", silver.text);
    assert!(
        !s.claims[0].text.contains("[C:"),
        "citations are taken out of the text"
    );

    // Another branch: the transcript's claims cite facts this review does not have.
    let (_, refused) = advise(&studio, &demo.id, "intent/thousands").await;
    assert_eq!(refused.len(), 1, "{refused:?}");
    assert!(
        refused[0].contains("[C:silver_customers] is not a fact of this review"),
        "{}",
        refused[0]
    );
    assert!(
        studio
            .review()
            .summary(&demo.id, "intent/thousands".into())
            .await
            .unwrap()
            .is_none()
    );

    // A person's own repository, no model: the advisor does not start (no replay there).
    let work = tempfile::tempdir().unwrap();
    sh(work.path(), BASE);
    sh(work.path(), HEAD);
    let own = studio
        .workspaces()
        .add_workspace(
            vibedata_protocol::AddWorkspaceDto {
                source: work.path().join("shop").to_string_lossy().into_owned(),
                name: None,
                kind: vibedata_protocol::WorkspaceKind::Domain,
                project_dir: None,
            },
            |_| {},
        )
        .await
        .unwrap();
    let refused = studio
        .review()
        .advise(&own.id, "intent/change".into(), |_| {})
        .await
        .unwrap_err();
    assert_eq!(
        refused.code(),
        vibedata_protocol::ErrorCode::ModelNotConfigured
    );
    assert_eq!(
        studio.agents().usage().await.unwrap().prompt_tokens,
        0,
        "a replay is not usage"
    );
}

/// A wide pair (500 columns): one pass still finds the one changed column exactly, every column
/// is listed with its match, and the profile covers them all.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wide_table_is_diffed_column_by_column_in_one_pass() {
    let (dir, paths) = fresh_paths();
    let venv = vibedata_core::platform::venv::Venv::new(&paths.venv);
    let db = dir.path().join("wide.duckdb");
    venv.run_python(
        "import duckdb, sys\n\
         c = duckdb.connect(sys.argv[1])\n\
         cols = ', '.join(f'i * {k} as c{k}' for k in range(499))\n\
         c.execute(f'create table base_wide as select i as id, {cols} from range(2000) t(i)')\n\
         c.execute('create table head_wide as select * replace (case when id % 100 = 0 then -1 else c250 end as c250) from base_wide')\n",
        &[db.as_os_str()],
    )
    .unwrap();
    let studio = Studio::open(paths).await.unwrap();
    let d = studio
        .review()
        .diff_tables(db, "main.base_wide".into(), "main.head_wide".into(), None)
        .await
        .unwrap();
    assert_eq!(d.key, ["id"]);
    assert_eq!(d.columns.len(), 499, "every value column is listed");
    assert_eq!(d.changed_rows, Some(20), "ids 0, 100, … 1900");
    let changed: Vec<(&str, u64)> = d
        .columns
        .iter()
        .filter(|c| c.changed > 0)
        .map(|c| (c.name.as_str(), c.changed))
        .collect();
    assert_eq!(changed, [("c250", 20)]);
    assert_eq!(d.profile.len(), 500);
}
