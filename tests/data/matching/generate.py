#!/usr/bin/env python3
"""Deterministic generator of the matching evaluation (issue 13).

Source: ieee_companies.tsv.gz, the organisation names and countries of the IEEE Registration
Authority's public listings (MA-L, MA-M, MA-S, IAB) as shipped by Debian's `ieee-data` package
(version 20220827.1). See SOURCES.md for the licence and how that file was extracted.

Writes, next to this script:
- eval_book.csv     20,000 real company records (the book the bot holds), 30 % with a domain.
- eval_pairs.csv    labelled pairs (incoming, book record), split dev/test by company:
                    variations of a record (same=1) and hard negatives (same=0).
- eval_queries.csv  incoming registrations against the whole book, split dev/test: variations of
                    book records (answer = the record's id) and real companies not in the book.

Run: python3 tests/data/matching/generate.py   (no dependencies; the output is byte-identical
on every run).
"""

import csv
import gzip
import hashlib
import os
import random
import re
import unicodedata
from collections import Counter, defaultdict

HERE = os.path.dirname(os.path.abspath(__file__))
SEED = 13
BOOK_SIZE = 20000
PAIRS_PER_KIND = {"pos": 250, "neg": 450}
QUERIES_PER_SPLIT = 1000

LEGAL = {
    "inc", "incorporated", "corp", "corporation", "co", "company", "ltd", "limited", "llc",
    "gmbh", "ag", "sa", "sas", "srl", "spa", "bv", "nv", "ab", "oy", "oyj", "as", "asa", "pty",
    "plc", "kg", "sarl", "kk", "sro", "sp", "z", "oo", "pte", "bhd", "sdn", "ltda", "lda", "aps",
    "se", "llp", "lp", "cv", "de", "s", "a", "ug", "ohg", "mbh", "doo", "ooo", "jsc", "zrt",
    "kft", "spol", "pvt", "private", "sti",
}
GENERIC = {
    # Turkish "industry and trade" ("Sanayi ve Ticaret", "San. Tic.") and the usual "Comm."
    "sanayi", "san", "ticaret", "tic", "ve", "comm",
    "technology", "technologies", "tech", "systems", "system", "solutions", "solution",
    "electronics", "electronic", "electric", "electrical", "communications", "communication",
    "networks", "network", "networking", "industries", "industrial", "industry", "engineering",
    "consulting", "services", "service", "software", "semiconductor", "semiconductors",
    "innovations", "innovation", "motors", "aerospace", "manufacturing", "products", "product",
    "instruments", "instrument", "devices", "device", "digital", "labs", "lab", "laboratories",
    "laboratory", "research", "medical", "energy", "security", "automation", "controls",
    "control", "design", "designs", "data", "media", "wireless", "telecom", "telecommunications",
    "microelectronics", "optoelectronics", "precision", "computer", "computers", "computing",
    "power", "intelligent", "smart", "information", "science", "sciences", "trading",
    "development", "international", "global", "group", "holdings", "holding", "enterprises",
    "enterprise", "worldwide", "equipment", "machinery", "robotics", "photonics", "optical",
    "optics", "audio", "video", "imaging", "display", "lighting", "materials", "components",
    "internet", "cloud", "mobile", "info", "intelligence", "instrumentation", "telecommunication",
    "corporate", "partners", "associates", "and", "the", "of", "works", "america", "usa",
    "europe", "asia", "japan", "china", "korea", "germany", "co", "science", "applied",
    "advanced", "integrated", "micro", "microsystems", "logic", "sensors", "sensor", "vision",
    "auto", "automotive", "health", "healthcare", "biotech", "pharma", "shenzhen", "beijing",
    "shanghai", "guangzhou", "hangzhou", "suzhou", "xiamen", "dongguan", "zhejiang", "jiangsu",
    "ningbo", "wuhan", "chengdu", "tianjin", "qingdao", "taiwan", "hong", "kong", "technical",
}
ABBREVIATIONS = {
    "systems": ["Sys", "Syst."], "technologies": ["Tech", "Technol.", "Techs"],
    "technology": ["Tech", "Technol."], "international": ["Intl", "Int'l", "Internat."],
    "manufacturing": ["Mfg", "Mfg."], "services": ["Svcs", "Svc"], "equipment": ["Equip."],
    "electronics": ["Elec.", "Electr."], "electronic": ["Elec."],
    "communications": ["Comms", "Commun."], "corporation": ["Corp"], "company": ["Co"],
    "laboratories": ["Labs", "Lab."], "engineering": ["Eng.", "Engr."],
    "industries": ["Inds", "Ind."], "industrial": ["Ind."], "products": ["Prods", "Prod."],
    "instruments": ["Instr.", "Instrs"], "development": ["Dev.", "Devel."],
    "semiconductor": ["Semi", "Semicond."], "semiconductors": ["Semi", "Semicond."],
    "management": ["Mgmt", "Mgt."], "associates": ["Assoc."], "networks": ["Netw.", "Nets"],
    "solutions": ["Soln", "Sol."], "information": ["Info", "Inf."], "automation": ["Autom."],
    "incorporated": ["Inc"], "limited": ["Ltd"], "brothers": ["Bros"], "national": ["Natl"],
    "department": ["Dept"], "enterprises": ["Ent.", "Ents"], "group": ["Grp"],
    "holdings": ["Hldgs"], "medical": ["Med."], "research": ["Res."], "microsystems": ["Microsys"],
}
COUNTRY_FORMS = {
    "US": ["Inc.", "Inc", "Corporation", "Corp.", "LLC", "Incorporated"],
    "GB": ["Ltd", "Limited", "PLC"], "DE": ["GmbH", "AG", "GmbH & Co. KG"],
    "FR": ["SAS", "S.A.", "SARL"], "IT": ["S.p.A.", "S.r.l."], "NL": ["B.V.", "N.V."],
    "SE": ["AB"], "FI": ["Oy"], "JP": ["K.K.", "Co., Ltd."], "CN": ["Co., Ltd.", "Co.,Ltd"],
    "AU": ["Pty Ltd"], "CH": ["AG", "SA"], "ES": ["S.L.", "S.A."], "BR": ["Ltda"],
    "SG": ["Pte. Ltd."], "KR": ["Co., Ltd."], "IN": ["Pvt. Ltd.", "Limited"],
    "CA": ["Inc.", "Ltd."], "IE": ["Limited", "DAC"], "PL": ["Sp. z o.o."], "DK": ["A/S", "ApS"],
}
REGIONS = {
    "US": ["USA", "(North America)", "America", "US"], "GB": ["UK", "(UK)", "Europe"],
    "DE": ["Deutschland", "Germany", "(Europe)"], "FR": ["France", "(France)"],
    "IT": ["Italia", "Italy"], "NL": ["Nederland", "Netherlands", "Benelux"],
    "SE": ["Sverige", "Sweden", "Nordic"], "JP": ["Japan", "(Japan)"],
    "CN": ["(Shanghai)", "(Shenzhen)", "China", "(Beijing)", "(Suzhou)"], "AU": ["Australia"],
    "CH": ["Schweiz", "Switzerland"], "ES": ["Espana", "Iberia"], "BR": ["Brasil", "do Brasil"],
    "SG": ["Singapore", "Asia Pacific", "APAC"], "KR": ["Korea"], "IN": ["India", "(India)"],
    "CA": ["Canada", "(Canada)"], "IE": ["Ireland", "EMEA"], "PL": ["Polska", "Poland"],
    "DK": ["Danmark", "Denmark"],
}
ALIAS_WORDS = ["Group", "Holdings", "Global", "International", "Enterprises", "Worldwide",
               "Group Holdings", "Global Holdings"]
KEYBOARD = ["qwertyuiop", "asdfghjkl", "zxcvbnm"]


def fold(s):
    return unicodedata.normalize("NFKD", s).encode("ascii", "ignore").decode().lower()


def words(name):
    return [w for w in re.split(r"[^a-z0-9]+", fold(name).replace("&", " and ")) if w]


REGION_WORDS = {w for rs in REGIONS.values() for r in rs for w in words(r)} | {
    "hk", "emea", "europe", "asia", "pacific", "america", "north", "south", "latin", "international",
    "israel", "philippines", "thailand", "vietnam", "malaysia", "indonesia", "mexico", "russia",
    "turkey", "africa", "middle", "east", "austria", "belgium", "norway", "finland", "portugal",
    "czech", "hungary", "romania", "greece", "argentina", "chile", "colombia", "uae", "dubai",
}


ABBREVIATED = {w for vs in ABBREVIATIONS.values() for v in vs for w in words(v)}


def core(name):
    """The name without legal forms, for deduplication and labelling (not the matcher's)."""
    ws = words(name)
    while len(ws) > 1 and ws[-1] in LEGAL:
        ws.pop()
    return ws


def key(name):
    """Near-duplicates of one company share this key: no legal forms, generic words, regional
    qualifiers or plural s ("Vodafone Italia S.p.A." and "Vodafone UK" are one company)."""
    c = core(name)
    kept = [w.rstrip("s") for i, w in enumerate(c)
            if w not in GENERIC and w not in LEGAL and w not in ABBREVIATIONS
            and w not in ABBREVIATED and (i == 0 or w not in REGION_WORDS)]
    # Spaces do not make another company ("ForoTel" / "Foro Tel").
    return "".join(kept) or "".join(c)


def split_of(k):
    return "dev" if hashlib.sha1(k.encode()).digest()[0] % 2 == 0 else "test"


def neighbours(c):
    for row_i, row in enumerate(KEYBOARD):
        i = row.find(c)
        if i >= 0:
            out = [row[j] for j in (i - 1, i + 1) if 0 <= j < len(row)]
            for r2 in (row_i - 1, row_i + 1):
                if 0 <= r2 < len(KEYBOARD) and i < len(KEYBOARD[r2]):
                    out.append(KEYBOARD[r2][i])
            return out
    return [c]


def typo(word, rng, edits):
    w = word
    for _ in range(edits):
        i = rng.randrange(1, len(w) - 1)
        kind = rng.choice(["sub", "del", "ins", "swap"])
        lower = w[i].lower()
        if kind == "sub" and lower.isalpha():
            c = rng.choice(neighbours(lower))
            w = w[:i] + (c.upper() if w[i].isupper() else c) + w[i + 1:]
        elif kind == "del":
            w = w[:i] + w[i + 1:]
        elif kind == "ins" and lower.isalpha():
            w = w[:i] + rng.choice(neighbours(lower)) + w[i:]
        elif i + 1 < len(w):
            w = w[:i] + w[i + 1] + w[i] + w[i + 2:]
    return w


def split_name(name):
    """(words of the name before its legal form, the legal form text)."""
    toks = name.replace(",", " ,").split()
    i = len(toks)
    while i > 1 and all(w in LEGAL for w in words(toks[i - 1])) and words(toks[i - 1]):
        i -= 1
    body = [t for t in toks[:i] if t != ","]
    legal = " ".join(t for t in toks[i:] if t != ",")
    return body, legal


def join(body, legal):
    return " ".join(body + ([legal] if legal else []))


class Gen:
    def __init__(self, companies):
        self.companies = companies  # [(name, country)]
        self.df = Counter()
        self.first = Counter()
        for name, _ in companies:
            ws = set(core(name))
            self.df.update(ws)
            c = core(name)
            if c:
                self.first[c[0]] += 1

    def rare_head(self, w):
        """A first word at most two companies of the list start with."""
        return self.first[w] <= 2 and w not in GENERIC and len(w) >= 3

    def rare(self, w):
        return self.df[w] <= 2 and w not in GENERIC and len(w) >= 3

    # Each variation returns the incoming name (and domain) or None when it does not apply.
    def short(self, name, country, rng):
        c = core(name)
        if len(c) >= 2 and self.rare(c[0]) and all(w in GENERIC for w in c[1:]):
            body, _ = split_name(name)
            form = rng.choice(["", "", rng.choice(COUNTRY_FORMS.get(country, ["Inc"]))])
            return join(body[:1], form)
        return None

    def regional(self, name, country, rng):
        body, legal = split_name(name)
        where = rng.choice(sorted(REGIONS))
        form = rng.choice(COUNTRY_FORMS.get(where, ["Ltd"]) + ([legal] if legal else []))
        return join(body + [rng.choice(REGIONS[where])], form)

    def abbreviation(self, name, country, rng):
        body, legal = split_name(name)
        spots = [i for i, w in enumerate(body) if fold(w).strip(".,") in ABBREVIATIONS]
        if spots:
            i = rng.choice(spots)
            body = body[:i] + [rng.choice(ABBREVIATIONS[fold(body[i]).strip(".,")])] + body[i + 1:]
            return join(body, legal)
        if len(body) >= 2 and len(body[-1]) >= 5 and body[-1].isalpha():
            return join(body[:-1] + [body[-1][: -rng.choice([1, 2])]], legal)
        return None

    def typo(self, name, country, rng):
        body, legal = split_name(name)
        spots = [i for i, w in enumerate(body) if len(w) >= 5 and w.isalpha()
                 and fold(w) not in GENERIC]
        if not spots:
            return None
        i = rng.choice(spots)
        edits = 2 if len(body[i]) >= 8 and rng.random() < 0.5 else 1
        body = body[:i] + [typo(body[i], rng, edits)] + body[i + 1:]
        return join(body, legal)

    def alias(self, name, country, rng):
        body, legal = split_name(name)
        word = rng.choice(ALIAS_WORDS)
        if rng.random() < 0.5:
            return join(body + [word], legal)
        return join(body + [word], rng.choice(sum(COUNTRY_FORMS.values(), [])))

    def legal_form(self, name, country, rng):
        body, legal = split_name(name)
        others = [f for c, fs in sorted(COUNTRY_FORMS.items()) if c != country for f in fs]
        form = rng.choice([f for f in others if fold(f) != fold(legal)])
        return join(body, form)

    def spacing(self, name, country, rng):
        body, legal = split_name(name)
        choice = rng.randrange(4)
        if choice == 0 and len(body) >= 2:
            i = rng.randrange(len(body) - 1)
            return join(body[:i] + [body[i] + body[i + 1]] + body[i + 2:], legal)
        camel = [i for i, w in enumerate(body) if re.search(r"[a-z][A-Z]", w)]
        if choice == 1 and camel:
            i = camel[0]
            return join(body[:i] + [re.sub(r"([a-z])([A-Z])", r"\1 \2", body[i])] + body[i + 1:], legal)
        if choice == 2 and len(body) >= 2:
            return join(["-".join(body)], legal)
        text = join(body, legal)
        return rng.choice([text.upper(), text.lower(), text.replace(".", "").replace(",", "")])

    def acronym(self, name, country, rng):
        c = [w for w in core(name) if w not in ("and", "of", "the")]
        if 3 <= len(c) <= 4 and all(w.isalpha() and len(w) >= 2 for w in c):
            acr = "".join(w[0] for w in c)
            tld = {"US": "com", "GB": "co.uk", "DE": "de", "FR": "fr", "JP": "co.jp"}.get(country, "com")
            return acr.upper(), f"{acr}.{tld}"
        return None

    def combination(self, name, country, rng):
        steps = [self.short, self.abbreviation, self.typo, self.legal_form, self.alias, self.spacing]
        out = name
        applied = 0
        for f in rng.sample(steps, 3):
            v = f(out, country, rng)
            if v:
                out, applied = v, applied + 1
        if rng.random() < 0.4:
            out = rng.choice(["The", "The "]) + out
        if rng.random() < 0.3:
            out = out.upper()
        return out if applied >= 2 else None


POSITIVE_KINDS = ["short", "regional", "abbreviation", "typo", "combination", "alias",
                  "legal_form", "spacing", "acronym"]
NEGATIVE_KINDS = ["shared_first_word", "shared_token", "similar_spelling", "same_region",
                  "contained_generic"]


def positive(gen, kind, name, country, rng):
    v = getattr(gen, kind)(name, country, rng)
    if v is None:
        return None
    incoming, domain = v if isinstance(v, tuple) else (v, "")
    if key(incoming) == key(name) and kind not in ("legal_form", "spacing", "regional", "alias") \
            and incoming == name:
        return None
    return incoming, domain


def deletions(w):
    return {w[:i] + w[i + 1:] for i in range(len(w))}


def negatives(gen, pool, others, rng):
    """Hard negatives: (kind, incoming name, existing name) with different companies."""
    by_first = defaultdict(list)
    by_token = defaultdict(list)
    by_del = defaultdict(set)
    for name, country in others:
        c = core(name)
        if c:
            by_first[c[0]].append(name)
            for w in set(c[1:]):
                by_token[w].append(name)
            if len(c[0]) >= 5 and c[0] not in GENERIC:
                for d in deletions(c[0]) | {c[0]}:
                    by_del[d].add(name)
    by_country = defaultdict(list)
    for name, country in others:
        by_country[country].append(name)
    out = defaultdict(list)
    for name, country in pool:
        c = core(name)
        if not c:
            continue
        k = key(name)
        differ = [o for o in by_first.get(c[0], []) if key(o) != k and core(o)[1:] != c[1:]]
        if len(c) >= 2 and gen.first[c[0]] >= 3 and differ:
            out["shared_first_word"].append((rng.choice(differ), name))
        shared = [(w, o) for w in c[1:] for o in by_token.get(w, []) if core(o)[0] != c[0]
                  and key(o) != k]
        if shared:
            out["shared_token"].append((rng.choice(shared)[1], name))
        if len(c[0]) >= 5 and c[0] not in GENERIC:
            near = set()
            for d in deletions(c[0]) | {c[0]}:
                near |= by_del.get(d, set())
            near = sorted(o for o in near if core(o)[0] != c[0] and key(o) != k)
            if near:
                out["similar_spelling"].append((rng.choice(near), name))
        body = split_name(name)[0]
        if (len(body) >= 2 and words(body[0]) == c[:1] and gen.first[c[0]] >= 3
                and c[0] not in LEGAL
                and any(w not in GENERIC and w not in LEGAL and w not in REGION_WORDS
                        for w in c[1:])):
            out["contained_generic"].append((body[0], name))
        same_country = by_country.get(country, []) if country in REGIONS else []
        if same_country:
            o = rng.choice(same_country)
            if key(o) != k:
                region = rng.choice(REGIONS[country])
                b1, l1 = split_name(o)
                b2, l2 = split_name(name)
                out["same_region"].append((join(b1 + [region], l1), join(b2 + [region], l2)))
    return out


def main():
    rng = random.Random(SEED)
    with gzip.open(os.path.join(HERE, "ieee_companies.tsv.gz"), "rt", encoding="utf-8") as f:
        rows = [line.rstrip("\n").split("\t") for line in f if line.strip()]
    seen, companies = set(), []
    for name, country in rows:
        k = key(name)
        # Spaces do not make another company either when the words run together are generic
        # ("Fairy Devices" / "FairyDevices"): the name run together is a second key.
        compact = "c:" + "".join(w.rstrip("s") for w in core(name) if w not in LEGAL)
        if k and k not in seen and compact not in seen and len(k) >= 2:
            seen.update((k, compact))
            companies.append((name, country))
    gen = Gen(companies)
    rng.shuffle(companies)
    book = companies[:BOOK_SIZE]
    outside = companies[BOOK_SIZE:]
    domains = {}
    with open(os.path.join(HERE, "eval_book.csv"), "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["id", "name", "domain", "split"])
        for i, (name, country) in enumerate(book, 1):
            label = "".join(w for w in core(name) if w not in ("and", "the"))[:30]
            tld = {"US": "com", "GB": "co.uk", "DE": "de", "FR": "fr", "JP": "co.jp",
                   "CN": "cn", "KR": "co.kr", "TW": "com.tw"}.get(country, "com")
            domain = f"{label}.{tld}" if rng.random() < 0.3 and label else ""
            domains[name] = domain
            w.writerow([i, name, domain, split_of(key(name))])
    ids = {name: i for i, (name, _) in enumerate(book, 1)}
    book_heads = {core(n)[0] for n, _ in book if core(n)}
    heads = {core(n)[0] for n, _ in companies if core(n)}
    pairs = []
    for split in ("dev", "test"):
        mine = [(n, c) for n, c in book if split_of(key(n)) == split]
        for kind in POSITIVE_KINDS:
            made = 0
            for name, country in rng.sample(mine, len(mine)):
                if made >= PAIRS_PER_KIND["pos"]:
                    break
                v = positive(gen, kind, name, country, rng)
                if v:
                    # The acronym's evidence is its domain: the record has none of its own.
                    pairs.append((split, kind, v[0], v[1], name, "" if kind == "acronym"
                                  else "", 1))
                    made += 1
        everyone = [(n, c) for n, c in companies]
        negs = negatives(gen, rng.sample(mine, len(mine)), everyone, rng)
        for kind in NEGATIVE_KINDS:
            for a, b in negs[kind][: PAIRS_PER_KIND["neg"]]:
                pairs.append((split, kind, a, "", b, "", 0))
    with open(os.path.join(HERE, "eval_pairs.csv"), "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["split", "kind", "name_a", "domain_a", "name_b", "domain_b", "same"])
        w.writerows(pairs)
    with open(os.path.join(HERE, "eval_queries.csv"), "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["split", "kind", "name", "domain", "answer"])
        for split in ("dev", "test"):
            mine = [(n, c) for n, c in book if split_of(key(n)) == split]
            made = 0
            for name, country in rng.sample(mine, len(mine)):
                if made >= QUERIES_PER_SPLIT // 2:
                    break
                kind = rng.choice(POSITIVE_KINDS)
                v = positive(gen, kind, name, country, rng)
                if v and not (kind == "acronym" and domains[name]):
                    # An acronym that is itself how a company of the list is named ("WIZ" with
                    # wiz.com beside the book's "WiZ") is that company as much as the one it
                    # abbreviates: the label would be a guess. The row is left out, the count
                    # kept, so that the other rows stay as they were.
                    if not (kind == "acronym" and v[0].lower() in heads):
                        w.writerow([split, kind, v[0], v[1], ids[name]])
                    made += 1
            # A company outside the book whose distinctive first word (held by at most two
            # companies of the whole list) a book company also starts with is that company's
            # relative ("Amazon Technologies Inc." / "Amazon.com, LLC", "TKH Security S.L.U." /
            # "TKH Security Solutions USA"): neither clearly the same customer nor clearly
            # another, so it is not used as a company the book does not hold.
            new = [(n, c) for n, c in outside if split_of(key(n)) == split
                   and not (core(n) and gen.rare_head(core(n)[0]) and core(n)[0] in book_heads)]
            for name, _ in new[: QUERIES_PER_SPLIT // 2]:
                w.writerow([split, "not_in_book", name, "", ""])


if __name__ == "__main__":
    main()
