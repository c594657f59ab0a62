
using namespace System.Management.Automation
using namespace System.Management.Automation.Language

Register-ArgumentCompleter -Native -CommandName 'ccert' -ScriptBlock {
    param($wordToComplete, $commandAst, $cursorPosition)

    $commandElements = $commandAst.CommandElements
    $command = @(
        'ccert'
        for ($i = 1; $i -lt $commandElements.Count; $i++) {
            $element = $commandElements[$i]
            if ($element -isnot [StringConstantExpressionAst] -or
                $element.StringConstantType -ne [StringConstantType]::BareWord -or
                $element.Value.StartsWith('-') -or
                $element.Value -eq $wordToComplete) {
                break
        }
        $element.Value
    }) -join ';'

    $completions = @(switch ($command) {
        'ccert' {
            [CompletionResult]::new('-c', '-c', [CompletionResultType]::ParameterName, 'Postfix configuration directory (as postmap -c)')
            [CompletionResult]::new('--config-dir', '--config-dir', [CompletionResultType]::ParameterName, 'Postfix configuration directory (as postmap -c)')
            [CompletionResult]::new('--map', '--map', [CompletionResultType]::ParameterName, 'The clientcerts source file that add, remove, list and rehash edit, or a database list as Postfix names it: pgsql:/etc/postfix/clientcerts.pgsql.cf')
            [CompletionResult]::new('--postfix-version', '--postfix-version', [CompletionResultType]::ParameterName, 'Use the built-in defaults of this Postfix release instead of asking postconf')
            [CompletionResult]::new('--postfix-build', '--postfix-build', [CompletionResultType]::ParameterName, 'The build of the Postfix assumed with built-in defaults')
            [CompletionResult]::new('--pkcs12-password-file', '--pkcs12-password-file', [CompletionResultType]::ParameterName, 'Read the password of PKCS#12 (.p12/.pfx) files from the first line of FILE')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Show no progress bar, and say nothing about tables built or rebuilt')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('fingerprint', 'fingerprint', [CompletionResultType]::ParameterValue, 'Print certificate or public-key fingerprints as Postfix computes them')
            [CompletionResult]::new('add', 'add', [CompletionResultType]::ParameterValue, 'Add certificates to the clientcerts source file (and recompile its tables)')
            [CompletionResult]::new('remove', 'remove', [CompletionResultType]::ParameterValue, 'Remove entries from the clientcerts source file (and recompile its tables)')
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'List the entries of the clientcerts source file as postmap reads them')
            [CompletionResult]::new('compile', 'compile', [CompletionResultType]::ParameterValue, 'Compile a source map into hash:, lmdb:, cdb: or sqlite: tables (like postmap)')
            [CompletionResult]::new('query', 'query', [CompletionResultType]::ParameterValue, 'Look up a key in a compiled table (like postmap -q)')
            [CompletionResult]::new('dump', 'dump', [CompletionResultType]::ParameterValue, 'Print every key and value of a compiled table (like postmap -s)')
            [CompletionResult]::new('doctor', 'doctor', [CompletionResultType]::ParameterValue, 'Audit the client-certificate relay setup of a Postfix configuration')
            [CompletionResult]::new('rehash', 'rehash', [CompletionResultType]::ParameterValue, 'Rewrite every entry to another digest or to public-key fingerprints')
            [CompletionResult]::new('issue', 'issue', [CompletionResultType]::ParameterValue, 'Create a self-signed client certificate and key for a workstation')
            [CompletionResult]::new('client-config', 'client-config', [CompletionResultType]::ParameterValue, 'Print the client configuration for relaying through this server with a certificate')
            [CompletionResult]::new('server-config', 'server-config', [CompletionResultType]::ParameterValue, 'Print the main.cf and master.cf lines for certificate-based relaying')
            [CompletionResult]::new('migrate', 'migrate', [CompletionResultType]::ParameterValue, 'Move relay_clientcerts and check_ccert_access tables off hash:/btree: (Berkeley DB)')
            [CompletionResult]::new('log', 'log', [CompletionResultType]::ParameterValue, 'List the client certificates smtpd logged, and add unknown ones')
            [CompletionResult]::new('probe', 'probe', [CompletionResultType]::ParameterValue, 'Connect to a server as an SMTP client with a certificate and report whether it may relay')
            [CompletionResult]::new('completions', 'completions', [CompletionResultType]::ParameterValue, 'Print a shell completion script')
            [CompletionResult]::new('db', 'db', [CompletionResultType]::ParameterValue, 'Create or migrate the client-certificate database (pgsql:) and its .cf file')
            [CompletionResult]::new('import', 'import', [CompletionResultType]::ParameterValue, 'Load a clientcerts source file into a pgsql: list (idempotent)')
            [CompletionResult]::new('sync', 'sync', [CompletionResultType]::ParameterValue, 'Write a local table from a pgsql: list when the database changed')
            [CompletionResult]::new('apply', 'apply', [CompletionResultType]::ParameterValue, 'Make the list match a desired-state file (TOML or JSON); exit 0 unchanged, 2 changed')
            [CompletionResult]::new('check', 'check', [CompletionResultType]::ParameterValue, 'Monitoring check: expired and expiring certificates, stale tables (Nagios/Icinga, Prometheus)')
            [CompletionResult]::new('rotate', 'rotate', [CompletionResultType]::ParameterValue, 'List a client''s new certificate beside its old one; `prune` retires the old one later')
            [CompletionResult]::new('prune', 'prune', [CompletionResultType]::ParameterValue, 'Retire finished rotations and (with --expired) expired certificates, then rebuild')
            [CompletionResult]::new('revoke', 'revoke', [CompletionResultType]::ParameterValue, 'Revoke certificates: remove their entries and deny them in the deny table (also by CRL)')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'ccert;fingerprint' {
            [CompletionResult]::new('-d', '-d', [CompletionResultType]::ParameterName, 'Digest to use [default: the effective smtpd_tls_fingerprint_digest, else sha256]')
            [CompletionResult]::new('--digest', '--digest', [CompletionResultType]::ParameterName, 'Digest to use [default: the effective smtpd_tls_fingerprint_digest, else sha256]')
            [CompletionResult]::new('-f', '-f', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('-c', '-c', [CompletionResultType]::ParameterName, 'Postfix configuration directory (as postmap -c)')
            [CompletionResult]::new('--config-dir', '--config-dir', [CompletionResultType]::ParameterName, 'Postfix configuration directory (as postmap -c)')
            [CompletionResult]::new('--map', '--map', [CompletionResultType]::ParameterName, 'The clientcerts source file that add, remove, list and rehash edit, or a database list as Postfix names it: pgsql:/etc/postfix/clientcerts.pgsql.cf')
            [CompletionResult]::new('--postfix-version', '--postfix-version', [CompletionResultType]::ParameterName, 'Use the built-in defaults of this Postfix release instead of asking postconf')
            [CompletionResult]::new('--postfix-build', '--postfix-build', [CompletionResultType]::ParameterName, 'The build of the Postfix assumed with built-in defaults')
            [CompletionResult]::new('--pkcs12-password-file', '--pkcs12-password-file', [CompletionResultType]::ParameterName, 'Read the password of PKCS#12 (.p12/.pfx) files from the first line of FILE')
            [CompletionResult]::new('-p', '-p', [CompletionResultType]::ParameterName, 'Fingerprint the public key (SubjectPublicKeyInfo), which survives renewal with the same key')
            [CompletionResult]::new('--pubkey', '--pubkey', [CompletionResultType]::ParameterName, 'Fingerprint the public key (SubjectPublicKeyInfo), which survives renewal with the same key')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Show no progress bar, and say nothing about tables built or rebuilt')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'ccert;add' {
            [CompletionResult]::new('-f', '-f', [CompletionResultType]::ParameterName, 'Add this fingerprint (hex pairs, colons optional, any case) instead of a certificate''s; needs --name')
            [CompletionResult]::new('--fingerprint', '--fingerprint', [CompletionResultType]::ParameterName, 'Add this fingerprint (hex pairs, colons optional, any case) instead of a certificate''s; needs --name')
            [CompletionResult]::new('-n', '-n', [CompletionResultType]::ParameterName, 'Value stored for the entry [default: the certificate''s subject CN]')
            [CompletionResult]::new('--name', '--name', [CompletionResultType]::ParameterName, 'Value stored for the entry [default: the certificate''s subject CN]')
            [CompletionResult]::new('-d', '-d', [CompletionResultType]::ParameterName, 'Digest to use [default: the effective smtpd_tls_fingerprint_digest]')
            [CompletionResult]::new('--digest', '--digest', [CompletionResultType]::ParameterName, 'Digest to use [default: the effective smtpd_tls_fingerprint_digest]')
            [CompletionResult]::new('-c', '-c', [CompletionResultType]::ParameterName, 'Postfix configuration directory (as postmap -c)')
            [CompletionResult]::new('--config-dir', '--config-dir', [CompletionResultType]::ParameterName, 'Postfix configuration directory (as postmap -c)')
            [CompletionResult]::new('--map', '--map', [CompletionResultType]::ParameterName, 'The clientcerts source file that add, remove, list and rehash edit, or a database list as Postfix names it: pgsql:/etc/postfix/clientcerts.pgsql.cf')
            [CompletionResult]::new('--postfix-version', '--postfix-version', [CompletionResultType]::ParameterName, 'Use the built-in defaults of this Postfix release instead of asking postconf')
            [CompletionResult]::new('--postfix-build', '--postfix-build', [CompletionResultType]::ParameterName, 'The build of the Postfix assumed with built-in defaults')
            [CompletionResult]::new('--pkcs12-password-file', '--pkcs12-password-file', [CompletionResultType]::ParameterName, 'Read the password of PKCS#12 (.p12/.pfx) files from the first line of FILE')
            [CompletionResult]::new('-p', '-p', [CompletionResultType]::ParameterName, 'Add the public-key fingerprint instead of the certificate fingerprint (with --fingerprint: the fingerprint given is a public-key fingerprint)')
            [CompletionResult]::new('--pubkey', '--pubkey', [CompletionResultType]::ParameterName, 'Add the public-key fingerprint instead of the certificate fingerprint (with --fingerprint: the fingerprint given is a public-key fingerprint)')
            [CompletionResult]::new('--replace', '--replace', [CompletionResultType]::ParameterName, 'Replace the name of an entry whose fingerprint is already present')
            [CompletionResult]::new('--strict', '--strict', [CompletionResultType]::ParameterName, 'Refuse, instead of warning, when --digest differs from the server''s smtpd_tls_fingerprint_digest (such an entry can never match)')
            [CompletionResult]::new('--no-compile', '--no-compile', [CompletionResultType]::ParameterName, 'Do not rebuild the compiled tables next to the source file')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Show no progress bar, and say nothing about tables built or rebuilt')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'ccert;remove' {
            [CompletionResult]::new('-n', '-n', [CompletionResultType]::ParameterName, 'Remove every entry whose value is NAME')
            [CompletionResult]::new('--name', '--name', [CompletionResultType]::ParameterName, 'Remove every entry whose value is NAME')
            [CompletionResult]::new('--fingerprint', '--fingerprint', [CompletionResultType]::ParameterName, 'Remove the entry with this fingerprint (any case, colons optional)')
            [CompletionResult]::new('-d', '-d', [CompletionResultType]::ParameterName, 'Digest used to fingerprint CERT [default: every digest]')
            [CompletionResult]::new('--digest', '--digest', [CompletionResultType]::ParameterName, 'Digest used to fingerprint CERT [default: every digest]')
            [CompletionResult]::new('-c', '-c', [CompletionResultType]::ParameterName, 'Postfix configuration directory (as postmap -c)')
            [CompletionResult]::new('--config-dir', '--config-dir', [CompletionResultType]::ParameterName, 'Postfix configuration directory (as postmap -c)')
            [CompletionResult]::new('--map', '--map', [CompletionResultType]::ParameterName, 'The clientcerts source file that add, remove, list and rehash edit, or a database list as Postfix names it: pgsql:/etc/postfix/clientcerts.pgsql.cf')
            [CompletionResult]::new('--postfix-version', '--postfix-version', [CompletionResultType]::ParameterName, 'Use the built-in defaults of this Postfix release instead of asking postconf')
            [CompletionResult]::new('--postfix-build', '--postfix-build', [CompletionResultType]::ParameterName, 'The build of the Postfix assumed with built-in defaults')
            [CompletionResult]::new('--pkcs12-password-file', '--pkcs12-password-file', [CompletionResultType]::ParameterName, 'Read the password of PKCS#12 (.p12/.pfx) files from the first line of FILE')
            [CompletionResult]::new('-y', '-y', [CompletionResultType]::ParameterName, 'Do not ask for confirmation (required when standard input is not a terminal)')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Do not ask for confirmation (required when standard input is not a terminal)')
            [CompletionResult]::new('--no-compile', '--no-compile', [CompletionResultType]::ParameterName, 'Do not rebuild the compiled tables next to the source file')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Show no progress bar, and say nothing about tables built or rebuilt')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'ccert;list' {
            [CompletionResult]::new('-f', '-f', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('--expiring', '--expiring', [CompletionResultType]::ParameterName, 'Show only entries whose certificate expires within DAYS; exit 1 if any does')
            [CompletionResult]::new('-c', '-c', [CompletionResultType]::ParameterName, 'Postfix configuration directory (as postmap -c)')
            [CompletionResult]::new('--config-dir', '--config-dir', [CompletionResultType]::ParameterName, 'Postfix configuration directory (as postmap -c)')
            [CompletionResult]::new('--map', '--map', [CompletionResultType]::ParameterName, 'The clientcerts source file that add, remove, list and rehash edit, or a database list as Postfix names it: pgsql:/etc/postfix/clientcerts.pgsql.cf')
            [CompletionResult]::new('--postfix-version', '--postfix-version', [CompletionResultType]::ParameterName, 'Use the built-in defaults of this Postfix release instead of asking postconf')
            [CompletionResult]::new('--postfix-build', '--postfix-build', [CompletionResultType]::ParameterName, 'The build of the Postfix assumed with built-in defaults')
            [CompletionResult]::new('--pkcs12-password-file', '--pkcs12-password-file', [CompletionResultType]::ParameterName, 'Read the password of PKCS#12 (.p12/.pfx) files from the first line of FILE')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Show no progress bar, and say nothing about tables built or rebuilt')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'ccert;compile' {
            [CompletionResult]::new('-t', '-t', [CompletionResultType]::ParameterName, 'Table type for FILEs without a TYPE: prefix')
            [CompletionResult]::new('--type', '--type', [CompletionResultType]::ParameterName, 'Table type for FILEs without a TYPE: prefix')
            [CompletionResult]::new('-c', '-c', [CompletionResultType]::ParameterName, 'Postfix configuration directory (as postmap -c)')
            [CompletionResult]::new('--config-dir', '--config-dir', [CompletionResultType]::ParameterName, 'Postfix configuration directory (as postmap -c)')
            [CompletionResult]::new('--map', '--map', [CompletionResultType]::ParameterName, 'The clientcerts source file that add, remove, list and rehash edit, or a database list as Postfix names it: pgsql:/etc/postfix/clientcerts.pgsql.cf')
            [CompletionResult]::new('--postfix-version', '--postfix-version', [CompletionResultType]::ParameterName, 'Use the built-in defaults of this Postfix release instead of asking postconf')
            [CompletionResult]::new('--postfix-build', '--postfix-build', [CompletionResultType]::ParameterName, 'The build of the Postfix assumed with built-in defaults')
            [CompletionResult]::new('--pkcs12-password-file', '--pkcs12-password-file', [CompletionResultType]::ParameterName, 'Read the password of PKCS#12 (.p12/.pfx) files from the first line of FILE')
            [CompletionResult]::new('-r', '-r', [CompletionResultType]::ParameterName, 'On duplicate keys the last value wins, silently (postmap -r)')
            [CompletionResult]::new('-w', '-w', [CompletionResultType]::ParameterName, 'On duplicate keys the first value wins, silently (postmap -w)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Show no progress bar, and say nothing about tables built or rebuilt')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'ccert;query' {
            [CompletionResult]::new('-c', '-c', [CompletionResultType]::ParameterName, 'Postfix configuration directory (as postmap -c)')
            [CompletionResult]::new('--config-dir', '--config-dir', [CompletionResultType]::ParameterName, 'Postfix configuration directory (as postmap -c)')
            [CompletionResult]::new('--map', '--map', [CompletionResultType]::ParameterName, 'The clientcerts source file that add, remove, list and rehash edit, or a database list as Postfix names it: pgsql:/etc/postfix/clientcerts.pgsql.cf')
            [CompletionResult]::new('--postfix-version', '--postfix-version', [CompletionResultType]::ParameterName, 'Use the built-in defaults of this Postfix release instead of asking postconf')
            [CompletionResult]::new('--postfix-build', '--postfix-build', [CompletionResultType]::ParameterName, 'The build of the Postfix assumed with built-in defaults')
            [CompletionResult]::new('--pkcs12-password-file', '--pkcs12-password-file', [CompletionResultType]::ParameterName, 'Read the password of PKCS#12 (.p12/.pfx) files from the first line of FILE')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Show no progress bar, and say nothing about tables built or rebuilt')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'ccert;dump' {
            [CompletionResult]::new('-c', '-c', [CompletionResultType]::ParameterName, 'Postfix configuration directory (as postmap -c)')
            [CompletionResult]::new('--config-dir', '--config-dir', [CompletionResultType]::ParameterName, 'Postfix configuration directory (as postmap -c)')
            [CompletionResult]::new('--map', '--map', [CompletionResultType]::ParameterName, 'The clientcerts source file that add, remove, list and rehash edit, or a database list as Postfix names it: pgsql:/etc/postfix/clientcerts.pgsql.cf')
            [CompletionResult]::new('--postfix-version', '--postfix-version', [CompletionResultType]::ParameterName, 'Use the built-in defaults of this Postfix release instead of asking postconf')
            [CompletionResult]::new('--postfix-build', '--postfix-build', [CompletionResultType]::ParameterName, 'The build of the Postfix assumed with built-in defaults')
            [CompletionResult]::new('--pkcs12-password-file', '--pkcs12-password-file', [CompletionResultType]::ParameterName, 'Read the password of PKCS#12 (.p12/.pfx) files from the first line of FILE')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Show no progress bar, and say nothing about tables built or rebuilt')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'ccert;doctor' {
            [CompletionResult]::new('-f', '-f', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('--fips-file', '--fips-file', [CompletionResultType]::ParameterName, 'Test hook: the file that says whether the kernel runs in FIPS mode (docs/lifecycle.md); hidden, as no administrator needs another one')
            [CompletionResult]::new('-c', '-c', [CompletionResultType]::ParameterName, 'Postfix configuration directory (as postmap -c)')
            [CompletionResult]::new('--config-dir', '--config-dir', [CompletionResultType]::ParameterName, 'Postfix configuration directory (as postmap -c)')
            [CompletionResult]::new('--map', '--map', [CompletionResultType]::ParameterName, 'The clientcerts source file that add, remove, list and rehash edit, or a database list as Postfix names it: pgsql:/etc/postfix/clientcerts.pgsql.cf')
            [CompletionResult]::new('--postfix-version', '--postfix-version', [CompletionResultType]::ParameterName, 'Use the built-in defaults of this Postfix release instead of asking postconf')
            [CompletionResult]::new('--postfix-build', '--postfix-build', [CompletionResultType]::ParameterName, 'The build of the Postfix assumed with built-in defaults')
            [CompletionResult]::new('--pkcs12-password-file', '--pkcs12-password-file', [CompletionResultType]::ParameterName, 'Read the password of PKCS#12 (.p12/.pfx) files from the first line of FILE')
            [CompletionResult]::new('--strict', '--strict', [CompletionResultType]::ParameterName, 'Exit 1 on warnings too')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Show no progress bar, and say nothing about tables built or rebuilt')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'ccert;rehash' {
            [CompletionResult]::new('-d', '-d', [CompletionResultType]::ParameterName, 'The new digest [default: the effective smtpd_tls_fingerprint_digest]')
            [CompletionResult]::new('--digest', '--digest', [CompletionResultType]::ParameterName, 'The new digest [default: the effective smtpd_tls_fingerprint_digest]')
            [CompletionResult]::new('-c', '-c', [CompletionResultType]::ParameterName, 'Postfix configuration directory (as postmap -c)')
            [CompletionResult]::new('--config-dir', '--config-dir', [CompletionResultType]::ParameterName, 'Postfix configuration directory (as postmap -c)')
            [CompletionResult]::new('--map', '--map', [CompletionResultType]::ParameterName, 'The clientcerts source file that add, remove, list and rehash edit, or a database list as Postfix names it: pgsql:/etc/postfix/clientcerts.pgsql.cf')
            [CompletionResult]::new('--postfix-version', '--postfix-version', [CompletionResultType]::ParameterName, 'Use the built-in defaults of this Postfix release instead of asking postconf')
            [CompletionResult]::new('--postfix-build', '--postfix-build', [CompletionResultType]::ParameterName, 'The build of the Postfix assumed with built-in defaults')
            [CompletionResult]::new('--pkcs12-password-file', '--pkcs12-password-file', [CompletionResultType]::ParameterName, 'Read the password of PKCS#12 (.p12/.pfx) files from the first line of FILE')
            [CompletionResult]::new('-p', '-p', [CompletionResultType]::ParameterName, 'Use public-key fingerprints')
            [CompletionResult]::new('--pubkey', '--pubkey', [CompletionResultType]::ParameterName, 'Use public-key fingerprints')
            [CompletionResult]::new('--skip-unknown', '--skip-unknown', [CompletionResultType]::ParameterName, 'Leave entries without a stored certificate (such as those added with `add --fingerprint`) as they are, instead of refusing to rehash')
            [CompletionResult]::new('--no-compile', '--no-compile', [CompletionResultType]::ParameterName, 'Do not rebuild the compiled tables next to the source file')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Show no progress bar, and say nothing about tables built or rebuilt')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'ccert;issue' {
            [CompletionResult]::new('-k', '-k', [CompletionResultType]::ParameterName, 'Key type')
            [CompletionResult]::new('--key-type', '--key-type', [CompletionResultType]::ParameterName, 'Key type')
            [CompletionResult]::new('--days', '--days', [CompletionResultType]::ParameterName, 'Validity in days')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Directory for NAME.pem and NAME.key')
            [CompletionResult]::new('--out', '--out', [CompletionResultType]::ParameterName, 'Directory for NAME.pem and NAME.key')
            [CompletionResult]::new('-c', '-c', [CompletionResultType]::ParameterName, 'Postfix configuration directory (as postmap -c)')
            [CompletionResult]::new('--config-dir', '--config-dir', [CompletionResultType]::ParameterName, 'Postfix configuration directory (as postmap -c)')
            [CompletionResult]::new('--map', '--map', [CompletionResultType]::ParameterName, 'The clientcerts source file that add, remove, list and rehash edit, or a database list as Postfix names it: pgsql:/etc/postfix/clientcerts.pgsql.cf')
            [CompletionResult]::new('--postfix-version', '--postfix-version', [CompletionResultType]::ParameterName, 'Use the built-in defaults of this Postfix release instead of asking postconf')
            [CompletionResult]::new('--postfix-build', '--postfix-build', [CompletionResultType]::ParameterName, 'The build of the Postfix assumed with built-in defaults')
            [CompletionResult]::new('--pkcs12-password-file', '--pkcs12-password-file', [CompletionResultType]::ParameterName, 'Read the password of PKCS#12 (.p12/.pfx) files from the first line of FILE')
            [CompletionResult]::new('--add', '--add', [CompletionResultType]::ParameterName, 'Also add the certificate to the clientcerts source file')
            [CompletionResult]::new('--renew', '--renew', [CompletionResultType]::ParameterName, 'Re-issue OUT/NAME.pem from the existing OUT/NAME.key (public-key entries stay valid)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Show no progress bar, and say nothing about tables built or rebuilt')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'ccert;client-config' {
            [CompletionResult]::new('--cert', '--cert', [CompletionResultType]::ParameterName, 'Client certificate file')
            [CompletionResult]::new('--key', '--key', [CompletionResultType]::ParameterName, 'Client private key file')
            [CompletionResult]::new('--relay', '--relay', [CompletionResultType]::ParameterName, 'Relay server as HOST[:PORT] [default port: 587]')
            [CompletionResult]::new('-c', '-c', [CompletionResultType]::ParameterName, 'Postfix configuration directory (as postmap -c)')
            [CompletionResult]::new('--config-dir', '--config-dir', [CompletionResultType]::ParameterName, 'Postfix configuration directory (as postmap -c)')
            [CompletionResult]::new('--map', '--map', [CompletionResultType]::ParameterName, 'The clientcerts source file that add, remove, list and rehash edit, or a database list as Postfix names it: pgsql:/etc/postfix/clientcerts.pgsql.cf')
            [CompletionResult]::new('--postfix-version', '--postfix-version', [CompletionResultType]::ParameterName, 'Use the built-in defaults of this Postfix release instead of asking postconf')
            [CompletionResult]::new('--postfix-build', '--postfix-build', [CompletionResultType]::ParameterName, 'The build of the Postfix assumed with built-in defaults')
            [CompletionResult]::new('--pkcs12-password-file', '--pkcs12-password-file', [CompletionResultType]::ParameterName, 'Read the password of PKCS#12 (.p12/.pfx) files from the first line of FILE')
            [CompletionResult]::new('--postfix', '--postfix', [CompletionResultType]::ParameterName, 'Print Postfix (smarthost client) settings (the default)')
            [CompletionResult]::new('--ssmtp', '--ssmtp', [CompletionResultType]::ParameterName, 'Print ssmtp.conf settings')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Show no progress bar, and say nothing about tables built or rebuilt')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'ccert;server-config' {
            [CompletionResult]::new('-c', '-c', [CompletionResultType]::ParameterName, 'Postfix configuration directory (as postmap -c)')
            [CompletionResult]::new('--config-dir', '--config-dir', [CompletionResultType]::ParameterName, 'Postfix configuration directory (as postmap -c)')
            [CompletionResult]::new('--map', '--map', [CompletionResultType]::ParameterName, 'The clientcerts source file that add, remove, list and rehash edit, or a database list as Postfix names it: pgsql:/etc/postfix/clientcerts.pgsql.cf')
            [CompletionResult]::new('--postfix-version', '--postfix-version', [CompletionResultType]::ParameterName, 'Use the built-in defaults of this Postfix release instead of asking postconf')
            [CompletionResult]::new('--postfix-build', '--postfix-build', [CompletionResultType]::ParameterName, 'The build of the Postfix assumed with built-in defaults')
            [CompletionResult]::new('--pkcs12-password-file', '--pkcs12-password-file', [CompletionResultType]::ParameterName, 'Read the password of PKCS#12 (.p12/.pfx) files from the first line of FILE')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Show no progress bar, and say nothing about tables built or rebuilt')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'ccert;migrate' {
            [CompletionResult]::new('--to', '--to', [CompletionResultType]::ParameterName, 'The new table type')
            [CompletionResult]::new('-c', '-c', [CompletionResultType]::ParameterName, 'Postfix configuration directory (as postmap -c)')
            [CompletionResult]::new('--config-dir', '--config-dir', [CompletionResultType]::ParameterName, 'Postfix configuration directory (as postmap -c)')
            [CompletionResult]::new('--map', '--map', [CompletionResultType]::ParameterName, 'The clientcerts source file that add, remove, list and rehash edit, or a database list as Postfix names it: pgsql:/etc/postfix/clientcerts.pgsql.cf')
            [CompletionResult]::new('--postfix-version', '--postfix-version', [CompletionResultType]::ParameterName, 'Use the built-in defaults of this Postfix release instead of asking postconf')
            [CompletionResult]::new('--postfix-build', '--postfix-build', [CompletionResultType]::ParameterName, 'The build of the Postfix assumed with built-in defaults')
            [CompletionResult]::new('--pkcs12-password-file', '--pkcs12-password-file', [CompletionResultType]::ParameterName, 'Read the password of PKCS#12 (.p12/.pfx) files from the first line of FILE')
            [CompletionResult]::new('--apply', '--apply', [CompletionResultType]::ParameterName, 'Write main.cf and master.cf (with a backup) instead of printing the lines')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Show no progress bar, and say nothing about tables built or rebuilt')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'ccert;log' {
            [CompletionResult]::new('-f', '-f', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('--since', '--since', [CompletionResultType]::ParameterName, 'Only lines from this time on: a date (2026-11-25), an RFC 3339 time, or an age (90m, 12h, 7d)')
            [CompletionResult]::new('-c', '-c', [CompletionResultType]::ParameterName, 'Postfix configuration directory (as postmap -c)')
            [CompletionResult]::new('--config-dir', '--config-dir', [CompletionResultType]::ParameterName, 'Postfix configuration directory (as postmap -c)')
            [CompletionResult]::new('--map', '--map', [CompletionResultType]::ParameterName, 'The clientcerts source file that add, remove, list and rehash edit, or a database list as Postfix names it: pgsql:/etc/postfix/clientcerts.pgsql.cf')
            [CompletionResult]::new('--postfix-version', '--postfix-version', [CompletionResultType]::ParameterName, 'Use the built-in defaults of this Postfix release instead of asking postconf')
            [CompletionResult]::new('--postfix-build', '--postfix-build', [CompletionResultType]::ParameterName, 'The build of the Postfix assumed with built-in defaults')
            [CompletionResult]::new('--pkcs12-password-file', '--pkcs12-password-file', [CompletionResultType]::ParameterName, 'Read the password of PKCS#12 (.p12/.pfx) files from the first line of FILE')
            [CompletionResult]::new('-a', '-a', [CompletionResultType]::ParameterName, 'Show every client, also those already in the clientcerts source')
            [CompletionResult]::new('--all', '--all', [CompletionResultType]::ParameterName, 'Show every client, also those already in the clientcerts source')
            [CompletionResult]::new('--approve', '--approve', [CompletionResultType]::ParameterName, 'Ask, for each unknown client, whether to add it, under which name and as which fingerprint (needs a terminal)')
            [CompletionResult]::new('--no-compile', '--no-compile', [CompletionResultType]::ParameterName, 'Do not rebuild the compiled tables next to the source file (with --approve)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Show no progress bar, and say nothing about tables built or rebuilt')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'ccert;probe' {
            [CompletionResult]::new('--cert', '--cert', [CompletionResultType]::ParameterName, 'Client certificate file (PEM; the chain may follow)')
            [CompletionResult]::new('--key', '--key', [CompletionResultType]::ParameterName, 'Client private key file (PEM: PKCS#8, RSA or EC)')
            [CompletionResult]::new('--from', '--from', [CompletionResultType]::ParameterName, 'Envelope sender')
            [CompletionResult]::new('--to', '--to', [CompletionResultType]::ParameterName, 'Recipient outside the server''s domains (relaying needs permission)')
            [CompletionResult]::new('-d', '-d', [CompletionResultType]::ParameterName, 'The server''s smtpd_tls_fingerprint_digest [default: from -c DIR when present, else sha256]')
            [CompletionResult]::new('--digest', '--digest', [CompletionResultType]::ParameterName, 'The server''s smtpd_tls_fingerprint_digest [default: from -c DIR when present, else sha256]')
            [CompletionResult]::new('--helo', '--helo', [CompletionResultType]::ParameterName, 'The name sent in EHLO')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Seconds the whole dialogue may take (connecting, TLS and every reply together)')
            [CompletionResult]::new('-f', '-f', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('-c', '-c', [CompletionResultType]::ParameterName, 'Postfix configuration directory (as postmap -c)')
            [CompletionResult]::new('--config-dir', '--config-dir', [CompletionResultType]::ParameterName, 'Postfix configuration directory (as postmap -c)')
            [CompletionResult]::new('--map', '--map', [CompletionResultType]::ParameterName, 'The clientcerts source file that add, remove, list and rehash edit, or a database list as Postfix names it: pgsql:/etc/postfix/clientcerts.pgsql.cf')
            [CompletionResult]::new('--postfix-version', '--postfix-version', [CompletionResultType]::ParameterName, 'Use the built-in defaults of this Postfix release instead of asking postconf')
            [CompletionResult]::new('--postfix-build', '--postfix-build', [CompletionResultType]::ParameterName, 'The build of the Postfix assumed with built-in defaults')
            [CompletionResult]::new('--pkcs12-password-file', '--pkcs12-password-file', [CompletionResultType]::ParameterName, 'Read the password of PKCS#12 (.p12/.pfx) files from the first line of FILE')
            [CompletionResult]::new('--tls', '--tls', [CompletionResultType]::ParameterName, 'Implicit TLS (the default on port 465) instead of STARTTLS')
            [CompletionResult]::new('--rpk', '--rpk', [CompletionResultType]::ParameterName, 'Offer a raw public key (RFC 7250; TLS 1.3, Postfix 3.9+ with smtpd_tls_enable_rpk) instead of the certificate')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Show no progress bar, and say nothing about tables built or rebuilt')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'ccert;completions' {
            [CompletionResult]::new('-c', '-c', [CompletionResultType]::ParameterName, 'Postfix configuration directory (as postmap -c)')
            [CompletionResult]::new('--config-dir', '--config-dir', [CompletionResultType]::ParameterName, 'Postfix configuration directory (as postmap -c)')
            [CompletionResult]::new('--map', '--map', [CompletionResultType]::ParameterName, 'The clientcerts source file that add, remove, list and rehash edit, or a database list as Postfix names it: pgsql:/etc/postfix/clientcerts.pgsql.cf')
            [CompletionResult]::new('--postfix-version', '--postfix-version', [CompletionResultType]::ParameterName, 'Use the built-in defaults of this Postfix release instead of asking postconf')
            [CompletionResult]::new('--postfix-build', '--postfix-build', [CompletionResultType]::ParameterName, 'The build of the Postfix assumed with built-in defaults')
            [CompletionResult]::new('--pkcs12-password-file', '--pkcs12-password-file', [CompletionResultType]::ParameterName, 'Read the password of PKCS#12 (.p12/.pfx) files from the first line of FILE')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Show no progress bar, and say nothing about tables built or rebuilt')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'ccert;db' {
            [CompletionResult]::new('-c', '-c', [CompletionResultType]::ParameterName, 'Postfix configuration directory (as postmap -c)')
            [CompletionResult]::new('--config-dir', '--config-dir', [CompletionResultType]::ParameterName, 'Postfix configuration directory (as postmap -c)')
            [CompletionResult]::new('--map', '--map', [CompletionResultType]::ParameterName, 'The clientcerts source file that add, remove, list and rehash edit, or a database list as Postfix names it: pgsql:/etc/postfix/clientcerts.pgsql.cf')
            [CompletionResult]::new('--postfix-version', '--postfix-version', [CompletionResultType]::ParameterName, 'Use the built-in defaults of this Postfix release instead of asking postconf')
            [CompletionResult]::new('--postfix-build', '--postfix-build', [CompletionResultType]::ParameterName, 'The build of the Postfix assumed with built-in defaults')
            [CompletionResult]::new('--pkcs12-password-file', '--pkcs12-password-file', [CompletionResultType]::ParameterName, 'Read the password of PKCS#12 (.p12/.pfx) files from the first line of FILE')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Show no progress bar, and say nothing about tables built or rebuilt')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('init', 'init', [CompletionResultType]::ParameterValue, 'Create the ccert tables (or migrate them in place) and write the pgsql_table(5) file')
            break
        }
        'ccert;db;init' {
            [CompletionResult]::new('--hosts', '--hosts', [CompletionResultType]::ParameterName, 'Database servers, as pgsql_table(5) `hosts` (comma-separated or repeated)')
            [CompletionResult]::new('--dbname', '--dbname', [CompletionResultType]::ParameterName, 'Database name')
            [CompletionResult]::new('--user', '--user', [CompletionResultType]::ParameterName, 'Database user Postfix and ccert connect as')
            [CompletionResult]::new('--password-file', '--password-file', [CompletionResultType]::ParameterName, 'Read the password from the first line of FILE')
            [CompletionResult]::new('--lookup-user', '--lookup-user', [CompletionResultType]::ParameterName, 'Also create a read-only database role for Postfix''s lookups, with its own CF')
            [CompletionResult]::new('--lookup-cf', '--lookup-cf', [CompletionResultType]::ParameterName, 'Where to write the lookup role''s pgsql_table(5) file')
            [CompletionResult]::new('--lookup-password-file', '--lookup-password-file', [CompletionResultType]::ParameterName, 'Read the lookup role''s password from the first line of FILE (default: random)')
            [CompletionResult]::new('-c', '-c', [CompletionResultType]::ParameterName, 'Postfix configuration directory (as postmap -c)')
            [CompletionResult]::new('--config-dir', '--config-dir', [CompletionResultType]::ParameterName, 'Postfix configuration directory (as postmap -c)')
            [CompletionResult]::new('--map', '--map', [CompletionResultType]::ParameterName, 'The clientcerts source file that add, remove, list and rehash edit, or a database list as Postfix names it: pgsql:/etc/postfix/clientcerts.pgsql.cf')
            [CompletionResult]::new('--postfix-version', '--postfix-version', [CompletionResultType]::ParameterName, 'Use the built-in defaults of this Postfix release instead of asking postconf')
            [CompletionResult]::new('--postfix-build', '--postfix-build', [CompletionResultType]::ParameterName, 'The build of the Postfix assumed with built-in defaults')
            [CompletionResult]::new('--pkcs12-password-file', '--pkcs12-password-file', [CompletionResultType]::ParameterName, 'Read the password of PKCS#12 (.p12/.pfx) files from the first line of FILE')
            [CompletionResult]::new('--force', '--force', [CompletionResultType]::ParameterName, 'Replace an existing CF file')
            [CompletionResult]::new('--print-sql', '--print-sql', [CompletionResultType]::ParameterName, 'Print the SQL that creates the lookup role and change nothing')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Show no progress bar, and say nothing about tables built or rebuilt')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'ccert;import' {
            [CompletionResult]::new('-c', '-c', [CompletionResultType]::ParameterName, 'Postfix configuration directory (as postmap -c)')
            [CompletionResult]::new('--config-dir', '--config-dir', [CompletionResultType]::ParameterName, 'Postfix configuration directory (as postmap -c)')
            [CompletionResult]::new('--map', '--map', [CompletionResultType]::ParameterName, 'The clientcerts source file that add, remove, list and rehash edit, or a database list as Postfix names it: pgsql:/etc/postfix/clientcerts.pgsql.cf')
            [CompletionResult]::new('--postfix-version', '--postfix-version', [CompletionResultType]::ParameterName, 'Use the built-in defaults of this Postfix release instead of asking postconf')
            [CompletionResult]::new('--postfix-build', '--postfix-build', [CompletionResultType]::ParameterName, 'The build of the Postfix assumed with built-in defaults')
            [CompletionResult]::new('--pkcs12-password-file', '--pkcs12-password-file', [CompletionResultType]::ParameterName, 'Read the password of PKCS#12 (.p12/.pfx) files from the first line of FILE')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Show no progress bar, and say nothing about tables built or rebuilt')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'ccert;sync' {
            [CompletionResult]::new('--from', '--from', [CompletionResultType]::ParameterName, 'The database list: pgsql:CF')
            [CompletionResult]::new('--to', '--to', [CompletionResultType]::ParameterName, 'The local table: cdb:FILE, lmdb:FILE (or hash:, sqlite:)')
            [CompletionResult]::new('-c', '-c', [CompletionResultType]::ParameterName, 'Postfix configuration directory (as postmap -c)')
            [CompletionResult]::new('--config-dir', '--config-dir', [CompletionResultType]::ParameterName, 'Postfix configuration directory (as postmap -c)')
            [CompletionResult]::new('--map', '--map', [CompletionResultType]::ParameterName, 'The clientcerts source file that add, remove, list and rehash edit, or a database list as Postfix names it: pgsql:/etc/postfix/clientcerts.pgsql.cf')
            [CompletionResult]::new('--postfix-version', '--postfix-version', [CompletionResultType]::ParameterName, 'Use the built-in defaults of this Postfix release instead of asking postconf')
            [CompletionResult]::new('--postfix-build', '--postfix-build', [CompletionResultType]::ParameterName, 'The build of the Postfix assumed with built-in defaults')
            [CompletionResult]::new('--pkcs12-password-file', '--pkcs12-password-file', [CompletionResultType]::ParameterName, 'Read the password of PKCS#12 (.p12/.pfx) files from the first line of FILE')
            [CompletionResult]::new('--force', '--force', [CompletionResultType]::ParameterName, 'Write the copy although the database (its id) or the list (pgsql:CF) is not the one FILE was copied from; implies --allow-shrink')
            [CompletionResult]::new('--allow-shrink', '--allow-shrink', [CompletionResultType]::ParameterName, 'Write the copy although it removes more than half of FILE''s entries')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Show no progress bar, and say nothing about tables built or rebuilt')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'ccert;apply' {
            [CompletionResult]::new('-f', '-f', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('-c', '-c', [CompletionResultType]::ParameterName, 'Postfix configuration directory (as postmap -c)')
            [CompletionResult]::new('--config-dir', '--config-dir', [CompletionResultType]::ParameterName, 'Postfix configuration directory (as postmap -c)')
            [CompletionResult]::new('--map', '--map', [CompletionResultType]::ParameterName, 'The clientcerts source file that add, remove, list and rehash edit, or a database list as Postfix names it: pgsql:/etc/postfix/clientcerts.pgsql.cf')
            [CompletionResult]::new('--postfix-version', '--postfix-version', [CompletionResultType]::ParameterName, 'Use the built-in defaults of this Postfix release instead of asking postconf')
            [CompletionResult]::new('--postfix-build', '--postfix-build', [CompletionResultType]::ParameterName, 'The build of the Postfix assumed with built-in defaults')
            [CompletionResult]::new('--pkcs12-password-file', '--pkcs12-password-file', [CompletionResultType]::ParameterName, 'Read the password of PKCS#12 (.p12/.pfx) files from the first line of FILE')
            [CompletionResult]::new('--check', '--check', [CompletionResultType]::ParameterName, 'Change nothing; exit 2 when something would change')
            [CompletionResult]::new('--diff', '--diff', [CompletionResultType]::ParameterName, 'Show the source lines that change (`-` old, `+` new)')
            [CompletionResult]::new('--no-compile', '--no-compile', [CompletionResultType]::ParameterName, 'Do not rebuild the compiled tables next to the source file')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Show no progress bar, and say nothing about tables built or rebuilt')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'ccert;check' {
            [CompletionResult]::new('-w', '-w', [CompletionResultType]::ParameterName, 'WARNING when a certificate expires within DAYS')
            [CompletionResult]::new('--warning', '--warning', [CompletionResultType]::ParameterName, 'WARNING when a certificate expires within DAYS')
            [CompletionResult]::new('--critical', '--critical', [CompletionResultType]::ParameterName, 'CRITICAL when a certificate expires within DAYS (no -c: that is the configuration directory)')
            [CompletionResult]::new('-f', '-f', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('--textfile', '--textfile', [CompletionResultType]::ParameterName, 'With --format prometheus: write DIR/ccert.prom atomically instead of printing')
            [CompletionResult]::new('-c', '-c', [CompletionResultType]::ParameterName, 'Postfix configuration directory (as postmap -c)')
            [CompletionResult]::new('--config-dir', '--config-dir', [CompletionResultType]::ParameterName, 'Postfix configuration directory (as postmap -c)')
            [CompletionResult]::new('--map', '--map', [CompletionResultType]::ParameterName, 'The clientcerts source file that add, remove, list and rehash edit, or a database list as Postfix names it: pgsql:/etc/postfix/clientcerts.pgsql.cf')
            [CompletionResult]::new('--postfix-version', '--postfix-version', [CompletionResultType]::ParameterName, 'Use the built-in defaults of this Postfix release instead of asking postconf')
            [CompletionResult]::new('--postfix-build', '--postfix-build', [CompletionResultType]::ParameterName, 'The build of the Postfix assumed with built-in defaults')
            [CompletionResult]::new('--pkcs12-password-file', '--pkcs12-password-file', [CompletionResultType]::ParameterName, 'Read the password of PKCS#12 (.p12/.pfx) files from the first line of FILE')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Show no progress bar, and say nothing about tables built or rebuilt')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'ccert;rotate' {
            [CompletionResult]::new('--overlap', '--overlap', [CompletionResultType]::ParameterName, 'Days both certificates relay when the new one is never seen in the mail log')
            [CompletionResult]::new('-d', '-d', [CompletionResultType]::ParameterName, 'Digest [default: the effective smtpd_tls_fingerprint_digest, else sha256]')
            [CompletionResult]::new('--digest', '--digest', [CompletionResultType]::ParameterName, 'Digest [default: the effective smtpd_tls_fingerprint_digest, else sha256]')
            [CompletionResult]::new('-c', '-c', [CompletionResultType]::ParameterName, 'Postfix configuration directory (as postmap -c)')
            [CompletionResult]::new('--config-dir', '--config-dir', [CompletionResultType]::ParameterName, 'Postfix configuration directory (as postmap -c)')
            [CompletionResult]::new('--map', '--map', [CompletionResultType]::ParameterName, 'The clientcerts source file that add, remove, list and rehash edit, or a database list as Postfix names it: pgsql:/etc/postfix/clientcerts.pgsql.cf')
            [CompletionResult]::new('--postfix-version', '--postfix-version', [CompletionResultType]::ParameterName, 'Use the built-in defaults of this Postfix release instead of asking postconf')
            [CompletionResult]::new('--postfix-build', '--postfix-build', [CompletionResultType]::ParameterName, 'The build of the Postfix assumed with built-in defaults')
            [CompletionResult]::new('--pkcs12-password-file', '--pkcs12-password-file', [CompletionResultType]::ParameterName, 'Read the password of PKCS#12 (.p12/.pfx) files from the first line of FILE')
            [CompletionResult]::new('--pubkey', '--pubkey', [CompletionResultType]::ParameterName, 'List the new public-key fingerprint [default: as the old entry, else as add]')
            [CompletionResult]::new('--no-compile', '--no-compile', [CompletionResultType]::ParameterName, 'Do not rebuild the compiled tables next to the source file')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Show no progress bar, and say nothing about tables built or rebuilt')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'ccert;prune' {
            [CompletionResult]::new('--log', '--log', [CompletionResultType]::ParameterName, 'Mail log to look for rotated certificates in use (repeatable; `-` is standard input)')
            [CompletionResult]::new('-c', '-c', [CompletionResultType]::ParameterName, 'Postfix configuration directory (as postmap -c)')
            [CompletionResult]::new('--config-dir', '--config-dir', [CompletionResultType]::ParameterName, 'Postfix configuration directory (as postmap -c)')
            [CompletionResult]::new('--map', '--map', [CompletionResultType]::ParameterName, 'The clientcerts source file that add, remove, list and rehash edit, or a database list as Postfix names it: pgsql:/etc/postfix/clientcerts.pgsql.cf')
            [CompletionResult]::new('--postfix-version', '--postfix-version', [CompletionResultType]::ParameterName, 'Use the built-in defaults of this Postfix release instead of asking postconf')
            [CompletionResult]::new('--postfix-build', '--postfix-build', [CompletionResultType]::ParameterName, 'The build of the Postfix assumed with built-in defaults')
            [CompletionResult]::new('--pkcs12-password-file', '--pkcs12-password-file', [CompletionResultType]::ParameterName, 'Read the password of PKCS#12 (.p12/.pfx) files from the first line of FILE')
            [CompletionResult]::new('--expired', '--expired', [CompletionResultType]::ParameterName, 'Also remove entries whose certificate has expired (stored copy, else ccert''s comment)')
            [CompletionResult]::new('-n', '-n', [CompletionResultType]::ParameterName, 'Show what would be removed; change nothing')
            [CompletionResult]::new('--dry-run', '--dry-run', [CompletionResultType]::ParameterName, 'Show what would be removed; change nothing')
            [CompletionResult]::new('-y', '-y', [CompletionResultType]::ParameterName, 'Do not ask for confirmation (required when standard input is not a terminal)')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Do not ask for confirmation (required when standard input is not a terminal)')
            [CompletionResult]::new('--no-compile', '--no-compile', [CompletionResultType]::ParameterName, 'Do not rebuild the compiled tables next to the source file')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Show no progress bar, and say nothing about tables built or rebuilt')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'ccert;revoke' {
            [CompletionResult]::new('-n', '-n', [CompletionResultType]::ParameterName, 'Revoke every entry whose name is NAME')
            [CompletionResult]::new('--name', '--name', [CompletionResultType]::ParameterName, 'Revoke every entry whose name is NAME')
            [CompletionResult]::new('--fingerprint', '--fingerprint', [CompletionResultType]::ParameterName, 'Revoke the entry with this fingerprint (any case, colons optional); denied even when the list no longer has it')
            [CompletionResult]::new('--crl', '--crl', [CompletionResultType]::ParameterName, 'Revoke every entry whose stored certificate this CRL (DER or PEM) names by issuer and serial number; entries added by fingerprint alone are reported')
            [CompletionResult]::new('--reason', '--reason', [CompletionResultType]::ParameterName, 'Text added to the REJECT reply (printable ASCII, at most 200 bytes)')
            [CompletionResult]::new('-c', '-c', [CompletionResultType]::ParameterName, 'Postfix configuration directory (as postmap -c)')
            [CompletionResult]::new('--config-dir', '--config-dir', [CompletionResultType]::ParameterName, 'Postfix configuration directory (as postmap -c)')
            [CompletionResult]::new('--map', '--map', [CompletionResultType]::ParameterName, 'The clientcerts source file that add, remove, list and rehash edit, or a database list as Postfix names it: pgsql:/etc/postfix/clientcerts.pgsql.cf')
            [CompletionResult]::new('--postfix-version', '--postfix-version', [CompletionResultType]::ParameterName, 'Use the built-in defaults of this Postfix release instead of asking postconf')
            [CompletionResult]::new('--postfix-build', '--postfix-build', [CompletionResultType]::ParameterName, 'The build of the Postfix assumed with built-in defaults')
            [CompletionResult]::new('--pkcs12-password-file', '--pkcs12-password-file', [CompletionResultType]::ParameterName, 'Read the password of PKCS#12 (.p12/.pfx) files from the first line of FILE')
            [CompletionResult]::new('-y', '-y', [CompletionResultType]::ParameterName, 'Do not ask for confirmation (required when standard input is not a terminal)')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Do not ask for confirmation (required when standard input is not a terminal)')
            [CompletionResult]::new('--dry-run', '--dry-run', [CompletionResultType]::ParameterName, 'Show what would be removed and denied; change nothing')
            [CompletionResult]::new('--no-compile', '--no-compile', [CompletionResultType]::ParameterName, 'Do not rebuild the compiled tables (of the list and the deny table)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Show no progress bar, and say nothing about tables built or rebuilt')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'ccert;help' {
            [CompletionResult]::new('fingerprint', 'fingerprint', [CompletionResultType]::ParameterValue, 'Print certificate or public-key fingerprints as Postfix computes them')
            [CompletionResult]::new('add', 'add', [CompletionResultType]::ParameterValue, 'Add certificates to the clientcerts source file (and recompile its tables)')
            [CompletionResult]::new('remove', 'remove', [CompletionResultType]::ParameterValue, 'Remove entries from the clientcerts source file (and recompile its tables)')
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'List the entries of the clientcerts source file as postmap reads them')
            [CompletionResult]::new('compile', 'compile', [CompletionResultType]::ParameterValue, 'Compile a source map into hash:, lmdb:, cdb: or sqlite: tables (like postmap)')
            [CompletionResult]::new('query', 'query', [CompletionResultType]::ParameterValue, 'Look up a key in a compiled table (like postmap -q)')
            [CompletionResult]::new('dump', 'dump', [CompletionResultType]::ParameterValue, 'Print every key and value of a compiled table (like postmap -s)')
            [CompletionResult]::new('doctor', 'doctor', [CompletionResultType]::ParameterValue, 'Audit the client-certificate relay setup of a Postfix configuration')
            [CompletionResult]::new('rehash', 'rehash', [CompletionResultType]::ParameterValue, 'Rewrite every entry to another digest or to public-key fingerprints')
            [CompletionResult]::new('issue', 'issue', [CompletionResultType]::ParameterValue, 'Create a self-signed client certificate and key for a workstation')
            [CompletionResult]::new('client-config', 'client-config', [CompletionResultType]::ParameterValue, 'Print the client configuration for relaying through this server with a certificate')
            [CompletionResult]::new('server-config', 'server-config', [CompletionResultType]::ParameterValue, 'Print the main.cf and master.cf lines for certificate-based relaying')
            [CompletionResult]::new('migrate', 'migrate', [CompletionResultType]::ParameterValue, 'Move relay_clientcerts and check_ccert_access tables off hash:/btree: (Berkeley DB)')
            [CompletionResult]::new('log', 'log', [CompletionResultType]::ParameterValue, 'List the client certificates smtpd logged, and add unknown ones')
            [CompletionResult]::new('probe', 'probe', [CompletionResultType]::ParameterValue, 'Connect to a server as an SMTP client with a certificate and report whether it may relay')
            [CompletionResult]::new('completions', 'completions', [CompletionResultType]::ParameterValue, 'Print a shell completion script')
            [CompletionResult]::new('db', 'db', [CompletionResultType]::ParameterValue, 'Create or migrate the client-certificate database (pgsql:) and its .cf file')
            [CompletionResult]::new('import', 'import', [CompletionResultType]::ParameterValue, 'Load a clientcerts source file into a pgsql: list (idempotent)')
            [CompletionResult]::new('sync', 'sync', [CompletionResultType]::ParameterValue, 'Write a local table from a pgsql: list when the database changed')
            [CompletionResult]::new('apply', 'apply', [CompletionResultType]::ParameterValue, 'Make the list match a desired-state file (TOML or JSON); exit 0 unchanged, 2 changed')
            [CompletionResult]::new('check', 'check', [CompletionResultType]::ParameterValue, 'Monitoring check: expired and expiring certificates, stale tables (Nagios/Icinga, Prometheus)')
            [CompletionResult]::new('rotate', 'rotate', [CompletionResultType]::ParameterValue, 'List a client''s new certificate beside its old one; `prune` retires the old one later')
            [CompletionResult]::new('prune', 'prune', [CompletionResultType]::ParameterValue, 'Retire finished rotations and (with --expired) expired certificates, then rebuild')
            [CompletionResult]::new('revoke', 'revoke', [CompletionResultType]::ParameterValue, 'Revoke certificates: remove their entries and deny them in the deny table (also by CRL)')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'ccert;help;fingerprint' {
            break
        }
        'ccert;help;add' {
            break
        }
        'ccert;help;remove' {
            break
        }
        'ccert;help;list' {
            break
        }
        'ccert;help;compile' {
            break
        }
        'ccert;help;query' {
            break
        }
        'ccert;help;dump' {
            break
        }
        'ccert;help;doctor' {
            break
        }
        'ccert;help;rehash' {
            break
        }
        'ccert;help;issue' {
            break
        }
        'ccert;help;client-config' {
            break
        }
        'ccert;help;server-config' {
            break
        }
        'ccert;help;migrate' {
            break
        }
        'ccert;help;log' {
            break
        }
        'ccert;help;probe' {
            break
        }
        'ccert;help;completions' {
            break
        }
        'ccert;help;db' {
            [CompletionResult]::new('init', 'init', [CompletionResultType]::ParameterValue, 'Create the ccert tables (or migrate them in place) and write the pgsql_table(5) file')
            break
        }
        'ccert;help;db;init' {
            break
        }
        'ccert;help;import' {
            break
        }
        'ccert;help;sync' {
            break
        }
        'ccert;help;apply' {
            break
        }
        'ccert;help;check' {
            break
        }
        'ccert;help;rotate' {
            break
        }
        'ccert;help;prune' {
            break
        }
        'ccert;help;revoke' {
            break
        }
        'ccert;help;help' {
            break
        }
    })

    $completions.Where{ $_.CompletionText -like "$wordToComplete*" } |
        Sort-Object -Property ListItemText
}
