//! A private PostgreSQL cluster for the tests and benchmarks: what a
//! company's Tryton runs on.
//!
//! Debian's `postgresql` package provides the programs (`initdb`, `pg_ctl`
//! under /usr/lib/postgresql/VERSION/bin, not on the PATH); `cargo xtask`
//! installs it. The cluster is made once, with `initdb`, into
//! `<target>/tryton/postgres`, and started on a free loopback port with its
//! own socket folder: it never meets a PostgreSQL the machine already runs.
//! PostgreSQL refuses to run as root, so as root the cluster belongs to,
//! and runs as, the `postgres` user the package creates; when that user
//! cannot reach the target folder (CI keeps it under /root), the cluster
//! lives in the system's temporary folder instead, named after the target
//! folder. Tryton and the tests connect over TCP as the cluster's
//! superuser `fieldbook`, trusted on loopback only.
//!
//! The cluster keeps its databases between runs (the seeded templates, as
//! the SQLite templates are kept as files): the first test that needs it
//! starts it, and `cargo xtask test` stops it at the end ([`stop`]).
//!
//! This cluster is for tests: it runs with `fsync = off`, so a crash of
//! the machine can damage it (it is rebuilt when it does not start).

use anyhow::{Context, bail};
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;

/// The cluster's superuser, for Tryton and the tests.
pub const SUPERUSER: &str = "fieldbook";

/// A running cluster.
#[derive(Debug)]
pub struct Cluster {
    /// Holds `data/`, `socket/`, `port` and `postgres.log`.
    dir: PathBuf,
    port: u16,
    /// The PostgreSQL programs' folder.
    bin: PathBuf,
    /// Who runs the server: `Some("postgres")` when we are root.
    run_as: Option<&'static str>,
}

static CLUSTER: OnceLock<Result<Cluster, String>> = OnceLock::new();

/// The cluster, started if it is not running (made first if it does not
/// exist). One per target folder, shared by every test process.
pub fn cluster() -> anyhow::Result<&'static Cluster> {
    CLUSTER
        .get_or_init(|| start().map_err(|error| format!("{error:#}")))
        .as_ref()
        .map_err(|error| anyhow::anyhow!("the test PostgreSQL cluster: {error}"))
}

/// Stops the cluster if it runs (its databases stay for the next run).
pub fn stop() -> anyhow::Result<()> {
    let Ok(bin) = programs() else {
        return Ok(());
    };
    let run_as = run_as();
    let dir = cluster_dir(run_as)?;
    if !dir.join("data/PG_VERSION").exists() {
        return Ok(());
    }
    let _lock = crate::exclusive(&dir.with_extension("lock"))?;
    let cluster = Cluster {
        port: read_port(&dir).unwrap_or_default(),
        dir,
        bin,
        run_as,
    };
    if cluster.running() {
        crate::run(
            &mut cluster.as_owner(&cluster.bin.join("pg_ctl"), |command| {
                command
                    .arg("-D")
                    .arg(cluster.dir.join("data"))
                    .args(["stop", "-m", "fast", "-w"]);
            }),
            "stopping the test PostgreSQL cluster",
        )?;
    }
    Ok(())
}

impl Cluster {
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Tryton's `[database] uri` for this cluster.
    pub fn tryton_uri(&self) -> String {
        format!("postgresql://{SUPERUSER}@127.0.0.1:{}/", self.port)
    }

    /// `program` (createdb, dropdb, psql) with the connection set.
    pub fn client(&self, program: &str) -> Command {
        let mut command = Command::new(self.bin.join(program));
        command
            .env("PGHOST", "127.0.0.1")
            .env("PGPORT", self.port.to_string())
            .env("PGUSER", SUPERUSER)
            .env("PGDATABASE", "postgres")
            .stdin(Stdio::null());
        command
    }

    /// Runs one SQL statement and returns its rows, one line each.
    pub fn sql(&self, statement: &str) -> anyhow::Result<Vec<String>> {
        let output = self
            .client("psql")
            .args(["-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-c"])
            .arg(statement)
            .output()
            .context("running psql")?;
        if !output.status.success() {
            bail!(
                "psql {statement:?} failed: {}",
                String::from_utf8_lossy(&output.stderr)
            );
        }
        Ok(String::from_utf8_lossy(&output.stdout)
            .lines()
            .filter(|line| !line.is_empty())
            .map(str::to_owned)
            .collect())
    }

    /// Whether a database of this name exists.
    pub fn has_database(&self, name: &str) -> anyhow::Result<bool> {
        Ok(!self
            .sql(&format!(
                "SELECT 1 FROM pg_database WHERE datname = '{}'",
                name.replace('\'', "''")
            ))?
            .is_empty())
    }

    /// A new database `name`, a copy of `template`.
    pub fn copy_database(&self, template: &str, name: &str) -> anyhow::Result<()> {
        crate::run(
            self.client("createdb").args(["-T", template, name]),
            &format!("copying the database {template} to {name}"),
        )
    }

    /// Drops database `name` if it exists, closing its connections.
    pub fn drop_database(&self, name: &str) -> anyhow::Result<()> {
        crate::run(
            self.client("dropdb").args(["--if-exists", "--force", name]),
            &format!("dropping the database {name}"),
        )
    }

    /// Renames a database (a template built under a temporary name is put
    /// in place whole).
    pub fn rename_database(&self, from: &str, to: &str) -> anyhow::Result<()> {
        self.sql(&format!("ALTER DATABASE \"{from}\" RENAME TO \"{to}\""))
            .map(|_| ())
    }

    /// The server's (postmaster's) process id, from its `postmaster.pid`:
    /// every backend, and PostgreSQL's own workers, are its children.
    pub fn server_pid(&self) -> anyhow::Result<u32> {
        let path = self.dir.join("data/postmaster.pid");
        let text = std::fs::read_to_string(&path)
            .with_context(|| format!("reading {}", path.display()))?;
        text.lines()
            .next()
            .and_then(|line| line.trim().parse().ok())
            .with_context(|| format!("no process id in {}", path.display()))
    }

    fn running(&self) -> bool {
        self.as_owner(&self.bin.join("pg_ctl"), |command| {
            command.arg("-D").arg(self.dir.join("data")).arg("status");
        })
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|status| status.success())
    }

    /// `program` run as the cluster's owner.
    fn as_owner(&self, program: &Path, args: impl FnOnce(&mut Command)) -> Command {
        let mut command = match self.run_as {
            Some(user) => {
                let mut command = Command::new("runuser");
                command.args(["-u", user, "--"]).arg(program);
                command
            }
            None => Command::new(program),
        };
        args(&mut command);
        command.stdin(Stdio::null());
        command
    }
}

fn start() -> anyhow::Result<Cluster> {
    let bin = programs()?;
    let run_as = run_as();
    let dir = cluster_dir(run_as)?;
    let _lock = crate::exclusive(&dir.with_extension("lock"))?;
    let mut cluster = Cluster {
        port: read_port(&dir).unwrap_or_default(),
        dir,
        bin,
        run_as,
    };
    if cluster.running() {
        return Ok(cluster);
    }
    if !cluster.dir.join("data/PG_VERSION").exists() {
        make(&cluster)?;
    }
    // A port another program took since the last run: a new one.
    for _ in 0..3 {
        cluster.port = crate::free_port()?;
        std::fs::write(cluster.dir.join("port"), cluster.port.to_string())?;
        let started = cluster
            .as_owner(&cluster.bin.join("pg_ctl"), |command| {
                command
                    .arg("-D")
                    .arg(cluster.dir.join("data"))
                    .arg("-l")
                    .arg(cluster.dir.join("postgres.log"))
                    .arg("-o")
                    .arg(format!(
                        "-p {} -k {} -c listen_addresses=127.0.0.1",
                        cluster.port,
                        cluster.dir.join("socket").display()
                    ))
                    .args(["-w", "-t", "120", "start"]);
            })
            .output()?;
        if started.status.success() {
            // The cluster was down, so no test server runs: databases of
            // servers a killed test left behind go.
            for name in cluster.sql(&format!(
                "SELECT datname FROM pg_database WHERE datname LIKE '{}%'",
                crate::SERVER_DATABASE_PREFIX
            ))? {
                cluster.drop_database(&name)?;
            }
            return Ok(cluster);
        }
        let log = std::fs::read_to_string(cluster.dir.join("postgres.log")).unwrap_or_default();
        if !log.contains("could not bind") && !log.contains("Address already in use") {
            bail!(
                "starting PostgreSQL failed: {}\n{}\n{log}",
                String::from_utf8_lossy(&started.stdout),
                String::from_utf8_lossy(&started.stderr)
            );
        }
    }
    bail!("PostgreSQL found no free port to listen on")
}

/// `initdb`, then the settings of a test cluster.
fn make(cluster: &Cluster) -> anyhow::Result<()> {
    eprintln!(
        "fieldbook-testkit: making a PostgreSQL cluster in {} ...",
        cluster.dir.display()
    );
    let data = cluster.dir.join("data");
    if data.exists() {
        std::fs::remove_dir_all(&data)?;
    }
    std::fs::create_dir_all(cluster.dir.join("socket"))?;
    if let Some(user) = cluster.run_as {
        crate::run(
            Command::new("chown")
                .args(["-R", &format!("{user}:")])
                .arg(&cluster.dir),
            "giving the cluster's folder to its user",
        )?;
    }
    crate::run(
        &mut cluster.as_owner(&cluster.bin.join("initdb"), |command| {
            command
                .arg("-D")
                .arg(&data)
                .args(["-U", SUPERUSER, "--auth=trust", "-E", "UTF8"])
                .args(["--locale=C.UTF-8", "--no-sync"]);
        }),
        "making the test PostgreSQL cluster (initdb)",
    )?;
    // Tests: durability is not what they measure, and every test copies a
    // database. Enough connections for several Tryton servers with several
    // workers each.
    let settings = "\n# fieldbook-testkit\nfsync = off\nsynchronous_commit = off\nfull_page_writes = off\n\
                    max_connections = 400\nshared_buffers = 128MB\n";
    let conf = data.join("postgresql.conf");
    let mut text =
        std::fs::read_to_string(&conf).with_context(|| format!("reading {}", conf.display()))?;
    text.push_str(settings);
    std::fs::write(&conf, text)?;
    Ok(())
}

/// The folder of PostgreSQL's programs: the newest under
/// /usr/lib/postgresql, or `FIELDBOOK_PG_BIN`.
fn programs() -> anyhow::Result<PathBuf> {
    if let Some(bin) = std::env::var_os("FIELDBOOK_PG_BIN") {
        return Ok(PathBuf::from(bin));
    }
    let root = Path::new("/usr/lib/postgresql");
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir(root)
        .with_context(|| {
            format!(
                "PostgreSQL is not installed ({} is missing): `cargo xtask test` installs Debian's postgresql package",
                root.display()
            )
        })?
        .flatten()
        .filter_map(|entry| {
            let version = entry.file_name().to_string_lossy().parse().ok()?;
            let bin = entry.path().join("bin");
            bin.join("initdb").exists().then_some((version, bin))
        })
        .collect();
    versions.sort();
    versions
        .pop()
        .map(|(_, bin)| bin)
        .with_context(|| format!("no PostgreSQL server under {}", root.display()))
}

fn run_as() -> Option<&'static str> {
    // SAFETY: geteuid has no preconditions and cannot fail.
    (unsafe { libc::geteuid() } == 0).then_some("postgres")
}

/// `<target>/tryton/postgres`, or, when the cluster's user cannot reach
/// it, a folder named after it in the system's temporary folder.
fn cluster_dir(run_as: Option<&str>) -> anyhow::Result<PathBuf> {
    let preferred = crate::cache_dir().join("postgres");
    let Some(user) = run_as else {
        return Ok(preferred);
    };
    std::fs::create_dir_all(&preferred)?;
    let reachable = Command::new("runuser")
        .args(["-u", user, "--", "test", "-x"])
        .arg(&preferred)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|status| status.success());
    if reachable {
        return Ok(preferred);
    }
    let mut hasher = Sha256::new();
    hasher.update(preferred.as_os_str().as_encoded_bytes());
    Ok(std::env::temp_dir().join(format!("fieldbook-postgres-{}", crate::short_hex(hasher))))
}

fn read_port(dir: &Path) -> Option<u16> {
    std::fs::read_to_string(dir.join("port"))
        .ok()?
        .trim()
        .parse()
        .ok()
}
