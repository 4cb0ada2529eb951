use anyhow::{Context, Result};
use std::collections::{BTreeSet, HashMap};
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Child, Command};
use std::time::{Duration, Instant};

pub fn free_port() -> Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port())
}

pub async fn wait_for_port(port: u16, timeout: Duration) -> Result<()> {
    let deadline = Instant::now() + timeout;
    loop {
        match tokio::net::TcpStream::connect(("127.0.0.1", port)).await {
            Ok(_) => return Ok(()),
            Err(e) if Instant::now() > deadline => {
                return Err(e).context(format!("nothing listens on 127.0.0.1:{port}"));
            }
            Err(_) => tokio::time::sleep(Duration::from_millis(50)).await,
        }
    }
}

/// A process started as the leader of a new process group, so it and everything it starts (the
/// native driver, the app, WebKit's helpers) stop together when this is dropped: TERM, a grace
/// period, then KILL.
pub struct Group(Child);

impl Group {
    pub fn spawn(command: &mut Command) -> std::io::Result<Self> {
        command.process_group(0).spawn().map(Group)
    }

    pub fn id(&self) -> u32 {
        self.0.id()
    }
}

impl Drop for Group {
    fn drop(&mut self) {
        let group = format!("-{}", self.0.id());
        let signal = |sig: &str| {
            let _ = Command::new("kill").args([sig, "--", &group]).status();
        };
        signal("-TERM");
        let deadline = Instant::now() + Duration::from_secs(3);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.0.try_wait() {
                break;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        signal("-KILL");
        let _ = self.0.wait();
    }
}

/// A set of processes and their summed resident memory.
#[derive(Debug, Clone, Default)]
pub struct ProcessTree {
    /// Process id and command name of each.
    pub pids: Vec<(u32, String)>,
    /// Sum of VmRSS over all of them, in KiB (counts shared libraries once per process).
    pub rss_kib: u64,
    /// Sum of PSS (proportional set size) over all of them, in KiB: shared pages split between
    /// the processes that map them, so the sum does not double-count.
    pub pss_kib: u64,
}

struct ProcInfo {
    ppid: u32,
    name: String,
    rss_kib: u64,
}

fn read_proc() -> HashMap<u32, ProcInfo> {
    let mut all = HashMap::new();
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return all;
    };
    for entry in entries.flatten() {
        let Some(pid) = entry
            .file_name()
            .to_str()
            .and_then(|s| s.parse::<u32>().ok())
        else {
            continue;
        };
        let Ok(status) = std::fs::read_to_string(entry.path().join("status")) else {
            continue;
        };
        let field = |key: &str| {
            status
                .lines()
                .find_map(|l| l.strip_prefix(key))
                .map(|v| v.trim().to_owned())
        };
        all.insert(
            pid,
            ProcInfo {
                ppid: field("PPid:").and_then(|v| v.parse().ok()).unwrap_or(0),
                name: field("Name:").unwrap_or_default(),
                rss_kib: field("VmRSS:")
                    .and_then(|v| v.split_whitespace().next().and_then(|n| n.parse().ok()))
                    .unwrap_or(0),
            },
        );
    }
    all
}

fn pss_kib(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/smaps_rollup"))
        .ok()
        .and_then(|text| {
            text.lines().find_map(|l| {
                l.strip_prefix("Pss:")
                    .and_then(|v| v.split_whitespace().next())
                    .and_then(|n| n.parse().ok())
            })
        })
        .unwrap_or(0)
}

/// The app's processes: every process running `binary` below `root` (the driver), plus all their
/// descendants (WebKit's web and network processes).
pub fn app_processes(root: u32, binary: &Path) -> Result<ProcessTree> {
    let all = read_proc();
    let mut children: HashMap<u32, Vec<u32>> = HashMap::new();
    for (&pid, info) in &all {
        children.entry(info.ppid).or_default().push(pid);
    }
    let descendants = |from: u32| {
        let mut out = BTreeSet::new();
        let mut stack = vec![from];
        while let Some(pid) = stack.pop() {
            for &child in children.get(&pid).into_iter().flatten() {
                if out.insert(child) {
                    stack.push(child);
                }
            }
        }
        out
    };
    let is_app = |pid: u32| {
        std::fs::read_link(format!("/proc/{pid}/exe"))
            .map(|exe| exe == binary)
            .unwrap_or(false)
    };
    let mut pids = BTreeSet::new();
    for pid in descendants(root) {
        if is_app(pid) {
            pids.insert(pid);
            pids.extend(descendants(pid));
        }
    }
    let mut tree = ProcessTree::default();
    for pid in pids {
        if let Some(info) = all.get(&pid) {
            tree.rss_kib += info.rss_kib;
            tree.pss_kib += pss_kib(pid);
            tree.pids.push((pid, info.name.clone()));
        }
    }
    Ok(tree)
}
