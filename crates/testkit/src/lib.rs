//! The reference ERP for tests, benchmarks and the demo: a real Tryton
//! (`erp/tryton/`) in a virtualenv, started on a free loopback port, with a
//! fresh copy of a seeded database per server.
//!
//! Seeded databases are built once per [`Dataset`] and kept as templates
//! under `target/tryton/`, named by a hash of everything that shapes them
//! (requirements, scripts, sizes, seed): a change to any of them builds a
//! new one. Starting a server copies the template, so each test suite gets
//! its own database in well under a second.
//!
//! Two [`Backend`]s: SQLite with Tryton's single-process development
//! server (the demo's and the quick tests'), and PostgreSQL with Tryton
//! under gunicorn with several workers, as companies run it. PostgreSQL's
//! templates are databases of a private test cluster ([`postgres`]),
//! copied per server with `createdb -T`.

use anyhow::{Context, bail};
use fieldbook_erp::tryton::{RawSession, TrytonConfig};
use sha2::{Digest, Sha256};
use std::fs::File;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub mod postgres;

/// The salesperson's login that the seed creates (no credit-limit rights).
pub const SALES_LOGIN: &str = "sales";
pub const SALES_PASSWORD: &str = "fieldbook-sales-pw";
pub const ADMIN_LOGIN: &str = "admin";
pub const ADMIN_PASSWORD: &str = "admin";
pub const DATABASE: &str = "fieldbook";

/// What Tryton stores its data in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    /// A file, served by Tryton's single-process development server.
    Sqlite,
    /// The test cluster, served by gunicorn with [`WORKERS`] workers.
    Postgres,
}

/// Tryton's worker processes under gunicorn: several, as in production,
/// so two requests of one test can meet in two processes.
pub const WORKERS: u32 = 3;

/// Databases of running servers on the test cluster are named with this
/// prefix (and the process id); templates never are.
const SERVER_DATABASE_PREFIX: &str = "fbs_";

/// How long a starting Tryton may take to listen.
const STARTUP_DEADLINE: Duration = Duration::from_secs(300);

/// What the seeder makes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Dataset {
    pub customers: u32,
    pub products: u32,
    pub sales: u32,
    pub seed: u64,
}

impl Dataset {
    /// Small enough to seed in about a minute, big enough for several pages.
    pub const TEST: Dataset = Dataset {
        customers: 60,
        products: 150,
        sales: 80,
        seed: 1,
    };
    /// What the demo shows.
    pub const DEMO: Dataset = Dataset {
        customers: 300,
        products: 800,
        sales: 400,
        seed: 7,
    };
    /// The benchmark's size: 10,000 customers, 50,000 products, ~20,000 sale lines.
    pub const BENCH: Dataset = Dataset {
        customers: 10_000,
        products: 50_000,
        sales: 4_000,
        seed: 42,
    };
}

/// The workspace's root folder: the nearest folder above the package Cargo
/// runs (its `CARGO_MANIFEST_DIR` at run time), else above the current
/// folder, that holds this crate.
///
/// Not the path compiled in: CI builds a clone elsewhere into the same
/// target folder, and a crate it built stays fresh for Cargo afterwards
/// while the clone it names is gone.
pub fn workspace_root() -> PathBuf {
    let is_root = |dir: &Path| dir.join("crates/testkit/Cargo.toml").is_file();
    let starts = [
        std::env::var_os("CARGO_MANIFEST_DIR").map(PathBuf::from),
        std::env::current_dir().ok(),
        Some(PathBuf::from(env!("CARGO_MANIFEST_DIR"))),
    ];
    starts
        .into_iter()
        .flatten()
        .find_map(|start| {
            start
                .ancestors()
                .find(|dir| is_root(dir))
                .map(Path::to_path_buf)
        })
        .expect("the workspace root: run this from the Fieldbook workspace, or through cargo")
}

fn tryton_dir() -> PathBuf {
    workspace_root().join("erp/tryton")
}

/// Cargo's target folder: `$CARGO_TARGET_DIR`, or `target/` in the workspace.
pub fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace_root().join("target"))
}

/// Where the virtualenv and the templates live: `<target>/tryton`.
pub(crate) fn cache_dir() -> PathBuf {
    target_dir().join("tryton")
}

fn hash_files(hasher: &mut Sha256, files: &[&str]) -> anyhow::Result<()> {
    for name in files {
        let path = tryton_dir().join(name);
        hasher.update(std::fs::read(&path).with_context(|| format!("reading {}", path.display()))?);
    }
    Ok(())
}

pub(crate) fn short_hex(hasher: Sha256) -> String {
    hasher
        .finalize()
        .iter()
        .take(8)
        .map(|byte| format!("{byte:02x}"))
        .collect()
}

/// Holds an exclusive lock on `path` while alive: one process builds a
/// virtualenv or a template at a time, the others wait and reuse it.
pub(crate) fn exclusive(path: &Path) -> anyhow::Result<File> {
    std::fs::create_dir_all(path.parent().expect("lock parent"))?;
    let file = File::create(path).with_context(|| format!("creating {}", path.display()))?;
    file.lock()
        .with_context(|| format!("locking {}", path.display()))?;
    Ok(file)
}

/// The virtualenv with Tryton, created (or recreated after a change of
/// requirements) if needed. Returns its folder.
pub fn ensure_venv() -> anyhow::Result<PathBuf> {
    let mut hasher = Sha256::new();
    hash_files(&mut hasher, &["requirements.txt"])?;
    let venv = cache_dir().join(format!("venv-{}", short_hex(hasher)));
    let ready = venv.join(".ready");
    if ready.exists() {
        return Ok(venv);
    }
    let _lock = exclusive(&cache_dir().join("venv.lock"))?;
    if ready.exists() {
        return Ok(venv);
    }
    eprintln!(
        "fieldbook-testkit: installing Tryton into {} ...",
        venv.display()
    );
    if venv.exists() {
        std::fs::remove_dir_all(&venv)?;
    }
    let python = std::env::var("FIELDBOOK_PYTHON").unwrap_or_else(|_| "python3".into());
    run(
        Command::new(&python).args(["-m", "venv"]).arg(&venv),
        "creating the Tryton virtualenv",
    )?;
    run(
        Command::new(venv.join("bin/pip"))
            .args(["install", "--quiet", "--disable-pip-version-check", "-r"])
            .arg(tryton_dir().join("requirements.txt")),
        "installing Tryton with pip",
    )?;
    File::create(&ready)?;
    Ok(venv)
}

/// The seeded template database for `dataset` with Fieldbook's Tryton
/// module (`erp/tryton/modules/fieldbook`) activated, built if needed.
/// Returns the path of its SQLite file.
///
/// Two layers, each named by a hash of what shapes it: the seeded database
/// (slow to build at benchmark size) and, on a copy of it, the module's
/// activation (seconds). A change to the module rebuilds only the second.
pub fn ensure_template(dataset: Dataset) -> anyhow::Result<PathBuf> {
    let base = ensure_seeded(dataset)?;
    let venv = ensure_venv()?;
    let module = module_layer(&venv)?;
    let base_dir = base.parent().expect("template folder");
    let base_name = base_dir
        .file_name()
        .expect("template name")
        .to_string_lossy();
    let layers = format!("{base_name}-with-module-");
    let dir = cache_dir().join(format!("{layers}{module}"));
    let built_now = build_once(&dir, |building| {
        let built = building.join(format!("{DATABASE}.sqlite"));
        std::fs::copy(&base, &built)?;
        let config = write_config(building, None)?;
        activate_module(&venv, &config, DATABASE)
    })?;
    if built_now {
        remove_stale(&layers, &dir);
    }
    Ok(dir.join(format!("{DATABASE}.sqlite")))
}

/// Builds `dir/DATABASE.sqlite` once: `build` makes it in a fresh folder
/// beside `dir`, and it is moved into place only when whole. Concurrent
/// callers wait for the first and reuse its file. Returns whether this call
/// built it.
fn build_once(dir: &Path, build: impl FnOnce(&Path) -> anyhow::Result<()>) -> anyhow::Result<bool> {
    let file = dir.join(format!("{DATABASE}.sqlite"));
    if file.exists() {
        return Ok(false);
    }
    let _lock = exclusive(&dir.with_extension("lock"))?;
    if file.exists() {
        return Ok(false);
    }
    let building = tempfile::Builder::new()
        .prefix("building-")
        .tempdir_in(cache_dir())?;
    build(building.path())?;
    std::fs::create_dir_all(dir)?;
    let partial = dir.join("partial.sqlite");
    std::fs::copy(building.path().join(format!("{DATABASE}.sqlite")), &partial)?;
    std::fs::rename(&partial, &file)?;
    Ok(true)
}

/// The seeded database for `dataset` as Tryton's own modules leave it,
/// without Fieldbook's module: what a company's Tryton looks like before an
/// administrator installs it. Built once, then reused.
pub fn ensure_seeded(dataset: Dataset) -> anyhow::Result<PathBuf> {
    let venv = ensure_venv()?;
    let (family, hash) = seeded_name(dataset)?;
    let dir = cache_dir().join(format!("{family}{hash}"));
    let built_now = build_once(&dir, |building| {
        eprintln!("fieldbook-testkit: seeding Tryton ({dataset:?}); built once, then reused ...");
        let config = write_config(building, None)?;
        seed(&venv, &config, DATABASE, dataset)
    })?;
    if built_now {
        // Older seeds of this dataset, and the module layers built on them.
        remove_stale(&family, &dir);
    }
    Ok(dir.join(format!("{DATABASE}.sqlite")))
}

/// A seeded template's family (the dataset) and hash (what shapes it).
fn seeded_name(dataset: Dataset) -> anyhow::Result<(String, String)> {
    let mut hasher = Sha256::new();
    hash_files(
        &mut hasher,
        &["requirements.txt", "create_db.py", "seed.py"],
    )?;
    hasher.update(format!("{dataset:?}"));
    let family = format!(
        "template-{}c-{}p-{}s-{}-",
        dataset.customers, dataset.products, dataset.sales, dataset.seed
    );
    Ok((family, short_hex(hasher)))
}

/// Creates `database` as `config` says (a file, or on the cluster) and
/// seeds it with `dataset`.
fn seed(venv: &Path, config: &Path, database: &str, dataset: Dataset) -> anyhow::Result<()> {
    let python = venv.join("bin/python");
    run(
        Command::new(&python)
            .arg(tryton_dir().join("create_db.py"))
            .arg("--config")
            .arg(config)
            .args(["--database", database, "--admin-password", ADMIN_PASSWORD]),
        "creating the Tryton database",
    )?;
    run(
        Command::new(&python)
            .arg(tryton_dir().join("seed.py"))
            .arg("--config")
            .arg(config)
            .args(["--database", database])
            .args(["--customers", &dataset.customers.to_string()])
            .args(["--products", &dataset.products.to_string()])
            .args(["--sales", &dataset.sales.to_string()])
            .args(["--seed", &dataset.seed.to_string()]),
        "seeding the Tryton database",
    )
}

/// The seeded template database for `dataset` on the test PostgreSQL
/// cluster, with Fieldbook's module activated (or without, as Tryton's
/// own modules leave it), built if needed. Returns its name.
///
/// The same two layers as the SQLite templates, named by the same hashes;
/// each is built under a temporary name and renamed when whole.
pub fn ensure_postgres_template(dataset: Dataset, with_module: bool) -> anyhow::Result<String> {
    let cluster = postgres::cluster()?;
    let venv = ensure_venv()?;
    let (_, hash) = seeded_name(dataset)?;
    let seeded = format!("fbt_{hash}");
    build_database_once(cluster, &seeded, |building, config| {
        eprintln!(
            "fieldbook-testkit: seeding Tryton on PostgreSQL ({dataset:?}); built once, then reused ..."
        );
        seed(&venv, config, building, dataset)
    })?;
    if !with_module {
        return Ok(seeded);
    }
    let module = module_layer(&venv)?;
    let layered = format!("{seeded}_{module}");
    build_database_once(cluster, &layered, |building, config| {
        cluster.copy_database(&seeded, building)?;
        activate_module(&venv, config, building)
    })?;
    Ok(layered)
}

/// Builds database `name` on the cluster once: `build` makes it under a
/// temporary name (given a Tryton configuration for the cluster), and it
/// is renamed into place only when whole. Concurrent callers wait for the
/// first and reuse its database.
fn build_database_once(
    cluster: &postgres::Cluster,
    name: &str,
    build: impl FnOnce(&str, &Path) -> anyhow::Result<()>,
) -> anyhow::Result<()> {
    if cluster.has_database(name)? {
        return Ok(());
    }
    let _lock = exclusive(&cache_dir().join(format!("{name}.lock")))?;
    if cluster.has_database(name)? {
        return Ok(());
    }
    let building = format!("{name}_building");
    cluster.drop_database(&building)?;
    let folder = tempfile::Builder::new()
        .prefix("building-")
        .tempdir_in(cache_dir())?;
    let config = write_postgres_config(folder.path(), cluster)?;
    if let Err(error) = build(&building, &config) {
        let _ = cluster.drop_database(&building);
        return Err(error);
    }
    cluster.rename_database(&building, name)
}

/// Copies Fieldbook's Tryton module into the virtualenv's
/// `trytond/modules`, where Tryton finds its modules, if it is not there
/// already in this version. Returns the version (a hash of its files).
/// The module layer's hash: the module's files and how the layer gives the
/// salesperson its group. Installs the module in the virtualenv.
fn module_layer(venv: &Path) -> anyhow::Result<String> {
    let module = install_module(venv)?;
    let mut hasher = Sha256::new();
    hasher.update(module);
    hash_files(&mut hasher, &["grant_salesperson.py"])?;
    Ok(short_hex(hasher))
}

/// What an administrator does on a company's Tryton: activates
/// Fieldbook's module, then gives the salesperson its "Fieldbook
/// salesperson" group.
fn activate_module(venv: &Path, config: &Path, database: &str) -> anyhow::Result<()> {
    run(
        Command::new(venv.join("bin/trytond-admin"))
            .arg("--config")
            .arg(config)
            .args(["--database", database])
            .args(["--update", "fieldbook", "--activate-dependencies"]),
        "activating Fieldbook's Tryton module",
    )?;
    run(
        Command::new(venv.join("bin/python"))
            .arg(tryton_dir().join("grant_salesperson.py"))
            .arg("--config")
            .arg(config)
            .args(["--database", database, SALES_LOGIN]),
        "giving the salesperson the Fieldbook salesperson group",
    )
}

fn install_module(venv: &Path) -> anyhow::Result<String> {
    let source = tryton_dir().join("modules/fieldbook");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&source)
        .with_context(|| format!("reading {}", source.display()))?
        .flatten()
        .map(|entry| entry.path())
        .filter(|path| path.is_file())
        .collect();
    files.sort();
    let mut hasher = Sha256::new();
    for file in &files {
        hasher.update(file.file_name().expect("file name").as_encoded_bytes());
        hasher.update(std::fs::read(file)?);
    }
    let version = short_hex(hasher);
    let lib = venv.join("lib");
    let python = std::fs::read_dir(&lib)
        .with_context(|| format!("reading {}", lib.display()))?
        .flatten()
        .find(|entry| entry.file_name().to_string_lossy().starts_with("python"))
        .with_context(|| format!("no python folder in {}", lib.display()))?;
    let target = python
        .path()
        .join("site-packages/trytond/modules/fieldbook");
    let stamp = target.join(".fieldbook-version");
    if std::fs::read_to_string(&stamp).is_ok_and(|found| found == version) {
        return Ok(version);
    }
    let _lock = exclusive(&cache_dir().join("module.lock"))?;
    if std::fs::read_to_string(&stamp).is_ok_and(|found| found == version) {
        return Ok(version);
    }
    if target.exists() {
        std::fs::remove_dir_all(&target)?;
    }
    std::fs::create_dir_all(&target)?;
    for file in &files {
        std::fs::copy(file, target.join(file.file_name().expect("file name")))?;
    }
    std::fs::write(&stamp, &version)?;
    Ok(version)
}

/// Removes templates named `prefix…` other than `current` (and whatever was
/// built on them): they can never be used again, and the benchmark's are
/// large.
fn remove_stale(prefix: &str, current: &Path) {
    let Ok(entries) = std::fs::read_dir(cache_dir()) else {
        return;
    };
    let current_name = current
        .file_name()
        .expect("template name")
        .to_string_lossy()
        .to_string();
    for entry in entries.flatten() {
        let path = entry.path();
        let name = entry.file_name().to_string_lossy().to_string();
        let built_on_current = name.starts_with(&format!("{current_name}-"));
        if name.starts_with(prefix) && path.is_dir() && path != current && !built_on_current {
            // Another process may hold it open; a failed removal only costs disk.
            let _ = std::fs::remove_dir_all(&path);
            let _ = std::fs::remove_file(path.with_extension("lock"));
        }
    }
}

pub(crate) fn run(command: &mut Command, what: &str) -> anyhow::Result<()> {
    let output = command
        .stdin(Stdio::null())
        .output()
        .with_context(|| format!("{what}: cannot start {command:?}"))?;
    if !output.status.success() {
        bail!(
            "{what} failed ({}):\n{}\n{}",
            output.status,
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
    }
    Ok(())
}

fn write_config(dir: &Path, port: Option<u16>) -> anyhow::Result<PathBuf> {
    let mut text = format!("[database]\nuri = sqlite://\npath = {}\n", dir.display());
    if let Some(port) = port {
        text.push_str(&format!("[web]\nlisten = 127.0.0.1:{port}\n"));
    }
    let path = dir.join("trytond.conf");
    std::fs::write(&path, text)?;
    Ok(path)
}

/// A Tryton configuration for the test cluster, as the README tells an
/// administrator to run several workers: `clean_timeout = 0` makes each
/// worker learn of a change to cached data (a user's groups, a module's
/// settings) at once, through PostgreSQL's LISTEN/NOTIFY, instead of up to
/// five minutes later (Tryton's default).
fn write_postgres_config(dir: &Path, cluster: &postgres::Cluster) -> anyhow::Result<PathBuf> {
    let path = dir.join("trytond.conf");
    std::fs::write(
        &path,
        format!(
            "[database]\nuri = {}\n\n[cache]\nclean_timeout = 0\n",
            cluster.tryton_uri()
        ),
    )?;
    Ok(path)
}

pub(crate) fn free_port() -> anyhow::Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

/// A running Tryton with its own copy of a seeded database. Stopped (and
/// its database removed) when dropped.
pub struct TrytonServer {
    dir: tempfile::TempDir,
    port: u16,
    venv: PathBuf,
    child: Option<Child>,
    backend: Backend,
    database: String,
    /// gunicorn's worker processes (PostgreSQL only).
    workers: u32,
}

impl TrytonServer {
    /// Starts Tryton on SQLite on a free port with a fresh copy of
    /// `dataset`, with Fieldbook's Tryton module activated.
    pub fn start(dataset: Dataset) -> anyhow::Result<TrytonServer> {
        TrytonServer::start_on(Backend::Sqlite, dataset)
    }

    /// Starts Tryton on `backend` with a fresh copy of `dataset`, with
    /// Fieldbook's Tryton module activated.
    pub fn start_on(backend: Backend, dataset: Dataset) -> anyhow::Result<TrytonServer> {
        match backend {
            Backend::Sqlite => TrytonServer::start_from(ensure_template(dataset)?),
            Backend::Postgres => {
                TrytonServer::start_on_cluster(&ensure_postgres_template(dataset, true)?, WORKERS)
            }
        }
    }

    /// Starts Tryton on PostgreSQL under gunicorn with `workers` worker
    /// processes (the fleet benchmark sizes the server).
    pub fn start_on_postgres_with(dataset: Dataset, workers: u32) -> anyhow::Result<TrytonServer> {
        TrytonServer::start_on_cluster(&ensure_postgres_template(dataset, true)?, workers)
    }

    /// Starts Tryton on SQLite with `dataset` as Tryton's own modules
    /// leave it, without Fieldbook's module.
    pub fn start_without_module(dataset: Dataset) -> anyhow::Result<TrytonServer> {
        TrytonServer::start_from(ensure_seeded(dataset)?)
    }

    fn start_from(template: PathBuf) -> anyhow::Result<TrytonServer> {
        let venv = ensure_venv()?;
        let dir = tempfile::Builder::new()
            .prefix("fieldbook-tryton-")
            .tempdir()?;
        std::fs::copy(&template, dir.path().join(format!("{DATABASE}.sqlite")))?;
        let mut server = TrytonServer {
            dir,
            port: free_port()?,
            venv,
            child: None,
            backend: Backend::Sqlite,
            database: DATABASE.to_owned(),
            workers: 1,
        };
        server.resume()?;
        Ok(server)
    }

    fn start_on_cluster(template: &str, workers: u32) -> anyhow::Result<TrytonServer> {
        use std::sync::atomic::{AtomicU32, Ordering};
        static SERVERS: AtomicU32 = AtomicU32::new(0);
        let venv = ensure_venv()?;
        let cluster = postgres::cluster()?;
        let database = format!(
            "{SERVER_DATABASE_PREFIX}{}_{}",
            std::process::id(),
            SERVERS.fetch_add(1, Ordering::SeqCst)
        );
        cluster.copy_database(template, &database)?;
        let dir = tempfile::Builder::new()
            .prefix("fieldbook-tryton-")
            .tempdir()?;
        let mut server = TrytonServer {
            dir,
            port: free_port()?,
            venv,
            child: None,
            backend: Backend::Postgres,
            database,
            workers,
        };
        server.resume()?;
        Ok(server)
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// The process id of the server: trytond's, or gunicorn's master
    /// (its workers are its children). None while stopped.
    pub fn process_id(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }

    /// The address to give Fieldbook, e.g. `http://127.0.0.1:41234/`.
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}/", self.port)
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn database(&self) -> &str {
        &self.database
    }

    /// The folder holding the database file and the server's log.
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// A configuration for the salesperson's login.
    pub fn sales_config(&self) -> TrytonConfig {
        self.config(SALES_LOGIN, SALES_PASSWORD)
    }

    pub fn config(&self, login: &str, password: &str) -> TrytonConfig {
        TrytonConfig::new(self.url(), &self.database, login, password)
    }

    /// A session as the administrator, to change data as Tryton's users would.
    pub async fn admin(&self) -> anyhow::Result<RawSession> {
        Ok(RawSession::connect(self.config(ADMIN_LOGIN, ADMIN_PASSWORD)).await?)
    }

    /// Starts `python/script` of Tryton's virtualenv on this server's
    /// database, as an administrator's script would run beside the
    /// server: its arguments are the server's configuration file, the
    /// database's name, then `args`.
    pub fn python(&self, script: &str, args: &[&str]) -> anyhow::Result<Child> {
        Command::new(self.venv.join("bin/python"))
            .arg("-c")
            .arg(script)
            .arg(self.dir.path().join("trytond.conf"))
            .arg(&self.database)
            .args(args)
            .stdin(Stdio::null())
            .spawn()
            .context("starting a Tryton script")
    }

    /// A second salesperson, `login`, with the seeded salesperson's
    /// groups, company and employee but without the "Fieldbook
    /// salesperson" group: the ERP user a company gives a salesperson before
    /// its administrator follows Fieldbook's README. Returns its
    /// configuration (password: the seeded salesperson's).
    pub async fn salesperson_without_fieldbook_group(
        &self,
        login: &str,
    ) -> anyhow::Result<TrytonConfig> {
        let mut made = self.salespeople(&[login.to_owned()], false).await?;
        Ok(made.remove(0))
    }

    /// More salespeople, one ERP user per login, each with the seeded
    /// salesperson's groups (without "Fieldbook salesperson" unless
    /// `fieldbook_group`), company and employee, made in one request.
    /// Returns their configurations (password: the seeded salesperson's).
    pub async fn salespeople(
        &self,
        logins: &[String],
        fieldbook_group: bool,
    ) -> anyhow::Result<Vec<TrytonConfig>> {
        let admin = self.admin().await?;
        let group = self.fieldbook_group(&admin).await?;
        let context = admin.context().clone();
        let seeded = admin
            .call(
                "model.res.user.search_read",
                serde_json::json!([
                    [["login", "=", SALES_LOGIN]],
                    0,
                    1,
                    null,
                    ["groups", "companies", "company", "employees", "employee"],
                    context
                ]),
            )
            .await?;
        let seeded = &seeded[0];
        let groups: Vec<i64> = seeded["groups"]
            .as_array()
            .context("the salesperson's groups")?
            .iter()
            .filter_map(serde_json::Value::as_i64)
            .filter(|id| fieldbook_group || *id != group)
            .collect();
        let users: Vec<serde_json::Value> = logins
            .iter()
            .map(|login| {
                serde_json::json!({
                    "name": format!("Salesperson {login}"),
                    "login": login,
                    "password": SALES_PASSWORD,
                    "groups": [["add", groups]],
                    "companies": [["add", seeded["companies"]]],
                    "company": seeded["company"],
                    "employees": [["add", seeded["employees"]]],
                    "employee": seeded["employee"],
                })
            })
            .collect();
        admin
            .call("model.res.user.create", serde_json::json!([users, context]))
            .await?;
        Ok(logins
            .iter()
            .map(|login| self.config(login, SALES_PASSWORD))
            .collect())
    }

    /// Gives ERP user `login` the "Fieldbook salesperson" group, as the
    /// administrator does in the Tryton client.
    pub async fn give_fieldbook_group(&self, login: &str) -> anyhow::Result<()> {
        let admin = self.admin().await?;
        let group = self.fieldbook_group(&admin).await?;
        let context = admin.context().clone();
        let ids = admin
            .call(
                "model.res.user.search",
                serde_json::json!([[["login", "=", login]], 0, 1, null, context]),
            )
            .await?;
        admin
            .call(
                "model.res.user.write",
                serde_json::json!([ids, {"groups": [["add", [group]]]}, context]),
            )
            .await?;
        Ok(())
    }

    /// The group's id, found by its name as the module creates it
    /// (`ir.model.data` is not open to JSON-RPC).
    async fn fieldbook_group(&self, admin: &RawSession) -> anyhow::Result<i64> {
        let found = admin
            .call(
                "model.res.group.search",
                serde_json::json!([
                    [["name", "=", "Fieldbook salesperson"]],
                    0,
                    null,
                    null,
                    admin.context().clone()
                ]),
            )
            .await?;
        match found.as_array().map(Vec::as_slice) {
            Some([id]) => id.as_i64().context("a group id"),
            _ => bail!(
                "expected one Fieldbook salesperson group (is Fieldbook's module activated?), found {found}"
            ),
        }
    }

    /// Stops the server (the ERP goes down; its data stays): every
    /// process of it, gunicorn's workers with their master.
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            if let Ok(group) = i32::try_from(child.id()) {
                // SAFETY: kill has no memory effects; the group is the
                // server's own (process_group(0) at spawn).
                unsafe { libc::kill(-group, libc::SIGKILL) };
            }
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts the server again on the same port with the same data.
    pub fn resume(&mut self) -> anyhow::Result<()> {
        use std::os::unix::process::CommandExt;
        if self.child.is_some() {
            return Ok(());
        }
        let log = File::create(self.dir.path().join("trytond.log"))?;
        let mut command = match self.backend {
            Backend::Sqlite => {
                let config = write_config(self.dir.path(), Some(self.port))?;
                let mut command = Command::new(self.venv.join("bin/trytond"));
                command
                    .arg("-c")
                    .arg(&config)
                    // Load the database at start: trytond 8.2 answers the
                    // first login on a database it has not loaded with
                    // KeyError 'res.user'.
                    .args(["-d", &self.database]);
                command
            }
            Backend::Postgres => {
                let config = write_postgres_config(self.dir.path(), postgres::cluster()?)?;
                let mut command = Command::new(self.venv.join("bin/gunicorn"));
                command
                    .args(["--workers", &self.workers.to_string()])
                    .args(["--bind", &format!("127.0.0.1:{}", self.port)])
                    .args(["--timeout", "120"])
                    .arg("trytond.application:app")
                    .env("TRYTOND_CONFIG", &config)
                    // Each worker loads the database before it serves.
                    .env("TRYTOND_DATABASE_NAMES", &self.database);
                command
            }
        };
        let child = command
            .process_group(0)
            .stdin(Stdio::null())
            .stdout(log.try_clone()?)
            .stderr(log)
            .spawn()
            .context("starting Tryton")?;
        self.child = Some(child);
        self.wait_ready()
    }

    fn wait_ready(&mut self) -> anyhow::Result<()> {
        // Loading the database takes seconds alone, far longer on a machine
        // busy with other servers and builds: this is a deadline, not a wait.
        let deadline = Instant::now() + STARTUP_DEADLINE;
        let address = format!("127.0.0.1:{}", self.port);
        loop {
            if let Some(child) = self.child.as_mut()
                && let Some(status) = child.try_wait()?
            {
                let log = std::fs::read_to_string(self.dir.path().join("trytond.log"))
                    .unwrap_or_default();
                bail!("trytond exited ({status}) while starting:\n{log}");
            }
            if std::net::TcpStream::connect(&address).is_ok() {
                return Ok(());
            }
            if Instant::now() > deadline {
                bail!(
                    "trytond did not listen on {address} within {} s",
                    STARTUP_DEADLINE.as_secs()
                );
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for TrytonServer {
    fn drop(&mut self) {
        self.stop();
        if self.backend == Backend::Postgres
            && let Ok(cluster) = postgres::cluster()
            && let Err(error) = cluster.drop_database(&self.database)
        {
            // Dropped at the cluster's next start otherwise.
            eprintln!("fieldbook-testkit: {error:#}");
        }
    }
}
