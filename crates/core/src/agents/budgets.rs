//! The team's session ceilings and the price of the deployment, kept in the store's profile and
//! applied to every agent session the app starts. Blocking (rusqlite).

use rusqlite::{OptionalExtension, params};
use serde::{Deserialize, Serialize};
use vibedata_agent::budget::{Budget, Price};

use crate::platform::error::{CoreError, Result};
use crate::platform::store::Store;

/// What a person sets.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct BudgetSettings {
    pub max_tokens: Option<u64>,
    pub max_cost: Option<f64>,
    /// Price per 1,000 prompt / completion tokens of the configured deployment.
    pub prompt_per_1k: Option<f64>,
    pub completion_per_1k: Option<f64>,
}

impl BudgetSettings {
    pub fn budget(&self) -> Budget {
        let price = match (self.prompt_per_1k, self.completion_per_1k) {
            (Some(p), Some(c)) => Some(Price {
                prompt_per_1k: p,
                completion_per_1k: c,
            }),
            _ => None,
        };
        Budget {
            max_tokens: self.max_tokens,
            max_cost: self.max_cost,
            price,
        }
    }
}

const KEY: &str = "budget";

pub fn load(store: &Store) -> Result<BudgetSettings> {
    let text: Option<String> = store.with(|c| {
        c.query_row("SELECT value FROM profile WHERE key = ?1", [KEY], |r| {
            r.get(0)
        })
        .optional()
    })?;
    Ok(text
        .and_then(|t| serde_json::from_str(&t).ok())
        .unwrap_or_default())
}

pub fn save(store: &Store, settings: &BudgetSettings) -> Result<()> {
    let bad = |v: Option<f64>| v.is_some_and(|v| !v.is_finite() || v < 0.0);
    if bad(settings.max_cost) || bad(settings.prompt_per_1k) || bad(settings.completion_per_1k) {
        return Err(CoreError::InvalidInput(
            "costs and prices must be zero or more".into(),
        ));
    }
    if settings.max_cost.is_some()
        && (settings.prompt_per_1k.is_none() || settings.completion_per_1k.is_none())
    {
        return Err(CoreError::InvalidInput(
            "a cost ceiling needs the deployment's prices per 1,000 tokens".into(),
        ));
    }
    let text = serde_json::to_string(settings).map_err(|e| CoreError::Internal(e.to_string()))?;
    store.with(|c| {
        c.execute(
            "INSERT INTO profile (key, value) VALUES (?1, ?2) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            params![KEY, text],
        )
        .map(|_| ())
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use vibedata_agent::message::Usage;
    use vibedata_protocol::ErrorCode;

    #[test]
    fn settings_round_trip_and_become_a_budget() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("s.sqlite3")).unwrap();
        assert_eq!(load(&store).unwrap(), BudgetSettings::default());
        let s = BudgetSettings {
            max_tokens: Some(50_000),
            max_cost: Some(1.0),
            prompt_per_1k: Some(0.0025),
            completion_per_1k: Some(0.01),
        };
        save(&store, &s).unwrap();
        assert_eq!(load(&store).unwrap(), s);
        assert!(
            s.budget()
                .exceeded(&Usage {
                    prompt_tokens: 60_000,
                    completion_tokens: 0
                })
                .is_some()
        );
        assert_eq!(
            save(
                &store,
                &BudgetSettings {
                    max_cost: Some(1.0),
                    ..Default::default()
                }
            )
            .map_err(|e| e.code())
            .err(),
            Some(ErrorCode::InvalidInput),
            "a cost ceiling needs prices"
        );
        assert_eq!(
            save(
                &store,
                &BudgetSettings {
                    prompt_per_1k: Some(-1.0),
                    ..Default::default()
                }
            )
            .map_err(|e| e.code())
            .err(),
            Some(ErrorCode::InvalidInput),
            "a price is zero or more"
        );
    }
}
