//! The Ansible module `ccert.postfix.ccert_clients` (contrib/ansible/) run by
//! the real `ansible-playbook` (ansible-core from PyPI, see .ci/run) against
//! localhost: first run changed, second unchanged, check mode changes
//! nothing, diff mode shows the lines, a bad certificate fails the task
//! with ccert's message. Skipped with the reason when ansible-playbook is
//! missing, unless CCERT_INTEROP=1.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::oracle;
use crate::test::{ccert_bin, fixtures};

const RSA_SHA256: &str = "1A:22:04:9F:49:0D:8C:EB:78:BC:DC:AA:A8:F4:60:5E:16:B7:B2:CE:BD:DE:00:26:BC:EE:AC:DA:FD:98:DC:34";
const HAND: &str = "# by hand\nAA:BB handwritten\n";

/// Runs the test playbook with `clients` and `expect_changed`, plus `flags`;
/// returns (exit code, standard output + error).
fn playbook(
    tool: &Path,
    dir: &Path,
    clients: serde_json::Value,
    expect_changed: bool,
    flags: &[&str],
) -> (i32, String) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("contrib/ansible");
    let vars = serde_json::json!({
        "ccert_bin": ccert_bin(),
        "workdir": dir,
        "clients": clients,
        "expect_changed": expect_changed,
    });
    let out = Command::new(tool)
        .arg(root.join("tests/playbook.yml"))
        .args(["-i", "localhost,", "-e"])
        .arg(vars.to_string())
        .args(flags)
        .env("ANSIBLE_COLLECTIONS_PATH", &root)
        .env("ANSIBLE_NOCOLOR", "1")
        .env("ANSIBLE_HOME", dir.join(".ansible"))
        .env("ANSIBLE_LOCAL_TEMP", dir.join(".ansible/tmp"))
        .env("ANSIBLE_REMOTE_TEMP", dir.join(".ansible/tmp"))
        .env("ANSIBLE_PYTHON_INTERPRETER", "auto_silent")
        .env("CCERT_POSTCONF", "none")
        .env_remove("MAIL_CONFIG")
        .current_dir(dir)
        .output()
        .expect("running ansible-playbook");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.code().unwrap_or(-1), text)
}

fn read(path: PathBuf) -> String {
    std::fs::read_to_string(path).unwrap()
}

#[test]
#[cfg_attr(ccert_missing = "ansible-core", ignore = "needs ansible-core")]
fn ansible_module_is_idempotent_and_honours_check_and_diff() {
    let test = "ansible_module_is_idempotent_and_honours_check_and_diff";
    let Some(tool) = oracle::require("ansible-playbook", test) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    std::fs::create_dir(dir.join("postfix-config")).unwrap();
    std::fs::write(
        dir.join("postfix-config/main.cf"),
        format!(
            "compatibility_level = 3.6\nrelay_clientcerts = cdb:{}/clientcerts\n",
            dir.display()
        ),
    )
    .unwrap();
    std::fs::write(dir.join("clientcerts"), HAND).unwrap();
    std::fs::copy(fixtures().join("rsa.pem"), dir.join("rsa.pem")).unwrap();
    let laptop = "9A:EA:D9:91:73:C7:00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99";
    let clients = serde_json::json!([
        {"name": "rsa", "certificate": dir.join("rsa.pem")},
        {"name": "laptop", "fingerprint": laptop, "pubkey": true},
    ]);

    // Check mode first: reports a change, changes nothing; with --diff it
    // shows the lines that would be added.
    let (rc, out) = playbook(&tool, dir, clients.clone(), true, &["--check", "--diff"]);
    assert_eq!(rc, 0, "{out}");
    assert!(out.contains(&format!("+{RSA_SHA256} rsa")), "diff: {out}");
    assert!(out.contains(&format!("+{laptop} laptop")), "diff: {out}");
    assert_eq!(read(dir.join("clientcerts")), HAND);
    assert!(!dir.join("clientcerts.cdb").exists());

    // First run: changed; the table is built.
    let (rc, out) = playbook(&tool, dir, clients.clone(), true, &[]);
    assert_eq!(rc, 0, "{out}");
    assert!(out.contains("changed=1"), "{out}");
    let after = read(dir.join("clientcerts"));
    assert!(after.starts_with(HAND), "{after}");
    assert!(after.contains(&format!("{RSA_SHA256} rsa\n")), "{after}");
    assert!(after.contains("type=pubkey"), "{after}");
    assert!(dir.join("clientcerts.cdb").exists());

    // Second run: unchanged, nothing written.
    let (rc, out) = playbook(&tool, dir, clients.clone(), false, &[]);
    assert_eq!(rc, 0, "{out}");
    assert!(out.contains("changed=0"), "{out}");
    assert_eq!(read(dir.join("clientcerts")), after);

    // Check mode with a client less: would change, changes nothing.
    let fewer = serde_json::json!([{"name": "rsa", "certificate": dir.join("rsa.pem")}]);
    let (rc, out) = playbook(&tool, dir, fewer, true, &["--check", "--diff"]);
    assert_eq!(rc, 0, "{out}");
    assert!(out.contains(&format!("-{laptop} laptop")), "diff: {out}");
    assert_eq!(read(dir.join("clientcerts")), after);

    // A bad certificate fails the task with ccert's one-line message.
    let bad = serde_json::json!([{"name": "gone", "certificate": dir.join("gone.pem")}]);
    let (rc, out) = playbook(&tool, dir, bad, false, &[]);
    assert_ne!(rc, 0, "{out}");
    assert!(out.contains("ccert: error: "), "{out}");
    assert!(
        out.contains("[[client]] 1 (\\\"gone\\\")") || out.contains("[[client]] 1 (\"gone\")"),
        "{out}"
    );
    assert!(out.contains("gone.pem: cannot read"), "{out}");
    assert_eq!(read(dir.join("clientcerts")), after);
}
