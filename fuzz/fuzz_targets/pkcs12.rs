//! PKCS#12 reader on arbitrary bytes: errors, never panics or hangs. The
//! password callback answers "secret" so encrypted paths are reached too.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut ask = || Some("secret".to_string());
    if let Ok(certs) = ccert::cert::pkcs12::certificates(data, &mut ask) {
        for der in certs {
            let _ = ccert::cert::parse_certificates(
                &der,
                std::path::Path::new("bag.der"),
                &ccert::cert::NoPassword,
            );
        }
    }
    let _ = ccert::cert::parse_certificates(
        data,
        std::path::Path::new("fuzz.p12"),
        &ccert::cert::NoPassword,
    );
});
