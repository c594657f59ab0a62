
use builtin;
use str;

set edit:completion:arg-completer[ccert] = {|@words|
    fn spaces {|n|
        builtin:repeat $n ' ' | str:join ''
    }
    fn cand {|text desc|
        edit:complex-candidate $text &display=$text' '(spaces (- 14 (wcswidth $text)))$desc
    }
    var command = 'ccert'
    for word $words[1..-1] {
        if (str:has-prefix $word '-') {
            break
        }
        set command = $command';'$word
    }
    var completions = [
        &'ccert'= {
            cand -c 'Postfix configuration directory (as postmap -c)'
            cand --config-dir 'Postfix configuration directory (as postmap -c)'
            cand --map 'The clientcerts source file that add, remove, list and rehash edit, or a database list as Postfix names it: pgsql:/etc/postfix/clientcerts.pgsql.cf'
            cand --postfix-version 'Use the built-in defaults of this Postfix release instead of asking postconf'
            cand --postfix-build 'The build of the Postfix assumed with built-in defaults'
            cand --pkcs12-password-file 'Read the password of PKCS#12 (.p12/.pfx) files from the first line of FILE'
            cand --quiet 'Show no progress bar, and say nothing about tables built or rebuilt'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
            cand fingerprint 'Print certificate or public-key fingerprints as Postfix computes them'
            cand add 'Add certificates to the clientcerts source file (and recompile its tables)'
            cand remove 'Remove entries from the clientcerts source file (and recompile its tables)'
            cand list 'List the entries of the clientcerts source file as postmap reads them'
            cand compile 'Compile a source map into hash:, lmdb:, cdb: or sqlite: tables (like postmap)'
            cand query 'Look up a key in a compiled table (like postmap -q)'
            cand dump 'Print every key and value of a compiled table (like postmap -s)'
            cand doctor 'Audit the client-certificate relay setup of a Postfix configuration'
            cand rehash 'Rewrite every entry to another digest or to public-key fingerprints'
            cand issue 'Create a self-signed client certificate and key for a workstation'
            cand client-config 'Print the client configuration for relaying through this server with a certificate'
            cand server-config 'Print the main.cf and master.cf lines for certificate-based relaying'
            cand migrate 'Move relay_clientcerts and check_ccert_access tables off hash:/btree: (Berkeley DB)'
            cand log 'List the client certificates smtpd logged, and add unknown ones'
            cand probe 'Connect to a server as an SMTP client with a certificate and report whether it may relay'
            cand completions 'Print a shell completion script'
            cand db 'Create or migrate the client-certificate database (pgsql:) and its .cf file'
            cand import 'Load a clientcerts source file into a pgsql: list (idempotent)'
            cand sync 'Write a local table from a pgsql: list when the database changed'
            cand apply 'Make the list match a desired-state file (TOML or JSON); exit 0 unchanged, 2 changed'
            cand check 'Monitoring check: expired and expiring certificates, stale tables (Nagios/Icinga, Prometheus)'
            cand rotate 'List a client''s new certificate beside its old one; `prune` retires the old one later'
            cand prune 'Retire finished rotations and (with --expired) expired certificates, then rebuild'
            cand revoke 'Revoke certificates: remove their entries and deny them in the deny table (also by CRL)'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'ccert;fingerprint'= {
            cand -d 'Digest to use [default: the effective smtpd_tls_fingerprint_digest, else sha256]'
            cand --digest 'Digest to use [default: the effective smtpd_tls_fingerprint_digest, else sha256]'
            cand -f 'Output format'
            cand --format 'Output format'
            cand -c 'Postfix configuration directory (as postmap -c)'
            cand --config-dir 'Postfix configuration directory (as postmap -c)'
            cand --map 'The clientcerts source file that add, remove, list and rehash edit, or a database list as Postfix names it: pgsql:/etc/postfix/clientcerts.pgsql.cf'
            cand --postfix-version 'Use the built-in defaults of this Postfix release instead of asking postconf'
            cand --postfix-build 'The build of the Postfix assumed with built-in defaults'
            cand --pkcs12-password-file 'Read the password of PKCS#12 (.p12/.pfx) files from the first line of FILE'
            cand -p 'Fingerprint the public key (SubjectPublicKeyInfo), which survives renewal with the same key'
            cand --pubkey 'Fingerprint the public key (SubjectPublicKeyInfo), which survives renewal with the same key'
            cand --quiet 'Show no progress bar, and say nothing about tables built or rebuilt'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'ccert;add'= {
            cand -f 'Add this fingerprint (hex pairs, colons optional, any case) instead of a certificate''s; needs --name'
            cand --fingerprint 'Add this fingerprint (hex pairs, colons optional, any case) instead of a certificate''s; needs --name'
            cand -n 'Value stored for the entry [default: the certificate''s subject CN]'
            cand --name 'Value stored for the entry [default: the certificate''s subject CN]'
            cand -d 'Digest to use [default: the effective smtpd_tls_fingerprint_digest]'
            cand --digest 'Digest to use [default: the effective smtpd_tls_fingerprint_digest]'
            cand -c 'Postfix configuration directory (as postmap -c)'
            cand --config-dir 'Postfix configuration directory (as postmap -c)'
            cand --map 'The clientcerts source file that add, remove, list and rehash edit, or a database list as Postfix names it: pgsql:/etc/postfix/clientcerts.pgsql.cf'
            cand --postfix-version 'Use the built-in defaults of this Postfix release instead of asking postconf'
            cand --postfix-build 'The build of the Postfix assumed with built-in defaults'
            cand --pkcs12-password-file 'Read the password of PKCS#12 (.p12/.pfx) files from the first line of FILE'
            cand -p 'Add the public-key fingerprint instead of the certificate fingerprint (with --fingerprint: the fingerprint given is a public-key fingerprint)'
            cand --pubkey 'Add the public-key fingerprint instead of the certificate fingerprint (with --fingerprint: the fingerprint given is a public-key fingerprint)'
            cand --replace 'Replace the name of an entry whose fingerprint is already present'
            cand --strict 'Refuse, instead of warning, when --digest differs from the server''s smtpd_tls_fingerprint_digest (such an entry can never match)'
            cand --no-compile 'Do not rebuild the compiled tables next to the source file'
            cand --quiet 'Show no progress bar, and say nothing about tables built or rebuilt'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'ccert;remove'= {
            cand -n 'Remove every entry whose value is NAME'
            cand --name 'Remove every entry whose value is NAME'
            cand --fingerprint 'Remove the entry with this fingerprint (any case, colons optional)'
            cand -d 'Digest used to fingerprint CERT [default: every digest]'
            cand --digest 'Digest used to fingerprint CERT [default: every digest]'
            cand -c 'Postfix configuration directory (as postmap -c)'
            cand --config-dir 'Postfix configuration directory (as postmap -c)'
            cand --map 'The clientcerts source file that add, remove, list and rehash edit, or a database list as Postfix names it: pgsql:/etc/postfix/clientcerts.pgsql.cf'
            cand --postfix-version 'Use the built-in defaults of this Postfix release instead of asking postconf'
            cand --postfix-build 'The build of the Postfix assumed with built-in defaults'
            cand --pkcs12-password-file 'Read the password of PKCS#12 (.p12/.pfx) files from the first line of FILE'
            cand -y 'Do not ask for confirmation (required when standard input is not a terminal)'
            cand --yes 'Do not ask for confirmation (required when standard input is not a terminal)'
            cand --no-compile 'Do not rebuild the compiled tables next to the source file'
            cand --quiet 'Show no progress bar, and say nothing about tables built or rebuilt'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'ccert;list'= {
            cand -f 'Output format'
            cand --format 'Output format'
            cand --expiring 'Show only entries whose certificate expires within DAYS; exit 1 if any does'
            cand -c 'Postfix configuration directory (as postmap -c)'
            cand --config-dir 'Postfix configuration directory (as postmap -c)'
            cand --map 'The clientcerts source file that add, remove, list and rehash edit, or a database list as Postfix names it: pgsql:/etc/postfix/clientcerts.pgsql.cf'
            cand --postfix-version 'Use the built-in defaults of this Postfix release instead of asking postconf'
            cand --postfix-build 'The build of the Postfix assumed with built-in defaults'
            cand --pkcs12-password-file 'Read the password of PKCS#12 (.p12/.pfx) files from the first line of FILE'
            cand --quiet 'Show no progress bar, and say nothing about tables built or rebuilt'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'ccert;compile'= {
            cand -t 'Table type for FILEs without a TYPE: prefix'
            cand --type 'Table type for FILEs without a TYPE: prefix'
            cand -c 'Postfix configuration directory (as postmap -c)'
            cand --config-dir 'Postfix configuration directory (as postmap -c)'
            cand --map 'The clientcerts source file that add, remove, list and rehash edit, or a database list as Postfix names it: pgsql:/etc/postfix/clientcerts.pgsql.cf'
            cand --postfix-version 'Use the built-in defaults of this Postfix release instead of asking postconf'
            cand --postfix-build 'The build of the Postfix assumed with built-in defaults'
            cand --pkcs12-password-file 'Read the password of PKCS#12 (.p12/.pfx) files from the first line of FILE'
            cand -r 'On duplicate keys the last value wins, silently (postmap -r)'
            cand -w 'On duplicate keys the first value wins, silently (postmap -w)'
            cand --quiet 'Show no progress bar, and say nothing about tables built or rebuilt'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'ccert;query'= {
            cand -c 'Postfix configuration directory (as postmap -c)'
            cand --config-dir 'Postfix configuration directory (as postmap -c)'
            cand --map 'The clientcerts source file that add, remove, list and rehash edit, or a database list as Postfix names it: pgsql:/etc/postfix/clientcerts.pgsql.cf'
            cand --postfix-version 'Use the built-in defaults of this Postfix release instead of asking postconf'
            cand --postfix-build 'The build of the Postfix assumed with built-in defaults'
            cand --pkcs12-password-file 'Read the password of PKCS#12 (.p12/.pfx) files from the first line of FILE'
            cand --quiet 'Show no progress bar, and say nothing about tables built or rebuilt'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'ccert;dump'= {
            cand -c 'Postfix configuration directory (as postmap -c)'
            cand --config-dir 'Postfix configuration directory (as postmap -c)'
            cand --map 'The clientcerts source file that add, remove, list and rehash edit, or a database list as Postfix names it: pgsql:/etc/postfix/clientcerts.pgsql.cf'
            cand --postfix-version 'Use the built-in defaults of this Postfix release instead of asking postconf'
            cand --postfix-build 'The build of the Postfix assumed with built-in defaults'
            cand --pkcs12-password-file 'Read the password of PKCS#12 (.p12/.pfx) files from the first line of FILE'
            cand --quiet 'Show no progress bar, and say nothing about tables built or rebuilt'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'ccert;doctor'= {
            cand -f 'Output format'
            cand --format 'Output format'
            cand --fips-file 'Test hook: the file that says whether the kernel runs in FIPS mode (docs/lifecycle.md); hidden, as no administrator needs another one'
            cand -c 'Postfix configuration directory (as postmap -c)'
            cand --config-dir 'Postfix configuration directory (as postmap -c)'
            cand --map 'The clientcerts source file that add, remove, list and rehash edit, or a database list as Postfix names it: pgsql:/etc/postfix/clientcerts.pgsql.cf'
            cand --postfix-version 'Use the built-in defaults of this Postfix release instead of asking postconf'
            cand --postfix-build 'The build of the Postfix assumed with built-in defaults'
            cand --pkcs12-password-file 'Read the password of PKCS#12 (.p12/.pfx) files from the first line of FILE'
            cand --strict 'Exit 1 on warnings too'
            cand --quiet 'Show no progress bar, and say nothing about tables built or rebuilt'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'ccert;rehash'= {
            cand -d 'The new digest [default: the effective smtpd_tls_fingerprint_digest]'
            cand --digest 'The new digest [default: the effective smtpd_tls_fingerprint_digest]'
            cand -c 'Postfix configuration directory (as postmap -c)'
            cand --config-dir 'Postfix configuration directory (as postmap -c)'
            cand --map 'The clientcerts source file that add, remove, list and rehash edit, or a database list as Postfix names it: pgsql:/etc/postfix/clientcerts.pgsql.cf'
            cand --postfix-version 'Use the built-in defaults of this Postfix release instead of asking postconf'
            cand --postfix-build 'The build of the Postfix assumed with built-in defaults'
            cand --pkcs12-password-file 'Read the password of PKCS#12 (.p12/.pfx) files from the first line of FILE'
            cand -p 'Use public-key fingerprints'
            cand --pubkey 'Use public-key fingerprints'
            cand --skip-unknown 'Leave entries without a stored certificate (such as those added with `add --fingerprint`) as they are, instead of refusing to rehash'
            cand --no-compile 'Do not rebuild the compiled tables next to the source file'
            cand --quiet 'Show no progress bar, and say nothing about tables built or rebuilt'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'ccert;issue'= {
            cand -k 'Key type'
            cand --key-type 'Key type'
            cand --days 'Validity in days'
            cand -o 'Directory for NAME.pem and NAME.key'
            cand --out 'Directory for NAME.pem and NAME.key'
            cand -c 'Postfix configuration directory (as postmap -c)'
            cand --config-dir 'Postfix configuration directory (as postmap -c)'
            cand --map 'The clientcerts source file that add, remove, list and rehash edit, or a database list as Postfix names it: pgsql:/etc/postfix/clientcerts.pgsql.cf'
            cand --postfix-version 'Use the built-in defaults of this Postfix release instead of asking postconf'
            cand --postfix-build 'The build of the Postfix assumed with built-in defaults'
            cand --pkcs12-password-file 'Read the password of PKCS#12 (.p12/.pfx) files from the first line of FILE'
            cand --add 'Also add the certificate to the clientcerts source file'
            cand --renew 'Re-issue OUT/NAME.pem from the existing OUT/NAME.key (public-key entries stay valid)'
            cand --quiet 'Show no progress bar, and say nothing about tables built or rebuilt'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'ccert;client-config'= {
            cand --cert 'Client certificate file'
            cand --key 'Client private key file'
            cand --relay 'Relay server as HOST[:PORT] [default port: 587]'
            cand -c 'Postfix configuration directory (as postmap -c)'
            cand --config-dir 'Postfix configuration directory (as postmap -c)'
            cand --map 'The clientcerts source file that add, remove, list and rehash edit, or a database list as Postfix names it: pgsql:/etc/postfix/clientcerts.pgsql.cf'
            cand --postfix-version 'Use the built-in defaults of this Postfix release instead of asking postconf'
            cand --postfix-build 'The build of the Postfix assumed with built-in defaults'
            cand --pkcs12-password-file 'Read the password of PKCS#12 (.p12/.pfx) files from the first line of FILE'
            cand --postfix 'Print Postfix (smarthost client) settings (the default)'
            cand --ssmtp 'Print ssmtp.conf settings'
            cand --quiet 'Show no progress bar, and say nothing about tables built or rebuilt'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'ccert;server-config'= {
            cand -c 'Postfix configuration directory (as postmap -c)'
            cand --config-dir 'Postfix configuration directory (as postmap -c)'
            cand --map 'The clientcerts source file that add, remove, list and rehash edit, or a database list as Postfix names it: pgsql:/etc/postfix/clientcerts.pgsql.cf'
            cand --postfix-version 'Use the built-in defaults of this Postfix release instead of asking postconf'
            cand --postfix-build 'The build of the Postfix assumed with built-in defaults'
            cand --pkcs12-password-file 'Read the password of PKCS#12 (.p12/.pfx) files from the first line of FILE'
            cand --quiet 'Show no progress bar, and say nothing about tables built or rebuilt'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'ccert;migrate'= {
            cand --to 'The new table type'
            cand -c 'Postfix configuration directory (as postmap -c)'
            cand --config-dir 'Postfix configuration directory (as postmap -c)'
            cand --map 'The clientcerts source file that add, remove, list and rehash edit, or a database list as Postfix names it: pgsql:/etc/postfix/clientcerts.pgsql.cf'
            cand --postfix-version 'Use the built-in defaults of this Postfix release instead of asking postconf'
            cand --postfix-build 'The build of the Postfix assumed with built-in defaults'
            cand --pkcs12-password-file 'Read the password of PKCS#12 (.p12/.pfx) files from the first line of FILE'
            cand --apply 'Write main.cf and master.cf (with a backup) instead of printing the lines'
            cand --quiet 'Show no progress bar, and say nothing about tables built or rebuilt'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'ccert;log'= {
            cand -f 'Output format'
            cand --format 'Output format'
            cand --since 'Only lines from this time on: a date (2026-11-25), an RFC 3339 time, or an age (90m, 12h, 7d)'
            cand -c 'Postfix configuration directory (as postmap -c)'
            cand --config-dir 'Postfix configuration directory (as postmap -c)'
            cand --map 'The clientcerts source file that add, remove, list and rehash edit, or a database list as Postfix names it: pgsql:/etc/postfix/clientcerts.pgsql.cf'
            cand --postfix-version 'Use the built-in defaults of this Postfix release instead of asking postconf'
            cand --postfix-build 'The build of the Postfix assumed with built-in defaults'
            cand --pkcs12-password-file 'Read the password of PKCS#12 (.p12/.pfx) files from the first line of FILE'
            cand -a 'Show every client, also those already in the clientcerts source'
            cand --all 'Show every client, also those already in the clientcerts source'
            cand --approve 'Ask, for each unknown client, whether to add it, under which name and as which fingerprint (needs a terminal)'
            cand --no-compile 'Do not rebuild the compiled tables next to the source file (with --approve)'
            cand --quiet 'Show no progress bar, and say nothing about tables built or rebuilt'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'ccert;probe'= {
            cand --cert 'Client certificate file (PEM; the chain may follow)'
            cand --key 'Client private key file (PEM: PKCS#8, RSA or EC)'
            cand --from 'Envelope sender'
            cand --to 'Recipient outside the server''s domains (relaying needs permission)'
            cand -d 'The server''s smtpd_tls_fingerprint_digest [default: from -c DIR when present, else sha256]'
            cand --digest 'The server''s smtpd_tls_fingerprint_digest [default: from -c DIR when present, else sha256]'
            cand --helo 'The name sent in EHLO'
            cand --timeout 'Seconds the whole dialogue may take (connecting, TLS and every reply together)'
            cand -f 'Output format'
            cand --format 'Output format'
            cand -c 'Postfix configuration directory (as postmap -c)'
            cand --config-dir 'Postfix configuration directory (as postmap -c)'
            cand --map 'The clientcerts source file that add, remove, list and rehash edit, or a database list as Postfix names it: pgsql:/etc/postfix/clientcerts.pgsql.cf'
            cand --postfix-version 'Use the built-in defaults of this Postfix release instead of asking postconf'
            cand --postfix-build 'The build of the Postfix assumed with built-in defaults'
            cand --pkcs12-password-file 'Read the password of PKCS#12 (.p12/.pfx) files from the first line of FILE'
            cand --tls 'Implicit TLS (the default on port 465) instead of STARTTLS'
            cand --rpk 'Offer a raw public key (RFC 7250; TLS 1.3, Postfix 3.9+ with smtpd_tls_enable_rpk) instead of the certificate'
            cand --quiet 'Show no progress bar, and say nothing about tables built or rebuilt'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'ccert;completions'= {
            cand -c 'Postfix configuration directory (as postmap -c)'
            cand --config-dir 'Postfix configuration directory (as postmap -c)'
            cand --map 'The clientcerts source file that add, remove, list and rehash edit, or a database list as Postfix names it: pgsql:/etc/postfix/clientcerts.pgsql.cf'
            cand --postfix-version 'Use the built-in defaults of this Postfix release instead of asking postconf'
            cand --postfix-build 'The build of the Postfix assumed with built-in defaults'
            cand --pkcs12-password-file 'Read the password of PKCS#12 (.p12/.pfx) files from the first line of FILE'
            cand --quiet 'Show no progress bar, and say nothing about tables built or rebuilt'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'ccert;db'= {
            cand -c 'Postfix configuration directory (as postmap -c)'
            cand --config-dir 'Postfix configuration directory (as postmap -c)'
            cand --map 'The clientcerts source file that add, remove, list and rehash edit, or a database list as Postfix names it: pgsql:/etc/postfix/clientcerts.pgsql.cf'
            cand --postfix-version 'Use the built-in defaults of this Postfix release instead of asking postconf'
            cand --postfix-build 'The build of the Postfix assumed with built-in defaults'
            cand --pkcs12-password-file 'Read the password of PKCS#12 (.p12/.pfx) files from the first line of FILE'
            cand --quiet 'Show no progress bar, and say nothing about tables built or rebuilt'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand init 'Create the ccert tables (or migrate them in place) and write the pgsql_table(5) file'
        }
        &'ccert;db;init'= {
            cand --hosts 'Database servers, as pgsql_table(5) `hosts` (comma-separated or repeated)'
            cand --dbname 'Database name'
            cand --user 'Database user Postfix and ccert connect as'
            cand --password-file 'Read the password from the first line of FILE'
            cand --lookup-user 'Also create a read-only database role for Postfix''s lookups, with its own CF'
            cand --lookup-cf 'Where to write the lookup role''s pgsql_table(5) file'
            cand --lookup-password-file 'Read the lookup role''s password from the first line of FILE (default: random)'
            cand -c 'Postfix configuration directory (as postmap -c)'
            cand --config-dir 'Postfix configuration directory (as postmap -c)'
            cand --map 'The clientcerts source file that add, remove, list and rehash edit, or a database list as Postfix names it: pgsql:/etc/postfix/clientcerts.pgsql.cf'
            cand --postfix-version 'Use the built-in defaults of this Postfix release instead of asking postconf'
            cand --postfix-build 'The build of the Postfix assumed with built-in defaults'
            cand --pkcs12-password-file 'Read the password of PKCS#12 (.p12/.pfx) files from the first line of FILE'
            cand --force 'Replace an existing CF file'
            cand --print-sql 'Print the SQL that creates the lookup role and change nothing'
            cand --quiet 'Show no progress bar, and say nothing about tables built or rebuilt'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'ccert;import'= {
            cand -c 'Postfix configuration directory (as postmap -c)'
            cand --config-dir 'Postfix configuration directory (as postmap -c)'
            cand --map 'The clientcerts source file that add, remove, list and rehash edit, or a database list as Postfix names it: pgsql:/etc/postfix/clientcerts.pgsql.cf'
            cand --postfix-version 'Use the built-in defaults of this Postfix release instead of asking postconf'
            cand --postfix-build 'The build of the Postfix assumed with built-in defaults'
            cand --pkcs12-password-file 'Read the password of PKCS#12 (.p12/.pfx) files from the first line of FILE'
            cand --quiet 'Show no progress bar, and say nothing about tables built or rebuilt'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'ccert;sync'= {
            cand --from 'The database list: pgsql:CF'
            cand --to 'The local table: cdb:FILE, lmdb:FILE (or hash:, sqlite:)'
            cand -c 'Postfix configuration directory (as postmap -c)'
            cand --config-dir 'Postfix configuration directory (as postmap -c)'
            cand --map 'The clientcerts source file that add, remove, list and rehash edit, or a database list as Postfix names it: pgsql:/etc/postfix/clientcerts.pgsql.cf'
            cand --postfix-version 'Use the built-in defaults of this Postfix release instead of asking postconf'
            cand --postfix-build 'The build of the Postfix assumed with built-in defaults'
            cand --pkcs12-password-file 'Read the password of PKCS#12 (.p12/.pfx) files from the first line of FILE'
            cand --force 'Write the copy although the database (its id) or the list (pgsql:CF) is not the one FILE was copied from; implies --allow-shrink'
            cand --allow-shrink 'Write the copy although it removes more than half of FILE''s entries'
            cand --quiet 'Show no progress bar, and say nothing about tables built or rebuilt'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'ccert;apply'= {
            cand -f 'Output format'
            cand --format 'Output format'
            cand -c 'Postfix configuration directory (as postmap -c)'
            cand --config-dir 'Postfix configuration directory (as postmap -c)'
            cand --map 'The clientcerts source file that add, remove, list and rehash edit, or a database list as Postfix names it: pgsql:/etc/postfix/clientcerts.pgsql.cf'
            cand --postfix-version 'Use the built-in defaults of this Postfix release instead of asking postconf'
            cand --postfix-build 'The build of the Postfix assumed with built-in defaults'
            cand --pkcs12-password-file 'Read the password of PKCS#12 (.p12/.pfx) files from the first line of FILE'
            cand --check 'Change nothing; exit 2 when something would change'
            cand --diff 'Show the source lines that change (`-` old, `+` new)'
            cand --no-compile 'Do not rebuild the compiled tables next to the source file'
            cand --quiet 'Show no progress bar, and say nothing about tables built or rebuilt'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'ccert;check'= {
            cand -w 'WARNING when a certificate expires within DAYS'
            cand --warning 'WARNING when a certificate expires within DAYS'
            cand --critical 'CRITICAL when a certificate expires within DAYS (no -c: that is the configuration directory)'
            cand -f 'Output format'
            cand --format 'Output format'
            cand --textfile 'With --format prometheus: write DIR/ccert.prom atomically instead of printing'
            cand -c 'Postfix configuration directory (as postmap -c)'
            cand --config-dir 'Postfix configuration directory (as postmap -c)'
            cand --map 'The clientcerts source file that add, remove, list and rehash edit, or a database list as Postfix names it: pgsql:/etc/postfix/clientcerts.pgsql.cf'
            cand --postfix-version 'Use the built-in defaults of this Postfix release instead of asking postconf'
            cand --postfix-build 'The build of the Postfix assumed with built-in defaults'
            cand --pkcs12-password-file 'Read the password of PKCS#12 (.p12/.pfx) files from the first line of FILE'
            cand --quiet 'Show no progress bar, and say nothing about tables built or rebuilt'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'ccert;rotate'= {
            cand --overlap 'Days both certificates relay when the new one is never seen in the mail log'
            cand -d 'Digest [default: the effective smtpd_tls_fingerprint_digest, else sha256]'
            cand --digest 'Digest [default: the effective smtpd_tls_fingerprint_digest, else sha256]'
            cand -c 'Postfix configuration directory (as postmap -c)'
            cand --config-dir 'Postfix configuration directory (as postmap -c)'
            cand --map 'The clientcerts source file that add, remove, list and rehash edit, or a database list as Postfix names it: pgsql:/etc/postfix/clientcerts.pgsql.cf'
            cand --postfix-version 'Use the built-in defaults of this Postfix release instead of asking postconf'
            cand --postfix-build 'The build of the Postfix assumed with built-in defaults'
            cand --pkcs12-password-file 'Read the password of PKCS#12 (.p12/.pfx) files from the first line of FILE'
            cand --pubkey 'List the new public-key fingerprint [default: as the old entry, else as add]'
            cand --no-compile 'Do not rebuild the compiled tables next to the source file'
            cand --quiet 'Show no progress bar, and say nothing about tables built or rebuilt'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'ccert;prune'= {
            cand --log 'Mail log to look for rotated certificates in use (repeatable; `-` is standard input)'
            cand -c 'Postfix configuration directory (as postmap -c)'
            cand --config-dir 'Postfix configuration directory (as postmap -c)'
            cand --map 'The clientcerts source file that add, remove, list and rehash edit, or a database list as Postfix names it: pgsql:/etc/postfix/clientcerts.pgsql.cf'
            cand --postfix-version 'Use the built-in defaults of this Postfix release instead of asking postconf'
            cand --postfix-build 'The build of the Postfix assumed with built-in defaults'
            cand --pkcs12-password-file 'Read the password of PKCS#12 (.p12/.pfx) files from the first line of FILE'
            cand --expired 'Also remove entries whose certificate has expired (stored copy, else ccert''s comment)'
            cand -n 'Show what would be removed; change nothing'
            cand --dry-run 'Show what would be removed; change nothing'
            cand -y 'Do not ask for confirmation (required when standard input is not a terminal)'
            cand --yes 'Do not ask for confirmation (required when standard input is not a terminal)'
            cand --no-compile 'Do not rebuild the compiled tables next to the source file'
            cand --quiet 'Show no progress bar, and say nothing about tables built or rebuilt'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'ccert;revoke'= {
            cand -n 'Revoke every entry whose name is NAME'
            cand --name 'Revoke every entry whose name is NAME'
            cand --fingerprint 'Revoke the entry with this fingerprint (any case, colons optional); denied even when the list no longer has it'
            cand --crl 'Revoke every entry whose stored certificate this CRL (DER or PEM) names by issuer and serial number; entries added by fingerprint alone are reported'
            cand --reason 'Text added to the REJECT reply (printable ASCII, at most 200 bytes)'
            cand -c 'Postfix configuration directory (as postmap -c)'
            cand --config-dir 'Postfix configuration directory (as postmap -c)'
            cand --map 'The clientcerts source file that add, remove, list and rehash edit, or a database list as Postfix names it: pgsql:/etc/postfix/clientcerts.pgsql.cf'
            cand --postfix-version 'Use the built-in defaults of this Postfix release instead of asking postconf'
            cand --postfix-build 'The build of the Postfix assumed with built-in defaults'
            cand --pkcs12-password-file 'Read the password of PKCS#12 (.p12/.pfx) files from the first line of FILE'
            cand -y 'Do not ask for confirmation (required when standard input is not a terminal)'
            cand --yes 'Do not ask for confirmation (required when standard input is not a terminal)'
            cand --dry-run 'Show what would be removed and denied; change nothing'
            cand --no-compile 'Do not rebuild the compiled tables (of the list and the deny table)'
            cand --quiet 'Show no progress bar, and say nothing about tables built or rebuilt'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'ccert;help'= {
            cand fingerprint 'Print certificate or public-key fingerprints as Postfix computes them'
            cand add 'Add certificates to the clientcerts source file (and recompile its tables)'
            cand remove 'Remove entries from the clientcerts source file (and recompile its tables)'
            cand list 'List the entries of the clientcerts source file as postmap reads them'
            cand compile 'Compile a source map into hash:, lmdb:, cdb: or sqlite: tables (like postmap)'
            cand query 'Look up a key in a compiled table (like postmap -q)'
            cand dump 'Print every key and value of a compiled table (like postmap -s)'
            cand doctor 'Audit the client-certificate relay setup of a Postfix configuration'
            cand rehash 'Rewrite every entry to another digest or to public-key fingerprints'
            cand issue 'Create a self-signed client certificate and key for a workstation'
            cand client-config 'Print the client configuration for relaying through this server with a certificate'
            cand server-config 'Print the main.cf and master.cf lines for certificate-based relaying'
            cand migrate 'Move relay_clientcerts and check_ccert_access tables off hash:/btree: (Berkeley DB)'
            cand log 'List the client certificates smtpd logged, and add unknown ones'
            cand probe 'Connect to a server as an SMTP client with a certificate and report whether it may relay'
            cand completions 'Print a shell completion script'
            cand db 'Create or migrate the client-certificate database (pgsql:) and its .cf file'
            cand import 'Load a clientcerts source file into a pgsql: list (idempotent)'
            cand sync 'Write a local table from a pgsql: list when the database changed'
            cand apply 'Make the list match a desired-state file (TOML or JSON); exit 0 unchanged, 2 changed'
            cand check 'Monitoring check: expired and expiring certificates, stale tables (Nagios/Icinga, Prometheus)'
            cand rotate 'List a client''s new certificate beside its old one; `prune` retires the old one later'
            cand prune 'Retire finished rotations and (with --expired) expired certificates, then rebuild'
            cand revoke 'Revoke certificates: remove their entries and deny them in the deny table (also by CRL)'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'ccert;help;fingerprint'= {
        }
        &'ccert;help;add'= {
        }
        &'ccert;help;remove'= {
        }
        &'ccert;help;list'= {
        }
        &'ccert;help;compile'= {
        }
        &'ccert;help;query'= {
        }
        &'ccert;help;dump'= {
        }
        &'ccert;help;doctor'= {
        }
        &'ccert;help;rehash'= {
        }
        &'ccert;help;issue'= {
        }
        &'ccert;help;client-config'= {
        }
        &'ccert;help;server-config'= {
        }
        &'ccert;help;migrate'= {
        }
        &'ccert;help;log'= {
        }
        &'ccert;help;probe'= {
        }
        &'ccert;help;completions'= {
        }
        &'ccert;help;db'= {
            cand init 'Create the ccert tables (or migrate them in place) and write the pgsql_table(5) file'
        }
        &'ccert;help;db;init'= {
        }
        &'ccert;help;import'= {
        }
        &'ccert;help;sync'= {
        }
        &'ccert;help;apply'= {
        }
        &'ccert;help;check'= {
        }
        &'ccert;help;rotate'= {
        }
        &'ccert;help;prune'= {
        }
        &'ccert;help;revoke'= {
        }
        &'ccert;help;help'= {
        }
    ]
    $completions[$command]
}
