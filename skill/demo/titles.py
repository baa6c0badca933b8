"""Shop titles of designs, built from their print, shape parameters and fabric.

Example:
    >>> make_title("trousers", {"style": "chino", "fit": "slim", "length": "full"}, "plain", "twill")
    'Slim chino trousers'
"""

from __future__ import annotations

_PRINT_WORDS = {
    "regular": "Striped", "breton": "Breton-striped", "pinstripe": "Pinstriped",
    "multi": "Multi-striped", "gingham": "Gingham", "windowpane": "Windowpane-check",
    "tartan": "Tartan", "checkerboard": "Checkerboard", "polka": "Polka-dot", "pin": "Pin-dot",
    "scatter": "Spotted", "star": "Star-print", "heart": "Heart-print", "flower": "Floral",
    "leaf": "Leaf-print", "diamond": "Diamond-print", "wordmark": "Slogan", "badge": "Badge-print",
    "sun": "Sun-print", "mountain": "Mountain-print", "wave": "Wave-print",
    "chest-stripe": "Chest-stripe", "plain": "",
}  # fmt: skip


def _kind_words(kind: str, s: dict) -> list[str]:
    fit = {"slim": "slim", "oversized": "oversized", "skinny": "skinny", "wide": "wide-leg",
           "flared": "flared", "straight": "straight"}.get(s.get("fit", ""), "")  # fmt: skip
    length = {"cropped": "cropped", "long": "longline"}.get(s.get("length", ""), "")
    if kind == "t-shirt":
        neck = {"v-neck": "V-neck", "scoop": "scoop-neck"}.get(s["neckline"], "")
        sleeve = "long-sleeved" if s["sleeve"] == "long" else ""
        return [length, fit, neck or sleeve, "t-shirt"]
    if kind == "shirt":
        collar = {"band": "grandad-collar", "camp": "resort", "button-down": "button-down"}
        sleeve = "short-sleeved" if s["sleeve"] == "short" else ""
        return [length, fit, collar.get(s["collar"], "") or sleeve, "shirt"]
    if kind == "sweater":
        neck = {"v-neck": "V-neck", "mock": "mock-neck", "turtle": "turtleneck"}.get(
            s["neckline"], ""
        )
        if s["closure"] == "cardigan":
            return [length, fit, "cardigan"]
        return [length, fit, neck, "jumper"]
    if kind == "hoodie":
        return [length, fit, "zip-through" if s["closure"] == "zip" else "", "hoodie"]
    if kind == "dress":
        sil = {
            "a-line": "A-line",
            "fit-and-flare": "fit-and-flare",
            "slip": "slip",
            "shift": "shift",
        }
        return ["strappy" if s["sleeve"] == "strap" and s["silhouette"] != "slip" else "",
                sil[s["silhouette"]], "" if s["length"] == "knee" else s["length"], "dress"]  # fmt: skip
    if kind == "skirt":
        length = "knee-length" if s["length"] == "knee" else s["length"]
        return [s["silhouette"] if s["silhouette"] != "a-line" else "A-line", length, "skirt"]
    if kind == "trousers":
        noun = {"jeans": "jeans", "joggers": "joggers"}.get(s["style"], f"{s['style']} trousers")
        return [length, fit, noun]
    if kind == "shorts":
        return [s["length"] if s["length"] == "bermuda" else "", s["style"], "shorts"]
    if kind == "sneaker":
        style = {
            "court": "leather court",
            "canvas": "canvas",
            "runner": "running",
            "chunky": "chunky",
        }
        return [style[s["style"]], "high-top" if s["profile"] == "high" else "", "sneakers"]
    style = {"tote": "tote bag", "shoulder": "shoulder bag", "crossbody": "crossbody bag",
             "backpack": "backpack"}  # fmt: skip
    return ["leather" if s.get("fabric") == "leather" else "", style[s["style"]]]


def make_title(kind: str, shape: dict, print_style: str, fabric: str) -> str:
    """Return a shop title built from a design's parts, e.g. "Slim chino trousers".

    Args:
        kind: The product kind.
        shape: The design's shape parameters.
        print_style: The print's style ("plain" for solid).
        fabric: The fabric.
    """
    words = [_PRINT_WORDS[print_style], *_kind_words(kind, shape | {"fabric": fabric})]
    if fabric == "denim" and kind in ("shirt", "skirt"):
        words.insert(-1, "denim")
    text = " ".join(w for w in words if w)
    return text[0].upper() + text[1:]
