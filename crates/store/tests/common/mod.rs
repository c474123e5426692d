//! Test support: a throwaway PostgreSQL cluster (initdb + pg_ctl on a free port in a temp dir, stopped
//! on drop), and fresh databases on it or on SQLite.
//!
//! PostgreSQL binaries are looked up on PATH, then under /usr/lib/postgresql/*/bin. When none is found
//! the PostgreSQL tests print a loud SKIPPED line, or fail when `CI` is set. initdb refuses to run as
//! root, so as root the cluster runs as `nobody` (via `runuser`), in a directory it owns.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};

/// A running throwaway cluster.
pub struct PgCluster {
    dir: tempfile::TempDir,
    bin: PathBuf,
    pub port: u16,
    as_nobody: bool,
    counter: AtomicUsize,
}

fn find_bin() -> Option<PathBuf> {
    // An explicit directory is used as given: when it holds no initdb, PostgreSQL counts as missing.
    if let Ok(dir) = std::env::var("ORIGIN_AUDIT_PG_BIN") {
        let dir = PathBuf::from(dir);
        return dir.join("initdb").is_file().then_some(dir);
    }
    if let Some(paths) = std::env::var_os("PATH") {
        for p in std::env::split_paths(&paths) {
            if p.join("initdb").is_file() && p.join("pg_ctl").is_file() {
                return Some(p);
            }
        }
    }
    let mut found: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path().join("bin"))
        .filter(|b| b.join("initdb").is_file())
        .collect();
    found.sort();
    found.pop()
}

fn is_root() -> bool {
    Command::new("id").arg("-u").output().map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0").unwrap_or(false)
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

impl PgCluster {
    /// Starts a cluster, or returns None after a loud SKIPPED line (panics under CI).
    pub fn start_or_skip(test: &str) -> Option<PgCluster> {
        let Some(bin) = find_bin() else {
            let msg = "PostgreSQL server binaries (initdb, pg_ctl) not found in $ORIGIN_AUDIT_PG_BIN, on PATH or under /usr/lib/postgresql/*/bin";
            if std::env::var_os("CI").is_some() {
                panic!(
                    "{test}: {msg}; CI must run the PostgreSQL tests (install postgresql, or set ORIGIN_AUDIT_PG_BIN)"
                );
            }
            eprintln!("\n!!!!!!!! SKIPPED {test} on PostgreSQL: {msg} !!!!!!!!\n");
            return None;
        };
        Some(PgCluster::start(bin))
    }

    fn cmd(&self, program: &Path) -> Command {
        if self.as_nobody {
            let mut c = Command::new("runuser");
            c.args(["-u", "nobody", "--"]).arg(program);
            c
        } else {
            Command::new(program)
        }
    }

    fn start(bin: PathBuf) -> PgCluster {
        let dir = tempfile::Builder::new().prefix("origin-pg-").tempdir().unwrap();
        let as_nobody = is_root();
        if as_nobody {
            let ok = Command::new("chown").args(["-R", "nobody"]).arg(dir.path()).status().unwrap().success();
            assert!(ok, "chown of the cluster directory failed");
        }
        let port = free_port();
        let c = PgCluster { dir, bin, port, as_nobody, counter: AtomicUsize::new(0) };
        let data = c.dir.path().join("data");
        let out = c
            .cmd(&c.bin.join("initdb"))
            .arg("-D")
            .arg(&data)
            .args(["-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync"])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "initdb failed: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        let opts = format!(
            "-p {port} -k {} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=100",
            c.dir.path().display()
        );
        let out = c
            .cmd(&c.bin.join("pg_ctl"))
            .arg("-D")
            .arg(&data)
            .arg("-l")
            .arg(c.dir.path().join("log"))
            .args(["-w", "-t", "60", "-o", &opts, "start"])
            .output()
            .unwrap();
        let log = std::fs::read_to_string(c.dir.path().join("log")).unwrap_or_default();
        assert!(
            out.status.success(),
            "pg_ctl start failed: {}{}\n{log}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        eprintln!("PostgreSQL test cluster on 127.0.0.1:{port} ({})", c.bin.display());
        c
    }

    /// The URL of the `postgres` maintenance database.
    pub fn admin_url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }

    /// A fresh, empty database; returns its URL.
    pub async fn fresh_db(&self) -> String {
        use sqlx::Connection;
        let n = self.counter.fetch_add(1, Ordering::SeqCst);
        let name = format!("t{n}_{}", std::process::id());
        let mut c = sqlx::PgConnection::connect(&self.admin_url()).await.unwrap();
        sqlx::query(&format!("CREATE DATABASE {name}")).execute(&mut c).await.unwrap();
        c.close().await.unwrap();
        format!("postgres://postgres@127.0.0.1:{}/{name}", self.port)
    }
}

impl Drop for PgCluster {
    fn drop(&mut self) {
        let _ = self
            .cmd(&self.bin.join("pg_ctl"))
            .arg("-D")
            .arg(self.dir.path().join("data"))
            .args(["-m", "immediate", "-w", "stop"])
            .output();
    }
}

/// The repository root.
pub fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").canonicalize().unwrap()
}

/// A copy of the demo batch (batch.yaml and its BOM files) in `dir`; returns the batch path.
pub fn demo_copy(dir: &Path) -> PathBuf {
    let src = repo().join("fixtures/demo");
    for e in std::fs::read_dir(&src).unwrap() {
        let p = e.unwrap().path();
        if p.is_file() {
            std::fs::copy(&p, dir.join(p.file_name().unwrap())).unwrap();
        }
    }
    dir.join("batch.yaml")
}

/// The scenarios of a test file, each an `async fn NAME(db: String, work: PathBuf)`, on both backends:
/// on SQLite one test each (in `mod sqlite`, each with a fresh database file and work directory); on
/// PostgreSQL one test, `$pg`, that runs them one after the other on a throwaway cluster, each on a
/// fresh database, then the `postgres_only` ones.
#[macro_export]
macro_rules! scenarios_on_both {
    ($pg:ident, $label:literal, [$($name:ident),* $(,)?] $(, postgres_only: [$($only:ident),* $(,)?])? $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    let dir = tempfile::tempdir().unwrap();
                    let db = dir.path().join("audit.db").display().to_string();
                    let work = dir.path().join("work");
                    std::fs::create_dir_all(&work).unwrap();
                    super::$name(db, work).await;
                }
            )*
        }

        /// Every scenario on a throwaway PostgreSQL cluster, each on a fresh database.
        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn $pg() {
            let Some(cluster) = $crate::common::PgCluster::start_or_skip($label) else { return };
            $(
                let dir = tempfile::tempdir().unwrap();
                let db = cluster.fresh_db().await;
                eprintln!("postgres: {}", stringify!($name));
                $name(db, dir.path().to_path_buf()).await;
            )*
            $($(
                let dir = tempfile::tempdir().unwrap();
                eprintln!("postgres: {}", stringify!($only));
                $only(cluster.fresh_db().await, dir.path().to_path_buf()).await;
            )*)?
        }
    };
}
