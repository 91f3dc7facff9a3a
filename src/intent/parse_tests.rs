//! Every command form, well-formed and malformed, and what it parses to. The exact words each
//! refusal is shown with are the adapter's, and are checked there.

use super::*;
use crate::domain::{Field, FieldErrors, PartnerId};

fn deal_intent(text: &str) -> DealIntent {
    match parse(Family::Deal, text) {
        Ok(Intent::Deal(intent)) => intent,
        other => panic!("/deal {text}: {other:?}"),
    }
}

fn partners_intent(text: &str) -> PartnersIntent {
    match parse(Family::Partners, text) {
        Ok(Intent::Partners(intent)) => intent,
        other => panic!("/partners {text}: {other:?}"),
    }
}

fn admins(partner: i64, users: &[&str]) -> PartnersIntent {
    PartnersIntent::Admins {
        partner: PartnerId(partner),
        users: users.iter().map(|u| u.to_string()).collect(),
    }
}

fn changes(stage: Option<&str>, amount: Option<&str>, products: Option<&str>) -> DealChanges {
    DealChanges {
        stage: stage.map(str::to_string),
        amount: amount.map(str::to_string),
        products: products.map(str::to_string),
        ..DealChanges::default()
    }
}

#[test]
fn deal_commands_parse_into_typed_intents() {
    let update = |id, c: DealChanges, raw: &str| DealIntent::Update {
        deal: DealId(id),
        changes: c,
        raw: raw.into(),
    };
    let list = |filter, page| DealIntent::List { filter, page };
    let cases: Vec<(&str, DealIntent)> = vec![
        ("", DealIntent::OpenForm),
        ("   ", DealIntent::OpenForm),
        ("register", DealIntent::OpenForm),
        ("REGISTER  ", DealIntent::OpenForm),
        ("list", list(DealFilter::All, 1)),
        ("list open", list(DealFilter::Open, 1)),
        ("list expiring", list(DealFilter::Expiring, 1)),
        ("List WON page 3", list(DealFilter::Won, 3)),
        ("list page 2 open", list(DealFilter::Open, 2)),
        ("list open all", list(DealFilter::All, 1)),
        ("list page 10000", list(DealFilter::All, 10_000)),
        ("show D-42", DealIntent::Show(DealId(42))),
        ("show d42", DealIntent::Show(DealId(42))),
        ("SHOW #7", DealIntent::Show(DealId(7))),
        ("show 7", DealIntent::Show(DealId(7))),
        ("extend D-3", DealIntent::Extend(DealId(3))),
        (
            "update D-1 stage=proposal",
            update(
                1,
                changes(Some("proposal"), None, None),
                "D-1 stage=proposal",
            ),
        ),
        (
            "update 2 STAGE=won amount=60000 attribution=sourced",
            update(
                2,
                changes(Some("won"), Some("60000"), None),
                "2 STAGE=won amount=60000 attribution=sourced",
            ),
        ),
        (
            "update D-5 products=Rocket skates, holes close=2027-03-01",
            update(
                5,
                DealChanges {
                    products: Some("Rocket skates, holes".into()),
                    close: Some("2027-03-01".into()),
                    ..DealChanges::default()
                },
                "D-5 products=Rocket skates, holes close=2027-03-01",
            ),
        ),
        (
            "update D-5 currency=EUR close_date=2027-01-31",
            update(
                5,
                DealChanges {
                    currency: Some("EUR".into()),
                    close: Some("2027-01-31".into()),
                    ..DealChanges::default()
                },
                "D-5 currency=EUR close_date=2027-01-31",
            ),
        ),
        ("update D-6", update(6, DealChanges::default(), "D-6")),
        ("commissions", DealIntent::Commissions),
    ];
    for (text, expected) in cases {
        assert_eq!(deal_intent(text), expected, "/deal {text}");
    }
}

#[test]
fn a_one_line_registration_carries_the_draft_the_form_would_have() {
    let DealIntent::Register(draft) =
        deal_intent("register Acme Corp acme.com 50000 EUR 2027-03-31")
    else {
        panic!("not a registration");
    };
    assert_eq!(
        (
            draft.company.as_str(),
            draft.domain.as_str(),
            draft.amount.as_str()
        ),
        ("Acme Corp", "acme.com", "50000")
    );
    assert_eq!(
        (draft.currency.as_str(), draft.close_date.as_str()),
        ("EUR", "2027-03-31")
    );
}

#[test]
fn partner_commands_parse_into_typed_intents() {
    let add = |name: &str, t: &str, tier: Option<&str>| PartnersIntent::Add {
        name: name.into(),
        partner_type: t.into(),
        tier: tier.map(str::to_string),
    };
    let check = |name: &str, domain: Option<&str>| PartnersIntent::Check {
        name: name.into(),
        domain: domain.map(str::to_string),
    };
    let stats = |partner: &str, period| PartnersIntent::Stats {
        partner: partner.into(),
        period,
    };
    let cases: Vec<(&str, PartnersIntent)> = vec![
        (
            "add Globex Resellers type=reseller",
            add("Globex Resellers", "reseller", None),
        ),
        (
            "ADD type=si Initech tier=gold",
            add("Initech", "si", Some("gold")),
        ),
        ("list", PartnersIntent::List { page: 1 }),
        ("list PAGE 2", PartnersIntent::List { page: 2 }),
        ("check Initech", check("Initech", None)),
        (
            "check Initech Inc. initech.com",
            check("Initech Inc.", Some("initech.com")),
        ),
        ("check initech.com", check("initech.com", None)),
        ("accounts", PartnersIntent::Accounts),
        ("accounts anything", PartnersIntent::Accounts),
        ("stats", stats("", StatsPeriod::Days(90))),
        ("stats 30D", stats("", StatsPeriod::Days(30))),
        (
            "stats Globex Resellers ytd",
            stats("Globex Resellers", StatsPeriod::YearToDate),
        ),
        (
            "stats Globex 2027-q1",
            stats(
                "Globex",
                StatsPeriod::Quarter {
                    year: 2027,
                    quarter: 1,
                },
            ),
        ),
        (
            "stats Globex lastweek",
            stats("Globex lastweek", StatsPeriod::Days(90)),
        ),
        ("stats Globex 0d", stats("Globex 0d", StatsPeriod::Days(90))),
        (
            "stats Globex 2027-Q5",
            stats("Globex 2027-Q5", StatsPeriod::Days(90)),
        ),
        ("digest now", PartnersIntent::DigestNow),
        ("Digest NOW please", PartnersIntent::DigestNow),
        ("survey now", PartnersIntent::SurveyNow),
        (
            "survey results",
            PartnersIntent::SurveyResults { round: None },
        ),
        (
            "survey results R2",
            PartnersIntent::SurveyResults { round: Some(2) },
        ),
        (
            "survey results r-3",
            PartnersIntent::SurveyResults { round: Some(3) },
        ),
        (
            "survey results latest",
            PartnersIntent::SurveyResults { round: None },
        ),
        (
            "commissions pay C-12 c13 14",
            PartnersIntent::PayCommissions(vec![12, 13, 14]),
        ),
        (
            "commissions pay C-12 junk",
            PartnersIntent::PayCommissions(vec![12]),
        ),
        (
            "admins P-3 <@U123|alice> <@U456>",
            admins(3, &["U123", "U456"]),
        ),
        ("ADMINS p3 U123", admins(3, &["U123"])),
        ("admins 7 W9 @bob", admins(7, &["W9", "@bob"])),
        ("admins P-3 none", admins(3, &[])),
        ("admins P-3 None", admins(3, &[])),
        ("admins P-3 none U1", admins(3, &["none", "U1"])),
    ];
    for (text, expected) in cases {
        assert_eq!(partners_intent(text), expected, "/partners {text}");
    }
}

#[test]
fn help_and_unknown_sub_commands_ask_for_usage() {
    let help = |unknown| Ok(Intent::Help { unknown });
    let cases = [
        (Family::Deal, "help", help(None)),
        (Family::Deal, "HELP me", help(None)),
        (
            Family::Deal,
            "approve D-1",
            help(Some(Unknown::Deal("approve".into()))),
        ),
        (
            Family::Deal,
            "Frobnicate",
            help(Some(Unknown::Deal("frobnicate".into()))),
        ),
        (Family::Partners, "", help(None)),
        (Family::Partners, "help", help(None)),
        (
            Family::Partners,
            "pause Globex",
            help(Some(Unknown::Partners("pause".into()))),
        ),
        (
            Family::Partners,
            "digest",
            help(Some(Unknown::Partners("digest".into()))),
        ),
        (
            Family::Partners,
            "digest later",
            help(Some(Unknown::Partners("digest".into()))),
        ),
    ];
    for (family, text, expected) in cases {
        assert_eq!(parse(family, text), expected, "{family:?} {text}");
    }
}

#[test]
fn malformed_commands_are_refused_with_the_reason() {
    let page = |listing, given: &str| Refusal::BadPage {
        listing,
        given: given.into(),
    };
    let cases = [
        (
            Family::Deal,
            "show",
            Refusal::MissingDeal(DealCommand::Show),
        ),
        (
            Family::Deal,
            "extend",
            Refusal::MissingDeal(DealCommand::Extend),
        ),
        (Family::Deal, "show D-x", Refusal::BadDealId("D-x".into())),
        (
            Family::Deal,
            "show D-1 D-2",
            Refusal::BadDealId("D-1 D-2".into()),
        ),
        (Family::Deal, "show 0", Refusal::BadDealId("0".into())),
        (Family::Deal, "extend -4", Refusal::BadDealId("-4".into())),
        (Family::Deal, "list page", page(Listing::Deals, "")),
        (Family::Deal, "list page 0", page(Listing::Deals, "0")),
        (Family::Deal, "list page x", page(Listing::Deals, "x")),
        (
            Family::Deal,
            "list page 10001",
            page(Listing::Deals, "10001"),
        ),
        (
            Family::Deal,
            "list Closed",
            Refusal::UnknownListWord("closed".into()),
        ),
        (Family::Deal, "update", Refusal::UpdateUsage),
        (
            Family::Deal,
            "update deal-one stage=won",
            Refusal::BadDealId("deal-one".into()),
        ),
        (
            Family::Deal,
            "update D-1 hello",
            Refusal::NotKeyValue("hello".into()),
        ),
        (
            Family::Deal,
            "update D-1 Colour=red",
            Refusal::UnknownDealField("colour".into()),
        ),
        (Family::Partners, "add Globex", Refusal::PartnerAddUsage),
        (
            Family::Partners,
            "add type=reseller",
            Refusal::PartnerAddUsage,
        ),
        (Family::Partners, "add", Refusal::PartnerAddUsage),
        (Family::Partners, "list 2", Refusal::PartnerListUsage),
        (
            Family::Partners,
            "list page 2 more",
            Refusal::PartnerListUsage,
        ),
        (
            Family::Partners,
            "list page two",
            page(Listing::Partners, "two"),
        ),
        (
            Family::Partners,
            "list page 0",
            page(Listing::Partners, "0"),
        ),
        (Family::Partners, "check", Refusal::CheckUsage),
        (Family::Partners, "survey", Refusal::SurveyUsage),
        (Family::Partners, "survey later", Refusal::SurveyUsage),
        (Family::Partners, "commissions", Refusal::PayUsage),
        (Family::Partners, "commissions pay", Refusal::PayUsage),
        (Family::Partners, "commissions pay junk", Refusal::PayUsage),
        (Family::Partners, "commissions list C-1", Refusal::PayUsage),
        (Family::Partners, "admins", Refusal::AdminsUsage),
        (Family::Partners, "admins   ", Refusal::AdminsUsage),
        (
            Family::Partners,
            "admins P-3",
            Refusal::NoAdmins(PartnerId(3)),
        ),
        (
            Family::Partners,
            "admins Globex <@U1|a>",
            Refusal::BadPartnerId("Globex".into()),
        ),
        (
            Family::Partners,
            "admins <@U1|alice> <@U2>",
            Refusal::BadPartnerId("<@U1|alice>".into()),
        ),
        (
            Family::Partners,
            "admins P-0 U1",
            Refusal::BadPartnerId("P-0".into()),
        ),
        (
            Family::Partners,
            "admins P--3 U1",
            Refusal::BadPartnerId("P--3".into()),
        ),
        (
            Family::Partners,
            "admins P-+3 U1",
            Refusal::BadPartnerId("P-+3".into()),
        ),
    ];
    for (family, text, expected) in cases {
        assert_eq!(parse(family, text), Err(expected), "{family:?} {text}");
    }
}

#[test]
fn a_one_line_registration_without_a_domain_is_refused_by_field() {
    let errors = |field, text: &str| Err(Refusal::Invalid(FieldErrors(vec![(field, text.into())])));
    assert_eq!(
        parse(Family::Deal, "register Acme"),
        errors(Field::Domain, "Give the customer's domain after the company name, e.g. /deal register Acme Corp acme.com 50000")
    );
}

#[test]
fn quarters_resolve_to_their_first_and_last_day() {
    let day = |y, m, d| chrono::NaiveDate::from_ymd_opt(y, m, d).expect("date");
    let q = |year, quarter| StatsPeriod::Quarter { year, quarter }.quarter_dates();
    assert_eq!(q(2027, 1), Some((day(2027, 1, 1), day(2027, 3, 31))));
    assert_eq!(q(2026, 4), Some((day(2026, 10, 1), day(2026, 12, 31))));
    assert_eq!(StatsPeriod::parse("999999-q1"), None);
    assert_eq!(StatsPeriod::YearToDate.quarter_dates(), None);
}
