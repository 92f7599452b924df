//! `gapfill completions SHELL` and `gapfill man` from the binary: scripts and pages on
//! standard output, exit 0; an unknown shell is a usage error, exit 1 like every other.

use std::process::{Command, Output};

fn gapfill(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_gapfill"))
        .args(args)
        .env_remove("GITHUB_ACTIONS")
        .output()
        .expect("run gapfill")
}

#[test]
fn completions_print_a_script_per_shell_and_an_unknown_shell_is_a_usage_error() {
    for (shell, marker) in [
        ("bash", "complete -F"),
        ("zsh", "#compdef gapfill"),
        ("fish", "complete -c gapfill"),
        ("powershell", "Register-ArgumentCompleter"),
    ] {
        let output = gapfill(&["completions", shell]);
        assert_eq!(output.status.code(), Some(0), "{shell}");
        let script = String::from_utf8_lossy(&output.stdout);
        assert!(script.contains(marker), "{shell}: {script}");
        assert!(script.contains("outputs-file"), "{shell}");
    }
    let unknown = gapfill(&["completions", "tcsh"]);
    assert_eq!(unknown.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&unknown.stderr).contains("invalid value 'tcsh'"));
}

#[test]
fn man_prints_the_manual_page_of_the_command_line() {
    let output = gapfill(&["man"]);
    assert_eq!(output.status.code(), Some(0));
    let page = String::from_utf8_lossy(&output.stdout);
    assert!(page.contains(".TH gapfill 1"), "{page}");
    assert!(page.contains("completions"), "{page}");
}
