//! The one integration test binary: runs the real `ccert` binary.
//!
//! Each area has its own module; shared helpers live in [`test`] (the fluent
//! command builder) and [`oracle`] (the real Postfix/OpenSSL tools, skipped
//! with a printed reason when missing unless `CCERT_INTEROP=1`).

mod oracle;
mod pg;
mod test;

mod access_live;
mod ansible;
mod apply;
mod builder_only;
mod check;
mod cli_basics;
mod client_side;
mod compile;
mod crash;
mod docs;
mod doctor;
mod doctor_live;
mod e2e_postfix;
mod edit;
mod effective_config;
mod errors;
mod fingerprint;
mod fleet;
mod fleet_access;
mod fleet_live;
mod fleet_revoke;
mod fleet_sync;
mod full_disk;
mod hardening;
mod hash_interop;
mod hostile;
mod learn;
mod lifecycle;
mod live;
mod live_rebuild;
mod map_props;
mod maps_interop;
mod matrix;
mod matrix_env;
mod matrix_packages;
mod postfix312;
mod postfix_config;
mod readme;
mod rehash;
mod revoke;
mod server_config;
mod snapshots;
mod source_model;
mod tool_skips;
mod untrusted;
