//! The project's files as a folder tree; folders render their children only when opened, so a
//! project of thousands of files stays quick.

use super::Focus;
use leptos::prelude::*;
use std::collections::BTreeMap;

#[derive(Debug, Default, Clone)]
struct Folder {
    folders: BTreeMap<String, Folder>,
    files: Vec<(String, String)>,
}

fn build(files: &[String]) -> Folder {
    let mut root = Folder::default();
    for path in files {
        let mut parts: Vec<&str> = path.split('/').collect();
        let name = parts.pop().unwrap_or_default();
        let mut at = &mut root;
        for p in parts {
            at = at.folders.entry(p.to_string()).or_default();
        }
        at.files.push((name.to_string(), path.clone()));
    }
    root
}

#[component]
pub fn FileTree(files: Vec<String>, open: Callback<Focus>) -> impl IntoView {
    let root = build(&files);
    view! { <div class="tree" data-testid="file-tree">{folder_children(root, open)}</div> }
}

fn folder_children(folder: Folder, open: Callback<Focus>) -> AnyView {
    let folders = folder
        .folders
        .into_iter()
        .map(|(name, sub)| view! { <FolderNode name sub open /> })
        .collect_view();
    let files = folder
        .files
        .into_iter()
        .map(|(name, path)| {
            let p = path.clone();
            view! {
                <li>
                    <button class="tree-file" data-testid="tree-file" data-path=path data-tip=p.clone() on:click=move |_| open.run(Focus::File(p.clone(), 1))>
                        {name}
                    </button>
                </li>
            }
        })
        .collect_view();
    view! { <ul>{folders}{files}</ul> }.into_any()
}

#[component]
fn FolderNode(name: String, sub: Folder, open: Callback<Focus>) -> impl IntoView {
    let expanded = RwSignal::new(false);
    let sub = StoredValue::new(sub);
    view! {
        <li>
            <button class="tree-folder" data-testid="tree-folder" data-name=name.clone() on:click=move |_| expanded.update(|e| *e = !*e)>
                {move || if expanded.get() { "▾ " } else { "▸ " }}
                {name.clone()}
            </button>
            {move || expanded.get().then(|| folder_children(sub.get_value(), open))}
        </li>
    }
}
