//! How a refused command reads in Slack: the shared wording (`intent::wording`) with slash
//! commands in backticks. The texts are what users saw before commands were parsed into
//! intents; the tests pin each one.

use crate::intent::wording::{self, Syntax};
use crate::intent::{ButtonRefusal, Refusal, Unknown};

/// Slack's way of writing commands: slash commands in backticks. User text is kept as typed
/// here: the whole reply is escaped for mrkdwn when it is shown.
pub const SLACK: Syntax = Syntax {
    prefix: "/",
    code: |text| format!("`{text}`"),
    user: str::to_string,
    strong: |text| format!("*{text}*"),
};

/// The sentence shown (as an ephemeral warning) for a refusal.
pub fn refusal_text(refusal: &Refusal) -> String {
    wording::refusal_text(refusal, &SLACK)
}

/// The sentence shown (privately, to the person who clicked) for a button or form that could
/// not be read.
pub fn button_refusal_text(refusal: &ButtonRefusal) -> String {
    wording::button_refusal_text(refusal, &SLACK)
}

/// The line above the help for a sub-command nobody defined.
pub fn unknown_intro(unknown: &Unknown) -> String {
    wording::unknown_intro(unknown, &SLACK)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::intent::{parse, Family};

    fn refused(family: Family, text: &str) -> String {
        match parse(family, text) {
            Err(refusal) => refusal_text(&refusal),
            Ok(intent) => panic!("{family:?} {text} parsed as {intent:?}"),
        }
    }

    /// A one-line registration's field errors are not in this table: they are shown with the
    /// `validation_errors` template (pinned by its snapshot), one line per field.
    #[test]
    fn every_malformed_deal_command_reads_as_before() {
        let cases = [
            ("show", "Which deal? Use `/deal show D-42`."),
            ("extend", "Which deal? Use `/deal extend D-42`."),
            ("show D-x", "“D-x” is not a deal id: use the number shown on the deal, e.g. D-42"),
            ("extend 0", "“0” is not a deal id: use the number shown on the deal, e.g. D-42"),
            ("list page", "“” is not a page number: try `/deal list page 2`"),
            ("list page 0", "“0” is not a page number: try `/deal list page 2`"),
            ("list page x", "“x” is not a page number: try `/deal list page 2`"),
            ("list Closed", "I can list `open`, `expiring` or `won` deals, by `page N`; “closed” is none of those."),
            ("update", "Usage: `/deal update D-42 stage=proposal amount=60000 close=2027-03-31`"),
            ("update nope stage=won", "“nope” is not a deal id: use the number shown on the deal, e.g. D-42"),
            ("update D-1 hello", "I don't understand “hello”: use key=value, e.g. stage=proposal amount=60000"),
            ("update D-1 colour=red", "“colour” is not something a deal has: use stage, amount, currency, close or products"),
        ];
        for (text, expected) in cases {
            assert_eq!(refused(Family::Deal, text), expected, "/deal {text}");
        }
    }

    #[test]
    fn every_malformed_partners_command_reads_as_before() {
        let add = "Usage: `/partners add <partner name> type=<referral|reseller|technology|service|strategic>`, inside the channel shared with the partner.";
        let survey = "Usage: `/partners survey now` or `/partners survey results [round]`";
        let pay = "Usage: `/partners commissions pay C-12 C-13`";
        let cases = [
            ("add Globex", add),
            ("add type=reseller", add),
            ("list 2", "Usage: `/partners list [page N]`"),
            (
                "list page two",
                "“two” is not a page number: try `/partners list page 2`",
            ),
            ("check", "Usage: `/partners check <company> [domain]`"),
            ("survey", survey),
            ("survey later", survey),
            ("commissions", pay),
            ("commissions pay", pay),
            ("commissions pay junk", pay),
        ];
        for (text, expected) in cases {
            assert_eq!(
                refused(Family::Partners, text),
                expected,
                "/partners {text}"
            );
        }
    }

    #[test]
    fn unknown_sub_commands_are_named_above_the_help() {
        assert_eq!(
            unknown_intro(&Unknown::Deal("approve".into())),
            "I don't know “/deal approve”. Here is what I can do:"
        );
        assert_eq!(
            unknown_intro(&Unknown::Partners("pause".into())),
            "I don't know “/partners pause”. Here is what I can do:"
        );
    }
}
