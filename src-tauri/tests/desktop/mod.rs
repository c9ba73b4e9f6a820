//! A desktop for the window tests, made of real parts and torn down after:
//! an X server (Xvfb), a D-Bus session bus, GNOME Keyring's Secret Service
//! (unlocked, in a temporary home), and tauri-driver in front of
//! WebKitWebDriver. [`Window`] drives the app over WebDriver by the
//! `data-testid` attributes the pages carry.
//!
//! Shared by the window tests and the window benchmark
//! (`benches/window.rs`), each of which uses part of it.
#![allow(dead_code)]

use anyhow::{Context, bail};
use fantoccini::{Client, ClientBuilder, Locator, elements::Element, key::Key};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// How long a page may take to show what a test waits for.
const WAIT: Duration = Duration::from_secs(20);

pub struct Desktop {
    dir: tempfile::TempDir,
    env: Vec<(String, String)>,
    children: Vec<Child>,
    driver_port: u16,
    /// The process group tauri-driver leads.
    driver_group: Option<u32>,
}

impl Desktop {
    pub fn start() -> anyhow::Result<Desktop> {
        Desktop::start_with(&[])
    }

    /// A desktop whose session also has `extra` in its environment (a
    /// dark GTK theme, ...).
    pub fn start_with(extra: &[(&str, &str)]) -> anyhow::Result<Desktop> {
        let dir = tempfile::tempdir()?;
        let mut desktop = Desktop {
            env: Vec::new(),
            children: Vec::new(),
            driver_port: free_port()?,
            driver_group: None,
            dir,
        };
        let home = desktop.dir.path().to_owned();
        let runtime = home.join("run");
        std::fs::create_dir_all(&runtime)?;
        std::fs::set_permissions(
            &runtime,
            std::os::unix::fs::PermissionsExt::from_mode(0o700),
        )?;

        // An X server on a display nobody uses.
        let display = (90..190)
            .find(|n| {
                !Path::new(&format!("/tmp/.X11-unix/X{n}")).exists()
                    && !Path::new(&format!("/tmp/.X{n}-lock")).exists()
            })
            .context("no free X display between :90 and :189")?;
        desktop.spawn(
            Command::new("Xvfb").args([
                &format!(":{display}"),
                "-screen",
                "0",
                "1920x1080x24",
                "-nolisten",
                "tcp",
            ]),
            "Xvfb (apt install xvfb)",
        )?;
        wait_until("Xvfb to start", || {
            Path::new(&format!("/tmp/.X11-unix/X{display}")).exists()
        })?;

        // A session bus of our own, with no service activation: otherwise
        // the first call to the Secret Service can start a second, locked
        // keyring daemon that takes the name before ours does.
        let bus = home.join("bus");
        let config = home.join("bus.conf");
        std::fs::write(
            &config,
            format!(
                r#"<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:path={}</listen>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
"#,
                bus.display()
            ),
        )?;
        desktop.spawn(
            Command::new("dbus-daemon").args([
                "--nofork",
                "--nopidfile",
                &format!("--config-file={}", config.display()),
            ]),
            "dbus-daemon (apt install dbus)",
        )?;
        wait_until("the D-Bus session bus", || bus.exists())?;

        desktop.env = vec![
            ("DISPLAY".into(), format!(":{display}")),
            (
                "DBUS_SESSION_BUS_ADDRESS".into(),
                format!("unix:path={}", bus.display()),
            ),
            ("HOME".into(), home.display().to_string()),
            (
                "XDG_DATA_HOME".into(),
                home.join("share").display().to_string(),
            ),
            (
                "XDG_CONFIG_HOME".into(),
                home.join("config").display().to_string(),
            ),
            (
                "XDG_CACHE_HOME".into(),
                home.join("cache").display().to_string(),
            ),
            ("XDG_RUNTIME_DIR".into(), runtime.display().to_string()),
            (
                "FIELDBOOK_DATA_DIR".into(),
                home.join("fieldbook").display().to_string(),
            ),
            // English, as a new laptop in a test lab would be; the story
            // switches to Chinese itself.
            ("LANG".into(), "en_US.UTF-8".into()),
            ("LANGUAGE".into(), "en_US".into()),
        ];
        desktop.env.extend(
            extra
                .iter()
                .map(|(name, value)| (name.to_string(), value.to_string())),
        );

        // The Secret Service, its login keyring created and unlocked.
        let mut keyring = Command::new("gnome-keyring-daemon");
        keyring
            .args(["--foreground", "--unlock", "--components=secrets"])
            .envs(desktop.env.iter().cloned())
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(home.join("keyring.log"))?);
        let mut child = keyring
            .spawn()
            .context("cannot start gnome-keyring-daemon (apt install gnome-keyring)")?;
        let stdin = child.stdin.take();
        desktop.children.push(child);
        {
            use std::io::Write;
            // The login keyring's password, then end of input.
            stdin
                .context("keyring stdin")?
                .write_all(b"fieldbook-test-keyring")?;
        }
        let env = desktop.env.clone();
        // Ready once the login keyring is the default collection (it is
        // created a moment after the daemon answers on the bus).
        wait_until("the Secret Service's login keyring", || {
            Command::new("dbus-send")
                .args([
                    "--session",
                    "--print-reply",
                    "--dest=org.freedesktop.secrets",
                    "/org/freedesktop/secrets",
                    "org.freedesktop.Secret.Service.ReadAlias",
                    "string:default",
                ])
                .envs(env.iter().cloned())
                .stderr(Stdio::null())
                .output()
                .is_ok_and(|output| {
                    String::from_utf8_lossy(&output.stdout).contains("/collection/")
                })
        })
        .with_context(|| {
            format!(
                "gnome-keyring-daemon said: {}",
                std::fs::read_to_string(home.join("keyring.log")).unwrap_or_default()
            )
        })?;

        // A notification service, as every desktop has: dunst, which
        // keeps what it showed for `notifications`.
        desktop.spawn(
            &mut Command::new("dunst"),
            "dunst (`cargo xtask test` installs it: apt install dunst)",
        )?;
        let env = desktop.env.clone();
        wait_until("dunst on the session bus", || {
            Command::new("dunstctl")
                .arg("is-paused")
                .envs(env.iter().cloned())
                .stderr(Stdio::null())
                .output()
                .is_ok_and(|output| output.status.success())
        })?;

        // tauri-driver, in a process group of its own so that its
        // WebKitWebDriver child goes with it.
        let driver = std::env::var_os("FIELDBOOK_TAURI_DRIVER")
            .map(PathBuf::from)
            .unwrap_or_else(|| "tauri-driver".into());
        let native_port = free_port()?;
        let mut command = Command::new(&driver);
        command.args([
            "--port",
            &desktop.driver_port.to_string(),
            "--native-port",
            &native_port.to_string(),
        ]);
        std::os::unix::process::CommandExt::process_group(&mut command, 0);
        desktop.spawn(
            &mut command,
            "tauri-driver (`cargo xtask test` installs it under target/tools)",
        )?;
        desktop.driver_group = desktop.children.last().map(Child::id);
        let port = desktop.driver_port;
        wait_until("tauri-driver to listen", || {
            std::net::TcpStream::connect(("127.0.0.1", port)).is_ok()
        })?;
        Ok(desktop)
    }

    fn spawn(&mut self, command: &mut Command, what: &str) -> anyhow::Result<()> {
        let log =
            std::fs::File::create(self.dir.path().join(format!("{}.log", self.children.len())))?;
        let child = command
            .envs(self.env.iter().cloned())
            .stdin(Stdio::null())
            .stdout(log.try_clone()?)
            .stderr(log)
            .spawn()
            .with_context(|| format!("cannot start {what}"))?;
        self.children.push(child);
        Ok(())
    }
}

impl Desktop {
    /// `program` as started in this desktop's session (its display, bus,
    /// keyring, home and data folder): an administrator's terminal on the
    /// salesperson's laptop.
    pub fn command(&self, program: impl AsRef<std::ffi::OsStr>) -> Command {
        let mut command = Command::new(program);
        command.envs(self.env.iter().cloned()).stdin(Stdio::null());
        command
    }

    /// What the desktop's notification service was asked to show, oldest
    /// first: each notification's title and body.
    pub fn notifications(&self) -> anyhow::Result<Vec<(String, String)>> {
        let dunstctl = |args: &[&str]| -> anyhow::Result<Vec<u8>> {
            let output = Command::new("dunstctl")
                .args(args)
                .envs(self.env.iter().cloned())
                .output()
                .context("cannot run dunstctl")?;
            anyhow::ensure!(
                output.status.success(),
                "dunstctl {args:?}: {}",
                String::from_utf8_lossy(&output.stderr)
            );
            Ok(output.stdout)
        };
        // Shown ones join the history once closed.
        dunstctl(&["close-all"])?;
        let history: serde_json::Value = serde_json::from_slice(&dunstctl(&["history"])?)?;
        let text = |item: &serde_json::Value, field: &str| {
            item[field]["data"].as_str().unwrap_or_default().to_owned()
        };
        let mut shown: Vec<(String, String)> = history["data"][0]
            .as_array()
            .context("dunstctl history: no list")?
            .iter()
            .map(|item| (text(item, "summary"), text(item, "body")))
            .collect();
        // The history is newest first.
        shown.reverse();
        Ok(shown)
    }
}

impl Drop for Desktop {
    fn drop(&mut self) {
        if let Some(group) = self.driver_group {
            // tauri-driver leads a process group of its own, with the
            // WebKitWebDriver it starts and the app that one starts: end the
            // whole group, by its id and nothing else.
            let _ = Command::new("kill")
                .args(["-s", "TERM", "--", &format!("-{group}")])
                .stderr(Stdio::null())
                .status();
        }
        for child in self.children.iter_mut().rev() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// The app's window, driven over WebDriver.
pub struct Window {
    client: Client,
    shots: PathBuf,
}

impl Window {
    pub async fn open(desktop: &Desktop) -> anyhow::Result<Window> {
        let application = env!("CARGO_BIN_EXE_fieldbook-desktop");
        let capabilities = serde_json::json!({
            "browserName": "wry",
            "tauri:options": {"application": application},
        });
        let serde_json::Value::Object(capabilities) = capabilities else {
            unreachable!()
        };
        let url = format!("http://127.0.0.1:{}", desktop.driver_port);
        // The first session after tauri-driver starts is sometimes reset.
        let mut last_error = None;
        for _ in 0..3 {
            match ClientBuilder::rustls()?
                .capabilities(capabilities.clone())
                .connect(&url)
                .await
            {
                Ok(client) => {
                    let shots = fieldbook_testkit::target_dir().join("screenshots/window");
                    std::fs::create_dir_all(&shots)?;
                    return Ok(Window { client, shots });
                }
                Err(error) => last_error = Some(error),
            }
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
        bail!("cannot open the window over WebDriver: {last_error:?}")
    }

    fn locator(test_id: &str) -> String {
        format!("[data-testid='{test_id}']")
    }

    pub async fn wait(&self, test_id: &str) -> Element {
        self.wait_for(test_id, WAIT).await
    }

    pub async fn wait_for(&self, test_id: &str, timeout: Duration) -> Element {
        let css = Self::locator(test_id);
        match self
            .client
            .wait()
            .at_most(timeout)
            .for_element(Locator::Css(&css))
            .await
        {
            Ok(element) => element,
            Err(error) => {
                let _ = self
                    .try_shot(&format!("failed-waiting-for-{test_id}"))
                    .await;
                panic!("{test_id} did not show within {timeout:?}: {error}")
            }
        }
    }

    /// Waits until the first element with `test_id` has a text that
    /// `accept`s, and returns it.
    pub async fn wait_text(&self, test_id: &str, accept: impl Fn(&str) -> bool) -> String {
        self.wait_text_for(test_id, WAIT, accept).await
    }

    pub async fn wait_text_for(
        &self,
        test_id: &str,
        timeout: Duration,
        accept: impl Fn(&str) -> bool,
    ) -> String {
        let deadline = Instant::now() + timeout;
        let mut last = None;
        loop {
            if let Some(text) = self.text(test_id).await {
                if accept(&text) {
                    return text;
                }
                last = Some(text);
            }
            if Instant::now() > deadline {
                let _ = self
                    .try_shot(&format!("failed-waiting-for-{test_id}"))
                    .await;
                panic!(
                    "{test_id} did not show the expected text within {timeout:?}; last: {last:?}"
                );
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    /// The text of the first element with `test_id`, if there is one.
    pub async fn text(&self, test_id: &str) -> Option<String> {
        let element = self
            .client
            .find(Locator::Css(&Self::locator(test_id)))
            .await
            .ok()?;
        element.text().await.ok()
    }

    /// An attribute of the first element with `test_id`.
    pub async fn attribute(&self, test_id: &str, name: &str) -> Option<String> {
        self.wait(test_id)
            .await
            .attr(name)
            .await
            .unwrap_or_else(|error| panic!("cannot read {name} of {test_id}: {error}"))
    }

    pub async fn all_texts(&self, test_id: &str) -> Vec<String> {
        let mut texts = Vec::new();
        for element in self
            .client
            .find_all(Locator::Css(&Self::locator(test_id)))
            .await
            .unwrap_or_default()
        {
            texts.push(element.text().await.unwrap_or_default());
        }
        texts
    }

    pub async fn absent(&self, test_id: &str) -> bool {
        self.client
            .find_all(Locator::Css(&Self::locator(test_id)))
            .await
            .map(|found| found.is_empty())
            .unwrap_or_else(|error| panic!("cannot look for {test_id}: {error}"))
    }

    pub async fn click(&self, test_id: &str) {
        self.wait(test_id)
            .await
            .click()
            .await
            .unwrap_or_else(|error| panic!("cannot click {test_id}: {error}"));
    }

    pub async fn click_first(&self, test_id: &str) {
        self.click(test_id).await;
    }

    /// Replaces the text of an input, as typed.
    pub async fn fill(&self, test_id: &str, text: &str) {
        let element = self.wait(test_id).await;
        element
            .clear()
            .await
            .unwrap_or_else(|error| panic!("cannot clear {test_id}: {error}"));
        if text.is_empty() {
            return;
        }
        element
            .send_keys(text)
            .await
            .unwrap_or_else(|error| panic!("cannot type into {test_id}: {error}"));
    }

    pub async fn press_enter(&self, test_id: &str) {
        let enter: char = Key::Enter.into();
        self.wait(test_id)
            .await
            .send_keys(&enter.to_string())
            .await
            .unwrap_or_else(|error| panic!("cannot press Enter in {test_id}: {error}"));
    }

    /// Saves a screenshot of the window as `NAME.png` (a test artifact).
    pub async fn shot(&self, name: &str) {
        if let Err(error) = self.try_shot(name).await {
            panic!("cannot save the screenshot {name}: {error:#}");
        }
    }

    async fn try_shot(&self, name: &str) -> anyhow::Result<()> {
        // A frame may lag the DOM by one: let it paint.
        tokio::time::sleep(Duration::from_millis(300)).await;
        // Without a GPU the window draws without accelerated compositing
        // (see `WITHOUT_GPU` in main.rs), and WebKit then answers a
        // screenshot only after its next paint: a page that has settled
        // would keep it waiting for ever. One nearly transparent pixel in
        // a corner, repainted every frame for a second, gives it that paint.
        self.client
            .execute(
                "const dot = document.createElement('div'); \
                 dot.style.cssText = 'position:fixed;right:0;bottom:0;width:1px;height:1px;pointer-events:none;background:rgba(0,0,0,0.01)'; \
                 document.body.append(dot); \
                 const until = performance.now() + 1000; \
                 const blink = () => { dot.style.opacity = dot.style.opacity === '1' ? '0.99' : '1'; \
                   if (performance.now() < until) requestAnimationFrame(blink); else dot.remove(); }; \
                 requestAnimationFrame(blink);",
                Vec::new(),
            )
            .await?;
        let png = self.client.screenshot().await?;
        std::fs::write(self.shots.join(format!("{name}.png")), png)?;
        Ok(())
    }

    /// Resizes the window (the screen is 1920×1080; the app opens at
    /// 1280×800).
    pub async fn resize(&self, width: u32, height: u32) {
        self.client
            .set_window_rect(0, 0, width, height)
            .await
            .unwrap_or_else(|error| {
                panic!("cannot resize the window to {width}×{height}: {error}")
            });
    }

    /// Runs JavaScript in the page and returns its value.
    pub async fn script(&self, script: &str) -> serde_json::Value {
        self.client
            .execute(script, Vec::new())
            .await
            .unwrap_or_else(|error| panic!("cannot run {script:?} in the window: {error}"))
    }

    /// Types `text` one character at a time, pausing between keys as a
    /// person does.
    pub async fn type_slowly(&self, test_id: &str, text: &str, pause: Duration) {
        let element = self.wait(test_id).await;
        for character in text.chars() {
            element
                .send_keys(&character.to_string())
                .await
                .unwrap_or_else(|error| panic!("cannot type into {test_id}: {error}"));
            tokio::time::sleep(pause).await;
        }
    }

    pub async fn close(self) {
        let _ = self.client.close().await;
    }
}

fn free_port() -> anyhow::Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

fn wait_until(what: &str, ready: impl Fn() -> bool) -> anyhow::Result<()> {
    let deadline = Instant::now() + Duration::from_secs(30);
    while !ready() {
        if Instant::now() > deadline {
            bail!("timed out waiting for {what}");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    Ok(())
}
