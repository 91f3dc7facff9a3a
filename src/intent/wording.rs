//! How a refused command reads, on any platform: each [`Refusal`] worded with the command that
//! fixes it, and the help intro for a sub-command the bot does not know. The sentences are the
//! same everywhere; a [`Syntax`] says how the platform writes a command (Slack: `` `/deal
//! show D-42` ``; Teams, where commands are typed to the bot: **deal show D-42**) and how text
//! the person typed is made safe in the platform's markup.

use super::{ButtonRefusal, DealCommand, Listing, Refusal, Unknown};
use crate::domain::DealError;

/// How one platform writes commands and quotes what people typed.
#[derive(Debug, Clone, Copy)]
pub struct Syntax {
    /// What comes before a command family's name (`/` for slash commands, nothing when the
    /// command is typed to the bot).
    pub prefix: &'static str,
    /// A literal command or keyword as the platform shows code (markup included).
    pub code: fn(&str) -> String,
    /// Text the person typed, made to show as typed in the platform's markup.
    pub user: fn(&str) -> String,
    /// A word in bold, in the platform's markup (escaped like `user`).
    pub strong: fn(&str) -> String,
}

/// How naming a partner's admins is written.
const ADMINS_USAGE: &str = "partners admins P-3 @alice @bob";

/// The words of the command that does what `hint` suggests (`deal list open page 3`), for
/// each platform to write as its command.
pub fn hint_words(hint: crate::service::Hint) -> String {
    use crate::domain::deal::DealFilter;
    match hint {
        crate::service::Hint::ListDeals { filter, page } => {
            let kind = match filter {
                DealFilter::All => "",
                DealFilter::Open => "open ",
                DealFilter::Expiring => "expiring ",
                DealFilter::Won => "won ",
            };
            format!("deal list {kind}page {page}")
        }
        crate::service::Hint::NameAdmins { partner } => format!("partners admins {partner} @user"),
    }
}

/// What a partner is told about their tier, `new` in bold: a promotion, a demotion, or a
/// heads-up that one is coming; the same sentences on every platform.
pub fn tier_words(
    change: (&str, &str),
    direction: crate::notice::TierDirection,
    revenue: &str,
    factor: &str,
    syntax: &Syntax,
) -> String {
    use crate::notice::TierDirection;
    let (old, new) = change;
    let esc = syntax.user;
    let (old, newb, new, revenue, factor) = (
        esc(old),
        (syntax.strong)(new),
        esc(new),
        esc(revenue),
        esc(factor),
    );
    match direction {
        TierDirection::DownNextPeriod => format!("Heads-up: your partner-sourced revenue over the last 12 months ({revenue}) is below the {old} threshold. If it stays there next quarter, your tier becomes {new}."),
        TierDirection::Up => format!("Your partner tier is now {newb} (was {old}), from {revenue} of partner-sourced revenue over the last 12 months. Commissions on your wins now carry a {new} factor of {factor}."),
        TierDirection::Down => format!("Your partner tier is now {newb} (was {old}): partner-sourced revenue over the last 12 months was {revenue}. Commissions carry a {new} factor of {factor}."),
    }
}

/// The managers' tier review, `text`, with a line for each partner (name, id) whose admins
/// were not told for want of any named, and the command that names them; the same sentences
/// on every platform.
pub fn tier_review_words(
    text: &str,
    without_admins: &[crate::notice::PartnerName],
    syntax: &Syntax,
) -> String {
    let mut words = (syntax.user)(text);
    for partner in without_admins {
        let hint = crate::service::Hint::NameAdmins {
            partner: partner.id,
        };
        words.push_str(&format!(
            "\nNo admins named for {} ({}), so nobody there was told: name them with {}",
            (syntax.strong)(&partner.name),
            (syntax.user)(&partner.id.to_string()),
            syntax.command(&hint_words(hint))
        ));
    }
    words
}

/// What a manager is told once a partner's admins are named (`admins`, user ids) or cleared.
pub fn admins_words(partner: &str, id: crate::domain::PartnerId, admins: &[String]) -> String {
    match admins {
        [] => format!("{partner} ({id}) has no admins now: its tier changes go to the managers only."),
        _ => format!(
            "{partner} ({id}) admins: {}. They are told privately, in the partner's channel, about its tier changes.",
            admins.join(", ")
        ),
    }
}

impl Syntax {
    /// `words` of a command (`"deal show D-42"`), written as this platform's command.
    fn command(&self, words: &str) -> String {
        (self.code)(&format!("{}{words}", self.prefix))
    }
}

/// The sentence shown for a refusal, in the platform's markup.
pub fn refusal_text(refusal: &Refusal, s: &Syntax) -> String {
    let user = s.user;
    match refusal {
        // Adapters show these as a list of fields; this is the plain form.
        Refusal::Invalid(errors) => user(&DealError::Invalid(errors.clone()).to_string()),
        Refusal::MissingDeal(DealCommand::Show) => {
            format!("Which deal? Use {}.", s.command("deal show D-42"))
        }
        Refusal::MissingDeal(DealCommand::Extend) => {
            format!("Which deal? Use {}.", s.command("deal extend D-42"))
        }
        Refusal::BadDealId(given) => DealError::BadDealId(user(given)).to_string(),
        Refusal::BadPage { listing, given } => {
            let family = match listing {
                Listing::Deals => "deal",
                Listing::Partners => "partners",
            };
            format!(
                "“{}” is not a page number: try {}",
                user(given),
                s.command(&format!("{family} list page 2"))
            )
        }
        Refusal::UnknownListWord(word) => format!(
            "I can list {}, {} or {} deals, by {}; “{}” is none of those.",
            (s.code)("open"),
            (s.code)("expiring"),
            (s.code)("won"),
            (s.code)("page N"),
            user(word)
        ),
        Refusal::PartnerListUsage => format!("Usage: {}", s.command("partners list [page N]")),
        Refusal::UpdateUsage => format!(
            "Usage: {}",
            s.command("deal update D-42 stage=proposal amount=60000 close=2027-03-31")
        ),
        Refusal::NotKeyValue(word) => format!(
            "I don't understand “{}”: use key=value, e.g. stage=proposal amount=60000",
            user(word)
        ),
        Refusal::UnknownDealField(key) => format!(
            "“{}” is not something a deal has: use stage, amount, currency, close or products",
            user(key)
        ),
        Refusal::PartnerAddUsage => format!(
            "Usage: {}, inside the channel shared with the partner.",
            s.command(
                "partners add <partner name> type=<referral|reseller|technology|service|strategic>"
            )
        ),
        Refusal::CheckUsage => format!("Usage: {}", s.command("partners check <company> [domain]")),
        Refusal::SurveyUsage => format!(
            "Usage: {} or {}",
            s.command("partners survey now"),
            s.command("partners survey results [round]")
        ),
        Refusal::PayUsage => format!("Usage: {}", s.command("partners commissions pay C-12 C-13")),
        Refusal::AdminsUsage => format!("Usage: {}", s.command(ADMINS_USAGE)),
        Refusal::BadPartnerId(given) => format!(
            "“{}” is not a partner id like P-3. Usage: {}",
            user(given),
            s.command(ADMINS_USAGE)
        ),
        Refusal::NoAdmins(partner) => format!(
            "Whom? Name {partner}'s admins: {}",
            s.command(&format!("partners admins {partner} @alice @bob"))
        ),
    }
}

/// The sentence shown for a button or form that could not be read, in the platform's markup.
pub fn button_refusal_text(refusal: &ButtonRefusal, s: &Syntax) -> String {
    match refusal {
        ButtonRefusal::UnknownButton(_) => format!(
            "That button isn't something I can act on (yet). Try {} for what I can do.",
            s.command("deal help")
        ),
        ButtonRefusal::BadDealId(given) => DealError::BadDealId((s.user)(given)).to_string(),
        ButtonRefusal::BadSurveyAnswer => "That answer could not be read.".into(),
        ButtonRefusal::BadFollowup => "That follow-up could not be read.".into(),
    }
}

/// The line above the help for a sub-command nobody defined.
pub fn unknown_intro(unknown: &Unknown, s: &Syntax) -> String {
    let (family, word) = match unknown {
        Unknown::Deal(word) => ("deal", word),
        Unknown::Partners(word) => ("partners", word),
    };
    format!(
        "I don't know “{}{family} {}”. Here is what I can do:",
        s.prefix,
        (s.user)(word)
    )
}

#[cfg(test)]
mod tests {
    use super::hint_words;
    use crate::domain::deal::DealFilter;
    use crate::service::Hint;

    #[test]
    fn hints_are_worded_as_the_commands_that_do_them() {
        let cases = [
            (DealFilter::All, 2, "deal list page 2"),
            (DealFilter::Open, 3, "deal list open page 3"),
            (DealFilter::Expiring, 1, "deal list expiring page 1"),
            (DealFilter::Won, 9, "deal list won page 9"),
        ];
        for (filter, page, want) in cases {
            assert_eq!(hint_words(Hint::ListDeals { filter, page }), want);
        }
    }
}
