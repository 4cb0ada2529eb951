use anyhow::{Context, Result, bail};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A private X display (Xvfb) for one app under test; stopped on drop.
pub struct Xvfb {
    number: u32,
    child: Child,
}

impl Xvfb {
    pub fn start() -> Result<Self> {
        // Displays with a lock file are taken (by another test or a real X server).
        let number = (90..190)
            .find(|n| !Path::new(&format!("/tmp/.X{n}-lock")).exists())
            .context("no free X display number between :90 and :189")?;
        let child = Command::new("Xvfb")
            .arg(format!(":{number}"))
            .args([
                "-screen",
                "0",
                "1600x1000x24",
                "-nolisten",
                "tcp",
                "-noreset",
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .context("cannot start Xvfb (apt package xvfb; scripts/setup.sh installs it)")?;
        let mut display = Self { number, child };
        let socket = format!("/tmp/.X11-unix/X{number}");
        let deadline = Instant::now() + Duration::from_secs(15);
        while !Path::new(&socket).exists() {
            if let Some(status) = display.child.try_wait()? {
                bail!("Xvfb :{number} exited at start ({status})");
            }
            if Instant::now() > deadline {
                bail!("Xvfb :{number} did not create {socket}");
            }
            std::thread::sleep(Duration::from_millis(25));
        }
        display.number = number;
        Ok(display)
    }

    /// Writes a PNG of the whole screen (ImageMagick's `import`).
    /// A screenshot of the app's window at its default size (1280×820, at the top left).
    pub fn screenshot(&self, path: &Path) -> Result<()> {
        self.screenshot_area(path, Some((1280, 820)))
    }

    /// A screenshot of the top-left `width`×`height` of the screen (where the window is), or of
    /// the whole screen.
    pub fn screenshot_area(&self, path: &Path, area: Option<(u32, u32)>) -> Result<()> {
        let mut import = Command::new("import");
        import.args(["-display", &self.name(), "-window", "root"]);
        if let Some((w, h)) = area {
            import.args(["-crop", &format!("{w}x{h}+0+0")]);
        }
        let status = import
            .arg(path)
            .stdout(Stdio::null())
            .status()
            .context("cannot run ImageMagick's import (apt package imagemagick)")?;
        if !status.success() {
            bail!(
                "import could not capture display {} ({status})",
                self.name()
            );
        }
        Ok(())
    }

    /// The value for `DISPLAY`.
    pub fn name(&self) -> String {
        format!(":{}", self.number)
    }
}

impl Drop for Xvfb {
    fn drop(&mut self) {
        // TERM, not KILL: Xvfb then removes its lock file and socket for the next test.
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let deadline = Instant::now() + Duration::from_secs(3);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(25));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
