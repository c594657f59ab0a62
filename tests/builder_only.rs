//! Every integration test runs ccert through the strict builder
//! (tests/test.rs), which expects exit 0 and an empty standard error unless
//! the test says otherwise. This keeps it that way: no other test file names
//! the binary Cargo built, or hands the builder's path to a Command.

use std::fs;
use std::path::Path;

/// What a test file would write to start the ccert binary itself. (The
/// names are split so this file does not match them.)
fn direct_spawns() -> [String; 3] {
    [
        ["CARGO_BIN_EXE", "_ccert"].concat(),
        ["Command::new(", "ccert_bin"].concat(),
        ["Command::new(crate::test::", "ccert_bin"].concat(),
    ]
}

#[test]
fn only_the_builder_starts_ccert() {
    let tests = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests");
    let mut offenders = Vec::new();
    for entry in fs::read_dir(&tests).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if !name.ends_with(".rs") || name == "test.rs" {
            continue;
        }
        let text = fs::read_to_string(&path).unwrap();
        for (n, line) in text.lines().enumerate() {
            if direct_spawns().iter().any(|s| line.contains(s.as_str())) {
                offenders.push(format!("tests/{name}:{}: {}", n + 1, line.trim()));
            }
        }
    }
    assert!(
        offenders.is_empty(),
        "run ccert through crate::test::Test instead:\n{}",
        offenders.join("\n")
    );
}
