"""Synthetic news domain: PER, ORG, LOC, EVENT and NORP (nationalities, religious and political
groups), in wire-story sentences about politics, business, sport and weather.

Hard cases on purpose: "Jordan", "Georgia", "Washington" are people in some sentences and places
in others; "Amazon" is a river basin in some sentences and a company in others; weekdays,
months, "Parliament" and "Prime Minister" are capitalised but tagged O.

    from engine.data.builtin.generator import generate
    generate(SPEC, seed=0)["train"][:3]
"""

from __future__ import annotations

import random

from engine.data.builtin import lexicon as lx
from engine.data.builtin.lexicon import words

NORP = words(
    "French German Spanish Italian Polish Norwegian Kenyan Ghanaian Nigerian Egyptian Indian "
    "Japanese Brazilian Chilean Peruvian Canadian Mexican Australian Jordanian Georgian Turkish "
    "Chinese Korean Vietnamese Swedish Finnish Irish Scottish Dutch Belgian Swiss Austrian Greek "
    "Portuguese Ukrainian Argentine Colombian Cuban Moroccan Ethiopian Somali Pakistani "
    "Bangladeshi Indonesian Filipino Thai Lebanese Emirati Tunisian Danish Icelandic Maltese "
    "Democrats Republicans Catholics Muslims Buddhists Hindus Protestants Socialists Greens"
) + (
    "South Korean",
    "Sri Lankan",
    "South African",
    "Puerto Rican",
    "Costa Rican",
    "Latin American",
    "New Zealand",
    "Saudi",
    "Christian Democrats",
    "Social Democrats",
)
EVENT_PATTERNS = (
    "{city} Marathon",
    "{city} Film Festival",
    "{city} International Film Festival",
    "{city} Open",
    "{region} Grand Prix",
    "{year} {city} Games",
    "{year} World Cup",
    "Hurricane {first}",
    "Battle of {town}",
    "{city} Climate Summit",
    "{city} Book Fair",
    "{city} Jazz Festival",
    "{city} Peace Conference",
    "{stem} Cup",
    "Tour of {region}",
    "{town} Music Festival",
    "{year} Winter Olympics",
)
NEWS_ORG_PATTERNS = ("{city} {paper}", "Ministry of {portfolio}", "{stem} Party", "{club}")
NATURE = words(
    "Nile Danube Mekong Sahara Alps Andes Himalayas Rhine Yukon Serengeti Everglades Pyrenees"
) + ("Congo Basin", "Great Barrier Reef", "Rocky Mountains", "Atacama Desert", "Gobi")
PAPERS = ("Times", "Herald", "Tribune", "Gazette", "Post", "Chronicle", "Courier")
CLUBS = ("United", "City", "FC", "Rovers", "Athletic", "Wanderers")
PORTFOLIOS = ("Defence", "Finance", "Health", "Foreign Affairs", "Education", "Justice")


def event(rng: random.Random) -> str:
    return rng.choice(EVENT_PATTERNS).format(
        city=rng.choice(lx.CITIES),
        region=rng.choice(lx.REGIONS),
        year=rng.choice(lx.YEARS),
        first=rng.choice(lx.FIRST_NAMES),
        town=lx.town(rng),
        stem=rng.choice(lx.ORG_STEMS),
    )


def club(rng: random.Random) -> str:
    """A sports club: "Manchester United", "Ashford Rovers"."""
    home = rng.choice(lx.CITIES) if rng.random() < 0.5 else lx.town(rng)
    return f"{home} {rng.choice(CLUBS)}"


def news_org(rng: random.Random) -> str:
    if rng.random() < 0.4:
        return lx.company(rng)
    return rng.choice(NEWS_ORG_PATTERNS).format(
        city=rng.choice(lx.CITIES),
        paper=rng.choice(PAPERS),
        club=club(rng),
        portfolio=rng.choice(PORTFOLIOS),
        stem=rng.choice(lx.ORG_STEMS),
    )


TEMPLATES = (
    "{PER} was appointed chief executive of {ORG:company} on {day} .",
    "{ORG:company} said on {day} it would cut {num} jobs in {LOC} .",
    "Police in {LOC} arrested {num} people after protests near the {EVENT} .",
    "{NORP} officials met their counterparts in {LOC} ahead of the {EVENT} .",
    '" We are very disappointed , " {PER} told reporters .',
    "The {EVENT} will take place in {LOC} in {month} .",
    "{PER} , who won the {EVENT} in {year} , retired on {day} .",
    "Shares of {ORG:company} fell {num} percent in early trading .",
    "The {NORP} prime minister , {PER} , arrived in {LOC} on {day} .",
    "Thousands of runners took part in the {EVENT} despite heavy rain .",
    "Heavy rain caused flooding across {LOC} and parts of {LOC} .",
    "{LOC} beat {LOC} 2-1 in the final of the {EVENT} .",
    "{ORG:club} coach {PER} said his side had played well .",
    "Officials said the {EVENT} had been postponed until {month} .",
    "The minister said on {day} that talks would resume next week .",
    "Prices rose {num} percent in {month} , the statistics office said .",
    "{PER} of {ORG} said the deal was worth more than expected .",
    "{ORG:company} and {ORG:company} agreed to merge , the companies said in a statement .",
    "According to the {ORG} , {num} people were injured in {LOC} .",
    "{NORP} voters head to the polls on {day} .",
    "The {NORP} government has denied the report .",
    "In {LOC} , {PER} opened a new hospital on {day} .",
    "{PER} will travel to {LOC} next week for the {EVENT} .",
    "Local media reported that {PER} had left {ORG} .",
    "A spokesman for {ORG} declined to comment .",
    "{LOC} has hosted the {EVENT} since {year} .",
    "Tickets for the {EVENT} sold out within hours .",
    "The {EVENT} drew record crowds , organisers said .",
    "{PER} was born in {LOC} in {year} .",
    "{NORP} and {NORP} troops held joint exercises near {LOC} .",
    "The bill was backed by {NORP} lawmakers and opposed by the {ORG} .",
    "Speaking in {LOC} , {PER} called for calm .",
    "{ORG:company} reported a loss for the third quarter .",
    "It was the coldest {month} on record , forecasters said .",
    "Parliament will vote on the budget on {day} .",
    "{PER} scored twice as {ORG:club} beat {ORG:club} on {day} .",
    "{PER} told the {ORG} that {NORP} exports had fallen .",
    "The {EVENT} was cancelled after {ORG} withdrew its support .",
    "Flights between {LOC} and {LOC} were suspended on {day} .",
    "{PER} and {PER} will lead the delegation to {LOC} .",
    "Mr {PER} said the decision was final .",
    "President {PER} visited {LOC} , where {NORP} leaders greeted him .",
    "BREAKING : {num} dead after storm hits {LOC}",
    "Schools in {LOC} will remain closed until {day} .",
    "The {NORP} community in {LOC} marked the anniversary on {day} .",
    "The Prime Minister said on {day} the economy was recovering .",
    "{ORG:company} shares rose after {PER} bought a stake .",
    "Deforestation in the {LOC:nature} rose {num} percent last year .",
    "Scientists flew over the {LOC:nature} on {day} to count the damage .",
    "Organisers of the {EVENT} expect {num} thousand visitors .",
    "Most {NORP} newspapers led with the story on {day} .",
    "lol {PER} at the {EVENT} was something else",
)

SPEC = lx.english_domain(
    "news",
    TEMPLATES,
    makers={
        "ORG": news_org,
        "ORG:company": lx.company,
        "ORG:club": club,
        "LOC": lx.place,
        "LOC:nature": lambda rng: rng.choice(NATURE),
        "EVENT": event,
        "NORP": lambda rng: rng.choice(NORP),
    },
    anchors={
        "PER": ("Jordan", "Washington", "Georgia Evans", "Victoria", "Houston", "Paris Brooks"),
        "ORG": ("United Nations", "European Union", "Red Cross", "NATO", "World Bank", "Reuters"),
        "LOC": ("Jordan", "Washington", "Georgia", "New South Wales", "Houston"),
        "LOC:nature": ("Amazon",),
        "ORG:company": ("Amazon", "Bank of Montreal"),
        "EVENT": ("World Cup", "Summer Olympics", "Tour de France", "Wimbledon"),
        "NORP": ("American", "British", "Russian", "Israeli", "Palestinian"),
    },
)
