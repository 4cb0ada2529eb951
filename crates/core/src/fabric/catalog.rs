//! What the Studio remembers of Fabric: workspaces and their items as last read (so Domains and
//! Settings browse them offline) and each domain's link to its production workspace, with the
//! GitHub repository and folder Fabric syncs.

use rusqlite::{OptionalExtension, params};
use vibedata_protocol::fabric::{FabricItemDto, FabricLinkDto, FabricWorkspaceDto};

use crate::platform::error::{CoreError, Result};
use crate::platform::store::Store;

/// Replaces the cache with what Fabric answered now.
pub fn put(store: &Store, workspaces: &[FabricWorkspaceDto]) -> Result<()> {
    store.with(|c| {
        let tx = c.unchecked_transaction()?;
        tx.execute("DELETE FROM fabric_catalog", [])?;
        for w in workspaces {
            tx.execute(
                "INSERT INTO fabric_catalog (fabric_workspace_id, name, capacity_id, items, fetched_at)
                 VALUES (?1, ?2, ?3, ?4, ?5)",
                params![
                    w.id,
                    w.name,
                    w.capacity_id,
                    serde_json::to_string(&w.items).unwrap_or_else(|_| "[]".into()),
                    w.fetched_at
                ],
            )?;
        }
        tx.commit()
    })
}

/// The workspaces as last read, by name.
pub fn all(store: &Store) -> Result<Vec<FabricWorkspaceDto>> {
    store.with(|c| {
        let mut stmt = c.prepare(
            "SELECT fabric_workspace_id, name, capacity_id, items, fetched_at
             FROM fabric_catalog ORDER BY name",
        )?;
        let rows = stmt.query_map([], |r| {
            let items: String = r.get(3)?;
            Ok(FabricWorkspaceDto {
                id: r.get(0)?,
                name: r.get(1)?,
                capacity_id: r.get(2)?,
                items: serde_json::from_str::<Vec<FabricItemDto>>(&items).unwrap_or_default(),
                fetched_at: r.get(4)?,
            })
        })?;
        rows.collect()
    })
}

pub fn link_of(store: &Store, workspace_id: &str) -> Result<Option<FabricLinkDto>> {
    store.with(|c| {
        c.query_row(
            "SELECT workspace_id, fabric_workspace_id, fabric_workspace_name, lakehouse_id,
                    lakehouse_name, repository, directory, linked_at
             FROM fabric_links WHERE workspace_id = ?1",
            [workspace_id],
            |r| {
                Ok(FabricLinkDto {
                    workspace_id: r.get(0)?,
                    fabric_workspace_id: r.get(1)?,
                    fabric_workspace_name: r.get(2)?,
                    lakehouse_id: r.get(3)?,
                    lakehouse_name: r.get(4)?,
                    repository: r.get(5)?,
                    directory: r.get(6)?,
                    linked_at: r.get(7)?,
                })
            },
        )
        .optional()
    })
}

pub fn save_link(store: &Store, link: &FabricLinkDto) -> Result<()> {
    if !link.repository.contains('/') {
        return Err(CoreError::InvalidInput(format!(
            "'{}' is not a GitHub repository (owner/name)",
            link.repository
        )));
    }
    store.with(|c| {
        c.execute(
            "INSERT INTO fabric_links (workspace_id, fabric_workspace_id, fabric_workspace_name,
                lakehouse_id, lakehouse_name, repository, directory, linked_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
             ON CONFLICT (workspace_id) DO UPDATE SET fabric_workspace_id = excluded.fabric_workspace_id,
               fabric_workspace_name = excluded.fabric_workspace_name, lakehouse_id = excluded.lakehouse_id,
               lakehouse_name = excluded.lakehouse_name, repository = excluded.repository,
               directory = excluded.directory, linked_at = excluded.linked_at",
            params![
                link.workspace_id,
                link.fabric_workspace_id,
                link.fabric_workspace_name,
                link.lakehouse_id,
                link.lakehouse_name,
                link.repository,
                link.directory,
                link.linked_at
            ],
        )
        .map(|_| ())
    })
}
