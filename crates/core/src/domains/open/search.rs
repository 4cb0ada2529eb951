//! Search over an open domain's nodes: by name or id, then by column (documented, or selected by
//! the model's SQL).

use vibedata_dbt_index::{Index, Node, ResourceType};
use vibedata_protocol::NodeRowDto;

use super::{OpenDomain, row};

impl OpenDomain {
    /// Nodes whose name (or id) contains `query`, best matches first: exact, prefix, then
    /// substring; models before other kinds. Tests are included.
    pub fn search(&self, query: &str, limit: usize) -> Vec<NodeRowDto> {
        let q = query.trim().to_lowercase();
        self.read(|index| {
            let mut hits: Vec<(u8, u8, &Node)> = index
                .nodes()
                .values()
                .filter_map(|n| {
                    let name = n.name.to_lowercase();
                    let rank = if q.is_empty() {
                        if n.resource_type == ResourceType::Test {
                            return None;
                        } else {
                            3
                        }
                    } else if name == q {
                        0
                    } else if name.starts_with(&q) {
                        1
                    } else if name.contains(&q) || n.unique_id.to_lowercase().contains(&q) {
                        2
                    } else if matched_column(index, n, &q).is_some() {
                        // Found by a column: documented, or selected by its SQL.
                        4
                    } else {
                        return None;
                    };
                    Some((rank, kind_rank(n.resource_type), n))
                })
                .collect();
            hits.sort_by(|a, b| {
                (a.0, a.1, &a.2.name, &a.2.unique_id).cmp(&(b.0, b.1, &b.2.name, &b.2.unique_id))
            });
            hits.into_iter()
                .take(limit)
                .map(|(rank, _, n)| {
                    let mut found = row(n);
                    if rank == 4 {
                        found.matched_column = matched_column(index, n, &q);
                    }
                    found
                })
                .collect()
        })
    }
}

fn kind_rank(t: ResourceType) -> u8 {
    match t {
        ResourceType::Model => 0,
        ResourceType::Source => 1,
        ResourceType::Seed | ResourceType::Snapshot => 2,
        ResourceType::Exposure | ResourceType::Metric | ResourceType::SemanticModel => 3,
        ResourceType::Test | ResourceType::UnitTest => 5,
        _ => 4,
    }
}

/// The first column of `node` whose name contains `q` (lowercase): a documented one, else one its
/// SQL selects.
fn matched_column(index: &Index, node: &Node, q: &str) -> Option<String> {
    let hit = |name: &&str| name.to_lowercase().contains(q);
    node.columns
        .iter()
        .map(|c| c.name.as_str())
        .find(hit)
        .or_else(|| {
            (node.resource_type == ResourceType::Model)
                .then(|| index.sql_columns(&node.file))
                .flatten()?
                .iter()
                .map(String::as_str)
                .find(hit)
        })
        .map(str::to_owned)
}
