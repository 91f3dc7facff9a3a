//! Each kind of name evidence of issue 13, pinned with a positive and a hard negative, against
//! a small book whose word counts are given.

use super::*;
use std::collections::HashMap;

/// A book of 10,000 records where the listed words are held by that many records (any other
/// word by none: it is as rare as a word gets).
fn book(words: &[(&str, u64)]) -> Distinctiveness {
    let holding: HashMap<String, u64> = words.iter().map(|(w, n)| (w.to_string(), *n)).collect();
    Distinctiveness::new(10_000, holding)
}

fn standard_book() -> Distinctiveness {
    book(&[
        ("anker", 1),
        ("innovations", 120),
        ("delta", 40),
        ("faucet", 1),
        ("american", 300),
        ("airlines", 12),
        ("express", 30),
        ("howmet", 1),
        ("aerospace", 90),
        ("global", 400),
        ("systems", 2000),
        ("solutions", 900),
        ("sitronix", 1),
        ("sitronics", 1),
        ("vivendi", 1),
        ("kununu", 1),
        ("cadence", 1),
        ("design", 300),
        ("jfe", 1),
        ("ater", 1),
        ("theater", 1),
        ("expedia", 1),
        ("a:ups", 1),
        ("a:abc", 3),
        ("southern", 60),
    ])
}

fn grade(
    a: (&str, Option<&str>),
    b: (&str, Option<&str>),
    stats: &Distinctiveness,
) -> Option<Match> {
    compare_with(&Candidate::new(a.0, a.1), &Candidate::new(b.0, b.1), stats)
}

fn strength(a: &str, b: &str, stats: &Distinctiveness) -> Option<Strength> {
    grade((a, None), (b, None), stats).map(|m| m.strength)
}

fn blocks(s: Option<Strength>) -> bool {
    s >= Some(Strength::Medium)
}

fn reasons(a: (&str, Option<&str>), b: (&str, Option<&str>), stats: &Distinctiveness) -> String {
    grade(a, b, stats)
        .map(|m| m.reasons.join("; "))
        .unwrap_or_default()
}

/// A name and its domain, if any.
type Named<'a> = (&'a str, Option<&'a str>);

/// Asserts that `a` against `b` grades `want`, with a reason that says `reason`.
fn assert_graded((a, b): (Named, Named), stats: &Distinctiveness, want: Strength, reason: &str) {
    let m = grade(a, b, stats);
    assert_eq!(m.as_ref().map(|m| m.strength), Some(want), "{m:?}");
    let reasons = reasons(a, b, stats);
    assert!(reasons.contains(reason), "{reasons}");
}

/// Asserts whether each pair of names blocks (medium or strong) on the names alone.
fn assert_blocking(pairs: &[(&str, &str)], stats: &Distinctiveness, want: bool) {
    for (a, b) in pairs {
        let m = grade((a, None), (b, None), stats);
        let blocked = blocks(m.as_ref().map(|m| m.strength));
        assert_eq!(blocked, want, "{a} / {b}: {m:?}");
    }
}

#[test]
fn a_short_name_that_is_the_rare_head_of_a_longer_one_blocks_a_common_one_does_not() {
    let stats = standard_book();
    let anker = strength("Anker", "Anker Innovations Limited", &stats);
    assert!(blocks(anker), "{anker:?}");
    // Without a book, nothing says how rare "Anker" is: shown, not blocking.
    let anker = compare(
        &Candidate::new("Anker", None),
        &Candidate::new("Anker Innovations Limited", None),
    );
    assert_eq!(anker.map(|m| m.strength), Some(Strength::Weak));
    assert_eq!(
        strength("Delta", "Delta Faucet", &stats),
        Some(Strength::Weak)
    );
    assert_eq!(
        compare(
            &Candidate::new("Delta", None),
            &Candidate::new("Delta Faucet", None)
        )
        .map(|m| m.strength),
        Some(Strength::Weak)
    );
    assert!(
        reasons(("Anker", None), ("Anker Innovations Limited", None), &stats)
            .contains("rare word “anker”")
    );
}

#[test]
fn agreeing_on_a_rare_word_counts_agreeing_on_common_words_does_not() {
    let stats = standard_book();
    assert!(blocks(strength(
        "Howmet Aerospace",
        "HOWMET Incorporated",
        &stats
    )));
    let american = strength("American Airlines", "American Express", &stats);
    assert!(!blocks(american), "{american:?}");
    assert!(!blocks(strength(
        "Global Systems",
        "Global Solutions",
        &stats
    )));
    assert!(!blocks(strength(
        "Global Systems Inc",
        "Global Systems GmbH",
        &stats
    )));
    // Qualified apart: "Paramount Global" is not "Paramount Group", "Air Canada" not "Air China".
    assert_eq!(
        strength("Paramount Global", "Paramount Group", &stats),
        Some(Strength::Weak)
    );
    assert_eq!(
        strength("Air Canada", "Air China", &stats),
        Some(Strength::Weak)
    );
    assert!(blocks(strength(
        "Matthews International Corporation",
        "Matthews International Group AG",
        &stats
    )));
}

#[test]
fn typos_of_distinctive_words_match_other_spellings_do_not() {
    let stats = standard_book();
    let typos = [
        ("Vivendu", "Vivendi"),
        ("Kunhnu", "Kununu"),
        ("Amadeus IT Grou", "Amadeus IT Group"),
    ];
    assert_blocking(&typos, &stats, true);
    assert!(reasons(("Vivendu", None), ("Vivendi", None), &stats)
        .contains("typo “vivendu” ≈ “vivendi” (1 edit)"));
    let not_typos = [
        // The book holds both spellings: two companies.
        ("Sitronix", "Sitronics"),
        // Another first letter, a short word, a far key, or a generic word: not typos.
        ("Citronix", "SciTronix"),
        ("Axis", "Axes"),
        ("Netzio", "Netvio"),
        // A typo is only trusted when nothing else differs.
        ("AiNET", "Airnet Communications"),
    ];
    assert_blocking(&not_typos, &stats, false);
}

#[test]
fn abbreviations_expand_to_the_same_word_but_common_words_stay_common() {
    let stats = standard_book();
    assert_graded(
        (
            ("Cadence Design Sys", None),
            ("Cadence Design Systems", None),
        ),
        &stats,
        Strength::Strong,
        "abbreviation “sys” = “systems”",
    );
    assert!(blocks(strength(
        "DRS Technol. Canada Ltd",
        "DRS Technologies Canada Ltd",
        &stats
    )));
    assert!(!blocks(strength("Global Sys", "Global Systems", &stats)));
}

#[test]
fn joined_and_split_words_and_a_run_together_the_match() {
    let stats = standard_book();
    let joined = [
        ("ExpediaGroup", "Expedia Group"),
        ("AlbanyInternational", "Albany International"),
        ("RedHat", "Red Hat"),
        ("Carscom", "Cars.com"),
        ("TheJFE Holdings", "JFE Holdings"),
    ];
    assert_blocking(&joined, &stats, true);
    assert!(reasons(("RedHat", None), ("Red Hat", None), &stats).contains("joined or split words"));
    assert!(
        reasons(("TheJFE Holdings", None), ("JFE Holdings", None), &stats)
            .contains("run-together “The”")
    );
    // "Theater" is a word of the book, not "The Ater".
    let apart = [("Theater", "Ater"), ("RedHat", "Red Bull")];
    assert_blocking(&apart, &stats, false);
}

#[test]
fn an_acronym_backed_by_its_domain_matches_an_ambiguous_or_unbacked_one_does_not() {
    let stats = standard_book();
    assert_graded(
        (("UPS", Some("ups.com")), ("United Parcel Service", None)),
        &stats,
        Strength::Medium,
        "acronym “UPS” of “United Parcel Service”, backed by its domain ups.com",
    );
    assert!(!blocks(strength("UPS", "United Parcel Service", &stats)));
    // Three records of the book have those initials: the reason says so (a check that finds
    // several of them shows them all as weak, see the service).
    let m = grade(
        ("ABC", Some("abc.com")),
        ("Alpha Beta Cruises", None),
        &stats,
    );
    assert!(
        m.as_ref().is_some_and(|m| m.by_acronym
            && m.reasons
                .iter()
                .any(|r| r == "3 records of the book have those initials")),
        "{m:?}"
    );
    assert!(!blocks(
        grade(
            ("UPS", Some("ups.com")),
            ("Universal Power Systems", Some("ups-power.com")),
            &stats
        )
        .map(|m| m.strength)
    ));
}

#[test]
fn legal_forms_of_two_countries_no_longer_veto_a_distinctive_name_but_separate_a_common_one() {
    let stats = standard_book();
    assert!(blocks(strength("CTS Corporation", "CTS GmbH", &stats)));
    assert!(blocks(strength(
        "Innophase Incorporated",
        "Innophase AG",
        &stats
    )));
    assert!(reasons(
        ("Innophase Incorporated", None),
        ("Innophase AG", None),
        &stats
    )
    .contains("legal forms are from different countries (us / de), but the name is distinctive"));
    assert_eq!(
        strength("Southern Company", "Southern NV", &stats),
        Some(Strength::Weak)
    );
}

#[test]
fn regional_subsidiaries_match_two_companies_of_one_region_do_not() {
    let stats = standard_book();
    assert_eq!(
        strength(
            "Taiga Motors (North America) Inc",
            "Taiga Motors Inc.",
            &stats
        ),
        Some(Strength::Strong)
    );
    assert!(blocks(strength(
        "DataDome Ireland Limited",
        "DataDome",
        &stats
    )));
    assert!(blocks(strength("Covivio Global", "Covivio", &stats)));
    assert!(!blocks(strength(
        "Kelda (Shanghai) Co., Ltd.",
        "Zorvex (Shanghai) Co., Ltd.",
        &stats
    )));
}

#[test]
fn a_contained_short_name_does_not_block_when_the_longer_one_adds_a_distinctive_word() {
    let stats = book(&[
        ("taiyo", 1),
        ("yuden", 1),
        ("anker", 1),
        ("innovations", 120),
    ]);
    // "Taiyo Yuden" is a company of its own; "Anker Innovations" is Anker.
    assert!(!blocks(strength(
        "TAIYO CORPORATION",
        "TAIYO YUDEN CO., LTD.",
        &stats
    )));
    assert!(blocks(strength(
        "Anker",
        "Anker Innovations Limited",
        &stats
    )));
}

#[test]
fn a_vowel_spelled_differently_is_a_typo_only_when_another_word_agrees() {
    let stats = book(&[("velex", 1), ("procter", 1), ("gamble", 1)]);
    // A one-word name: "Velux" is another brand, not a slip of the finger.
    assert!(!blocks(strength("VELUX", "Velex s.r.l.", &stats)));
    // A neighbouring key still is: "Vivendu" for "Vivendi".
    assert!(blocks(strength("Vivendu", "Vivendi", &standard_book())));
    // "Gamble" agrees: "Proctor" is a typo of "Procter".
    assert!(blocks(strength(
        "Proctor and Gamble",
        "Procter & Gamble",
        &stats
    )));
}

#[test]
fn a_typo_and_a_legal_form_of_another_country_together_do_not_block() {
    let stats = book(&[
        ("logosol", 1),
        ("telldus", 1),
        ("vivendi", 1),
        ("gamble", 1),
    ]);
    assert_graded(
        (("LOGISOL Kft.", None), ("LOGOSOL, INC.", None)),
        &stats,
        Strength::Weak,
        "besides the typo their legal forms are from different countries (hu / us)",
    );
    // The same typo in the same country still blocks, and so does one backed by another word.
    assert!(blocks(strength("Vivendu SA", "Vivendi S.A.", &stats)));
    assert!(blocks(strength(
        "Proctor and Gamble GmbH",
        "Procter & Gamble, Inc.",
        &stats
    )));
}

#[test]
fn a_letter_typed_in_excess_is_a_typo_only_when_it_doubles_or_neighbours_a_letter_next_to_it() {
    let stats = book(&[("victron", 1), ("netrix", 1), ("sipro", 1), ("aiware", 1)]);
    // "t" typed twice, "e" next to the "r" it slipped off: slips of the finger.
    assert!(blocks(strength("Victtron", "VICTRON BV", &stats)));
    assert!(blocks(strength("Neterix", "NETRIX", &stats)));
    // A "g" among "i" and "p", an "r" among "i" and "w": letters of another name.
    assert!(!blocks(strength("Sigpro", "SIPRO s.r.l.", &stats)));
    assert!(!blocks(strength("Airware", "Aiware Inc.", &stats)));
}

#[test]
fn keys_touch_as_on_a_staggered_keyboard() {
    let stats = book(&[("naztec", 1), ("istor", 1)]);
    // "s" and "z" touch: "Nastec" may be "Naztec" typed in a hurry.
    assert!(blocks(strength("NASTEC", "Naztec, Inc.", &stats)));
    // "q" does not touch "s" ("a" is between them): "iQstor" is not a slip on "iStor".
    assert!(!blocks(strength("iQstor", "iStor", &stats)));
}

#[test]
fn a_changed_last_consonant_is_a_typo_only_when_another_word_agrees() {
    let stats = book(&[("pycom", 1), ("acoustic", 1), ("lyand", 1)]);
    // "Pycon" / "Pycom": brands coined apart by their last letter.
    assert!(!blocks(strength("Pycon, Inc.", "Pycom Ltd", &stats)));
    // "Lyand" agrees: "Acoustix" is a slip on "Acoustic".
    assert!(blocks(strength("Lyand Acoustix", "LYAND ACOUSTIC", &stats)));
}

#[test]
fn an_incoming_word_running_a_generic_word_into_a_book_name_is_another_name() {
    let stats = book(&[("reco", 1), ("ifak", 1), ("systems", 2000), ("vision", 200)]);
    // The book's "ifak system" typed run together still is it.
    assert!(blocks(strength(
        "ifaksystem GmbH",
        "ifak system GmbH",
        &stats
    )));
    // "Recovision" builds a name on "Reco": not that company.
    assert!(!blocks(strength(
        "Recovision Technology Co., Ltd.",
        "Reco S.p.A.",
        &stats
    )));
}
