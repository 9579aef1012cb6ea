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
def app_url(tmp_path_factory):
    # A throwaway progress folder: the browser tests never touch a real learner's data.
    data_dir = tmp_path_factory.mktemp("progress")
    with running_app(env={"LLM_TUTOR_DATA_DIR": str(data_dir)}) as url:
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


def test_the_lessons_page_asks_nothing_of_the_internet_not_even_for_its_tab_icon(browser, app_url):
    """Offline is how this app runs: the favicon was fetched from fonts.gstatic.com and failed."""
    page = browser.new_page()
    asked: list[str] = []
    page.on("request", lambda r: asked.append(r.url))
    page.goto(f"{app_url}/?lang=en")
    wait_until_idle(page)
    icon = page.evaluate("() => document.querySelector(\"link[rel='shortcut icon']\").href")
    assert icon.startswith("data:image/svg+xml"), icon[:120]
    elsewhere = [u for u in asked if not u.startswith((app_url, "data:", "blob:"))]
    assert elsewhere == []
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


def test_quiz_score_survives_a_reload(browser, app_url):
    from tutor.lessons import course

    lesson = course().in_language("en")[0]
    q = lesson.quiz[0]
    page = browser.new_page(viewport={"width": 1280, "height": 1400})
    page.goto(f"{app_url}/?lang=en&lesson={lesson.id}")
    wait_until_idle(page)
    page.locator(".st-key-prog_name_sidebar input").fill("Mina")
    page.locator(".st-key-prog_start_sidebar button").click()
    wait_until_idle(page)
    assert "learner=" in page.url
    page.locator(f".st-key-prog_quiz_{lesson.id}_{q.id}_0 label", has_text=q.choices[q.answer]).first.click()
    wait_until_idle(page)
    page.locator(f".st-key-prog_quiz_{lesson.id}_{q.id}_check button").click()
    wait_until_idle(page)
    score = t("progress.quiz.score", "en", correct=1, total=len(lesson.quiz))
    assert page.get_by_text(score).count() >= 1
    page.reload()
    wait_until_idle(page)
    assert page.get_by_text(score).count() >= 1, "the saved score is gone after a reload"
    page.screenshot(path=str(ARTIFACTS / "quiz-after-reload.png"))
    page.close()


@pytest.mark.parametrize("lang", ["en", "ko"])
def test_every_lesson_renders_its_figures_in_the_browser(browser, app_url, lang):
    from tutor.lessons import course

    page = browser.new_page(viewport={"width": 1280, "height": 2400})
    for lesson in course().in_language(lang):
        page.goto(f"{app_url}/?lang={lang}&lesson={lesson.id}")
        wait_until_idle(page)
        assert page.locator("h1", has_text=lesson.title).count() == 1, lesson.id
        assert page.locator('[data-testid="stException"]').count() == 0, lesson.id
        text = page.inner_text('[data-testid="stMain"]')
        for name in lesson.figures:
            for notice in ("common.figure_missing", "common.figure_failed"):
                assert t(notice, lang, name=name) not in text, f"{lesson.id}: figure {name} did not draw"
        charts = page.locator(
            '[data-testid="stGraphVizChart"], [data-testid="stVegaLiteChart"], [data-testid="stDataFrame"], [data-testid="stTable"]'
        )
        for _ in range(40):  # charts mount a moment after the script run ends
            if charts.count() >= len(set(lesson.figures)):
                break
            page.wait_for_timeout(250)
        assert charts.count() >= len(set(lesson.figures)), f"{lesson.id}: {charts.count()} drawn of {lesson.figures}"
        page.screenshot(path=str(ARTIFACTS / f"lesson-{lang}-{lesson.order:02d}-{lesson.id}.png"))
    page.close()


@pytest.mark.parametrize("lang", ["en", "ko"])
def test_inside_the_model_draws_each_view_and_a_heatmap_cell_shows_its_weight(browser, app_url, lang):
    """Each view of "Inside the model" on the real model, screenshotted; hovering the heatmap shows a weight."""
    page = browser.new_page(viewport={"width": 1280, "height": 1600}, locale="en-US" if lang == "en" else "ko-KR")
    for view in ("attention", "lens", "map"):
        page.goto(f"{app_url}/inside_model?lang={lang}&view={view}")
        wait_until_idle(page, timeout_ms=300_000)  # the first view opens the model (a few seconds)
        assert page.locator('[data-testid="stException"]').count() == 0, view
        assert page.get_by_text(t(f"inside.fig.{view}.not_over_read", lang)).count() == 1, view
        charts = page.locator('[data-testid="stVegaLiteChart"]')
        for _ in range(40):  # charts mount a moment after the script run ends
            if charts.count() >= 1:
                break
            page.wait_for_timeout(250)
        assert charts.count() >= 1, f"{view}: no chart"
        if view == "attention":
            from playwright.sync_api import TimeoutError as PlaywrightTimeout

            heatmap = charts.first.locator("canvas, svg").first
            tooltip = page.locator("#vg-tooltip-element")
            # Vega binds its hover handlers a moment after the canvas appears, and on a busy CI
            # machine (the model just loaded) that moment can pass 5 s: a hover that came too
            # early shows nothing until the pointer moves again. So move off, then onto a cell
            # below the diagonal, until the tooltip shows or 30 s have passed.
            for attempt in range(20):
                box = heatmap.bounding_box()
                if box and box["width"] > 0:
                    page.mouse.move(box["x"] - 20, box["y"] - 20)
                    page.mouse.move(box["x"] + box["width"] * (0.3 + 0.01 * attempt), box["y"] + box["height"] * 0.6, steps=4)
                    try:
                        tooltip.wait_for(state="visible", timeout=1500)
                        break
                    except PlaywrightTimeout:
                        continue
                page.wait_for_timeout(500)
            assert tooltip.is_visible(), "hovering a heatmap cell never showed its weight"
            assert "%" in tooltip.inner_text()
        page.screenshot(path=str(ARTIFACTS / f"inside-{view}-{lang}.png"), full_page=True)
    page.close()


@pytest.mark.parametrize("lang, question", [("en", "what does temprature do"), ("ko", "온도를 높이면 어떻게 되나요?")])
def test_the_tutor_shows_the_lessons_words_first_then_its_checked_explanation(browser, app_url, lang, question):
    """Asked in a learner's words (typo included): the answer is the lesson's quote, marked as the
    lesson's; asked to explain, the real model's checked words follow it, marked as the model's."""
    page = browser.new_page(viewport={"width": 1280, "height": 1400}, locale="en-US" if lang == "en" else "ko-KR")
    page.goto(f"{app_url}/tutor_chat?lang={lang}")
    wait_until_idle(page)
    box = page.locator('[data-testid="stChatInputTextArea"]')
    box.fill(question)
    box.press("Enter")
    wait_until_idle(page)
    answer = page.locator('[data-testid="stChatMessage"]').last
    assert page.locator('[data-testid="stException"]').count() == 0
    text = answer.inner_text()
    assert text.find(t("chat.quote_label", lang)) >= 0, text
    assert answer.locator("blockquote").count() == 1, "the lesson's own words, as a quote"
    assert t("chat.model_label", lang) not in text, "no model text unless the learner asks for it"
    page.screenshot(path=str(ARTIFACTS / f"tutor-quote-first-{lang}.png"), full_page=True)
    answer.get_by_role("button", name=t("chat.explain", lang)).click()
    wait_until_idle(page, timeout_ms=300_000)  # the first explanation loads the model
    answer = page.locator('[data-testid="stChatMessage"]').last
    text = answer.inner_text()
    quote_at = text.find(t("chat.quote_label", lang))
    after = [text.find(t(key, lang)) for key in ("chat.model_label", "chat.nothing_kept")]
    assert quote_at >= 0 and max(after) > quote_at, "the model's part (or the note that nothing passed) follows the quote"
    page.screenshot(path=str(ARTIFACTS / f"tutor-explained-{lang}.png"), full_page=True)
    page.close()
