//! The shipped artefacts (issue 13): the portable binary (`scripts/portable`)
//! and the packages built from it (`scripts/package`).
//!
//! - The binary asks for no glibc symbol newer than GLIBC_2.28 and runs in
//!   the Debian 11 chroot.
//! - The .deb installs with dpkg into a clean Debian 11 (an overlay on the
//!   cached bullseye chroot, so the cache stays untouched): `ccert
//!   --version`, `man ccert-add` and bash completion work there, and the
//!   zsh and fish completions are where those shells look.
//! - The .rpm holds the same files in the Fedora/RHEL places.
//!
//! The artefacts are built by .ci/run before the tests; a missing one skips
//! with a reason, or fails under `CCERT_INTEROP=1`.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::live::run_ok;
use crate::matrix_env::{self, chroots_dir, repo, skip};
use crate::oracle;
use crate::test::Test;

/// The newest package of `ext` in `dir` (relative to the repository).
fn package(dir: &str, ext: &str, test: &str) -> Option<PathBuf> {
    let newest = fs::read_dir(repo().join(dir))
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == ext))
        .max_by_key(|p| fs::metadata(p).and_then(|m| m.modified()).ok());
    match newest {
        Some(p) => Some(p),
        None => skip(
            test,
            &format!("no .{ext} in {dir}/ (build it with scripts/portable && scripts/package)"),
        ),
    }
}

/// The glibc symbol versions (`GLIBC_x.y`) `bin` needs, by `objdump -T`.
fn glibc_versions(bin: &Path) -> Vec<(u32, u32, String)> {
    let objdump = oracle::require("objdump", "matrix_packages").expect("objdump");
    let dump = run_ok(Command::new(objdump).arg("-T").arg(bin));
    let mut versions: Vec<(u32, u32, String)> = String::from_utf8_lossy(&dump.stdout)
        .split(|c: char| c.is_whitespace() || c == '(' || c == ')')
        .filter_map(|w| w.strip_prefix("GLIBC_"))
        .filter_map(|v| {
            let mut parts = v.split('.').map(|p| p.parse::<u32>().ok());
            Some((
                parts.next()??,
                parts.next().flatten().unwrap_or(0),
                v.to_string(),
            ))
        })
        .collect();
    versions.sort();
    versions.dedup();
    versions
}

#[test]
#[cfg_attr(
    any(
        ccert_missing = "binutils",
        ccert_missing = "debootstrap",
        ccert_missing = "postfix",
        ccert_missing = "root"
    ),
    ignore = "needs binutils, debootstrap, postfix and root"
)]
fn portable_binary_needs_glibc_2_28_and_runs_on_debian_11() {
    let test = "matrix_packages::portable_binary";
    let Some(bin) = matrix_env::portable(test) else {
        return;
    };
    let versions = glibc_versions(&bin);
    let newest = versions.last().expect("the binary links glibc");
    assert!(
        (newest.0, newest.1) <= (2, 28),
        "{} needs GLIBC_{}, newer than 2.28: {versions:?}",
        bin.display(),
        newest.2
    );
    let Some(bullseye) = matrix_env::chroot("bullseye", test) else {
        return;
    };
    let scratch = bullseye.scratch();
    let version = scratch.ccert_ok(&["--version"]);
    assert_eq!(version, format!("ccert {}\n", env!("CARGO_PKG_VERSION")));
}

/// An overlay mount of a cached chroot: writes go to a temporary upper
/// directory; [`Drop`] unmounts it, also when the test fails.
struct Overlay {
    merged: PathBuf,
    _dir: tempfile::TempDir,
}

impl Overlay {
    fn mount(lower: &Path) -> Overlay {
        let dir = tempfile::Builder::new()
            .prefix("ccert-overlay")
            .tempdir()
            .unwrap();
        for sub in ["upper", "work", "merged"] {
            fs::create_dir(dir.path().join(sub)).unwrap();
        }
        let merged = dir.path().join("merged");
        let options = format!(
            "lowerdir={},upperdir={},workdir={}",
            lower.display(),
            dir.path().join("upper").display(),
            dir.path().join("work").display()
        );
        run_ok(
            Command::new("mount")
                .args(["-t", "overlay", "overlay", "-o", &options])
                .arg(&merged),
        );
        Overlay { merged, _dir: dir }
    }

    fn run(&self, args: &[&str]) -> String {
        let out = run_ok(Command::new("chroot").arg(&self.merged).args(args));
        String::from_utf8_lossy(&out.stdout).into_owned()
    }
}

impl Drop for Overlay {
    fn drop(&mut self) {
        let status = Command::new("umount").arg(&self.merged).status();
        if !status.is_ok_and(|s| s.success()) {
            // Lazily, so the temporary directory can still go.
            let _ = Command::new("umount").arg("-l").arg(&self.merged).status();
        }
    }
}

#[test]
#[cfg_attr(
    any(
        ccert_missing = "debootstrap",
        ccert_missing = "postfix",
        ccert_missing = "root"
    ),
    ignore = "needs debootstrap, postfix and root"
)]
fn deb_installs_on_debian_11() {
    let test = "matrix_packages::deb_installs_on_debian_11";
    let Some(deb) = package("target/debian", "deb", test) else {
        return;
    };
    if matrix_env::chroot("bullseye", test).is_none() {
        return;
    }
    let overlay = Overlay::mount(&chroots_dir().join("bullseye"));
    fs::copy(&deb, overlay.merged.join("tmp/ccert.deb")).unwrap();
    overlay.run(&["dpkg", "-i", "/tmp/ccert.deb"]);

    // The installed ccert, found on PATH inside the chroot.
    Test::new()
        .in_chroot(&overlay.merged, "ccert")
        .arg("--version")
        .stdout(format!("ccert {}\n", env!("CARGO_PKG_VERSION")))
        .run();

    let page = overlay.run(&["man", "-w", "ccert-add"]);
    assert_eq!(page.trim(), "/usr/share/man/man1/ccert-add.1.gz");
    let text = run_ok(
        Command::new("chroot")
            .arg(&overlay.merged)
            .args(["man", "ccert-add"])
            .env("MANPAGER", "cat")
            .env("MANWIDTH", "80"),
    );
    let text = String::from_utf8_lossy(&text.stdout);
    assert!(
        text.contains("ccert-add") && text.contains("SYNOPSIS"),
        "man ccert-add:\n{text}"
    );

    // bash-completion loads the script on demand, as for an interactive
    // shell; completing `ccert ad` must offer `add`.
    let completion = overlay.run(&[
        "bash",
        "-c",
        ". /usr/share/bash-completion/bash_completion\n\
         _completion_loader ccert\n\
         complete -p ccert\n\
         COMP_WORDS=(ccert ad); COMP_CWORD=1; COMP_LINE='ccert ad'; COMP_POINT=8\n\
         _ccert ccert ad ccert\n\
         printf 'reply:%s\\n' \"${COMPREPLY[@]}\"",
    ]);
    assert!(
        completion.contains("-F _ccert") && completion.lines().any(|l| l == "reply:add"),
        "bash completion of `ccert ad`:\n{completion}"
    );

    let files = overlay.run(&["dpkg", "-L", "ccert"]);
    for path in [
        "/usr/bin/ccert",
        "/usr/share/man/man1/ccert.1.gz",
        "/usr/share/bash-completion/completions/ccert",
        "/usr/share/zsh/vendor-completions/_ccert",
        "/usr/share/fish/vendor_completions.d/ccert.fish",
        "/usr/share/doc/ccert/README.md",
        "/usr/share/doc/ccert/changelog.gz",
        "/usr/share/doc/ccert/changelog.Debian.gz",
        "/usr/share/doc/ccert/copyright",
        "/usr/lib/systemd/system/ccert-check.service",
        "/usr/lib/systemd/system/ccert-check.timer",
    ] {
        assert!(
            files.lines().any(|l| l == path),
            "the .deb lacks {path}:\n{files}"
        );
    }
}

#[test]
#[cfg_attr(ccert_missing = "rpm", ignore = "needs rpm")]
fn rpm_has_fedora_paths() {
    let test = "matrix_packages::rpm_has_fedora_paths";
    let Some(rpm) = package("target/generate-rpm", "rpm", test) else {
        return;
    };
    let Some(rpm_tool) = oracle::require("rpm", test) else {
        return;
    };
    let list = run_ok(Command::new(&rpm_tool).arg("-qlp").arg(&rpm));
    let files = String::from_utf8_lossy(&list.stdout);
    for path in [
        "/usr/bin/ccert",
        "/usr/share/man/man1/ccert-add.1.gz",
        "/usr/share/bash-completion/completions/ccert",
        "/usr/share/zsh/site-functions/_ccert",
        "/usr/share/fish/vendor_completions.d/ccert.fish",
        "/usr/share/doc/ccert/README.md",
        "/usr/share/licenses/ccert/LICENSE-MIT",
        "/usr/share/licenses/ccert/LICENSE-APACHE",
        "/usr/lib/systemd/system/ccert-check.service",
        "/usr/lib/systemd/system/ccert-check.timer",
    ] {
        assert!(
            files.lines().any(|l| l == path),
            "the .rpm lacks {path}:\n{files}"
        );
    }
    let requires = run_ok(
        Command::new(&rpm_tool)
            .args(["-qp", "--requires"])
            .arg(&rpm),
    );
    let requires = String::from_utf8_lossy(&requires.stdout);
    assert!(
        requires.lines().any(|l| l.trim() == "glibc >= 2.28"),
        "the .rpm does not require glibc >= 2.28:\n{requires}"
    );
}

/// lintian finds nothing but what the missing maintainer address causes
/// (malformed-contact, and the changelog trailer that needs the address):
/// the upstream changelog is changelog.gz, the package has its
/// changelog.Debian.gz.
#[test]
#[cfg_attr(ccert_missing = "lintian", ignore = "needs lintian")]
fn deb_passes_lintian_but_for_the_maintainer_address() {
    let test = "matrix_packages::deb_passes_lintian_but_for_the_maintainer_address";
    let Some(deb) = package("target/debian", "deb", test) else {
        return;
    };
    let Some(lintian) = oracle::require("lintian", test) else {
        return;
    };
    let out = Command::new(lintian)
        .arg(&deb)
        .output()
        .expect("running lintian");
    let report = String::from_utf8_lossy(&out.stdout);
    let tags: Vec<&str> = report
        .lines()
        .filter_map(|l| l.split_whitespace().nth(2))
        .filter(|tag| {
            !matches!(
                *tag,
                "malformed-contact" | "syntax-error-in-debian-changelog"
            )
        })
        .collect();
    assert!(tags.is_empty(), "lintian {}:\n{report}", deb.display());
}
