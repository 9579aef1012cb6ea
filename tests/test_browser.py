"""The app as a learner sees it: served by `streamlit run`, clicked through in headless Chromium."""
import pytest

from tests.browser import ARTIFACTS, CHROMIUM_FLAGS, chromium_path, running_app, wait_until_idle
from tutor.i18n import t
from tutor.ui.pages import PAGES, page_title

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def browser():
    path = chromium_path()
    if path is None:
        pytest.fail("Chromium is not installed: apt-get install -y chromium (make test does this as root)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=path, headless=True, args=CHROMIUM_FLAGS)
        yield b
        b.close()


@pytest.fixture(scope="module")
def app_url():
    with running_app() as url:
        yield url


@pytest.mark.parametrize("lang", ["en", "ko"])
def test_click_through_every_page_and_save_screenshots(browser, app_url, lang):
    page = browser.new_page(viewport={"width": 1280, "height": 900}, locale="en-US" if lang == "en" else "ko-KR")
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(f"{app_url}/?lang={lang}")
    wait_until_idle(page)
    for info in PAGES:
        title = page_title(info.id, lang)
        page.locator('[data-testid="stSidebarNav"] a', has_text=title).first.click()
        wait_until_idle(page)
        assert page.locator('[data-testid="stException"]').count() == 0, f"{info.id}: exception shown"
        assert page.locator("h1").count() >= 1, f"{info.id}: no title"
        page.screenshot(path=str(ARTIFACTS / f"page-{info.id}-{lang}.png"), full_page=True)
    assert not errors, errors
    page.close()


def test_deep_link_opens_a_lesson_section_in_the_browser(browser, app_url):
    from tutor.lessons import course

    lesson = course().in_language("en")[0]
    anchor = lesson.sections[1].anchor
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    # Lessons is the default page, so its URL is the root.
    page.goto(f"{app_url}/?lang=en&lesson={lesson.id}&section={anchor}")
    wait_until_idle(page)
    assert page.locator("h1", has_text=lesson.title).count() == 1
    assert page.locator(f'[id="{anchor}"]').count() >= 1
    page.screenshot(path=str(ARTIFACTS / f"deep-link-{lesson.id}.png"))
    assert t("lessons.all_lessons", "en") in page.content()
    page.close()
