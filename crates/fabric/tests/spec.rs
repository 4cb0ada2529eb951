//! Spec conformance: every request body the client sends and every answer it reads from the fake
//! Fabric validate against the official API's schemas (`tests/spec/`, from
//! microsoft/fabric-rest-api-specs): listings (`Workspaces`, `Items`), a created `Workspace`, an
//! operation's `OperationState` and result (`Item`), errors (`ErrorResponse`), and the create
//! requests (`CreateWorkspaceRequest`, `CreateItemRequest`); and the ephemeral workspace's flows:
//! capacities and the assignment, the git integration (`gitIntegration` definitions: connect,
//! initialize, status, update from git) and item jobs (run, instance, instances).

// Integration tests: helpers outside #[test] functions are not covered by allow-unwrap-in-tests.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use serde_json::{Value, json};
use vibedata_fabric::Client;
use vibedata_fakes::fabric::FakeFabric;
use vibedata_secrets::Sensitive;

const PLATFORM: &str = include_str!("spec/platform.json");
const COMMON: &str = include_str!("spec/common.json");
const GIT: &str = include_str!("spec/git.json");

/// One schema document with both files' definitions (`common_` before the common ones), their
/// references rewritten to it; references to files not copied accept anything.
fn definitions() -> Value {
    let fix = |text: &str, own_prefix: &str| {
        let mut t = text.replace(
            "\"../../common/definitions.json#/definitions/",
            "\"#/definitions/common_",
        );
        for other in [
            "../../common/job_scheduling.json#",
            "../variableLibrary/definitions.json#",
        ] {
            while let Some(i) = t.find(other) {
                let end = t[i..].find('"').map_or(t.len(), |e| i + e);
                t.replace_range(i..end, "#/definitions/__any");
            }
        }
        if !own_prefix.is_empty() {
            t = t.replace("\"#/definitions/", &format!("\"#/definitions/{own_prefix}"));
            // What was already rewritten to common_ must not be prefixed twice.
            t = t.replace(
                &format!("#/definitions/{own_prefix}common_"),
                "#/definitions/common_",
            );
            t = t.replace(
                &format!("#/definitions/{own_prefix}__any"),
                "#/definitions/__any",
            );
        }
        serde_json::from_str::<Value>(&t).unwrap()
    };
    let platform = fix(PLATFORM, "");
    let common = fix(COMMON, "common_");
    let git = fix(GIT, "git_");
    let mut defs = serde_json::Map::new();
    defs.insert("__any".into(), json!({}));
    for (k, v) in platform["definitions"].as_object().unwrap() {
        defs.insert(k.clone(), v.clone());
    }
    for (k, v) in common["definitions"].as_object().unwrap() {
        defs.insert(format!("common_{k}"), v.clone());
    }
    for (k, v) in git["definitions"].as_object().unwrap() {
        defs.insert(format!("git_{k}"), v.clone());
    }
    Value::Object(defs)
}

fn errors(defs: &Value, name: &str, instance: &Value) -> Vec<String> {
    let schema = json!({"$schema": "http://json-schema.org/draft-04/schema#",
        "$ref": format!("#/definitions/{name}"), "definitions": defs});
    let validator = jsonschema::draft4::new(&schema).unwrap();
    validator
        .iter_errors(instance)
        .map(|e| e.to_string())
        .collect()
}

fn check(defs: &Value, name: &str, instance: &Value) {
    let errors = errors(defs, name, instance);
    assert!(errors.is_empty(), "{name}: {errors:?}\n{instance:#}");
}

/// The id of the first (or the last) long-running operation the fake was polled about.
fn operation(fake: &FakeFabric, last: bool) -> String {
    let ids: Vec<String> = fake
        .requests()
        .iter()
        .filter_map(|r| {
            r.path
                .split("/operations/")
                .nth(1)
                .map(|s| s.split('/').next().unwrap().to_string())
        })
        .collect();
    if last { ids.last() } else { ids.first() }.unwrap().clone()
}

async fn raw(fake: &FakeFabric, method: &str, path: &str, body: Option<Value>) -> (u16, Value) {
    let http = reqwest::Client::new();
    let url = format!("{}{path}", fake.base_url());
    let mut r = http
        .request(method.parse().unwrap(), url)
        .bearer_auth("eyJ0eXAi.fabric.token");
    if let Some(b) = body {
        r = r.json(&b);
    }
    let r = r.send().await.unwrap();
    let status = r.status().as_u16();
    let text = r.text().await.unwrap();
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

#[tokio::test]
async fn what_the_client_sends_and_reads_is_what_the_spec_describes() {
    let defs = definitions();
    // The check can fail: a workspace without its id, a status the spec does not have.
    assert!(
        !errors(
            &defs,
            "Workspace",
            &json!({"displayName": "x", "description": ""})
        )
        .is_empty()
    );
    assert!(
        !errors(
            &defs,
            "OperationState",
            &json!({"status": "Done", "createdTimeUtc": "x", "lastUpdatedTimeUtc": "x"})
        )
        .is_empty()
    );
    let fake = FakeFabric::start().await;
    fake.add_workspaces(5);
    fake.page_size(2);
    let c = Client::new(
        &fake.base_url(),
        Sensitive::new("eyJ0eXAi.fabric.token".into()),
    )
    .unwrap();

    // The client's flows, recorded by the fake.
    c.workspaces().await.unwrap();
    let ws = c
        .create_workspace(
            "intent-silver",
            Some("00000000-0000-4000-8000-00000000c4c4"),
        )
        .await
        .unwrap();
    fake.operations(1, false);
    c.create_item(&ws.id, "bronze", "Lakehouse").await.unwrap();
    for r in fake.requests() {
        match (r.method.as_str(), r.path.trim_start_matches("/v1")) {
            ("POST", "/workspaces") => check(&defs, "CreateWorkspaceRequest", &r.json()),
            ("POST", p) if p.ends_with("/items") => check(&defs, "CreateItemRequest", &r.json()),
            ("GET", _) => assert!(r.body.is_empty()),
            other => panic!("a request the spec check does not know: {other:?}"),
        }
    }

    // The answers the client reads.
    let (_, page) = raw(&fake, "GET", "/workspaces", None).await;
    check(&defs, "Workspaces", &page);
    assert!(
        page["continuationUri"].is_string(),
        "a first page says where the next one is"
    );
    let (status, created) = raw(
        &fake,
        "POST",
        "/workspaces",
        Some(json!({"displayName": "x"})),
    )
    .await;
    assert_eq!(status, 201);
    check(&defs, "Workspace", &created);
    let (_, items) = raw(&fake, "GET", &format!("/workspaces/{}/items", ws.id), None).await;
    check(&defs, "Items", &items);
    let op = operation(&fake, false);
    let (_, state) = raw(&fake, "GET", &format!("/operations/{op}"), None).await;
    check(&defs, "OperationState", &state);
    let (_, result) = raw(&fake, "GET", &format!("/operations/{op}/result"), None).await;
    check(&defs, "common_Item", &result);
    let (status, error) = raw(&fake, "GET", "/workspaces/nope", None).await;
    assert_eq!(status, 404);
    check(&defs, "common_ErrorResponse", &error);
    fake.operations(0, true);
    c.create_item(&ws.id, "again", "Lakehouse")
        .await
        .unwrap_err();
    let failed_op = operation(&fake, true);
    let (_, failed) = raw(&fake, "GET", &format!("/operations/{failed_op}"), None).await;
    check(&defs, "OperationState", &failed);
}

#[tokio::test]
async fn the_ephemeral_flows_send_and_read_what_the_spec_describes() {
    let defs = definitions();
    // The git definitions are there and can refuse: an update without its remote commit.
    assert!(
        !errors(
            &defs,
            "git_UpdateFromGitRequest",
            &json!({"workspaceHead": "x"})
        )
        .is_empty()
    );
    let fake = FakeFabric::start().await;
    fake.page_size(1);
    let c = Client::new(
        &fake.base_url(),
        Sensitive::new("eyJ0eXAi.fabric.token".into()),
    )
    .unwrap();
    let ws = c.create_workspace("vd-demo-intent-x", None).await.unwrap();
    c.capacities().await.unwrap();
    c.assign_capacity(&ws.id, &fake.capacity_id())
        .await
        .unwrap();
    let to = vibedata_fabric::git::GitTarget {
        owner: "contoso".into(),
        repository: "demo-crm".into(),
        branch: "intent/x".into(),
        directory: "/".into(),
        connection_id: vibedata_fakes::fabric::CONNECTION.into(),
    };
    c.git_connect(&ws.id, &to).await.unwrap();
    c.git_initialize(&ws.id).await.unwrap();
    // A stale head first: the sync reads the status again and succeeds.
    c.git_update(&ws.id, Some("0000"), "1111")
        .await
        .unwrap_err();
    c.sync_from_git(&ws.id).await.unwrap();
    let item = c
        .items(&ws.id)
        .await
        .unwrap()
        .into_iter()
        .find(|i| i.kind == "DataBuildToolJob")
        .unwrap();
    // The branch reads production's data through a OneLake shortcut.
    let lakehouse = c
        .items(&ws.id)
        .await
        .unwrap()
        .into_iter()
        .find(|i| i.kind == "Lakehouse")
        .unwrap();
    let prod = fake.add_workspace_with("prod", &[("bronze", "Lakehouse")]);
    let prod_lakehouse = fake.items_of(&prod)[0]["id"].as_str().unwrap().to_string();
    c.shortcut_to(
        &ws.id,
        &lakehouse.id,
        "Tables",
        "bronze",
        (&prod, &prod_lakehouse, "Tables/bronze"),
    )
    .await
    .unwrap();
    let made = fake.shortcuts_of(&ws.id, &lakehouse.id);
    let job = c.run_job(&ws.id, &item.id, "execute").await.unwrap();
    c.job_instances(&ws.id, &item.id).await.unwrap();
    c.follow_job(
        &ws.id,
        &item.id,
        &job,
        std::time::Duration::from_secs(30),
        &mut |_| {},
    )
    .await
    .unwrap();
    c.delete_workspace(&ws.id).await.unwrap();

    for r in fake.requests() {
        let path = r
            .path
            .trim_start_matches("/v1")
            .split('?')
            .next()
            .unwrap()
            .to_string();
        match (r.method.as_str(), path.rsplit('/').next().unwrap()) {
            ("POST", "workspaces") => check(&defs, "CreateWorkspaceRequest", &r.json()),
            ("POST", "assignToCapacity") => {
                check(&defs, "AssignWorkspaceToCapacityRequest", &r.json())
            }
            ("POST", "connect") => check(&defs, "git_GitConnectRequest", &r.json()),
            ("POST", "initializeConnection") => {
                check(&defs, "git_InitializeGitConnectionRequest", &r.json())
            }
            ("POST", "updateFromGit") => check(&defs, "git_UpdateFromGitRequest", &r.json()),
            ("POST", "instances") => check(&defs, "RunOnDemandItemJobRequest", &r.json()),
            ("POST", "shortcuts") => check(&defs, "CreateShortcutRequest", &r.json()),
            ("GET" | "DELETE", _) => assert!(r.body.is_empty(), "{} {}", r.method, r.path),
            other => panic!("a request the spec check does not know: {other:?}"),
        }
    }

    // The answers the client reads.
    let ws = c.create_workspace("vd-demo-intent-y", None).await.unwrap();
    c.git_connect(
        &ws.id,
        &vibedata_fabric::git::GitTarget {
            branch: "intent/y".into(),
            ..to
        },
    )
    .await
    .unwrap();
    check(&defs, "Shortcut", &made[0]);
    let (_, caps) = raw(&fake, "GET", "/capacities", None).await;
    check(&defs, "Capacities", &caps);
    let (_, conn) = raw(
        &fake,
        "GET",
        &format!("/workspaces/{}/git/connection", ws.id),
        None,
    )
    .await;
    check(&defs, "git_GitConnection", &conn);
    c.git_initialize(&ws.id).await.unwrap();
    let op = operation(&fake, true);
    let (_, init) = raw(&fake, "GET", &format!("/operations/{op}/result"), None).await;
    check(&defs, "git_InitializeGitConnectionResponse", &init);
    let (_, status) = raw(
        &fake,
        "GET",
        &format!("/workspaces/{}/git/status", ws.id),
        None,
    )
    .await;
    check(&defs, "git_GitStatusResponse", &status);
    assert!(
        !status["changes"].as_array().unwrap().is_empty(),
        "changes to bring in"
    );
    c.sync_from_git(&ws.id).await.unwrap();
    let item = c
        .items(&ws.id)
        .await
        .unwrap()
        .into_iter()
        .find(|i| i.kind == "DataBuildToolJob")
        .unwrap();
    fake.jobs(0, Some("Compilation Error in model x"));
    let job = c.run_job(&ws.id, &item.id, "execute").await.unwrap();
    let (_, instance) = raw(
        &fake,
        "GET",
        &format!(
            "/workspaces/{}/items/{}/jobs/instances/{job}",
            ws.id, item.id
        ),
        None,
    )
    .await;
    check(&defs, "ItemJobInstance", &instance);
    assert_eq!(instance["status"], "Failed");
    let (_, instances) = raw(
        &fake,
        "GET",
        &format!("/workspaces/{}/items/{}/jobs/instances", ws.id, item.id),
        None,
    )
    .await;
    check(&defs, "ItemJobInstances", &instances);
}
