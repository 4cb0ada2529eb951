//! The alert engine, table-driven: grouping by lineage and workspace, inhibition (a failing
//! upstream suppresses what it breaks, with why), group_wait re-homing, duplicates and disorder,
//! silences and their expiry, resolution by a pass or by quiet, and what is notified.

use vibedata_monitor::alerts::{Matcher, Notification, Silence, Timing, group};
use vibedata_monitor::lineage::Lineage;
use vibedata_monitor::signal::{Severity, Signal};
use vibedata_monitor::time::{HOUR, MINUTE, SECOND};

/// raw → stg → int → mart → board; raw → stg2 → mart2; tests on stg, mart (two), mart2.
fn lineage() -> Lineage {
    Lineage::from_edges(
        [
            ("stg", "raw"),
            ("int", "stg"),
            ("mart", "int"),
            ("board", "mart"),
            ("stg2", "raw"),
            ("mart2", "stg2"),
            ("t_stg", "stg"),
            ("t_mart_a", "mart"),
            ("t_mart_b", "mart"),
            ("t_mart2", "mart2"),
        ],
        [
            ("t_stg", "stg"),
            ("t_mart_a", "mart"),
            ("t_mart_b", "mart"),
            ("t_mart2", "mart2"),
        ],
    )
}

const T0: i64 = 1_796_025_600_000;

/// (id, seconds after T0, node, severity, workspace)
type Ev = (&'static str, i64, &'static str, Severity, &'static str);

fn signals(events: &[Ev]) -> Vec<Signal> {
    events
        .iter()
        .map(|(id, s, node, severity, ws)| Signal {
            id: (*id).into(),
            at: T0 + s * SECOND,
            kind: if node.starts_with("t_") {
                "test_failure".into()
            } else {
                "model_error".into()
            },
            node: (*node).into(),
            column: None,
            workspace: Some((*ws).into()),
            severity: *severity,
            message: String::new(),
            correlation_id: None,
            failures: None,
        })
        .collect()
}

use Severity::{Error as E, Ok as P};

#[test]
fn incidents_follow_lineage_and_workspaces() {
    // (case, events, incidents as (root, events, suppressed) in opening order)
    type Want = &'static [(
        &'static str,
        &'static [&'static str],
        &'static [&'static str],
    )];
    let cases: &[(&str, &[Ev], Want)] = &[
        (
            "a failing upstream suppresses what it breaks downstream",
            &[
                ("1", 0, "stg", E, "w"),
                ("2", 10, "t_mart_a", E, "w"),
                ("3", 20, "int", E, "w"),
            ],
            &[("stg", &["1", "2", "3"], &["2", "3"])],
        ),
        (
            "downstream first, its upstream within group_wait: one incident",
            &[("1", 0, "t_mart_a", E, "w"), ("2", 10, "stg", E, "w")],
            &[("stg", &["1", "2"], &["1"])],
        ),
        (
            "downstream announced before its upstream failed: two incidents",
            &[("1", 0, "t_mart_a", E, "w"), ("2", 300, "stg", E, "w")],
            &[("mart", &["1"], &[]), ("stg", &["2"], &[])],
        ),
        (
            "siblings without a failing upstream in common: apart",
            &[("1", 0, "t_stg", E, "w"), ("2", 1, "t_mart2", E, "w")],
            &[("stg", &["1"], &[]), ("mart2", &["2"], &[])],
        ),
        (
            "a failing common upstream takes both siblings in",
            &[
                ("1", 0, "t_stg", E, "w"),
                ("2", 1, "t_mart2", E, "w"),
                ("3", 2, "raw", E, "w"),
            ],
            &[("raw", &["1", "2", "3"], &["1", "2"])],
        ),
        (
            "several tests of one model: one incident, nothing suppressed",
            &[
                ("1", 0, "t_mart_a", E, "w"),
                ("2", 0, "t_mart_b", E, "w"),
                ("3", 5, "mart", E, "w"),
            ],
            &[("mart", &["1", "2", "3"], &[])],
        ),
        (
            "the same node in two workspaces: two incidents",
            &[("1", 0, "stg", E, "a"), ("2", 0, "t_mart_a", E, "b")],
            &[("stg", &["1"], &[]), ("mart", &["2"], &[])],
        ),
        (
            "sent twice and out of order: counted once, in time order",
            &[
                ("2", 20, "int", E, "w"),
                ("1", 0, "stg", E, "w"),
                ("2", 20, "int", E, "w"),
            ],
            &[("stg", &["1", "2"], &["2"])],
        ),
        (
            "a pass ends an episode: the next failure is a new incident",
            &[
                ("1", 0, "t_stg", E, "w"),
                ("2", 60, "t_stg", P, "w"),
                ("3", 7200, "t_stg", E, "w"),
            ],
            &[("stg", &["1"], &[]), ("stg", &["3"], &[])],
        ),
    ];
    for (case, events, want) in cases {
        let g = group(signals(events), lineage(), Timing::default(), Vec::new());
        let got: Vec<(&str, Vec<&str>, Vec<&str>)> = g
            .incidents
            .iter()
            .map(|i| {
                (
                    i.root.as_str(),
                    i.events.iter().map(String::as_str).collect(),
                    i.suppressed.iter().map(String::as_str).collect(),
                )
            })
            .collect();
        let want: Vec<(&str, Vec<&str>, Vec<&str>)> = want
            .iter()
            .map(|(r, e, s)| (*r, e.to_vec(), s.to_vec()))
            .collect();
        assert_eq!(got, want, "{case}");
        for i in &g.incidents {
            for reason in &i.suppressed_because {
                assert!(
                    reason["because"]
                        .as_str()
                        .unwrap()
                        .contains("failing upstream"),
                    "{case}"
                );
            }
        }
    }
}

#[test]
fn notifications_are_timed_like_alertmanager_and_said_once() {
    let t = Timing::default();
    // A storm: the source fails, then 40 tests downstream over two minutes, then news 10 min later.
    let mut events: Vec<Ev> = vec![("src", 0, "stg", E, "w")];
    let ids: Vec<String> = (0..40).map(|i| format!("t{i}")).collect();
    for (i, id) in ids.iter().enumerate() {
        let node = if i % 2 == 0 { "t_mart_a" } else { "t_mart_b" };
        events.push((
            Box::leak(id.clone().into_boxed_str()),
            3 * i as i64,
            node,
            E,
            "w",
        ));
    }
    events.push(("late", 600, "int", E, "w"));
    let g = group(signals(&events), lineage(), t, Vec::new());
    assert_eq!(g.incidents.len(), 1);
    let kinds: Vec<&str> = g
        .notifications
        .iter()
        .map(|n| match n {
            Notification::Open { .. } => "open",
            Notification::Update { .. } => "update",
            Notification::Repeat { .. } => "repeat",
            Notification::Resolve { .. } => "resolve",
        })
        .collect();
    // Opened after group_wait; the suppressed news is not news; nothing resolves while failing.
    assert_eq!(kinds, ["open"], "{:?}", g.notifications);
    let Notification::Open { at, .. } = &g.notifications[0] else {
        panic!()
    };
    assert_eq!(*at, T0 + t.group_wait);

    // Fails, then quiet: resolved once after resolve_after; a pass resolves at once.
    let quiet = group(
        signals(&[("1", 0, "t_stg", E, "w")]),
        lineage(),
        t,
        Vec::new(),
    );
    let resolved_at: Vec<i64> = quiet
        .notifications
        .iter()
        .filter_map(|n| match n {
            Notification::Resolve { at, .. } => Some(*at),
            _ => None,
        })
        .collect();
    assert!(
        resolved_at.is_empty(),
        "still failing when the file ends: {:?}",
        quiet.notifications
    );
    let mut e = vibedata_monitor::alerts::Engine::new(lineage(), t, Vec::new());
    e.ingest(&signals(&[("1", 0, "t_stg", E, "w")])[0]);
    let mut said = e.advance(T0 + 40 * HOUR);
    said.retain(|n| matches!(n, Notification::Resolve { .. }));
    assert_eq!(said.len(), 1, "quiet for resolve_after resolves");
    let passed = group(
        signals(&[("1", 0, "t_stg", E, "w"), ("2", 90, "t_stg", P, "w")]),
        lineage(),
        t,
        Vec::new(),
    );
    assert!(matches!(
        passed.notifications.last(),
        Some(Notification::Resolve { .. })
    ));
    assert_eq!(passed.incidents[0].resolved_by, ["2"]);

    // A repeat when still failing after repeat_interval, news as updates at most per interval.
    let mut long: Vec<Ev> = vec![("a", 0, "t_stg", E, "w")];
    let ids: Vec<String> = (0..30).map(|i| format!("r{i}")).collect();
    for (i, id) in ids.iter().enumerate() {
        long.push((
            Box::leak(id.clone().into_boxed_str()),
            600 * (i as i64 + 1),
            "t_stg",
            E,
            "w",
        ));
    }
    let g = group(signals(&long), lineage(), t, Vec::new());
    let opens = g
        .notifications
        .iter()
        .filter(|n| matches!(n, Notification::Open { .. }))
        .count();
    let updates = g
        .notifications
        .iter()
        .filter(|n| matches!(n, Notification::Update { .. }))
        .count();
    assert_eq!(opens, 1);
    assert!(
        (20..=30).contains(&updates),
        "one update per interval with news: {updates}"
    );
    let _ = MINUTE;
}

#[test]
fn silences_keep_signals_out_of_notifications_until_they_expire() {
    let silence = Silence {
        id: "s1".into(),
        matchers: vec![
            Matcher {
                field: "node".into(),
                value: "t_mart*".into(),
            },
            Matcher {
                field: "workspace".into(),
                value: "w".into(),
            },
        ],
        starts: T0,
        ends: T0 + HOUR,
        created_by: "grace".into(),
        comment: "known: the vendor reloads tonight".into(),
    };
    let g = group(
        signals(&[("1", 0, "t_mart_a", E, "w"), ("2", 30, "t_mart_b", E, "w")]),
        lineage(),
        Timing::default(),
        vec![silence.clone()],
    );
    assert_eq!(g.incidents[0].silenced, ["1", "2"]);
    assert!(
        g.notifications.is_empty(),
        "only silenced: not announced {:?}",
        g.notifications
    );
    // After its end, the same failure is announced.
    let later = group(
        signals(&[
            ("1", 0, "t_mart_a", E, "w"),
            ("3", 2 * 3600, "t_mart_a", E, "w"),
        ]),
        lineage(),
        Timing {
            resolve_after: 30 * MINUTE,
            ..Timing::default()
        },
        vec![silence],
    );
    assert_eq!(later.incidents.len(), 2);
    assert!(later.incidents[1].silenced.is_empty());
    assert!(
        later
            .notifications
            .iter()
            .any(|n| matches!(n, Notification::Open { .. }))
    );
}

/// Found in review: a model's warning or contract violation is cleared by its pass; a check left
/// failing that does not run again ends with the quiet after a pass of another; a downstream
/// failure outliving its recovered upstream is news of its own, not suppressed for ever.
#[test]
fn passes_clear_what_they_should_and_a_recovered_upstream_explains_nothing_more() {
    let sig = |id: &str, s: i64, node: &str, kind: &str, severity: Severity| Signal {
        id: id.into(),
        at: T0 + s * SECOND,
        kind: kind.into(),
        node: node.into(),
        column: None,
        workspace: Some("w".into()),
        severity,
        message: String::new(),
        correlation_id: None,
        failures: None,
    };
    let t = Timing::default();
    // A contract violation, then the model's pass: resolved at once.
    let g = group(
        vec![
            sig("1", 0, "mart", "contract_violation", E),
            sig("2", 60, "mart", "model_error", P),
        ],
        lineage(),
        t,
        Vec::new(),
    );
    assert!(
        matches!(g.notifications.last(), Some(Notification::Resolve { .. })),
        "{:?}",
        g.notifications
    );

    // The model passes, its failing test does not run again: over after the quiet.
    let mut e = vibedata_monitor::alerts::Engine::new(lineage(), t, Vec::new());
    e.ingest(&sig("1", 0, "mart", "model_error", E));
    e.ingest(&sig("2", 0, "t_mart_a", "test_failure", E));
    e.ingest(&sig("3", 3_600, "mart", "model_error", P));
    let said = e.advance(T0 + 3_600 * SECOND + t.resolve_after + SECOND);
    assert!(
        said.iter()
            .any(|n| matches!(n, Notification::Resolve { .. })),
        "{said:?}"
    );

    // Upstream and downstream fail; the upstream recovers; the downstream keeps failing.
    let mut e = vibedata_monitor::alerts::Engine::new(lineage(), t, Vec::new());
    let mut said = Vec::new();
    for s in [
        sig("u1", 0, "stg", "model_error", E),
        sig("d1", 10, "mart", "model_error", E),
        sig("u2", 600, "stg", "model_error", P),
        sig("d2", 700, "mart", "model_error", E),
    ] {
        said.extend(e.advance(s.at));
        e.ingest(&s);
    }
    said.extend(e.advance(T0 + 1_000 * SECOND));
    let i = e.incidents()[0];
    assert_eq!(
        i.suppressed.len(),
        1,
        "explained while stg failed, not after: {i:?}"
    );
    assert_eq!(i.suppressed[0].0, "d1");
    assert_eq!(
        said.iter()
            .filter(|n| matches!(n, Notification::Update { .. }))
            .count(),
        1,
        "the downstream's own failure is news: {said:?}"
    );
}
