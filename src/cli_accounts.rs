//! `partnerbot accounts import FILE.csv` and `partnerbot accounts check` (JSON lines in and out).

use crate::domain::account::AccountRow;
use crate::service::accounts::FoundMatch;
use crate::service::Service;
use crate::slack::SlackApi;
use crate::store::RecordKind;
use anyhow::{bail, Context};
use serde_json::{json, Value};
use std::io::{BufRead, Write};
use std::path::Path;

/// Which CSV column feeds which field, from the header row (case, spaces and `_` ignored).
fn column_of(header: &str) -> Option<&'static str> {
    let h: String = header
        .chars()
        .filter(|c| c.is_alphanumeric())
        .collect::<String>()
        .to_lowercase();
    match h.as_str() {
        "accountname" | "name" | "account" | "company" => Some("name"),
        "domains" | "domain" | "website" => Some("domains"),
        "owner" | "accountowner" | "ae" => Some("owner"),
        "territory" | "region" => Some("territory"),
        "openopportunity" | "open" | "openopp" => Some("open_opportunity"),
        "crmid" | "crm" | "id" => Some("crm_id"),
        _ => None,
    }
}

/// Reads the CSV into rows with their line numbers; refuses a file without the required columns.
pub fn read_accounts_csv(path: &Path) -> anyhow::Result<Vec<(usize, AccountRow)>> {
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .from_path(path)
        .with_context(|| format!("opening {}", path.display()))?;
    let columns: Vec<Option<&str>> = reader
        .headers()
        .context("reading the header row")?
        .iter()
        .map(column_of)
        .collect();
    for required in ["name", "owner"] {
        if !columns.contains(&Some(required)) {
            bail!("{}: the header row has no “{required}” column (expected: account name, domains, owner, territory, open opportunity, CRM id)", path.display());
        }
    }
    let mut rows = Vec::new();
    for record in reader.records() {
        let record = record.with_context(|| format!("reading {}", path.display()))?;
        let line = record.position().map_or(0, |p| p.line() as usize);
        let mut row = AccountRow::default();
        for (value, column) in record.iter().zip(&columns) {
            let field = match column {
                Some("name") => &mut row.name,
                Some("domains") => &mut row.domains,
                Some("owner") => &mut row.owner,
                Some("territory") => &mut row.territory,
                Some("open_opportunity") => &mut row.open_opportunity,
                Some("crm_id") => &mut row.crm_id,
                _ => continue,
            };
            *field = value.to_string();
        }
        rows.push((line, row));
    }
    Ok(rows)
}

/// Imports the file and prints what happened, one refused row per line.
pub async fn import(
    service: &Service,
    path: &Path,
    slack: Option<&SlackApi>,
) -> anyhow::Result<()> {
    let rows = read_accounts_csv(path)?;
    let report = service.import_accounts(&rows, slack).await?;
    println!(
        "{} account(s) created, {} updated, {} rejected",
        report.created,
        report.updated,
        report.rejected.len()
    );
    for (line, reason) in &report.rejected {
        println!("  line {line}: {reason}");
    }
    Ok(())
}

fn match_json(m: &FoundMatch) -> Value {
    let (prefix, kind) = match m.record.kind {
        RecordKind::DirectAccount => ("A", "direct_account"),
        RecordKind::Registration => ("D", "partner_registration"),
    };
    json!({
        "record_id": format!("{prefix}-{}", m.record.id),
        "crm_id": m.record.crm_id,
        "name": m.record.name,
        "domains": m.record.domains,
        "kind": kind,
        "strength": m.found.strength,
        "score": (m.found.score * 1000.0).round() / 1000.0,
        "reasons": m.found.reasons,
    })
}

/// Reads `{"name": …, "domain": …}` lines and writes one JSON line per input with its matches.
/// A line that is not such an object gets `{"line": N, "error": …}` and the rest go on.
pub async fn check(
    service: &Service,
    input: impl BufRead,
    mut out: impl Write,
) -> anyhow::Result<usize> {
    let mut answered = 0;
    for (i, line) in input.lines().enumerate() {
        let line = line.context("reading standard input")?;
        if line.trim().is_empty() {
            continue;
        }
        let parsed: Result<Value, _> = serde_json::from_str(&line);
        let answer = match parsed
            .as_ref()
            .ok()
            .and_then(|v| v["name"].as_str().map(|n| (n, v["domain"].as_str())))
        {
            Some((name, domain)) => {
                let matches = service.check_customer(name, domain).await?;
                json!({ "name": name, "domain": domain, "matches": matches.iter().map(match_json).collect::<Vec<_>>() })
            }
            None => {
                json!({ "line": i + 1, "error": "expected a JSON object with a \"name\" string (and optionally \"domain\")" })
            }
        };
        writeln!(out, "{answer}").context("writing standard output")?;
        answered += 1;
    }
    Ok(answered)
}
