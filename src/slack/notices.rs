//! Notices in Slack's words: each [`Notice`] rendered to Block Kit with the templates, at the
//! moment it is delivered.

use super::render::{ChartImage, DeliveryFailure, DigestSection, MatchView};
use super::Renderer;
use crate::domain::digest::NextStep;
use crate::notice::{ExtensionStep, MatchedRecord, NoteAbout, Notice};
use serde_json::Value;

/// How the bot introduces itself when spoken to.
const GREETING: &str = "Hi! I run the partner program here. This is what I can do:";

/// The Slack message for `notice`.
pub fn render(render: &Renderer, notice: &Notice) -> anyhow::Result<Value> {
    match notice {
        Notice::Help { manager, greeting } => render.help(*manager, greeting.then_some(GREETING)),
        Notice::DeliveryFailure {
            kind,
            deal,
            conversation,
            reason,
            outbox_id,
        } => render.delivery_failure(&DeliveryFailure {
            kind: &kind.replace('_', " "),
            deal_id: deal.map(|d| crate::domain::DealId(d).to_string()),
            channel: conversation,
            reason,
            advice: &advice(reason, conversation),
            outbox_id: *outbox_id,
        }),
        Notice::DealConfirmation { deal } => render.deal_confirmation(deal),
        Notice::ReviewCard {
            deal,
            partner,
            matches,
            rule,
        } => render.review_card(deal, partner, &views(render, matches), rule.as_deref()),
        Notice::DecisionNotice { deal } => render.decision_notice(deal),
        Notice::AeAlert {
            deal,
            partner,
            matches,
            rule,
        } => render.ae_alert(deal, partner, &views(render, matches), rule),
        Notice::AeChoice { deal, user, choice } => render.ae_choice(deal, user, choice),
        Notice::Escalation {
            deal,
            partner_name,
            waited,
            sla,
        } => render.escalation(deal, partner_name, *waited, *sla),
        Notice::ProtectionNotice {
            deal,
            days_left,
            expired,
            partner_name,
            extension,
        } => render.protection_notice(
            deal,
            *days_left,
            *expired,
            partner_name.as_deref(),
            *extension,
        ),
        Notice::Extension {
            step,
            deal,
            details,
        } => render.extension(extension_kind(*step), deal, serde_json::to_value(details)?),
        Notice::CommissionNotice {
            deal,
            calculation,
            commission,
            payable_from,
            instalments,
            partner_name,
        } => render.commission_notice(
            deal,
            calculation,
            &commission.to_string(),
            &payable_from.to_string(),
            *instalments,
            partner_name.as_deref(),
        ),
        other => render_program(render, other),
    }
}

/// The program-wide notices: tiers, nudges, surveys, digests, welcomes and one-line notes.
fn render_program(render: &Renderer, notice: &Notice) -> anyhow::Result<Value> {
    match notice {
        Notice::TierChange {
            old,
            new,
            direction,
            revenue,
            factor,
        } => render.notice(
            ":medal:",
            &crate::intent::wording::tier_words(
                (old.as_str(), new.as_str()),
                *direction,
                revenue,
                factor,
                &super::refusals::SLACK,
            ),
        ),
        Notice::TierReview {
            text,
            without_admins,
        } => render.notice(
            ":medal:",
            &crate::intent::wording::tier_review_words(
                text,
                without_admins,
                &super::refusals::SLACK,
            ),
        ),
        Notice::Nudge {
            partner_name,
            partner_conversation,
            quiet_days,
            news,
            alert,
        } => render.nudge(
            partner_name,
            partner_conversation,
            *quiet_days,
            news,
            *alert,
        ),
        Notice::PsatInvite {
            round,
            closes,
            answered,
            reminder,
        } => render.psat_invite(*round, closes, *answered, *reminder),
        Notice::PsatFollowup {
            round,
            user,
            partner_name,
            score,
            comment,
            handled_by,
        } => render.psat_followup(
            *round,
            user,
            partner_name,
            *score,
            comment,
            handled_by.as_deref(),
        ),
        Notice::Digest {
            week,
            partners,
            sections,
            chart_png_base64,
        } => {
            let sections: Vec<DigestSection> = sections
                .iter()
                .map(|s| DigestSection {
                    title: s.title.clone(),
                    lines: s.lines.clone(),
                    action: next_step(s.action).to_string(),
                })
                .collect();
            let chart = chart_png_base64.as_ref().map(|_| chart_image(week));
            render.digest(week, *partners, &sections, chart.as_ref())
        }
        Notice::DigestChart { week, .. } => render.digest_chart(&chart_image(week)),
        Notice::PartnerLinked { partner } => render.partner_linked(partner),
        Notice::Note { about, by, text } => match by {
            Some(by) => render.notice_by(note_icon(*about), by, text),
            None => render.notice(note_icon(*about), text),
        },
        other => anyhow::bail!("no Slack rendering for {other:?}"),
    }
}

/// The file id a rendered message's `image` block names until the upload it shows is done;
/// the delivery puts the uploaded file's id in its place (Slack refuses it as it is).
pub const PENDING_FILE: &str = "F0PENDINGUPLOAD";

/// An image a message shows, uploaded (privately) before the message is posted.
#[derive(Debug, Clone, PartialEq)]
pub struct Upload {
    pub filename: String,
    pub title: String,
    /// What the image shows, for screen readers.
    pub alt_text: String,
    pub png_base64: String,
}

/// The image `notice` shows in its message, when it shows one.
pub fn upload_of(notice: &Notice) -> Option<Upload> {
    let (week, png_base64) = match notice {
        Notice::Digest {
            week,
            chart_png_base64: Some(png),
            ..
        }
        | Notice::DigestChart {
            week,
            png_base64: png,
        } => (week, png),
        _ => return None,
    };
    let chart = chart_image(week);
    Some(Upload {
        filename: format!("partner-digest-{week}.png"),
        title: chart.title,
        alt_text: chart.alt_text,
        png_base64: png_base64.clone(),
    })
}

/// The digest chart of `week` as its `image` block shows it, naming the pending upload.
pub fn chart_image(week: &str) -> ChartImage {
    ChartImage {
        file: PENDING_FILE.into(),
        alt_text: format!(
            "Bar chart: value of the deals partners registered (pipeline) and won each week, by partner type, over the 12 weeks to {week}"
        ),
        title: format!("Partner pipeline and wins, 12 weeks to {week}"),
    }
}

fn views(render: &Renderer, matches: &[MatchedRecord]) -> Vec<MatchView> {
    matches.iter().map(|m| render.match_view(m)).collect()
}

/// The extension template's name for each step.
fn extension_kind(step: ExtensionStep) -> &'static str {
    match step {
        ExtensionStep::Requested => "requested",
        ExtensionStep::RequestCard => "request_card",
        ExtensionStep::Granted => "granted",
        ExtensionStep::Declined => "declined",
    }
}

/// A digest section's next step, in Slack's commands.
pub fn next_step(step: NextStep) -> &'static str {
    match step {
        NextStep::ListDealsAndDecide => {
            "`/deal list` shows them all; decide on the cards in the managers' channel"
        }
        NextStep::CheckCustomer => "`/partners check <company>` shows every match and its reasons",
        NextStep::DecideOnCards => "Approve, reject or return them on their cards",
        NextStep::PartnersMayExtend => "Partners can ask to extend with `/deal extend D-…`",
        NextStep::CommissionLedger => {
            "`/deal commissions` and `partnerbot export commissions` for the ledger"
        }
        NextStep::PartnerStats => "`/partners stats <partner>` shows what drove them",
        NextStep::CallQuietPartners => {
            "They get a nudge automatically; a call from you works better"
        }
        NextStep::SurveyResults => "`/partners survey results` for the detail",
        NextStep::ProgramStats => "`/partners stats` for the program's figures",
    }
}

/// The emoji in front of a one-line note.
fn note_icon(about: NoteAbout) -> &'static str {
    match about {
        NoteAbout::DealUpdated => ":arrow_forward:",
        NoteAbout::Decision => ":scroll:",
        NoteAbout::Resubmitted => ":memo:",
        NoteAbout::Lost => ":black_small_square:",
        NoteAbout::CommissionPaid => ":moneybag:",
        NoteAbout::Tiers => ":medal:",
        NoteAbout::Survey => ":bar_chart:",
        NoteAbout::Info => ":information_source:",
    }
}

/// What a person can do about a Slack error code.
fn advice(reason: &str, channel: &str) -> String {
    match reason.split(':').next().unwrap_or_default().trim() {
        "not_in_channel" | "channel_not_found" | "is_archived" => format!(
            "make sure <#{channel}> still exists and invite the bot to it (`/invite @partnerbot` in the channel); if the partner moved channels, link the new one with `/partners add` there."
        ),
        "user_not_in_channel" => format!(
            "the person is no longer in <#{channel}>, so a message only they can see cannot reach them there. If they were one of the partner's admins, name the current ones with `/partners admins`."
        ),
        "missing_scope" | "not_allowed_token_type" | "no_permission" | "restricted_action" => {
            "reinstall the app from the current `manifest.yaml` (it lists every scope the bot needs) and restart `partnerbot serve`.".into()
        }
        "invalid_auth" | "account_inactive" | "token_revoked" | "not_authed" => {
            "the bot token no longer works: reinstall the app and put the new `xoxb-` token in `SLACK_BOT_TOKEN`.".into()
        }
        "invalid_blocks" | "msg_too_long" | "invalid_arguments" | "too_many_attachments" => {
            "Slack found the message too large or malformed. This is a partnerbot bug: please report it with the outbox id below.".into()
        }
        "user_not_found" | "cannot_dm_bot" | "user_disabled" => {
            "the person is no longer reachable in Slack: update the program file or the partner's users.".into()
        }
        // Failures of Teams messages are reported here too when the managers work in Slack.
        "no_conversation_reference" => "the bot has never heard from that Teams conversation, so it cannot be reached: install partnerbot in that team or chat (or have the person message the bot once), then `partnerbot outbox retry` the id below.".into(),
        "unknown_outcome" => "Teams may or may not have posted the message and cannot be asked: look in the conversation, and retry the id below only if it is missing.".into(),
        _ => "see the bot's log for this outbox id.".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{DealStatus, Money};
    use crate::notice::ExtensionDetails;
    use crate::slack::render_limits::{deal, nasty, partner, renderer};

    fn matched() -> MatchedRecord {
        MatchedRecord {
            direct_account: true,
            id: 7,
            name: nasty(40),
            domains: vec!["acme.com".into()],
            crm_id: Some("0061".into()),
            owner: Some("U0AE1".into()),
            partner: None,
            status: Some(DealStatus::Approved),
            strength: crate::domain::matching::Strength::Strong,
            reasons: vec!["same domain".into()],
        }
    }

    /// One notice of every kind, with hostile text.
    fn every_kind() -> Vec<Notice> {
        let (d, p) = (deal(DealStatus::Approved), partner(1));
        let note = |about| Notice::Note {
            about,
            by: Some("U1".into()),
            text: nasty(30),
        };
        vec![
            Notice::Help {
                manager: true,
                greeting: true,
            },
            Notice::DeliveryFailure {
                kind: "review_card".into(),
                deal: Some(4),
                conversation: "C1".into(),
                reason: "not_in_channel".into(),
                outbox_id: 9,
            },
            Notice::DealConfirmation { deal: d.clone() },
            Notice::ReviewCard {
                deal: d.clone(),
                partner: p.clone(),
                matches: vec![matched()],
                rule: Some(nasty(20)),
            },
            Notice::DecisionNotice { deal: d.clone() },
            Notice::AeAlert {
                deal: d.clone(),
                partner: p.clone(),
                matches: vec![matched()],
                rule: nasty(20),
            },
            Notice::AeChoice {
                deal: d.clone(),
                user: "U2".into(),
                choice: "co-sell".into(),
            },
            Notice::Escalation {
                deal: d.clone(),
                partner_name: nasty(10),
                waited: 4,
                sla: 2,
            },
            Notice::ProtectionNotice {
                deal: d.clone(),
                days_left: 14,
                expired: false,
                partner_name: None,
                extension: Some(30),
            },
            Notice::Extension {
                step: ExtensionStep::RequestCard,
                deal: d.clone(),
                details: ExtensionDetails {
                    days: 30,
                    justification: nasty(50),
                    ..ExtensionDetails::default()
                },
            },
            Notice::CommissionNotice {
                deal: d.clone(),
                calculation: nasty(30),
                commission: Money::from_minor(12_345, "JPY").expect("yen"),
                payable_from: d.close_date,
                instalments: 3,
                partner_name: Some(nasty(10)),
            },
            Notice::TierChange {
                old: crate::domain::tier::Tier::Silver,
                new: crate::domain::tier::Tier::Gold,
                direction: crate::notice::TierDirection::Up,
                revenue: "120,000.00 USD".into(),
                factor: "1.1".into(),
            },
            Notice::TierReview {
                text: nasty(60),
                without_admins: (1..=40)
                    .map(|i| crate::notice::PartnerName {
                        id: crate::domain::PartnerId(i),
                        name: nasty(5),
                    })
                    .collect(),
            },
            Notice::Nudge {
                partner_name: nasty(10),
                partner_conversation: "C1".into(),
                quiet_days: 61,
                news: nasty(40),
                alert: false,
            },
            Notice::PsatInvite {
                round: 3,
                closes: "2027-01-15".into(),
                answered: Some(9),
                reminder: false,
            },
            Notice::PsatFollowup {
                round: 3,
                user: "U3".into(),
                partner_name: nasty(10),
                score: 2,
                comment: nasty(40),
                handled_by: Some("U4".into()),
            },
            Notice::Digest {
                week: "2027-W02".into(),
                partners: 3,
                sections: vec![],
                chart_png_base64: None,
            },
            Notice::Digest {
                week: "2027-W02".into(),
                partners: 3,
                sections: vec![],
                chart_png_base64: Some("iVBORw0KGgo=".into()),
            },
            Notice::DigestChart {
                week: "2027-W02".into(),
                png_base64: "iVBORw0KGgo=".into(),
            },
            Notice::PartnerLinked { partner: p },
            note(NoteAbout::DealUpdated),
            note(NoteAbout::Info),
        ]
    }

    #[test]
    fn every_notice_kind_survives_the_outbox_and_renders_for_slack() {
        let r = renderer();
        for notice in every_kind() {
            let stored = serde_json::to_string(&notice).expect("serialises");
            let read: Notice = serde_json::from_str(&stored).expect("deserialises");
            assert_eq!(read, notice);
            let rendered = render(&r, &read).expect("renders");
            assert!(rendered.is_object(), "{notice:?} renders to an object");
        }
    }

    #[test]
    fn notices_render_as_the_renderer_words_them() {
        let (r, d) = (renderer(), deal(DealStatus::Approved));
        let card = Notice::ReviewCard {
            deal: d.clone(),
            partner: partner(1),
            matches: vec![matched()],
            rule: None,
        };
        let direct = r.review_card(&d, &partner(1), &[MatchView::from(&matched())], None);
        assert_eq!(render(&r, &card).expect("card"), direct.expect("direct"));
        let note = Notice::Note {
            about: NoteAbout::CommissionPaid,
            by: None,
            text: "paid".into(),
        };
        assert_eq!(
            render(&r, &note).expect("note"),
            r.notice(":moneybag:", "paid").expect("direct")
        );
    }

    #[test]
    fn a_notice_that_shows_an_image_names_the_pending_upload_in_its_image_block() {
        let r = renderer();
        for notice in every_kind() {
            let rendered = render(&r, &notice).expect("renders");
            let images: Vec<&Value> = rendered["blocks"]
                .as_array()
                .into_iter()
                .flatten()
                .filter(|b| b["type"] == "image")
                .collect();
            match upload_of(&notice) {
                Some(upload) => {
                    assert_eq!(images.len(), 1, "{notice:?}");
                    assert_eq!(images[0]["slack_file"]["id"], PENDING_FILE);
                    assert_eq!(images[0]["alt_text"], upload.alt_text.as_str());
                    assert_eq!(upload.png_base64, "iVBORw0KGgo=");
                }
                None => assert!(images.is_empty(), "{notice:?}"),
            }
        }
    }

    #[test]
    fn advice_names_what_to_do_for_each_common_refusal() {
        assert!(advice("not_in_channel", "C1").contains("/invite"));
        assert!(advice("user_not_in_channel", "C1").contains("/partners admins"));
        assert!(advice("missing_scope", "C1").contains("manifest.yaml"));
        assert!(advice("invalid_blocks", "C1").contains("bug"));
        assert!(advice("no_conversation_reference: 19:x@thread.tacv2", "C1").contains("install"));
    }
}
