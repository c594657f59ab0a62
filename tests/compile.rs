//! `ccert compile`, `query` and `dump` for every table type, without oracles.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use crate::test::Test;

const TYPES: [&str; 4] = ["hash", "lmdb", "cdb", "sqlite"];

const SOURCE: &str = "# relay clients\n\
                      AB:CD:EF:01 host-one\n\
                      \n\
                      12:34:56:78   Host Two\n\
                      \x20 continued\n";

fn sorted(text: &str) -> Vec<&str> {
    let mut lines: Vec<&str> = text.lines().collect();
    lines.sort_unstable();
    lines
}

/// What compile prints for main.cf: `TYPE:/abs/dir/NAME` (sqlite: the `.cf`).
fn postfix_name(dir: &Path, t: &str, name: &str) -> String {
    if t == "sqlite" {
        format!("sqlite:{}/{name}.sqlite.cf\n", dir.display())
    } else {
        format!("{t}:{}/{name}\n", dir.display())
    }
}

fn table_file(t: &str) -> &'static str {
    match t {
        "hash" => "clientcerts.db",
        "lmdb" => "clientcerts.lmdb",
        "cdb" => "clientcerts.cdb",
        _ => "clientcerts.sqlite",
    }
}

fn mode(path: &Path) -> u32 {
    fs::metadata(path).unwrap().permissions().mode() & 0o7777
}

/// Files in the scratch directory other than the source and the config dir.
fn written(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| n != "postfix-config" && n != "clientcerts")
        .collect();
    names.sort();
    names
}

#[test]
fn compile_query_dump_round_trip_for_every_type() {
    for t in TYPES {
        let test = Test::new();
        let dir = test.dir().to_path_buf();
        let done = test
            .file("clientcerts", SOURCE)
            .args(["compile", "-t", t, "clientcerts"])
            .stdout(postfix_name(&dir, t, "clientcerts"))
            .stderr("")
            .run();
        let done = done
            .then()
            .args(["query", "ab:cd:ef:01", &format!("{t}:clientcerts")])
            .stdout("host-one\n")
            .run();
        // Keys are folded like postmap -q does; values keep their case.
        let done = done
            .then()
            .args(["query", "12:34:56:78", &format!("{t}:clientcerts")])
            .stdout("Host Two  continued\n")
            .run();
        let done = done
            .then()
            .args(["query", "AB:CD:EF:01", &format!("{t}:clientcerts")])
            .stdout("host-one\n")
            .run();
        let done = done
            .then()
            .args(["query", "ff:ff", &format!("{t}:clientcerts")])
            .status(1)
            .stdout("")
            .stderr("")
            .run();
        let done = done
            .then()
            .args(["dump", &format!("{t}:clientcerts")])
            .run();
        assert_eq!(
            sorted(&done.stdout),
            ["12:34:56:78\tHost Two  continued", "ab:cd:ef:01\thost-one"],
            "{t}"
        );
        let names = written(done.dir.path());
        assert!(
            names
                .iter()
                .all(|n| !n.starts_with(".ccert-") && !n.ends_with("-lock")),
            "{t}: leftovers {names:?}"
        );
    }
}

#[test]
fn query_dash_reads_keys_from_stdin_like_postmap() {
    for t in TYPES {
        let done = Test::new()
            .file("clientcerts", SOURCE)
            .args(["compile", "-t", t, "clientcerts"])
            .run();
        // Keys are printed as read; misses print nothing; any hit → exit 0.
        let done = done
            .then()
            .args(["query", "-", &format!("{t}:clientcerts")])
            .stdin("AB:CD:EF:01\nnope\n12:34:56:78\n")
            .stdout("AB:CD:EF:01\thost-one\n12:34:56:78\tHost Two  continued\n")
            .run();
        done.then()
            .args(["query", "-", &format!("{t}:clientcerts")])
            .stdin("nope\n\n")
            .status(1)
            .stdout("")
            .run();
    }
}

#[test]
fn cdb_dump_keeps_source_order() {
    Test::new()
        .file("m", "zz 1\naa 2\nmm 3\n")
        .args(["compile", "-t", "cdb", "m"])
        .run()
        .then()
        .args(["dump", "cdb:m"])
        .stdout("zz\t1\naa\t2\nmm\t3\n")
        .run();
}

#[test]
fn lmdb_dump_is_in_key_order() {
    Test::new()
        .file("m", "zz 1\naa 2\nmm 3\n")
        .args(["compile", "lmdb:m"])
        .run()
        .then()
        .args(["dump", "lmdb:m"])
        .stdout("aa\t2\nmm\t3\nzz\t1\n")
        .run();
}

#[test]
fn duplicates_warn_with_the_line_and_keep_the_first_value() {
    for t in TYPES {
        let table = table_file(t);
        let done = Test::new()
            .file("clientcerts", "AB:CD first\nx y\nab:cd second\n")
            .args(["compile", "-t", t, "clientcerts"])
            .stderr(format!(
                "ccert: warning: {table}: duplicate entry: \"ab:cd\" (clientcerts, line 3: \
                 the first value is kept)\n"
            ))
            .run();
        done.then()
            .args(["query", "ab:cd", &format!("{t}:clientcerts")])
            .stdout("first\n")
            .run();
    }
}

#[test]
fn duplicates_with_r_keep_the_last_value_and_w_the_first_silently() {
    for t in TYPES {
        for (flag, expected) in [("-r", "third\n"), ("-w", "first\n")] {
            Test::new()
                .file("clientcerts", "k first\nK second\nk third\nother v\n")
                .args(["compile", flag, "-t", t, "clientcerts"])
                .stderr("")
                .run()
                .then()
                .args(["query", "k", &format!("{t}:clientcerts")])
                .stdout(expected)
                .run()
                .then()
                .args(["dump", &format!("{t}:clientcerts")])
                .run();
        }
    }
}

#[test]
fn bad_lines_warn_with_file_and_line_like_postmap() {
    let test = Test::new();
    let dir = test.dir().to_path_buf();
    test.file("clientcerts", "ok value\nlonely\n  \nk v\n\"unbalanced v\n")
        .args(["compile", "cdb:clientcerts"])
        .stderr_contains(
            "ccert: warning: clientcerts, line 2: expected format: key whitespace value\n",
        )
        .stderr_contains("ccert: warning: clientcerts, line 5: ")
        .stdout(postfix_name(&dir, "cdb", "clientcerts"))
        .run()
        .then()
        .args(["dump", "cdb:clientcerts"])
        .stdout("ok\tvalue\nk\tv\n")
        .run();
}

#[test]
fn type_comes_from_prefix_then_t_then_lmdb() {
    let test = Test::new();
    let dir = test.dir().to_path_buf();
    let done = test
        .file("a", "k v\n")
        .file("b", "k v\n")
        .args(["compile", "-t", "cdb", "hash:a", "b"])
        .stdout(postfix_name(&dir, "hash", "a") + &postfix_name(&dir, "cdb", "b"))
        .run();
    assert_eq!(written(done.dir.path()), ["a", "a.db", "b", "b.cdb"]);
    let done = done
        .then()
        .args(["compile", "a"])
        .stdout(postfix_name(&dir, "lmdb", "a"))
        .run();
    assert!(done.path("a.lmdb").is_file());
    // query and dump use the same default.
    done.then()
        .args(["query", "K", "a"])
        .stdout("v\n")
        .run()
        .then()
        .args(["dump", "a"])
        .stdout("k\tv\n")
        .run();
}

#[test]
fn type_comes_from_relay_clientcerts_when_it_names_the_file() {
    let test = Test::new();
    let dir = test.dir().to_path_buf();
    let main_cf = format!(
        "relay_clientcerts = cdb:{}/clientcerts\ndefault_database_type = hash\n",
        dir.display()
    );
    let done = test
        .file("postfix-config/main.cf", main_cf)
        .file("clientcerts", "k v\n")
        .file("other", "k v\n")
        .args(["compile", "clientcerts", "other"])
        .stdout(postfix_name(&dir, "cdb", "clientcerts") + &postfix_name(&dir, "hash", "other"))
        .run();
    assert!(done.path("clientcerts.cdb").is_file());
    assert!(done.path("other.db").is_file());
}

#[test]
fn proxy_wrapped_relay_clientcerts_names_the_source_and_type() {
    // `proxy:` (proxymap) wraps the real table: its type and file still count,
    // both for compile's type and for the source add/list edit.
    let test = Test::new();
    let dir = test.dir().to_path_buf();
    let main_cf = format!(
        "relay_clientcerts = proxy:lmdb:{}/certs\ndefault_database_type = hash\n",
        dir.display()
    );
    let done = test
        .file("postfix-config/main.cf", main_cf)
        .file("certs", "k v\n")
        .args(["compile", "certs"])
        .stdout(postfix_name(&dir, "lmdb", "certs"))
        .run();
    assert!(done.path("certs.lmdb").is_file());
    done.then()
        .args(["list", "--format", "plain"])
        .stdout("k v\n")
        .run();
}

#[test]
fn sqlite_in_relay_clientcerts_names_the_cf_file() {
    let test = Test::new();
    let dir = test.dir().to_path_buf();
    let main_cf = format!(
        "relay_clientcerts = sqlite:{}/clientcerts.sqlite.cf\n",
        dir.display()
    );
    test.file("postfix-config/main.cf", main_cf)
        .file("clientcerts", "k v\n")
        .args(["compile", "clientcerts"])
        .stdout(postfix_name(&dir, "sqlite", "clientcerts"))
        .run()
        .then()
        .args(["query", "k", "sqlite:clientcerts.sqlite.cf"])
        .stdout("v\n")
        .run();
}

#[test]
fn unsupported_default_database_type_is_a_clear_error() {
    Test::new()
        .file("postfix-config/main.cf", "default_database_type = btree\n")
        .file("clientcerts", "k v\n")
        .args(["compile", "clientcerts"])
        .status(1)
        .stderr_contains("default_database_type = btree")
        .stderr_contains("-t TYPE")
        .run();
}

#[test]
fn missing_source_is_an_error_and_writes_nothing() {
    for t in TYPES {
        let done = Test::new()
            .args(["compile", "-t", t, "clientcerts"])
            .status(1)
            .stderr_contains("clientcerts: no such file or directory")
            .stdout("")
            .run();
        assert!(written(done.dir.path()).is_empty(), "{t}");
    }
}

#[test]
fn lmdb_key_too_long_fails_naming_the_line_and_keeps_the_old_table() {
    let long = "a".repeat(511);
    let done = Test::new()
        .file("clientcerts", "k old\n")
        .args(["compile", "lmdb:clientcerts"])
        .run();
    let before = done.read("clientcerts.lmdb");
    fs::write(done.path("clientcerts"), format!("k new\n# c\n{long} v\n")).unwrap();
    let done = done
        .then()
        .args(["compile", "lmdb:clientcerts"])
        .status(1)
        .stderr_contains("clientcerts:3: key is 511 bytes long")
        .stdout("")
        .run();
    assert_eq!(done.read("clientcerts.lmdb"), before);
    assert_eq!(written(done.dir.path()), ["clientcerts.lmdb"]);
    // 510 bytes fit (511 with the trailing NUL).
    fs::write(done.path("clientcerts"), format!("{} v\n", "a".repeat(510))).unwrap();
    done.then().args(["compile", "lmdb:clientcerts"]).run();
}

#[test]
fn no_new_table_without_a_fresh_file_for_a_new_one_either() {
    let long = "B".repeat(600);
    let done = Test::new()
        .file("clientcerts", format!("k v\n{long} v\n"))
        .args(["compile", "lmdb:clientcerts"])
        .status(1)
        .stderr_contains("clientcerts:2: key is 600 bytes long")
        .run();
    assert!(written(done.dir.path()).is_empty());
    // Other types take long keys.
    done.then()
        .args(["compile", "cdb:clientcerts"])
        .run()
        .then()
        .args(["query", &long, "cdb:clientcerts"])
        .stdout("v\n")
        .run();
}

#[test]
fn unwritable_target_is_an_error_and_leaves_no_temp_file() {
    for t in TYPES {
        // A directory where the table should be cannot be replaced (this
        // also fails for root, unlike a read-only directory).
        let done = Test::new()
            .file("clientcerts", "k v\n")
            .file(&format!("{}/keep", table_file(t)), "x")
            .args(["compile", "-t", t, "clientcerts"])
            .status(1)
            .stderr_contains(table_file(t))
            .run();
        let names = written(done.dir.path());
        assert_eq!(names, [table_file(t)], "{t}");
    }
}

#[test]
#[cfg_attr(ccert_missing = "util-linux", ignore = "needs util-linux")]
fn read_only_directory_is_an_error() {
    // Root may write anywhere: as root the run is made as `nobody`.
    let Some(wrapper) = crate::oracle::unprivileged() else {
        return;
    };
    let test = Test::new().file("d/clientcerts", "k v\n");
    // Others may enter the scratch directory, not write in it.
    fs::set_permissions(test.dir(), fs::Permissions::from_mode(0o755)).unwrap();
    let d = test.dir().join("d");
    fs::set_permissions(&d, fs::Permissions::from_mode(0o555)).unwrap();
    let done = test
        .wrapped(&wrapper)
        .args(["compile", "cdb:d/clientcerts"])
        .status(1)
        .stderr_contains("permission denied")
        .run();
    fs::set_permissions(&d, fs::Permissions::from_mode(0o755)).unwrap();
    assert!(!done.path("d/clientcerts.cdb").exists());
}

#[test]
fn table_mode_follows_the_source_and_an_existing_table_keeps_its_mode() {
    for t in TYPES {
        let test = Test::new().file("clientcerts", "k v\n");
        let src = test.dir().join("clientcerts");
        fs::set_permissions(&src, fs::Permissions::from_mode(0o640)).unwrap();
        let done = test.args(["compile", "-t", t, "clientcerts"]).run();
        let table = done.path(table_file(t));
        assert_eq!(mode(&table), 0o640, "{t}: new table");
        if t == "sqlite" {
            assert_eq!(mode(&done.path("clientcerts.sqlite.cf")), 0o640);
        }
        fs::set_permissions(&table, fs::Permissions::from_mode(0o600)).unwrap();
        fs::set_permissions(&src, fs::Permissions::from_mode(0o644)).unwrap();
        let _done = done.then().args(["compile", "-t", t, "clientcerts"]).run();
        assert_eq!(mode(&table), 0o600, "{t}: existing table keeps its mode");

        let test = Test::new().file("clientcerts", "k v\n");
        let src = test.dir().join("clientcerts");
        fs::set_permissions(&src, fs::Permissions::from_mode(0o600)).unwrap();
        let done = test.args(["compile", "-t", t, "clientcerts"]).run();
        assert_eq!(mode(&done.path(table_file(t))), 0o600, "{t}: 0600 source");
        drop(done);
    }
}

#[test]
fn table_is_not_older_than_the_source() {
    for t in TYPES {
        let done = Test::new()
            .file("clientcerts", "k v\n")
            .args(["compile", "-t", t, "clientcerts"])
            .run();
        let src = fs::metadata(done.path("clientcerts"))
            .unwrap()
            .modified()
            .unwrap();
        let table = fs::metadata(done.path(table_file(t)))
            .unwrap()
            .modified()
            .unwrap();
        assert!(table >= src, "{t}");
    }
}

#[test]
fn recompiling_replaces_the_content() {
    for t in TYPES {
        let done = Test::new()
            .file("clientcerts", "old 1\nk v1\n")
            .args(["compile", "-t", t, "clientcerts"])
            .run();
        fs::write(done.path("clientcerts"), "k v2\nnew 2\n").unwrap();
        let done = done.then().args(["compile", "-t", t, "clientcerts"]).run();
        let done = done
            .then()
            .args(["dump", &format!("{t}:clientcerts")])
            .run();
        assert_eq!(sorted(&done.stdout), ["k\tv2", "new\t2"], "{t}");
    }
}

#[test]
fn several_files_continue_after_a_failure() {
    let test = Test::new();
    let dir = test.dir().to_path_buf();
    let done = test
        .file("a", "k v\n")
        .args(["compile", "cdb:missing", "cdb:a"])
        .status(1)
        .stdout(postfix_name(&dir, "cdb", "a"))
        .stderr_contains("missing")
        .run();
    assert!(done.path("a.cdb").is_file());
}

#[test]
fn missing_or_corrupt_tables_are_one_clear_error() {
    for t in TYPES {
        let done = Test::new()
            .args(["query", "k", &format!("{t}:clientcerts")])
            .status(1)
            .stderr_contains(table_file(t))
            .stderr_contains("ccert compile")
            .run();
        assert_eq!(done.stderr.lines().count(), 1, "{}", done.stderr);

        // Truncated to half, and garbage.
        let done = done
            .then()
            .file("clientcerts", "k v\nk2 v2\n")
            .args(["compile", "-t", t, "clientcerts"])
            .run();
        let table = done.path(table_file(t));
        let bytes = fs::read(&table).unwrap();
        for bad in [bytes[..bytes.len() / 2].to_vec(), vec![0x5a; 3000]] {
            fs::write(&table, &bad).unwrap();
            for args in [
                vec!["query", "k", &format!("{t}:clientcerts")],
                vec!["dump", &format!("{t}:clientcerts")],
            ] {
                let out = Test::at(done.dir.path())
                    .args(&args)
                    .status(1)
                    .stderr_contains(table_file(t))
                    .run();
                assert_eq!(out.stderr.lines().count(), 1, "{t}: {}", out.stderr);
            }
        }
    }
}

#[test]
fn sqlite_cf_is_kept_when_the_admin_removed_the_marker() {
    let done = Test::new()
        .file("clientcerts", "k v\n")
        .args(["compile", "sqlite:clientcerts"])
        .run();
    let cf = done.path("clientcerts.sqlite.cf");
    let text = fs::read_to_string(&cf).unwrap();
    assert!(text.contains("query = SELECT value FROM postfix_map WHERE key = '%s'\n"));
    assert!(text.contains("expansion_limit = 1\n"));
    let dbpath = fs::canonicalize(done.dir.path())
        .unwrap()
        .join("clientcerts.sqlite");
    assert!(text.contains(&format!("dbpath = {}\n", dbpath.display())));
    fs::write(&cf, "# mine\ndbpath = /somewhere\n").unwrap();
    let done = done.then().args(["compile", "sqlite:clientcerts"]).run();
    assert_eq!(
        fs::read_to_string(done.path("clientcerts.sqlite.cf")).unwrap(),
        "# mine\ndbpath = /somewhere\n"
    );
}

/// Several tables of one source in one call are built from one read of it
/// and print their names in the order given; when one type cannot store a
/// line, each table is compiled on its own and only that one fails.
#[test]
fn several_tables_of_one_source_in_one_call() {
    let test = Test::new();
    let dir = test.dir().to_path_buf();
    let specs = TYPES.map(|t| format!("{t}:clientcerts"));
    let expected: String = TYPES
        .iter()
        .map(|t| postfix_name(&dir, t, "clientcerts"))
        .collect();
    let mut done = test
        .file("clientcerts", SOURCE)
        .arg("compile")
        .args(&specs)
        .stdout(expected)
        .stderr("")
        .run();
    for t in TYPES {
        done = done
            .then()
            .args(["query", "AB:CD:EF:01", &format!("{t}:clientcerts")])
            .stdout("host-one\n")
            .run();
    }

    let long = format!("{}{} too-long-for-lmdb\n", SOURCE, "k".repeat(600));
    let mut done = done
        .then()
        .file("clientcerts", long)
        .args([
            "compile",
            "hash:clientcerts",
            "lmdb:clientcerts",
            "cdb:clientcerts",
        ])
        .status(1)
        .stdout(format!(
            "{}{}",
            postfix_name(&dir, "hash", "clientcerts"),
            postfix_name(&dir, "cdb", "clientcerts")
        ))
        .stderr_contains("lmdb")
        .run();
    let long_key = "k".repeat(600);
    for t in ["hash", "cdb"] {
        done = done
            .then()
            .args(["query", &long_key, &format!("{t}:clientcerts")])
            .stdout("too-long-for-lmdb\n")
            .run();
    }
}
