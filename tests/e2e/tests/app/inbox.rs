//! The Inbox against the fake GitHub: synced issues listed, a word from a comment found, triage
//! kept across a restart, and a comment written offline waiting in the outbox, then delivered
//! exactly once when GitHub is back.

use std::time::Duration;

use vibedata_e2e::{App, DEFAULT_WAIT, Launch};
use vibedata_fakes::github::FakeGitHub;

const REPO: &str = "acme/incidents";
const TOKEN: &str = "ghp_e2e_inbox_token_77c1";

fn launch(dir: &std::path::Path, fake: &FakeGitHub) -> Launch {
    Launch::under(dir)
        .with_env("VIBEDATA_GITHUB_TOKEN", TOKEN)
        .with_env("VIBEDATA_GITHUB_API", &fake.base_url())
        .with_env("VIBEDATA_INBOX_SYNC_SECS", "2")
        .with_env("VIBEDATA_GITHUB_MUTATION_GAP_MS", "0")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn inbox_syncs_searches_triages_and_delivers_an_offline_comment() {
    let fake = FakeGitHub::start().await;
    fake.accept_token(TOKEN);
    fake.add_issues(REPO, 40);
    fake.add_comments(REPO, 1);
    let dir = tempfile::tempdir().unwrap();
    let app = App::launch(&launch(dir.path(), &fake)).await.unwrap();

    app.click("nav-inbox").await.unwrap();
    app.wait_for("inbox-empty", DEFAULT_WAIT).await.unwrap();
    app.type_into("inbox-follow-input", REPO).await.unwrap();
    app.click("inbox-follow").await.unwrap();
    app.wait_for_text("inbox-count", "40 issues", DEFAULT_WAIT)
        .await
        .unwrap();
    assert!(app.find_all("inbox-issue").await.unwrap().len() >= 40);

    // Comment 17 is on issue 17; its word appears nowhere else.
    app.type_into("inbox-search", "word17\u{E007}")
        .await
        .unwrap();
    app.wait_for_text("inbox-count", "1 issue", DEFAULT_WAIT)
        .await
        .unwrap();
    assert_eq!(app.text("inbox-count").await.unwrap().trim(), "1 issue");
    let title = app.text("inbox-issue-title").await.unwrap();
    assert!(title.contains("Issue 17"), "{title}");
    assert_eq!(
        app.attr_css("[data-testid='inbox-issue']", "data-unread")
            .await
            .unwrap(),
        "true"
    );

    app.click_css("[data-testid='inbox-issue'][data-number='17']")
        .await
        .unwrap();
    app.wait_for_text("issue-detail-title", "Issue 17", DEFAULT_WAIT)
        .await
        .unwrap();
    app.click_css("[data-testid='triage-investigating']")
        .await
        .unwrap();
    app.wait_for_text("inbox-issue-triage", "investigating", DEFAULT_WAIT)
        .await
        .unwrap();

    // GitHub goes away; the comment waits in the outbox and shows under the issue.
    fake.set_offline(true);
    app.type_into(
        "issue-comment-input",
        "Freshness restored after the backfill",
    )
    .await
    .unwrap();
    app.click("issue-comment-send").await.unwrap();
    app.wait_for_text("outbox-state", "queued", DEFAULT_WAIT)
        .await
        .unwrap();
    app.wait_for("issue-comment-pending", DEFAULT_WAIT)
        .await
        .unwrap();
    // A background pass tries, fails and says why; the write stays queued.
    app.wait_for("outbox-error", DEFAULT_WAIT).await.unwrap();
    assert_eq!(app.text("outbox-state").await.unwrap(), "queued");
    app.screenshot("inbox-offline-outbox").await.unwrap();
    app.close().await.unwrap();

    // Restart, still offline: the inbox reads from the store, triage and outbox are kept.
    let app = App::launch(&launch(dir.path(), &fake)).await.unwrap();
    app.click("nav-inbox").await.unwrap();
    app.wait_for_text("inbox-count", "40 issues", DEFAULT_WAIT)
        .await
        .unwrap();
    let triage = app
        .attr_css(
            "[data-testid='inbox-issue'][data-number='17']",
            "data-triage",
        )
        .await
        .unwrap();
    assert_eq!(triage, "investigating", "triage is kept across a restart");
    app.click_css("[data-testid='inbox-issue'][data-number='17']")
        .await
        .unwrap();
    app.wait_for_css("[data-testid='triage-investigating'].active", DEFAULT_WAIT)
        .await
        .unwrap();
    assert_eq!(app.text("outbox-state").await.unwrap(), "queued");

    // A new issue, still offline: queued behind the comment.
    app.click("inbox-new-issue").await.unwrap();
    app.type_into("new-issue-title", "Orders table late again")
        .await
        .unwrap();
    app.type_into("new-issue-body", "Second breach this week.")
        .await
        .unwrap();
    app.type_into("new-issue-labels", "incident, p2")
        .await
        .unwrap();
    app.click("new-issue-queue").await.unwrap();
    app.wait_for_text("new-issue-outcome", "Queued", DEFAULT_WAIT)
        .await
        .unwrap();
    app.wait_for_css(
        "[data-testid='outbox-item'][data-state='queued']:nth-child(2)",
        DEFAULT_WAIT,
    )
    .await
    .unwrap();

    // GitHub is back: the next background pass delivers both, once, in order.
    fake.set_offline(false);
    app.wait_for_text("outbox-state", "done", DEFAULT_WAIT)
        .await
        .unwrap();
    app.wait_for_text("inbox-count", "41 issues", DEFAULT_WAIT)
        .await
        .unwrap();
    let created: Vec<_> = fake
        .issues_of(REPO)
        .into_iter()
        .filter(|i| i["title"] == "Orders table late again")
        .collect();
    assert_eq!(created.len(), 1, "created exactly once");
    assert!(created[0]["labels"].to_string().contains("p2"));
    // Two more background passes run (each lists the repository's issues); none may repeat a
    // delivered write.
    let passes = || {
        fake.requests()
            .iter()
            .filter(|r| {
                r.method == "GET"
                    && r.path.split('?').next() == Some(&format!("/repos/{REPO}/issues")[..])
            })
            .count()
    };
    let (seen, deadline) = (passes(), std::time::Instant::now() + DEFAULT_WAIT);
    while passes() < seen + 2 {
        assert!(
            std::time::Instant::now() < deadline,
            "the background sync stopped running"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let delivered: Vec<_> = fake
        .comments_of(REPO)
        .into_iter()
        .filter(|c| {
            c["body"]
                .as_str()
                .unwrap_or_default()
                .contains("Freshness restored")
        })
        .collect();
    assert_eq!(delivered.len(), 1, "delivered exactly once");
    app.wait_for("issue-comment", DEFAULT_WAIT).await.unwrap();
    app.screenshot("inbox-delivered").await.unwrap();
    app.close().await.unwrap();
    // The token was in the app's environment all along; nothing under the data dir holds it.
    vibedata_fakes::secrets::assert_none_on_disk(&dir.path().join("data"), &[TOKEN]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_token_asks_to_sign_in_again_and_leads_to_settings() {
    let fake = FakeGitHub::start().await;
    fake.add_issues(REPO, 3); // the app's token is never accepted: revoked
    let dir = tempfile::tempdir().unwrap();
    let app = App::launch(&launch(dir.path(), &fake)).await.unwrap();
    app.click("nav-inbox").await.unwrap();
    app.type_into("inbox-follow-input", REPO).await.unwrap();
    app.click("inbox-follow").await.unwrap();
    app.wait_for("inbox-sign-in-prompt", DEFAULT_WAIT)
        .await
        .unwrap();
    // Said once, in the prompt (the sync line only says it did not sync).
    app.wait_for_text("inbox-sign-in", "Sign in again", DEFAULT_WAIT)
        .await
        .unwrap();
    app.wait_for_text("inbox-sync-result", "Not synced.", DEFAULT_WAIT)
        .await
        .unwrap();
    app.screenshot("inbox-sign-in-prompt").await.unwrap();
    app.click("inbox-sign-in").await.unwrap();
    app.wait_for("page-settings", DEFAULT_WAIT).await.unwrap();
    app.close().await.unwrap();
}

/// Nobody signed in: the Inbox says "sign in to GitHub" (once, not "revoked"), a followed
/// repository waits for it, and it can be unfollowed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_sign_in_the_inbox_says_sign_in_once_and_a_repository_can_be_unfollowed() {
    let fake = FakeGitHub::start().await;
    let dir = tempfile::tempdir().unwrap();
    let launch = Launch::under(dir.path())
        .with_env("VIBEDATA_GITHUB_API", &fake.base_url())
        .with_env("VIBEDATA_INBOX_SYNC_SECS", "3600");
    let app = App::launch(&launch).await.unwrap();
    app.click("nav-inbox").await.unwrap();
    app.type_into("inbox-follow-input", REPO).await.unwrap();
    app.click("inbox-follow").await.unwrap();
    app.wait_for_text("inbox-sign-in", "Sign in to GitHub", DEFAULT_WAIT)
        .await
        .unwrap();
    let prompt = app.text("inbox-sign-in-prompt").await.unwrap();
    assert!(
        !prompt.contains("revoked"),
        "nobody was ever signed in: {prompt}"
    );
    app.wait_for_text("inbox-sync-result", "Not synced.", DEFAULT_WAIT)
        .await
        .unwrap();
    let said = app.text("page-inbox").await.unwrap();
    assert_eq!(
        said.matches("Sign in to GitHub to sync").count(),
        1,
        "said once: {said}"
    );
    assert!(!said.contains("Not signed in"), "not said twice: {said}");
    let repo = format!("[data-testid='inbox-repo'][data-repo='{REPO}']");
    app.wait_for_css(&repo, DEFAULT_WAIT).await.unwrap();
    app.screenshot("inbox-not-signed-in").await.unwrap();
    app.click_css(&format!("{repo} [data-testid='inbox-unfollow']"))
        .await
        .unwrap();
    app.wait_absent_css(&repo, DEFAULT_WAIT)
        .await
        .expect("unfollowed");
    app.wait_for("inbox-empty", DEFAULT_WAIT).await.unwrap();
    app.close().await.unwrap();
}
