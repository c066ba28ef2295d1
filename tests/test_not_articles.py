"""Pages served with 200 at an article's URL that are no article (error pages, login forms, walls), told from
short news items whose headline merely shares a word with them: ``crawler.spiders.not_articles``."""

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
    "",
])
def test_short_news_items_are_articles(title: str) -> None:
    assert not_article(title, NEWS_ITEM) is None


def test_an_article_about_an_error_page_is_an_article() -> None:
    body = ["Пользователи жалуются, что сайт министерства показывает ошибку. " * 10] * 3
    assert sum(map(len, body)) > MAX_BODY_CHARS
    assert not_article("Страница не найдена", body) is None


def test_a_megabyte_title_is_read_in_bounded_time() -> None:
    assert not_article("Страница не найдена - " + "x - " * 500_000, SHORT) == "error_page"
    assert not_article("- " * 1_000_000, SHORT) is None
