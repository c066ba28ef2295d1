"""Tables for text normalisation, boilerplate lines and credit splitting."""

import dataclasses

import pytest

from crawler.extract.article import extract_article
from crawler.extract.boilerplate import credit_line, is_cross_link, is_not_a_person, is_ui_line, split_credit
from crawler.extract.cleanup import clean_paragraphs
from crawler.sites import GENERIC, Generic, Selectors, SiteConfig, load_site
from crawler.text import normalize_optional, normalize_text, shown, shown_lines


@pytest.mark.parametrize(("raw", "expected"), [
    ("a\u00a0b", "a b"),                    # non-breaking space
    ("a\u202fb", "a b"),                    # narrow no-break space
    ("zero\u200bwidth", "zerowidth"),       # zero-width space
    ("soft\u00adhyphen", "softhyphen"),     # soft hyphen
    ("\ufeffBOM", "BOM"),                   # byte-order mark
    ("  many \n\t spaces  ", "many spaces"),
    ("e\u0301", "\u00e9"),                  # NFC composes
    ("Душанбе\u00a0— столица", "Душанбе — столица"),
    ("Вас\u202e илиловзу\u202c", "Вас илиловзу"),  # a right-to-left override, and its pop
    ("a\u2066b\u2067c\u2068d\u2069e\u202a\u202b\u202df", "abcdef"),  # isolates, embeddings, LTR override
    ("a\u200eb\u200fc\u061cd", "abcd"),  # LRM, RLM, Arabic letter mark
    ("x\U000e0069\U000e0067\U000e006ey", "xy"),  # tag characters: ASCII no reader sees
    ("می\u200cخواهم", "می\u200cخواهم"),  # Persian's ZWNJ between two Arabic letters stays
    ("\U0001f468\u200d\U0001f469\u200d\U0001f467", "\U0001f468\u200d\U0001f469\u200d\U0001f467"),  # emoji ZWJs
    ("Ж\u200cж \u200cمی \u200d\u200dخ", "Жж می خ"),  # joiners between Cyrillic letters, a space, or doubled go
    ("a\u2061b\u2062c\u2063d\u2064e", "abcde"),  # invisible function application, times, separator, plus
    ("a\u206ab\u206bc\u206cd\u206de\u206ef\u206fg", "abcdefg"),  # deprecated format characters
    ("a\ufff9b\ufffac\ufffbd", "abcd"),  # interlinear annotation anchor, separator, terminator
    ("x\U000e0100\U000e0141\U000e01efy", "xy"),  # variation selectors supplement: a byte each no reader sees
    ("е\u200e\u0308", "ё"),  # removed before NFC: the mark it kept apart composes
    ("Ж\u200c\u0308", "\u04dc"),  # a stray joiner goes before NFC too: Ж and its diaeresis compose
    ("Совещание\u3164по\uffa0энергетике", "Совещание по энергетике"),  # Hangul fillers show as space: are one
    ("\u3164\u115f\u1160\u2800\u17b4\u17b5", ""),  # blank letters alone: no text
    ("한국어 텍스트", "한국어 텍스트"),  # Korean keeps its syllables
])
def test_normalize_text(raw: str, expected: str) -> None:
    assert normalize_text(raw) == expected


@pytest.mark.parametrize("char", ["\u200e", "\u200f", "\u202a", "\u202b", "\u202c", "\u202d", "\u202e",
                                  "\u2066", "\u2067", "\u2068", "\u2069"])
def test_shown_escapes_bidi_controls(char: str) -> None:
    """A record stored before bidirectional controls were removed still shows as typed, not reversed."""
    stored = f"Вас{char} илиловзу\nдалее"
    escaped = f"\\u{ord(char):04x}"
    assert shown(stored) == f"Вас{escaped} илиловзу\\x0aдалее"
    assert shown_lines(stored) == f"Вас{escaped} илиловзу\nдалее"


@pytest.mark.parametrize(("raw", "expected"), [(None, None), ("  ", None), (" x ", "x")])
def test_normalize_optional(raw: str | None, expected: str | None) -> None:
    assert normalize_optional(raw) == expected


@pytest.mark.parametrize("line", [
    "Share post:", "Поделиться:", "spot_imgspot_img", "spot_img", "Popular", "More like this",
    "Related", "Date:", "ОСТАВЬТЕ ОТВЕТ", "O‘xshash yangiliklar", "Mavzuga oid",
    "Мубодила:", "Мақолаҳои монанд", "Инчунин хонед", "ШАРҲ ГУЗОРЕД", "Лутфан, шарҳи худро ворид кунед!",
    "Сана:", "Для работы сайта необходимо включить JavaScript.",
    "You need to enable JavaScript to run this app.", "Пожалуйста, введите ваш комментарий!",
    "пожалуйста, введите ваше имя здесь", "Leave a reply", "Похожие статьи", "Популярное",
    # Turkmen (Latin): share bar, block titles, "read" buttons, comment forms, labels
    "Paýlaş:", "PAÝLAŞ", "Paýlaşmak", "Degişli habarlar", "DEGIŞLI HABARLAR", "Hemme habarlar", "Soňky habarlar",
    "Meňzeş habarlar", "Iň köp okalan", "Okamak", "Dowamyny okamak", "Doly okamak", "Teswirler", "Teswirler (3)",
    "Teswir ýazmak", "Teswir goşmak", "Teswiriňizi ýazyň!", "Sene:", "Tegler:", "Read more", "Читать далее",
    "Saýty ulanmak üçin brauzeriňizde JavaScript-i açyň.", "JavaScript-i işjeňleşdiriň",
    # ad labels, calls to follow the outlet, the error and reprint notices of the region's sites
    "Реклама", "REKLAMA", "Жарнама", "Advertisement",
    "Подписывайтесь на наш Telegram-канал!",
    "Подписывайтесь на наш Telegram-канал, чтобы быть в курсе главных новостей.",
    "Самые важные новости — в нашем Telegram-канале.", "Kun.uz’ni Telegram’da kuzatib boring!",
    "Telegram kanalimizga obuna bo‘ling", "Біздің Telegram-арнаға жазылыңыз!", "Follow us on Instagram",
    "Если вы заметили ошибку, выделите ее и нажмите Ctrl+Enter.",
    "При использовании материалов ссылка на сайт обязательна.",
    # sponsored content's marks, a gallery's counter, a video's credit
    "На правах рекламы", "Reklama huquqi asosida.", "Erid: 2VtzqwH4kFk", "1 / 7", "3 из 12",
    "Видео: Telegram / «Samarqand24»", "Kadrlar: Telegram", "Фото и видео: пресс-служба МЧС",
    # social embeds without their script, and a tweet's signature
    "View this post on Instagram", "A post shared by Барқи тоҷик (@barqitojik)", "Ushbu postni Instagram’da ko‘rish",
    "Kun.uz (@kun.uz) tomonidan ulashilgan post",
    "@kunuz Toshkentdagi bo‘ron #toshkent ♬ original sound - Kun.uz",
    "Posted by Samarqand viloyati hokimligi on Friday, May 2, 2025",
    # an AMP ad slot's fallback and placeholder text, shown when no ad loads
    "Жарнама жүктөлгөн жок", "Жарнама жүктөлүүдө...", "Жарнама жүктелмеді", "Реклама не загрузилась",
    "Загрузка рекламы…", "Не удалось загрузить рекламу", "Reklama yuklanmadi.", "Реклама бор нашуд",
    "Advertisement loading...", "Ad failed to load",
    # the ad marking Kazakh and Russian law require: the label and the advertiser's company form or number
    "Реклама. ТОО «Kaspi Bank», БИН 971240001315", "Реклама. ИП Иванов И. И., ИИН 850101300123",
    "Реклама. ООО «Яндекс», ИНН 7736207543, erid: 2VtzqwH4kFk", "Жарнама. «Kaspi Bank» АҚ, БСН 971240001315",
    "Реклама: ТОО «Magnum Cash&Carry»", "Reklama. «Uzum Market» MChJ, STIR 309876543",
    "Реклама. Рекламодатель ООО «Ромашка», ИНН 7701234567. erid: LjN8KbX4c",
])
def test_ui_lines_are_recognised(line: str) -> None:
    assert is_ui_line(line)


@pytest.mark.parametrize("line", [
    "Popular protests erupted in the capital on Monday.",
    "Related issues were discussed by the ministers.",
    "Date: the talks are set for 20 October.",
    "Share prices rose by 3 percent.",
    "Okamak we ýazmak sapaklary mekdepde birinji synpdan başlanýar.",
    "Teswirler we teklipler ministrlige iberildi.",
    "Degişli habarlar agentligiň saýtynda çap edildi.",
    "Ministrlik JavaScript we Python dillerini öwredýän täze okuw merkezini açyp, ilkinji okuwçylary kabul etdi.",
    # news about messengers, advertising and sources: no call, no notice
    "Министр призвал граждан подписываться на официальный Telegram-канал ведомства.",
    "Об этом он написал в своем Telegram-канале.",
    "Реклама алкоголя в Кыргызстане запрещена с 2026 года.",
    "Ссылка на источник обязательна, заявили в министерстве, но сайт не ответил на запрос.",
    "Видео показали в суде, где подсудимый отказался от показаний.", "В 2024 году 1 из 7 жителей сменил работу.",
    "— O‘zgidromet (@uzhydromet) April 10, 2025",  # a tweet's signature: part of the quote
    "5/5", "Video: 4K/30p, FHD 120p for slow motion", "Video-based teaching so you can see how to use it",
    "YouTube Live: with at least 1,000 subscribers you can monetize your streams.",
    # news about ads that did not run, and about advertisers' companies and their numbers: one mark, or none
    "Реклама не загрузилась у половины пользователей, сообщили в компании.",
    "Жарнама жүктөлгөн жок деген билдирүүлөр көбөйдү.",
    "Рекламная компания ТОО «Медиа Плюс» (БИН 123456789012) оштрафована за нарушение закона о рекламе.",
    "Реклама ТОО «Медиа Плюс» с БИН 123456789012 была признана недобросовестной.",
    "Реклама. Как бизнес продвигает товары в соцсетях", "Реклама. Что изменится для ИП с 2026 года",
    "Агентство ТОО «Медиа Плюс», БИН 123456789012, выиграло тендер на рекламу.",
])
def test_article_sentences_are_not_ui_lines(line: str) -> None:
    assert not is_ui_line(line)


@pytest.mark.parametrize(("line", "expected"), [
    ("Read also: Tajik diplomat outlines relations", True),
    ("Читайте также: Рогунская ГЭС", True),
    ("Shuningdek o‘qing: Toshkentda yangi metro", True),
    ("Shuningdek oʻqing: Toshkentda yangi metro", True),
    ("Шунингдек ўқинг: Тошкентда янги метро", True),
    ("This article is also available in: Русский", True),
    ("Эта статья также доступна на: English", True),
    ("Şeýle hem okaň: Aşgabatda täze çagalar hassahanasy açyldy", True),
    ("ŞEÝLE HEM OKAŇ: Türkmen gazy Hytaýa iberilýär", True),
    ("Ещё по теме: В Оше открыли новый автовокзал", True),
    ("По теме: Аэропорт Манас сменит оператора", True),
    ("Читайте по теме — Аэропорт Манас сменит оператора", True),
    ("Читайте также «Аэропорт Манас сменит оператора»", True),
    ("ЧИТАЙТЕ ТАКЖЕ В Оше открыли новый автовокзал", True),
    ("Shuningdek, o‘qing: Toshkentda yangi metro", True),
    ("Yana o‘qing: Toshkentda yangi metro", True),
    ("Шунингдек, ўқинг: Тошкентда янги метро", True),
    ("Оқи отырыңыз: Алматыда жаңа метро бекеті ашылды", True),
    ("Тағы оқыңыз: Алматыда жаңа метро бекеті ашылды", True),
    ("Дагы окуңуз: Бишкекте жаңы автобус каттамы ачылды", True),
    ("Читайте также в нашем материале о реформе: как изменятся пенсии.", False),
    ("По теме выступления министр сказал немного.", False),
    ("He said he would read also the second report.", False),
    ("Şeýle hem okamak we ýazmak endikleri öwredilýär.", False),
])
def test_cross_links(line: str, expected: bool) -> None:
    assert is_cross_link(line) is expected


@pytest.mark.parametrize(("caption", "expected"), [
    ("Photo / Tajik MFA", (None, "Tajik MFA")),
    ("Фото: Asia-Plus", (None, "Asia-Plus")),
    ("Рогунская ГЭС. Фото: Asia-Plus", ("Рогунская ГЭС", "Asia-Plus")),
    ("Officials at the opening ceremony. Photo: Asia-Plus", ("Officials at the opening ceremony", "Asia-Plus")),
    ("Photo by Anora Sarkorova", (None, "Anora Sarkorova")),
    ("Сурат: Ховар", (None, "Ховар")),
    ("Surat: Turkmenportal", (None, "Turkmenportal")),
    ("Aşgabadyň täze howa menzili. Surat: TDH", ("Aşgabadyň täze howa menzili", "TDH")),
    ("Image: Wikimedia Commons", (None, "Wikimedia Commons")),
    ("Almaty at night; Image: TCA, Anna Lee", ("Almaty at night", "TCA, Anna Lee")),
    # Sputnik's credits: a copyright sign, alone or before a credit word.
    ("© Sputnik / Ирина Иванова", (None, "Sputnik / Ирина Иванова")),
    ("© Фото : Пресс-служба акимата Астаны", (None, "Пресс-служба акимата Астаны")),
    ("Мажилис. © Sputnik / Ирина Иванова", ("Мажилис", "Sputnik / Ирина Иванова")),
    # no mark between the credit word and a source of the known kinds
    ("Терминал аэропорта. Фото 24.kg", ("Терминал аэропорта", "24.kg")),
    ("Фото пресс-службы мэрии", (None, "пресс-службы мэрии")),
    ("Фото из открытых источников", (None, "из открытых источников")),
    ("Фото из соцсетей", (None, "из соцсетей")),
    ("Surat manbasi: Kun.uz", (None, "Kun.uz")),
    ("Фото из архива показали в суде.", ("Фото из архива показали в суде.", None)),
    ("Фото с места событий опубликовали очевидцы", ("Фото с места событий опубликовали очевидцы", None)),
    ("He showed an image - a map of the border", ("He showed an image - a map of the border", None)),
    ("The new checkpoint on the border", ("The new checkpoint on the border", None)),
])
def test_split_credit(caption: str, expected: tuple[str | None, str | None]) -> None:
    assert split_credit(caption) == expected


@pytest.mark.parametrize(("name", "expected"), [
    ("Redaksiýa", True), ("Habarçymyz", True), ("Редакция", True), ("Aýna Orazowa", False), ("Merdan Atayev", False),
])
def test_newsroom_bylines_are_not_people(name: str, expected: bool) -> None:
    assert is_not_a_person(name) is expected


def test_long_paragraph_mentioning_a_photo_is_not_a_credit() -> None:
    paragraph = "The minister showed reporters a photo: " + "the border post was rebuilt last year " * 5
    assert credit_line(paragraph) is None


SEED_LINES = [
    "On the sidelines of the conference, Tajik President Emomali Rahmon met Stanislav Zas.",
    "On the same day, Zac met in Dushanbe with Tajik Foreign Minister Sirojiddin Muhriddin.",
    "Photo / Tajik MFA",
    "They reportedly also exchanged views on the current challenges.\u00a0\u00a0 ",
    "ОСТАВЬТЕ ОТВЕТ",
    "Пожалуйста, введите ваш комментарий!",
    "пожалуйста, введите ваше имя здесь",
    "Share post:",
    "spot_imgspot_img",
    "Popular",
    "More like this",
    "Related",
]


def test_credit_line_goes_to_the_image_just_before_it() -> None:
    images = [{"url": "a.jpg", "caption": None, "credit": None, "_position": 1},
              {"url": "b.jpg", "caption": None, "credit": None, "_position": 3}]
    kept, _ = clean_paragraphs(["One.", "Фото: Asia-Plus", "Two.", "Three."], images)
    assert kept == ["One.", "Two.", "Three."]
    assert images == [{"url": "a.jpg", "caption": None, "credit": "Asia-Plus"},
                      {"url": "b.jpg", "caption": None, "credit": None}]


def test_clean_paragraphs_on_seed_boilerplate_moves_credit_to_image() -> None:
    images = [{"url": "https://asiaplus.news/a.jpg", "caption": None, "credit": None}]
    kept, counts = clean_paragraphs(SEED_LINES, images)
    assert kept == [SEED_LINES[0], SEED_LINES[1], "They reportedly also exchanged views on the current challenges."]
    assert images[0]["credit"] == "Tajik MFA"
    assert counts == {"removed/ui": 8, "credit_moved": 1}


def test_the_titles_a_read_also_label_introduces_go_with_it() -> None:
    """"Читайте также:" alone on its line over a list of links: the label went, the other stories' titles stayed."""
    text = ["Новый терминал открылся сегодня.", "Читайте также:", "В Оше открыли новый автовокзал",
            "Аэропорт Манас сменит оператора?", "Терминал обслужит пять миллионов пассажиров в год.", "Конец."]
    kept, counts = clean_paragraphs(text, [])
    assert kept == ["Новый терминал открылся сегодня.", "Терминал обслужит пять миллионов пассажиров в год.",
                    "Конец."]
    assert counts == {"removed/cross_link": 3}
    # five titles at most; a sentence ends the list, and a label with a title after it takes only its own line
    many = ["Ещё по теме", *(f"Заголовок номер {n}" for n in range(7))]
    assert clean_paragraphs(many, [])[0] == ["Заголовок номер 5", "Заголовок номер 6"]
    assert clean_paragraphs(["Читайте также: Бюджет принят", "Короткий абзац без точки"], [])[0] == [
        "Короткий абзац без точки"]


def test_a_byline_line_at_either_end_that_gives_the_authors_goes() -> None:
    """"Автор: …" over the text and "Таҳияи …" under it: the record has the names as its authors."""
    text = ["Автор: Айзада Мамытова", "Бишкекте жаңы мектеп ачылды.", "Мектепте 1200 окуучу окуйт.",
            "Таҳияи Фарзона Раҳимова"]
    kept, counts = clean_paragraphs(text, [], authors=["Айзада Мамытова", "Фарзона Раҳимова"])
    assert kept == text[1:3]
    assert counts == {"removed/byline": 2}
    assert clean_paragraphs(["Текст: Нурлан Осмонов / Kaktus.media", *text[1:3]], [], authors=["Нурлан Осмонов"])[
        0] == text[1:3]


@pytest.mark.parametrize(("paragraphs", "authors"), [
    # no authors found, or other ones: the line was not the byline
    (["Бишкекте жаңы мектеп ачылды.", "Автор: Айзада Мамытова"], []),
    (["Бишкекте жаңы мектеп ачылды.", "Автор: Айзада Мамытова"], ["Тимур Алиев"]),
    # the names inside a sentence, an interview's lines, a byline line in the middle of a long body
    (["Автор: Айзада Мамытова считает, что реформа провалится.", "Бишкекте жаңы мектеп ачылды."], ["Айзада Мамытова"]),
    (["— Автор ответа на запрос — Айзада Мамытова, пресс-секретарь министерства.", "— Спасибо."],
     ["Айзада Мамытова"]),
    (["Бир.", "Эки.", "Автор: Айзада Мамытова", "Үч.", "Төрт."], ["Айзада Мамытова"]),
])
def test_a_paragraph_naming_the_author_otherwise_stays(paragraphs: list[str], authors: list[str]) -> None:
    assert clean_paragraphs(paragraphs, [], authors=authors)[0] == paragraphs


# An AMP article of a Kyrgyz outlet (AMP for WordPress): the ad slot's placeholder and fallback text, and a banner
# slot's fallback outside any amp-ad (sentences about ads that did not load are in the table of sentences above).
AMP_PAGE = """<!doctype html><html amp lang="ky"><head><meta charset="utf-8">
<title>Ош шаарында жаңы көпүрө курулат - Knews</title>
<link rel="canonical" href="https://knews.kg/kg/2025/04/15/osh-kopur/">
<script async custom-element="amp-ad" src="https://cdn.ampproject.org/v0/amp-ad-0.1.js"></script>
<script type="application/ld+json">{"@context":"http://schema.org","@type":"NewsArticle",
"mainEntityOfPage":"https://knews.kg/kg/2025/04/15/osh-kopur/","headline":"Ош шаарында жаңы көпүрө курулат",
"datePublished":"2025-04-15T16:20:00","author":{"@type":"Person","name":"Бактыгүл Асанова"},
"publisher":{"@type":"Organization","name":"Knews"}}</script></head><body>
<header class="amp-wp-header"><div><a href="https://knews.kg/kg/">Knews</a></div></header>
<article class="amp-wp-article"><header class="amp-wp-article-header">
<h1 class="amp-wp-title">Ош шаарында жаңы көпүрө курулат</h1>
<div class="amp-wp-meta amp-wp-byline"><span class="amp-wp-author author vcard">Бактыгүл Асанова</span></div>
<div class="amp-wp-meta amp-wp-posted-on"><time datetime="2025-04-15T10:20:00+00:00">2 саат мурун</time></div>
</header>
<figure class="amp-wp-article-featured-image wp-caption"><amp-img width="1200" height="800"
src="https://knews.kg/wp-content/uploads/2025/04/osh.jpg" layout="intrinsic"></amp-img></figure>
<div class="amp-wp-article-content">
<p>Ош шаарында Ак-Буура дарыясы аркылуу жаңы көпүрө курулат. Бул тууралуу шаардык мэриядан билдиришти.</p>
<amp-ad width="300" height="250" type="adsense" data-ad-client="ca-pub-123" data-ad-slot="456"><div placeholder>Жарнама
</div><div fallback>Жарнама жүктөлгөн жок</div></amp-ad>
<p>Көпүрөнүн узундугу 120 метр болот. Курулуш иштери жайында башталып, 2026-жылдын күзүндө бүтөт.</p>
<amp-youtube data-videoid="abcDEF12345" layout="responsive" width="480" height="270"></amp-youtube>
<div class="banner-slot"><div class="banner-slot__fallback">Реклама не загрузилась</div></div>
<p>Долбоордун наркы 450 миллион сомду түзөт. Каражат республикалык бюджеттен бөлүнөт.</p>
<p>Мэриянын маалыматына караганда, жаңы көпүрө шаардын түштүк бөлүгүндөгү тыгындарды азайтат.</p>
</div>
<footer class="amp-wp-article-footer"><div class="amp-wp-meta amp-wp-tax-category">Категориялар:
<a href="https://knews.kg/kg/category/koom/" rel="category tag">Коом</a></div></footer>
</article><footer class="amp-wp-footer"><div><h2>Knews</h2><a href="#top">Жогору</a></div></footer></body></html>"""
AMP_BODY = [
    "Ош шаарында Ак-Буура дарыясы аркылуу жаңы көпүрө курулат. Бул тууралуу шаардык мэриядан билдиришти.",
    "Көпүрөнүн узундугу 120 метр болот. Курулуш иштери жайында башталып, 2026-жылдын күзүндө бүтөт.",
    "Долбоордун наркы 450 миллион сомду түзөт. Каражат республикалык бюджеттен бөлүнөт.",
    "Мэриянын маалыматына караганда, жаңы көпүрө шаардын түштүк бөлүгүндөгү тыгындарды азайтат.",
]
AMP_SITE = dataclasses.replace(load_site("24kg"), selectors=Selectors(body=(".amp-wp-article-content",)))


@pytest.mark.parametrize(("site", "source"), [(GENERIC, "generic"), (AMP_SITE, "site")])
def test_an_ad_slots_fallback_text_is_out_of_the_body_on_either_path(site: SiteConfig | Generic, source: str) -> None:
    record = extract_article(AMP_PAGE, "https://24.kg/obschestvo/323456_osh-kopur/", site)
    assert record.sources["body"] == source
    assert clean_paragraphs(record.paragraphs, record.images)[0] == AMP_BODY


def test_a_kazakh_ad_marking_goes_and_a_report_on_an_advertiser_stays() -> None:
    text = ["Алматыда жаңа сауда орталығы ашылды.", "Реклама. ТОО «Magnum Cash&Carry», БИН 000740001307",
            "Жарнама берушінің ТОО «Magnum Cash&Carry», БИН 000740001307, айыппұл төлегені белгілі болды.",
            "Жарнама. «Kaspi Bank» АҚ, БСН 971240001315"]
    kept, counts = clean_paragraphs(text, [])
    assert kept == [text[0], text[2]]
    assert counts == {"removed/ui": 2}
