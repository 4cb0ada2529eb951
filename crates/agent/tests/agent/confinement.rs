//! Property test of path confinement: random folder trees with symlinks pointing inside, outside
//! and at `/`, random requested paths built from `..`, `.`, names and those links — whatever
//! `resolve` accepts must lie inside the workspace's real path, also after following symlinks.

use std::path::Path;

use vibedata_agent::confine::{ConfineError, resolve};

const PARTS: &[&str] = &[
    "..",
    ".",
    "a",
    "b",
    "c.sql",
    "in_link",
    "out_link",
    "root_link",
    "up_link",
    "new",
    "a/../..",
    "",
];

fn build(root: &Path, outside: &Path, rng: &mut fastrand::Rng) {
    std::fs::create_dir_all(root.join("a/b")).unwrap();
    std::fs::write(root.join("a/c.sql"), "select 1").unwrap();
    let links: [(&str, &Path); 4] = [
        ("in_link", &root.join("a")),
        ("out_link", outside),
        ("root_link", Path::new("/")),
        ("up_link", Path::new("..")),
    ];
    for (name, target) in links {
        // Each link lands in a random folder of the tree.
        let at = [root.to_path_buf(), root.join("a"), root.join("a/b")][rng.usize(..3)].join(name);
        let _ = std::os::unix::fs::symlink(target, at);
    }
}

#[test]
fn no_requested_path_escapes_the_workspace() {
    let mut rng = fastrand::Rng::with_seed(7);
    for round in 0..40 {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("ws");
        let outside = dir.path().join("outside");
        std::fs::create_dir_all(&outside).unwrap();
        build(&root, &outside, &mut rng);
        let real_root = root.canonicalize().unwrap();
        for _ in 0..200 {
            let n = rng.usize(1..6);
            let requested: Vec<&str> = (0..n).map(|_| PARTS[rng.usize(..PARTS.len())]).collect();
            let requested = requested.join("/");
            match resolve(&root, &requested) {
                Ok(path) => {
                    assert!(
                        path.starts_with(&real_root),
                        "round {round}: {requested:?} resolved to {} outside {}",
                        path.display(),
                        real_root.display()
                    );
                    if let Ok(real) = path.canonicalize() {
                        assert!(
                            real.starts_with(&real_root),
                            "round {round}: {requested:?} leads to {} through a link",
                            real.display()
                        );
                    }
                }
                // A refusal names the requested path and says why; the workspace itself is
                // readable, so it is never a `Root` error.
                Err(ConfineError::Escapes(p) | ConfineError::NotRelative(p)) => {
                    assert_eq!(p, requested, "round {round}");
                }
                Err(e @ ConfineError::Root(_)) => {
                    panic!("round {round}: {requested:?} gave a workspace error: {e}")
                }
            }
        }
    }
}
