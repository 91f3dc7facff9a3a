//! `partnerbot demo` prints the same conversation on every run, and the same as the transcript
//! checked in at `tests/api/snapshots/demo_transcript.snap` (accept a deliberate change with
//! `INSTA_UPDATE=always cargo test --test api demo` and review the diff).
//!
//! The demo runs on the real clock and on free ports, so its output is normalised first:
//!
//! - `127.0.0.1:<port>` for every port, and `sqlite://<tmp>/demo.db` for the temporary database;
//! - every date `YYYY-MM-DD` up to a year from the UTC date the test started on as `<today>`,
//!   `<today+N>` or `<today-N>` (dates the demo types literally, such as a close date in 2020,
//!   are further away and stay as they are); a date inside a timestamp (`…T10:00:00Z`) as `<date>`, since the demo
//!   picks the first Wednesday at least 61 days ahead and that offset depends on the weekday;
//! - the current ISO week `YYYY-Www` as `<this week>`;
//! - a Slack permalink's message id (`/archives/C0GLOBEX/p1796017706000004`) as `/p<ts>`;
//! - the chart's size in KB (`of 62 KB`) as `of <n> KB`: the PNG's bytes depend on the dates
//!   on its axis.

use chrono::{Datelike, NaiveDate};

#[test]
fn the_demo_prints_the_checked_in_transcript() {
    let today = chrono::Utc::now().date_naive();
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_partnerbot"))
        .arg("demo")
        .env_remove("DATABASE_URL")
        .output()
        .expect("the demo starts");
    let stdout = String::from_utf8(output.stdout).expect("the demo prints UTF-8");
    assert!(
        output.status.success(),
        "the demo failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let mut settings = insta::Settings::clone_current();
    settings.set_prepend_module_to_snapshot(false);
    settings.bind(|| insta::assert_snapshot!("demo_transcript", normalise(&stdout, today)));
}

#[test]
fn the_demo_runs_over_socket_mode_too() {
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_partnerbot"))
        .args(["demo", "--socket"])
        .env_remove("DATABASE_URL")
        .output()
        .expect("the demo starts");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "the demo over Socket Mode failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(stdout.contains("✔ demo finished"), "{stdout}");
}

/// Dates the demo computes are at most about 90 days from today; literal ones are years away.
const MAX_RELATIVE_DAYS: i64 = 366;

/// Replaces what changes from run to run with placeholders (see the module comment).
fn normalise(text: &str, today: NaiveDate) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(c) = rest.chars().next() {
        let after_digit = out.ends_with(|p: char| p.is_ascii_digit());
        match placeholder(rest, today).filter(|_| !after_digit) {
            Some((token, used)) => {
                out.push_str(&token);
                rest = &rest[used..];
            }
            None => {
                out.push(c);
                rest = &rest[c.len_utf8()..];
            }
        }
    }
    out
}

/// The placeholder for what `rest` starts with, and how many bytes it replaces.
fn placeholder(rest: &str, today: NaiveDate) -> Option<(String, usize)> {
    if let Some(port) = rest.strip_prefix("127.0.0.1:") {
        let digits = leading_digits(port);
        return (digits > 0).then(|| ("127.0.0.1:<port>".to_string(), 10 + digits));
    }
    if let Some(ts) = rest.strip_prefix("/p") {
        let digits = leading_digits(ts);
        return (digits >= 10).then(|| ("/p<ts>".to_string(), 2 + digits));
    }
    if rest.starts_with("sqlite://") {
        let end = rest.find("/demo.db")?;
        return Some(("sqlite://<tmp>".to_string(), end));
    }
    if let Some(size) = rest.strip_prefix("of ") {
        let digits = leading_digits(size);
        let unit = size[digits..].starts_with(" KB");
        return (digits > 0 && unit).then(|| ("of <n> KB".to_string(), 3 + digits + 3));
    }
    if let Some(week) = rest.get(..8).filter(|w| is_shape(w, "dddd-Wdd")) {
        let current = today.iso_week();
        let this = format!("{}-W{:02}", current.year(), current.week());
        return (week == this).then(|| ("<this week>".to_string(), 8));
    }
    let date = rest.get(..10).filter(|d| is_shape(d, "dddd-dd-dd"))?;
    let date = NaiveDate::parse_from_str(date, "%Y-%m-%d").ok()?;
    if rest[10..].starts_with('T') {
        return Some(("<date>".to_string(), 10));
    }
    let days = (date - today).num_days();
    if days.abs() > MAX_RELATIVE_DAYS {
        return None;
    }
    let token = match days {
        0 => "<today>".to_string(),
        d if d > 0 => format!("<today+{d}>"),
        d => format!("<today{d}>"),
    };
    Some((token, 10))
}

fn leading_digits(text: &str) -> usize {
    text.bytes().take_while(u8::is_ascii_digit).count()
}

/// Whether `text` has `shape`, where `d` stands for any ASCII digit.
fn is_shape(text: &str, shape: &str) -> bool {
    text.len() == shape.len()
        && text.bytes().zip(shape.bytes()).all(|(t, s)| {
            if s == b'd' {
                t.is_ascii_digit()
            } else {
                t == s
            }
        })
}

#[test]
fn normalising_replaces_ports_paths_dates_weeks_and_sizes() {
    let today = NaiveDate::from_ymd_opt(2026, 11, 30).expect("date");
    let text = "bot at http://127.0.0.1:33305 · db sqlite:///tmp/.tmpOZ/demo.db?mode=rwc\n\
                close 2027-01-14, opened 2026-11-30, 2026-11-29; --at 2027-02-03T10:00:00Z\n\
                digest 2026-W49, 2026-W48 · a PNG of 62 KB · 12026-11-30 · D-42 of 3 · 2020-01-31";
    assert_eq!(
        normalise(text, today),
        "bot at http://127.0.0.1:<port> · db sqlite://<tmp>/demo.db?mode=rwc\n\
         close <today+45>, opened <today>, <today-1>; --at <date>T10:00:00Z\n\
         digest <this week>, 2026-W48 · a PNG of <n> KB · 12026-11-30 · D-42 of 3 · 2020-01-31"
    );
}
