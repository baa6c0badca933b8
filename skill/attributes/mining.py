"""Attributes read out of product descriptions by explicit rules.

Retail descriptions list a garment's visible details in a stable vocabulary ("Fitted, calf-length
dress in ribbed jersey with a V-neck and long sleeves"). Each rule here turns one phrase family
into one attribute; the rules are plain regular expressions and one look-back parser, so a
reviewer can read why a photo got a label (:func:`explain`).

Two kinds of attributes:

- **Choice groups** (:data:`CHOICE_GROUPS`: sleeves, neckline, fit, legs, length): one value
  (rarely two) out of a few. A description that names none of them says nothing, so the whole
  group is *unknown* for that photo, not negative: "Jumper in fine knit with a round neck"
  has sleeves, only unnamed.
- **Details** (:data:`DETAILS`: hood, collar, pockets, ...): present or absent. Descriptions
  list a garment's details, so an unnamed detail counts as absent.

Precision was checked by eye on a sample (``docs/attributes.md``); recall is lower than
precision by construction (a detail nobody wrote down is a false negative).

Example:
    >>> found = mine_attributes("Short dress in jersey with a V-neck and long sleeves.")
    >>> sorted(found)
    ['length: short', 'neckline: V-neck', 'sleeves: long']
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_TOKENS = re.compile(r"[a-z0-9/]+|[.;:()!?]|,")
_STOP = {"with", "and", "in", "at", "the", "a", "an", "of", "on", "to", "or", "that", "for"}


@dataclass(frozen=True)
class Rule:
    """One phrase family -> one attribute.

    Attributes:
        label: Attribute name, ``"<group>: <value>"`` for choice groups, else the detail.
        pattern: Regular expression, searched in the lower-cased description.
        unless: Optional expression: the rule does not fire when the description matches it.
    """

    label: str
    pattern: str
    unless: str = ""

    def fires(self, text: str) -> bool:
        if self.unless and re.search(self.unless, text):
            return False
        return re.search(self.pattern, text) is not None


CHOICE_GROUPS = ("sleeves", "neckline", "fit", "legs", "length")
"""Groups whose values exclude each other; unnamed in a description means unknown."""

SLEEVE_WORDS = {"short": "short", "cap": "short", "long": "long", "3/4": "3/4", "elbow": "3/4"}
"""Words before "sleeves" (at most three tokens back, commas allowed) and the length they name."""
LEG_WORDS = {"skinny": "skinny", "straight": "straight", "wide": "wide", "tapered": "tapered"}
LEG_WORDS |= {"flared": "flared", "flare": "flared", "bootcut": "flared"}
"""Words before "legs" and the leg shape they name."""

RULES: tuple[Rule, ...] = (
    Rule("sleeves: sleeveless", r"\bsleeveless\b|\bstrapless\b|\bspaghetti straps\b"),
    Rule(
        "sleeves: sleeveless",
        r"\bshoulder straps\b",
        unless=r"\b(?:bag|backpack|rucksack|sleeves?|sleeved)\b",
    ),
    Rule("neckline: V-neck", r"\bv-? ?neck(?:line)?\b(?! at the back)|\bv-shaped neckline\b"),
    Rule("neckline: round", r"\bround neck(?:line)?\b|\bcrew ?-?neck\b"),
    Rule(
        "neckline: high",
        r"\b(?:polo|turtle|high|funnel)[- ]?neck(?:line)?\b|\b(?:funnel|chimney) collar\b",
    ),
    Rule("neckline: off-the-shoulder", r"\boff[- ]the[- ]shoulders?\b"),
    Rule("neckline: square", r"\bsquare neck(?:line)?\b"),
    Rule("fit: slim", r"\bslim[- ]fit\b|\bslim fit\b|\bfitted\b|\bskinny fit\b|\bmuscle fit\b"),
    Rule("fit: regular", r"\bregular[- ]fit\b|\bstraight[- ]cut\b(?! hem)(?![\w ,]{0,24}flare)"),
    Rule(
        "fit: relaxed",
        r"\brelaxed[- ]fit\b|\bloose[- ]fit(?:ting)?\b|\boversized\b|\bboxy\b|\bwide[- ]cut\b",
    ),
    Rule("length: cropped", r"\bcropped\b"),
    Rule("length: short", r"^\s*short\b(?![- ]?sleeve)|\bshort (?:dress|skirt)\b|\bmini\b"),
    Rule("length: knee", r"\bknee-length\b"),
    Rule("length: calf", r"\bcalf-length\b|\bmidi\b|\bmid-calf\b"),
    Rule("length: ankle", r"\bankle-length\b|\bmaxi\b|\bfloor-length\b|\bfull-length\b"),
    Rule("hood", r"\bhood(?:ed|ie|s)?\b"),
    Rule("collar", r"\bcollar\b"),
    Rule("lapels", r"\blapels?\b"),
    Rule(
        "front zip",
        r"\bzip(?:per)?(?:-through| down the front| at the front| and (?:a )?wind ?flap)"
        r"|\bfront zip\b|\bzip-up\b|\bzip-front\b",
    ),
    Rule(
        "front buttons",
        r"(?<!concealed )\bbuttons? (?:down|at) the front\b|\bbutton(?:ed)? placket\b|\bclassic front\b"
        r"|\b(?:single|double)-breasted\b|\bbutton-through\b|\bbuttoned front\b",
    ),
    Rule("drawstring", r"\bdrawstrings?\b"),
    Rule("pockets", r"(?<!inner )(?<!inside )\bpockets?\b"),
    Rule("belt", r"\b(?:tie )?belt\b(?! loops?)"),
    Rule("frills", r"\b(?:frills?|frilled|flounces?|flounced|ruffles?|ruffled)\b"),
    Rule("puff sleeves", r"\bpuff(?:ed)?(?:,? \w+)? sleeves?\b"),
    Rule("pleats", r"(?<!yoke with a )(?<!yoke with )\bpleat(?:s|ed)?\b(?! at the back)"),
    Rule(
        "ribbed",
        r"\bribbed (?:jersey|knit|fabric|cotton|velour|modal|viscose|organic|lyocell|weave)\b"
        r"|\brib[- ]knit\b",
    ),
    Rule(
        "wrapover",
        r"\bwrap-?over\b(?!,? (?:[\w-]+ )?(?:hood|waistband|collar))|\bwrap (?:dress|top|skirt|front)\b",
    ),
)
"""The phrase rules; sleeve lengths and leg shapes also come from :func:`_look_back`."""

DETAILS = tuple(dict.fromkeys(r.label for r in RULES if r.label.split(":")[0] not in CHOICE_GROUPS))
"""Detail attributes (present/absent), in rule order."""

CHOICES: dict[str, tuple[str, ...]] = {
    "sleeves": ("sleeveless", "short", "3/4", "long"),
    "neckline": ("V-neck", "round", "high", "off-the-shoulder", "square"),
    "fit": ("slim", "regular", "relaxed"),
    "legs": ("skinny", "straight", "wide", "tapered", "flared"),
    "length": ("cropped", "short", "knee", "calf", "ankle"),
}
"""Every value each choice group can take."""

MINED_LABELS = tuple(f"{g}: {v}" for g, values in CHOICES.items() for v in values) + DETAILS
"""Every attribute the rules can produce, choice groups first."""


def mine_attributes(text: str) -> set[str]:
    """The attributes a description names.

    Args:
        text: A product description (any case; empty or missing gives an empty set).

    Returns:
        Labels from :data:`MINED_LABELS`.
    """
    if not isinstance(text, str) or not text.strip():
        return set()
    text = " ".join(text.lower().split())
    found = {rule.label for rule in RULES if rule.fires(text)}
    found |= {
        f"sleeves: {v}" for v in _look_back(text, ("sleeves", "sleeve", "sleeved"), SLEEVE_WORDS)
    }
    found |= {f"legs: {v}" for v in _look_back(text, ("legs", "leg"), LEG_WORDS)}
    return found


def known_groups(found: set[str]) -> set[str]:
    """The choice groups a description settles: those with at least one value found."""
    return {label.split(":")[0] for label in found if label.split(":")[0] in CHOICE_GROUPS}


def explain(text: str) -> dict[str, str]:
    """Each attribute found and the phrase that gave it (for checking the rules by eye)."""
    text_lower = " ".join(str(text).lower().split())
    reasons = {}
    for rule in RULES:
        if rule.fires(text_lower):
            match = re.search(rule.pattern, text_lower)
            reasons.setdefault(rule.label, _context(text_lower, match.start(), match.end()))
    for group, keys, words in (
        ("sleeves", ("sleeves", "sleeve", "sleeved"), SLEEVE_WORDS),
        ("legs", ("legs", "leg"), LEG_WORDS),
    ):
        for value in _look_back(text_lower, keys, words):
            reasons.setdefault(f"{group}: {value}", f"... {value} {keys[0]} ...")
    return reasons


def _look_back(text: str, keys: tuple[str, ...], words: dict[str, str]) -> set[str]:
    """Values named by words up to three tokens before a key word ("long, wide sleeves").

    Hyphens split tokens ("short-sleeved" -> short, sleeved); the look-back stops at
    sentence punctuation and at linking words ("dress *with* short sleeves" names short only).
    """
    tokens = _TOKENS.findall(text.replace("-", " "))
    found = set()
    for i, token in enumerate(tokens):
        if token not in keys:
            continue
        steps = 0
        for previous in reversed(tokens[max(0, i - 6) : i]):
            if previous == ",":
                continue
            if previous in _STOP or not previous[0].isalnum() or steps >= 3:
                break
            steps += 1
            if previous in words:
                found.add(words[previous])
    return found


def _context(text: str, start: int, end: int, width: int = 25) -> str:
    return "..." + text[max(0, start - width) : end + width] + "..."
