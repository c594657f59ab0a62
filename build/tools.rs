// The tools the integration tests compare ccert with, and where they are
// looked for: one list, included by build.rs (which marks a test needing a
// missing one `ignored`) and by tests/oracle.rs (which fails a test that runs
// without the tool it looks up, and tests/tool_skips.rs checks every lookup
// against this list).

/// The Debian package and the programs of it the tests run. A test that
/// looks a program up carries
/// `#[cfg_attr(ccert_missing = "PACKAGE", ignore = "needs PACKAGE")]`.
pub const TOOLS: &[(&str, &[&str])] = &[
    ("postfix", &["postconf", "postmap", "postfix"]),
    ("swaks", &["swaks"]),
    ("db5.3-util", &["db5.3_verify", "db5.3_load"]),
    ("lmdb-utils", &["mdb_stat"]),
    ("openssl", &["openssl"]),
    ("sqlite3", &["sqlite3"]),
    ("groff", &["groff"]),
    ("postgresql", &["initdb", "pg_ctl"]),
    (
        "systemd-journal-remote",
        &["systemd-journal-remote", "journalctl"],
    ),
    ("python3", &["python3"]),
    ("util-linux", &["setpriv", "runuser"]),
    ("bsdutils", &["script"]),
    ("binutils", &["objdump"]),
    ("rpm", &["rpm"]),
    ("lintian", &["lintian"]),
    ("debootstrap", &["debootstrap"]),
    // From PyPI into a venv whose bin/ is on PATH (.ci/run).
    ("ansible-core", &["ansible-playbook"]),
];

/// Postfix map types that come as a package of their own (a dynamicmaps
/// plugin): the package and the type `postconf -m` lists when it is there.
pub const MAP_TYPES: &[(&str, &str)] = &[("postfix-pgsql", "pgsql")];

/// Python modules from PyPI the tests use (.ci/run installs them), by the
/// package name and the module to import.
pub const PYTHON_MODULES: &[(&str, &str)] = &[("prometheus-client", "prometheus_client")];

/// Not a tool but a condition, marked the same way: the tests run as root
/// (a throwaway Postfix, tmpfs mounts, chroots). build.rs marks
/// `ccert_missing = "root"` when the build does not run as root; the tests
/// are run by the user who builds them.
pub const ROOT: &str = "root";

/// Where Debian installs the PostgreSQL server programs (not on PATH).
pub const POSTGRESQL: &str = "/usr/lib/postgresql";

/// The package of `program`, as [`TOOLS`] names it.
pub fn package_of(program: &str) -> Option<&'static str> {
    TOOLS
        .iter()
        .find(|(_, programs)| programs.contains(&program))
        .map(|(package, _)| *package)
}

/// `program` on PATH, in /usr/sbin or /sbin (postmap lives there), for
/// PostgreSQL in a version directory under /usr/lib/postgresql, for
/// systemd's helpers in /lib/systemd.
pub fn find(program: &str) -> Option<std::path::PathBuf> {
    use std::path::PathBuf;
    let path = std::env::var_os("PATH").unwrap_or_default();
    let versions = std::fs::read_dir(POSTGRESQL)
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path().join("bin"));
    std::env::split_paths(&path)
        .chain([PathBuf::from("/usr/sbin"), PathBuf::from("/sbin")])
        .chain(versions)
        .chain([PathBuf::from("/lib/systemd")])
        .map(|dir| dir.join(program))
        .find(|p| p.is_file())
}
