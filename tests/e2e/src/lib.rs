//! The end-to-end harness: starts the built desktop app the way a person meets it — a real window
//! in WebKit, on an X display — and drives it through WebDriver (tauri-driver in front of
//! WebKitWebDriver). Tests find elements by `data-testid`, click, type, wait and take screenshots.
//!
//! Environment:
//! - `VIBEDATA_APP_BIN` — the built `vibedata-studio` binary (scripts/test.sh sets it).
//! - `VIBEDATA_E2E_ARTIFACTS` — where screenshots go (default: a folder in the temp dir).
//! - `TAURI_DRIVER` / `WEBKIT_DRIVER` — override the driver binaries.
//!
//! Each [`App`] gets its own Xvfb display and driver ports, so tests never share a window.

// A test harness, not product code: a panic here fails the end-to-end test driving it.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod display;
pub mod keychain;
mod process;

use anyhow::{Context, Result, bail};
use fantoccini::actions::{InputSource, MouseActions, PointerAction};
use fantoccini::elements::Element;
use fantoccini::{Client, ClientBuilder, Locator};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

pub use display::Xvfb;
pub use process::{ProcessTree, app_processes};

/// How long to wait for the UI by default: WebKit's first start under Xvfb on 2 cores is slow.
pub const DEFAULT_WAIT: Duration = Duration::from_secs(60);

/// What to start the app with.
#[derive(Debug, Clone)]
pub struct Launch {
    /// The app's data dir (`VIBEDATA_DATA_DIR`): SQLite store and logs.
    pub data_dir: PathBuf,
    /// Where the app puts clones (`VIBEDATA_WORKSPACE_ROOT`).
    pub workspace_root: PathBuf,
    /// More environment for the app (a fake service's address, say).
    pub env: Vec<(String, String)>,
}

impl Launch {
    /// Everything under one folder, as a fresh user would have it.
    pub fn under(dir: &Path) -> Self {
        Self {
            data_dir: dir.join("data"),
            workspace_root: dir.join("workspaces"),
            env: Vec::new(),
        }
    }

    pub fn with_env(mut self, key: &str, value: &str) -> Self {
        self.env.push((key.to_owned(), value.to_owned()));
        self
    }

    pub fn database(&self) -> PathBuf {
        self.data_dir.join("studio.sqlite3")
    }
}

/// A running app under test. Call [`App::close`] at the end; dropping it also stops everything
/// (fields drop in order: the driver's process group with the app, then the display).
pub struct App {
    client: Option<Client>,
    driver: process::Group,
    display: Xvfb,
    /// When the WebDriver session (and so the app process) was asked for.
    pub started: Instant,
    pub binary: PathBuf,
}

pub fn app_binary() -> Result<PathBuf> {
    let path = std::env::var_os("VIBEDATA_APP_BIN")
        .map(PathBuf::from)
        .context(
            "VIBEDATA_APP_BIN is not set: build the app (scripts/test.sh does) and point it at the \
         vibedata-studio binary",
        )?;
    if !path.is_file() {
        bail!("VIBEDATA_APP_BIN={} does not exist", path.display());
    }
    Ok(path.canonicalize()?)
}

pub fn artifacts_dir() -> PathBuf {
    std::env::var_os("VIBEDATA_E2E_ARTIFACTS")
        .map(PathBuf::from)
        .unwrap_or_else(|| std::env::temp_dir().join("vibedata-e2e-artifacts"))
}

impl App {
    /// Sets who commits (Settings → identity) and waits until it is saved.
    pub async fn set_identity(&self, name: &str, email: &str) -> Result<()> {
        self.click("nav-settings").await?;
        // The form may be filled already (git's own identity is offered): replace what is there.
        for (field, value) in [("identity-name", name), ("identity-email", email)] {
            let input = self.wait_for(field, DEFAULT_WAIT).await?;
            input.clear().await?;
            input.send_keys(value).await?;
        }
        self.click("identity-save").await?;
        self.wait_for("identity-saved", DEFAULT_WAIT).await?;
        Ok(())
    }

    /// Starts a display, tauri-driver and the app, and waits until the UI has mounted.
    pub async fn launch(launch: &Launch) -> Result<Self> {
        let binary = app_binary()?;
        let display = Xvfb::start()?;
        // A port picked free can be taken before tauri-driver binds it (another server of the
        // suite): then the session cannot be opened, and the launch is tried again on new ports.
        let mut attempt = 0;
        let (driver, client, started) = loop {
            attempt += 1;
            let port = process::free_port()?;
            let native_port = process::free_port()?;
            let tauri_driver =
                std::env::var("TAURI_DRIVER").unwrap_or_else(|_| "tauri-driver".into());
            let webkit_driver = std::env::var("WEBKIT_DRIVER")
                .unwrap_or_else(|_| "/usr/bin/WebKitWebDriver".into());
            let mut command = std::process::Command::new(&tauri_driver);
            command
                .args(["--port", &port.to_string()])
                .args(["--native-port", &native_port.to_string()])
                .args(["--native-driver", &webkit_driver])
                .env("DISPLAY", display.name())
                .env("VIBEDATA_DATA_DIR", &launch.data_dir)
                .env("VIBEDATA_WORKSPACE_ROOT", &launch.workspace_root)
                // No GPU here: software rendering, no DMA-BUF renderer.
                .env("WEBKIT_DISABLE_DMABUF_RENDERER", "1")
                .env("LIBGL_ALWAYS_SOFTWARE", "1")
                .envs(launch.env.iter().map(|(k, v)| (k, v)))
                .stdout(std::process::Stdio::null());
            let driver = process::Group::spawn(&mut command).with_context(|| {
                format!("cannot start {tauri_driver} (run scripts/setup.sh test)")
            })?;
            // tauri-driver accepts connections before the native driver behind it is listening.
            for p in [port, native_port] {
                process::wait_for_port(p, Duration::from_secs(20))
                    .await
                    .context("the WebDriver servers did not start listening")?;
            }
            let mut caps = serde_json::Map::new();
            caps.insert("browserName".into(), "wry".into());
            caps.insert(
                "tauri:options".into(),
                serde_json::json!({ "application": binary }),
            );
            eprintln!(
                "[e2e] display {}, tauri-driver :{port}, app {}",
                display.name(),
                binary.display()
            );
            let started = Instant::now();
            let url = format!("http://127.0.0.1:{port}");
            let mut builder = ClientBuilder::native();
            builder.capabilities(caps);
            match tokio::time::timeout(DEFAULT_WAIT, builder.connect(&url)).await {
                Ok(Ok(client)) => break (driver, client, started),
                Ok(Err(e)) if attempt < 3 => {
                    eprintln!("[e2e] no session on :{port} ({e}); trying again on new ports");
                    drop(driver);
                }
                Ok(Err(e)) => return Err(e).context("WebDriver could not start the app"),
                Err(e) => return Err(e).context("WebDriver did not start the app in time"),
            }
        };
        eprintln!("[e2e] session open after {:?}", started.elapsed());
        let app = Self {
            client: Some(client),
            driver,
            display,
            started,
            binary,
        };
        if let Err(e) = app.wait_for("app-frame", DEFAULT_WAIT).await {
            let shot = app.screenshot("launch-failure").await;
            // What the window shows instead (a panic is written into the page by the UI).
            let page = app
                .client()
                .execute(
                    "return document.body ? document.body.innerText : '(no body)';",
                    vec![],
                )
                .await
                .map(|v| v.to_string())
                .unwrap_or_else(|e| format!("(unreadable: {e})"));
            return Err(e).context(format!(
                "the UI did not mount (screenshot: {shot:?}); the page says: {page}"
            ));
        }
        Ok(app)
    }

    pub fn client(&self) -> &Client {
        self.client
            .as_ref()
            .expect("the session is open until close()")
    }

    fn locator(testid: &str) -> String {
        format!("[data-testid='{testid}']")
    }

    /// Waits until an element with this `data-testid` exists.
    pub async fn wait_for(&self, testid: &str, timeout: Duration) -> Result<Element> {
        self.wait_for_css(&Self::locator(testid), timeout).await
    }

    /// Waits until an element matching a CSS selector exists (for `data-testid` plus attributes).
    pub async fn wait_for_css(&self, css: &str, timeout: Duration) -> Result<Element> {
        self.client()
            .wait()
            .at_most(timeout)
            .every(Duration::from_millis(50))
            .for_element(Locator::Css(css))
            .await
            .with_context(|| format!("no element {css} within {timeout:?}"))
    }

    /// Waits until no element with this `data-testid` exists: to say something is not shown
    /// (returns at once when it is not there; it may also be on its way out).
    pub async fn wait_absent(&self, testid: &str, timeout: Duration) -> Result<()> {
        self.wait_absent_css(&Self::locator(testid), timeout).await
    }

    /// Waits until no element matches a CSS selector; the error quotes what is still shown.
    /// Checked in one script per poll, so a view that re-renders cannot leave a stale handle.
    pub async fn wait_absent_css(&self, css: &str, timeout: Duration) -> Result<()> {
        let script = "const el = document.querySelector(arguments[0]);\n\
                      return el ? el.innerText : null;";
        let deadline = Instant::now() + timeout;
        loop {
            let shown = self
                .client()
                .execute(script, vec![serde_json::Value::String(css.to_owned())])
                .await?;
            let serde_json::Value::String(text) = shown else {
                return Ok(());
            };
            if Instant::now() > deadline {
                bail!("{css} is still shown after {timeout:?}: {text:?}");
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Clicks the element matching a CSS selector once it exists. Found and clicked in one script
    /// (a list that re-renders cannot leave a stale handle), which also reaches SVG elements.
    pub async fn click_css(&self, css: &str) -> Result<()> {
        let deadline = Instant::now() + DEFAULT_WAIT;
        let script = "const el = document.querySelector(arguments[0]);\n\
                      if (!el) { return false; }\n\
                      el.dispatchEvent(new MouseEvent('click', {bubbles: true}));\n\
                      return true;";
        loop {
            let clicked = self
                .client()
                .execute(script, vec![serde_json::Value::String(css.to_owned())])
                .await?;
            if clicked == serde_json::Value::Bool(true) {
                return Ok(());
            }
            if Instant::now() > deadline {
                bail!("no element {css} to click within {DEFAULT_WAIT:?}");
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Moves the real (WebDriver) pointer over the centre of the element matching `css`.
    pub async fn hover_css(&self, css: &str) -> Result<()> {
        let element = self.wait_for_css(css, DEFAULT_WAIT).await?;
        let mouse = MouseActions::new("mouse".to_owned()).then(PointerAction::MoveToElement {
            element,
            duration: None,
            x: 0.0,
            y: 0.0,
        });
        self.client().perform_actions(mouse).await?;
        Ok(())
    }

    /// Waits until the element's text contains `needle`, and returns the text.
    pub async fn wait_for_text(
        &self,
        testid: &str,
        needle: &str,
        timeout: Duration,
    ) -> Result<String> {
        let deadline = Instant::now() + timeout;
        loop {
            let text = match self.find(testid).await {
                Ok(el) => el.text().await.unwrap_or_default(),
                Err(_) => String::new(),
            };
            if text.contains(needle) {
                return Ok(text);
            }
            if Instant::now() > deadline {
                bail!("[data-testid='{testid}'] never contained {needle:?}; last text: {text:?}");
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    pub async fn find(&self, testid: &str) -> Result<Element> {
        Ok(self
            .client()
            .find(Locator::Css(&Self::locator(testid)))
            .await?)
    }

    pub async fn find_all(&self, testid: &str) -> Result<Vec<Element>> {
        Ok(self
            .client()
            .find_all(Locator::Css(&Self::locator(testid)))
            .await?)
    }

    pub async fn click(&self, testid: &str) -> Result<()> {
        self.wait_for(testid, DEFAULT_WAIT).await?.click().await?;
        Ok(())
    }

    pub async fn type_into(&self, testid: &str, text: &str) -> Result<()> {
        self.wait_for(testid, DEFAULT_WAIT)
            .await?
            .send_keys(text)
            .await?;
        Ok(())
    }

    /// The visible text of the element with this `data-testid`, read in one script so a view
    /// that re-renders in between cannot leave a stale handle.
    pub async fn text(&self, testid: &str) -> Result<String> {
        self.read_css(&Self::locator(testid), None).await
    }

    /// An attribute of the first element matching `css` (read like [`App::text`]).
    pub async fn attr_css(&self, css: &str, name: &str) -> Result<String> {
        self.read_css(css, Some(name)).await
    }

    async fn read_css(&self, css: &str, attribute: Option<&str>) -> Result<String> {
        let script = "const el = document.querySelector(arguments[0]);\n\
                      if (!el) { return null; }\n\
                      return arguments[1] ? el.getAttribute(arguments[1]) : el.innerText;";
        let deadline = Instant::now() + DEFAULT_WAIT;
        loop {
            let args = vec![
                serde_json::Value::String(css.to_owned()),
                serde_json::json!(attribute),
            ];
            if let serde_json::Value::String(value) = self.client().execute(script, args).await? {
                return Ok(value);
            }
            if Instant::now() > deadline {
                bail!("no element {css} (or no attribute {attribute:?}) within {DEFAULT_WAIT:?}");
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Saves a PNG of the app's display as `<artifacts>/<name>.png` and returns its path.
    ///
    /// Taken from the X display (what a person would see), not through WebDriver: WebKitWebDriver's
    /// screenshot command never answers under Xvfb without a GPU.
    pub async fn screenshot(&self, name: &str) -> Result<PathBuf> {
        let dir = artifacts_dir();
        std::fs::create_dir_all(&dir)?;
        let path = dir.join(format!("{name}.png"));
        self.display.screenshot(&path)?;
        Ok(path)
    }

    /// A screenshot of the window's `width`×`height` (the window sits at the screen's top left).
    pub async fn screenshot_sized(&self, name: &str, width: u32, height: u32) -> Result<PathBuf> {
        let dir = artifacts_dir();
        std::fs::create_dir_all(&dir)?;
        let path = dir.join(format!("{name}.png"));
        self.display.screenshot_area(&path, Some((width, height)))?;
        Ok(path)
    }

    /// The app's processes (the app and its WebKit children) as the OS sees them now.
    pub fn processes(&self) -> Result<ProcessTree> {
        app_processes(self.driver.id(), &self.binary)
    }

    /// Ends the session (the app exits) and stops the driver and the display.
    pub async fn close(mut self) -> Result<()> {
        if let Some(client) = self.client.take() {
            tokio::time::timeout(Duration::from_secs(30), client.close())
                .await
                .context("closing the WebDriver session timed out")??;
        }
        // Wait for the app to be gone, so a restart in the same data dir meets no live process.
        let deadline = Instant::now() + Duration::from_secs(10);
        while self
            .processes()
            .map(|t| !t.pids.is_empty())
            .unwrap_or(false)
            && Instant::now() < deadline
        {
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        Ok(())
    }
}
