//! Started where no display can be opened (a remote shell, a broken X
//! session), the window says so in one line and exits non-zero: no panic,
//! no backtrace.

use std::process::Command;

fn start_without_a_display(display: Option<&str>) -> (Option<i32>, String) {
    let data = tempfile::tempdir().unwrap();
    let mut command = Command::new(env!("CARGO_BIN_EXE_fieldbook-desktop"));
    command
        .env("FIELDBOOK_DATA_DIR", data.path())
        .env_remove("WAYLAND_DISPLAY")
        .env_remove("FIELDBOOK_LOG")
        .env("RUST_BACKTRACE", "1");
    match display {
        Some(display) => command.env("DISPLAY", display),
        None => command.env_remove("DISPLAY"),
    };
    let output = command.output().unwrap();
    assert!(output.stdout.is_empty());
    (
        output.status.code(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[test]
fn without_a_display_the_window_says_so_in_one_line_and_exits_1() {
    let (code, said) = start_without_a_display(None);
    assert_eq!(code, Some(1), "{said}");
    assert_eq!(said.lines().count(), 1, "one line: {said}");
    assert!(said.contains("there is no display here"), "{said}");
    assert!(said.contains("`fieldbook` command"), "{said}");

    // A display named but not there (an X server that went away).
    let (code, said) = start_without_a_display(Some(":187"));
    assert_eq!(code, Some(1), "{said}");
    let ours: Vec<&str> = said
        .lines()
        .filter(|line| line.starts_with("error:"))
        .collect();
    assert_eq!(ours.len(), 1, "{said}");
    assert!(
        ours[0].contains("X display :187 cannot be opened"),
        "{said}"
    );
    assert!(!said.contains("panicked"), "{said}");
    assert!(!said.contains("backtrace"), "{said}");
}
