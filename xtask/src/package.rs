//! `cargo xtask package`: Fieldbook as the packages an IT department
//! installs, made by Tauri's own bundler (`tauri-cli`, pinned, built from
//! crates.io into target/tools): a `.deb` and an `.rpm` holding the window,
//! the `fieldbook` CLI, the desktop entry, the icons, the shell completions
//! and the manual pages. Then each package is checked as an administrator
//! would: installed into a throw-away root, its files listed, the CLI and
//! the window started from there.
//!
//! An AppImage is not made: Tauri's bundler downloads linuxdeploy and
//! AppRun from GitHub releases, which no package registry offers.
//!
//! `cargo xtask test` makes the packages from the debug build the tests
//! already made (`--debug`) and checks them, so every CI run proves the
//! packages install and start; `cargo xtask package` makes them with the
//! `packaged` profile (Cargo.toml) for release.

use crate::{cargo, npm, run};
use anyhow::{Context, bail, ensure};
use std::io::Write;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// tauri-cli, the bundler, built from crates.io into target/tools.
const TAURI_CLI_VERSION: &str = "2.12.4";

/// How the binaries in a package are built.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Profile {
    /// The tests' own build (Cargo's `dev` profile): fast to make, for the
    /// package test.
    Debug,
    /// The `packaged` profile (Cargo.toml): what a packager ships.
    Package,
}

impl Profile {
    fn cargo(self) -> &'static str {
        match self {
            Profile::Debug => "dev",
            Profile::Package => "packaged",
        }
    }

    fn folder(self) -> &'static str {
        match self {
            Profile::Debug => "debug",
            Profile::Package => "packaged",
        }
    }
}

/// The packages made.
#[derive(Debug)]
pub struct Packages {
    pub deb: PathBuf,
    pub rpm: PathBuf,
}

/// `cargo xtask package [--debug]`.
pub fn package(args: &[String]) -> anyhow::Result<()> {
    let profile = match args.first().map(String::as_str) {
        None => Profile::Package,
        Some("--debug") => Profile::Debug,
        Some(other) => bail!("unknown option {other}: cargo xtask package [--debug]"),
    };
    crate::install_prerequisites()?;
    let packages = build(profile, Built::NotYet)?;
    check(&packages)?;
    println!(
        "\nPackages:\n  {}\n  {}",
        packages.deb.display(),
        packages.rpm.display()
    );
    Ok(())
}

/// tauri-cli under target/tools, installed from crates.io once.
pub fn ensure_tauri_cli() -> anyhow::Result<PathBuf> {
    let root = fieldbook_testkit::target_dir().join("tools");
    let cli = root.join("bin/cargo-tauri");
    let version = Command::new(&cli)
        .arg("--version")
        .output()
        .map(|output| String::from_utf8_lossy(&output.stdout).into_owned())
        .unwrap_or_default();
    if !version.contains(TAURI_CLI_VERSION) {
        eprintln!("xtask: installing tauri-cli {TAURI_CLI_VERSION} (the bundler) ...");
        run(cargo()
            .args([
                "install",
                "--locked",
                "--quiet",
                "--force",
                "tauri-cli",
                "--version",
                &format!("={TAURI_CLI_VERSION}"),
                "--root",
            ])
            .arg(&root))?;
    }
    Ok(cli)
}

/// What the packages install besides Tauri's own (the window, its desktop
/// entry and icons): install path -> the file made here.
fn extra_files(cli: &Path, share: &Path) -> Vec<(String, PathBuf)> {
    let mut files = vec![("/usr/bin/fieldbook".to_owned(), cli.to_owned())];
    for (installed, made) in [
        (
            "/usr/share/bash-completion/completions/fieldbook",
            "completions/fieldbook.bash",
        ),
        (
            "/usr/share/zsh/vendor-completions/_fieldbook",
            "completions/_fieldbook",
        ),
        (
            "/usr/share/fish/vendor_completions.d/fieldbook.fish",
            "completions/fieldbook.fish",
        ),
    ] {
        files.push((installed.to_owned(), share.join(made)));
    }
    let mut pages: Vec<_> = std::fs::read_dir(share.join("man1"))
        .map(|entries| entries.flatten().map(|entry| entry.path()).collect())
        .unwrap_or_default();
    pages.sort();
    for page in pages {
        let name = page.file_name().unwrap_or_default().to_string_lossy();
        files.push((format!("/usr/share/man/man1/{name}"), page.clone()));
    }
    files
}

/// Whether the binaries to package are built already.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Built {
    /// `cargo xtask test` built them (with the front end) for its tests.
    ForTheTests,
    NotYet,
}

/// Makes the packages with `profile`'s binaries.
pub fn build(profile: Profile, built: Built) -> anyhow::Result<Packages> {
    let tauri = ensure_tauri_cli()?;
    if built == Built::NotYet {
        // The window embeds the front end as built.
        npm(&["run", "build"])?;
        let mut build = cargo();
        build.args(["build", "--locked", "-p", "fieldbook-cli"]);
        if profile == Profile::Debug {
            // The window too: `tauri bundle` packages it as it is. (The
            // packaged profile's window is built by `tauri build`.)
            build.args(["-p", "fieldbook-desktop"]);
        }
        run(build.args(["--profile", profile.cargo()]))?;
    }
    let target = fieldbook_testkit::target_dir();
    let binaries = target.join(profile.folder());
    let cli = binaries.join("fieldbook");

    // Completions and manual pages, made by the CLI from its definition.
    let share = target.join("packaging/share");
    if share.exists() {
        std::fs::remove_dir_all(&share)?;
    }
    std::fs::create_dir_all(share.join("completions"))?;
    for (shell, file) in [
        ("bash", "fieldbook.bash"),
        ("zsh", "_fieldbook"),
        ("fish", "fieldbook.fish"),
    ] {
        let output = Command::new(&cli)
            .args(["completions", shell])
            .output()
            .with_context(|| format!("cannot run {}", cli.display()))?;
        ensure!(
            output.status.success() && !output.stdout.is_empty(),
            "fieldbook completions {shell} failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        std::fs::write(share.join("completions").join(file), &output.stdout)?;
    }
    let pages = target.join("packaging/man");
    if pages.exists() {
        std::fs::remove_dir_all(&pages)?;
    }
    run(Command::new(&cli).args(["manual", "--out"]).arg(&pages))?;
    // Compressed, as Debian's policy and every distribution's man expect.
    std::fs::create_dir_all(share.join("man1"))?;
    for entry in std::fs::read_dir(&pages)? {
        let page = entry?.path();
        let name = page.file_name().unwrap_or_default().to_string_lossy();
        let mut gz = flate2::write::GzEncoder::new(
            std::fs::File::create(share.join("man1").join(format!("{name}.gz")))?,
            flate2::Compression::best(),
        );
        gz.write_all(&std::fs::read(&page)?)?;
        gz.finish()?;
    }

    // The files on top of Tauri's configuration, for both packages.
    let files: serde_json::Map<String, serde_json::Value> = extra_files(&cli, &share)
        .into_iter()
        .map(|(installed, made)| (installed, made.display().to_string().into()))
        .collect();
    let overlay = serde_json::json!({
        "bundle": {
            "linux": {
                "deb": { "files": files },
                "rpm": { "files": files },
            }
        }
    });
    let overlay_path = target.join("packaging/tauri.json");
    std::fs::write(&overlay_path, serde_json::to_vec_pretty(&overlay)?)?;

    let bundles = binaries.join("bundle");
    if bundles.exists() {
        std::fs::remove_dir_all(&bundles)?;
    }
    let mut bundle = Command::new(&tauri);
    bundle.current_dir(fieldbook_testkit::workspace_root().join("src-tauri"));
    match profile {
        // The window as the tests built it, packaged as it is.
        Profile::Debug => bundle.args(["bundle", "--debug"]),
        // Built by the bundler with its own features, then packaged.
        Profile::Package => bundle.arg("build"),
    };
    bundle
        .args(["--ci", "--bundles", "deb,rpm", "--config"])
        .arg(&overlay_path);
    if profile == Profile::Package {
        bundle.args(["--", "--locked", "--profile", "packaged"]);
    }
    run(&mut bundle)?;
    Ok(Packages {
        deb: only_file(&bundles.join("deb"), "deb")?,
        rpm: only_file(&bundles.join("rpm"), "rpm")?,
    })
}

fn only_file(folder: &Path, extension: &str) -> anyhow::Result<PathBuf> {
    let found: Vec<PathBuf> = std::fs::read_dir(folder)
        .with_context(|| format!("the bundler made no {}", folder.display()))?
        .flatten()
        .map(|entry| entry.path())
        .filter(|path| path.extension().is_some_and(|e| e == extension))
        .collect();
    match found.as_slice() {
        [one] => Ok(one.clone()),
        _ => bail!(
            "expected one .{extension} in {}: {found:?}",
            folder.display()
        ),
    }
}

/// Installs each package into a throw-away root and checks it as an
/// administrator would.
pub fn check(packages: &Packages) -> anyhow::Result<()> {
    let version = env!("CARGO_PKG_VERSION");
    let root = tempfile::tempdir()?;
    let root = root.path();

    // The package's own description.
    let field = |name: &str| -> anyhow::Result<String> {
        let output = Command::new("dpkg-deb")
            .args(["--field"])
            .arg(&packages.deb)
            .arg(name)
            .output()
            .context("cannot run dpkg-deb")?;
        ensure!(output.status.success(), "dpkg-deb --field {name} failed");
        Ok(String::from_utf8_lossy(&output.stdout).trim().to_owned())
    };
    ensure!(
        field("Package")? == "fieldbook",
        "Package: {}",
        field("Package")?
    );
    ensure!(
        field("Version")? == version,
        "Version: {}",
        field("Version")?
    );
    let depends = field("Depends")?;
    ensure!(
        depends.contains("libwebkit2gtk-4.1"),
        "the package does not depend on WebKitGTK: {depends}"
    );

    // Unpacked as dpkg would install it.
    run(Command::new("dpkg-deb")
        .arg("-x")
        .arg(&packages.deb)
        .arg(root))?;
    for path in [
        "usr/bin/fieldbook",
        "usr/bin/fieldbook-desktop",
        "usr/share/applications/Fieldbook.desktop",
        "usr/share/icons/hicolor/32x32/apps/fieldbook-desktop.png",
        "usr/share/icons/hicolor/128x128/apps/fieldbook-desktop.png",
        "usr/share/icons/hicolor/256x256@2/apps/fieldbook-desktop.png",
        "usr/share/bash-completion/completions/fieldbook",
        "usr/share/zsh/vendor-completions/_fieldbook",
        "usr/share/fish/vendor_completions.d/fieldbook.fish",
        "usr/share/man/man1/fieldbook.1.gz",
        "usr/share/man/man1/fieldbook-sync.1.gz",
    ] {
        ensure!(
            root.join(path).is_file(),
            "{} has no {path}; it has:\n{}",
            packages.deb.display(),
            listing(root)
        );
    }
    let entry = std::fs::read_to_string(root.join("usr/share/applications/Fieldbook.desktop"))?;
    for line in [
        "Exec=fieldbook-desktop",
        "Icon=fieldbook-desktop",
        "Categories=Office",
    ] {
        ensure!(
            entry.lines().any(|l| l.starts_with(line)),
            "the desktop entry has no {line}:\n{entry}"
        );
    }

    // The installed CLI runs and says its version.
    let said = Command::new(root.join("usr/bin/fieldbook"))
        .arg("--version")
        .output()?;
    let said = String::from_utf8_lossy(&said.stdout);
    ensure!(
        said.trim() == format!("fieldbook {version}"),
        "the installed fieldbook --version says {said:?}"
    );

    start_the_installed_window(root)?;

    // The .rpm holds the same files.
    let listed = Command::new("rpm")
        .args(["-qlp"])
        .arg(&packages.rpm)
        .output()
        .context("cannot run rpm (apt install rpm)")?;
    ensure!(listed.status.success(), "rpm -qlp failed");
    let listed = String::from_utf8_lossy(&listed.stdout);
    for path in [
        "/usr/bin/fieldbook",
        "/usr/bin/fieldbook-desktop",
        "/usr/share/applications/Fieldbook.desktop",
        "/usr/share/man/man1/fieldbook.1.gz",
    ] {
        ensure!(
            listed.lines().any(|line| line == path),
            "the .rpm has no {path}:\n{listed}"
        );
    }
    println!(
        "xtask: the packages install what they should; the installed CLI and window start ({})",
        packages.deb.display()
    );
    Ok(())
}

fn listing(root: &Path) -> String {
    fn walk(dir: &Path, root: &Path, out: &mut Vec<String>) {
        for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.is_dir() {
                walk(&path, root, out);
            } else {
                out.push(
                    path.strip_prefix(root)
                        .unwrap_or(&path)
                        .display()
                        .to_string(),
                );
            }
        }
    }
    let mut out = Vec::new();
    walk(root, root, &mut out);
    out.sort();
    out.join("\n")
}

/// Starts the installed window under a virtual display and a session bus
/// of its own, and waits for it to open its window on its data folder.
fn start_the_installed_window(root: &Path) -> anyhow::Result<()> {
    let home = tempfile::tempdir()?;
    let data = home.path().join("data");
    let mut window = Command::new("dbus-run-session")
        .args(["--", "xvfb-run", "--auto-servernum", "--"])
        .arg(root.join("usr/bin/fieldbook-desktop"))
        .env("FIELDBOOK_DATA_DIR", &data)
        .env("HOME", home.path())
        .env_remove("DISPLAY")
        .env_remove("WAYLAND_DISPLAY")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(home.path().join("stderr"))?)
        // Its own process group, to end xvfb-run and the window together.
        .process_group(0)
        .spawn()
        .context("cannot start dbus-run-session and xvfb-run (apt install dbus xvfb)")?;
    let started = Instant::now();
    let opened = loop {
        let log = log_text(&data.join("logs"));
        if log.contains("window opening") {
            break Ok(log);
        }
        if let Some(status) = window.try_wait()? {
            break Err(format!("it ended ({status}) before opening"));
        }
        if started.elapsed() > Duration::from_secs(60) {
            break Err("it did not open within 60 s".to_owned());
        }
        std::thread::sleep(Duration::from_millis(200));
    };
    // Up a few seconds more: the page loads, nothing panics.
    let settled = match &opened {
        Ok(_) => {
            std::thread::sleep(Duration::from_secs(3));
            window.try_wait()?
        }
        Err(_) => None,
    };
    let _ = Command::new("kill")
        .args(["-s", "TERM", "--", &format!("-{}", window.id())])
        .status();
    let _ = window.wait();
    let stderr = std::fs::read_to_string(home.path().join("stderr")).unwrap_or_default();
    match (opened, settled) {
        (Ok(_), None) => {}
        (Ok(_), Some(status)) => bail!("the installed window ended ({status}):\n{stderr}"),
        (Err(why), _) => bail!("the installed window: {why}\n{stderr}"),
    }
    let log = log_text(&data.join("logs"));
    ensure!(
        !log.contains("panicked"),
        "the installed window panicked:\n{log}"
    );
    Ok(())
}

fn log_text(folder: &Path) -> String {
    std::fs::read_dir(folder)
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|entry| std::fs::read_to_string(entry.path()).ok())
        .collect()
}
