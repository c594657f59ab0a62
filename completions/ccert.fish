# Print an optspec for argparse to handle cmd's options that are independent of any subcommand.
function __fish_ccert_global_optspecs
    string join \n c/config-dir= map= quiet postfix-version= postfix-build= pkcs12-password-file= h/help V/version
end

function __fish_ccert_needs_command
    # Figure out if the current invocation already has a command.
    set -l cmd (commandline -opc)
    set -e cmd[1]
    argparse -s (__fish_ccert_global_optspecs) -- $cmd 2>/dev/null
    or return
    if set -q argv[1]
        # Also print the command, so this can be used to figure out what it is.
        echo $argv[1]
        return 1
    end
    return 0
end

function __fish_ccert_using_subcommand
    set -l cmd (__fish_ccert_needs_command)
    test -z "$cmd"
    and return 1
    contains -- $cmd[1] $argv
end

complete -c ccert -n "__fish_ccert_needs_command" -s c -l config-dir -d 'Postfix configuration directory (as postmap -c)' -r -F
complete -c ccert -n "__fish_ccert_needs_command" -l map -d 'The clientcerts source file that add, remove, list and rehash edit, or a database list as Postfix names it: pgsql:/etc/postfix/clientcerts.pgsql.cf' -r -F
complete -c ccert -n "__fish_ccert_needs_command" -l postfix-version -d 'Use the built-in defaults of this Postfix release instead of asking postconf' -r
complete -c ccert -n "__fish_ccert_needs_command" -l postfix-build -d 'The build of the Postfix assumed with built-in defaults' -r -f -a "upstream\t'Upstream defaults (default_database_type = hash)'
debian\t'Debian/Ubuntu (3.11: default_database_type = cdb, hash/btree deprecated)'
no-bdb\t'Built without Berkeley DB, as RHEL 10 (lmdb; no hash:, btree:)'"
complete -c ccert -n "__fish_ccert_needs_command" -l pkcs12-password-file -d 'Read the password of PKCS#12 (.p12/.pfx) files from the first line of FILE' -r -F
complete -c ccert -n "__fish_ccert_needs_command" -l quiet -d 'Show no progress bar, and say nothing about tables built or rebuilt'
complete -c ccert -n "__fish_ccert_needs_command" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c ccert -n "__fish_ccert_needs_command" -s V -l version -d 'Print version'
complete -c ccert -n "__fish_ccert_needs_command" -f -a "fingerprint" -d 'Print certificate or public-key fingerprints as Postfix computes them'
complete -c ccert -n "__fish_ccert_needs_command" -f -a "add" -d 'Add certificates to the clientcerts source file (and recompile its tables)'
complete -c ccert -n "__fish_ccert_needs_command" -f -a "remove" -d 'Remove entries from the clientcerts source file (and recompile its tables)'
complete -c ccert -n "__fish_ccert_needs_command" -f -a "list" -d 'List the entries of the clientcerts source file as postmap reads them'
complete -c ccert -n "__fish_ccert_needs_command" -f -a "compile" -d 'Compile a source map into hash:, lmdb:, cdb: or sqlite: tables (like postmap)'
complete -c ccert -n "__fish_ccert_needs_command" -f -a "query" -d 'Look up a key in a compiled table (like postmap -q)'
complete -c ccert -n "__fish_ccert_needs_command" -f -a "dump" -d 'Print every key and value of a compiled table (like postmap -s)'
complete -c ccert -n "__fish_ccert_needs_command" -f -a "doctor" -d 'Audit the client-certificate relay setup of a Postfix configuration'
complete -c ccert -n "__fish_ccert_needs_command" -f -a "rehash" -d 'Rewrite every entry to another digest or to public-key fingerprints'
complete -c ccert -n "__fish_ccert_needs_command" -f -a "issue" -d 'Create a self-signed client certificate and key for a workstation'
complete -c ccert -n "__fish_ccert_needs_command" -f -a "client-config" -d 'Print the client configuration for relaying through this server with a certificate'
complete -c ccert -n "__fish_ccert_needs_command" -f -a "server-config" -d 'Print the main.cf and master.cf lines for certificate-based relaying'
complete -c ccert -n "__fish_ccert_needs_command" -f -a "migrate" -d 'Move relay_clientcerts and check_ccert_access tables off hash:/btree: (Berkeley DB)'
complete -c ccert -n "__fish_ccert_needs_command" -f -a "log" -d 'List the client certificates smtpd logged, and add unknown ones'
complete -c ccert -n "__fish_ccert_needs_command" -f -a "probe" -d 'Connect to a server as an SMTP client with a certificate and report whether it may relay'
complete -c ccert -n "__fish_ccert_needs_command" -f -a "completions" -d 'Print a shell completion script'
complete -c ccert -n "__fish_ccert_needs_command" -f -a "db" -d 'Create or migrate the client-certificate database (pgsql:) and its .cf file'
complete -c ccert -n "__fish_ccert_needs_command" -f -a "import" -d 'Load a clientcerts source file into a pgsql: list (idempotent)'
complete -c ccert -n "__fish_ccert_needs_command" -f -a "sync" -d 'Write a local table from a pgsql: list when the database changed'
complete -c ccert -n "__fish_ccert_needs_command" -f -a "apply" -d 'Make the list match a desired-state file (TOML or JSON); exit 0 unchanged, 2 changed'
complete -c ccert -n "__fish_ccert_needs_command" -f -a "check" -d 'Monitoring check: expired and expiring certificates, stale tables (Nagios/Icinga, Prometheus)'
complete -c ccert -n "__fish_ccert_needs_command" -f -a "rotate" -d 'List a client\'s new certificate beside its old one; `prune` retires the old one later'
complete -c ccert -n "__fish_ccert_needs_command" -f -a "prune" -d 'Retire finished rotations and (with --expired) expired certificates, then rebuild'
complete -c ccert -n "__fish_ccert_needs_command" -f -a "revoke" -d 'Revoke certificates: remove their entries and deny them in the deny table (also by CRL)'
complete -c ccert -n "__fish_ccert_needs_command" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c ccert -n "__fish_ccert_using_subcommand fingerprint" -s d -l digest -d 'Digest to use [default: the effective smtpd_tls_fingerprint_digest, else sha256]' -r -f -a "md5\t'MD5 (Postfix default below compatibility_level 3.6)'
sha1\t'SHA-1'
sha224\t'SHA-224'
sha256\t'SHA-256 (Postfix default from compatibility_level 3.6)'
sha384\t'SHA-384'
sha512\t'SHA-512'"
complete -c ccert -n "__fish_ccert_using_subcommand fingerprint" -s f -l format -d 'Output format' -r -f -a "text\t'One line per certificate: digest (`sha256`, `sha256-pubkey`), fingerprint, FILE or FILE[N], subject'
openssl\t'`sha256 Fingerprint=AB:CD:...`, as `openssl x509 -noout -fingerprint -sha256` prints it (OpenSSL 3); with --pubkey the same form'
map\t'A ready-to-paste `<fingerprint> <name>` source-map line (name: the subject CN)'
json\t'A JSON array of objects (file, index, fingerprint, subject, dates, serial, ...), for scripts'"
complete -c ccert -n "__fish_ccert_using_subcommand fingerprint" -s c -l config-dir -d 'Postfix configuration directory (as postmap -c)' -r -F
complete -c ccert -n "__fish_ccert_using_subcommand fingerprint" -l map -d 'The clientcerts source file that add, remove, list and rehash edit, or a database list as Postfix names it: pgsql:/etc/postfix/clientcerts.pgsql.cf' -r -F
complete -c ccert -n "__fish_ccert_using_subcommand fingerprint" -l postfix-version -d 'Use the built-in defaults of this Postfix release instead of asking postconf' -r
complete -c ccert -n "__fish_ccert_using_subcommand fingerprint" -l postfix-build -d 'The build of the Postfix assumed with built-in defaults' -r -f -a "upstream\t'Upstream defaults (default_database_type = hash)'
debian\t'Debian/Ubuntu (3.11: default_database_type = cdb, hash/btree deprecated)'
no-bdb\t'Built without Berkeley DB, as RHEL 10 (lmdb; no hash:, btree:)'"
complete -c ccert -n "__fish_ccert_using_subcommand fingerprint" -l pkcs12-password-file -d 'Read the password of PKCS#12 (.p12/.pfx) files from the first line of FILE' -r -F
complete -c ccert -n "__fish_ccert_using_subcommand fingerprint" -s p -l pubkey -d 'Fingerprint the public key (SubjectPublicKeyInfo), which survives renewal with the same key'
complete -c ccert -n "__fish_ccert_using_subcommand fingerprint" -l quiet -d 'Show no progress bar, and say nothing about tables built or rebuilt'
complete -c ccert -n "__fish_ccert_using_subcommand fingerprint" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c ccert -n "__fish_ccert_using_subcommand add" -s f -l fingerprint -d 'Add this fingerprint (hex pairs, colons optional, any case) instead of a certificate\'s; needs --name' -r
complete -c ccert -n "__fish_ccert_using_subcommand add" -s n -l name -d 'Value stored for the entry [default: the certificate\'s subject CN]' -r
complete -c ccert -n "__fish_ccert_using_subcommand add" -s d -l digest -d 'Digest to use [default: the effective smtpd_tls_fingerprint_digest]' -r -f -a "md5\t'MD5 (Postfix default below compatibility_level 3.6)'
sha1\t'SHA-1'
sha224\t'SHA-224'
sha256\t'SHA-256 (Postfix default from compatibility_level 3.6)'
sha384\t'SHA-384'
sha512\t'SHA-512'"
complete -c ccert -n "__fish_ccert_using_subcommand add" -s c -l config-dir -d 'Postfix configuration directory (as postmap -c)' -r -F
complete -c ccert -n "__fish_ccert_using_subcommand add" -l map -d 'The clientcerts source file that add, remove, list and rehash edit, or a database list as Postfix names it: pgsql:/etc/postfix/clientcerts.pgsql.cf' -r -F
complete -c ccert -n "__fish_ccert_using_subcommand add" -l postfix-version -d 'Use the built-in defaults of this Postfix release instead of asking postconf' -r
complete -c ccert -n "__fish_ccert_using_subcommand add" -l postfix-build -d 'The build of the Postfix assumed with built-in defaults' -r -f -a "upstream\t'Upstream defaults (default_database_type = hash)'
debian\t'Debian/Ubuntu (3.11: default_database_type = cdb, hash/btree deprecated)'
no-bdb\t'Built without Berkeley DB, as RHEL 10 (lmdb; no hash:, btree:)'"
complete -c ccert -n "__fish_ccert_using_subcommand add" -l pkcs12-password-file -d 'Read the password of PKCS#12 (.p12/.pfx) files from the first line of FILE' -r -F
complete -c ccert -n "__fish_ccert_using_subcommand add" -s p -l pubkey -d 'Add the public-key fingerprint instead of the certificate fingerprint (with --fingerprint: the fingerprint given is a public-key fingerprint)'
complete -c ccert -n "__fish_ccert_using_subcommand add" -l replace -d 'Replace the name of an entry whose fingerprint is already present'
complete -c ccert -n "__fish_ccert_using_subcommand add" -l strict -d 'Refuse, instead of warning, when --digest differs from the server\'s smtpd_tls_fingerprint_digest (such an entry can never match)'
complete -c ccert -n "__fish_ccert_using_subcommand add" -l no-compile -d 'Do not rebuild the compiled tables next to the source file'
complete -c ccert -n "__fish_ccert_using_subcommand add" -l quiet -d 'Show no progress bar, and say nothing about tables built or rebuilt'
complete -c ccert -n "__fish_ccert_using_subcommand add" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c ccert -n "__fish_ccert_using_subcommand remove" -s n -l name -d 'Remove every entry whose value is NAME' -r
complete -c ccert -n "__fish_ccert_using_subcommand remove" -l fingerprint -d 'Remove the entry with this fingerprint (any case, colons optional)' -r
complete -c ccert -n "__fish_ccert_using_subcommand remove" -s d -l digest -d 'Digest used to fingerprint CERT [default: every digest]' -r -f -a "md5\t'MD5 (Postfix default below compatibility_level 3.6)'
sha1\t'SHA-1'
sha224\t'SHA-224'
sha256\t'SHA-256 (Postfix default from compatibility_level 3.6)'
sha384\t'SHA-384'
sha512\t'SHA-512'"
complete -c ccert -n "__fish_ccert_using_subcommand remove" -s c -l config-dir -d 'Postfix configuration directory (as postmap -c)' -r -F
complete -c ccert -n "__fish_ccert_using_subcommand remove" -l map -d 'The clientcerts source file that add, remove, list and rehash edit, or a database list as Postfix names it: pgsql:/etc/postfix/clientcerts.pgsql.cf' -r -F
complete -c ccert -n "__fish_ccert_using_subcommand remove" -l postfix-version -d 'Use the built-in defaults of this Postfix release instead of asking postconf' -r
complete -c ccert -n "__fish_ccert_using_subcommand remove" -l postfix-build -d 'The build of the Postfix assumed with built-in defaults' -r -f -a "upstream\t'Upstream defaults (default_database_type = hash)'
debian\t'Debian/Ubuntu (3.11: default_database_type = cdb, hash/btree deprecated)'
no-bdb\t'Built without Berkeley DB, as RHEL 10 (lmdb; no hash:, btree:)'"
complete -c ccert -n "__fish_ccert_using_subcommand remove" -l pkcs12-password-file -d 'Read the password of PKCS#12 (.p12/.pfx) files from the first line of FILE' -r -F
complete -c ccert -n "__fish_ccert_using_subcommand remove" -s y -l yes -d 'Do not ask for confirmation (required when standard input is not a terminal)'
complete -c ccert -n "__fish_ccert_using_subcommand remove" -l no-compile -d 'Do not rebuild the compiled tables next to the source file'
complete -c ccert -n "__fish_ccert_using_subcommand remove" -l quiet -d 'Show no progress bar, and say nothing about tables built or rebuilt'
complete -c ccert -n "__fish_ccert_using_subcommand remove" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c ccert -n "__fish_ccert_using_subcommand list" -s f -l format -d 'Output format' -r -f -a "table\t'A table for people'
json\t'A JSON array of objects, for scripts'
plain\t'`<fingerprint> <name>` lines, as postmap reads them'"
complete -c ccert -n "__fish_ccert_using_subcommand list" -l expiring -d 'Show only entries whose certificate expires within DAYS; exit 1 if any does' -r
complete -c ccert -n "__fish_ccert_using_subcommand list" -s c -l config-dir -d 'Postfix configuration directory (as postmap -c)' -r -F
complete -c ccert -n "__fish_ccert_using_subcommand list" -l map -d 'The clientcerts source file that add, remove, list and rehash edit, or a database list as Postfix names it: pgsql:/etc/postfix/clientcerts.pgsql.cf' -r -F
complete -c ccert -n "__fish_ccert_using_subcommand list" -l postfix-version -d 'Use the built-in defaults of this Postfix release instead of asking postconf' -r
complete -c ccert -n "__fish_ccert_using_subcommand list" -l postfix-build -d 'The build of the Postfix assumed with built-in defaults' -r -f -a "upstream\t'Upstream defaults (default_database_type = hash)'
debian\t'Debian/Ubuntu (3.11: default_database_type = cdb, hash/btree deprecated)'
no-bdb\t'Built without Berkeley DB, as RHEL 10 (lmdb; no hash:, btree:)'"
complete -c ccert -n "__fish_ccert_using_subcommand list" -l pkcs12-password-file -d 'Read the password of PKCS#12 (.p12/.pfx) files from the first line of FILE' -r -F
complete -c ccert -n "__fish_ccert_using_subcommand list" -l quiet -d 'Show no progress bar, and say nothing about tables built or rebuilt'
complete -c ccert -n "__fish_ccert_using_subcommand list" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c ccert -n "__fish_ccert_using_subcommand compile" -s t -l type -d 'Table type for FILEs without a TYPE: prefix' -r -f -a "hash\t'Berkeley DB hash (FILE.db)'
lmdb\t'LMDB (FILE.lmdb)'
cdb\t'tinycdb constant database (FILE.cdb)'
sqlite\t'SQLite database FILE.sqlite plus sqlite_table(5) file FILE.sqlite.cf'"
complete -c ccert -n "__fish_ccert_using_subcommand compile" -s c -l config-dir -d 'Postfix configuration directory (as postmap -c)' -r -F
complete -c ccert -n "__fish_ccert_using_subcommand compile" -l map -d 'The clientcerts source file that add, remove, list and rehash edit, or a database list as Postfix names it: pgsql:/etc/postfix/clientcerts.pgsql.cf' -r -F
complete -c ccert -n "__fish_ccert_using_subcommand compile" -l postfix-version -d 'Use the built-in defaults of this Postfix release instead of asking postconf' -r
complete -c ccert -n "__fish_ccert_using_subcommand compile" -l postfix-build -d 'The build of the Postfix assumed with built-in defaults' -r -f -a "upstream\t'Upstream defaults (default_database_type = hash)'
debian\t'Debian/Ubuntu (3.11: default_database_type = cdb, hash/btree deprecated)'
no-bdb\t'Built without Berkeley DB, as RHEL 10 (lmdb; no hash:, btree:)'"
complete -c ccert -n "__fish_ccert_using_subcommand compile" -l pkcs12-password-file -d 'Read the password of PKCS#12 (.p12/.pfx) files from the first line of FILE' -r -F
complete -c ccert -n "__fish_ccert_using_subcommand compile" -s r -d 'On duplicate keys the last value wins, silently (postmap -r)'
complete -c ccert -n "__fish_ccert_using_subcommand compile" -s w -d 'On duplicate keys the first value wins, silently (postmap -w)'
complete -c ccert -n "__fish_ccert_using_subcommand compile" -l quiet -d 'Show no progress bar, and say nothing about tables built or rebuilt'
complete -c ccert -n "__fish_ccert_using_subcommand compile" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c ccert -n "__fish_ccert_using_subcommand query" -s c -l config-dir -d 'Postfix configuration directory (as postmap -c)' -r -F
complete -c ccert -n "__fish_ccert_using_subcommand query" -l map -d 'The clientcerts source file that add, remove, list and rehash edit, or a database list as Postfix names it: pgsql:/etc/postfix/clientcerts.pgsql.cf' -r -F
complete -c ccert -n "__fish_ccert_using_subcommand query" -l postfix-version -d 'Use the built-in defaults of this Postfix release instead of asking postconf' -r
complete -c ccert -n "__fish_ccert_using_subcommand query" -l postfix-build -d 'The build of the Postfix assumed with built-in defaults' -r -f -a "upstream\t'Upstream defaults (default_database_type = hash)'
debian\t'Debian/Ubuntu (3.11: default_database_type = cdb, hash/btree deprecated)'
no-bdb\t'Built without Berkeley DB, as RHEL 10 (lmdb; no hash:, btree:)'"
complete -c ccert -n "__fish_ccert_using_subcommand query" -l pkcs12-password-file -d 'Read the password of PKCS#12 (.p12/.pfx) files from the first line of FILE' -r -F
complete -c ccert -n "__fish_ccert_using_subcommand query" -l quiet -d 'Show no progress bar, and say nothing about tables built or rebuilt'
complete -c ccert -n "__fish_ccert_using_subcommand query" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c ccert -n "__fish_ccert_using_subcommand dump" -s c -l config-dir -d 'Postfix configuration directory (as postmap -c)' -r -F
complete -c ccert -n "__fish_ccert_using_subcommand dump" -l map -d 'The clientcerts source file that add, remove, list and rehash edit, or a database list as Postfix names it: pgsql:/etc/postfix/clientcerts.pgsql.cf' -r -F
complete -c ccert -n "__fish_ccert_using_subcommand dump" -l postfix-version -d 'Use the built-in defaults of this Postfix release instead of asking postconf' -r
complete -c ccert -n "__fish_ccert_using_subcommand dump" -l postfix-build -d 'The build of the Postfix assumed with built-in defaults' -r -f -a "upstream\t'Upstream defaults (default_database_type = hash)'
debian\t'Debian/Ubuntu (3.11: default_database_type = cdb, hash/btree deprecated)'
no-bdb\t'Built without Berkeley DB, as RHEL 10 (lmdb; no hash:, btree:)'"
complete -c ccert -n "__fish_ccert_using_subcommand dump" -l pkcs12-password-file -d 'Read the password of PKCS#12 (.p12/.pfx) files from the first line of FILE' -r -F
complete -c ccert -n "__fish_ccert_using_subcommand dump" -l quiet -d 'Show no progress bar, and say nothing about tables built or rebuilt'
complete -c ccert -n "__fish_ccert_using_subcommand dump" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c ccert -n "__fish_ccert_using_subcommand doctor" -s f -l format -d 'Output format' -r -f -a "text\t'Findings for people'
json\t'A JSON array of findings, for scripts'"
complete -c ccert -n "__fish_ccert_using_subcommand doctor" -l fips-file -d 'Test hook: the file that says whether the kernel runs in FIPS mode (docs/lifecycle.md); hidden, as no administrator needs another one' -r -F
complete -c ccert -n "__fish_ccert_using_subcommand doctor" -s c -l config-dir -d 'Postfix configuration directory (as postmap -c)' -r -F
complete -c ccert -n "__fish_ccert_using_subcommand doctor" -l map -d 'The clientcerts source file that add, remove, list and rehash edit, or a database list as Postfix names it: pgsql:/etc/postfix/clientcerts.pgsql.cf' -r -F
complete -c ccert -n "__fish_ccert_using_subcommand doctor" -l postfix-version -d 'Use the built-in defaults of this Postfix release instead of asking postconf' -r
complete -c ccert -n "__fish_ccert_using_subcommand doctor" -l postfix-build -d 'The build of the Postfix assumed with built-in defaults' -r -f -a "upstream\t'Upstream defaults (default_database_type = hash)'
debian\t'Debian/Ubuntu (3.11: default_database_type = cdb, hash/btree deprecated)'
no-bdb\t'Built without Berkeley DB, as RHEL 10 (lmdb; no hash:, btree:)'"
complete -c ccert -n "__fish_ccert_using_subcommand doctor" -l pkcs12-password-file -d 'Read the password of PKCS#12 (.p12/.pfx) files from the first line of FILE' -r -F
complete -c ccert -n "__fish_ccert_using_subcommand doctor" -l strict -d 'Exit 1 on warnings too'
complete -c ccert -n "__fish_ccert_using_subcommand doctor" -l quiet -d 'Show no progress bar, and say nothing about tables built or rebuilt'
complete -c ccert -n "__fish_ccert_using_subcommand doctor" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c ccert -n "__fish_ccert_using_subcommand rehash" -s d -l digest -d 'The new digest [default: the effective smtpd_tls_fingerprint_digest]' -r -f -a "md5\t'MD5 (Postfix default below compatibility_level 3.6)'
sha1\t'SHA-1'
sha224\t'SHA-224'
sha256\t'SHA-256 (Postfix default from compatibility_level 3.6)'
sha384\t'SHA-384'
sha512\t'SHA-512'"
complete -c ccert -n "__fish_ccert_using_subcommand rehash" -s c -l config-dir -d 'Postfix configuration directory (as postmap -c)' -r -F
complete -c ccert -n "__fish_ccert_using_subcommand rehash" -l map -d 'The clientcerts source file that add, remove, list and rehash edit, or a database list as Postfix names it: pgsql:/etc/postfix/clientcerts.pgsql.cf' -r -F
complete -c ccert -n "__fish_ccert_using_subcommand rehash" -l postfix-version -d 'Use the built-in defaults of this Postfix release instead of asking postconf' -r
complete -c ccert -n "__fish_ccert_using_subcommand rehash" -l postfix-build -d 'The build of the Postfix assumed with built-in defaults' -r -f -a "upstream\t'Upstream defaults (default_database_type = hash)'
debian\t'Debian/Ubuntu (3.11: default_database_type = cdb, hash/btree deprecated)'
no-bdb\t'Built without Berkeley DB, as RHEL 10 (lmdb; no hash:, btree:)'"
complete -c ccert -n "__fish_ccert_using_subcommand rehash" -l pkcs12-password-file -d 'Read the password of PKCS#12 (.p12/.pfx) files from the first line of FILE' -r -F
complete -c ccert -n "__fish_ccert_using_subcommand rehash" -s p -l pubkey -d 'Use public-key fingerprints'
complete -c ccert -n "__fish_ccert_using_subcommand rehash" -l skip-unknown -d 'Leave entries without a stored certificate (such as those added with `add --fingerprint`) as they are, instead of refusing to rehash'
complete -c ccert -n "__fish_ccert_using_subcommand rehash" -l no-compile -d 'Do not rebuild the compiled tables next to the source file'
complete -c ccert -n "__fish_ccert_using_subcommand rehash" -l quiet -d 'Show no progress bar, and say nothing about tables built or rebuilt'
complete -c ccert -n "__fish_ccert_using_subcommand rehash" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c ccert -n "__fish_ccert_using_subcommand issue" -s k -l key-type -d 'Key type' -r -f -a "ec\t'ECDSA P-256'
rsa\t'RSA 2048'
ed25519\t'Ed25519'"
complete -c ccert -n "__fish_ccert_using_subcommand issue" -l days -d 'Validity in days' -r
complete -c ccert -n "__fish_ccert_using_subcommand issue" -s o -l out -d 'Directory for NAME.pem and NAME.key' -r -F
complete -c ccert -n "__fish_ccert_using_subcommand issue" -s c -l config-dir -d 'Postfix configuration directory (as postmap -c)' -r -F
complete -c ccert -n "__fish_ccert_using_subcommand issue" -l map -d 'The clientcerts source file that add, remove, list and rehash edit, or a database list as Postfix names it: pgsql:/etc/postfix/clientcerts.pgsql.cf' -r -F
complete -c ccert -n "__fish_ccert_using_subcommand issue" -l postfix-version -d 'Use the built-in defaults of this Postfix release instead of asking postconf' -r
complete -c ccert -n "__fish_ccert_using_subcommand issue" -l postfix-build -d 'The build of the Postfix assumed with built-in defaults' -r -f -a "upstream\t'Upstream defaults (default_database_type = hash)'
debian\t'Debian/Ubuntu (3.11: default_database_type = cdb, hash/btree deprecated)'
no-bdb\t'Built without Berkeley DB, as RHEL 10 (lmdb; no hash:, btree:)'"
complete -c ccert -n "__fish_ccert_using_subcommand issue" -l pkcs12-password-file -d 'Read the password of PKCS#12 (.p12/.pfx) files from the first line of FILE' -r -F
complete -c ccert -n "__fish_ccert_using_subcommand issue" -l add -d 'Also add the certificate to the clientcerts source file'
complete -c ccert -n "__fish_ccert_using_subcommand issue" -l renew -d 'Re-issue OUT/NAME.pem from the existing OUT/NAME.key (public-key entries stay valid)'
complete -c ccert -n "__fish_ccert_using_subcommand issue" -l quiet -d 'Show no progress bar, and say nothing about tables built or rebuilt'
complete -c ccert -n "__fish_ccert_using_subcommand issue" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c ccert -n "__fish_ccert_using_subcommand client-config" -l cert -d 'Client certificate file' -r -F
complete -c ccert -n "__fish_ccert_using_subcommand client-config" -l key -d 'Client private key file' -r -F
complete -c ccert -n "__fish_ccert_using_subcommand client-config" -l relay -d 'Relay server as HOST[:PORT] [default port: 587]' -r
complete -c ccert -n "__fish_ccert_using_subcommand client-config" -s c -l config-dir -d 'Postfix configuration directory (as postmap -c)' -r -F
complete -c ccert -n "__fish_ccert_using_subcommand client-config" -l map -d 'The clientcerts source file that add, remove, list and rehash edit, or a database list as Postfix names it: pgsql:/etc/postfix/clientcerts.pgsql.cf' -r -F
complete -c ccert -n "__fish_ccert_using_subcommand client-config" -l postfix-version -d 'Use the built-in defaults of this Postfix release instead of asking postconf' -r
complete -c ccert -n "__fish_ccert_using_subcommand client-config" -l postfix-build -d 'The build of the Postfix assumed with built-in defaults' -r -f -a "upstream\t'Upstream defaults (default_database_type = hash)'
debian\t'Debian/Ubuntu (3.11: default_database_type = cdb, hash/btree deprecated)'
no-bdb\t'Built without Berkeley DB, as RHEL 10 (lmdb; no hash:, btree:)'"
complete -c ccert -n "__fish_ccert_using_subcommand client-config" -l pkcs12-password-file -d 'Read the password of PKCS#12 (.p12/.pfx) files from the first line of FILE' -r -F
complete -c ccert -n "__fish_ccert_using_subcommand client-config" -l postfix -d 'Print Postfix (smarthost client) settings (the default)'
complete -c ccert -n "__fish_ccert_using_subcommand client-config" -l ssmtp -d 'Print ssmtp.conf settings'
complete -c ccert -n "__fish_ccert_using_subcommand client-config" -l quiet -d 'Show no progress bar, and say nothing about tables built or rebuilt'
complete -c ccert -n "__fish_ccert_using_subcommand client-config" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c ccert -n "__fish_ccert_using_subcommand server-config" -s c -l config-dir -d 'Postfix configuration directory (as postmap -c)' -r -F
complete -c ccert -n "__fish_ccert_using_subcommand server-config" -l map -d 'The clientcerts source file that add, remove, list and rehash edit, or a database list as Postfix names it: pgsql:/etc/postfix/clientcerts.pgsql.cf' -r -F
complete -c ccert -n "__fish_ccert_using_subcommand server-config" -l postfix-version -d 'Use the built-in defaults of this Postfix release instead of asking postconf' -r
complete -c ccert -n "__fish_ccert_using_subcommand server-config" -l postfix-build -d 'The build of the Postfix assumed with built-in defaults' -r -f -a "upstream\t'Upstream defaults (default_database_type = hash)'
debian\t'Debian/Ubuntu (3.11: default_database_type = cdb, hash/btree deprecated)'
no-bdb\t'Built without Berkeley DB, as RHEL 10 (lmdb; no hash:, btree:)'"
complete -c ccert -n "__fish_ccert_using_subcommand server-config" -l pkcs12-password-file -d 'Read the password of PKCS#12 (.p12/.pfx) files from the first line of FILE' -r -F
complete -c ccert -n "__fish_ccert_using_subcommand server-config" -l quiet -d 'Show no progress bar, and say nothing about tables built or rebuilt'
complete -c ccert -n "__fish_ccert_using_subcommand server-config" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c ccert -n "__fish_ccert_using_subcommand migrate" -l to -d 'The new table type' -r -f -a "lmdb\t'LMDB (FILE.lmdb)'
cdb\t'tinycdb (FILE.cdb)'"
complete -c ccert -n "__fish_ccert_using_subcommand migrate" -s c -l config-dir -d 'Postfix configuration directory (as postmap -c)' -r -F
complete -c ccert -n "__fish_ccert_using_subcommand migrate" -l map -d 'The clientcerts source file that add, remove, list and rehash edit, or a database list as Postfix names it: pgsql:/etc/postfix/clientcerts.pgsql.cf' -r -F
complete -c ccert -n "__fish_ccert_using_subcommand migrate" -l postfix-version -d 'Use the built-in defaults of this Postfix release instead of asking postconf' -r
complete -c ccert -n "__fish_ccert_using_subcommand migrate" -l postfix-build -d 'The build of the Postfix assumed with built-in defaults' -r -f -a "upstream\t'Upstream defaults (default_database_type = hash)'
debian\t'Debian/Ubuntu (3.11: default_database_type = cdb, hash/btree deprecated)'
no-bdb\t'Built without Berkeley DB, as RHEL 10 (lmdb; no hash:, btree:)'"
complete -c ccert -n "__fish_ccert_using_subcommand migrate" -l pkcs12-password-file -d 'Read the password of PKCS#12 (.p12/.pfx) files from the first line of FILE' -r -F
complete -c ccert -n "__fish_ccert_using_subcommand migrate" -l apply -d 'Write main.cf and master.cf (with a backup) instead of printing the lines'
complete -c ccert -n "__fish_ccert_using_subcommand migrate" -l quiet -d 'Show no progress bar, and say nothing about tables built or rebuilt'
complete -c ccert -n "__fish_ccert_using_subcommand migrate" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c ccert -n "__fish_ccert_using_subcommand log" -s f -l format -d 'Output format' -r -f -a "table\t'A table for people'
json\t'A JSON array of objects, for scripts'"
complete -c ccert -n "__fish_ccert_using_subcommand log" -l since -d 'Only lines from this time on: a date (2026-11-25), an RFC 3339 time, or an age (90m, 12h, 7d)' -r
complete -c ccert -n "__fish_ccert_using_subcommand log" -s c -l config-dir -d 'Postfix configuration directory (as postmap -c)' -r -F
complete -c ccert -n "__fish_ccert_using_subcommand log" -l map -d 'The clientcerts source file that add, remove, list and rehash edit, or a database list as Postfix names it: pgsql:/etc/postfix/clientcerts.pgsql.cf' -r -F
complete -c ccert -n "__fish_ccert_using_subcommand log" -l postfix-version -d 'Use the built-in defaults of this Postfix release instead of asking postconf' -r
complete -c ccert -n "__fish_ccert_using_subcommand log" -l postfix-build -d 'The build of the Postfix assumed with built-in defaults' -r -f -a "upstream\t'Upstream defaults (default_database_type = hash)'
debian\t'Debian/Ubuntu (3.11: default_database_type = cdb, hash/btree deprecated)'
no-bdb\t'Built without Berkeley DB, as RHEL 10 (lmdb; no hash:, btree:)'"
complete -c ccert -n "__fish_ccert_using_subcommand log" -l pkcs12-password-file -d 'Read the password of PKCS#12 (.p12/.pfx) files from the first line of FILE' -r -F
complete -c ccert -n "__fish_ccert_using_subcommand log" -s a -l all -d 'Show every client, also those already in the clientcerts source'
complete -c ccert -n "__fish_ccert_using_subcommand log" -l approve -d 'Ask, for each unknown client, whether to add it, under which name and as which fingerprint (needs a terminal)'
complete -c ccert -n "__fish_ccert_using_subcommand log" -l no-compile -d 'Do not rebuild the compiled tables next to the source file (with --approve)'
complete -c ccert -n "__fish_ccert_using_subcommand log" -l quiet -d 'Show no progress bar, and say nothing about tables built or rebuilt'
complete -c ccert -n "__fish_ccert_using_subcommand log" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c ccert -n "__fish_ccert_using_subcommand probe" -l cert -d 'Client certificate file (PEM; the chain may follow)' -r -F
complete -c ccert -n "__fish_ccert_using_subcommand probe" -l key -d 'Client private key file (PEM: PKCS#8, RSA or EC)' -r -F
complete -c ccert -n "__fish_ccert_using_subcommand probe" -l from -d 'Envelope sender' -r
complete -c ccert -n "__fish_ccert_using_subcommand probe" -l to -d 'Recipient outside the server\'s domains (relaying needs permission)' -r
complete -c ccert -n "__fish_ccert_using_subcommand probe" -s d -l digest -d 'The server\'s smtpd_tls_fingerprint_digest [default: from -c DIR when present, else sha256]' -r -f -a "md5\t'MD5 (Postfix default below compatibility_level 3.6)'
sha1\t'SHA-1'
sha224\t'SHA-224'
sha256\t'SHA-256 (Postfix default from compatibility_level 3.6)'
sha384\t'SHA-384'
sha512\t'SHA-512'"
complete -c ccert -n "__fish_ccert_using_subcommand probe" -l helo -d 'The name sent in EHLO' -r
complete -c ccert -n "__fish_ccert_using_subcommand probe" -l timeout -d 'Seconds the whole dialogue may take (connecting, TLS and every reply together)' -r
complete -c ccert -n "__fish_ccert_using_subcommand probe" -s f -l format -d 'Output format' -r -f -a "text\t'A report for people'
json\t'One JSON object, for scripts'"
complete -c ccert -n "__fish_ccert_using_subcommand probe" -s c -l config-dir -d 'Postfix configuration directory (as postmap -c)' -r -F
complete -c ccert -n "__fish_ccert_using_subcommand probe" -l map -d 'The clientcerts source file that add, remove, list and rehash edit, or a database list as Postfix names it: pgsql:/etc/postfix/clientcerts.pgsql.cf' -r -F
complete -c ccert -n "__fish_ccert_using_subcommand probe" -l postfix-version -d 'Use the built-in defaults of this Postfix release instead of asking postconf' -r
complete -c ccert -n "__fish_ccert_using_subcommand probe" -l postfix-build -d 'The build of the Postfix assumed with built-in defaults' -r -f -a "upstream\t'Upstream defaults (default_database_type = hash)'
debian\t'Debian/Ubuntu (3.11: default_database_type = cdb, hash/btree deprecated)'
no-bdb\t'Built without Berkeley DB, as RHEL 10 (lmdb; no hash:, btree:)'"
complete -c ccert -n "__fish_ccert_using_subcommand probe" -l pkcs12-password-file -d 'Read the password of PKCS#12 (.p12/.pfx) files from the first line of FILE' -r -F
complete -c ccert -n "__fish_ccert_using_subcommand probe" -l tls -d 'Implicit TLS (the default on port 465) instead of STARTTLS'
complete -c ccert -n "__fish_ccert_using_subcommand probe" -l rpk -d 'Offer a raw public key (RFC 7250; TLS 1.3, Postfix 3.9+ with smtpd_tls_enable_rpk) instead of the certificate'
complete -c ccert -n "__fish_ccert_using_subcommand probe" -l quiet -d 'Show no progress bar, and say nothing about tables built or rebuilt'
complete -c ccert -n "__fish_ccert_using_subcommand probe" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c ccert -n "__fish_ccert_using_subcommand completions" -s c -l config-dir -d 'Postfix configuration directory (as postmap -c)' -r -F
complete -c ccert -n "__fish_ccert_using_subcommand completions" -l map -d 'The clientcerts source file that add, remove, list and rehash edit, or a database list as Postfix names it: pgsql:/etc/postfix/clientcerts.pgsql.cf' -r -F
complete -c ccert -n "__fish_ccert_using_subcommand completions" -l postfix-version -d 'Use the built-in defaults of this Postfix release instead of asking postconf' -r
complete -c ccert -n "__fish_ccert_using_subcommand completions" -l postfix-build -d 'The build of the Postfix assumed with built-in defaults' -r -f -a "upstream\t'Upstream defaults (default_database_type = hash)'
debian\t'Debian/Ubuntu (3.11: default_database_type = cdb, hash/btree deprecated)'
no-bdb\t'Built without Berkeley DB, as RHEL 10 (lmdb; no hash:, btree:)'"
complete -c ccert -n "__fish_ccert_using_subcommand completions" -l pkcs12-password-file -d 'Read the password of PKCS#12 (.p12/.pfx) files from the first line of FILE' -r -F
complete -c ccert -n "__fish_ccert_using_subcommand completions" -l quiet -d 'Show no progress bar, and say nothing about tables built or rebuilt'
complete -c ccert -n "__fish_ccert_using_subcommand completions" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c ccert -n "__fish_ccert_using_subcommand db; and not __fish_seen_subcommand_from init" -s c -l config-dir -d 'Postfix configuration directory (as postmap -c)' -r -F
complete -c ccert -n "__fish_ccert_using_subcommand db; and not __fish_seen_subcommand_from init" -l map -d 'The clientcerts source file that add, remove, list and rehash edit, or a database list as Postfix names it: pgsql:/etc/postfix/clientcerts.pgsql.cf' -r -F
complete -c ccert -n "__fish_ccert_using_subcommand db; and not __fish_seen_subcommand_from init" -l postfix-version -d 'Use the built-in defaults of this Postfix release instead of asking postconf' -r
complete -c ccert -n "__fish_ccert_using_subcommand db; and not __fish_seen_subcommand_from init" -l postfix-build -d 'The build of the Postfix assumed with built-in defaults' -r -f -a "upstream\t'Upstream defaults (default_database_type = hash)'
debian\t'Debian/Ubuntu (3.11: default_database_type = cdb, hash/btree deprecated)'
no-bdb\t'Built without Berkeley DB, as RHEL 10 (lmdb; no hash:, btree:)'"
complete -c ccert -n "__fish_ccert_using_subcommand db; and not __fish_seen_subcommand_from init" -l pkcs12-password-file -d 'Read the password of PKCS#12 (.p12/.pfx) files from the first line of FILE' -r -F
complete -c ccert -n "__fish_ccert_using_subcommand db; and not __fish_seen_subcommand_from init" -l quiet -d 'Show no progress bar, and say nothing about tables built or rebuilt'
complete -c ccert -n "__fish_ccert_using_subcommand db; and not __fish_seen_subcommand_from init" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c ccert -n "__fish_ccert_using_subcommand db; and not __fish_seen_subcommand_from init" -f -a "init" -d 'Create the ccert tables (or migrate them in place) and write the pgsql_table(5) file'
complete -c ccert -n "__fish_ccert_using_subcommand db; and __fish_seen_subcommand_from init" -l hosts -d 'Database servers, as pgsql_table(5) `hosts` (comma-separated or repeated)' -r
complete -c ccert -n "__fish_ccert_using_subcommand db; and __fish_seen_subcommand_from init" -l dbname -d 'Database name' -r
complete -c ccert -n "__fish_ccert_using_subcommand db; and __fish_seen_subcommand_from init" -l user -d 'Database user Postfix and ccert connect as' -r
complete -c ccert -n "__fish_ccert_using_subcommand db; and __fish_seen_subcommand_from init" -l password-file -d 'Read the password from the first line of FILE' -r -F
complete -c ccert -n "__fish_ccert_using_subcommand db; and __fish_seen_subcommand_from init" -l lookup-user -d 'Also create a read-only database role for Postfix\'s lookups, with its own CF' -r
complete -c ccert -n "__fish_ccert_using_subcommand db; and __fish_seen_subcommand_from init" -l lookup-cf -d 'Where to write the lookup role\'s pgsql_table(5) file' -r -F
complete -c ccert -n "__fish_ccert_using_subcommand db; and __fish_seen_subcommand_from init" -l lookup-password-file -d 'Read the lookup role\'s password from the first line of FILE (default: random)' -r -F
complete -c ccert -n "__fish_ccert_using_subcommand db; and __fish_seen_subcommand_from init" -s c -l config-dir -d 'Postfix configuration directory (as postmap -c)' -r -F
complete -c ccert -n "__fish_ccert_using_subcommand db; and __fish_seen_subcommand_from init" -l map -d 'The clientcerts source file that add, remove, list and rehash edit, or a database list as Postfix names it: pgsql:/etc/postfix/clientcerts.pgsql.cf' -r -F
complete -c ccert -n "__fish_ccert_using_subcommand db; and __fish_seen_subcommand_from init" -l postfix-version -d 'Use the built-in defaults of this Postfix release instead of asking postconf' -r
complete -c ccert -n "__fish_ccert_using_subcommand db; and __fish_seen_subcommand_from init" -l postfix-build -d 'The build of the Postfix assumed with built-in defaults' -r -f -a "upstream\t'Upstream defaults (default_database_type = hash)'
debian\t'Debian/Ubuntu (3.11: default_database_type = cdb, hash/btree deprecated)'
no-bdb\t'Built without Berkeley DB, as RHEL 10 (lmdb; no hash:, btree:)'"
complete -c ccert -n "__fish_ccert_using_subcommand db; and __fish_seen_subcommand_from init" -l pkcs12-password-file -d 'Read the password of PKCS#12 (.p12/.pfx) files from the first line of FILE' -r -F
complete -c ccert -n "__fish_ccert_using_subcommand db; and __fish_seen_subcommand_from init" -l force -d 'Replace an existing CF file'
complete -c ccert -n "__fish_ccert_using_subcommand db; and __fish_seen_subcommand_from init" -l print-sql -d 'Print the SQL that creates the lookup role and change nothing'
complete -c ccert -n "__fish_ccert_using_subcommand db; and __fish_seen_subcommand_from init" -l quiet -d 'Show no progress bar, and say nothing about tables built or rebuilt'
complete -c ccert -n "__fish_ccert_using_subcommand db; and __fish_seen_subcommand_from init" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c ccert -n "__fish_ccert_using_subcommand import" -s c -l config-dir -d 'Postfix configuration directory (as postmap -c)' -r -F
complete -c ccert -n "__fish_ccert_using_subcommand import" -l map -d 'The clientcerts source file that add, remove, list and rehash edit, or a database list as Postfix names it: pgsql:/etc/postfix/clientcerts.pgsql.cf' -r -F
complete -c ccert -n "__fish_ccert_using_subcommand import" -l postfix-version -d 'Use the built-in defaults of this Postfix release instead of asking postconf' -r
complete -c ccert -n "__fish_ccert_using_subcommand import" -l postfix-build -d 'The build of the Postfix assumed with built-in defaults' -r -f -a "upstream\t'Upstream defaults (default_database_type = hash)'
debian\t'Debian/Ubuntu (3.11: default_database_type = cdb, hash/btree deprecated)'
no-bdb\t'Built without Berkeley DB, as RHEL 10 (lmdb; no hash:, btree:)'"
complete -c ccert -n "__fish_ccert_using_subcommand import" -l pkcs12-password-file -d 'Read the password of PKCS#12 (.p12/.pfx) files from the first line of FILE' -r -F
complete -c ccert -n "__fish_ccert_using_subcommand import" -l quiet -d 'Show no progress bar, and say nothing about tables built or rebuilt'
complete -c ccert -n "__fish_ccert_using_subcommand import" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c ccert -n "__fish_ccert_using_subcommand sync" -l from -d 'The database list: pgsql:CF' -r
complete -c ccert -n "__fish_ccert_using_subcommand sync" -l to -d 'The local table: cdb:FILE, lmdb:FILE (or hash:, sqlite:)' -r
complete -c ccert -n "__fish_ccert_using_subcommand sync" -s c -l config-dir -d 'Postfix configuration directory (as postmap -c)' -r -F
complete -c ccert -n "__fish_ccert_using_subcommand sync" -l map -d 'The clientcerts source file that add, remove, list and rehash edit, or a database list as Postfix names it: pgsql:/etc/postfix/clientcerts.pgsql.cf' -r -F
complete -c ccert -n "__fish_ccert_using_subcommand sync" -l postfix-version -d 'Use the built-in defaults of this Postfix release instead of asking postconf' -r
complete -c ccert -n "__fish_ccert_using_subcommand sync" -l postfix-build -d 'The build of the Postfix assumed with built-in defaults' -r -f -a "upstream\t'Upstream defaults (default_database_type = hash)'
debian\t'Debian/Ubuntu (3.11: default_database_type = cdb, hash/btree deprecated)'
no-bdb\t'Built without Berkeley DB, as RHEL 10 (lmdb; no hash:, btree:)'"
complete -c ccert -n "__fish_ccert_using_subcommand sync" -l pkcs12-password-file -d 'Read the password of PKCS#12 (.p12/.pfx) files from the first line of FILE' -r -F
complete -c ccert -n "__fish_ccert_using_subcommand sync" -l force -d 'Write the copy although the database (its id) or the list (pgsql:CF) is not the one FILE was copied from; implies --allow-shrink'
complete -c ccert -n "__fish_ccert_using_subcommand sync" -l allow-shrink -d 'Write the copy although it removes more than half of FILE\'s entries'
complete -c ccert -n "__fish_ccert_using_subcommand sync" -l quiet -d 'Show no progress bar, and say nothing about tables built or rebuilt'
complete -c ccert -n "__fish_ccert_using_subcommand sync" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c ccert -n "__fish_ccert_using_subcommand apply" -s f -l format -d 'Output format' -r -f -a "text\t'One line per change, as `add` and `remove` print them'
json\t'`{"changed": ..., "added": [...], "removed": [...], "renamed": [...]}` (and "diff" with --diff), for configuration management'"
complete -c ccert -n "__fish_ccert_using_subcommand apply" -s c -l config-dir -d 'Postfix configuration directory (as postmap -c)' -r -F
complete -c ccert -n "__fish_ccert_using_subcommand apply" -l map -d 'The clientcerts source file that add, remove, list and rehash edit, or a database list as Postfix names it: pgsql:/etc/postfix/clientcerts.pgsql.cf' -r -F
complete -c ccert -n "__fish_ccert_using_subcommand apply" -l postfix-version -d 'Use the built-in defaults of this Postfix release instead of asking postconf' -r
complete -c ccert -n "__fish_ccert_using_subcommand apply" -l postfix-build -d 'The build of the Postfix assumed with built-in defaults' -r -f -a "upstream\t'Upstream defaults (default_database_type = hash)'
debian\t'Debian/Ubuntu (3.11: default_database_type = cdb, hash/btree deprecated)'
no-bdb\t'Built without Berkeley DB, as RHEL 10 (lmdb; no hash:, btree:)'"
complete -c ccert -n "__fish_ccert_using_subcommand apply" -l pkcs12-password-file -d 'Read the password of PKCS#12 (.p12/.pfx) files from the first line of FILE' -r -F
complete -c ccert -n "__fish_ccert_using_subcommand apply" -l check -d 'Change nothing; exit 2 when something would change'
complete -c ccert -n "__fish_ccert_using_subcommand apply" -l diff -d 'Show the source lines that change (`-` old, `+` new)'
complete -c ccert -n "__fish_ccert_using_subcommand apply" -l no-compile -d 'Do not rebuild the compiled tables next to the source file'
complete -c ccert -n "__fish_ccert_using_subcommand apply" -l quiet -d 'Show no progress bar, and say nothing about tables built or rebuilt'
complete -c ccert -n "__fish_ccert_using_subcommand apply" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c ccert -n "__fish_ccert_using_subcommand check" -s w -l warning -d 'WARNING when a certificate expires within DAYS' -r
complete -c ccert -n "__fish_ccert_using_subcommand check" -l critical -d 'CRITICAL when a certificate expires within DAYS (no -c: that is the configuration directory)' -r
complete -c ccert -n "__fish_ccert_using_subcommand check" -s f -l format -d 'Output format' -r -f -a "nagios\t'The Nagios/Icinga plugin API: `CCERT STATUS - summary | perfdata`, exit 0 to 3'
prometheus\t'The Prometheus text exposition format (see --textfile)'
json\t'One JSON object, for scripts'"
complete -c ccert -n "__fish_ccert_using_subcommand check" -l textfile -d 'With --format prometheus: write DIR/ccert.prom atomically instead of printing' -r -F
complete -c ccert -n "__fish_ccert_using_subcommand check" -s c -l config-dir -d 'Postfix configuration directory (as postmap -c)' -r -F
complete -c ccert -n "__fish_ccert_using_subcommand check" -l map -d 'The clientcerts source file that add, remove, list and rehash edit, or a database list as Postfix names it: pgsql:/etc/postfix/clientcerts.pgsql.cf' -r -F
complete -c ccert -n "__fish_ccert_using_subcommand check" -l postfix-version -d 'Use the built-in defaults of this Postfix release instead of asking postconf' -r
complete -c ccert -n "__fish_ccert_using_subcommand check" -l postfix-build -d 'The build of the Postfix assumed with built-in defaults' -r -f -a "upstream\t'Upstream defaults (default_database_type = hash)'
debian\t'Debian/Ubuntu (3.11: default_database_type = cdb, hash/btree deprecated)'
no-bdb\t'Built without Berkeley DB, as RHEL 10 (lmdb; no hash:, btree:)'"
complete -c ccert -n "__fish_ccert_using_subcommand check" -l pkcs12-password-file -d 'Read the password of PKCS#12 (.p12/.pfx) files from the first line of FILE' -r -F
complete -c ccert -n "__fish_ccert_using_subcommand check" -l quiet -d 'Show no progress bar, and say nothing about tables built or rebuilt'
complete -c ccert -n "__fish_ccert_using_subcommand check" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c ccert -n "__fish_ccert_using_subcommand rotate" -l overlap -d 'Days both certificates relay when the new one is never seen in the mail log' -r
complete -c ccert -n "__fish_ccert_using_subcommand rotate" -s d -l digest -d 'Digest [default: the effective smtpd_tls_fingerprint_digest, else sha256]' -r -f -a "md5\t'MD5 (Postfix default below compatibility_level 3.6)'
sha1\t'SHA-1'
sha224\t'SHA-224'
sha256\t'SHA-256 (Postfix default from compatibility_level 3.6)'
sha384\t'SHA-384'
sha512\t'SHA-512'"
complete -c ccert -n "__fish_ccert_using_subcommand rotate" -s c -l config-dir -d 'Postfix configuration directory (as postmap -c)' -r -F
complete -c ccert -n "__fish_ccert_using_subcommand rotate" -l map -d 'The clientcerts source file that add, remove, list and rehash edit, or a database list as Postfix names it: pgsql:/etc/postfix/clientcerts.pgsql.cf' -r -F
complete -c ccert -n "__fish_ccert_using_subcommand rotate" -l postfix-version -d 'Use the built-in defaults of this Postfix release instead of asking postconf' -r
complete -c ccert -n "__fish_ccert_using_subcommand rotate" -l postfix-build -d 'The build of the Postfix assumed with built-in defaults' -r -f -a "upstream\t'Upstream defaults (default_database_type = hash)'
debian\t'Debian/Ubuntu (3.11: default_database_type = cdb, hash/btree deprecated)'
no-bdb\t'Built without Berkeley DB, as RHEL 10 (lmdb; no hash:, btree:)'"
complete -c ccert -n "__fish_ccert_using_subcommand rotate" -l pkcs12-password-file -d 'Read the password of PKCS#12 (.p12/.pfx) files from the first line of FILE' -r -F
complete -c ccert -n "__fish_ccert_using_subcommand rotate" -l pubkey -d 'List the new public-key fingerprint [default: as the old entry, else as add]'
complete -c ccert -n "__fish_ccert_using_subcommand rotate" -l no-compile -d 'Do not rebuild the compiled tables next to the source file'
complete -c ccert -n "__fish_ccert_using_subcommand rotate" -l quiet -d 'Show no progress bar, and say nothing about tables built or rebuilt'
complete -c ccert -n "__fish_ccert_using_subcommand rotate" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c ccert -n "__fish_ccert_using_subcommand prune" -l log -d 'Mail log to look for rotated certificates in use (repeatable; `-` is standard input)' -r -F
complete -c ccert -n "__fish_ccert_using_subcommand prune" -s c -l config-dir -d 'Postfix configuration directory (as postmap -c)' -r -F
complete -c ccert -n "__fish_ccert_using_subcommand prune" -l map -d 'The clientcerts source file that add, remove, list and rehash edit, or a database list as Postfix names it: pgsql:/etc/postfix/clientcerts.pgsql.cf' -r -F
complete -c ccert -n "__fish_ccert_using_subcommand prune" -l postfix-version -d 'Use the built-in defaults of this Postfix release instead of asking postconf' -r
complete -c ccert -n "__fish_ccert_using_subcommand prune" -l postfix-build -d 'The build of the Postfix assumed with built-in defaults' -r -f -a "upstream\t'Upstream defaults (default_database_type = hash)'
debian\t'Debian/Ubuntu (3.11: default_database_type = cdb, hash/btree deprecated)'
no-bdb\t'Built without Berkeley DB, as RHEL 10 (lmdb; no hash:, btree:)'"
complete -c ccert -n "__fish_ccert_using_subcommand prune" -l pkcs12-password-file -d 'Read the password of PKCS#12 (.p12/.pfx) files from the first line of FILE' -r -F
complete -c ccert -n "__fish_ccert_using_subcommand prune" -l expired -d 'Also remove entries whose certificate has expired (stored copy, else ccert\'s comment)'
complete -c ccert -n "__fish_ccert_using_subcommand prune" -s n -l dry-run -d 'Show what would be removed; change nothing'
complete -c ccert -n "__fish_ccert_using_subcommand prune" -s y -l yes -d 'Do not ask for confirmation (required when standard input is not a terminal)'
complete -c ccert -n "__fish_ccert_using_subcommand prune" -l no-compile -d 'Do not rebuild the compiled tables next to the source file'
complete -c ccert -n "__fish_ccert_using_subcommand prune" -l quiet -d 'Show no progress bar, and say nothing about tables built or rebuilt'
complete -c ccert -n "__fish_ccert_using_subcommand prune" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c ccert -n "__fish_ccert_using_subcommand revoke" -s n -l name -d 'Revoke every entry whose name is NAME' -r
complete -c ccert -n "__fish_ccert_using_subcommand revoke" -l fingerprint -d 'Revoke the entry with this fingerprint (any case, colons optional); denied even when the list no longer has it' -r
complete -c ccert -n "__fish_ccert_using_subcommand revoke" -l crl -d 'Revoke every entry whose stored certificate this CRL (DER or PEM) names by issuer and serial number; entries added by fingerprint alone are reported' -r -F
complete -c ccert -n "__fish_ccert_using_subcommand revoke" -l reason -d 'Text added to the REJECT reply (printable ASCII, at most 200 bytes)' -r
complete -c ccert -n "__fish_ccert_using_subcommand revoke" -s c -l config-dir -d 'Postfix configuration directory (as postmap -c)' -r -F
complete -c ccert -n "__fish_ccert_using_subcommand revoke" -l map -d 'The clientcerts source file that add, remove, list and rehash edit, or a database list as Postfix names it: pgsql:/etc/postfix/clientcerts.pgsql.cf' -r -F
complete -c ccert -n "__fish_ccert_using_subcommand revoke" -l postfix-version -d 'Use the built-in defaults of this Postfix release instead of asking postconf' -r
complete -c ccert -n "__fish_ccert_using_subcommand revoke" -l postfix-build -d 'The build of the Postfix assumed with built-in defaults' -r -f -a "upstream\t'Upstream defaults (default_database_type = hash)'
debian\t'Debian/Ubuntu (3.11: default_database_type = cdb, hash/btree deprecated)'
no-bdb\t'Built without Berkeley DB, as RHEL 10 (lmdb; no hash:, btree:)'"
complete -c ccert -n "__fish_ccert_using_subcommand revoke" -l pkcs12-password-file -d 'Read the password of PKCS#12 (.p12/.pfx) files from the first line of FILE' -r -F
complete -c ccert -n "__fish_ccert_using_subcommand revoke" -s y -l yes -d 'Do not ask for confirmation (required when standard input is not a terminal)'
complete -c ccert -n "__fish_ccert_using_subcommand revoke" -l dry-run -d 'Show what would be removed and denied; change nothing'
complete -c ccert -n "__fish_ccert_using_subcommand revoke" -l no-compile -d 'Do not rebuild the compiled tables (of the list and the deny table)'
complete -c ccert -n "__fish_ccert_using_subcommand revoke" -l quiet -d 'Show no progress bar, and say nothing about tables built or rebuilt'
complete -c ccert -n "__fish_ccert_using_subcommand revoke" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c ccert -n "__fish_ccert_using_subcommand help; and not __fish_seen_subcommand_from fingerprint add remove list compile query dump doctor rehash issue client-config server-config migrate log probe completions db import sync apply check rotate prune revoke help" -f -a "fingerprint" -d 'Print certificate or public-key fingerprints as Postfix computes them'
complete -c ccert -n "__fish_ccert_using_subcommand help; and not __fish_seen_subcommand_from fingerprint add remove list compile query dump doctor rehash issue client-config server-config migrate log probe completions db import sync apply check rotate prune revoke help" -f -a "add" -d 'Add certificates to the clientcerts source file (and recompile its tables)'
complete -c ccert -n "__fish_ccert_using_subcommand help; and not __fish_seen_subcommand_from fingerprint add remove list compile query dump doctor rehash issue client-config server-config migrate log probe completions db import sync apply check rotate prune revoke help" -f -a "remove" -d 'Remove entries from the clientcerts source file (and recompile its tables)'
complete -c ccert -n "__fish_ccert_using_subcommand help; and not __fish_seen_subcommand_from fingerprint add remove list compile query dump doctor rehash issue client-config server-config migrate log probe completions db import sync apply check rotate prune revoke help" -f -a "list" -d 'List the entries of the clientcerts source file as postmap reads them'
complete -c ccert -n "__fish_ccert_using_subcommand help; and not __fish_seen_subcommand_from fingerprint add remove list compile query dump doctor rehash issue client-config server-config migrate log probe completions db import sync apply check rotate prune revoke help" -f -a "compile" -d 'Compile a source map into hash:, lmdb:, cdb: or sqlite: tables (like postmap)'
complete -c ccert -n "__fish_ccert_using_subcommand help; and not __fish_seen_subcommand_from fingerprint add remove list compile query dump doctor rehash issue client-config server-config migrate log probe completions db import sync apply check rotate prune revoke help" -f -a "query" -d 'Look up a key in a compiled table (like postmap -q)'
complete -c ccert -n "__fish_ccert_using_subcommand help; and not __fish_seen_subcommand_from fingerprint add remove list compile query dump doctor rehash issue client-config server-config migrate log probe completions db import sync apply check rotate prune revoke help" -f -a "dump" -d 'Print every key and value of a compiled table (like postmap -s)'
complete -c ccert -n "__fish_ccert_using_subcommand help; and not __fish_seen_subcommand_from fingerprint add remove list compile query dump doctor rehash issue client-config server-config migrate log probe completions db import sync apply check rotate prune revoke help" -f -a "doctor" -d 'Audit the client-certificate relay setup of a Postfix configuration'
complete -c ccert -n "__fish_ccert_using_subcommand help; and not __fish_seen_subcommand_from fingerprint add remove list compile query dump doctor rehash issue client-config server-config migrate log probe completions db import sync apply check rotate prune revoke help" -f -a "rehash" -d 'Rewrite every entry to another digest or to public-key fingerprints'
complete -c ccert -n "__fish_ccert_using_subcommand help; and not __fish_seen_subcommand_from fingerprint add remove list compile query dump doctor rehash issue client-config server-config migrate log probe completions db import sync apply check rotate prune revoke help" -f -a "issue" -d 'Create a self-signed client certificate and key for a workstation'
complete -c ccert -n "__fish_ccert_using_subcommand help; and not __fish_seen_subcommand_from fingerprint add remove list compile query dump doctor rehash issue client-config server-config migrate log probe completions db import sync apply check rotate prune revoke help" -f -a "client-config" -d 'Print the client configuration for relaying through this server with a certificate'
complete -c ccert -n "__fish_ccert_using_subcommand help; and not __fish_seen_subcommand_from fingerprint add remove list compile query dump doctor rehash issue client-config server-config migrate log probe completions db import sync apply check rotate prune revoke help" -f -a "server-config" -d 'Print the main.cf and master.cf lines for certificate-based relaying'
complete -c ccert -n "__fish_ccert_using_subcommand help; and not __fish_seen_subcommand_from fingerprint add remove list compile query dump doctor rehash issue client-config server-config migrate log probe completions db import sync apply check rotate prune revoke help" -f -a "migrate" -d 'Move relay_clientcerts and check_ccert_access tables off hash:/btree: (Berkeley DB)'
complete -c ccert -n "__fish_ccert_using_subcommand help; and not __fish_seen_subcommand_from fingerprint add remove list compile query dump doctor rehash issue client-config server-config migrate log probe completions db import sync apply check rotate prune revoke help" -f -a "log" -d 'List the client certificates smtpd logged, and add unknown ones'
complete -c ccert -n "__fish_ccert_using_subcommand help; and not __fish_seen_subcommand_from fingerprint add remove list compile query dump doctor rehash issue client-config server-config migrate log probe completions db import sync apply check rotate prune revoke help" -f -a "probe" -d 'Connect to a server as an SMTP client with a certificate and report whether it may relay'
complete -c ccert -n "__fish_ccert_using_subcommand help; and not __fish_seen_subcommand_from fingerprint add remove list compile query dump doctor rehash issue client-config server-config migrate log probe completions db import sync apply check rotate prune revoke help" -f -a "completions" -d 'Print a shell completion script'
complete -c ccert -n "__fish_ccert_using_subcommand help; and not __fish_seen_subcommand_from fingerprint add remove list compile query dump doctor rehash issue client-config server-config migrate log probe completions db import sync apply check rotate prune revoke help" -f -a "db" -d 'Create or migrate the client-certificate database (pgsql:) and its .cf file'
complete -c ccert -n "__fish_ccert_using_subcommand help; and not __fish_seen_subcommand_from fingerprint add remove list compile query dump doctor rehash issue client-config server-config migrate log probe completions db import sync apply check rotate prune revoke help" -f -a "import" -d 'Load a clientcerts source file into a pgsql: list (idempotent)'
complete -c ccert -n "__fish_ccert_using_subcommand help; and not __fish_seen_subcommand_from fingerprint add remove list compile query dump doctor rehash issue client-config server-config migrate log probe completions db import sync apply check rotate prune revoke help" -f -a "sync" -d 'Write a local table from a pgsql: list when the database changed'
complete -c ccert -n "__fish_ccert_using_subcommand help; and not __fish_seen_subcommand_from fingerprint add remove list compile query dump doctor rehash issue client-config server-config migrate log probe completions db import sync apply check rotate prune revoke help" -f -a "apply" -d 'Make the list match a desired-state file (TOML or JSON); exit 0 unchanged, 2 changed'
complete -c ccert -n "__fish_ccert_using_subcommand help; and not __fish_seen_subcommand_from fingerprint add remove list compile query dump doctor rehash issue client-config server-config migrate log probe completions db import sync apply check rotate prune revoke help" -f -a "check" -d 'Monitoring check: expired and expiring certificates, stale tables (Nagios/Icinga, Prometheus)'
complete -c ccert -n "__fish_ccert_using_subcommand help; and not __fish_seen_subcommand_from fingerprint add remove list compile query dump doctor rehash issue client-config server-config migrate log probe completions db import sync apply check rotate prune revoke help" -f -a "rotate" -d 'List a client\'s new certificate beside its old one; `prune` retires the old one later'
complete -c ccert -n "__fish_ccert_using_subcommand help; and not __fish_seen_subcommand_from fingerprint add remove list compile query dump doctor rehash issue client-config server-config migrate log probe completions db import sync apply check rotate prune revoke help" -f -a "prune" -d 'Retire finished rotations and (with --expired) expired certificates, then rebuild'
complete -c ccert -n "__fish_ccert_using_subcommand help; and not __fish_seen_subcommand_from fingerprint add remove list compile query dump doctor rehash issue client-config server-config migrate log probe completions db import sync apply check rotate prune revoke help" -f -a "revoke" -d 'Revoke certificates: remove their entries and deny them in the deny table (also by CRL)'
complete -c ccert -n "__fish_ccert_using_subcommand help; and not __fish_seen_subcommand_from fingerprint add remove list compile query dump doctor rehash issue client-config server-config migrate log probe completions db import sync apply check rotate prune revoke help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c ccert -n "__fish_ccert_using_subcommand help; and __fish_seen_subcommand_from db" -f -a "init" -d 'Create the ccert tables (or migrate them in place) and write the pgsql_table(5) file'
