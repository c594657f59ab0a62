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
use std::process::{Command, Output, Stdio};

use crate::oracle;
use crate::test::{ccert_bin, fixtures};

const TYPES: [&str; 4] = ["hash", "lmdb", "cdb", "sqlite"];

/// A tmpfs mounted on a temp directory; unmounted on drop.
struct Tmpfs {
    dir: tempfile::TempDir,
}

impl Tmpfs {
    /// Mounts `size` bytes of tmpfs, or `None` after printing why not.
    fn mount(test: &str, size: usize) -> Option<Tmpfs> {
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

fn ccert(dir: &Path, args: &[&str]) -> Output {
    Command::new(ccert_bin())
        .current_dir(dir)
        .env("MAIL_CONFIG", dir.join("no-postfix-config"))
        .env_remove("CCERT_INTEROP")
        .args(args)
        .stdin(Stdio::null())
        .output()
        .unwrap()
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

/// Asserts a clean failure: exit 1, one line on stderr containing `what`,
/// nothing on stdout, and no temp or journal file beside the table.
fn assert_failed(out: &Output, what: &str, dir: &Path, before: &[String], label: &str) {
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{label}: {stderr}");
    assert!(
        stderr.contains(what) && stderr.lines().count() == 1,
        "{label}: expected one line saying {what:?}, got:\n{stderr}"
    );
    assert!(
        out.stdout.is_empty(),
        "{label}: said {:?}",
        String::from_utf8_lossy(&out.stdout)
    );
    assert_eq!(names(dir), before, "{label}: files left behind");
}

#[test]
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
        let out = ccert(dir, &["compile", m]);
        assert!(
            out.status.success(),
            "{m}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
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
        let out = ccert(dir, &["compile", m]);
        assert_failed(
            &out,
            "no space left on device",
            dir,
            &before,
            &format!("full: {m}"),
        );
    }
    unchanged("full disk");
    let cert = fixtures().join("rsa.pem");
    let out = ccert(
        dir,
        &[
            "--map",
            "clientcerts",
            "add",
            cert.to_str().unwrap(),
            "--name",
            "new",
        ],
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "add on a full disk: {stderr}");
    assert!(
        stderr.to_lowercase().contains("no space left") && stderr.lines().count() == 1,
        "add on a full disk: {stderr}"
    );
    assert!(
        out.stdout.is_empty(),
        "add said {:?}",
        String::from_utf8_lossy(&out.stdout)
    );
    // The certificate store directory may have been created (empty).
    let _ = fs::remove_dir(dir.join("clientcerts.d"));
    assert_eq!(names(dir), before, "add on a full disk left files");
    unchanged("add on a full disk");
    fs::remove_file(dir.join("filler")).unwrap();

    // 2. Read-only filesystem.
    fs_.remount("ro");
    let before = names(dir);
    for m in &maps {
        let out = ccert(dir, &["compile", m]);
        assert_failed(
            &out,
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
            let out = Command::new(&runuser)
                .args(["-u", "nobody", "--"])
                .arg(ccert_bin())
                .args(["compile", m])
                .current_dir(dir)
                .env("MAIL_CONFIG", dir.join("no-postfix-config"))
                .stdin(Stdio::null())
                .output()
                .unwrap();
            assert_failed(
                &out,
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
            let out = Command::new(runuser.as_ref().unwrap())
                .args(["-u", "postfix", "--"])
                .arg(ccert_bin())
                .args(["query", &key, m])
                .current_dir(dir)
                .env("MAIL_CONFIG", dir.join("no-postfix-config"))
                .stdin(Stdio::null())
                .output()
                .unwrap();
            assert_eq!(
                String::from_utf8_lossy(&out.stdout),
                "host0.example\n",
                "{m} as postfix: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        let out = ccert(dir, &["query", &key, m]);
        assert_eq!(
            String::from_utf8_lossy(&out.stdout),
            "host0.example\n",
            "{m}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}
