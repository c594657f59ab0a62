//! ccert manages Postfix TLS client-certificate relay tables.
//!
//! The library is split into domain modules, each usable on its own, and
//! one module per subcommand under [`cmd`]:
//!
//! * [`cert`] reads PEM/DER certificates and computes the fingerprints
//!   Postfix and openssl compute.
//! * [`source`] is a lossless model of a postmap source file (such as
//!   `/etc/postfix/clientcerts`) with postmap's exact reading rules.
//! * [`maps`] writes and reads the lookup tables Postfix reads
//!   (`hash:`, `lmdb:`, `cdb:`, `sqlite:`), one module per backend.
//! * [`postfix`] reads `main.cf` and `master.cf` the way Postfix does.
//! * [`running`] tells whether a Postfix instance runs (for the sqlite notice).
//! * [`fsutil`] holds the atomic-write and locking helpers every writer uses.

pub mod cert;
pub mod certstore;
pub mod cli;
pub mod cmd;
pub mod docs;
pub mod doctor;
pub mod fleet;
pub mod fsutil;
pub mod maillog;
pub mod maps;
pub mod postfix;
pub mod probe;
pub mod report;
pub mod running;
pub mod selfsigned;
pub mod source;
pub mod tls;
