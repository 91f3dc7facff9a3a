//! Direct accounts: bulk import, and checking any customer against the whole book.

use super::Service;
use crate::domain::account::{AccountRow, Owner};
use crate::domain::matching::{compare, index_keys, Candidate, Match};
use crate::slack::SlackApi;
use crate::store::{IndexedRecord, NewAccount, Upserted};

/// How many index candidates a check compares in full; the index orders them by shared keys.
const CANDIDATE_LIMIT: i64 = 200;

/// What an import did, with every refused row and why.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct ImportReport {
    pub created: usize,
    pub updated: usize,
    /// (line number in the file, reason).
    pub rejected: Vec<(usize, String)>,
}

/// An existing record an incoming customer matches, and how.
#[derive(Debug, Clone, PartialEq)]
pub struct FoundMatch {
    pub record: IndexedRecord,
    pub found: Match,
}

impl Service {
    /// Imports rows (each with its line number) idempotently: by CRM id when given. Owners given
    /// as e-mail are resolved with `users.lookupByEmail` when `slack` is available.
    pub async fn import_accounts(
        &self,
        rows: &[(usize, AccountRow)],
        slack: Option<&SlackApi>,
    ) -> anyhow::Result<ImportReport> {
        let mut report = ImportReport::default();
        for (line, row) in rows {
            let valid = match row.validate() {
                Ok(v) => v,
                Err(reason) => {
                    report.rejected.push((*line, reason));
                    continue;
                }
            };
            let owner = match (&valid.owner, slack) {
                (Owner::SlackUser(id), _) => id.clone(),
                (Owner::Email(email), Some(api)) => match api.lookup_user_by_email(email).await {
                    Ok(Some(id)) => id,
                    Ok(None) => {
                        report.rejected.push((
                            *line,
                            format!("owner: no Slack user has the e-mail {email}"),
                        ));
                        continue;
                    }
                    Err(e) => {
                        report.rejected.push((
                            *line,
                            format!("owner: could not look up {email} in Slack ({e})"),
                        ));
                        continue;
                    }
                },
                (Owner::Email(email), None) => {
                    report.rejected.push((
                        *line,
                        format!(
                            "owner: {email} needs SLACK_BOT_TOKEN to be resolved to a Slack user"
                        ),
                    ));
                    continue;
                }
            };
            let account = NewAccount {
                name: valid.name,
                domains: valid.domains,
                owner,
                territory: valid.territory,
                open_opportunity: valid.open_opportunity,
                crm_id: valid.crm_id,
            };
            let keys = account_keys(&account);
            match self
                .store
                .upsert_account(&account, &keys, self.clock.now_ms())
                .await?
                .1
            {
                Upserted::Created => report.created += 1,
                Upserted::Updated => report.updated += 1,
            }
        }
        Ok(report)
    }

    /// `/partners check` and `/partners accounts`, for managers only.
    pub async fn manager_lookup(
        &self,
        user: &str,
        text: &str,
    ) -> super::ServiceResult<serde_json::Value> {
        if !self.is_manager(user) {
            return Err(crate::domain::DealError::NotManager.into());
        }
        if text.trim().is_empty() {
            let (total, open, owners) = self.store.account_summary().await?;
            return Ok(self.render.accounts_summary(total, open, &owners)?);
        }
        let words: Vec<&str> = text.split_whitespace().collect();
        let (name, domain) = match words.split_last() {
            Some((last, rest)) if !rest.is_empty() && last.contains('.') => {
                (rest.join(" "), Some(*last))
            }
            _ => (words.join(" "), None),
        };
        let found = self.check_customer(&name, domain).await?;
        let mut views = Vec::with_capacity(found.len());
        for m in &found {
            let partner = match m.record.partner_id {
                Some(id) => self
                    .store
                    .partner(crate::domain::PartnerId(id))
                    .await?
                    .map(|p| p.name),
                None => None,
            };
            views.push(crate::slack::render::MatchView::new(
                &m.record, &m.found, partner,
            ));
        }
        Ok(self.render.match_list(&name, domain, &views)?)
    }

    /// Every registration and direct account that refers to the same customer, strongest first.
    pub async fn check_customer(
        &self,
        name: &str,
        domain: Option<&str>,
    ) -> anyhow::Result<Vec<FoundMatch>> {
        let incoming = Candidate::new(name, domain);
        let records = self
            .store
            .candidates(&index_keys(&incoming), CANDIDATE_LIMIT)
            .await?;
        let mut found: Vec<FoundMatch> = records
            .into_iter()
            .filter_map(|record| {
                let best = best_match(&incoming, &record)?;
                Some(FoundMatch {
                    record,
                    found: best,
                })
            })
            .collect();
        found.sort_by(|a, b| {
            b.found
                .strength
                .cmp(&a.found.strength)
                .then(b.found.score.total_cmp(&a.found.score))
        });
        Ok(found)
    }
}

/// Index keys of an account: its name with each of its domains (or none).
fn account_keys(account: &NewAccount) -> Vec<String> {
    let mut keys: Vec<String> = if account.domains.is_empty() {
        index_keys(&Candidate::new(&account.name, None))
    } else {
        account
            .domains
            .iter()
            .flat_map(|d| index_keys(&Candidate::new(&account.name, Some(d))))
            .collect()
    };
    keys.sort();
    keys.dedup();
    keys
}

/// The strongest match between `incoming` and any of the record's domains.
fn best_match(incoming: &Candidate, record: &IndexedRecord) -> Option<Match> {
    let existing: Vec<Candidate> = if record.domains.is_empty() {
        vec![Candidate::new(&record.name, None)]
    } else {
        record
            .domains
            .iter()
            .map(|d| Candidate::new(&record.name, Some(d)))
            .collect()
    };
    existing
        .iter()
        .filter_map(|e| compare(incoming, e))
        .max_by(|a, b| {
            a.strength
                .cmp(&b.strength)
                .then(a.score.total_cmp(&b.score))
        })
}
