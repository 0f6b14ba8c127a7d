"""Accessibility checks of a page in the browser: axe-core's WCAG A and AA rules, visible focus.

axe-core comes with the PyPI package ``axe-playwright-python`` (it ships ``axe.min.js``;
nothing is downloaded at run time). The script is evaluated through Playwright, which
the pages' Content-Security-Policy does not restrict, so the pages are checked exactly as
they are served.
"""

from __future__ import annotations

from axe_playwright_python.sync_playwright import Axe

from tests.browser.steps import laid_out

# The success criteria of WCAG 2.0, 2.1 and 2.2 at levels A and AA (axe-core's tags).
WCAG_AA_TAGS = ("wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22a", "wcag22aa")

_axe = Axe()


def axe_violations(page) -> list[dict]:
    """Run axe-core's WCAG A and AA rules on the page, once it has loaded (its style sheets
    included: sizes and spacing are judged from the page as laid out); return the violations
    it found."""
    results = _axe.run(laid_out(page), options={
        "runOnly": {"type": "tag", "values": list(WCAG_AA_TAGS)},
        "resultTypes": ["violations"],
    })
    return list(results.response["violations"])


def describe_violations(violations: list[dict]) -> str:
    """Return one readable line per failing element: rule, impact, target, help."""
    lines = []
    for violation in violations:
        for node in violation["nodes"]:
            target = " ".join(str(part) for part in node.get("target", []))
            summary = (node.get("failureSummary") or "").replace("\n", " ")
            lines.append(f"- {violation['id']} ({violation.get('impact') or 'unknown'}) at "
                         f"{target}: {violation['help']}. {summary} [{violation['helpUrl']}]")
    return "\n".join(lines)


def assert_accessible(page, context: str) -> None:
    """Fail with the list of WCAG A/AA violations axe-core finds on the page, if any."""
    violations = axe_violations(page)
    assert not violations, (f"{context} ({page.url}) has accessibility violations:\n"
                            + describe_violations(violations))


def focus_indicator(page) -> dict:
    """Return the focused element, how its focus shows, and the outline's contrast with the
    background around the element (WCAG 1.4.11 asks 3:1 of a focus indicator)."""
    return laid_out(page).evaluate("""() => {
        const parse = (color) => {
            const m = /rgba?\\(([^)]+)\\)/.exec(color || "");
            if (!m) return null;
            const p = m[1].split(/[\\s,\\/]+/).filter(Boolean).map(Number);
            return {r: p[0], g: p[1], b: p[2], a: p.length > 3 ? p[3] : 1};
        };
        const luminance = (c) => {
            const f = (v) => {
                v /= 255;
                return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4);
            };
            return 0.2126 * f(c.r) + 0.7152 * f(c.g) + 0.0722 * f(c.b);
        };
        const el = document.activeElement;
        const style = getComputedStyle(el);
        let background = null;
        for (let up = el.parentElement; up && !background; up = up.parentElement) {
            const c = parse(getComputedStyle(up).backgroundColor);
            if (c && c.a > 0) background = c;
        }
        background = background || {r: 255, g: 255, b: 255, a: 1};
        const outline = parse(style.outlineColor);
        let contrast = 0;
        if (outline) {
            const [hi, lo] = [luminance(outline), luminance(background)].sort((a, b) => b - a);
            contrast = (hi + 0.05) / (lo + 0.05);
        }
        return {id: el.id, tag: el.tagName.toLowerCase(), text: (el.innerText || "").trim(),
                focusVisible: el.matches(":focus-visible"),
                outlineStyle: style.outlineStyle,
                outlineWidth: parseFloat(style.outlineWidth) || 0,
                outlineColor: style.outlineColor, boxShadow: style.boxShadow,
                contrast: Math.round(contrast * 100) / 100};
    }""")


def assert_focus_visible(page) -> dict:
    """Fail unless the element with the keyboard focus shows it (WCAG 2.4.7) with an outline
    of at least 2 px and 3:1 contrast (1.4.11); return what was measured."""
    focused = focus_indicator(page)
    assert focused["tag"] != "body", "nothing has the keyboard focus"
    assert focused["focusVisible"], f"the focused element is not :focus-visible: {focused}"
    assert focused["outlineStyle"] not in ("none", "hidden") and focused["outlineWidth"] >= 2, \
        f"the focused element shows no focus outline: {focused}"
    assert focused["contrast"] >= 3, \
        f"the focus outline has too little contrast with its background: {focused}"
    return focused
