//! ccert manages Postfix TLS client-certificate relay tables.
//!
//! The library is split into domain modules, each usable on its own, and
//! one module per subcommand under [`cmd`]; domain modules never import
//! command-line types. Every module, one line each:
//!
//! * [`cert`]: certificates as OpenSSL reads them (PEM, DER, PKCS#7, PKCS#12) and their fingerprints.
//! * [`certstore`]: the certificate copies kept in `<source>.d/` for `rehash`.
//! * [`cli`]: the whole command line (clap definitions).
//! * [`cmd`]: one module per subcommand, the only place errors become exit codes.
//! * [`desired`]: the desired-state file of `ccert apply` (TOML or JSON).
//! * [`docs`]: man pages and shell completions generated from [`cli`].
//! * [`doctor`]: the audit behind `ccert doctor` (settings, tables, entries, logging, `pgsql:`).
//! * [`fleet`]: the fleet list kept in a database (`pgsql:`) behind the `ListStore` trait.
//! * [`fsutil`]: atomic replacement, owner and mode rules, Postfix's locks.
//! * [`maillog`]: mail-log parsing for `ccert log`.
//! * [`maps`]: the tables Postfix reads (`hash:`, `lmdb:`, `cdb:`, `sqlite:`), one module per backend.
//! * [`monitor`]: the verdict behind `ccert check` (plugin API, Prometheus).
//! * [`postfix`]: main.cf and master.cf as Postfix reads them, `postconf` or per-release defaults.
//! * [`probe`]: the SMTP + TLS client behind `ccert probe`.
//! * [`report`]: errors as one line, each fact once.
//! * [`running`]: whether a Postfix master runs for a configuration.
//! * [`selfsigned`]: self-signed client certificates for `ccert issue`.
//! * [`source`]: the lossless model of a postmap source file and its edit engine.
//! * [`subprocess`]: helper programs (postconf, postmap) run with a deadline and bounded output.
//! * [`sys`]: the operating-system calls `std` lacks, each in one place.
//! * [`text`]: text from outside made safe to show on a terminal.
//! * [`tls`]: the TLS pieces the probe and the PostgreSQL connection share.

pub mod cert;
pub mod certstore;
pub mod cli;
pub mod cmd;
pub mod desired;
pub mod docs;
pub mod doctor;
pub mod fleet;
pub mod fsutil;
pub mod lifecycle;
pub mod maillog;
pub mod maps;
pub mod monitor;
pub mod postfix;
pub mod probe;
pub mod report;
pub mod revocation;
pub mod running;
pub mod selfsigned;
pub mod source;
pub mod subprocess;
pub mod sys;
pub mod text;
pub mod tls;
