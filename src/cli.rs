//! Command-line definitions.
//!
//! Everything a user can type is declared here, once: the binary parses it,
//! and [`crate::docs`] renders man pages and shell completions from it.
//! Values that are domain types (digest, table type, key type, Postfix
//! build) are parsed straight into them: those enums derive clap's
//! `ValueEnum` where they are defined. Enums that exist only on the command
//! line (output formats, `migrate --to`) are declared here and convert into
//! domain types here, so domain modules never depend on the command line.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::cert::DigestAlgorithm;
use crate::maps::MapType;
use crate::postfix::{Flavour, Release};
use crate::selfsigned::KeyAlgorithm;

/// Top-level command line of `ccert`.
#[derive(Debug, Parser)]
#[command(
    name = "ccert",
    version,
    about = "Manage Postfix TLS client-certificate relay tables",
    long_about = "ccert manages the table Postfix consults for permit_tls_clientcerts \
                  (relay_clientcerts): it computes certificate fingerprints exactly as \
                  Postfix and openssl do, edits the clientcerts source file without \
                  touching the lines you wrote, and compiles it into hash:, lmdb:, cdb: \
                  and sqlite: tables that Postfix reads, without postmap.",
    after_help = "Exit status: 0 on success, 1 on errors and when `query` finds nothing \
                  (as postmap).\n\nSee `ccert <command> --help` and ccert(1)."
)]
pub struct Cli {
    /// Postfix configuration directory (as postmap -c).
    ///
    /// Used to find main.cf and master.cf, the effective
    /// smtpd_tls_fingerprint_digest, relay_clientcerts and default_database_type.
    #[arg(
        short = 'c',
        long = "config-dir",
        global = true,
        value_name = "DIR",
        env = "MAIL_CONFIG",
        default_value = "/etc/postfix"
    )]
    pub config_dir: PathBuf,

    /// The clientcerts source file that add, remove, list and rehash edit,
    /// or a database list as Postfix names it: pgsql:/etc/postfix/clientcerts.pgsql.cf.
    ///
    /// Default: the file or pgsql: table named by relay_clientcerts in the
    /// Postfix configuration, else <config-dir>/clientcerts.
    #[arg(long = "map", global = true, value_name = "PATH|pgsql:CF")]
    pub map: Option<PathBuf>,

    /// Show no progress bar, and say nothing about tables built or rebuilt.
    ///
    /// Long work (compiling or rebuilding a big table) shows progress on
    /// standard error when it is a terminal, and add, remove and rehash name
    /// each table they built or rebuilt there; this turns both off. Notices,
    /// warnings and errors are still said. Output for scripts never contains
    /// progress.
    #[arg(long, global = true)]
    pub quiet: bool,

    /// Use the built-in defaults of this Postfix release instead of asking postconf.
    ///
    /// By default ccert asks the installed Postfix (`postconf -c DIR`; the
    /// environment variable CCERT_POSTCONF names another postconf, or `none`
    /// for none). Without one it assumes 3.7 (Debian build) and says so.
    /// Known differences: 3.5 (md5 digest whatever compatibility_level says),
    /// 3.6-3.8, 3.9-3.10 (raw public keys), 3.11 (Berkeley DB migration),
    /// 3.12 (postscreen's own TLS settings, smtpd_tls_loglevel_maps,
    /// tls_trust_server_ccerts).
    #[arg(long = "postfix-version", global = true, value_name = "X.Y")]
    pub postfix_version: Option<Release>,

    /// The build of the Postfix assumed with built-in defaults.
    #[arg(
        long = "postfix-build",
        global = true,
        value_enum,
        value_name = "BUILD"
    )]
    pub postfix_build: Option<Flavour>,

    /// Read the password of PKCS#12 (.p12/.pfx) files from the first line of FILE.
    ///
    /// Without it, ccert takes CCERT_PASSWORD from the environment, else asks on
    /// the terminal. Files without a password need none. (`db init
    /// --password-file` is the database's password.)
    #[arg(long, global = true, value_name = "FILE")]
    pub pkcs12_password_file: Option<PathBuf>,

    /// The subcommand to run.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands of `ccert`.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Print certificate or public-key fingerprints as Postfix computes them.
    Fingerprint(FingerprintArgs),
    /// Add certificates to the clientcerts source file (and recompile its tables).
    Add(AddArgs),
    /// Remove entries from the clientcerts source file (and recompile its tables).
    Remove(RemoveArgs),
    /// List the entries of the clientcerts source file as postmap reads them.
    List(ListArgs),
    /// Compile a source map into hash:, lmdb:, cdb: or sqlite: tables (like postmap).
    Compile(CompileArgs),
    /// Look up a key in a compiled table (like postmap -q).
    Query(QueryArgs),
    /// Print every key and value of a compiled table (like postmap -s).
    Dump(DumpArgs),
    /// Audit the client-certificate relay setup of a Postfix configuration.
    Doctor(DoctorArgs),
    /// Rewrite every entry to another digest or to public-key fingerprints.
    Rehash(RehashArgs),
    /// Create a self-signed client certificate and key for a workstation.
    Issue(IssueArgs),
    /// Print the client configuration for relaying through this server with a certificate.
    ClientConfig(ClientConfigArgs),
    /// Print the main.cf and master.cf lines for certificate-based relaying.
    ServerConfig(ServerConfigArgs),
    /// Move relay_clientcerts and check_ccert_access tables off hash:/btree: (Berkeley DB).
    Migrate(MigrateArgs),
    /// List the client certificates smtpd logged, and add unknown ones.
    Log(LogArgs),
    /// Connect to a server as an SMTP client with a certificate and report whether it may relay.
    Probe(ProbeArgs),
    /// Print a shell completion script.
    Completions(CompletionsArgs),
    /// Create or migrate the client-certificate database (pgsql:) and its .cf file.
    Db(DbArgs),
    /// Load a clientcerts source file into a pgsql: list (idempotent).
    Import(ImportArgs),
    /// Write a local table from a pgsql: list when the database changed.
    Sync(SyncArgs),
    /// Make the list match a desired-state file (TOML or JSON); exit 0 unchanged, 2 changed.
    Apply(ApplyArgs),
    /// Monitoring check: expired and expiring certificates, stale tables (Nagios/Icinga, Prometheus).
    Check(CheckArgs),
    /// List a client's new certificate beside its old one; `prune` retires the old one later.
    Rotate(RotateArgs),
    /// Retire finished rotations and (with --expired) expired certificates, then rebuild.
    Prune(PruneArgs),
    /// Revoke certificates: remove their entries and deny them in the deny table (also by CRL).
    Revoke(RevokeArgs),
}

impl Command {
    /// Whether the command writes files (the source, tables, keys). Such a
    /// command must finish its work even when its output is closed; the
    /// others may simply die of SIGPIPE like any Unix filter.
    pub fn writes_files(&self) -> bool {
        matches!(
            self,
            Self::Add(_)
                | Self::Remove(_)
                | Self::Compile(_)
                | Self::Rehash(_)
                | Self::Issue(_)
                | Self::Migrate(_)
                | Self::Db(_)
                | Self::Import(_)
                | Self::Sync(_)
                | Self::Apply(_)
                | Self::Rotate(_)
                | Self::Prune(_)
                | Self::Revoke(_)
        ) || matches!(self, Self::Log(args) if args.approve)
    }
}

/// Output formats of `ccert fingerprint`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum FingerprintFormat {
    /// One line per certificate: digest (`sha256`, `sha256-pubkey`), fingerprint, FILE or
    /// FILE[N], subject
    #[default]
    Text,
    /// `sha256 Fingerprint=AB:CD:...`, as `openssl x509 -noout -fingerprint -sha256` prints it
    /// (OpenSSL 3); with --pubkey the same form
    Openssl,
    /// A ready-to-paste `<fingerprint> <name>` source-map line (name: the subject CN)
    Map,
    /// A JSON array of objects (file, index, fingerprint, subject, dates, serial, ...), for scripts
    Json,
}

/// Arguments of `ccert fingerprint`.
#[derive(Debug, Args)]
#[command(
    after_help = "Fingerprints are uppercase hex pairs joined by `:`, as openssl and \
                  Postfix print them. Every certificate of a file is printed (the Nth of a file \
                  with several shows as FILE[N]); keys, requests and other PEM blocks are \
                  skipped. With --pubkey, text lines say `sha256-pubkey` and openssl lines keep \
                  the `sha256 Fingerprint=` form (openssl itself prints none for public keys). \
                  For --format map, a certificate without a subject CN is an error: add it \
                  with `ccert add FILE --name NAME`. A file that cannot be read is reported and \
                  the others are still printed; the exit status is then 1.\n\n\
                  Examples:\n  ccert fingerprint host.pem\n  \
                  ccert fingerprint --digest sha1 --format openssl host.pem\n  \
                  ccert fingerprint --pubkey --format map bundle.pem >> /etc/postfix/clientcerts\n  \
                  openssl x509 -in host.pem -text | ccert fingerprint -"
)]
pub struct FingerprintArgs {
    /// Digest to use [default: the effective smtpd_tls_fingerprint_digest, else sha256]
    #[arg(short, long, value_enum, ignore_case = true)]
    pub digest: Option<DigestAlgorithm>,
    /// Fingerprint the public key (SubjectPublicKeyInfo), which survives renewal with the same key
    #[arg(short, long)]
    pub pubkey: bool,
    /// Output format
    #[arg(short, long, value_enum, default_value_t)]
    pub format: FingerprintFormat,
    /// Certificate files: PEM (text around the blocks allowed), DER, PKCS#7 (.p7b/.p7c) or
    /// PKCS#12 (.p12/.pfx); `-` reads standard input
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<PathBuf>,
}

/// Arguments of `ccert add`.
#[derive(Debug, Args)]
#[command(
    after_help = "With --fingerprint, no certificate file is needed (a fingerprint from \
                  `ccert log`, a colleague or a ticket); it must have the length of the digest \
                  (--digest, else the effective smtpd_tls_fingerprint_digest), and the entry is \
                  marked `from=fingerprint`, so `rehash` cannot re-fingerprint it.\n\n\
                  Examples:\n  ccert add chinacat.pem --name chinacat\n  \
                  ccert add --pubkey --digest sha256 laptop.pem\n  \
                  ccert add --fingerprint 3A:5F:...:09 --pubkey --name laptop"
)]
pub struct AddArgs {
    /// Certificate files to add: PEM, DER, PKCS#7 (.p7b/.p7c) or PKCS#12 (.p12/.pfx)
    #[arg(required_unless_present = "fingerprint", value_name = "CERT")]
    pub certs: Vec<PathBuf>,
    /// Add this fingerprint (hex pairs, colons optional, any case) instead of a certificate's;
    /// needs --name
    #[arg(
        short,
        long,
        value_name = "FP",
        conflicts_with = "certs",
        requires = "name"
    )]
    pub fingerprint: Option<String>,
    /// Value stored for the entry [default: the certificate's subject CN]
    #[arg(short, long)]
    pub name: Option<String>,
    /// Digest to use [default: the effective smtpd_tls_fingerprint_digest]
    #[arg(short, long, value_enum, ignore_case = true)]
    pub digest: Option<DigestAlgorithm>,
    /// Add the public-key fingerprint instead of the certificate fingerprint (with
    /// --fingerprint: the fingerprint given is a public-key fingerprint)
    #[arg(short, long)]
    pub pubkey: bool,
    /// Replace the name of an entry whose fingerprint is already present
    #[arg(long)]
    pub replace: bool,
    /// Refuse, instead of warning, when --digest differs from the server's
    /// smtpd_tls_fingerprint_digest (such an entry can never match)
    #[arg(long)]
    pub strict: bool,
    /// Do not rebuild the compiled tables next to the source file
    #[arg(long)]
    pub no_compile: bool,
}

/// Arguments of `ccert remove`.
#[derive(Debug, Args)]
#[command(after_help = "Examples:\n  ccert remove --name chinacat\n  \
                  ccert remove --fingerprint 3a:5f:...\n  ccert remove old-laptop.pem --yes")]
pub struct RemoveArgs {
    /// Remove every entry whose value is NAME
    #[arg(short, long, conflicts_with_all = ["fingerprint", "certs"])]
    pub name: Option<String>,
    /// Remove the entry with this fingerprint (any case, colons optional)
    ///
    /// No short form: `-f` is --format in every other command.
    #[arg(long, conflicts_with = "certs", value_name = "FP")]
    pub fingerprint: Option<String>,
    /// Remove the entries of these certificates
    #[arg(value_name = "CERT", required_unless_present_any = ["name", "fingerprint"])]
    pub certs: Vec<PathBuf>,
    /// Digest used to fingerprint CERT [default: every digest]
    #[arg(short, long, value_enum, ignore_case = true)]
    pub digest: Option<DigestAlgorithm>,
    /// Do not ask for confirmation (required when standard input is not a terminal)
    #[arg(short, long)]
    pub yes: bool,
    /// Do not rebuild the compiled tables next to the source file
    #[arg(long)]
    pub no_compile: bool,
}

/// Arguments of `ccert revoke`.
#[derive(Debug, Args)]
#[command(
    after_help = "A revoked certificate is removed from the list and denied: \
                  `FINGERPRINT REJECT client certificate revoked` entries (certificate and \
                  public-key fingerprint) go into the check_ccert_access table that comes \
                  before permit_tls_clientcerts in each service's restrictions, so it stays \
                  refused where a stale copy of the list still names it. Without such a \
                  table the entries are removed and ccert prints the line to add \
                  (`ccert server-config` proposes $config_directory/revoked_clientcerts). \
                  Exit 0 when revoked (also without a deny table, with that warning) and when a \
                  CRL names no listed certificate; 1 on errors, when no entry has the name, or \
                  when the question is answered no.\n\n\
                  Examples:\n  ccert revoke --name old-laptop --yes\n  \
                  ccert revoke stolen.pem --reason 'stolen 2026-12-07' --yes\n  \
                  ccert revoke --crl ca.crl --dry-run"
)]
pub struct RevokeArgs {
    /// Revoke every entry whose name is NAME
    #[arg(short, long, conflicts_with_all = ["fingerprint", "certs", "crl"])]
    pub name: Option<String>,
    /// Revoke the entry with this fingerprint (any case, colons optional); denied
    /// even when the list no longer has it
    #[arg(long, conflicts_with_all = ["certs", "crl"], value_name = "FP")]
    pub fingerprint: Option<String>,
    /// Revoke every entry whose stored certificate this CRL (DER or PEM) names by
    /// issuer and serial number; entries added by fingerprint alone are reported
    #[arg(long, value_name = "FILE", conflicts_with = "certs")]
    pub crl: Option<PathBuf>,
    /// Revoke these certificates (PEM, DER, PKCS#7 or PKCS#12); denied even when
    /// the list no longer has them
    #[arg(value_name = "CERT", required_unless_present_any = ["name", "fingerprint", "crl"])]
    pub certs: Vec<PathBuf>,
    /// Text added to the REJECT reply (printable ASCII, at most 200 bytes)
    #[arg(long, value_name = "TEXT")]
    pub reason: Option<String>,
    /// Do not ask for confirmation (required when standard input is not a terminal)
    #[arg(short, long)]
    pub yes: bool,
    /// Show what would be removed and denied; change nothing
    #[arg(long)]
    pub dry_run: bool,
    /// Do not rebuild the compiled tables (of the list and the deny table)
    #[arg(long)]
    pub no_compile: bool,
}

/// Output formats of `ccert list`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum ListFormat {
    /// A table for people
    #[default]
    Table,
    /// A JSON array of objects, for scripts
    Json,
    /// `<fingerprint> <name>` lines, as postmap reads them
    Plain,
}

/// Arguments of `ccert list`.
#[derive(Debug, Args)]
#[command(
    after_help = "The table fits the terminal (or COLUMNS): long fingerprints are \
                  shortened to their first and last bytes there; --format plain and json print \
                  them whole. NOTE says why an entry may not match: a key that is no \
                  fingerprint, a duplicate postmap ignores, a digest other than the server's \
                  smtpd_tls_fingerprint_digest, an expired certificate.\n\n\
                  Examples:\n  ccert list\n  ccert list --format json\n  \
                  ccert list --expiring 30"
)]
pub struct ListArgs {
    /// Output format
    #[arg(short, long, value_enum, default_value_t)]
    pub format: ListFormat,
    /// Show only entries whose certificate expires within DAYS; exit 1 if any does
    #[arg(long, value_name = "DAYS")]
    pub expiring: Option<u32>,
}

/// Arguments of `ccert compile`.
#[derive(Debug, Args)]
#[command(
    after_help = "The table type comes from the TYPE: prefix, else -t, else the type \
                  relay_clientcerts (or check_ccert_access) uses for this file, else \
                  default_database_type, else lmdb. Without FILE, compiles every table \
                  relay_clientcerts and check_ccert_access name.\n\n\
                  Postfix 3.11 with non_bdb_migration_level = enable-redirect opens hash:F as \
                  $default_database_type:F (btree: as $default_cache_db_type:, or as \
                  non_bdb_custom_mapping says); ccert then writes that table, as postmap does, \
                  and says so once. A type this Postfix cannot open (postconf -m) is an error.\n\n\
                  Reads FILE with postmap's rules (comments, continuation lines, quoted keys), \
                  folds keys to lower case and writes FILE.db, FILE.lmdb, FILE.cdb or \
                  FILE.sqlite (plus FILE.sqlite.cf, rewritten only while it keeps ccert's \
                  marker line) next to it, with postmap's owner and mode rules. The new table \
                  replaces the old one atomically; on any error the old table is left as it \
                  was. Skipped lines and duplicate keys are reported as postmap reports them. \
                  Prints the name to use in main.cf, e.g. lmdb:/etc/postfix/clientcerts.\n\n\
                  Exit status: 0 when every FILE was compiled, 1 otherwise.\n\n\
                  Examples:\n  ccert compile /etc/postfix/clientcerts\n  \
                  ccert compile hash:/etc/postfix/clientcerts\n  \
                  ccert compile -t cdb -r /etc/postfix/access"
)]
pub struct CompileArgs {
    /// Table type for FILEs without a TYPE: prefix
    #[arg(short = 't', long = "type", value_enum)]
    pub map_type: Option<MapType>,
    /// On duplicate keys the last value wins, silently (postmap -r)
    #[arg(short = 'r', conflicts_with = "ignore_duplicates")]
    pub replace_duplicates: bool,
    /// On duplicate keys the first value wins, silently (postmap -w)
    #[arg(short = 'w')]
    pub ignore_duplicates: bool,
    /// Source files, optionally as TYPE:FILE [default: every configured table]
    #[arg(value_name = "[TYPE:]FILE")]
    pub maps: Vec<String>,
}

/// Arguments of `ccert query`.
#[derive(Debug, Args)]
#[command(
    after_help = "Prints the value, as postmap -q does. With `-`, reads one key per line \
                  and prints `key<TAB>value` for each key found. FILE is the source file the \
                  table was compiled from; for sqlite also FILE.sqlite.cf (ccert's own query \
                  is used, not the one in the .cf file). The type defaults as for compile. \
                  pgsql:CF (also proxy:pgsql:CF) is looked up in the database CF names with \
                  ccert's own parameterised query; `ccert doctor` checks the query in CF.\n\n\
                  Exit status: 0 when a key was found, 1 when none was (no message) or on errors.\n\n\
                  Examples:\n  ccert query 3A:5F:... hash:/etc/postfix/clientcerts\n  \
                  ccert query - lmdb:/etc/postfix/clientcerts < keys.txt"
)]
pub struct QueryArgs {
    /// Key to look up (folded to lower case); `-` reads keys from standard input
    pub key: String,
    /// The table, as TYPE:FILE or FILE
    #[arg(value_name = "[TYPE:]FILE")]
    pub table: String,
}

/// Arguments of `ccert dump`.
#[derive(Debug, Args)]
#[command(
    after_help = "Prints `key<TAB>value` lines as postmap -s does, in the table's storage \
                  order, also for cdb tables (which postmap cannot dump). Reads tables written \
                  by postmap as well as by ccert; pgsql:CF prints the database list sorted by \
                  fingerprint.\n\n\
                  Example:\n  ccert dump cdb:/etc/postfix/clientcerts"
)]
pub struct DumpArgs {
    /// The table, as TYPE:FILE or FILE
    #[arg(value_name = "[TYPE:]FILE")]
    pub table: String,
}

/// Output formats of `ccert doctor`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum DoctorFormat {
    /// Findings for people
    #[default]
    Text,
    /// A JSON array of findings, for scripts
    Json,
}

/// Arguments of `ccert doctor`.
#[derive(Debug, Args)]
#[command(
    after_help = "The first line says which Postfix was audited: the installed one (postconf), \
                  or the built-in defaults of a release (--postfix-version).\n\n\
                  Checks, for every smtpd service in master.cf (with its -o overrides, loopback \
                  services included):\n  \
                  relay_clientcerts and check_ccert_access tables: present, newer than their \
                  source, not empty, of a type this Postfix opens (postconf -m; hash:/btree: \
                  without Berkeley DB, or redirected by non_bdb_migration_level);\n  \
                  permit_tls_clientcerts / check_ccert_access in the restriction lists and before \
                  any reject/defer(_unauth_destination), also where permit_sasl_authenticated is;\n  \
                  smtpd_tls_ask_ccert = yes, TLS on and a server certificate (never asked of the \
                  port-25 smtp service: a public MX must accept mail without TLS);\n  \
                  source entries: fingerprints of the effective smtpd_tls_fingerprint_digest, \
                  public-key entries when smtpd_tls_enable_rpk = yes, duplicates, lines postmap \
                  skips, certificates expired or expiring within 30 days.\n\n\
                  Severities: error = certificate relaying cannot work or will break; warning = \
                  fragile or ineffective; note = information.\n\n\
                  Exit status: 1 when an error is found (with --strict also a warning), else 0.\n\n\
                  Examples:\n  ccert -c /etc/postfix doctor\n  ccert doctor --strict --format json"
)]
pub struct DoctorArgs {
    /// Output format
    #[arg(short, long, value_enum, default_value_t)]
    pub format: DoctorFormat,
    /// Exit 1 on warnings too
    #[arg(long)]
    pub strict: bool,
    /// Test hook: the file that says whether the kernel runs in FIPS mode
    /// (docs/lifecycle.md); hidden, as no administrator needs another one
    #[arg(long, hide = true, value_name = "FILE", default_value = crate::doctor::fips::FIPS_ENABLED)]
    pub fips_file: PathBuf,
}

/// Arguments of `ccert rehash`.
#[derive(Debug, Args)]
#[command(
    after_help = "Needs the certificate copies ccert add keeps in <source>.d/.\n\n\
                  Examples:\n  ccert rehash --digest sha256\n  \
                  ccert rehash --pubkey   (public-key entries in the digest Postfix uses)"
)]
pub struct RehashArgs {
    /// The new digest [default: the effective smtpd_tls_fingerprint_digest]
    #[arg(short, long, value_enum, ignore_case = true)]
    pub digest: Option<DigestAlgorithm>,
    /// Use public-key fingerprints
    #[arg(short, long)]
    pub pubkey: bool,
    /// Leave entries without a stored certificate (such as those added with
    /// `add --fingerprint`) as they are, instead of refusing to rehash
    #[arg(long)]
    pub skip_unknown: bool,
    /// Do not rebuild the compiled tables next to the source file
    #[arg(long)]
    pub no_compile: bool,
}

/// Arguments of `ccert issue`.
#[derive(Debug, Args)]
#[command(
    after_help = "--renew replaces NAME.pem with a new certificate for the key in NAME.key: \
                  an entry by public-key fingerprint matches it unchanged; an entry by \
                  certificate fingerprint needs `ccert rotate NAME NAME.pem`.\n\n\
                  Examples:\n  ccert issue chinacat --out /root/chinacat --add\n  \
                  ccert issue chinacat --out /root/chinacat --renew"
)]
pub struct IssueArgs {
    /// Host name; becomes the certificate CN and the file names
    pub name: String,
    /// Key type
    #[arg(short, long, value_enum, default_value_t)]
    pub key_type: KeyAlgorithm,
    /// Validity in days
    #[arg(long, default_value_t = 825)]
    pub days: u32,
    /// Directory for NAME.pem and NAME.key
    #[arg(short, long, default_value = ".")]
    pub out: PathBuf,
    /// Also add the certificate to the clientcerts source file
    #[arg(long)]
    pub add: bool,
    /// Re-issue OUT/NAME.pem from the existing OUT/NAME.key (public-key entries stay valid)
    #[arg(long, conflicts_with_all = ["add", "key_type"])]
    pub renew: bool,
}

/// Arguments of `ccert client-config`.
#[derive(Debug, Args)]
#[command(
    after_help = "Example:\n  ccert client-config --cert /etc/postfix/chinacat.pem \
                  --key /etc/postfix/chinacat.key --relay mail.example.com:587"
)]
pub struct ClientConfigArgs {
    /// Client certificate file
    #[arg(long, value_name = "FILE")]
    pub cert: PathBuf,
    /// Client private key file
    #[arg(long, value_name = "FILE")]
    pub key: PathBuf,
    /// Relay server as HOST[:PORT] [default port: 587]
    #[arg(long, value_name = "HOST[:PORT]")]
    pub relay: String,
    /// Print Postfix (smarthost client) settings (the default)
    #[arg(long, conflicts_with = "ssmtp")]
    pub postfix: bool,
    /// Print ssmtp.conf settings
    #[arg(long)]
    pub ssmtp: bool,
}

/// Arguments of `ccert server-config`.
#[derive(Debug, Args)]
#[command(
    after_help = "Prints relay_clientcerts (default_database_type and the clientcerts source), \
                  smtpd_tls_fingerprint_digest, smtpd_tls_ask_ccert and a submission service \
                  (-o smtpd_tls_security_level=encrypt -o smtpd_tls_ask_ccert=yes \
                  -o smtpd_relay_restrictions=permit_tls_clientcerts,reject), adapted to the \
                  configuration in -c DIR; lines already set are marked, an existing submission \
                  service is merged, and it says when public-key entries (--pubkey) are the \
                  better choice. Nothing is written.\n\n\
                  Example:\n  ccert server-config >> /tmp/review-me.txt"
)]
pub struct ServerConfigArgs {}

/// Table types `ccert migrate` moves to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum MigrateTo {
    /// LMDB (FILE.lmdb)
    Lmdb,
    /// tinycdb (FILE.cdb)
    Cdb,
}

impl From<MigrateTo> for MapType {
    fn from(arg: MigrateTo) -> Self {
        match arg {
            MigrateTo::Lmdb => Self::Lmdb,
            MigrateTo::Cdb => Self::Cdb,
        }
    }
}

/// Arguments of `ccert migrate`.
#[derive(Debug, Args)]
#[command(
    after_help = "For every hash: or btree: table that relay_clientcerts or check_ccert_access \
                  names (main.cf and master.cf -o overrides), builds the new table from the same \
                  source and prints the main.cf/master.cf lines that name it. With --apply, \
                  rewrites main.cf and master.cf atomically, keeping a copy of each as \
                  FILE.ccert-TIMESTAMP. The old table is left in place: Postfix keeps using it \
                  until `postfix reload`; delete it afterwards.\n\n\
                  Examples:\n  ccert migrate --to lmdb\n  ccert migrate --to cdb --apply && postfix reload"
)]
pub struct MigrateArgs {
    /// The new table type
    #[arg(long, value_enum)]
    pub to: MigrateTo,
    /// Write main.cf and master.cf (with a backup) instead of printing the lines
    #[arg(long)]
    pub apply: bool,
}

/// Output formats of `ccert log`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum LogFormat {
    /// A table for people
    #[default]
    Table,
    /// A JSON array of objects, for scripts
    Json,
}

/// Arguments of `ccert log`.
#[derive(Debug, Args)]
#[command(
    after_help = "Reads the lines smtpd writes at smtpd_tls_loglevel 2 (or `1, peercert`): \
                  `subject_CN=..., issuer=..., fingerprint=..., pkey_fingerprint=...` (Postfix 3.8 and \
                  older), `... cert fingerprint=..., pkey fingerprint=...` and `raw public key \
                  fingerprint=...` (3.9 and newer), with traditional or RFC 3339 time stamps, and \
                  counts the refused recipients (`reject: RCPT from`, such as `Relay access \
                  denied`) of the same smtpd process to the same client. The log does not name the digest: it is the \
                  smtpd_tls_fingerprint_digest of the master.cf service whose syslog_name logged \
                  the line (else main.cf's); fingerprints of another length are shown as \
                  unusable and never added.\n\n\
                  Without FILE: maillog_file when Postfix logs there itself, else \
                  /var/log/mail.log, each with its rotated siblings (.1, .2.gz, ...); when \
                  none exists (Debian 12 logs to the journal only), the systemd journal's \
                  smtpd messages (journalctl _COMM=smtpd). A FILE ending in .journal is read \
                  with journalctl --file.\n\n\
                  A named FILE must be a regular file (a FIFO or device is refused: pipe it \
                  into `ccert log -`). Lines longer than 8 KiB (after decompression) are \
                  skipped and counted; docs/limits.md lists every limit.\n\n\
                  Exit status: 0 when every client seen is listed (with --approve: when \
                  something was added or nothing was left to add), 1 otherwise.\n\n\
                  Examples:\n  ccert log\n  ccert log --all --since 7d /var/log/mail.log\n  \
                  journalctl _COMM=smtpd -o short --since today | ccert log -\n  \
                  ccert log --approve"
)]
pub struct LogArgs {
    /// Log files (plain or gzip); `-` reads standard input
    #[arg(value_name = "FILE")]
    pub files: Vec<PathBuf>,
    /// Show every client, also those already in the clientcerts source
    #[arg(short, long)]
    pub all: bool,
    /// Output format
    #[arg(short, long, value_enum, default_value_t)]
    pub format: LogFormat,
    /// Only lines from this time on: a date (2026-11-25), an RFC 3339 time, or an age
    /// (90m, 12h, 7d)
    #[arg(long, value_name = "WHEN")]
    pub since: Option<String>,
    /// Ask, for each unknown client, whether to add it, under which name and as which
    /// fingerprint (needs a terminal)
    #[arg(long, conflicts_with = "format")]
    pub approve: bool,
    /// Do not rebuild the compiled tables next to the source file (with --approve)
    #[arg(long, requires = "approve")]
    pub no_compile: bool,
}

/// Output formats of `ccert probe`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum ProbeFormat {
    /// A report for people
    #[default]
    Text,
    /// One JSON object, for scripts
    Json,
}

/// Arguments of `ccert probe`.
#[derive(Debug, Args)]
#[command(
    after_help = "Connects as an SMTP client (STARTTLS on port 25 and 587, implicit TLS with \
                  --tls or on port 465), presents the certificate, then sends MAIL FROM and \
                  RCPT TO an outside address and QUITs without DATA: no mail is ever sent.\n\n\
                  Reports the TLS version and cipher, the server certificate, whether the \
                  server asked for a client certificate (and the CA names it sent), the \
                  fingerprints the server will look up, and a verdict: permitted (250, and \
                  refused in a second session without the certificate), \
                  permitted-without-certificate (250 also without it: mynetworks, SASL, an \
                  open relay), refused (5xx, or 4xx Relay access denied), temporary failure \
                  (other 4xx), no certificate requested, TLS refused, timed out (--timeout bounds the \
                  whole dialogue, however slowly the server sends), or reply too long (a line \
                  over 2048 bytes, or a reply over 100 lines or 32 KiB); each refusal names \
                  its likely cause from the reply text. --helo, --from and --to must not hold \
                  control characters.\n\n\
                  Exit status: 0 only when relaying is permitted because of the certificate.\n\n\
                  Examples:\n  ccert probe mail.example.com:587 --cert host.pem --key host.key\n  \
                  ccert probe mail.example.com:465 --cert host.pem --key host.key --format json"
)]
pub struct ProbeArgs {
    /// The server, as HOST or HOST:PORT ([IPv6]:PORT) [default port: 587]
    #[arg(value_name = "HOST[:PORT]")]
    pub server: String,
    /// Client certificate file (PEM; the chain may follow)
    #[arg(long, value_name = "FILE")]
    pub cert: PathBuf,
    /// Client private key file (PEM: PKCS#8, RSA or EC)
    #[arg(long, value_name = "FILE")]
    pub key: PathBuf,
    /// Envelope sender
    #[arg(long, value_name = "ADDR", default_value = "ccert-probe@example.org")]
    pub from: String,
    /// Recipient outside the server's domains (relaying needs permission)
    #[arg(long, value_name = "ADDR", default_value = "ccert-probe@example.net")]
    pub to: String,
    /// Implicit TLS (the default on port 465) instead of STARTTLS
    #[arg(long)]
    pub tls: bool,
    /// The server's smtpd_tls_fingerprint_digest [default: from -c DIR when present, else sha256]
    #[arg(short, long, value_enum)]
    pub digest: Option<DigestAlgorithm>,
    /// Offer a raw public key (RFC 7250; TLS 1.3, Postfix 3.9+ with smtpd_tls_enable_rpk)
    /// instead of the certificate
    #[arg(long)]
    pub rpk: bool,
    /// The name sent in EHLO
    #[arg(long, value_name = "NAME", default_value = "ccert-probe.invalid")]
    pub helo: String,
    /// Seconds the whole dialogue may take (connecting, TLS and every reply together)
    #[arg(long, value_name = "SECONDS", default_value_t = 30)]
    pub timeout: u64,
    /// Output format
    #[arg(short, long, value_enum, default_value_t)]
    pub format: ProbeFormat,
}

/// Shells `ccert completions` can write for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ShellArg {
    /// Bash
    Bash,
    /// Zsh
    Zsh,
    /// Fish
    Fish,
    /// Elvish
    Elvish,
    /// PowerShell
    Powershell,
}

/// Arguments of `ccert completions`.
#[derive(Debug, Args)]
#[command(after_help = "Example:\n  ccert completions bash > /etc/bash_completion.d/ccert")]
pub struct CompletionsArgs {
    /// The shell
    #[arg(value_enum)]
    pub shell: ShellArg,
}

/// Arguments of `ccert db`.
#[derive(Debug, Args)]
#[command(disable_help_subcommand = true)]
pub struct DbArgs {
    /// What to do with the database.
    #[command(subcommand)]
    pub command: DbCommand,
}

/// The subcommands of `ccert db`.
#[derive(Debug, Subcommand)]
pub enum DbCommand {
    /// Create the ccert tables (or migrate them in place) and write the pgsql_table(5) file.
    Init(DbInitArgs),
}

/// Arguments of `ccert db init`.
#[derive(Debug, Args)]
#[command(
    after_help = "Creates the tables ccert_clientcerts and ccert_state in the database (or \
                  migrates older ccert tables in place), then writes the pgsql_table(5) file \
                  CF that Postfix and ccert share: hosts, user, password, dbname, \
                  query = SELECT name FROM ccert_clientcerts WHERE fingerprint = '%s', \
                  expansion_limit = 1; mode 0640 root:postfix. The file is written only after \
                  the database accepted the schema; an existing CF is replaced only with \
                  --force. Without --hosts, --dbname and --user an existing CF is used as it \
                  is (to migrate the schema).\n\n\
                  The password comes from --password-file, else PGPASSWORD, else a prompt \
                  when standard input is a terminal; none is used otherwise (peer or trust \
                  authentication). It is never printed.\n\n\
                  HOST forms (pgsql_table(5)): inet:db.example.com:5432, db.example.com, \
                  unix:/run/postgresql (a socket directory), or a URI \
                  postgresql://db.example.com/mail?sslmode=verify-full (Postfix 3.10+; \
                  3.7-3.9 take postgresql: URIs only). With a URI, --user and --dbname are \
                  written into the URI (percent-encoded), because Postfix hands the URI to \
                  libpq and ignores the file's user, password and dbname for it; the \
                  password goes into the password file CF.pgpass (0600, owned by postfix) \
                  that the URI names with passfile=, never into the URI, which Postfix writes \
                  into the mail log when it cannot connect.\n\n\
                  TLS: use a URI with sslmode=verify-full (and sslrootcert=FILE, the CA that \
                  signed the server's certificate) for any server across a network. libpq's \
                  default, sslmode=prefer, and require check no certificate: the password \
                  goes to whichever server answers on the address, and prefer silently falls \
                  back to no TLS. A plain host name gets prefer in Postfix. db init and \
                  doctor warn about a non-loopback host without verify-ca or verify-full.\n\n\
                  Least privilege: --lookup-user NAME also creates a role that can only \
                  SELECT from ccert_clientcerts (random password, or --lookup-password-file) \
                  and writes its own file (--lookup-cf; default CF with -lookup before the \
                  first dot). Point relay_clientcerts at that file and edit with --map \
                  pgsql:CF. Creating a role needs CREATEROLE; --print-sql prints the \
                  statements for a database administrator instead and changes nothing.\n\n\
                  Revocations (`ccert revoke`): beside the file Postfix reads (the lookup \
                  file, else a new CF) db init writes one with -revoked before the first \
                  dot, whose query answers REJECT for a revoked fingerprint: name it in \
                  check_ccert_access before permit_tls_clientcerts.\n\n\
                  Examples:\n  ccert db init pgsql:/etc/postfix/clientcerts.pgsql.cf \\\n      \
                  --hosts 'postgresql://db.example.com/mail?sslmode=verify-full&sslrootcert=\
                  /etc/postfix/pg-ca.pem' \\\n      --user postfix --password-file /root/pg.pw \
                  --lookup-user postfix_lookup\n  \
                  ccert db init pgsql:/etc/postfix/clientcerts.pgsql.cf \\\n      \
                  --hosts db1.example.com,db2.example.com --dbname mail --user postfix \\\n      \
                  --password-file /root/pg.pw\n  \
                  ccert db init pgsql:/etc/postfix/clientcerts.pgsql.cf"
)]
pub struct DbInitArgs {
    /// The list as Postfix names it: pgsql:/etc/postfix/clientcerts.pgsql.cf
    #[arg(value_name = "pgsql:CF")]
    pub list: String,
    /// Database servers, as pgsql_table(5) `hosts` (comma-separated or repeated)
    #[arg(long, value_name = "HOST", value_delimiter = ',')]
    pub hosts: Vec<String>,
    /// Database name
    #[arg(long, value_name = "NAME")]
    pub dbname: Option<String>,
    /// Database user Postfix and ccert connect as
    #[arg(long, value_name = "USER")]
    pub user: Option<String>,
    /// Read the password from the first line of FILE
    #[arg(long, value_name = "FILE")]
    pub password_file: Option<PathBuf>,
    /// Replace an existing CF file
    #[arg(long)]
    pub force: bool,
    /// Also create a read-only database role for Postfix's lookups, with its own CF
    #[arg(long, value_name = "NAME")]
    pub lookup_user: Option<String>,
    /// Where to write the lookup role's pgsql_table(5) file
    #[arg(long, value_name = "FILE", requires = "lookup_user")]
    pub lookup_cf: Option<PathBuf>,
    /// Read the lookup role's password from the first line of FILE (default: random)
    #[arg(long, value_name = "FILE", requires = "lookup_user")]
    pub lookup_password_file: Option<PathBuf>,
    /// Print the SQL that creates the lookup role and change nothing
    #[arg(long, requires = "lookup_user")]
    pub print_sql: bool,
}

/// Arguments of `ccert import`.
#[derive(Debug, Args)]
#[command(
    after_help = "Loads every entry of SOURCE (postmap's reading rules; the first of \
                  duplicate keys wins) into the pgsql: list named by --map (or by \
                  relay_clientcerts), in one transaction, keeping names, the facts of \
                  ccert's comment lines (digest, type, notAfter, subject, added date) and the \
                  certificate copies in SOURCE.d/. Fingerprints already in the database are \
                  left as they are, so importing twice changes nothing; those stored under \
                  another name are listed.\n\n\
                  Example:\n  ccert --map pgsql:/etc/postfix/clientcerts.pgsql.cf import \
                  /etc/postfix/clientcerts"
)]
pub struct ImportArgs {
    /// The clientcerts source file to load
    #[arg(value_name = "SOURCE")]
    pub source: PathBuf,
}

/// Arguments of `ccert sync`.
#[derive(Debug, Args)]
#[command(
    after_help = "Writes FILE (a clientcerts source with ccert's comment lines) and its \
                  TYPE table from the database, each atomically, only when the list changed \
                  since the last sync (FILE's first line records the database id, the \
                  generation, the number of entries and a digest of their content, which the \
                  database computes from the rows themselves) or the table is missing or \
                  older than FILE. A FILE not written by sync is never overwritten. Point \
                  relay_clientcerts at TYPE:FILE on servers that must keep relaying while the \
                  database is down, and run sync from a timer (README: \"Fleet\").\n\n\
                  Refused unless you say so (the old FILE and table stay): another database \
                  behind the .cf than FILE was copied from, or another list than FILE's \
                  (--force); a list with less than half of FILE's entries, e.g. an emptied \
                  database or row-level security hiding rows (--allow-shrink), unless at most \
                  10 went and the generation shows edits since the copy (`ccert remove` of the \
                  last clients of a small list), or ccert itself removed them after the copy \
                  (`remove` or `apply` of more than half the list records that in the \
                  database).\n\n\
                  Exit status: 0 when FILE is up to date (written or not), 1 on errors and \
                  refusals (the old table stays in place).\n\n\
                  Example:\n  ccert sync --from pgsql:/etc/postfix/clientcerts.pgsql.cf \
                  --to cdb:/etc/postfix/clientcerts"
)]
pub struct SyncArgs {
    /// The database list: pgsql:CF
    #[arg(long, value_name = "pgsql:CF")]
    pub from: String,
    /// The local table: cdb:FILE, lmdb:FILE (or hash:, sqlite:)
    #[arg(long, value_name = "TYPE:FILE")]
    pub to: String,
    /// Write the copy although the database (its id) or the list (pgsql:CF) is not the one FILE was copied from; implies --allow-shrink
    #[arg(long)]
    pub force: bool,
    /// Write the copy although it removes more than half of FILE's entries
    #[arg(long)]
    pub allow_shrink: bool,
}

/// How a subcommand's help begins the pointer to the global options.
pub const GLOBAL_POINTER: &str = "Global options (";

/// The clap command tree, for parsing, man pages and completions.
///
/// The global options (`-c`, `--map`, `--quiet`, `--postfix-version`,
/// `--postfix-build`) are described once, in `ccert --help`: each
/// subcommand gets a copy whose help is hidden (clap then does not
/// propagate its own), so `ccert add -c DIR` still works and completes,
/// and its help says where they are.
pub fn command() -> clap::Command {
    let cmd = <Cli as clap::CommandFactory>::command();
    let globals: Vec<clap::Arg> = cmd
        .get_arguments()
        .filter(|a| a.is_global_set())
        .cloned()
        .collect();
    let listed: Vec<String> = globals
        .iter()
        .map(|a| match (a.get_short(), a.get_long()) {
            (Some(short), _) => format!("-{short}"),
            (None, Some(long)) => format!("--{long}"),
            (None, None) => a.get_id().to_string(),
        })
        .collect();
    let pointer = format!(
        "{GLOBAL_POINTER}{}) are described in `ccert --help`.",
        listed.join(", ")
    );
    hide_globals(cmd, &globals, &pointer)
}

/// Gives every subcommand of `cmd` (and theirs) hidden copies of `globals`
/// and the `pointer` to where they are described.
fn hide_globals(mut cmd: clap::Command, globals: &[clap::Arg], pointer: &str) -> clap::Command {
    let names: Vec<String> = cmd
        .get_subcommands()
        .map(|s| s.get_name().to_string())
        .collect();
    for name in names {
        cmd = cmd.mut_subcommand(name, |mut sub| {
            for arg in globals {
                sub = sub.arg(arg.clone().hide_short_help(true).hide_long_help(true));
            }
            let after = match sub.get_after_help() {
                Some(text) => format!("{text}\n\n{pointer}"),
                None => pointer.to_string(),
            };
            hide_globals(sub.after_help(after), globals, pointer)
        });
    }
    cmd
}

#[cfg(test)]
mod tests {
    #[test]
    fn command_definition_is_consistent() {
        super::command().debug_assert();
    }
}

/// Output formats of `ccert apply`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum ApplyFormat {
    /// One line per change, as `add` and `remove` print them
    #[default]
    Text,
    /// `{"changed": ..., "added": [...], "removed": [...], "renamed": [...]}` (and "diff" with --diff),
    /// for configuration management
    Json,
}

/// Arguments of `ccert apply`.
#[derive(Debug, Args)]
#[command(
    after_help = "The file lists every client the list should hold (TOML; the same \
                  schema as JSON when the file starts with `{`):\n\n  \
                  [[client]]\n  name = \"chinacat\"\n  \
                  certificate = \"/etc/postfix/clients/chinacat.pem\"   # or: fingerprint = \"AB:CD:...\"\n  \
                  pubkey = false                                      # optional\n\n\
                  ccert changes only the entries it wrote (those under its `# ccert:` comment): \
                  missing clients are added, renamed ones renamed, and entries ccert wrote that \
                  the file no longer names are removed; lines written by hand stay as they are. \
                  The tables are rebuilt once, and not at all when nothing changed. A relative \
                  certificate path is relative to the file's directory.\n\n\
                  Exit status: 0 nothing changed, 2 changed (with --check: would change), \
                  1 error (nothing changed), as `terraform plan -detailed-exitcode`.\n\n\
                  Examples:\n  ccert apply /etc/postfix/clients.toml\n  \
                  ccert apply --check --diff clients.toml\n  \
                  ccert --map pgsql:/etc/postfix/clientcerts.pgsql.cf apply --format json clients.json"
)]
pub struct ApplyArgs {
    /// The desired-state file (TOML, or JSON)
    #[arg(value_name = "FILE")]
    pub file: PathBuf,
    /// Change nothing; exit 2 when something would change
    #[arg(long)]
    pub check: bool,
    /// Show the source lines that change (`-` old, `+` new)
    #[arg(long)]
    pub diff: bool,
    /// Output format
    #[arg(short, long, value_enum, default_value_t, ignore_case = true)]
    pub format: ApplyFormat,
    /// Do not rebuild the compiled tables next to the source file
    #[arg(long)]
    pub no_compile: bool,
}

/// Output formats of `ccert check`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum CheckFormat {
    /// The Nagios/Icinga plugin API: `CCERT STATUS - summary | perfdata`, exit 0 to 3
    #[default]
    Nagios,
    /// The Prometheus text exposition format (see --textfile)
    Prometheus,
    /// One JSON object, for scripts
    Json,
}

/// Arguments of `ccert check`.
#[derive(Debug, Args)]
#[command(
    after_help = "Checks what Postfix answers from: the list relay_clientcerts names (or \
                  --map), its certificates' expiry as ccert recorded it when adding them, and \
                  whether each table built from the source is at least as new as the source. \
                  Postfix's fingerprint match ignores expiry: an expired certificate that is \
                  still listed still relays, so it is CRITICAL. Entries added by fingerprint \
                  have no recorded expiry and are counted, not judged.\n\n\
                  Exit status follows the monitoring plugin API: 0 OK, 1 WARNING (a \
                  certificate expires within --warning days), 2 CRITICAL (expired, within \
                  --critical days, or a table stale or missing), 3 UNKNOWN (the list cannot be \
                  read). The first line is `CCERT STATUS - summary | perfdata`; the lines after \
                  it name the certificates.\n\n\
                  --format prometheus prints the text exposition format: \
                  ccert_certificate_not_after_seconds per certificate (labels list, name, \
                  fingerprint), ccert_table_up_to_date and ccert_table_built_timestamp_seconds \
                  per table, counts, ccert_check_status. --textfile DIR replaces DIR/ccert.prom \
                  atomically for node_exporter's textfile collector; the packages ship a \
                  disabled ccert-check.timer that does this every 5 minutes.\n\n\
                  Examples:\n  ccert check\n  ccert check --warning 30 --critical 7\n  \
                  ccert check --format prometheus --textfile /var/lib/prometheus/node-exporter\n  \
                  ccert --map pgsql:/etc/postfix/clientcerts.pgsql.cf check --format json"
)]
pub struct CheckArgs {
    /// WARNING when a certificate expires within DAYS
    #[arg(short, long, value_name = "DAYS", default_value_t = 30.0)]
    pub warning: f64,
    /// CRITICAL when a certificate expires within DAYS (no -c: that is the configuration directory)
    #[arg(long, value_name = "DAYS", default_value_t = 7.0)]
    pub critical: f64,
    /// Output format
    #[arg(short, long, value_enum, default_value_t)]
    pub format: CheckFormat,
    /// With --format prometheus: write DIR/ccert.prom atomically instead of printing
    #[arg(long, value_name = "DIR", requires = "format")]
    pub textfile: Option<PathBuf>,
}

/// Arguments of `ccert rotate`.
#[derive(Debug, Args)]
#[command(
    after_help = "Both certificates relay during the rotation. The new entry's ccert comment \
                  records it (replaces=OLD-FINGERPRINT until=LAST-DAY); `ccert prune` removes the \
                  old entry once the mail log shows the new fingerprint in use, or after the \
                  overlap's last day. `ccert list` shows both sides.\n\n\
                  Examples:\n  ccert rotate chinacat /root/chinacat/chinacat.pem\n  \
                  ccert rotate chinacat new.pem --overlap 7\n  ccert prune --log /var/log/mail.log"
)]
pub struct RotateArgs {
    /// The client's name (its entry's value, or the name ccert keeps for a
    /// check_ccert_access entry)
    pub name: String,
    /// The client's new certificate (PEM, DER, PKCS#7 or PKCS#12)
    #[arg(value_name = "NEW_CERT")]
    pub cert: PathBuf,
    /// Days both certificates relay when the new one is never seen in the mail log
    #[arg(long, value_name = "DAYS", default_value_t = crate::lifecycle::DEFAULT_OVERLAP_DAYS,
          value_parser = clap::value_parser!(u32).range(0..=i64::from(crate::lifecycle::MAX_OVERLAP_DAYS)))]
    pub overlap: u32,
    /// Digest [default: the effective smtpd_tls_fingerprint_digest, else sha256]
    #[arg(short, long, value_enum, ignore_case = true)]
    pub digest: Option<DigestAlgorithm>,
    /// List the new public-key fingerprint [default: as the old entry, else as add]
    #[arg(long)]
    pub pubkey: bool,
    /// Do not rebuild the compiled tables next to the source file
    #[arg(long)]
    pub no_compile: bool,
}

/// Arguments of `ccert prune`.
#[derive(Debug, Args)]
#[command(
    after_help = "Without --expired, only finished rotations go: an old entry whose \
                  successor the mail log shows in use (the files of --log, else the log `ccert \
                  log` reads: maillog_file, /var/log/mail.log, or the journal), or whose overlap \
                  ended. Entries without a known expiry (added by fingerprint, no stored \
                  certificate) are reported and kept. On a pgsql: list, --expired removes the \
                  expired rows in one transaction (rotations are recorded in source files \
                  only).\n\n\
                  Examples:\n  ccert prune --expired --dry-run\n  \
                  ccert prune --expired --yes --log /var/log/mail.log"
)]
pub struct PruneArgs {
    /// Also remove entries whose certificate has expired (stored copy, else ccert's comment)
    #[arg(long)]
    pub expired: bool,
    /// Mail log to look for rotated certificates in use (repeatable; `-` is standard input)
    #[arg(long, value_name = "FILE")]
    pub log: Vec<PathBuf>,
    /// Show what would be removed; change nothing
    #[arg(short = 'n', long)]
    pub dry_run: bool,
    /// Do not ask for confirmation (required when standard input is not a terminal)
    #[arg(short, long)]
    pub yes: bool,
    /// Do not rebuild the compiled tables next to the source file
    #[arg(long)]
    pub no_compile: bool,
}
