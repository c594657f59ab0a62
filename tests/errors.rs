//! The common errors, pinned to the exact line on standard error: the file,
//! what went wrong, what to do — each fact once, no OS error numbers, no
//! internal temp-file names.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::oracle;
use crate::test::Test;

#[test]
fn missing_certificate_file() {
    Test::new()
        .file("clientcerts", "")
        .args(["--map", "clientcerts", "add", "nosuch.pem"])
        .status(1)
        .stderr("ccert: error: nosuch.pem: cannot read: no such file or directory\n")
        .run();
}

#[test]
fn not_a_certificate() {
    Test::new()
        .fixture("key.pem")
        .file("clientcerts", "")
        .args(["--map", "clientcerts", "add", "key.pem"])
        .status(1)
        .stderr(
            "ccert: error: key.pem: no certificate found; expected a PEM or DER certificate, \
             a PKCS#7 bundle or a PKCS#12 file (the file holds only: PRIVATE KEY); a key is \
             not a certificate: give the certificate file\n",
        )
        .run();
}

#[test]
fn unknown_map_type_suggests_the_near_one() {
    Test::new()
        .file("clientcerts", "")
        .args(["compile", "hahs:clientcerts"])
        .status(1)
        .stderr("ccert: error: unknown map type 'hahs' (did you mean hash?)\n")
        .run();
    Test::new()
        .file("clientcerts", "")
        .args(["compile", "btree:clientcerts"])
        .status(1)
        .stderr(
            "ccert: error: btree:clientcerts: unsupported map type 'btree': ccert writes hash, \
             lmdb, cdb and sqlite; name the type with -t TYPE or TYPE:FILE\n",
        )
        .run();
}

#[test]
fn bad_digest_and_any_case() {
    Test::new()
        .fixture("rsa.pem")
        .args(["fingerprint", "--digest", "sha3", "rsa.pem"])
        .status(1)
        .stderr(
            "ccert: error: invalid value 'sha3' for '--digest <DIGEST>': use md5, sha1, sha224, \
             sha256, sha384, sha512 (did you mean sha384?)\n",
        )
        .run();
    Test::new()
        .fixture("rsa.pem")
        .args([
            "fingerprint",
            "--digest",
            "SHA256",
            "-f",
            "openssl",
            "rsa.pem",
        ])
        .stdout_contains("sha256 Fingerprint=1A:22:04:9F")
        .run();
}

#[test]
#[cfg_attr(ccert_missing = "util-linux", ignore = "needs util-linux")]
fn permission_denied_reading_and_writing() {
    use std::os::unix::fs::PermissionsExt as _;
    let Some(wrapper) = oracle::unprivileged() else {
        return;
    };
    let t = Test::new().fixture("rsa.pem").file("clientcerts", "");
    let dir = t.dir().to_path_buf();
    // Others may enter the scratch directory, not write in it.
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
    std::fs::set_permissions(dir.join("rsa.pem"), std::fs::Permissions::from_mode(0o600)).unwrap();
    std::fs::set_permissions(
        dir.join("postfix-config"),
        std::fs::Permissions::from_mode(0o755),
    )
    .ok();
    let t = t
        .wrapped(&wrapper)
        .args([
            "--map",
            "clientcerts",
            "add",
            "--no-compile",
            "-d",
            "sha256",
            "rsa.pem",
        ])
        .status(1)
        .stderr(
            "ccert: error: rsa.pem: cannot read: permission denied \
             (run as root or as the owner of the file)\n",
        )
        .run();
    std::fs::set_permissions(dir.join("rsa.pem"), std::fs::Permissions::from_mode(0o644)).unwrap();
    Test::new()
        .fixture("rsa.pem")
        .file("clientcerts", "")
        .wrapped(&wrapper)
        .args(["--map", &dir.join("clientcerts").display().to_string()])
        .args([
            "add",
            "--no-compile",
            "-d",
            "sha256",
            &dir.join("rsa.pem").display().to_string(),
        ])
        .status(1)
        // Nothing says "added" before the write that adds succeeded.
        .stdout("")
        // The certificate copy is written first (crash ordering), so it is what fails.
        .stderr(format!(
            "ccert: error: {}: keeping a copy of {} for rehash: permission denied \
             (run as root or as the owner of the file)\n",
            dir.join("clientcerts.d").display(),
            dir.join("rsa.pem").display()
        ))
        .run();
    drop(t);
}

/// A small tmpfs, unmounted on drop; `None` (with the reason printed) where
/// mounting is not allowed, unless CCERT_INTEROP=1.
struct Tmpfs {
    point: PathBuf,
    // Removed (after the unmount in Drop) when the Tmpfs goes.
    _dir: tempfile::TempDir,
}

impl Tmpfs {
    fn mount(test: &str) -> Option<Self> {
        oracle::require_root(test);
        let dir = tempfile::tempdir().unwrap();
        let point = dir.path().join("fs");
        std::fs::create_dir(&point).unwrap();
        let ok = Command::new("mount")
            .args(["-t", "tmpfs", "-o", "size=256k,mode=0755", "tmpfs"])
            .arg(&point)
            .status()
            .is_ok_and(|s| s.success());
        if !ok {
            assert!(
                !oracle::interop_required(),
                "{test}: CCERT_INTEROP=1 but mounting a tmpfs failed"
            );
            eprintln!("skipping {test}: cannot mount a tmpfs here (needs root)");
            return None;
        }
        Some(Self { point, _dir: dir })
    }

    fn path(&self) -> &Path {
        &self.point
    }

    fn remount_read_only(&self) {
        let ok = Command::new("mount")
            .args(["-o", "remount,ro"])
            .arg(&self.point)
            .status()
            .unwrap();
        assert!(ok.success());
    }

    /// Fills the file system until it is full.
    fn fill(&self) {
        use std::io::Write as _;
        let mut f = std::fs::File::create(self.point.join("filler")).unwrap();
        let block = [0u8; 4096];
        while f.write_all(&block).is_ok() {}
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(&self.point).status();
    }
}

#[test]
#[cfg_attr(ccert_missing = "root", ignore = "needs root")]
fn no_space_left() {
    let Some(fs) = Tmpfs::mount("no_space_left") else {
        return;
    };
    let source = fs.path().join("clientcerts");
    std::fs::write(&source, "").unwrap();
    fs.fill();
    Test::new()
        .fixture("rsa.pem")
        .args(["--map", &source.display().to_string()])
        .args(["add", "--no-compile", "-d", "sha256", "rsa.pem"])
        .status(1)
        .stdout("")
        .stderr(format!(
            "ccert: error: {}.d: keeping a copy of rsa.pem for rehash: no space left on device \
             (free some space and run again)\n",
            source.display()
        ))
        .run();
    assert_eq!(std::fs::read(&source).unwrap(), b"");
}

#[test]
#[cfg_attr(ccert_missing = "root", ignore = "needs root")]
fn read_only_file_system() {
    let Some(fs) = Tmpfs::mount("read_only_file_system") else {
        return;
    };
    let source = fs.path().join("clientcerts");
    std::fs::write(&source, "").unwrap();
    fs.remount_read_only();
    Test::new()
        .fixture("rsa.pem")
        .args(["--map", &source.display().to_string()])
        .args(["add", "--no-compile", "-d", "sha256", "rsa.pem"])
        .status(1)
        .stderr(format!(
            "ccert: error: {}.d: keeping a copy of rsa.pem for rehash: read-only file system \
             (remount it read-write or use a file elsewhere)\n",
            source.display()
        ))
        .run();
}

#[test]
fn add_with_another_digest_than_the_server_warns_or_refuses() {
    let main = "compatibility_level = 3.6\nsmtpd_tls_fingerprint_digest = sha256\n";
    let warning = "ccert: warning: the server compares sha256 fingerprints \
                   (smtpd_tls_fingerprint_digest), so a md5 entry can never match";
    Test::new()
        .fixture("rsa.pem")
        .file("postfix-config/main.cf", main)
        .file("clientcerts", "")
        .args([
            "--map",
            "clientcerts",
            "add",
            "--no-compile",
            "-d",
            "md5",
            "rsa.pem",
        ])
        .stderr(format!("{warning}; adding it anyway (--strict refuses)\n"))
        .run();
    Test::new()
        .fixture("rsa.pem")
        .file("postfix-config/main.cf", main)
        .file("clientcerts", "")
        .args([
            "--map",
            "clientcerts",
            "add",
            "--strict",
            "--no-compile",
            "-d",
            "MD5",
            "rsa.pem",
        ])
        .status(1)
        .stderr(format!(
            "ccert: error: {}; use --digest sha256\n",
            warning.strip_prefix("ccert: warning: ").unwrap()
        ))
        .run();
}
