//! A full disk, a read-only filesystem and a denied directory, for every
//! table type (issue 9): ccert exits 1 with one line that says so, the old
//! table stays byte-identical and readable by others (the `postfix` user),
//! no temp or journal file is left, and `add` never says "added" when the
//! write failed.
//!
//! Runs on a small tmpfs mounted for the test (and always unmounted);
//! skipped with the reason where mounting is not allowed, a failure under
//! `CCERT_INTEROP=1`.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::oracle;
use crate::test::{Test, fixtures};

const TYPES: [&str; 4] = ["hash", "lmdb", "cdb", "sqlite"];

/// A tmpfs mounted on a temp directory; unmounted on drop.
struct Tmpfs {
    dir: tempfile::TempDir,
}

impl Tmpfs {
    /// Mounts `size` bytes of tmpfs, or `None` after printing why not.
    fn mount(test: &str, size: usize) -> Option<Tmpfs> {
        oracle::require_root(test);
        let dir = tempfile::tempdir().unwrap();
        let out = Command::new("mount")
            .args([
                "-t",
                "tmpfs",
                "-o",
                &format!("size={size},mode=0755"),
                "tmpfs",
            ])
            .arg(dir.path())
            .stdin(Stdio::null())
            .output();
        match out {
            Ok(o) if o.status.success() => Some(Tmpfs { dir }),
            other => {
                let why = match other {
                    Ok(o) => String::from_utf8_lossy(&o.stderr).trim().to_string(),
                    Err(e) => e.to_string(),
                };
                assert!(
                    !oracle::interop_required(),
                    "{test}: CCERT_INTEROP=1 but a tmpfs cannot be mounted: {why}"
                );
                eprintln!("skipping {test}: cannot mount a tmpfs ({why}); needs root");
                None
            }
        }
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    fn remount(&self, option: &str) {
        let ok = Command::new("mount")
            .args(["-o", &format!("remount,{option}")])
            .arg(self.path())
            .status()
            .is_ok_and(|s| s.success());
        assert!(ok, "remount {option} failed");
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(self.dir.path()).status();
    }
}

/// `ccert ARGS` in `dir`, with no Postfix configuration (and nothing
/// created in `dir` for one).
fn ccert(dir: &Path, args: &[&str]) -> Test {
    Test::at(dir)
        .config_dir(dir.join("no-postfix-config"))
        .args(args)
}

fn table_path(dir: &Path, kind: &str) -> PathBuf {
    let suffix = match kind {
        "hash" => "db",
        k => k,
    };
    dir.join(format!("clientcerts.{suffix}"))
}

/// Every name in `dir`, sorted.
fn names(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = fs::read_dir(dir)
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

/// Fills the filesystem of `dir` up to the last byte.
fn fill(dir: &Path) {
    use std::io::Write;
    let mut f = fs::File::create(dir.join("filler")).unwrap();
    let block = vec![0u8; 4096];
    while f.write_all(&block).is_ok() {}
    while f.write_all(&[0]).is_ok() {}
}

/// Runs `test` expecting a clean failure: exit 1, one line on stderr
/// containing `what`, nothing on stdout, and no temp or journal file beside
/// the table.
fn assert_failed(test: Test, what: &str, dir: &Path, before: &[String], label: &str) {
    let out = test
        .note(label)
        .status(1)
        .stdout("")
        .stderr_contains(what)
        .run();
    assert_eq!(
        out.stderr.lines().count(),
        1,
        "{label}: expected one line saying {what:?}, got:\n{}",
        out.stderr
    );
    assert_eq!(names(dir), before, "{label}: files left behind");
}

#[test]
#[cfg_attr(
    any(ccert_missing = "root", ccert_missing = "util-linux"),
    ignore = "needs root and util-linux"
)]
fn full_read_only_and_denied_filesystems_leave_tables_intact() {
    const TEST: &str = "full_disk";
    let Some(fs_) = Tmpfs::mount(TEST, 4 << 20) else {
        return;
    };
    let dir = fs_.path();
    let mut source = String::new();
    for i in 0..3000 {
        source.push_str(&format!("{:064x} host{i}.example\n", i * 7919 + 1));
    }
    fs::write(dir.join("clientcerts"), &source).unwrap();
    fs::set_permissions(dir.join("clientcerts"), fs::Permissions::from_mode(0o644)).unwrap();
    let maps: Vec<String> = TYPES.iter().map(|t| format!("{t}:clientcerts")).collect();
    for m in &maps {
        ccert(dir, &["compile", m]).run();
    }
    let tables: Vec<(PathBuf, Vec<u8>)> = TYPES
        .iter()
        .map(|t| {
            let p = table_path(dir, t);
            let bytes = fs::read(&p).unwrap();
            (p, bytes)
        })
        .collect();
    let source_bytes = fs::read(dir.join("clientcerts")).unwrap();
    let unchanged = |label: &str| {
        for (p, bytes) in &tables {
            assert!(
                fs::read(p).unwrap() == *bytes,
                "{label}: {} changed",
                p.display()
            );
            let mode = fs::metadata(p).unwrap().permissions().mode();
            assert!(
                mode & 0o004 != 0,
                "{label}: {} not readable by others",
                p.display()
            );
        }
        assert_eq!(fs::read(dir.join("clientcerts")).unwrap(), source_bytes);
    };

    // 1. Full disk.
    fill(dir);
    let before = names(dir);
    for m in &maps {
        assert_failed(
            ccert(dir, &["compile", m]),
            "no space left on device",
            dir,
            &before,
            &format!("full: {m}"),
        );
    }
    unchanged("full disk");
    let cert = fixtures().join("rsa.pem");
    ccert(
        dir,
        &[
            "--map",
            "clientcerts",
            "add",
            cert.to_str().unwrap(),
            "--name",
            "new",
        ],
    )
    .note("add on a full disk")
    .status(1)
    .stdout("")
    // The first write add makes is the certificate store's copy.
    .stderr(format!(
        "ccert: error: clientcerts.d: keeping a copy of {} for rehash: \
         no space left on device (free some space and run again)\n",
        cert.display()
    ))
    .run();
    // The certificate store directory may have been created (empty).
    let _ = fs::remove_dir(dir.join("clientcerts.d"));
    assert_eq!(names(dir), before, "add on a full disk left files");
    unchanged("add on a full disk");
    fs::remove_file(dir.join("filler")).unwrap();

    // 2. Read-only filesystem.
    fs_.remount("ro");
    let before = names(dir);
    for m in &maps {
        assert_failed(
            ccert(dir, &["compile", m]),
            "read-only file system",
            dir,
            &before,
            &format!("ro: {m}"),
        );
    }
    unchanged("read-only");
    fs_.remount("rw");

    // 3. Permission denied: an unprivileged user compiles in root's directory.
    if let Some(runuser) = oracle::find("runuser") {
        let before = names(dir);
        for m in &maps {
            let runuser = runuser.to_str().unwrap();
            assert_failed(
                ccert(dir, &["compile", m]).wrapped([runuser, "-u", "nobody", "--"]),
                "permission denied",
                dir,
                &before,
                &format!("denied: {m}"),
            );
        }
        unchanged("permission denied");
    } else {
        eprintln!("{TEST}: no runuser; the permission-denied case is skipped");
    }

    // The tables still read as before, also for the `postfix` user.
    let runuser = oracle::find("runuser");
    let as_postfix = runuser.is_some()
        && Command::new("id")
            .args(["-u", "postfix"])
            .stdout(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
    for m in &maps {
        let key = format!("{:064x}", 1);
        if as_postfix {
            let runuser = runuser.as_ref().unwrap().to_str().unwrap();
            ccert(dir, &["query", &key, m])
                .wrapped([runuser, "-u", "postfix", "--"])
                .note(format!("{m} as postfix"))
                .stdout("host0.example\n")
                .run();
        }
        ccert(dir, &["query", &key, m])
            .stdout("host0.example\n")
            .run();
    }
}
