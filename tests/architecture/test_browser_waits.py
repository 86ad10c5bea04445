"""Our pages forbid eval (Content-Security-Policy script-src 'self'). Playwright's wait_for_function evals its
predicate again at each poll, so a wait that is not already true at the first try fails with EvalError: CI
failed on it once, on a slow run. Browser tests wait with locators and expect(), which need no eval."""

from pathlib import Path

BROWSER_TESTS = Path(__file__).resolve().parents[1] / "browser"


def test_no_browser_test_waits_by_eval():
    found = [
        f"{path.name}:{number}"
        for path in sorted(BROWSER_TESTS.glob("*.py"))
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
        if "wait_for_function(" in line
    ]
    assert not found, "wait_for_function evals under our CSP; use expect(locator) instead: " + ", ".join(found)
