//! A private Secret Service for a test: its own D-Bus session bus with gnome-keyring unlocked on
//! it, so the app under test keeps tokens in a real keychain that disappears with the test.

use std::path::Path;
use std::process::{Command, Stdio};

use anyhow::{Context, Result, bail};

pub struct SecretService {
    pub bus_address: String,
    bus_pid: u32,
    _home: tempfile::TempDir,
}

impl SecretService {
    /// `None` when dbus-daemon or gnome-keyring-daemon is not installed — outside CI only: the
    /// setup script installs both, so under CI their absence is an error.
    pub fn start() -> Result<Option<Self>> {
        let installed = |tool: &str| {
            Command::new("sh")
                .args(["-c", &format!("command -v {tool}")])
                .output()
                .is_ok_and(|o| o.status.success())
        };
        if !installed("dbus-daemon") || !installed("gnome-keyring-daemon") {
            if std::env::var_os("CI").is_some() {
                anyhow::bail!(
                    "dbus-daemon and gnome-keyring-daemon are missing: run scripts/setup.sh test"
                );
            }
            return Ok(None);
        }
        let home = tempfile::tempdir()?;
        let out = Command::new("dbus-daemon")
            .args(["--session", "--fork", "--print-address=1", "--print-pid=1"])
            .output()
            .context("dbus-daemon")?;
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        let mut lines = text.lines();
        let (Some(address), Some(pid)) = (lines.next(), lines.next()) else {
            bail!("dbus-daemon printed no address: {text}");
        };
        let bus_pid: u32 = pid.trim().parse().context("dbus-daemon pid")?;
        let mut keyring = Command::new("gnome-keyring-daemon")
            .args(["--unlock", "--components=secrets"])
            .env("DBUS_SESSION_BUS_ADDRESS", address)
            .env("HOME", home.path())
            .env("XDG_DATA_HOME", home.path().join("data"))
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .context("gnome-keyring-daemon")?;
        if let Some(mut stdin) = keyring.stdin.take() {
            use std::io::Write;
            stdin.write_all(b"unlock")?;
        }
        keyring.wait()?;
        Ok(Some(SecretService {
            bus_address: address.to_string(),
            bus_pid,
            _home: home,
        }))
    }

    pub fn home(&self) -> &Path {
        self._home.path()
    }
}

impl Drop for SecretService {
    fn drop(&mut self) {
        // The keyring daemon leaves with its bus.
        let _ = Command::new("kill").arg(self.bus_pid.to_string()).status();
    }
}
