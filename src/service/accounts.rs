//! Direct accounts: bulk import, and checking any customer against the whole book.

use super::Service;
use crate::domain::account::{AccountRow, Owner};
use crate::domain::matching::{
    compare_with, index_keys, lookup_keys, typo_distance, typo_probes, Candidate, Distinctiveness,
    Match, Strength, MIN_BOOK,
};
use crate::store::{IndexedRecord, NewAccount, PlannedKey, Upserted, Weighing};
use std::collections::HashMap;

/// How many index candidates a check compares in full; the index orders them by the weight of
/// the keys they share. The book evaluation (`cargo test --release --test matching`) gives the
/// same figures on both splits at 20 as at 50 (the right record ranks near the top when it is
/// found at all); every candidate costs rows to read and transfer and a full comparison.
const CANDIDATE_LIMIT: i64 = 20;
/// Accounts an import writes per transaction: one commit per row would make a 50,000-row
/// import wait on 50,000 disk flushes.
const IMPORT_BATCH: usize = 500;
/// Lookup weight of a key, per unit of a word's distinctiveness, and of the near-unique keys:
/// the same domain outranks everything, then the same compact name, acronym and domain label.
const WORD_WEIGHT: f64 = 100.0;
const DOMAIN_WEIGHT: u32 = 1000;
const COMPACT_WEIGHT: u32 = 300;
const ACRONYM_WEIGHT: u32 = 150;
const LABEL_WEIGHT: u32 = 100;
/// Words below this distinctiveness are not looked up when the name has a rarer word: they
/// would only bring rows that cannot match on their own. Tuned on the book evaluation's
/// development split: 0.3 to 0.5 give the same figures, 0.55 loses a right record; each common
/// word looked up reads up to `PER_KEY_LIMIT` index rows.
const LOOKUP_MIN_WEIGHT: f64 = 0.45;
/// The constants above, for the lookup weighed in the database.
const WEIGHING: Weighing = Weighing {
    per_word: WORD_WEIGHT,
    min_word: LOOKUP_MIN_WEIGHT,
    min_book: MIN_BOOK,
};

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

/// A chat platform's people directory, for account owners given as e-mail addresses.
pub trait Directory {
    /// The platform's name, for the reasons a row is refused.
    fn platform(&self) -> &'static str;
    /// The id of the person with `email`, `None` when nobody has it, or why it could not be
    /// looked up.
    fn user_by_email(
        &self,
        email: &str,
    ) -> impl std::future::Future<Output = Result<Option<String>, String>> + Send;
}

/// The user id of an account's owner: as given, or looked up by e-mail in `directory`; the
/// error is the row's refusal.
async fn resolve_owner<D: Directory>(
    owner: &Owner,
    directory: Option<&D>,
) -> Result<String, String> {
    let (email, dir) = match (owner, directory) {
        (Owner::User(user), _) => return Ok(user.id.clone()),
        (Owner::Email(email), Some(dir)) => (email, dir),
        (Owner::Email(email), None) => {
            return Err(format!("owner: {email} cannot be looked up without the bot's token; give the owner's user id instead"));
        }
    };
    let platform = dir.platform();
    match dir.user_by_email(email).await {
        Ok(Some(id)) => Ok(id),
        Ok(None) => Err(format!("owner: no {platform} user has the e-mail {email}")),
        Err(e) => Err(format!(
            "owner: could not look up {email} in {platform} ({e})"
        )),
    }
}

impl Service {
    /// Imports rows (each with its line number) idempotently: by CRM id when given. Owners given
    /// as e-mail are resolved through `directory` when there is one.
    pub async fn import_accounts<D: Directory>(
        &self,
        rows: &[(usize, AccountRow)],
        directory: Option<&D>,
    ) -> anyhow::Result<ImportReport> {
        let mut report = ImportReport::default();
        let mut batch = Vec::with_capacity(IMPORT_BATCH);
        for (line, row) in rows {
            let valid = match row.validate() {
                Ok(v) => v,
                Err(reason) => {
                    report.rejected.push((*line, reason));
                    continue;
                }
            };
            let owner = match resolve_owner(&valid.owner, directory).await {
                Ok(owner) => owner,
                Err(reason) => {
                    report.rejected.push((*line, reason));
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
            batch.push((account, keys));
            if batch.len() >= IMPORT_BATCH {
                self.write_accounts(&mut batch, &mut report).await?;
            }
        }
        self.write_accounts(&mut batch, &mut report).await?;
        Ok(report)
    }

    async fn write_accounts(
        &self,
        batch: &mut Vec<(NewAccount, Vec<String>)>,
        report: &mut ImportReport,
    ) -> anyhow::Result<()> {
        if batch.is_empty() {
            return Ok(());
        }
        let done = self
            .store
            .upsert_accounts(batch, self.clock.now_ms())
            .await?;
        for (_, outcome) in done {
            match outcome {
                Upserted::Created => report.created += 1,
                Upserted::Updated => report.updated += 1,
            }
        }
        batch.clear();
        Ok(())
    }

    /// `/partners check` and `/partners accounts`, for managers only.
    /// `customer` is the name and domain to check; `None` asks for the accounts summary.
    pub async fn manager_lookup(
        &self,
        user: &str,
        customer: Option<(&str, Option<&str>)>,
    ) -> super::ServiceResult<super::Answer> {
        if !self.is_manager(user) {
            return Err(crate::domain::DealError::NotManager.into());
        }
        let Some((name, domain)) = customer else {
            let (total, open, owners) = self.store.account_summary().await?;
            return Ok(super::Answer::AccountsSummary {
                total,
                open,
                owners,
            });
        };
        let found = self.check_customer(name, domain).await?;
        Ok(super::Answer::MatchList {
            name: name.to_string(),
            domain: domain.map(str::to_string),
            matches: self.match_views(&found).await?,
        })
    }

    /// Every registration and direct account that refers to the same customer, strongest first.
    /// On Postgres the common case is one round trip: the statistics, typo candidates and
    /// weighted lookup in one statement, kept when its weights are the ones computed here.
    pub async fn check_customer(
        &self,
        name: &str,
        domain: Option<&str>,
    ) -> anyhow::Result<Vec<FoundMatch>> {
        let incoming = Candidate::new(name, domain);
        let mut lookup = lookup_keys(&incoming);
        let mut wanted = incoming.tokens.clone();
        wanted.extend(lookup.iter().filter(|k| k.starts_with("a:")).cloned());
        // Probes for every word, so that one round trip brings the statistics and the typo
        // candidates; only words the book does not hold use them.
        let probes: Vec<String> = incoming
            .tokens
            .iter()
            .flat_map(|t| typo_probes(t))
            .collect();
        let planned = planned_keys(&lookup, &wanted);
        let one = self
            .store
            .check_lookup(&wanted, &probes, &planned, WEIGHING, CANDIDATE_LIMIT)
            .await?;
        let (word_stats, speculated) = match one {
            Some(one) => (one.stats, Some((one.weights, one.records, one.words))),
            None => (
                self.store.word_stats_and_typos(&wanted, &probes).await?,
                None,
            ),
        };
        let (records_total, mut holding, near) = word_stats;
        correct_typos(&incoming, records_total, near, &mut holding, &mut lookup);
        let weighted = weighted_keys(
            &lookup,
            &Distinctiveness::new(records_total, holding.clone()),
        );
        let (records, words) = match speculated {
            Some((weights, records, words)) if same_weights(&weights, &weighted) => {
                (records, words)
            }
            _ => {
                self.store
                    .weighted_candidates_with_words(&weighted, CANDIDATE_LIMIT)
                    .await?
            }
        };
        for (word, n) in words {
            holding.entry(word).or_insert(n);
        }
        let existing: Vec<Vec<Candidate>> = records.iter().map(candidates_of).collect();
        self.count_unknown_words(&existing, &mut holding).await?;
        let stats = Distinctiveness::new(records_total, holding);
        Ok(ranked(&incoming, records, existing, &stats))
    }

    /// Adds the counts of words of the records found that the lookup did not count: only
    /// records indexed under another normalisation have them.
    async fn count_unknown_words(
        &self,
        existing: &[Vec<Candidate>],
        holding: &mut HashMap<String, u64>,
    ) -> anyhow::Result<()> {
        let unknown: Vec<String> = existing
            .iter()
            .flatten()
            .flat_map(|c| c.tokens.iter())
            .filter(|t| !holding.contains_key(*t))
            .cloned()
            .collect();
        if !unknown.is_empty() {
            holding.extend(self.store.token_stats(&unknown).await?.1);
        }
        Ok(())
    }
}

/// A word the book does not hold may be a typo of one it does ("Vivendu"): its correction is
/// looked up (and counted) instead, when the spelling is one slip away from exactly one word
/// of the book (`near`: the words the typo probes found).
fn correct_typos(
    incoming: &Candidate,
    records_total: u64,
    near: HashMap<String, u64>,
    holding: &mut HashMap<String, u64>,
    lookup: &mut Vec<String>,
) {
    let mut corrections = Vec::new();
    let with = Distinctiveness::new(records_total, near.clone());
    for token in incoming.tokens.iter().filter(|t| !holding.contains_key(*t)) {
        let close: Vec<(&String, &u64)> = near
            .iter()
            .filter(|(word, _)| typo_distance(token, word, &with).is_some())
            .collect();
        // A spelling one slip away from two words of the book says neither.
        if let [(word, n)] = close.as_slice() {
            lookup.push(format!("t:{word}"));
            corrections.push(((*word).clone(), **n));
        }
    }
    holding.extend(corrections);
}

/// The records that match `incoming`, strongest first.
fn ranked(
    incoming: &Candidate,
    records: Vec<IndexedRecord>,
    existing: Vec<Vec<Candidate>>,
    stats: &Distinctiveness,
) -> Vec<FoundMatch> {
    let mut found: Vec<FoundMatch> = records
        .into_iter()
        .zip(existing)
        .filter_map(|(record, existing)| {
            let best = best_match(incoming, &existing, stats)?;
            Some(FoundMatch {
                record,
                found: best,
            })
        })
        .collect();
    demote_shared_acronyms(&mut found);
    found.sort_by(|a, b| {
        b.found
            .strength
            .cmp(&a.found.strength)
            .then(b.found.score.total_cmp(&a.found.score))
    });
    found
}

/// Whether the weights the database used are the ones computed here (in any order).
fn same_weights(used: &[(String, u32)], computed: &[(String, u32)]) -> bool {
    let (mut used, mut computed) = (used.to_vec(), computed.to_vec());
    used.sort();
    computed.sort();
    used == computed
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

/// An acronym that several records of the book answer to does not say which one is meant:
/// they are all shown, as weak.
fn demote_shared_acronyms(found: &mut [FoundMatch]) {
    let by_acronym = |m: &FoundMatch| m.found.by_acronym && m.found.strength >= Strength::Medium;
    let sharing = found.iter().filter(|m| by_acronym(m)).count();
    if sharing > 1 {
        for m in found.iter_mut().filter(|m| by_acronym(m)) {
            m.found.strength = Strength::Weak;
            m.found
                .reasons
                .push(format!("but {sharing} records have those initials"));
        }
    }
}

/// Lookup keys with their weights: words by their distinctiveness (common ones left out when
/// the name has a rarer word), near-unique keys above all words.
fn weighted_keys(keys: &[String], stats: &Distinctiveness) -> Vec<(String, u32)> {
    let word = |k: &str| k.strip_prefix("t:").map(|t| stats.weight(t));
    let rarest = keys.iter().filter_map(|k| word(k)).fold(0.0, f64::max);
    keys.iter()
        .filter_map(|k| {
            let w = match (word(k), k.split_once(':').map(|(p, _)| p)) {
                (Some(w), _) if w < LOOKUP_MIN_WEIGHT && rarest >= LOOKUP_MIN_WEIGHT => {
                    return None
                }
                (Some(w), _) => 1 + (w * WORD_WEIGHT).round() as u32,
                (None, prefix) => fixed_weight(prefix),
            };
            Some((k.clone(), w))
        })
        .collect()
}

/// The weight of a key that is not a word, by its prefix.
fn fixed_weight(prefix: Option<&str>) -> u32 {
    match prefix {
        Some("d") => DOMAIN_WEIGHT,
        Some("c") => COMPACT_WEIGHT,
        Some("a") => ACRONYM_WEIGHT,
        _ => LABEL_WEIGHT,
    }
}

/// The lookup keys as the one-trip lookup weighs them in the database (see [`weighted_keys`]):
/// a word by its count when the check counts it (`wanted`), else as a word no record holds.
fn planned_keys(keys: &[String], wanted: &[String]) -> Vec<PlannedKey> {
    let no_book = Distinctiveness::default();
    keys.iter()
        .map(|k| {
            let word = k.strip_prefix("t:");
            let once = word.map(|w| Distinctiveness::new(0, HashMap::from([(w.to_string(), 1)])));
            PlannedKey {
                key: k.clone(),
                counted: word
                    .filter(|w| wanted.iter().any(|t| t == w))
                    .map(str::to_string),
                fixed: fixed_weight(k.split_once(':').map(|(p, _)| p)),
                cap_unheld: word.map_or(0.0, |w| no_book.weight(w)),
                cap_held: match (word, once) {
                    (Some(w), Some(once)) => once.weight(w),
                    _ => 0.0,
                },
            }
        })
        .collect()
}

/// A record as candidates for matching, one per domain (or one without).
fn candidates_of(record: &IndexedRecord) -> Vec<Candidate> {
    if record.domains.is_empty() {
        vec![Candidate::new(&record.name, None)]
    } else {
        record
            .domains
            .iter()
            .map(|d| Candidate::new(&record.name, Some(d)))
            .collect()
    }
}

/// The strongest match between `incoming` and any of the record's domains.
fn best_match(
    incoming: &Candidate,
    existing: &[Candidate],
    stats: &Distinctiveness,
) -> Option<Match> {
    existing
        .iter()
        .filter_map(|e| compare_with(incoming, e, stats))
        .max_by(|a, b| {
            a.strength
                .cmp(&b.strength)
                .then(a.score.total_cmp(&b.score))
        })
}
