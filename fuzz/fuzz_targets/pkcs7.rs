//! PKCS#7 bundle reader (DER, BER and PEM): errors, never panics or hangs.
#![no_main]

use libfuzzer_sys::fuzz_target;
use std::path::Path;

fuzz_target!(|data: &[u8]| {
    if let Ok(certs) = ccert::cert::pkcs7::certificates(data) {
        for der in certs {
            let _ = ccert::cert::x509::parse(der);
        }
    }
    let _ = ccert::cert::parse_certificates(data, Path::new("fuzz.p7b"), &ccert::cert::NoPassword);
});
