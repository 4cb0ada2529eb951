//! The fake Livy endpoint's SQL: an in-memory SQLite stands in for Spark SQL — backtick-quoted
//! multi-part names become one table name, and `xxhash64`, `pmod` and `concat_ws` are provided —
//! and each statement's answer takes Livy's output shape (`application/json` with `schema.fields`
//! and `data`, or `status: "error"` with `ename`/`evalue`).

use serde_json::{Value, json};

/// The Livy stand-in: sessions, their statements, and the tables Spark SQL reads.
pub(super) struct Livy {
    pub(super) db: rusqlite::Connection,
    /// session id → (polls before idle, statements: (output, polls before available))
    pub(super) sessions: std::collections::HashMap<String, (usize, Vec<(Value, usize)>)>,
    pub(super) fail_start: bool,
    pub(super) rows_returned: usize,
}

impl Default for Livy {
    fn default() -> Self {
        let db = rusqlite::Connection::open_in_memory().expect("in-memory SQLite");
        spark_functions(&db);
        Livy {
            db,
            sessions: Default::default(),
            fail_start: false,
            rows_returned: 0,
        }
    }
}

/// FNV-1a over the text of the arguments (NULLs skipped): a stand-in for Spark's `xxhash64` (both
/// sides of a comparison are hashed by the same engine).
fn spark_functions(db: &rusqlite::Connection) {
    use rusqlite::functions::FunctionFlags;
    use rusqlite::types::ValueRef;
    let text = |v: ValueRef<'_>| -> Option<String> {
        match v {
            ValueRef::Null => None,
            ValueRef::Integer(i) => Some(i.to_string()),
            ValueRef::Real(f) => Some(f.to_string()),
            ValueRef::Text(t) | ValueRef::Blob(t) => Some(String::from_utf8_lossy(t).into_owned()),
        }
    };
    let flags = FunctionFlags::SQLITE_UTF8 | FunctionFlags::SQLITE_DETERMINISTIC;
    db.create_scalar_function("xxhash64", -1, flags, move |ctx| {
        let mut h: u64 = 0xcbf2_9ce4_8422_2325;
        for i in 0..ctx.len() {
            for b in text(ctx.get_raw(i))
                .unwrap_or_default()
                .bytes()
                .chain([1u8])
            {
                h = (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
            }
        }
        Ok(h as i64)
    })
    .expect("xxhash64");
    db.create_scalar_function("pmod", 2, flags, |ctx| {
        let (a, b): (i64, i64) = (ctx.get(0)?, ctx.get(1)?);
        Ok(if b == 0 { 0 } else { a.rem_euclid(b) })
    })
    .expect("pmod");
    db.create_scalar_function("concat_ws", -1, flags, move |ctx| {
        let sep = text(ctx.get_raw(0)).unwrap_or_default();
        let parts: Vec<String> = (1..ctx.len())
            .filter_map(|i| text(ctx.get_raw(i)))
            .collect();
        Ok(parts.join(&sep))
    })
    .expect("concat_ws");
}

/// Spark SQL's quoting as SQLite reads it: `` `a`.`b`.`c` `` is one table named `a.b.c`.
fn sqlite_of(spark: &str) -> String {
    let mut out = String::new();
    let mut rest = spark;
    while let Some(start) = rest.find('`') {
        out.push_str(&rest[..start]);
        let mut name = String::new();
        let mut tail = &rest[start..];
        while let Some(stripped) = tail.strip_prefix('`') {
            let Some(end) = stripped.find('`') else { break };
            if !name.is_empty() {
                name.push('.');
            }
            name.push_str(&stripped[..end]);
            tail = &stripped[end + 1..];
            match tail.strip_prefix('.') {
                Some(next) if next.starts_with('`') => tail = next,
                _ => break,
            }
        }
        out.push('"');
        out.push_str(&name.replace('"', "\"\""));
        out.push('"');
        rest = tail;
    }
    out.push_str(rest);
    out
}

fn run_sql(db: &rusqlite::Connection, spark: &str) -> Value {
    let sql = sqlite_of(spark);
    let answer = (|| -> rusqlite::Result<(Vec<String>, Vec<Vec<Value>>)> {
        let mut stmt = db.prepare(&sql)?;
        let columns: Vec<String> = stmt.column_names().iter().map(|c| c.to_string()).collect();
        let n = columns.len();
        let rows = stmt
            .query_map([], |r| {
                (0..n)
                    .map(|i| {
                        Ok(match r.get_ref(i)? {
                            rusqlite::types::ValueRef::Null => Value::Null,
                            rusqlite::types::ValueRef::Integer(v) => json!(v),
                            rusqlite::types::ValueRef::Real(v) => json!(v),
                            rusqlite::types::ValueRef::Text(t)
                            | rusqlite::types::ValueRef::Blob(t) => {
                                json!(String::from_utf8_lossy(t))
                            }
                        })
                    })
                    .collect::<rusqlite::Result<Vec<Value>>>()
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok((columns, rows))
    })();
    match answer {
        Ok((columns, rows)) => {
            json!({"status": "ok", "execution_count": 0, "data": {"application/json": {
            "schema": {"type": "struct", "fields": columns.iter().map(|c| json!({"name": c, "type": "string", "nullable": true, "metadata": {}})).collect::<Vec<_>>()},
            "data": rows}}})
        }
        Err(e) => json!({"status": "error", "execution_count": 0, "ename": "AnalysisException",
            "evalue": e.to_string(), "traceback": []}),
    }
}

impl Livy {
    /// Answers a request under `…/sessions` (`rest`: what follows it): start a session (it is
    /// `starting` for one poll, then `idle`, or `dead` when told to fail), read or delete it, run
    /// a statement (`waiting`, `running` for one poll, then `available` with its output), read it.
    /// `new_id` names a session started now.
    pub(super) fn route(
        &mut self,
        method: &str,
        rest: &[&str],
        body: &Value,
        new_id: String,
    ) -> (u16, Vec<(String, String)>, Value) {
        let ok = |v: Value| (200, Vec::new(), v);
        let missing = |what: &str| {
            super::error(
                404,
                &format!("{what}NotFound"),
                &format!("The Livy {what} was not found"),
            )
        };
        match (method, rest) {
            ("POST", []) => {
                let polls = if self.fail_start { usize::MAX } else { 1 };
                self.sessions.insert(new_id.clone(), (polls, Vec::new()));
                ok(json!({"id": new_id, "state": "starting", "kind": "sql", "appInfo": {}}))
            }
            ("GET", [id]) => {
                let Some(session) = self.sessions.get_mut(*id) else {
                    return missing("Session");
                };
                let state = match session.0 {
                    usize::MAX => "dead",
                    0 => "idle",
                    _ => {
                        session.0 -= 1;
                        "starting"
                    }
                };
                ok(json!({"id": id, "state": state}))
            }
            ("DELETE", [id]) => match self.sessions.remove(*id) {
                Some(_) => ok(json!({"msg": "deleted"})),
                None => missing("Session"),
            },
            ("POST", [id, "statements"]) => {
                let code = body["code"].as_str().unwrap_or_default().to_string();
                let output = run_sql(&self.db, &code);
                let Some(session) = self.sessions.get_mut(*id) else {
                    return missing("Session");
                };
                if session.0 != 0 {
                    return super::error(400, "SessionNotIdle", "The session is not idle");
                }
                self.rows_returned += output["data"]["application/json"]["data"]
                    .as_array()
                    .map_or(0, Vec::len);
                session.1.push((output, 1));
                let n = session.1.len() - 1;
                ok(json!({"id": n, "code": code, "state": "waiting", "output": null}))
            }
            ("GET", [id, "statements", n]) => {
                let number = n.parse::<usize>().unwrap_or(usize::MAX);
                let Some(st) = self
                    .sessions
                    .get_mut(*id)
                    .and_then(|session| session.1.get_mut(number))
                else {
                    return missing("Statement");
                };
                if st.1 > 0 {
                    st.1 -= 1;
                    ok(json!({"id": number, "state": "running", "output": null}))
                } else {
                    ok(json!({"id": number, "state": "available", "output": st.0.clone()}))
                }
            }
            _ => missing("Route"),
        }
    }
}
