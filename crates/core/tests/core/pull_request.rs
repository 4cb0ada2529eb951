//! A pull request from an intent's branch against the fake GitHub: the branch pushed over git's
//! smart HTTP with the token (the real `git http-backend` behind the fake), the pull request
//! created once even when the connection drops after GitHub made it, the intent moved on, and the
//! head commit's checks read.

use std::path::Path;
use std::process::Command;

use crate::fresh_paths;
use vibedata_core::Studio;
use vibedata_fakes::github::{FakeGitHub, Fault};
use vibedata_protocol::IntentState;
use vibedata_protocol::inbox::{CheckConclusion, OutboxKind, OutboxState};
use vibedata_protocol::{AddWorkspaceDto, WorkspaceKind};
use vibedata_secrets::Sensitive;

const TOKEN: &str = "ghp_pull_request_test_token_91";

fn git(dir: &Path, args: &[&str]) -> String {
    let out = Command::new("git")
        .args(args)
        .current_dir(dir)
        .env("GIT_AUTHOR_NAME", "Seed")
        .env("GIT_AUTHOR_EMAIL", "seed@example.com")
        .env("GIT_COMMITTER_NAME", "Seed")
        .env("GIT_COMMITTER_EMAIL", "seed@example.com")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// A bare `acme/crm` with one commit on main, served by the fake over git's smart HTTP.
fn serve_repo(fake: &FakeGitHub) -> (tempfile::TempDir, std::path::PathBuf) {
    let served = tempfile::tempdir().unwrap();
    let bare = served.path().join("acme/crm.git");
    std::fs::create_dir_all(&bare).unwrap();
    git(&bare, &["init", "-q", "--bare", "-b", "main"]);
    let seed = tempfile::tempdir().unwrap();
    git(seed.path(), &["init", "-q", "-b", "main"]);
    std::fs::write(seed.path().join("README.md"), "# crm\n").unwrap();
    git(seed.path(), &["add", "."]);
    git(seed.path(), &["commit", "-q", "-m", "seed"]);
    git(seed.path(), &["push", "-q", bare.to_str().unwrap(), "main"]);
    fake.serve_git(served.path());
    (served, bare)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_ready_intent_is_pushed_with_the_token_and_its_pull_request_opened_once() {
    let fake = FakeGitHub::start().await;
    fake.accept_token(TOKEN);
    fake.add_repo("acme/crm");
    let (_served, bare) = serve_repo(&fake);

    let (dir, paths) = fresh_paths();
    let data_dir = paths.data_dir.clone();
    let clone = dir.path().join("crm");
    let url = format!("{}/git/acme/crm.git", fake.base_url());
    git(dir.path(), &["clone", "-q", &url, clone.to_str().unwrap()]);
    let db = paths.database();
    let studio = Studio::open(paths).await.unwrap();
    crate::as_grace(&studio).await;
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
    let intent = studio
        .intents()
        .create_intent(&ws.id, "Orders freshness fix".into())
        .await
        .unwrap();
    let early = studio
        .intents()
        .open_pull_request(&intent.id)
        .await
        .unwrap_err();
    assert!(
        early.to_string().contains("validation has passed"),
        "{early}"
    );

    // Validation passed (that part is tested with the real dbt elsewhere).
    let folder =
        vibedata_core::intents::records::folder(std::path::Path::new(&intent.worktree), &intent.id);
    std::fs::write(
        folder.join("validation.md"),
        "# Validation\n\nAll 4 checks passed.\n",
    )
    .unwrap();
    vibedata_core::platform::store::Store::open(&db)
        .unwrap()
        .with(|c| {
            c.execute(
                "UPDATE intents SET state = 'ready' WHERE id = ?1",
                [&intent.id],
            )
        })
        .unwrap();

    let unsigned = studio
        .intents()
        .open_pull_request(&intent.id)
        .await
        .unwrap_err();
    assert!(
        unsigned.to_string().contains("sign in to GitHub"),
        "{unsigned}"
    );

    // Offline: the push and the pull request wait in the outbox, in that order.
    studio
        .github()
        .use_token(&fake.base_url(), Sensitive::new(TOKEN.into()));
    fake.set_offline(true);
    let pr = studio
        .intents()
        .open_pull_request(&intent.id)
        .await
        .unwrap();
    assert_eq!(pr.state, OutboxState::Queued, "{pr:?}");
    let waiting: Vec<OutboxKind> = studio
        .github()
        .outbox()
        .await
        .unwrap()
        .into_iter()
        .map(|w| w.kind)
        .collect();
    assert_eq!(waiting, [OutboxKind::PushBranch, OutboxKind::CreatePr]);
    let head = git(&clone, &["rev-parse", &intent.branch]);

    // Back online, GitHub makes the pull request, then the connection drops before the answer.
    fake.set_offline(false);
    fake.fault(&[Fault::ResetAfterApply]);
    studio.github().inbox_sync().await.unwrap();
    assert_eq!(
        git(&bare, &["rev-parse", &intent.branch]),
        head,
        "the branch reached GitHub"
    );
    assert_eq!(
        studio
            .intents()
            .pull_request(&intent.id)
            .await
            .unwrap()
            .state,
        OutboxState::Queued
    );

    // The next delivery finds it made and does not make another.
    studio.github().inbox_sync().await.unwrap();
    fake.add_check(&head, "dbt build", "completed", Some("success"));
    let pr = studio.intents().pull_request(&intent.id).await.unwrap();
    assert_eq!(pr.state, OutboxState::Done, "{pr:?}");
    assert_eq!(
        pr.url.as_deref(),
        Some("https://github.com/acme/crm/pull/1")
    );
    assert_eq!(pr.checks.len(), 1);
    assert_eq!(pr.checks[0].conclusion, Some(CheckConclusion::Success));
    let pulls = fake.pulls_of("acme/crm");
    assert_eq!(pulls.len(), 1, "opened exactly once");
    let body = pulls[0]["body"].as_str().unwrap();
    assert!(
        body.contains("## Intent") && body.contains("All 4 checks passed"),
        "{body}"
    );
    assert_eq!(pulls[0]["head"]["label"], format!("acme:{}", intent.branch));
    assert_eq!(pulls[0]["base"]["ref"], "main");
    let intents = studio.intents().list_intents(&ws.id).await.unwrap();
    assert_eq!(intents[0].state, IntentState::PullRequest);
    // Asking again shows the same pull request.
    assert_eq!(
        studio
            .intents()
            .open_pull_request(&intent.id)
            .await
            .unwrap()
            .url,
        pr.url
    );

    // A person's review of the pull request: queued offline; delivered once back online even
    // when the connection drops after GitHub made it; a second review edits the one summary
    // comment instead of adding another; words are needed to request changes.
    use vibedata_protocol::inbox::ReviewEvent;
    fake.set_offline(true);
    let queued = studio
        .review()
        .post_review(
            &ws.id,
            intent.branch.clone(),
            ReviewEvent::RequestChanges,
            "Please add a freshness test.".into(),
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
    fake.set_offline(false);
    fake.fault(&[Fault::ResetAfterApply, Fault::ResetAfterApply]);
    studio.github().inbox_sync().await.unwrap();
    studio.github().inbox_sync().await.unwrap();
    studio.github().inbox_sync().await.unwrap();
    let reviews = fake.reviews_of("acme/crm");
    assert_eq!(
        reviews.len(),
        1,
        "the review is delivered once: {reviews:?}"
    );
    assert_eq!(reviews[0]["state"], "CHANGES_REQUESTED");
    let summaries = |fake: &FakeGitHub| -> Vec<String> {
        fake.comments_of("acme/crm")
            .iter()
            .filter_map(|c| c["body"].as_str().map(str::to_string))
            .filter(|b| b.contains("Vibedata review"))
            .collect()
    };
    assert_eq!(summaries(&fake).len(), 1, "one summary comment");
    studio
        .review()
        .post_review(
            &ws.id,
            intent.branch.clone(),
            ReviewEvent::Approve,
            String::new(),
        )
        .await
        .unwrap();
    studio.github().inbox_sync().await.unwrap();
    let reviews = fake.reviews_of("acme/crm");
    assert_eq!(reviews.len(), 2);
    assert_eq!(reviews[1]["state"], "APPROVED");
    assert_eq!(
        summaries(&fake).len(),
        1,
        "the summary is edited, not repeated"
    );
    let wordless = studio
        .review()
        .post_review(
            &ws.id,
            intent.branch.clone(),
            ReviewEvent::RequestChanges,
            "  ".into(),
        )
        .await
        .unwrap_err();
    assert!(
        wordless.to_string().contains("say what should change"),
        "{wordless}"
    );
    let audited = vibedata_core::governance::audit::records(
        &vibedata_core::platform::store::Store::open(&db).unwrap(),
        100,
    )
    .unwrap();
    assert_eq!(
        audited.iter().filter(|r| r.action == "review").count(),
        2,
        "each review is a person's audited act"
    );

    // A person merges it on GitHub: the intent is Merged the next time it is looked at.
    fake.merge_pull("acme/crm", 1);
    studio.intents().pull_request(&intent.id).await.unwrap();
    let intents = studio.intents().list_intents(&ws.id).await.unwrap();
    assert_eq!(intents[0].state, IntentState::Merged);

    // The token is in no file: not the clone's git config, not the data dir.
    for place in [clone.join(".git"), data_dir] {
        let found = vibedata_fakes::secrets::files_holding(&place, &[TOKEN]);
        assert!(found.is_empty(), "{found:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_push_with_a_refused_token_fails_once_with_a_clear_error() {
    let fake = FakeGitHub::start().await;
    let (_served, _bare) = serve_repo(&fake);
    let work = tempfile::tempdir().unwrap();
    let clone = work.path().join("crm");
    let url = format!("{}/git/acme/crm.git", fake.base_url());
    git(work.path(), &["clone", "-q", &url, clone.to_str().unwrap()]);
    git(&clone, &["checkout", "-q", "-b", "intent/x"]);
    let path = clone.clone();
    let err = tokio::task::spawn_blocking(move || {
        vibedata_core::workspaces::git::push_as(&path, "intent/x", Some("ghp_revoked"))
    })
    .await
    .unwrap()
    .unwrap_err();
    assert!(
        err.to_string().contains("refused the GitHub token"),
        "{err}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_private_repository_is_registered_by_url_with_the_token() {
    let fake = FakeGitHub::start().await;
    fake.accept_token(TOKEN);
    let (_served, _bare) = serve_repo(&fake);
    fake.private_git(true);
    let (_dir, paths) = fresh_paths();
    let studio = Studio::open(paths).await.unwrap();
    let request = AddWorkspaceDto {
        source: format!("{}/git/acme/crm.git", fake.base_url()),
        name: None,
        kind: WorkspaceKind::Domain,
        project_dir: None,
    };
    let refused = studio
        .workspaces()
        .add_workspace(request.clone(), |_| {})
        .await
        .unwrap_err();
    assert!(
        refused.to_string().contains("sign in to GitHub"),
        "{refused}"
    );
    studio
        .github()
        .use_token(&fake.base_url(), Sensitive::new(TOKEN.into()));
    let ws = studio
        .workspaces()
        .add_workspace(request, |_| {})
        .await
        .unwrap();
    assert_eq!(ws.name, "crm");
    assert!(std::path::Path::new(&ws.path).join("README.md").is_file());
    // Its issues come to the inbox without following it by hand.
    fake.add_issues("acme/crm", 2);
    let synced = studio.github().inbox_sync().await.unwrap();
    assert!(synced.errors.is_empty(), "{:?}", synced.errors);
    let inbox = studio.github().inbox(Default::default()).await.unwrap();
    assert_eq!(inbox.repos.len(), 1);
    assert_eq!(inbox.repos[0].repo, "acme/crm");
    assert_eq!(inbox.total, 2);
    let fetched = studio.workspaces().fetch_workspace(&ws.id).await.unwrap();
    assert!(
        fetched.fetch_problem.is_none(),
        "{:?}",
        fetched.fetch_problem
    );
    let found = vibedata_fakes::secrets::files_holding(std::path::Path::new(&ws.path), &[TOKEN]);
    assert!(found.is_empty(), "{found:?}");
}
