"""Word lists and surface-form makers shared by the synthetic domains: people, places, companies.

Every maker takes a `random.Random` and returns one pre-tokenised surface form (tokens separated
by spaces). Several names are deliberately ambiguous across types: "Jordan", "Georgia",
"Washington", "Houston" are both first or last names (PER) and places (LOC).

    person(random.Random(1))  # e.g. "Ingrid de la Cruz"
"""

from __future__ import annotations

import random
from collections.abc import Mapping

from engine.data.builtin.generator import DomainSpec, Maker, slot_type


def words(text: str) -> tuple[str, ...]:
    """A word list written as one space-separated string: words("Oslo Lima") == ("Oslo", "Lima")."""
    return tuple(text.split())


FIRST_NAMES = words(
    "Anna Maria James John Wei Li Fatima Aisha Carlos Diego Sofia Lucas Emma Olivia Noah Liam "
    "Priya Arjun Rahul Yuki Hiroshi Kenji Ingrid Lars Sven Astrid Pierre Claire Hans Greta Omar "
    "Hassan Leila Nadia Ivan Olga Dmitri Tomasz Katarzyna Samuel Grace Daniel Rebecca Thomas Helen "
    "Marcus Julia Elena Pablo Lucia Mei Jin Kwame Amara Chidi Ngozi Tariq Zara Mateo Valentina "
    "Felix Nora Oscar Ruth Isaac Miriam David Sarah Michael Laura Peter Kate Robert Alice Jordan "
    "Georgia Victoria Austin Florence Sydney Madison Dallas Savannah Chelsea"
)
LAST_NAMES = words(
    "Smith Johnson Garcia Martinez Nguyen Kim Park Chen Wang Zhang Liu Singh Patel Sharma Khan "
    "Ahmed Okafor Mensah Adeyemi Mwangi Kowalski Nowak Horvat Petrov Ivanova Mueller Schmidt "
    "Fischer Weber Dubois Laurent Moreau Rossi Bianchi Romano Silva Santos Oliveira Costa "
    "Lindqvist Andersson Nilsson Hansen Larsen Virtanen O'Brien Murphy Kelly Walsh MacLeod "
    "Campbell Stewart Tanaka Suzuki Sato Yamamoto Takahashi Cohen Levi Friedman Haddad Nasser "
    "Rahman Hughes Evans Brooks Carter Bennett Foster Reyes Ortiz Alvarez Torres Chapman Fletcher "
    "Kaur Das Mehta Osei Boateng Washington Lincoln Houston Jordan London Ford"
)
PARTICLE_NAMES = (
    "de la Cruz",
    "van der Berg",
    "van Dijk",
    "de Souza",
    "da Silva",
    "di Marco",
    "von Hagen",
    "bin Salleh",
    "al-Rashid",
    "Le Roux",
)

CITIES = words(
    "London Paris Berlin Madrid Lisbon Rome Vienna Prague Warsaw Oslo Stockholm Helsinki Dublin "
    "Edinburgh Manchester Lagos Nairobi Accra Cairo Tunis Mumbai Chennai Dhaka Karachi Tokyo "
    "Osaka Seoul Beijing Shanghai Jakarta Manila Hanoi Sydney Melbourne Perth Auckland Toronto "
    "Montreal Vancouver Chicago Boston Houston Dallas Austin Denver Seattle Atlanta Lima Bogota "
    "Santiago Quito Havana Washington Victoria"
) + (
    "New York",
    "Los Angeles",
    "San Francisco",
    "Rio de Janeiro",
    "Buenos Aires",
    "Mexico City",
    "Cape Town",
    "Hong Kong",
    "Kuala Lumpur",
    "Tel Aviv",
    "Abu Dhabi",
    "New Delhi",
    "Sao Paulo",
    "Ho Chi Minh City",
    "St. Petersburg",
)
REGIONS = words(
    "France Germany Spain Italy Poland Norway Kenya Ghana Nigeria Egypt India Japan Brazil Chile "
    "Peru Canada Mexico Australia Jordan Georgia Turkey Chad Niger Bavaria Catalonia Queensland "
    "Tasmania Patagonia Siberia Ontario Texas Florida Scotland Wales"
) + (
    "New Zealand",
    "South Africa",
    "Sri Lanka",
    "Costa Rica",
    "Saudi Arabia",
    "United States",
    "United Kingdom",
    "Czech Republic",
    "North Macedonia",
    "Papua New Guinea",
    "New South Wales",
    "British Columbia",
)
TOWN_STEMS = words(
    "Ash Brook Kings Elm Stone Oak Wolver Cran Marl Thorn Ever Glen Fair Red Silver Bright Hazel "
    "Lang Mill Bram Wick Hollow Black Castle Dun Fern Gold Har Kel Lin Mor Pen Ros Tarn Wester"
)
TOWN_SUFFIXES = words("ford field ton bury wick dale mouth stead haven port ville borough ley more")
TOWN_WRAPS = ("New {}", "Port {}", "Lake {}", "Mount {}", "North {}", "{} Springs", "{} Falls")

ORG_STEMS = words(
    "Kestrel Northwind Bluepeak Vantage Orion Halcyon Meridian Ironwood Sterling Apex Crescent "
    "Granite Pinnacle Atlas Beacon Cobalt Harbor Redwood Silverline Evergreen Falcon Lighthouse "
    "Polaris Quarry Riverside Sapphire Tidewater Vertex Westbrook Zephyr Aurora Borealis Cedar "
    "Dunmore Fairhaven Greystone Highgate Juniper Keystone Larkspur Monarch Nexus Oakridge "
    "Pemberton Quantum Rosewood Solstice Trident Upland Valiant Whitmore"
)
CORP_SUFFIXES = words(
    "Holdings Group Capital Partners Industries Systems Technologies Energy Motors Airlines "
    "Logistics Foods Media Insurance Mining Telecom Robotics Ventures Securities Shipping"
)
LEGAL_FORMS = ("Inc.", "Ltd", "plc", "AG", "Corp.", "S.A.", "LLC")

DAYS = words("Monday Tuesday Wednesday Thursday Friday Saturday Sunday")
MONTHS = tuple(
    words("January February March April May June July August September October November December")
)
YEARS = tuple(str(year) for year in range(1995, 2026))
NUMBERS = tuple(str(n) for n in (*range(2, 40), 45, 50, 60, 75, 80, 90, 120, 150, 200, 300))
COMMON_FILLERS = {"day": DAYS, "month": MONTHS, "year": YEARS, "num": NUMBERS}


def person(rng: random.Random) -> str:
    """A person's name: first + last, with a middle initial, a particle, or the surname alone."""
    first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
    r = rng.random()
    if r < 0.6:
        return f"{first} {last}"
    if r < 0.72:
        return f"{first} {rng.choice('ABCDEFGHJKLMNPRSTW')}. {last}"
    if r < 0.84:
        return f"{first} {rng.choice(PARTICLE_NAMES)}"
    if r < 0.93:
        return last
    return f"{first} {last}-{rng.choice(LAST_NAMES)}"


def town(rng: random.Random) -> str:
    """An invented town such as "Ashford" or "Lake Marlbury"."""
    name = rng.choice(TOWN_STEMS) + rng.choice(TOWN_SUFFIXES)
    return rng.choice(TOWN_WRAPS).format(name) if rng.random() < 0.35 else name


def place(rng: random.Random) -> str:
    """A city, country or region, real or an invented town."""
    r = rng.random()
    if r < 0.4:
        return town(rng)
    return rng.choice(CITIES) if r < 0.75 else rng.choice(REGIONS)


def company(rng: random.Random) -> str:
    """A company: "Kestrel Holdings", "Apex Energy plc", "Bank of Lisbon", "Hughes & Carter"."""
    r = rng.random()
    if r < 0.55:
        name = f"{rng.choice(ORG_STEMS)} {rng.choice(CORP_SUFFIXES)}"
        return f"{name} {rng.choice(LEGAL_FORMS)}" if rng.random() < 0.3 else name
    if r < 0.7:
        return f"Bank of {rng.choice(CITIES)}"
    if r < 0.85:
        return f"{rng.choice(LAST_NAMES)} & {rng.choice(LAST_NAMES)}"
    letters = "".join(rng.choice("ABCDEFGHKLMNPRSTVX") for _ in range(3))
    return f"{letters} {rng.choice(CORP_SUFFIXES)}"


def english_domain(
    name: str,
    templates: tuple[str, ...],
    makers: Mapping[str, Maker],
    anchors: Mapping[str, tuple[str, ...]],
    fillers: Mapping[str, tuple[str, ...]] | None = None,
) -> DomainSpec:
    """An English domain's spec: people made by `person` (PER comes first), the common fillers
    (day, month, year, num) before its own, and its entity types those of its makers, in order
    (a variant such as "ORG:club" adds none)."""
    makers = {"PER": person, **makers}
    types = tuple(dict.fromkeys(slot_type(key) for key in makers))
    fillers = {**COMMON_FILLERS, **(fillers or {})}
    return DomainSpec(name, types, templates, makers, anchors, fillers)
