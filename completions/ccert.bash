_ccert() {
    local i cur prev opts cmd
    COMPREPLY=()
    if [[ "${BASH_VERSINFO[0]}" -ge 4 ]]; then
        cur="$2"
    else
        cur="${COMP_WORDS[COMP_CWORD]}"
    fi
    prev="$3"
    cmd=""
    opts=""

    for i in "${COMP_WORDS[@]:0:COMP_CWORD}"
    do
        case "${cmd},${i}" in
            ",$1")
                cmd="ccert"
                ;;
            ccert,add)
                cmd="ccert__subcmd__add"
                ;;
            ccert,apply)
                cmd="ccert__subcmd__apply"
                ;;
            ccert,check)
                cmd="ccert__subcmd__check"
                ;;
            ccert,client-config)
                cmd="ccert__subcmd__client__subcmd__config"
                ;;
            ccert,compile)
                cmd="ccert__subcmd__compile"
                ;;
            ccert,completions)
                cmd="ccert__subcmd__completions"
                ;;
            ccert,db)
                cmd="ccert__subcmd__db"
                ;;
            ccert,doctor)
                cmd="ccert__subcmd__doctor"
                ;;
            ccert,dump)
                cmd="ccert__subcmd__dump"
                ;;
            ccert,fingerprint)
                cmd="ccert__subcmd__fingerprint"
                ;;
            ccert,help)
                cmd="ccert__subcmd__help"
                ;;
            ccert,import)
                cmd="ccert__subcmd__import"
                ;;
            ccert,issue)
                cmd="ccert__subcmd__issue"
                ;;
            ccert,list)
                cmd="ccert__subcmd__list"
                ;;
            ccert,log)
                cmd="ccert__subcmd__log"
                ;;
            ccert,migrate)
                cmd="ccert__subcmd__migrate"
                ;;
            ccert,probe)
                cmd="ccert__subcmd__probe"
                ;;
            ccert,prune)
                cmd="ccert__subcmd__prune"
                ;;
            ccert,query)
                cmd="ccert__subcmd__query"
                ;;
            ccert,rehash)
                cmd="ccert__subcmd__rehash"
                ;;
            ccert,remove)
                cmd="ccert__subcmd__remove"
                ;;
            ccert,revoke)
                cmd="ccert__subcmd__revoke"
                ;;
            ccert,rotate)
                cmd="ccert__subcmd__rotate"
                ;;
            ccert,server-config)
                cmd="ccert__subcmd__server__subcmd__config"
                ;;
            ccert,sync)
                cmd="ccert__subcmd__sync"
                ;;
            ccert__subcmd__db,init)
                cmd="ccert__subcmd__db__subcmd__init"
                ;;
            ccert__subcmd__help,add)
                cmd="ccert__subcmd__help__subcmd__add"
                ;;
            ccert__subcmd__help,apply)
                cmd="ccert__subcmd__help__subcmd__apply"
                ;;
            ccert__subcmd__help,check)
                cmd="ccert__subcmd__help__subcmd__check"
                ;;
            ccert__subcmd__help,client-config)
                cmd="ccert__subcmd__help__subcmd__client__subcmd__config"
                ;;
            ccert__subcmd__help,compile)
                cmd="ccert__subcmd__help__subcmd__compile"
                ;;
            ccert__subcmd__help,completions)
                cmd="ccert__subcmd__help__subcmd__completions"
                ;;
            ccert__subcmd__help,db)
                cmd="ccert__subcmd__help__subcmd__db"
                ;;
            ccert__subcmd__help,doctor)
                cmd="ccert__subcmd__help__subcmd__doctor"
                ;;
            ccert__subcmd__help,dump)
                cmd="ccert__subcmd__help__subcmd__dump"
                ;;
            ccert__subcmd__help,fingerprint)
                cmd="ccert__subcmd__help__subcmd__fingerprint"
                ;;
            ccert__subcmd__help,help)
                cmd="ccert__subcmd__help__subcmd__help"
                ;;
            ccert__subcmd__help,import)
                cmd="ccert__subcmd__help__subcmd__import"
                ;;
            ccert__subcmd__help,issue)
                cmd="ccert__subcmd__help__subcmd__issue"
                ;;
            ccert__subcmd__help,list)
                cmd="ccert__subcmd__help__subcmd__list"
                ;;
            ccert__subcmd__help,log)
                cmd="ccert__subcmd__help__subcmd__log"
                ;;
            ccert__subcmd__help,migrate)
                cmd="ccert__subcmd__help__subcmd__migrate"
                ;;
            ccert__subcmd__help,probe)
                cmd="ccert__subcmd__help__subcmd__probe"
                ;;
            ccert__subcmd__help,prune)
                cmd="ccert__subcmd__help__subcmd__prune"
                ;;
            ccert__subcmd__help,query)
                cmd="ccert__subcmd__help__subcmd__query"
                ;;
            ccert__subcmd__help,rehash)
                cmd="ccert__subcmd__help__subcmd__rehash"
                ;;
            ccert__subcmd__help,remove)
                cmd="ccert__subcmd__help__subcmd__remove"
                ;;
            ccert__subcmd__help,revoke)
                cmd="ccert__subcmd__help__subcmd__revoke"
                ;;
            ccert__subcmd__help,rotate)
                cmd="ccert__subcmd__help__subcmd__rotate"
                ;;
            ccert__subcmd__help,server-config)
                cmd="ccert__subcmd__help__subcmd__server__subcmd__config"
                ;;
            ccert__subcmd__help,sync)
                cmd="ccert__subcmd__help__subcmd__sync"
                ;;
            ccert__subcmd__help__subcmd__db,init)
                cmd="ccert__subcmd__help__subcmd__db__subcmd__init"
                ;;
            *)
                ;;
        esac
    done

    case "${cmd}" in
        ccert)
            opts="-c -h -V --config-dir --map --quiet --postfix-version --postfix-build --pkcs12-password-file --help --version fingerprint add remove list compile query dump doctor rehash issue client-config server-config migrate log probe completions db import sync apply check rotate prune revoke help"
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 1 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                --config-dir)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                -c)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --map)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --postfix-version)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --postfix-build)
                    COMPREPLY=($(compgen -W "upstream debian no-bdb" -- "${cur}"))
                    return 0
                    ;;
                --pkcs12-password-file)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        ccert__subcmd__add)
            opts="-f -n -d -p -c -h --fingerprint --name --digest --pubkey --replace --strict --no-compile --config-dir --map --quiet --postfix-version --postfix-build --pkcs12-password-file --help"
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 2 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                --fingerprint)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                -f)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --name)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                -n)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --digest)
                    COMPREPLY=($(compgen -W "md5 sha1 sha224 sha256 sha384 sha512" -- "${cur}"))
                    return 0
                    ;;
                -d)
                    COMPREPLY=($(compgen -W "md5 sha1 sha224 sha256 sha384 sha512" -- "${cur}"))
                    return 0
                    ;;
                --config-dir)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                -c)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --map)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --postfix-version)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --postfix-build)
                    COMPREPLY=($(compgen -W "upstream debian no-bdb" -- "${cur}"))
                    return 0
                    ;;
                --pkcs12-password-file)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        ccert__subcmd__apply)
            opts="-f -c -h --check --diff --format --no-compile --config-dir --map --quiet --postfix-version --postfix-build --pkcs12-password-file --help"
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 2 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                --format)
                    COMPREPLY=($(compgen -W "text json" -- "${cur}"))
                    return 0
                    ;;
                -f)
                    COMPREPLY=($(compgen -W "text json" -- "${cur}"))
                    return 0
                    ;;
                --config-dir)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                -c)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --map)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --postfix-version)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --postfix-build)
                    COMPREPLY=($(compgen -W "upstream debian no-bdb" -- "${cur}"))
                    return 0
                    ;;
                --pkcs12-password-file)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        ccert__subcmd__check)
            opts="-w -f -c -h --warning --critical --format --textfile --config-dir --map --quiet --postfix-version --postfix-build --pkcs12-password-file --help"
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 2 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                --warning)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                -w)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --critical)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --format)
                    COMPREPLY=($(compgen -W "nagios prometheus json" -- "${cur}"))
                    return 0
                    ;;
                -f)
                    COMPREPLY=($(compgen -W "nagios prometheus json" -- "${cur}"))
                    return 0
                    ;;
                --textfile)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --config-dir)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                -c)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --map)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --postfix-version)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --postfix-build)
                    COMPREPLY=($(compgen -W "upstream debian no-bdb" -- "${cur}"))
                    return 0
                    ;;
                --pkcs12-password-file)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        ccert__subcmd__client__subcmd__config)
            opts="-c -h --cert --key --relay --postfix --ssmtp --config-dir --map --quiet --postfix-version --postfix-build --pkcs12-password-file --help"
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 2 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                --cert)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --key)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --relay)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --config-dir)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                -c)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --map)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --postfix-version)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --postfix-build)
                    COMPREPLY=($(compgen -W "upstream debian no-bdb" -- "${cur}"))
                    return 0
                    ;;
                --pkcs12-password-file)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        ccert__subcmd__compile)
            opts="-t -r -w -c -h --type --config-dir --map --quiet --postfix-version --postfix-build --pkcs12-password-file --help"
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 2 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                --type)
                    COMPREPLY=($(compgen -W "hash lmdb cdb sqlite" -- "${cur}"))
                    return 0
                    ;;
                -t)
                    COMPREPLY=($(compgen -W "hash lmdb cdb sqlite" -- "${cur}"))
                    return 0
                    ;;
                --config-dir)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                -c)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --map)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --postfix-version)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --postfix-build)
                    COMPREPLY=($(compgen -W "upstream debian no-bdb" -- "${cur}"))
                    return 0
                    ;;
                --pkcs12-password-file)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        ccert__subcmd__completions)
            opts="-c -h --config-dir --map --quiet --postfix-version --postfix-build --pkcs12-password-file --help bash zsh fish elvish powershell"
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 2 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                --config-dir)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                -c)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --map)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --postfix-version)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --postfix-build)
                    COMPREPLY=($(compgen -W "upstream debian no-bdb" -- "${cur}"))
                    return 0
                    ;;
                --pkcs12-password-file)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        ccert__subcmd__db)
            opts="-c -h --config-dir --map --quiet --postfix-version --postfix-build --pkcs12-password-file --help init"
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 2 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                --config-dir)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                -c)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --map)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --postfix-version)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --postfix-build)
                    COMPREPLY=($(compgen -W "upstream debian no-bdb" -- "${cur}"))
                    return 0
                    ;;
                --pkcs12-password-file)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        ccert__subcmd__db__subcmd__init)
            opts="-c -h --hosts --dbname --user --password-file --force --lookup-user --lookup-cf --lookup-password-file --print-sql --config-dir --map --quiet --postfix-version --postfix-build --pkcs12-password-file --help"
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 3 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                --hosts)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --dbname)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --user)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --password-file)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --lookup-user)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --lookup-cf)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --lookup-password-file)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --config-dir)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                -c)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --map)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --postfix-version)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --postfix-build)
                    COMPREPLY=($(compgen -W "upstream debian no-bdb" -- "${cur}"))
                    return 0
                    ;;
                --pkcs12-password-file)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        ccert__subcmd__doctor)
            opts="-f -c -h --format --strict --fips-file --config-dir --map --quiet --postfix-version --postfix-build --pkcs12-password-file --help"
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 2 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                --format)
                    COMPREPLY=($(compgen -W "text json" -- "${cur}"))
                    return 0
                    ;;
                -f)
                    COMPREPLY=($(compgen -W "text json" -- "${cur}"))
                    return 0
                    ;;
                --fips-file)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --config-dir)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                -c)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --map)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --postfix-version)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --postfix-build)
                    COMPREPLY=($(compgen -W "upstream debian no-bdb" -- "${cur}"))
                    return 0
                    ;;
                --pkcs12-password-file)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        ccert__subcmd__dump)
            opts="-c -h --config-dir --map --quiet --postfix-version --postfix-build --pkcs12-password-file --help"
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 2 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                --config-dir)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                -c)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --map)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --postfix-version)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --postfix-build)
                    COMPREPLY=($(compgen -W "upstream debian no-bdb" -- "${cur}"))
                    return 0
                    ;;
                --pkcs12-password-file)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        ccert__subcmd__fingerprint)
            opts="-d -p -f -c -h --digest --pubkey --format --config-dir --map --quiet --postfix-version --postfix-build --pkcs12-password-file --help"
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 2 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                --digest)
                    COMPREPLY=($(compgen -W "md5 sha1 sha224 sha256 sha384 sha512" -- "${cur}"))
                    return 0
                    ;;
                -d)
                    COMPREPLY=($(compgen -W "md5 sha1 sha224 sha256 sha384 sha512" -- "${cur}"))
                    return 0
                    ;;
                --format)
                    COMPREPLY=($(compgen -W "text openssl map json" -- "${cur}"))
                    return 0
                    ;;
                -f)
                    COMPREPLY=($(compgen -W "text openssl map json" -- "${cur}"))
                    return 0
                    ;;
                --config-dir)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                -c)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --map)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --postfix-version)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --postfix-build)
                    COMPREPLY=($(compgen -W "upstream debian no-bdb" -- "${cur}"))
                    return 0
                    ;;
                --pkcs12-password-file)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        ccert__subcmd__help)
            opts="fingerprint add remove list compile query dump doctor rehash issue client-config server-config migrate log probe completions db import sync apply check rotate prune revoke help"
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 2 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        ccert__subcmd__help__subcmd__add)
            opts=""
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 3 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        ccert__subcmd__help__subcmd__apply)
            opts=""
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 3 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        ccert__subcmd__help__subcmd__check)
            opts=""
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 3 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        ccert__subcmd__help__subcmd__client__subcmd__config)
            opts=""
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 3 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        ccert__subcmd__help__subcmd__compile)
            opts=""
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 3 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        ccert__subcmd__help__subcmd__completions)
            opts=""
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 3 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        ccert__subcmd__help__subcmd__db)
            opts="init"
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 3 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        ccert__subcmd__help__subcmd__db__subcmd__init)
            opts=""
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 4 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        ccert__subcmd__help__subcmd__doctor)
            opts=""
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 3 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        ccert__subcmd__help__subcmd__dump)
            opts=""
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 3 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        ccert__subcmd__help__subcmd__fingerprint)
            opts=""
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 3 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        ccert__subcmd__help__subcmd__help)
            opts=""
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 3 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        ccert__subcmd__help__subcmd__import)
            opts=""
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 3 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        ccert__subcmd__help__subcmd__issue)
            opts=""
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 3 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        ccert__subcmd__help__subcmd__list)
            opts=""
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 3 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        ccert__subcmd__help__subcmd__log)
            opts=""
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 3 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        ccert__subcmd__help__subcmd__migrate)
            opts=""
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 3 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        ccert__subcmd__help__subcmd__probe)
            opts=""
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 3 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        ccert__subcmd__help__subcmd__prune)
            opts=""
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 3 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        ccert__subcmd__help__subcmd__query)
            opts=""
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 3 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        ccert__subcmd__help__subcmd__rehash)
            opts=""
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 3 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        ccert__subcmd__help__subcmd__remove)
            opts=""
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 3 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        ccert__subcmd__help__subcmd__revoke)
            opts=""
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 3 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        ccert__subcmd__help__subcmd__rotate)
            opts=""
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 3 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        ccert__subcmd__help__subcmd__server__subcmd__config)
            opts=""
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 3 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        ccert__subcmd__help__subcmd__sync)
            opts=""
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 3 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        ccert__subcmd__import)
            opts="-c -h --config-dir --map --quiet --postfix-version --postfix-build --pkcs12-password-file --help"
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 2 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                --config-dir)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                -c)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --map)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --postfix-version)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --postfix-build)
                    COMPREPLY=($(compgen -W "upstream debian no-bdb" -- "${cur}"))
                    return 0
                    ;;
                --pkcs12-password-file)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        ccert__subcmd__issue)
            opts="-k -o -c -h --key-type --days --out --add --renew --config-dir --map --quiet --postfix-version --postfix-build --pkcs12-password-file --help"
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 2 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                --key-type)
                    COMPREPLY=($(compgen -W "ec rsa ed25519" -- "${cur}"))
                    return 0
                    ;;
                -k)
                    COMPREPLY=($(compgen -W "ec rsa ed25519" -- "${cur}"))
                    return 0
                    ;;
                --days)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --out)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                -o)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --config-dir)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                -c)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --map)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --postfix-version)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --postfix-build)
                    COMPREPLY=($(compgen -W "upstream debian no-bdb" -- "${cur}"))
                    return 0
                    ;;
                --pkcs12-password-file)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        ccert__subcmd__list)
            opts="-f -c -h --format --expiring --config-dir --map --quiet --postfix-version --postfix-build --pkcs12-password-file --help"
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 2 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                --format)
                    COMPREPLY=($(compgen -W "table json plain" -- "${cur}"))
                    return 0
                    ;;
                -f)
                    COMPREPLY=($(compgen -W "table json plain" -- "${cur}"))
                    return 0
                    ;;
                --expiring)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --config-dir)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                -c)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --map)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --postfix-version)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --postfix-build)
                    COMPREPLY=($(compgen -W "upstream debian no-bdb" -- "${cur}"))
                    return 0
                    ;;
                --pkcs12-password-file)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        ccert__subcmd__log)
            opts="-a -f -c -h --all --format --since --approve --no-compile --config-dir --map --quiet --postfix-version --postfix-build --pkcs12-password-file --help"
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 2 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                --format)
                    COMPREPLY=($(compgen -W "table json" -- "${cur}"))
                    return 0
                    ;;
                -f)
                    COMPREPLY=($(compgen -W "table json" -- "${cur}"))
                    return 0
                    ;;
                --since)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --config-dir)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                -c)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --map)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --postfix-version)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --postfix-build)
                    COMPREPLY=($(compgen -W "upstream debian no-bdb" -- "${cur}"))
                    return 0
                    ;;
                --pkcs12-password-file)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        ccert__subcmd__migrate)
            opts="-c -h --to --apply --config-dir --map --quiet --postfix-version --postfix-build --pkcs12-password-file --help"
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 2 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                --to)
                    COMPREPLY=($(compgen -W "lmdb cdb" -- "${cur}"))
                    return 0
                    ;;
                --config-dir)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                -c)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --map)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --postfix-version)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --postfix-build)
                    COMPREPLY=($(compgen -W "upstream debian no-bdb" -- "${cur}"))
                    return 0
                    ;;
                --pkcs12-password-file)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        ccert__subcmd__probe)
            opts="-d -f -c -h --cert --key --from --to --tls --digest --rpk --helo --timeout --format --config-dir --map --quiet --postfix-version --postfix-build --pkcs12-password-file --help"
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 2 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                --cert)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --key)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --from)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --to)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --digest)
                    COMPREPLY=($(compgen -W "md5 sha1 sha224 sha256 sha384 sha512" -- "${cur}"))
                    return 0
                    ;;
                -d)
                    COMPREPLY=($(compgen -W "md5 sha1 sha224 sha256 sha384 sha512" -- "${cur}"))
                    return 0
                    ;;
                --helo)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --timeout)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --format)
                    COMPREPLY=($(compgen -W "text json" -- "${cur}"))
                    return 0
                    ;;
                -f)
                    COMPREPLY=($(compgen -W "text json" -- "${cur}"))
                    return 0
                    ;;
                --config-dir)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                -c)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --map)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --postfix-version)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --postfix-build)
                    COMPREPLY=($(compgen -W "upstream debian no-bdb" -- "${cur}"))
                    return 0
                    ;;
                --pkcs12-password-file)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        ccert__subcmd__prune)
            opts="-n -y -c -h --expired --log --dry-run --yes --no-compile --config-dir --map --quiet --postfix-version --postfix-build --pkcs12-password-file --help"
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 2 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                --log)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --config-dir)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                -c)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --map)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --postfix-version)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --postfix-build)
                    COMPREPLY=($(compgen -W "upstream debian no-bdb" -- "${cur}"))
                    return 0
                    ;;
                --pkcs12-password-file)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        ccert__subcmd__query)
            opts="-c -h --config-dir --map --quiet --postfix-version --postfix-build --pkcs12-password-file --help"
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 2 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                --config-dir)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                -c)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --map)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --postfix-version)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --postfix-build)
                    COMPREPLY=($(compgen -W "upstream debian no-bdb" -- "${cur}"))
                    return 0
                    ;;
                --pkcs12-password-file)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        ccert__subcmd__rehash)
            opts="-d -p -c -h --digest --pubkey --skip-unknown --no-compile --config-dir --map --quiet --postfix-version --postfix-build --pkcs12-password-file --help"
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 2 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                --digest)
                    COMPREPLY=($(compgen -W "md5 sha1 sha224 sha256 sha384 sha512" -- "${cur}"))
                    return 0
                    ;;
                -d)
                    COMPREPLY=($(compgen -W "md5 sha1 sha224 sha256 sha384 sha512" -- "${cur}"))
                    return 0
                    ;;
                --config-dir)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                -c)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --map)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --postfix-version)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --postfix-build)
                    COMPREPLY=($(compgen -W "upstream debian no-bdb" -- "${cur}"))
                    return 0
                    ;;
                --pkcs12-password-file)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        ccert__subcmd__remove)
            opts="-n -d -y -c -h --name --fingerprint --digest --yes --no-compile --config-dir --map --quiet --postfix-version --postfix-build --pkcs12-password-file --help"
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 2 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                --name)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                -n)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --fingerprint)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --digest)
                    COMPREPLY=($(compgen -W "md5 sha1 sha224 sha256 sha384 sha512" -- "${cur}"))
                    return 0
                    ;;
                -d)
                    COMPREPLY=($(compgen -W "md5 sha1 sha224 sha256 sha384 sha512" -- "${cur}"))
                    return 0
                    ;;
                --config-dir)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                -c)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --map)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --postfix-version)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --postfix-build)
                    COMPREPLY=($(compgen -W "upstream debian no-bdb" -- "${cur}"))
                    return 0
                    ;;
                --pkcs12-password-file)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        ccert__subcmd__revoke)
            opts="-n -y -c -h --name --fingerprint --crl --reason --yes --dry-run --no-compile --config-dir --map --quiet --postfix-version --postfix-build --pkcs12-password-file --help"
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 2 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                --name)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                -n)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --fingerprint)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --crl)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --reason)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --config-dir)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                -c)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --map)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --postfix-version)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --postfix-build)
                    COMPREPLY=($(compgen -W "upstream debian no-bdb" -- "${cur}"))
                    return 0
                    ;;
                --pkcs12-password-file)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        ccert__subcmd__rotate)
            opts="-d -c -h --overlap --digest --pubkey --no-compile --config-dir --map --quiet --postfix-version --postfix-build --pkcs12-password-file --help"
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 2 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                --overlap)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --digest)
                    COMPREPLY=($(compgen -W "md5 sha1 sha224 sha256 sha384 sha512" -- "${cur}"))
                    return 0
                    ;;
                -d)
                    COMPREPLY=($(compgen -W "md5 sha1 sha224 sha256 sha384 sha512" -- "${cur}"))
                    return 0
                    ;;
                --config-dir)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                -c)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --map)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --postfix-version)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --postfix-build)
                    COMPREPLY=($(compgen -W "upstream debian no-bdb" -- "${cur}"))
                    return 0
                    ;;
                --pkcs12-password-file)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        ccert__subcmd__server__subcmd__config)
            opts="-c -h --config-dir --map --quiet --postfix-version --postfix-build --pkcs12-password-file --help"
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 2 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                --config-dir)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                -c)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --map)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --postfix-version)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --postfix-build)
                    COMPREPLY=($(compgen -W "upstream debian no-bdb" -- "${cur}"))
                    return 0
                    ;;
                --pkcs12-password-file)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        ccert__subcmd__sync)
            opts="-c -h --from --to --force --allow-shrink --config-dir --map --quiet --postfix-version --postfix-build --pkcs12-password-file --help"
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 2 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                --from)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --to)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --config-dir)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                -c)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --map)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --postfix-version)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --postfix-build)
                    COMPREPLY=($(compgen -W "upstream debian no-bdb" -- "${cur}"))
                    return 0
                    ;;
                --pkcs12-password-file)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
    esac
}

if [[ "${BASH_VERSINFO[0]}" -eq 4 && "${BASH_VERSINFO[1]}" -ge 4 || "${BASH_VERSINFO[0]}" -gt 4 ]]; then
    complete -F _ccert -o nosort -o bashdefault -o default ccert
else
    complete -F _ccert -o bashdefault -o default ccert
fi
