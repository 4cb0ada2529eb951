//! The alert engine: signals in, incidents and their notifications out.
//!
//! - An **episode** is a subject (a node, or the node a test checks) failing: it begins with its
//!   first failing signal and ends when every check that failed on it passes again, or after
//!   `resolve_after` without news. Its checks are fingerprints (kind, node, column).
//! - An **incident** groups episodes by workspace and lineage: an episode whose subject has a
//!   failing upstream (an episode of an ancestor that began before it, or within `group_wait`
//!   after) joins that upstream's incident and its signals are **suppressed** — listed, with the
//!   upstream that explains them, never notified on their own. An upstream that starts failing
//!   while a downstream incident still waits its `group_wait` takes that incident in.
//! - **Notifications** as Alertmanager times them: an incident is announced `group_wait` after it
//!   opened (so what arrives together is said together), news is sent at most every
//!   `group_interval`, a still-failing incident is recalled every `repeat_interval`, and its
//!   resolution is said once. Each is one write to GitHub (open the issue, comment, close it).
//! - **Silences** (matchers and a time range) keep matching signals in the incident but out of
//!   notifications; an incident with only silenced signals is not announced.
//!
//! [`Engine::ingest`] takes one signal, [`Engine::advance`] moves the clock and returns what is
//! due; [`group`] runs a whole file of signals in time order.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap, HashSet};

use serde::{Deserialize, Serialize};

use crate::lineage::Lineage;
use crate::signal::{Severity, Signal};
use crate::time::{self, HOUR, MINUTE, Millis, SECOND};

/// When notifications go out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Timing {
    pub group_wait: Millis,
    pub group_interval: Millis,
    pub repeat_interval: Millis,
    pub resolve_after: Millis,
}

impl Default for Timing {
    fn default() -> Self {
        Timing {
            group_wait: 30 * SECOND,
            group_interval: 5 * MINUTE,
            repeat_interval: 4 * HOUR,
            // Longer than a daily schedule: a check that only reports when it runs is not
            // resolved by a quiet night (a pass resolves at once).
            resolve_after: 36 * HOUR,
        }
    }
}

/// One condition of a silence: a signal's field (`node`, `kind`, `column`, `workspace`,
/// `severity`) equal to a value, where `*` matches any run of characters.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Matcher {
    pub field: String,
    pub value: String,
}

/// A person's silence: every matcher must match, between `starts` and `ends`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Silence {
    pub id: String,
    pub matchers: Vec<Matcher>,
    pub starts: Millis,
    pub ends: Millis,
    pub created_by: String,
    pub comment: String,
}

fn glob(pattern: &str, text: &str) -> bool {
    let parts: Vec<&str> = pattern.split('*').collect();
    if parts.len() == 1 {
        return pattern == text;
    }
    let mut rest = text;
    for (i, part) in parts.iter().enumerate() {
        if i == 0 {
            let Some(r) = rest.strip_prefix(part) else {
                return false;
            };
            rest = r;
        } else if i == parts.len() - 1 {
            return rest.ends_with(part);
        } else if let Some(p) = rest.find(part) {
            rest = &rest[p + part.len()..];
        } else {
            return false;
        }
    }
    true
}

impl Silence {
    pub fn matches(&self, s: &Signal) -> bool {
        if s.at < self.starts || s.at >= self.ends {
            return false;
        }
        self.matchers.iter().all(|m| {
            let value = match m.field.as_str() {
                "node" => Some(s.node.as_str()),
                "kind" => Some(s.kind.as_str()),
                "column" => s.column.as_deref(),
                "workspace" => s.workspace.as_deref(),
                "severity" => Some(s.severity.as_str()),
                _ => None,
            };
            value.is_some_and(|v| glob(&m.value, v))
        })
    }
}

/// Where an incident stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IncidentState {
    /// Opened, waiting its `group_wait`.
    Pending,
    Firing,
    Resolved,
}

/// An incident.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Incident {
    pub id: String,
    pub workspace: Option<String>,
    /// The subject it is about (the most upstream failing one).
    pub root: String,
    pub subjects: Vec<String>,
    pub opened_at: Millis,
    pub last_at: Millis,
    pub severity: Severity,
    pub state: IncidentState,
    /// Every failing signal, suppressed and silenced ones included.
    pub events: Vec<String>,
    /// Signals explained by a failing upstream: (signal, the upstream subject).
    pub suppressed: Vec<(String, String)>,
    pub silenced: Vec<String>,
    /// Signals that said a check passed again.
    pub resolved_by: Vec<String>,
    pub kinds: Vec<String>,
    #[serde(skip)]
    notified_at: Option<Millis>,
    #[serde(skip)]
    news: bool,
    #[serde(skip)]
    merged_into: Option<usize>,
}

/// What is due to be said.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Notification {
    Open { incident: String, at: Millis },
    Update { incident: String, at: Millis },
    Repeat { incident: String, at: Millis },
    Resolve { incident: String, at: Millis },
}

struct Episode {
    workspace: Option<String>,
    subject: String,
    subject_id: Option<u32>,
    start: Millis,
    last: Millis,
    incident: usize,
    failing: HashSet<String>,
    /// The upstream subject that explains it.
    inhibited_by: Option<String>,
    ended: bool,
}

#[derive(PartialEq, Eq, PartialOrd, Ord)]
enum Due {
    Announce(usize),
    Quiet(usize),
}

/// The engine's state.
pub struct Engine {
    lineage: Lineage,
    timing: Timing,
    silences: Vec<Silence>,
    seen: HashSet<String>,
    episodes: Vec<Episode>,
    /// The open episode of a (workspace, subject).
    open: HashMap<(Option<String>, String), usize>,
    incidents: Vec<Incident>,
    timers: BinaryHeap<Reverse<(Millis, Due)>>,
    now: Millis,
    /// Signals counted once though sent again.
    pub duplicates: u64,
}

impl Engine {
    pub fn new(lineage: Lineage, timing: Timing, silences: Vec<Silence>) -> Engine {
        Engine {
            lineage,
            timing,
            silences,
            seen: HashSet::new(),
            episodes: Vec::new(),
            open: HashMap::new(),
            incidents: Vec::new(),
            timers: BinaryHeap::new(),
            now: Millis::MIN,
            duplicates: 0,
        }
    }

    /// The incident an index ends up in (after merges).
    fn live(&self, mut i: usize) -> usize {
        while let Some(j) = self.incidents[i].merged_into {
            i = j;
        }
        i
    }

    /// Takes one signal (a signal seen before, by id, is counted once).
    pub fn ingest(&mut self, s: &Signal) {
        if !self.seen.insert(s.id.clone()) {
            self.duplicates += 1;
            return;
        }
        let subject = self.lineage.subject_of(&s.node).to_string();
        let key = (s.workspace.clone(), subject.clone());
        let fingerprint = s.fingerprint();
        if s.severity == Severity::Ok {
            if let Some(&e) = self.open.get(&key) {
                let ep = &mut self.episodes[e];
                ep.failing.remove(&fingerprint);
                ep.last = ep.last.max(s.at);
                let (inc, quiet_at) = (ep.incident, ep.last + self.timing.resolve_after);
                let inc = self.live(inc);
                self.incidents[inc].resolved_by.push(s.id.clone());
                if self.episodes[e].failing.is_empty() {
                    self.end_episode(e);
                } else {
                    // A check still failing that does not run again is over after the quiet.
                    self.timers.push(Reverse((quiet_at, Due::Quiet(e))));
                }
            }
            return;
        }
        let silenced = self.silences.iter().any(|x| x.matches(s));
        let e = match self.open.get(&key) {
            Some(&e) => e,
            None => self.begin_episode(key, subject, s.at),
        };
        // An upstream that explained this episode and has recovered explains it no more: its
        // signals from now on are its own news.
        if let Some(up) = self.episodes[e].inhibited_by.clone()
            && !self
                .open
                .contains_key(&(self.episodes[e].workspace.clone(), up))
        {
            self.episodes[e].inhibited_by = None;
        }
        let ep = &mut self.episodes[e];
        ep.failing.insert(fingerprint);
        ep.last = ep.last.max(s.at);
        ep.start = ep.start.min(s.at);
        let quiet_at = ep.last + self.timing.resolve_after;
        let inhibited_by = ep.inhibited_by.clone();
        let inc = ep.incident;
        let inc = self.live(inc);
        self.timers.push(Reverse((quiet_at, Due::Quiet(e))));
        let incident = &mut self.incidents[inc];
        incident.events.push(s.id.clone());
        incident.last_at = incident.last_at.max(s.at);
        if !incident.kinds.contains(&s.kind) {
            incident.kinds.push(s.kind.clone());
        }
        if let Some(up) = inhibited_by {
            incident.suppressed.push((s.id.clone(), up));
        } else if silenced {
            incident.silenced.push(s.id.clone());
        } else {
            incident.severity = incident.severity.max(s.severity);
            incident.news = true;
        }
    }

    fn begin_episode(
        &mut self,
        key: (Option<String>, String),
        subject: String,
        at: Millis,
    ) -> usize {
        let subject_id = self.lineage.id(&subject);
        let e = self.episodes.len();
        // A failing upstream in the same workspace explains this one.
        let mut upstream: Option<usize> = None;
        if let Some(id) = subject_id {
            let ancestors = self.lineage.ancestors(id).to_vec();
            for a in ancestors {
                let k = (key.0.clone(), self.lineage.name(a).to_string());
                if let Some(&u) = self.open.get(&k)
                    && self.episodes[u].start <= at + self.timing.group_wait
                    && upstream.is_none_or(|b| self.episodes[u].start < self.episodes[b].start)
                {
                    upstream = Some(u);
                }
            }
        }
        let (incident, inhibited_by) = match upstream {
            Some(u) => (
                self.live(self.episodes[u].incident),
                Some(self.episodes[u].subject.clone()),
            ),
            None => {
                let i = self.incidents.len();
                self.incidents.push(Incident {
                    id: format!("{}@{}", subject, time::format(at)),
                    workspace: key.0.clone(),
                    root: subject.clone(),
                    subjects: Vec::new(),
                    opened_at: at,
                    last_at: at,
                    severity: Severity::Info,
                    state: IncidentState::Pending,
                    events: Vec::new(),
                    suppressed: Vec::new(),
                    silenced: Vec::new(),
                    resolved_by: Vec::new(),
                    kinds: Vec::new(),
                    notified_at: None,
                    news: false,
                    merged_into: None,
                });
                self.timers
                    .push(Reverse((at + self.timing.group_wait, Due::Announce(i))));
                (i, None)
            }
        };
        self.incidents[incident].subjects.push(subject.clone());
        self.episodes.push(Episode {
            workspace: key.0.clone(),
            subject: subject.clone(),
            subject_id,
            start: at,
            last: at,
            incident,
            failing: HashSet::new(),
            inhibited_by: inhibited_by.clone(),
            ended: false,
        });
        self.open.insert(key, e);
        if inhibited_by.is_none() && subject_id.is_some() {
            self.take_in_downstream(e);
        }
        e
    }

    /// A new upstream takes in downstream incidents that have not been announced yet.
    fn take_in_downstream(&mut self, e: usize) {
        let (Some(up_id), ws) = (
            self.episodes[e].subject_id,
            self.episodes[e].workspace.clone(),
        ) else {
            return;
        };
        let target = self.live(self.episodes[e].incident);
        let mut candidates: Vec<usize> = self
            .open
            .iter()
            .filter(|((w, _), d)| *w == ws && **d != e)
            .map(|(_, &d)| d)
            .collect();
        candidates.sort_unstable();
        for d in candidates {
            let Some(down_id) = self.episodes[d].subject_id else {
                continue;
            };
            let inc = self.live(self.episodes[d].incident);
            if inc == target
                || self.incidents[inc].state != IncidentState::Pending
                || self.incidents[inc].root != self.episodes[d].subject
                || !self.lineage.is_upstream(up_id, down_id)
            {
                continue;
            }
            // The downstream incident becomes part of this one, its signals suppressed.
            let up = self.episodes[e].subject.clone();
            let moved = std::mem::take(&mut self.incidents[inc].events);
            let subjects = std::mem::take(&mut self.incidents[inc].subjects);
            let mut suppressed = std::mem::take(&mut self.incidents[inc].suppressed);
            let silenced = std::mem::take(&mut self.incidents[inc].silenced);
            let kinds = std::mem::take(&mut self.incidents[inc].kinds);
            self.incidents[inc].merged_into = Some(target);
            for ep in self.episodes.iter_mut().filter(|x| x.incident == inc) {
                ep.incident = target;
                ep.inhibited_by.get_or_insert_with(|| up.clone());
            }
            let t = &mut self.incidents[target];
            for id in &moved {
                if !suppressed.iter().any(|(s, _)| s == id) {
                    suppressed.push((id.clone(), up.clone()));
                }
            }
            t.events.extend(moved);
            t.subjects.extend(subjects);
            t.suppressed.extend(suppressed);
            t.silenced.extend(silenced);
            for k in kinds {
                if !t.kinds.contains(&k) {
                    t.kinds.push(k);
                }
            }
        }
    }

    fn end_episode(&mut self, e: usize) {
        if self.episodes[e].ended {
            return;
        }
        self.episodes[e].ended = true;
        let key = (
            self.episodes[e].workspace.clone(),
            self.episodes[e].subject.clone(),
        );
        if self.open.get(&key) == Some(&e) {
            self.open.remove(&key);
        }
    }

    /// Moves the clock to `now`; returns the notifications due by then, in time order.
    pub fn advance(&mut self, now: Millis) -> Vec<Notification> {
        let mut out = Vec::new();
        self.now = self.now.max(now);
        while let Some(Reverse((due, _))) = self.timers.peek() {
            if *due > self.now {
                break;
            }
            let Some(Reverse((due, what))) = self.timers.pop() else {
                break;
            };
            match what {
                Due::Quiet(e) => {
                    // Still quiet since this timer was set?
                    if !self.episodes[e].ended
                        && self.episodes[e].last + self.timing.resolve_after <= due
                    {
                        self.end_episode(e);
                        let inc = self.live(self.episodes[e].incident);
                        self.maybe_resolve(inc, due, &mut out);
                    }
                }
                Due::Announce(i) => {
                    if self.incidents[i].merged_into.is_some() {
                        continue;
                    }
                    self.announce(i, due, &mut out);
                }
            }
        }
        out
    }

    fn announce(&mut self, i: usize, due: Millis, out: &mut Vec<Notification>) {
        let timing = self.timing;
        let inc = &mut self.incidents[i];
        if inc.state == IncidentState::Resolved {
            return;
        }
        let id = inc.id.clone();
        match inc.notified_at {
            None if inc.news => {
                inc.state = IncidentState::Firing;
                inc.notified_at = Some(due);
                inc.news = false;
                out.push(Notification::Open {
                    incident: id,
                    at: due,
                });
                self.timers
                    .push(Reverse((due + timing.group_interval, Due::Announce(i))));
            }
            // Only silenced or suppressed so far: look again later.
            None => self
                .timers
                .push(Reverse((due + timing.group_interval, Due::Announce(i)))),
            Some(last) if inc.news => {
                inc.notified_at = Some(due);
                inc.news = false;
                out.push(Notification::Update {
                    incident: id,
                    at: due,
                });
                let _ = last;
                self.timers
                    .push(Reverse((due + timing.group_interval, Due::Announce(i))));
            }
            Some(last) => {
                if due >= last + timing.repeat_interval {
                    inc.notified_at = Some(due);
                    out.push(Notification::Repeat {
                        incident: id,
                        at: due,
                    });
                }
                let next = (inc.notified_at.unwrap_or(due) + timing.repeat_interval)
                    .min(due + timing.group_interval)
                    .max(due + 1);
                self.timers.push(Reverse((next, Due::Announce(i))));
            }
        }
    }

    fn maybe_resolve(&mut self, inc: usize, at: Millis, out: &mut Vec<Notification>) {
        let still = self
            .open
            .values()
            .any(|&e| self.live(self.episodes[e].incident) == inc);
        if still || self.incidents[inc].state == IncidentState::Resolved {
            return;
        }
        let was_announced = self.incidents[inc].notified_at.is_some();
        self.incidents[inc].state = IncidentState::Resolved;
        if was_announced {
            out.push(Notification::Resolve {
                incident: self.incidents[inc].id.clone(),
                at,
            });
        }
    }

    /// Resolves at once every incident whose episodes have all passed again (a pass ends an
    /// episode without waiting for quiet).
    pub fn settle(&mut self, at: Millis) -> Vec<Notification> {
        let mut out = Vec::new();
        for i in 0..self.incidents.len() {
            if self.incidents[i].merged_into.is_none()
                && self.incidents[i].state != IncidentState::Resolved
            {
                self.maybe_resolve(i, at, &mut out);
            }
        }
        out
    }

    /// The incidents (merged ones left out), in the order they opened.
    pub fn incidents(&self) -> Vec<&Incident> {
        self.incidents
            .iter()
            .filter(|i| i.merged_into.is_none() && !i.events.is_empty())
            .collect()
    }
}

/// What [`group`] found.
#[derive(Debug, Clone, Serialize)]
pub struct Grouped {
    pub incidents: Vec<IncidentOut>,
    pub notifications: Vec<Notification>,
    /// Signals sent more than once (counted once).
    pub duplicates: u64,
}

/// An incident as the CLI writes it.
#[derive(Debug, Clone, Serialize)]
pub struct IncidentOut {
    pub id: String,
    pub root: String,
    pub workspace: Option<String>,
    pub subjects: Vec<String>,
    pub severity: Severity,
    pub state: IncidentState,
    pub opened_at: String,
    pub last_at: String,
    pub kinds: Vec<String>,
    /// Every failing signal's id, suppressed ones included.
    pub events: Vec<String>,
    /// Ids of the signals a failing upstream explains.
    pub suppressed: Vec<String>,
    /// Why each was suppressed: `{event, because}`.
    pub suppressed_because: Vec<serde_json::Value>,
    pub silenced: Vec<String>,
    pub resolved_by: Vec<String>,
}

/// Runs signals in time order (ties by id) through an engine, then lets the clock run out: the
/// incidents and every notification that would have been sent.
pub fn group(
    signals: Vec<Signal>,
    lineage: Lineage,
    timing: Timing,
    silences: Vec<Silence>,
) -> Grouped {
    group_until(signals, lineage, timing, silences, Millis::MIN)
}

/// [`group`], the clock run to `now` at least (so an episode quiet since long enough is over);
/// the last signals' `group_wait` is not waited for: a run announces what it found.
pub fn group_until(
    mut signals: Vec<Signal>,
    lineage: Lineage,
    timing: Timing,
    silences: Vec<Silence>,
    now: Millis,
) -> Grouped {
    signals.sort_by(|a, b| (a.at, &a.id).cmp(&(b.at, &b.id)));
    let mut engine = Engine::new(lineage, timing, silences);
    let mut notifications = Vec::new();
    for s in &signals {
        notifications.extend(engine.advance(s.at));
        engine.ingest(s);
    }
    let end = signals.last().map_or(0, |s| s.at);
    let until = now.max(end + timing.group_wait);
    notifications.extend(engine.advance(until));
    notifications.extend(engine.settle(until));
    let incidents = engine
        .incidents()
        .into_iter()
        .map(|i| IncidentOut {
            id: i.id.clone(),
            root: i.root.clone(),
            workspace: i.workspace.clone(),
            subjects: i.subjects.clone(),
            severity: i.severity,
            state: i.state,
            opened_at: time::format(i.opened_at),
            last_at: time::format(i.last_at),
            kinds: i.kinds.clone(),
            events: i.events.clone(),
            suppressed: i.suppressed.iter().map(|(e, _)| e.clone()).collect(),
            suppressed_because: i
                .suppressed
                .iter()
                .map(|(e, up)| serde_json::json!({"event": e, "because": format!("{up} is failing upstream")}))
                .collect(),
            silenced: i.silenced.clone(),
            resolved_by: i.resolved_by.clone(),
        })
        .collect();
    Grouped {
        incidents,
        notifications,
        duplicates: engine.duplicates,
    }
}

#[cfg(test)]
mod tests {
    use super::glob;

    #[test]
    fn silence_values_match_with_stars() {
        for (p, t, want) in [
            ("model.shop.orders", "model.shop.orders", true),
            ("model.shop.*", "model.shop.orders", true),
            ("*orders", "model.shop.orders", true),
            ("model.*.orders", "model.shop.orders", true),
            ("model.*.orders", "model.shop.customers", false),
            ("test.*", "model.shop.orders", false),
            ("*", "", true),
        ] {
            assert_eq!(glob(p, t), want, "{p} ~ {t}");
        }
    }
}
