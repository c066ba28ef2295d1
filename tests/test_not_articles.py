"""Pages served with 200 at an article's URL that are no article (error pages, login forms, walls), told from
short news items whose headline merely shares words with them (a colon, "!" or a dash after an error page's name,
in the region's languages): ``crawler.spiders.not_articles``."""

from __future__ import annotations

import pytest

from crawler.spiders.not_articles import MAX_BODY_CHARS, not_article

SHORT = ["К сожалению, запрашиваемая страница не существует или была удалена. Вернитесь на главную страницу."]
NEWS_ITEM = ["Кыргызстан официально вступил в Евразийский экономический союз, сообщает пресс-служба президента."]


@pytest.mark.parametrize(("title", "kind"), [
    ("Страница не найдена", "error_page"),
    ("Страница не найдена - Новости Кыргызстана", "error_page"),
    ("Ошибка 404: страница не найдена", "error_page"),
    ("404", "error_page"),
    ("Error 404 | Kun.uz", "error_page"),
    ("Page not found – Times of Central Asia", "error_page"),
    ("Oops! That page can’t be found.", "error_page"),
    ("Бет табылмады", "error_page"),
    ("Барак табылган жок", "error_page"),
    ("Sahifa topilmadi", "error_page"),
    ("Саҳифа ёфт нашуд", "error_page"),
    ("Sahypa tapylmady", "error_page"),
    ("Вход на сайт", "login_page"),
    ("Авторизация | Газета", "login_page"),
    ("Sign in", "login_page"),
    ("Kirish", "login_page"),
    ("Just a moment...", "wall"),
    ("Attention Required! | Cloudflare", "wall"),
    ("DDoS-Guard", "wall"),
    ("Доступ запрещён", "wall"),
    ("Before you continue to YouTube", "wall"),
    ("Sahifa topilmadi | Kun.uz", "error_page"),
    ("Бет табылмады | Azattyq.org", "error_page"),
    ("Page not found – Radio Azattyk (Радио Азаттык)", "error_page"),
    ("Oops! Page not found", "error_page"),
    ("404 Not Found", "error_page"),
    ("403 Forbidden", "wall"),
    ("Checking your browser before accessing kloop.kg", "wall"),
    ("Согласие на обработку персональных данных", "wall"),
    ("Вход в личный кабинет | Kaktus.media", "login_page"),
    ("Kirish — Daryo", "login_page"),
    ("Ошибка 404 — страница не найдена · Sputnik Таджикистан", "error_page"),
    # a maintenance page served with 200 at an article's URL replaced the article's record
    ("Сайт на техническом обслуживании", "error_page"),
    ("Ведутся технические работы | Kaktus.media", "error_page"),
    ("Under maintenance", "error_page"),
    ("Texnik ishlar olib borilmoqda — Kun.uz", "error_page"),
])
def test_error_pages_login_forms_and_walls(title: str, kind: str) -> None:
    assert not_article(title, SHORT) == kind


@pytest.mark.parametrize("title", [
    "Вход Кыргызстана в ЕАЭС",  # a headline that starts with a login page's word
    "Ошибка пилота стала причиной крушения самолета",
    "В Бишкеке нашли 404 нарушения при строительстве",
    "Страница истории: 30 лет независимости",
    "Sign-in bonus: the bank pays new clients",
    "Доступ к воде в Баткене",
    # a page's name, then a headline's words after a colon, "!", a dash or quotes
    "Ошибка 404: как в Бишкеке потеряли данные избирателей",
    "Страница не найдена — так назвали выставку в Бишкеке",
    "Страница не найдена: что случилось с сайтом минздрава",
    "Not found: the missing files of the energy ministry",
    "Not Found: The Missing Files of the Energy Ministry",
    "«404»: в Бишкеке покажут спектакль о цифровом мире",
    "Error 404! Сайт ЦИК не работает второй день",
    "Доступ запрещён: в Кыргызстане заблокировали сайт",
    "Access denied — Kazakhstan blocks another messenger",
    "Регистрация — ЦИК начал приём документов",
    "Вход свободный!",
    "Oops, I did it again: бюджет снова пересмотрели",
    "Прежде чем продолжить реформу, правительство выслушает бизнес",
    "Согласие на обработку данных больше не нужно",
    "Just a moment: почему Ташкент откладывает решение",
    # Kyrgyz, Uzbek, Kazakh, Tajik, Turkmen
    "Кирүү: жогорку окуу жайларына тестирлөө башталды",
    "Oliy ta'limga kirish: qabul boshlandi",
    "Kirish — test natijalari e'lon qilindi",
    "Sahifa topilmadi: davlat saytlari nega ishlamayapti",
    "Кіру: ЕАЭО-ға жаңа мүшелер қосылды",
    "Бет табылмады: сайттар неге жабылды",
    "Саҳифа ёфт нашуд: сомонаҳои давлатӣ кор намекунанд",
    "Giriş: talyplar üçin täze düzgünler",
    "Технические работы на ГЭС завершены", "Техническое обслуживание самолетов: новые правила",
    "",
])
def test_short_news_items_are_articles(title: str) -> None:
    assert not_article(title, NEWS_ITEM) is None


def test_an_article_about_an_error_page_is_an_article() -> None:
    body = ["Пользователи жалуются, что сайт министерства показывает ошибку. " * 10] * 3
    assert sum(map(len, body)) > MAX_BODY_CHARS
    assert not_article("Страница не найдена", body) is None


def test_a_megabyte_title_is_read_in_bounded_time() -> None:
    assert not_article("Страница не найдена - " + "Site - " * 500_000, SHORT) == "error_page"
    assert not_article("- " * 1_000_000, SHORT) is None


@pytest.mark.parametrize(("headline", "stored"), [
    ("Страница не найдена — так назвали выставку в Бишкеке", True),
    ("Ошибка 404: как в Душанбе потеряли данные избирателей", True),
    ("Страница не найдена", False),
])
def test_the_spider_stores_a_short_news_item_whatever_its_headline_words(headline: str, stored: bool) -> None:
    from tests.test_hostile_pages import parse

    page = (f"<html><head><meta charset='utf-8'><title>{headline}</title></head><body><div class='td-post-content'>"
            f"<h1>{headline}</h1><p>{NEWS_ITEM[0]}</p></div></body></html>")
    items, stats = parse(page.encode(), b"text/html; charset=utf-8")
    assert len(items) == stored, stats
    assert ("articles/skipped/error_page" in stats) is not stored
