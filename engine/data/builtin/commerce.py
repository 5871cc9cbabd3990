"""Synthetic commerce domain: PER, ORG, LOC, PRODUCT, MONEY and BRAND, in earnings news, shop
notices and customer reviews.

Hard cases on purpose: a BRAND often sits right before a PRODUCT ("the Lumora Pulse 7 Pro");
"Amazon" is a company here and a place in the news domain, "Mercury" a brand here and a chemical
in science; "USB-C", "OLED", "Wi-Fi 7", "CEO" and "Q3" are capitalised but tagged O; some
reviews are written fully lower-case.

    from engine.data.builtin.generator import generate
    generate(SPEC, seed=0)["train"][:3]
"""

from __future__ import annotations

import random

from engine.data.builtin import lexicon as lx
from engine.data.builtin.lexicon import words

PRODUCT_LINES = words(
    "Galaxy Pixel Aero Vista Nimbus Pulse Terra Volt Echo Horizon Falcon Nova Orbit Aria Spark "
    "Vector Titan Glide Arc Comet Prism Fusion Swift Onyx"
)
PRODUCT_VARIANTS = words("Ultra Pro Max Lite Plus Mini Air Neo SE XL")
BRAND_HEADS = words(
    "Lum Zen Vel Kor Tav Quin Bri Sol Dax Fen Hal Lix Ner Pol Rav Sev Tor Vio Yar Zol"
)
BRAND_TAILS = words("ora tro ix ano elle ify aro en ova ex ina umi ax eo")
BRAND_ADJECTIVES = words("Blue Golden Silver Green Little Happy Urban Wild Pure Northern")
BRAND_NOUNS = words("Harbor Fields Valley Peak Leaf River Fox Bee Stone Meadow")
CURRENCY_WORDS = ("dollars", "euros", "pounds", "yen", "rupees", "francs")
SCALES = ("million", "billion")


def product(rng: random.Random) -> str:
    """A product line plus a model number and maybe a variant: "Pulse 7 Pro", "Nova X52"."""
    line = rng.choice(PRODUCT_LINES)
    r = rng.random()
    if r < 0.4:
        model = f"{rng.choice('ASXZMG')}{rng.randint(2, 60)}"
    elif r < 0.8:
        model = str(rng.choice((rng.randint(2, 15), rng.randint(2, 9) * 100)))
    else:
        model = f"Mk {rng.choice(('II', 'III', 'IV', 'V'))}"
    variant = f" {rng.choice(PRODUCT_VARIANTS)}" if rng.random() < 0.45 else ""
    return f"{line} {model}{variant}"


def brand(rng: random.Random) -> str:
    if rng.random() < 0.75:
        return rng.choice(BRAND_HEADS) + rng.choice(BRAND_TAILS)
    return f"{rng.choice(BRAND_ADJECTIVES)} {rng.choice(BRAND_NOUNS)}"


def price(rng: random.Random) -> str:
    """A shop price: "$ 49.99", "€ 1,299", "350 euros", "99 cents"."""
    r = rng.random()
    if r < 0.3:
        value = f"{rng.randint(1, 999)}.{rng.choice(('99', '95', '49', '50', '00'))}"
    elif r < 0.55:
        value = str(rng.randint(5, 999))
    elif r < 0.95:
        value = f"{rng.randint(1, 4)},{rng.randint(0, 9)}{rng.choice(('99', '49', '00'))}"
    else:
        return f"{rng.randint(5, 99)} cents"
    if rng.random() < 0.7:
        return f"{rng.choice(('$', '€', '£', 'US$', 'A$'))} {value}"
    return f"{value} {rng.choice(CURRENCY_WORDS)}"


def money(rng: random.Random) -> str:
    """A corporate sum: "$ 4.5 million", "€ 1.2 billion", "120,000 euros"."""
    scale = rng.choice(SCALES)
    value = (
        str(rng.randint(2, 900))
        if rng.random() < 0.5
        else f"{rng.randint(1, 99)}.{rng.randint(1, 9)}"
    )
    if rng.random() < 0.75:
        return f"{rng.choice(('$', '€', '£', 'US$'))} {value} {scale}"
    if rng.random() < 0.5:
        return f"{value} {scale} {rng.choice(CURRENCY_WORDS)}"
    return f"{rng.randint(10, 990)},000 {rng.choice(CURRENCY_WORDS)}"


def commerce_org(rng: random.Random) -> str:
    if rng.random() < 0.75:
        return lx.company(rng)
    return f"{rng.choice(lx.ORG_STEMS)} {rng.choice(('Retail', 'Stores', 'Outlet', 'Brands'))}"


TEMPLATES = (
    "{ORG} reported revenue of {MONEY} for the {quarter} .",
    "The {PRODUCT} will retail for {MONEY:price} when it launches in {month} .",
    "{BRAND} unveiled the {PRODUCT} at an event in {LOC} .",
    "{PER} , chief executive of {ORG} , said sales rose {num} % .",
    "I bought the {PRODUCT} for {MONEY:price} and the battery died after a week .",
    "{ORG} agreed to buy {ORG} for {MONEY} .",
    "The new {BRAND} {PRODUCT} comes with {feature} and a larger battery .",
    "{BRAND} sneakers are now sold in {num} stores across {LOC} .",
    "Shipping to {LOC} costs {MONEY:price} per order .",
    "{ORG} opened its first store in {LOC} on {day} .",
    "Customers complained that the {PRODUCT} overheats .",
    "Is the {PRODUCT} worth {MONEY:price} ? Honestly , yes .",
    "{PER} , who founded {BRAND} in {year} , stepped down on {day} .",
    "Prices start at {MONEY:price} for the base model .",
    "The company did not disclose the price on {day} .",
    "Free shipping on all orders this {day} !",
    "{ORG} cut the price of the {PRODUCT} by {MONEY:price} .",
    "Analysts at {ORG} expect {BRAND} to sell {num} million units .",
    "The {PRODUCT} is made in {LOC} by {ORG} .",
    "{BRAND} and {BRAND} are the top-selling brands in {LOC} .",
    "A {BRAND} spokesperson said the recall affects {num} units .",
    "Sales at {ORG} fell to {MONEY} in the {quarter} .",
    "{PER} paid {MONEY:price} for a limited edition {PRODUCT} .",
    "{ORG} raised {MONEY} in a funding round led by {ORG} .",
    "The warehouse in {LOC} employs {num} people .",
    "Our review : the {PRODUCT} is fast but pricey .",
    "{BRAND} will open a flagship store in {LOC} in {month} .",
    "Returns are accepted within {num} days of purchase .",
    "{PER} joined {ORG} as head of sales in {year} .",
    "The {PRODUCT} supports {feature} out of the box .",
    "{BRAND} shoes cost about {MONEY:price} in {LOC} .",
    "Weekend deal : {PRODUCT} down to {MONEY:price}",
    "{ORG} posted a net profit of {MONEY} , beating forecasts .",
    "The CEO of {ORG} , {PER} , will present the results on {day} .",
    "{PER} reviewed the {PRODUCT} and gave it four stars .",
    "Both the {PRODUCT} and the {PRODUCT} use the same chip .",
    "{ORG} is the sole distributor for {BRAND} in {LOC} .",
    "New tariffs could add {MONEY:price} to the cost of each {PRODUCT} .",
    "The Internet is full of fake reviews , the report said on {day} .",
    "Delivery to {LOC} takes up to {num} business days .",
    "{BRAND} fans queued outside the store in {LOC} overnight .",
    "{ORG} will return {MONEY} to shareholders through dividends .",
    "{PER} , a buyer for {BRAND} , said demand was strong .",
    "Thanks {PER} for the quick refund !",
    "honestly the {BRAND} app keeps crashing on my {PRODUCT}",
    "Marketing chief {PER} left {ORG} after {num} years .",
    "{ORG} expects sales to recover in {qcode} , {PER} said .",
    "{qcode} results from {ORG} are due on {day} .",
    "The {PRODUCT} lacks {feature} , reviewers noted .",
)

SPEC = lx.english_domain(
    "commerce",
    TEMPLATES,
    makers={
        "ORG": commerce_org,
        "LOC": lx.place,
        "PRODUCT": product,
        "MONEY": money,
        "MONEY:price": price,
        "BRAND": brand,
    },
    anchors={
        "PER": ("Jordan", "Georgia", "Washington"),
        "ORG": ("Amazon", "Bank of Montreal", "Walmart", "Deutsche Bank", "Ford"),
        "LOC": ("Georgia", "New South Wales", "Washington", "Hong Kong"),
        "PRODUCT": ("Galaxy S24 Ultra", "iPhone 15", "PlayStation 5", "ThinkPad X1 Carbon"),
        "MONEY": ("$ 1 billion", "one million dollars"),
        "MONEY:price": ("$ 9.99", "€ 100", "$ 1,000"),
        "BRAND": ("Mercury", "Nike", "Samsung", "Lego", "Ford", "Jordan"),
    },
    fillers={
        "quarter": ("first quarter", "second quarter", "third quarter", "second half", "year"),
        "qcode": ("Q1", "Q2", "Q3", "Q4", "FY2025", "H2"),
        "feature": ("USB-C", "Wi-Fi 7", "an OLED screen", "Bluetooth 5.3", "NFC", "5G", "GPS"),
    },
)
