//! Word tables of company-name matching: legal forms by country, noise and corporate words,
//! generic industry words, ordinary words companies are named after, abbreviations and regional
//! qualifiers. Lists of words are kept as text and looked up through sets built once.

use std::collections::{HashMap, HashSet};
use std::sync::OnceLock;

/// Legal forms, as token sequences removed from the end of a name (repeatedly), each with the
/// jurisdiction it belongs to ("" for forms used in many countries, such as Ltd or Co.). Two
/// names whose legal forms belong to different jurisdictions are different legal entities.
pub(super) const LEGAL_SUFFIXES: &[(&[&str], &str)] = &[
    (&["public", "limited", "company"], "uk"),
    (&["gesellschaft", "mit", "beschrankter", "haftung"], "de"),
    (&["sp", "z", "oo"], "pl"),
    (&["sa", "de", "cv"], "mx"),
    (&["s", "de", "rl", "de", "cv"], "mx"),
    (&["sab", "de", "cv"], "mx"),
    (&["societe", "anonyme"], "fr"),
    (&["societa", "per", "azioni"], "it"),
    (&["naamloze", "vennootschap"], "nl"),
    (&["besloten", "vennootschap"], "nl"),
    (&["kabushiki", "kaisha"], "jp"),
    (&["oy", "ab"], "fi"),
    (&["oyj", "abp"], "fi"),
    (&["sa", "nv"], "be"),
    (&["a", "s"], "dk"),
    (&["s", "a"], "fr"),
    (&["pvt", "ltd"], "in"),
    (&["private", "limited"], "in"),
    (&["inc"], "us"),
    (&["incorporated"], "us"),
    (&["corp"], "us"),
    (&["corporation"], "us"),
    (&["llc"], "us"),
    (&["llp"], ""),
    (&["lp"], ""),
    (&["lllp"], "us"),
    (&["pllc"], "us"),
    (&["co"], ""),
    (&["company"], ""),
    (&["cos"], ""),
    (&["ltd"], ""),
    (&["limited"], ""),
    (&["plc"], "uk"),
    (&["gmbh"], "de"),
    (&["ag"], "de"),
    (&["aktiengesellschaft"], "de"),
    (&["se"], ""),
    (&["kg"], "de"),
    (&["kgaa"], "de"),
    (&["ug"], "de"),
    (&["ev"], "de"),
    (&["kommanditgesellschaft"], "de"),
    (&["sa"], "fr"),
    (&["sas"], "fr"),
    (&["sasu"], "fr"),
    (&["sarl"], "fr"),
    (&["sca"], "fr"),
    (&["snc"], "fr"),
    (&["spa"], "it"),
    (&["srl"], "it"),
    (&["sl"], "es"),
    (&["slu"], "es"),
    (&["bv"], "nl"),
    (&["nv"], "nl"),
    (&["vof"], "nl"),
    (&["cv"], "nl"),
    (&["pty"], "au"),
    (&["kk"], "jp"),
    (&["gk"], "jp"),
    (&["yk"], "jp"),
    (&["ltda"], "br"),
    (&["lda"], "pt"),
    (&["sab"], "mx"),
    (&["ab"], "se"),
    (&["aktiebolag"], "se"),
    (&["aktiebolaget"], "se"),
    (&["asa"], "no"),
    (&["as"], "no"),
    (&["aps"], "dk"),
    (&["aktieselskab"], "dk"),
    (&["oy"], "fi"),
    (&["oyj"], "fi"),
    (&["abp"], "fi"),
    (&["osakeyhtio"], "fi"),
    (&["hf"], "is"),
    (&["ehf"], "is"),
    (&["sro"], "cz"),
    (&["kft"], "hu"),
    (&["zrt"], "hu"),
    (&["nyrt"], "hu"),
    (&["doo"], "rs"),
    (&["ooo"], "ru"),
    (&["pjsc"], "ru"),
    (&["jsc"], "ru"),
    (&["ojsc"], "ru"),
    (&["pte"], "sg"),
    (&["bhd"], "my"),
    (&["sdn"], "my"),
    (&["tbk"], "id"),
    (&["fze"], "ae"),
    (&["fzco"], "ae"),
    (&["wll"], "bh"),
    (&["pvt"], "in"),
    (&["dac"], "ie"),
    (&["ek"], "de"),
    (&["sau"], "es"),
];

/// Legal forms written before the name ("Kabushiki Kaisha Toshiba", "PT Astra", "OOO Yandex").
pub(super) const LEGAL_PREFIXES: &[(&[&str], &str)] = &[
    (&["kabushiki", "kaisha"], "jp"),
    (&["telefonaktiebolaget"], "se"),
    (&["koninklijke"], ""),
    (&["pt"], "id"),
    (&["ooo"], "ru"),
    (&["zao"], "ru"),
    (&["oao"], "ru"),
    (&["pao"], "ru"),
];

/// Words that do not distinguish one company from another, removed wherever they stand.
const NOISE: &str = "the and et und y e group groupe gruppe grupo groep gruppo holding holdings \
    international intl worldwide";

/// Corporate words removed after the first word ("Covivio Global", "Acme Enterprises").
const CORPORATE: &str = "global enterprise enterprises corporate";

/// Ordinary words companies are often named after. A name that is only one of these cannot
/// identify a company by itself: without the same registrable domain, such a match stays weak.
const COMMON_WORD_NAMES: &str =
    "advance alliance allied alpha american anchor apex apollo atlantic atlas beacon bridge \
    capital central compass continental cornerstone crown delta dominion dynamic eagle \
    eastern echo elite empire fidelity first frontier fusion gateway general genesis global \
    guardian harbor harbour heritage horizon imperial infinity insight keystone legacy \
    liberty matrix mercury meridian metro national nationwide northern nova omega orion \
    pacific pandora phoenix pinnacle pioneer polaris premier prime progressive puma quantum \
    royal sage southern spectrum standard star summit sun synergy titan united universal \
    vanguard vertex vista western zenith union first national general american standard";

/// Words that say what a company does, not which company it is: agreeing on them is weak
/// evidence whatever the book holds. Canonical forms (after [`canonical`]).
const GENERIC: &str = "technology systems solutions electronics electric electrical \
    communications networks networking industries engineering consulting service software \
    semiconductor innovations innovation motors aerospace manufacturing products instruments \
    devices device digital laboratories research medical energy security automation controls \
    control design designs data media wireless telecom telecommunications microelectronics \
    optoelectronics precision computer computers computing power intelligent smart information \
    science sciences trading development equipment machinery robotics photonics optical optics \
    audio video imaging display lighting materials components internet cloud mobile \
    intelligence instrumentation partners associates works applied advanced integrated micro \
    microsystems logic sensors sensor vision auto automotive health healthcare biotech pharma \
    technical management interactive creative labs studio studios bank capital financial \
    shenzhen beijing shanghai guangzhou hangzhou suzhou xiamen dongguan zhejiang jiangsu ningbo \
    wuhan chengdu tianjin qingdao foshan zhuhai xian nanjing";

/// Abbreviations and variants, each with its canonical word ("Sys" is "systems").
const ABBREVIATIONS: &str = "sys:systems syst:systems system:systems tech:technology \
    techn:technology technol:technology techs:technology technologies:technology \
    technologie:technology teknoloji:technology internat:international mfg:manufacturing \
    manuf:manufacturing svcs:service svc:service services:service equip:equipment \
    elec:electronics electr:electronics electronic:electronics comms:communications \
    commun:communications communication:communications lab:laboratories labs:laboratories \
    laboratory:laboratories engr:engineering inds:industries industry:industries \
    industrial:industries prods:products product:products instr:instruments \
    instrs:instruments instrument:instruments devel:development semi:semiconductor \
    semicond:semiconductor semiconductors:semiconductor mgmt:management mgt:management \
    assoc:associates netw:networks nets:networks network:networks soln:solutions \
    solution:solutions info:information autom:automation bros:brothers natl:national \
    dept:department ents:enterprises enterprise:enterprises grp:group hldgs:holdings \
    microsys:microsystems innovation:innovations co:company corp:corporation";

/// Short abbreviations that are words of their own unless written with a dot ("Sol." but not
/// "Sol"): expanded only then.
const DOTTED_ABBREVIATIONS: &str = "sol:solutions ent:enterprises res:research med:medical \
    dev:development ind:industries eng:engineering inf:information prod:products \
    comm:communications int:international";

/// Regional qualifiers of a subsidiary ("Deutschland", "(Shanghai)", "EMEA"), removed after the
/// first word. Two-word ones are written joined by `_`.
const REGIONS: &str = "usa us uk gb america americas europe european emea apac asia pacific \
    nordic nordics benelux iberia dach latam deutschland germany france italia italy espana \
    spain nederland netherlands holland belgium belgie sverige sweden norge norway danmark \
    denmark suomi finland schweiz suisse switzerland osterreich austria polska poland \
    portugal ireland canada mexico brasil brazil argentina chile colombia peru india china \
    japan nippon korea taiwan singapore malaysia indonesia thailand vietnam philippines \
    australia zealand africa israel turkey russia czech hungary romania greece uae dubai \
    shanghai shenzhen beijing suzhou guangzhou hangzhou tianjin hk international \
    north_america south_america latin_america asia_pacific middle_east hong_kong \
    new_zealand south_africa do_brasil";

fn set(words: &'static str) -> HashSet<&'static str> {
    words.split_whitespace().collect()
}

fn pairs(words: &'static str) -> HashMap<&'static str, &'static str> {
    words
        .split_whitespace()
        .filter_map(|p| p.split_once(':'))
        .collect()
}

macro_rules! lookup {
    ($(#[$doc:meta])* $name:ident, $table:expr, $build:ident, $ty:ty) => {
        $(#[$doc])*
        pub(super) fn $name() -> &'static $ty {
            static CELL: OnceLock<$ty> = OnceLock::new();
            CELL.get_or_init(|| $build($table))
        }
    };
}

lookup!(/// Noise words.
    noise, NOISE, set, HashSet<&'static str>);
lookup!(/// Corporate words.
    corporate, CORPORATE, set, HashSet<&'static str>);
lookup!(/// Ordinary words companies are named after.
    common_words, COMMON_WORD_NAMES, set, HashSet<&'static str>);
lookup!(/// Generic industry words.
    generic, GENERIC, set, HashSet<&'static str>);
lookup!(/// Abbreviations to canonical words.
    abbreviations, ABBREVIATIONS, pairs, HashMap<&'static str, &'static str>);
lookup!(/// Dotted abbreviations to canonical words.
    dotted_abbreviations, DOTTED_ABBREVIATIONS, pairs, HashMap<&'static str, &'static str>);
lookup!(/// Regional qualifiers.
    regions, REGIONS, set, HashSet<&'static str>);

/// The canonical form of a word: its abbreviation or variant expanded, else itself.
pub(super) fn canonical(word: &str) -> &str {
    abbreviations().get(word).copied().unwrap_or(word)
}
