//! Certificate reader: PEM bundles, DER, anything in between.
#![no_main]

use libfuzzer_sys::fuzz_target;
use std::path::Path;

fuzz_target!(|data: &[u8]| {
    if let Ok(certs) =
        ccert::cert::parse_certificates(data, Path::new("fuzz.pem"), &ccert::cert::NoPassword)
    {
        for cert in &certs {
            for alg in ccert::cert::DigestAlgorithm::ALL {
                let _ = cert.fingerprint(alg, false);
                let _ = cert.fingerprint(alg, true);
            }
            let _ = cert.serial();
        }
    }
});
