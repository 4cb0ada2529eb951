//! Per-session ceilings on tokens and cost (prices per deployment come from settings).

use serde::{Deserialize, Serialize};

use crate::message::Usage;

/// Price of a deployment per 1,000 tokens, in the team's currency.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Price {
    pub prompt_per_1k: f64,
    pub completion_per_1k: f64,
}

impl Price {
    pub fn cost(&self, usage: &Usage) -> f64 {
        usage.prompt_tokens as f64 / 1000.0 * self.prompt_per_1k
            + usage.completion_tokens as f64 / 1000.0 * self.completion_per_1k
    }
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct Budget {
    pub max_tokens: Option<u64>,
    pub max_cost: Option<f64>,
    pub price: Option<Price>,
}

impl Budget {
    /// Why the session must stop, if `spent` has reached a ceiling.
    pub fn exceeded(&self, spent: &Usage) -> Option<String> {
        if let Some(max) = self.max_tokens
            && spent.total() >= max
        {
            return Some(format!(
                "the session used {} tokens, reaching its ceiling of {max}",
                spent.total()
            ));
        }
        if let (Some(max), Some(price)) = (self.max_cost, self.price) {
            let cost = price.cost(spent);
            if cost >= max {
                return Some(format!(
                    "the session cost {cost:.4}, reaching its ceiling of {max:.4}"
                ));
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ceilings_stop_with_a_reason() {
        let budget = Budget {
            max_tokens: Some(100),
            max_cost: Some(0.01),
            price: Some(Price {
                prompt_per_1k: 0.005,
                completion_per_1k: 0.015,
            }),
        };
        assert_eq!(
            budget.exceeded(&Usage {
                prompt_tokens: 10,
                completion_tokens: 10
            }),
            None
        );
        assert!(
            budget
                .exceeded(&Usage {
                    prompt_tokens: 90,
                    completion_tokens: 10
                })
                .unwrap()
                .contains("100")
        );
        let cost_only = Budget {
            max_tokens: None,
            ..budget
        };
        assert!(
            cost_only
                .exceeded(&Usage {
                    prompt_tokens: 1000,
                    completion_tokens: 400
                })
                .unwrap()
                .contains("cost")
        );
    }
}
