"""Shared boilerplate rules: page chrome to cut from the DOM, UI lines to drop
from a body, and photo-credit lines to move into the image record.

The node rules know the WordPress themes the region's outlets use (tagDiv
"Newspaper" first); the text rules know the UI strings in the region's
languages, so that the generic fallback's output is cleaned the same way.
"""

from __future__ import annotations

import re
from re import _parser  # type: ignore[attr-defined]  # the pattern parser's widths (see _UI_LINE_MAX_CHARS)

# CSS selectors of chrome that sits inside or next to article bodies.
NODE_SELECTORS: tuple[str, ...] = (
    "script", "style", "noscript", "template", "iframe", "form", "svg", "button",
    # comments and reply forms
    "#comments", ".comments", ".comment-respond", "#respond",
    # share bars
    ".td-post-sharing", ".tdb_single_post_share", ".sharedaddy", ".share-buttons",
    # ad placeholders (tagDiv prints them as images with alt "spot_img")
    ".td-a-ad", ".td-a-rec", "img[alt='spot_img']",
    # related / popular / "more like this" blocks and their teasers
    ".td_block_related_posts", ".td-related-row", ".td-block-title-wrap",
    ".td_module_flex", ".td_flex_block", ".tdb_single_related", ".jp-relatedposts", ".yarpp-related",
    ".wp-block-latest-posts",
    # navigation and subscription prompts
    "nav", ".td-post-next-prev", ".tdb_single_next_prev", ".subscribe", ".newsletter",
    # social embeds' fallback text ("View this post on Instagram", "A post shared by …") and AMP's ad slots
    ".instagram-media", ".tiktok-embed", ".fb-post", ".fb-xfbml-parse-ignore", "amp-ad", "amp-embed", "amp-sticky-ad",
)

_UI_LINES = [
    # share prompts
    r"share( post| this( article)?)?:?", r"поделиться:?", r"(бо дигарон )?мубодила( кунед)?:?",
    r"бөлүшүү:?", r"бөлісу:?", r"ulashish:?", r"paýlaş(mak)?:?",
    # related / popular block titles
    r"popular", r"more like this", r"related( posts| articles| news)?", r"latest news",
    r"популярное", r"похожие (статьи|новости|записи)", r"по теме", r"последние новости",
    r"маъмул", r"мақолаҳои монанд", r"инчунин хонед", r"окшош жаңылыктар", r"ұқсас жаңалықтар",
    r"o'xshash yangiliklar", r"ўхшаш янгиликлар",
    r"mavzuga oid", r"мавзуга оид",
    r"(degişli|meňzeş|soňky|hemme|ähli) habarlar", r"iň köp okalan(lar)?", r"meşhur",
    # "read" buttons under teasers
    r"(doly |dowamyny |giňişleýin )?okamak", r"read more", r"читать (далее|дальше|полностью)",
    # empty labels left by the theme
    r"date:?", r"дата:?", r"сана:?", r"tags:?", r"теги:?", r"метки:?", r"барчаспҳо:?",
    r"sene:?", r"tegler:?", r"bellikler:?",
    # comment forms
    r"leave a (reply|comment)", r"оставьте ответ", r"оставить комментарий", r"шарҳ гузоред",
    r"лутфан,? шарҳи худро ворид кунед!?", r"лутфан,? номи худро дар ин ҷо ворид кунед",
    r"пожалуйста,? введите ваш комментарий!?", r"пожалуйста,? введите ваше имя здесь",
    r"you have entered an incorrect email address!?", r"вы ввели неверный адрес электронной почты!?",
    r"save my name, email, and website in this browser for the next time i comment\.?",
    r"teswirler( \(\d+\))?:?", r"teswir (ýaz|goş)(mak|yň)", r"teswiriňizi ýazyň!?",
    # ad placeholders and labels, sponsored content's marks ("На правах рекламы", Russia's ad ID "erid: …")
    r"(spot_img)+", r"реклама", r"reklama", r"жарнама", r"advertisement",
    r"на правах рекламы\.?", r"reklama huquqi asosida\.?", r"реклама ҳуқуқи асосида\.?", r"жарнама құқығында\.?",
    r"erid:? ?\w{6,30}",
    # an ad slot's fallback and placeholder text (AMP's amp-ad / amp-embed show it when no ad loads): "Жарнама
    # жүктөлгөн жок", "Реклама не загрузилась", "Загрузка рекламы…"
    r"(реклама|жарнама|reklama|mahabat|advertisement|ad) (не загрузилась|не загружена|загружается|"
    r"жүктөлгөн жок|жүктөлбөй калды|жүктөлүүдө|жүктелмеді|жүктелген жоқ|жүктелуде|yuklanmadi|yuklanmoqda|"
    r"юкланмади|юкланмоқда|бор нашуд|бор карда нашуд|ýüklenmedi|ýüklenýär|failed to load|not loaded|"
    r"is loading|loading)(\.{1,3}|…)?",
    r"(загрузка рекламы|не удалось загрузить рекламу|loading ad|жарнама жүктөлүп жатат|здесь (может|могла) быть "
    r"ваша реклама)(\.{1,3}|…|!)?",
    # a gallery's slide counter ("1 / 7", "3 из 12")
    r"\d{1,3} (/|из|of) \d{1,3}",  # spaced: "5/5" is a rating
]
_UI_LINE = re.compile("(?:{})".format("|".join(_UI_LINES)), re.IGNORECASE)
# Most paragraphs are longer than any UI line whose pattern has a length limit (the parser's reading of each): only
# the few that repeat are tried on them, not the sixty alternatives (a microsecond a paragraph, twice per page).
_UI_WIDTHS = [(line, _parser.parse(line, re.IGNORECASE).getwidth()[1]) for line in _UI_LINES]
_UI_LINE_MAX_CHARS = max(width for _, width in _UI_WIDTHS if width < _parser.MAXREPEAT)
_UI_LONG_LINE = re.compile("(?:{})".format("|".join(line for line, width in _UI_WIDTHS if width > _UI_LINE_MAX_CHARS)),
                           re.IGNORECASE)

# Lines that introduce a link to another story: "Read also: <title>", "Ещё по теме — <title>".
_CROSS_LINK_WORDS = (
    r"read (also|more)|see also|читайте (также|еще|ещё|по теме)|смотрите также|(ещё|еще) по теме|по теме|"
    r"инчунин хонед|ошондой эле окуңуз|дагы окуңуз|сондай-ақ оқыңыз|оқи отырыңыз|тағы оқыңыз|"
    r"(shuningdek,? |yana )o'qing|(шунингдек,? |яна )ўқинг|"
    r"şeýle hem okaň|hem okaň")
_CROSS_LINK = re.compile(
    rf"({_CROSS_LINK_WORDS}|"
    # WPML's translation notice
    r"this (?:post|article|page) is also available in|эта (?:статья|запись) также доступна на)\s*(:|—|–|-)",
    re.IGNORECASE,
)
# The label alone, the other stories' titles in the paragraphs after it ("Читайте также:" over a list of links).
_CROSS_LINK_LABEL = re.compile(rf"(?:{_CROSS_LINK_WORDS})\s*[:—–-]?", re.IGNORECASE)
# The same without a colon, before the other story's title (a capital or an opening quote): "Читайте также
# «…»". Case-sensitive (a lower-case word goes on a sentence).
_CROSS_LINK_TITLE = re.compile(r"(?:Читайте также|ЧИТАЙТЕ ТАКЖЕ|Read also|READ ALSO|Ещё по теме|Еще по теме)\s+"
                               r"[«\"„“A-ZА-ЯЁ0-9]")

# Whole short paragraphs that are a site's notices, not the article: calls to follow the outlet on a messenger or
# social network ("Подписывайтесь на наш Telegram-канал!", "Самые важные новости — в нашем Telegram-канале"), the
# "select the error and press Ctrl+Enter" notice, the reprint terms ("При использовании материалов ссылка
# обязательна"). Each needs both of its marks; a report that a minister "called on people to subscribe" has no
# imperative.
_NOTICE_CHARS = 250
_NETWORKS = (r"telegram|телеграм|whatsapp|instagram|инстаграм|youtube|ютуб|facebook|фейсбук|tiktok|тикток|"
             r"вконтакте|одноклассники|\bvk\b|twitter|соцсет|ijtimoiy tarmoq|әлеуметтік желі")
_FOLLOW = (r"подписывайтесь|подпишитесь|присоединяйтесь|следите за (нами|новостями)|читайте нас|"
           r"obuna bo'ling|kuzatib boring|обуна бўлинг|жазылыңыз|жазылыңыздар|жазылыңдар|катталыңыз|"
           r"обуна шавед|agza boluň|yzarlaň|\bsubscribe (?:to|on)\b|\bfollow us\b|\bjoin us\b|"
           r"наш(ем|ему|его|)\s+(telegram|телеграм)")
# The text a social network's embed shows when its script has not run: a paragraph of its own on the page, never
# the article's. (A tweet's text and its signature, "— Name (@handle) April 10, 2025", are a quote: kept.)
_EMBED_CHARS = 300
_EMBED = re.compile(
    r"(?:view this post on instagram|посмотреть эту публикацию в instagram|ushbu postni instagram'da ko'rish|"
    r"(?:a post shared by|публикация от|пост от) .{1,100}\(@[\w.]{1,40}\)|"
    r".{1,100}\(@[\w.]{1,40}\) tomonidan ulashilgan post|"
    r"@[\w.]{1,40} .{0,200}♬ .{1,100}|"  # TikTok: the author, the caption, the sound
    r"posted by .{1,100} on \w+, \w+ \d{1,2}, \d{4})",
    re.IGNORECASE | re.DOTALL,
)
# A video's credit ("Видео: Telegram / «Samarqand24»", "Kadrlar: Telegram"): no image to give it to.
_VIDEO_CREDIT = re.compile(
    r"(?:видео|kadrlar|кадры|кадрлар|фото и видео|foto va video)\s*(?::|/|©)\s*\S.{0,80}",
    re.IGNORECASE | re.DOTALL,
)

_NOTICE = re.compile(
    rf"(?:(?=.*(?:{_NETWORKS}))(?=.*(?:{_FOLLOW}))"
    r"|(?=.*ctrl\s*\+\s*enter)"
    r"|(?=.*(?:использовании|копировании|перепечатке|цитировании))(?=.*ссылк)(?=.*обязательн))"
    rf".{{0,{_NOTICE_CHARS}}}",
    re.IGNORECASE | re.DOTALL,
)

# The ad marking Kazakh and Russian law require on a paid text: the label, then the advertiser's company form or
# registration number ("Реклама. ТОО «Компания», БИН 123456789012", "Реклама. ИП Иванов, ИИН …", "Реклама. ООО «…»,
# ИНН …, erid: …", "Жарнама. «…» АҚ, БСН …"). Both marks, the label first and ending on its stop or colon: a news
# sentence about an advertising firm's BIN ("Рекламная компания ТОО «X» (БИН …) оштрафована") has no such label.
_AD_MARKING_CHARS = 300
_AD_MARKING = re.compile(
    r"(?:реклама|жарнама|reklama|advertising|advertisement)\s*[.:]\s*(?:рекламодатель\s*:?\s*)?"
    # the company form first, or after the name in quotes (Kazakh: "«…» АҚ"), or a registration number or erid
    r"(?:[«\"„“][^»\"“”]{1,80}[»\"“”]\s*,?\s*)?(?:(?-i:(?:ТОО|ИП|ООО|ОАО|ЗАО|ПАО|АО|ОсОО|ЖШС|ЖК|АҚ|MChJ|МЧЖ|AJ|"
    r"LLP|LLC|JSC)\b)|(?=.*\b(?:БИН|ИИН|ИНН|ОГРН|ОГРНИП|БСН|ЖСН|СТИР|STIR)\s*:?\s*\d{9,15}\b)|(?=.*\berid\b))"
    rf".{{0,{_AD_MARKING_CHARS}}}",
    re.IGNORECASE | re.DOTALL,
)

_CREDIT_WORDS = (r"photo|photos|фото|сурат|акс|сүрөт|сурет|foto|surat|источник фото|surat manbasi|rasm manbasi|"
                 r"сурат манбаси|фото манбаси")
# The caption ends on a non-space and its whitespace is taken whole (\s++), so a line of
# spaces is read once, not once per possible end of the caption.
# A copyright sign alone marks a credit too ("© Sputnik / Name", "© Фото : пресс-служба"), so does
# one before a credit word.
_CREDIT = re.compile(
    rf"^(?:(?P<caption>.*?[^\s©])[.,;]?\s++)?(?:©?\s*+(?:{_CREDIT_WORDS})\s*+(?:/|:|©|by\b|-|—)|image\s*+:|©)"
    r"\s*(?P<credit>.+)$",
    re.IGNORECASE,
)
_MAX_CREDIT_LINE = 160
# A credit word and its source with no mark between ("Фото 24.kg", "Фото пресс-службы мэрии", "Фото из открытых
# источников"): only sources of these kinds, and no sentence's end ("Фото из архива показали в суде." is news).
_BARE_CREDIT = re.compile(
    r"^(?:(?P<caption>.*?[^\s©])[.,;]?\s++)?(?:фото|photo|foto|сурат|сүрөт|сурет)\s++"
    r"(?P<credit>(?:из открытых источников|из (?:соц\.? ?сетей|социальных сетей|интернета)|из архива\b|"
    r"пресс-служб|предоставлен|автора\b|иллюстративное|"
    r"[\w-]+\.(?:kg|kz|uz|tj|tm|ru|com|net|org|info|news|media|asia)\b)[^.!?]{0,60})$",
    re.IGNORECASE,
)
_BARE_CREDIT_WORDS = ("фото", "photo", "foto", "сурат", "сүрөт", "сурет")


# Uzbek Latin writes o‘ and g‘ with any of these; the rules are written with "'". A regex replaces
# them (str.translate looks up every character of a Cyrillic paragraph in a dict: ten times slower).
_APOSTROPHES = re.compile("[‘’ʻʼ`´]")


def plain(paragraph: str) -> str:
    """``paragraph`` stripped, with every apostrophe written "'" (as the rules are)."""
    return _APOSTROPHES.sub("'", paragraph.strip())


MAX_BYLINE_LINE_CHARS = 160  # a body paragraph longer than this is a sentence, never a byline line alone

# Bylines that name a role or the newsroom rather than a person.
_NOT_A_PERSON = re.compile(
    r"(?:the )?(?:editor|editors|editorial( team| board)?|admin|administrator|staff|newsroom|web desk|news desk|"
    r"correspondent|reporter|guest|anonymous|unknown|редакция|редактор|администратор|корреспондент|"
    r"наш корреспондент|собкор|таҳририят|tahririyat|редакциясы|редакция сайта|пресс-служба|"
    r"redaksiýa|habarçymyz|habarçy)",
    re.IGNORECASE,
)


def is_not_a_person(name: str) -> bool:
    """True for bylines such as "Editor", "Редакция", an address or markup (``<img src=x onerror=…>``: a page's
    author field holds it for whatever shows author names as HTML) rather than a person's name."""
    name = name.strip()
    return (_NOT_A_PERSON.fullmatch(name) is not None or "@" in name or "://" in name or "<" in name or ">" in name
            or len(name) > 80 or not any(ch.isalpha() for ch in name))


# "Enable JavaScript to use this site" notices of script-rendered pages.
_JS_NOTICE_CHARS = 200
_JS_NOTICE = re.compile(
    rf"(?=.*javascript)(?=.*(?:enable|turn on|включ|yoqing|иштет|қос|фаъол|açyň|işjeňleşdir)).{{0,{_JS_NOTICE_CHARS}}}",
    re.IGNORECASE | re.DOTALL,
)


def is_ui_line(paragraph: str) -> bool:
    """True when the whole paragraph is a UI string (share prompt, block title, form label)."""
    return is_plain_ui_line(plain(paragraph))


def is_plain_ui_line(plain: str) -> bool:
    """:func:`is_ui_line` of a paragraph already made :func:`plain` (cleaning makes it once for both tests)."""
    # A notice is at most _JS_NOTICE_CHARS long: its look-aheads would otherwise scan every long paragraph twice.
    ui_line = _UI_LINE if len(plain) <= _UI_LINE_MAX_CHARS else _UI_LONG_LINE
    return ui_line.fullmatch(plain) is not None or (
        len(plain) <= _JS_NOTICE_CHARS and _JS_NOTICE.fullmatch(plain) is not None) or (
        len(plain) <= _NOTICE_CHARS and _NOTICE.fullmatch(plain) is not None) or (
        len(plain) <= _AD_MARKING_CHARS and _AD_MARKING.fullmatch(plain) is not None) or (
        len(plain) <= _EMBED_CHARS and (_EMBED.fullmatch(plain) or _VIDEO_CREDIT.fullmatch(plain)) is not None)


def is_cross_link(paragraph: str) -> bool:
    """True when the paragraph is a "Read also: ..." pointer to another story."""
    return is_plain_cross_link(plain(paragraph))


def is_plain_cross_link(plain: str) -> bool:
    """:func:`is_cross_link` of a paragraph already made :func:`plain`."""
    return _CROSS_LINK.match(plain) is not None or _CROSS_LINK_TITLE.match(plain) is not None \
        or is_plain_cross_link_label(plain)


def is_plain_cross_link_label(plain: str) -> bool:
    """Whether a paragraph made :func:`plain` is a "Read also" label alone: the titles of other stories follow."""
    return len(plain) <= _CROSS_LINK_LABEL_CHARS and _CROSS_LINK_LABEL.fullmatch(plain) is not None


_CROSS_LINK_LABEL_CHARS = 40


# A credit has one of these after its credit word, or is marked "©" or "Image:" (':'). Most lines have none:
# testing for them in C spares the regular expression, which tries the credit at every word of the line.
_CREDIT_MARKS = ("©", ":", "/", "-", "—")


def _may_credit(text: str) -> bool:
    """Whether ``text`` has what :data:`_CREDIT` needs ("by" in any case: no other letter lower-cases to b or y)."""
    return any(mark in text for mark in _CREDIT_MARKS) or "by" in text.lower()


def split_credit(text: str) -> tuple[str | None, str | None]:
    """Split an image caption into (caption, credit).

    ``"Photo / Tajik MFA"`` gives ``(None, "Tajik MFA")``; ``"Рогунская ГЭС.
    Фото: Asia-Plus"`` gives ``("Рогунская ГЭС", "Asia-Plus")``; a caption with
    no credit comes back whole.
    """
    text = text.strip()
    short = len(text) <= _MAX_CREDIT_LINE
    match = _CREDIT.match(text) if short and _may_credit(text) else None
    if match is None and short and any(word in text.lower() for word in _BARE_CREDIT_WORDS):
        match = _BARE_CREDIT.match(text)
    if not match:
        return (text or None), None
    caption = (match.group("caption") or "").strip(" .,;") or None
    return caption, match.group("credit").strip(" .") or None


def credit_line(paragraph: str) -> tuple[str | None, str] | None:
    """Return (caption, credit) when the whole paragraph is a photo credit line."""
    caption, credit = split_credit(paragraph)
    if credit is None:
        return None
    return caption, credit
