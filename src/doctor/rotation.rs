//! Rotations (`ccert rotate`) whose overlap has ended while the old entry
//! is still listed: the old certificate keeps relaying until `ccert prune`
//! runs, which is what the overlap was meant to bound.

use std::io::BufReader;
use std::path::Path;

use time::OffsetDateTime;

use super::{Doctor, Finding};
use crate::lifecycle;
use crate::source::RecordReader;

impl Doctor {
    /// A warning for each rotation of `path` past its overlap (read only:
    /// no lock is taken, nothing is written).
    pub(super) fn check_rotations(&mut self, path: &Path) {
        let open = || {
            crate::fsutil::open_regular(path)
                .map(|f| RecordReader::new(BufReader::with_capacity(1 << 16, f)))
        };
        // An unreadable source is reported by the entries' checks.
        let Ok(rotations) = lifecycle::rotations_in(open, |e| e) else {
            return;
        };
        let today = OffsetDateTime::now_utc().date();
        for r in rotations.iter().filter(|r| r.overlap_over(today)) {
            self.add(
                Finding::warning(format!(
                    "the rotation to this entry ended {} (its overlap), but the old entry {} \
                     is still listed and still relays",
                    r.until.map(|d| d.to_string()).unwrap_or_default(),
                    r.predecessor
                ))
                .file(path)
                .at(r.successor_line)
                .fix("ccert prune (retires finished rotations; `--dry-run` shows what goes)"),
            );
        }
    }
}
