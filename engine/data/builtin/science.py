"""Synthetic biomedical-science domain: PER, ORG, CHEM (chemicals and drugs), DISEASE and GENE
(genes and proteins), in sentences shaped like paper abstracts and methods sections.

Hard cases on purpose: most chemicals and many diseases are lower-case ("sodium chloride",
"chronic renal failure"); eponymous diseases contain surnames ("Huntington 's disease");
"DNA", "PCR", "Western blot", "Figure 2" and "Table 1" are capitalised but tagged O.

    from engine.data.builtin.generator import generate
    generate(SPEC, seed=0)["train"][:3]
"""

from __future__ import annotations

import random

from engine.data.builtin import lexicon as lx
from engine.data.builtin.lexicon import words

METALS = words("sodium potassium calcium magnesium lithium iron copper zinc silver barium")
ANIONS = words(
    "chloride sulfate nitrate carbonate hydroxide phosphate oxide bromide iodide acetate"
)
ORGANIC_PREFIXES = words(
    "methyl ethyl propyl butyl chloro fluoro bromo hydroxy amino nitro phenyl benzyl"
)
ORGANIC_CORES = words("benzene toluene amine phenol pyridine ethanol indole furan aniline urea")
ACID_CORES = words("benzoic acetic salicylic citric lactic oxalic formic propionic")
DRUG_STEMS = words("vor lin ser tam zol pra rito cef mero dara olan tegu pexi brava nivo ruxo")
DRUG_SUFFIXES = words("tinib mab vir statin prazole cillin olol sartan parin mycin")

DISEASE_MODIFIERS = ("acute", "chronic", "early-onset", "familial", "juvenile", "progressive")
ORGAN_ADJECTIVES = words(
    "myeloid lymphoblastic renal hepatic pulmonary cardiac neural intestinal pancreatic "
    "retinal thyroid muscular"
)
DISEASE_NOUNS = words(
    "leukemia fibrosis failure carcinoma inflammation dystrophy sclerosis syndrome "
    "insufficiency neuropathy"
)
DISEASE_ROOTS = words("nephr hepat derm arthr gastr enter neur oste myel lymph mening encephal")
DISEASE_ENDINGS = ("itis", "osis", "oma", "opathy")
EPONYM_TAILS = ("'s disease", "syndrome", "disease")

GENE_FAMILIES = words(
    "BRCA CDK FOXP SOX HOXA PAX WNT NOTCH KCNQ ZNF ABCB MAPK IL TLR MYH SCN GATA RUNX SMAD "
    "TGFB SLC MMP"
)
GROWTH_FACTORS = (
    "epidermal growth factor receptor",
    "vascular endothelial growth factor",
    "tumor necrosis factor",
    "insulin-like growth factor 1",
    "fibroblast growth factor 2",
    "nerve growth factor",
)


def chemical(rng: random.Random) -> str:
    r = rng.random()
    if r < 0.3:
        return f"{rng.choice(METALS)} {rng.choice(ANIONS)}"
    if r < 0.55:
        return rng.choice(ORGANIC_PREFIXES) + rng.choice(ORGANIC_CORES)
    if r < 0.7:
        return f"{rng.choice(ORGANIC_PREFIXES)}{rng.choice(ACID_CORES)} acid"
    return rng.choice(DRUG_STEMS) + rng.choice(DRUG_SUFFIXES)


def disease(rng: random.Random) -> str:
    r = rng.random()
    if r < 0.3:
        return f"{rng.choice(ORGAN_ADJECTIVES)} {rng.choice(DISEASE_NOUNS)}"
    if r < 0.55:
        modifier = rng.choice(DISEASE_MODIFIERS)
        return f"{modifier} {rng.choice(ORGAN_ADJECTIVES)} {rng.choice(DISEASE_NOUNS)}"
    if r < 0.75:
        return rng.choice(DISEASE_ROOTS) + rng.choice(DISEASE_ENDINGS)
    if r < 0.95:
        return f"{rng.choice(lx.LAST_NAMES)} {rng.choice(EPONYM_TAILS)}"
    return f"type {rng.choice('12')} diabetes"


def gene(rng: random.Random) -> str:
    r = rng.random()
    if r < 0.7:
        family = rng.choice(GENE_FAMILIES)
        tail = f"{rng.randint(1, 12)}{rng.choice('ABCD')}{rng.randint(1, 9)}"
        return family + (tail if rng.random() < 0.3 else str(rng.randint(1, 30)))
    if r < 0.85:
        return f"p{rng.choice((14, 16, 21, 27, 38, 53, 63, 73, 120))}"
    if r < 0.93:
        return f"interleukin-{rng.randint(1, 36)}"
    return rng.choice(GROWTH_FACTORS)


def science_org(rng: random.Random) -> str:
    r = rng.random()
    city = rng.choice(lx.CITIES)
    if r < 0.25:
        return f"University of {city}"
    if r < 0.4:
        return f"{city} Institute of Technology"
    if r < 0.55:
        return f"{city} University"
    if r < 0.75:
        kind = rng.choice(("Pharmaceuticals", "Biosciences", "Therapeutics", "Biotech"))
        return f"{rng.choice(lx.ORG_STEMS)} {kind}"
    if r < 0.9:
        return f"{rng.choice(lx.LAST_NAMES)} {rng.choice(('Institute', 'Cancer Center'))}"
    return lx.company(rng)


TEMPLATES = (
    "Treatment with {CHEM} reduced tumour growth in mice carrying mutant {GENE} .",
    "Mutations in {GENE} are associated with {DISEASE} .",
    "{PER} and colleagues at the {ORG} reported the findings on {day} .",
    "Patients with {DISEASE} received {num} mg of {CHEM} daily .",
    "{GENE} expression was measured by {method} ( {figure} ) .",
    "{CHEM} is a known risk factor for {DISEASE} .",
    "The study , funded by the {ORG} , enrolled {num} patients with {DISEASE} .",
    "Loss of {GENE} increased sensitivity to {CHEM} in cultured cells .",
    "Samples were washed twice with {CHEM} and stored at -80 degrees .",
    "{PER} synthesised {CHEM} from simple precursors .",
    "Knockdown of {GENE} had no effect on {DISEASE} progression .",
    "All reagents were purchased from {ORG} .",
    "The authors declare no competing interests .",
    "Data are shown as mean plus or minus standard deviation ( {figure} ) .",
    "Western blot analysis confirmed reduced levels of {GENE} .",
    "{DISEASE} affects roughly {num} in every 10,000 people .",
    "In a phase {phase} trial , {CHEM} improved survival in {DISEASE} .",
    "{GENE} and {GENE} were upregulated in {DISEASE} tissue .",
    "We thank {PER} for helpful discussions .",
    "{PER} , {PER} and {PER} contributed equally to this work .",
    "Exposure to {CHEM} was linked to a higher risk of {DISEASE} .",
    "The {ORG} has approved {CHEM} for the treatment of {DISEASE} .",
    "DNA was extracted using a commercial kit from {ORG} .",
    "{GENE} binds directly to the promoter of {GENE} .",
    "The {GENE} variant was found in {num} families with {DISEASE} .",
    "Mice lacking {GENE} developed {DISEASE} by {num} weeks of age .",
    "{CHEM} inhibits {GENE} with an IC50 of {num} nM .",
    "Cells were treated with {CHEM} for {num} hours .",
    "{DISEASE} remains a leading cause of death worldwide .",
    "Researchers at the {ORG} identified {GENE} as a driver of {DISEASE} .",
    "{PER} received a grant from the {ORG} to study {DISEASE} .",
    "Higher doses of {CHEM} caused liver damage in {num} patients .",
    "RNA sequencing revealed {num} differentially expressed genes ( {figure} ) .",
    "{PER} ( {ORG} ) was not involved in the study .",
    "Statistical analysis was performed in R , version {num} , on {day} .",
    "Oxidation of {CHEM} yields {CHEM} and water .",
    "The drug {CHEM} was well tolerated by patients with {DISEASE} .",
    "Levels of {GENE} were lower in patients with {DISEASE} than in controls .",
    "{figure} shows the crystal structure of {GENE} bound to {CHEM} .",
    "The {ORG} will lead a new consortium on {DISEASE} , {PER} said .",
    "{GENE} mutations were detected in {num} % of tumours .",
    "On {day} , {ORG} halted the trial of {CHEM} .",
    "Dr {PER} presented the {DISEASE} data at the annual meeting .",
    "PCR primers for {GENE} are listed in {figure} .",
    "new paper from {PER} on {GENE} in {DISEASE} is out",
    "Prof. {PER} joined the {ORG} in {year} .",
)

SPEC = lx.english_domain(
    "science",
    TEMPLATES,
    makers={
        "ORG": science_org,
        "CHEM": chemical,
        "DISEASE": disease,
        "GENE": gene,
    },
    anchors={
        "PER": ("Jordan", "Houston", "Victoria Lindqvist"),
        "ORG": ("World Health Organization", "National Institutes of Health", "Wellcome Trust"),
        "CHEM": ("mercury", "cisplatin", "metformin", "hydrogen peroxide", "ethanol", "glucose"),
        "DISEASE": ("acute myeloid leukemia", "Alzheimer 's disease", "malaria", "COVID-19"),
        "GENE": ("TP53", "BRCA1", "EGFR", "KRAS", "p53", "HER2"),
    },
    fillers={
        "method": ("PCR", "Western blot", "RNA sequencing", "qPCR", "ELISA", "flow cytometry"),
        "figure": tuple(f"{k} {n}" for k in ("Figure", "Table", "Fig.") for n in "1234567")
        + ("Figure S2", "Table S1"),
        "phase": ("I", "II", "III", "1", "2", "3"),
    },
)
