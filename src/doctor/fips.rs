//! FIPS mode and the md5 digest. A kernel booted with `fips=1` makes
//! OpenSSL run its FIPS provider, which has no MD5: smtpd cannot compute an
//! md5 fingerprint, so client-certificate TLS fails on every connection
//! (Postfix reports the digest as not available). The kernel says so in
//! `/proc/sys/crypto/fips_enabled` (`1`); a kernel without FIPS support has
//! no such file, which reads as off.

use std::path::Path;

use super::Finding;
use crate::cert::DigestAlgorithm;
use crate::postfix::PostfixConfig;

/// Where the kernel says whether FIPS mode is on.
pub const FIPS_ENABLED: &str = "/proc/sys/crypto/fips_enabled";

/// The most bytes read of that file (it holds `0` or `1` and a newline).
const MAX_FLAG: u64 = 64;

/// Whether the file `path` (see [`FIPS_ENABLED`]) says FIPS mode is on.
/// A missing or unreadable file is off: a kernel without FIPS support.
pub fn enabled(path: &Path) -> bool {
    crate::fsutil::read_to_string_bounded(path, MAX_FLAG).is_ok_and(|text| text.trim() == "1")
}

/// An error for each place that makes an smtpd service use md5 while FIPS
/// mode is on (`fips_file` as [`FIPS_ENABLED`]): main.cf, or a master.cf
/// service's `-o` override.
pub fn audit(cfg: &PostfixConfig, fips_file: &Path) -> Vec<Finding> {
    if !cfg.present || !enabled(fips_file) {
        return Vec::new();
    }
    const NAME: &str = "smtpd_tls_fingerprint_digest";
    let why = format!(
        "FIPS mode is on ({} = 1) and {NAME} is md5: OpenSSL in FIPS mode has no MD5, so \
         smtpd's TLS with client certificates fails",
        fips_file.display()
    );
    let fix = format!("{NAME} = sha256, then `ccert rehash --digest sha256`");
    let mut out = Vec::new();
    let smtpd: Vec<_> = cfg.services().iter().filter(|s| s.is_smtpd()).collect();
    let main_md5 = cfg.fingerprint_digest().ok().flatten() == Some(DigestAlgorithm::Md5);
    // main.cf's value counts when a service uses it (or there is no master.cf).
    let main_used = smtpd.is_empty() || smtpd.iter().any(|s| s.override_for(NAME).is_none());
    if main_md5 && main_used {
        out.push(
            Finding::error(why.clone())
                .file(&cfg.main_cf_path())
                .line(cfg.main_cf_line(NAME))
                .fix(fix.clone()),
        );
    }
    for s in smtpd {
        if let Some(o) = s.override_for(NAME)
            && cfg.service_digest(s).ok() == Some(DigestAlgorithm::Md5)
        {
            out.push(
                Finding::error(why.clone())
                    .file(&cfg.master_cf_path())
                    .at(o.line)
                    .service(s.id())
                    .fix(format!(
                        "-o {NAME}=sha256, then `ccert rehash --digest sha256`"
                    )),
            );
        }
    }
    out
}
