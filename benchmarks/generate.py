"""Seeded generator of realistic SMS recipient files (``recipient,message``).

The recipient cells imitate what Iranian CRM and Excel exports really contain
(spec/iran-numbers.md §4): mostly valid mobiles in many written forms, with a few
percent of junk, and duplicates that come back later in a *different* form. The
messages imitate real bulk traffic: mostly Persian (OTPs, greetings, order and
bank notices, ads), some English and mixed, with lengths spread around the part
boundaries of spec/sms-segments.md.

Library use::

    from benchmarks.generate import frame, recipients, messages, write_csv, write_xlsx

    rec = recipients(100_000)              # list[str], seed 20261128
    df = frame(100_000)                    # + form, expect_e164, dup_of, line
    write_csv("benchmarks/data/1m.csv", 1_000_000, seed=20261128)

Script use::

    python benchmarks/generate.py --rows 1000000 --format csv -o benchmarks/data/1m.csv
    python benchmarks/generate.py --rows 1000000 --format xlsx -o benchmarks/data/1m.xlsx
    python benchmarks/generate.py --rows 100000 --describe      # shares, sanity checks

Output depends only on (rows, seed): rows are generated in fixed batches of
:data:`BATCH_ROWS`, each with its own generator seeded from (seed, batch index), so
writing streams in constant memory and 10M rows need not fit in RAM at once.

Ground truth travels with the data (``frame()`` or ``--truth file.parquet``):
``form`` (how the cell was written), ``expect_e164`` (what the spec's contract
says a normalizer must output; null for a cell it must reject), ``dup_of`` (the
0-based row this row re-emits) and the location of the row in the written file.
"""

from __future__ import annotations

import argparse
import random
import re
import sys
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final, cast

import numpy as np
import polars as pl

__all__ = [
    "BATCH_ROWS",
    "DEFAULT_SEED",
    "XLSX_MAX_DATA_ROWS",
    "batches",
    "frame",
    "messages",
    "recipients",
    "write_csv",
    "write_xlsx",
]

DEFAULT_SEED: Final = 20261128
#: Rows per generated batch. Fixed, so the data does not depend on how it is consumed.
BATCH_ROWS: Final = 200_000
#: An XLSX sheet holds 1,048,576 rows; one is the header and a couple are left blank.
XLSX_MAX_DATA_ROWS: Final = 1_048_576 - 1 - 2

_ASCII_DIGITS: Final = list("0123456789")
_PERSIAN_DIGITS: Final = list("۰۱۲۳۴۵۶۷۸۹")  # U+06F0..U+06F9
_ARABIC_DIGITS: Final = list("٠١٢٣٤٥٦٧٨٩")  # U+0660..U+0669

# --------------------------------------------------------------------------- number blocks

# (NSN prefix, relative weight). Only ranges valid as MOBILE in phonenumbers 9.0.43
# (spec/iran-numbers.md §3); weights roughly follow market share, with 0912 the
# classic Tehran MCI block. The rest of the NSN (10 digits in all) is filled in.
_BLOCKS: Final[tuple[tuple[str, float], ...]] = (
    # MCI (Hamrah-e Avval)
    ("910", 4.0), ("911", 4.0), ("912", 10.0), ("913", 4.0), ("914", 4.0),
    ("915", 4.0), ("916", 3.5), ("917", 3.5), ("918", 3.5), ("919", 5.0),
    # Irancell
    ("930", 3.0), ("933", 3.0), ("935", 6.0), ("936", 5.0), ("937", 4.0),
    ("938", 3.0), ("939", 4.0),
    ("900", 0.5), ("901", 2.5), ("902", 2.5), ("903", 2.0), ("904", 1.0), ("905", 1.0),
    # RighTel
    ("920", 2.0), ("921", 2.0), ("922", 1.0), ("923", 0.3),
    # MCI MVNO-era blocks
    ("990", 2.5), ("991", 1.5), ("992", 0.8), ("993", 0.6), ("994", 0.6),
    # Inside the Irancell 093x block but other carriers (longest-prefix operators)
    ("931", 0.5), ("932", 0.8), ("934", 0.7),
    # 0999 split four ways (MCI, Irancell, RighTel, Aptel); 6-digit rest
    ("9990", 0.15), ("9991", 0.15), ("9992", 0.1), ("9993", 0.1), ("9995", 0.05), ("9999", 0.05),
)  # fmt: skip

# --------------------------------------------------------------------------- recipient forms

# (form, share of rows). Valid Iranian forms first; their spelling follows §4 of the
# spec, and expect_e164 is "+98" + NSN for all of them. "invalid" and "foreign" rows
# are built one by one in Python (they are rare and varied). Duplicates (_DUP_SHARE)
# are drawn afterwards and overwrite rows with an earlier row's number in another form.
_FORMS: Final[tuple[tuple[str, float], ...]] = (
    ("national", 0.565),  # 09123456789
    ("plus98", 0.10),  # +989123456789
    ("cc98", 0.08),  # 989123456789 (Excel ate the +)
    ("nsn10", 0.08),  # 9123456789 (Excel ate the 0)
    ("intl0098", 0.03),  # 00989123456789
    ("persian", 0.04),  # ۰۹۱۲۳۴۵۶۷۸۹
    ("arabic-mixed", 0.01),  # ٠٩١٢…, ۰۹۱۲3456789, Persian + Arabic-Indic
    ("separators", 0.03),  # 0912 345 6789, (0912) 345-6789, +98 912 345 6789
    ("invisible", 0.01),  # LRM, RLM, ZWNJ, U+202A..C wrapping, NBSP, BOM, spaces
    ("float", 0.01),  # 9123456789.0, 989123456789.0
    ("excel-marker", 0.005),  # '0912…, ="0912…"
    ("foreign", 0.0015),  # +971501234567, 00447400123456 (valid, foreign: true)
    ("invalid", 0.0385),  # see _INVALID_KINDS
)
_FORM_NAMES: Final = tuple(f for f, _ in _FORMS)
_FORM_CODE: Final = {f: i for i, f in enumerate(_FORM_NAMES)}
#: Forms a duplicate may take (plain, common spellings; a re-import rarely adds junk).
_DUP_FORMS: Final = ("national", "plus98", "cc98", "nsn10", "intl0098", "persian", "separators")
_DUP_SHARE: Final = 0.04

# Variants inside a form: (name, weight). Each name is a branch in _recipient_expr.
_VARIANTS: Final[dict[str, tuple[tuple[str, float], ...]]] = {
    "persian": (("fa-national", 80), ("fa-plus98", 12), ("fa-spaced", 8)),
    "arabic-mixed": (
        ("ar-national", 40), ("fa-then-ascii", 15), ("ascii-then-fa", 15), ("fa-then-ar", 30),
    ),
    "separators": (
        ("sp-4-3-4", 25), ("dash-4-3-4", 15), ("paren-4-3-4", 8), ("plus98-sp", 15),
        ("sp-4-3-2-2", 6), ("dot-4-3-4", 3), ("plus98-dash", 5), ("paren-plus98", 3),
        ("0098-sp", 3), ("endash-4-3-4", 2), ("sp-4-7", 10), ("plus98-paren", 2),
        ("plus98-3-7", 3),
    ),
    "invisible": (
        ("lrm-prefix", 15), ("rlm-suffix", 8), ("lre-pdf", 15), ("lro-pdf-spaced", 8),
        ("bom-prefix", 8), ("zwnj-inside", 5), ("nbsp-inside", 12), ("spaces-around", 12),
        ("tab-prefix", 4), ("isolate", 5), ("zwsp-suffix", 4), ("nnbsp-plus98", 4),
    ),
    "float": (("nsn-dot0", 60), ("cc98-dot0", 40)),
    "excel-marker": (("apostrophe", 50), ("eq-quoted", 35), ("eq-bare", 5), ("quoted", 10)),
}  # fmt: skip

# Invalid kinds: (name, weight). Each is built by _invalid_cell; none may normalize.
_INVALID_KINDS: Final[tuple[tuple[str, float], ...]] = (
    ("scientific", 18), ("too-short", 7), ("too-long", 7), ("landline", 12),
    ("bad-block", 10), ("sender-line", 10), ("junk", 12), ("empty", 8), ("null-marker", 6),
    ("unassigned-989", 3), ("double-zero", 2), ("float-9-digits", 2),
)  # fmt: skip


# --------------------------------------------------------------------------- messages

# Templates. Per-row slots: {code} {order} {amount} {name}; filled per row, vectorized.
# Per-campaign slots ({shop} {doctor} {date} {time} {link}) are filled once per pool
# entry, like a real campaign where only the recipient-specific parts change.
_FA_TEMPLATES: Final = (
    "کد تأیید شما: {code}\nاین کد را در اختیار دیگران قرار ندهید.",
    "رمز یکبار مصرف: {code}\nمهلت استفاده ۲ دقیقه",
    "{code} کد ورود شما به اپلیکیشن {shop} است.",
    "کد فعال‌سازی حساب کاربری: {code}",
    "<#> کد تایید {shop}: {code}\nqAz8K3pLm1x",
    "بانک ملت\nرمز پویا: {code}\nمبلغ: {amount} ریال\nزمان اعتبار: ۱۲۰ ثانیه",
    "{name} عزیز، سلام\nزادروزتان خجسته باد! به همین مناسبت ۲۰٪ تخفیف ویژه برای شما فعال شد.",
    "سلام {name} جان، عید شما مبارک",
    "{name} گرامی، فرارسیدن سال نو را به شما و خانواده محترم تبریک می‌گوییم.",
    "همراه گرامی، یلدا مبارک!",
    "سفارش شما با کد {order} ثبت شد.\nپیگیری: {link}/t/{order}",
    "مشتری گرامی، مرسوله شما با کد رهگیری {order} تحویل پست شد.",
    "{name} عزیز، سفارش {order} ارسال شد و تا ۴۸ ساعت آینده به دستتان می‌رسد.",
    "پیک {shop} در راه است! زمان تقریبی رسیدن: ۳۰ دقیقه",
    "فاکتور شما به مبلغ {amount} تومان صادر شد. با تشکر از خرید شما",
    "برداشت {amount} ریال\nکارت ۶۰۳۷**۱۲۳۴\n{date} {time}",
    "واریز: {amount} ریال\nحساب ۰۲۱۵۸۸۰۱۴\nمانده: قابل مشاهده در همراه‌بانک",
    "جشنواره پاییزه {shop}! تا ۴۰٪ تخفیف روی همه محصولات، فقط تا پایان هفته.\nلغو11",
    "با کد تخفیف {code} از ۱۵٪ تخفیف خرید بعدی بهره‌مند شوید.\nلغو۱۱",
    "ثبت‌نام ترم جدید آموزشگاه زبان آغاز شد. مشاوره رایگان: ۰۲۱-۸۸۷۷۶۶۵۵\nلغو11",
    "نوبت شما در مطب دکتر {doctor} روز {date} ساعت {time} ثبت شد.",
    "{name} گرامی، قبض گاز شما به مبلغ {amount} ریال صادر شد. شناسه پرداخت: {order}",
    "اشتراک شما {date} به پایان می‌رسد. برای تمدید به حساب کاربری خود مراجعه کنید.",
    "اولیای محترم، دانش‌آموز {name} امروز در کلاس حاضر نبود.",
    'فروشگاه "{shop}": {name} عزیز، امتیاز باشگاه مشتریان شما به {order} رسید.',
    "«{name}» عزیز، از خرید شما از {shop} سپاسگزاریم.",
    "هم‌وطن گرامی، مهلت ثبت‌نام سامانه تا {date} تمدید شد.",
)
_EN_TEMPLATES: Final = (
    "Your verification code is {code}. Do not share it with anyone.",
    "{code} is your login code. It expires in 5 minutes.",
    "<#> Your {shop} code: {code}\nqAz8K3pLm1x",
    "Dear {name}, your order #{order} has shipped. Track it at {link}/t/{order}",
    "Payment of {amount} IRR received, thank you!",
    "Hi {name}, your appointment is on {date} at {time}. Reply 1 to confirm, 2 to cancel.",
    "AUTUMN SALE: up to 40% off [all items] | code {code} | ends Friday ~ shop now!",
    "Price: €25 only! Use code {code} at checkout: {link}",
    "Your balance is {amount} IRR. Call us at +98 21 8877 6655 for help.",
    "Reminder: invoice {order} is due {date}. Ignore if already paid.",
    "Happy birthday, {name}! ^_^ Here is 20% off: code {code}",
    'Your ticket "{order}" is confirmed. Gate 4, seat 12C.',
    "Order ref: 1404\\{order} - see your account for details.",
    "{shop}: {name}, we miss you! Come back for 15% off with code {code}",
    "Your {shop} package {order} is out for delivery today, {date}.",
)
_MIXED_TEMPLATES: Final = (
    "کد تأیید / Verification code: {code}",
    "Snapp: کد ورود شما {code} است.",
    "سفارش #{order} ثبت شد. Track: {link}/t/{order}",
    "Digikala | دیجی‌کالا\nکد تخفیف: {code}\nلغو11",
    "Welcome to ایرانسل! بسته اینترنت ۱۰ گیگ شما فعال شد.",
    "{name} عزیز، Your OTP is {code}",
    "Hi {name}! جشنواره {shop} شروع شد 🎉 up to 50% off",
)
_FA_FILLERS: Final = (
    "با تشکر از همراهی شما.",
    "برای اطلاعات بیشتر به وب‌سایت ما مراجعه کنید.",
    "این پیام به صورت خودکار ارسال شده است، لطفاً به آن پاسخ ندهید.",
    "ساعات کاری: شنبه تا چهارشنبه ۸ تا ۱۷ و پنجشنبه‌ها ۸ تا ۱۳.",
    "در صورت هرگونه سؤال با پشتیبانی ۲۴ ساعته به شماره ۰۲۱-۹۱۰۰۲۰۰۰ تماس بگیرید.",
    "ارسال رایگان برای خریدهای بالای ۵۰۰ هزار تومان.",
    "این تخفیف قابل جمع با سایر تخفیف‌ها نیست.",
    "لینک دانلود اپلیکیشن: https://example.ir/app",
    "کارشناسان ما آماده پاسخگویی به شما هستند.",
    "از اینکه ما را انتخاب کردید سپاسگزاریم.",
    "لطفاً کارت ملی خود را همراه داشته باشید.",
    "مهلت استفاده از این کد تا پایان ماه جاری است.",
    "نشانی: تهران، خیابان ولیعصر، بالاتر از پارک ساعی، پلاک ۱۲۳۴، طبقه ۲",
    "به دلیل تعطیلات رسمی، سفارش‌ها از روز شنبه پردازش می‌شوند.",
    "کیفیت، سرعت و قیمت مناسب؛ سه اصلی که همیشه به آن پایبندیم.",
    "با نصب اپلیکیشن، از پیشنهادهای ویژه زودتر از همه باخبر شوید و در قرعه‌کشی ماهانه شرکت کنید.",
    "در راستای بهبود خدمات، نظرسنجی کوتاهی برای شما ارسال شده است. پاسخ شما به ما کمک می‌کند "
    "تا تجربه بهتری برای شما و دیگر مشتریان فراهم کنیم.",
    "فروشگاه ما از سال ۱۳۸۵ با بیش از ۲ میلیون مشتری راضی، ارائه‌دهنده محصولات اصل با گارانتی "
    "معتبر و ضمانت بازگشت کالا تا ۷ روز است. تمامی سفارش‌ها در تهران همان روز و در شهرستان‌ها "
    "طی ۲ تا ۴ روز کاری تحویل داده می‌شوند.",
    "قابل توجه مشتریان محترم: از این پس امکان پرداخت اقساطی بدون ضامن و پیش‌پرداخت برای خریدهای "
    "بالای ۱۰ میلیون تومان فراهم شده است.",
)
_EN_FILLERS: Final = (
    "Thank you for choosing us.",
    "This is an automated message, please do not reply.",
    "For help, call 021-91002000 (24/7).",
    "Free shipping on orders over 500,000 Toman.",
    "Terms and conditions apply.",
    "Download our app: https://example.ir/app",
    "Offer valid until the end of the month, while stocks last.",
    "Our support team is available Saturday to Wednesday, 8am to 5pm, and Thursday 8am to 1pm.",
    "We value your feedback: a short survey has been sent to your email, and every answer helps "
    "us serve you and other customers better.",
    "Since 2006 we have delivered genuine products with a full warranty to more than 2 million "
    "customers. Orders in Tehran arrive the same day; other cities receive them within 2 to 4 "
    "working days. Returns are free within 7 days.",
)
_FA_NAMES: Final = (
    "علی", "محمد", "فاطمه", "زهرا", "حسین", "مریم", "رضا", "سارا", "امیرحسین", "نرگس",
    "مهدی", "نازنین‌زهرا", "محمدرضا", "الهام", "سید علی", "کیانا", "آرش", "پریسا",
    "ابوالفضل", "فاطمه‌زهرا", "یاسمن", "حمیدرضا", "ستاره", "امیرعلی", "مائده", "آقای احمدی",
    "خانم کریمی", "دکتر رضایی", "مشتری", "کاربر",
)  # fmt: skip
_EN_NAMES: Final = (
    "Ali", "Sara", "Reza", "Maryam", "Mohammad", "Zahra", "Amir", "Neda", "Hossein",
    "Parisa", "Arash", "Customer", "Mr. Ahmadi", "Ms. Karimi", "Dr. Rezaei",
)  # fmt: skip
_SHOPS: Final = (
    "دیجی‌کالا", "اسنپ", "تپسی", "نیک‌کالا", "بامیلو", "کافه‌بازار", "فروشگاه آفتاب",
    "Digikala", "Snapp", "OKala",
)  # fmt: skip
_DOCTORS: Final = ("رضایی", "محمدی", "حسینی", "کریمی", "موسوی")
_FA_DATES: Final = ("۱۴۰۵/۰۹/۰۷", "۱۴۰۵/۰۹/۱۵", "۷ آذر", "۲۰ آذر ۱۴۰۵", "1405/09/07")
_EN_DATES: Final = ("Nov 28", "2026-12-05", "Saturday", "28/11/2026")
_FA_TIMES: Final = ("۱۰:۳۰", "۱۷:۴۵", "08:15", "۹ صبح")
_EN_TIMES: Final = ("10:30", "5:45 PM", "08:15")
_LINKS: Final = ("https://shop.example.ir", "https://example.ir", "http://l.ir/x7")
# Astral emoji (surrogate pairs in UTF-16), ZWJ/variation sequences and a few BMP ones.
_EMOJI: Final = ("🎉", "🎁", "😀", "❤️", "👍🏽", "🇮🇷", "🔥", "🌷", "📦", "🛒", "💳", "✅", "⭐")

# (low, high, weight) target lengths in characters. Persian is UCS-2 (70/134/201/268/
# 335 units), English GSM-7 (160/306/459): bands straddle those limits on purpose.
# The weights keep the mean near the prototype's files (about 180 bytes a row).
_FA_LENGTH_BANDS: Final[tuple[tuple[int, int, float], ...]] = (
    (15, 55, 34), (60, 75, 22), (76, 130, 18), (130, 140, 6), (150, 170, 7),
    (170, 335, 9), (335, 700, 2.5), (900, 1100, 0.4),
)  # fmt: skip
_EN_LENGTH_BANDS: Final[tuple[tuple[int, int, float], ...]] = (
    (20, 80, 30), (80, 150, 22), (150, 170, 20), (170, 320, 13), (300, 320, 6),
    (450, 470, 4), (600, 800, 3), (900, 1100, 1),
)  # fmt: skip
_LANG_SHARES: Final[tuple[tuple[str, float], ...]] = (("fa", 0.70), ("en", 0.18), ("mixed", 0.12))
_EMPTY_MESSAGE_SHARE: Final = 0.003
_POOL_SIZE: Final = 4000
_MAX_SLOTS: Final = 3
_ROW_SLOTS: Final = ("code", "order", "amount", "name")


@dataclass(frozen=True)
class _Pool:
    """Message templates split around their per-row slots, one entry per campaign."""

    parts: tuple[pl.Series, ...]  # _MAX_SLOTS + 1 text pieces
    kinds: tuple[np.ndarray, ...]  # _MAX_SLOTS slot kinds (-1 none, else _ROW_SLOTS index)
    code_len: np.ndarray  # OTP length of the entry (4..6)
    order_len: np.ndarray  # order number length (6..9)
    fa_digits: np.ndarray  # bool: per-row values printed in Persian digits
    english: np.ndarray  # bool: names come from the English list
    size: int


def _campaign_text(rnd: random.Random, lang: str) -> str:
    """One campaign's text with per-row slots marked as NUL-delimited names."""
    fillers: tuple[str, ...]
    bands: tuple[tuple[int, int, float], ...]
    if lang == "fa":
        text, fillers, bands = rnd.choice(_FA_TEMPLATES), _FA_FILLERS, _FA_LENGTH_BANDS
    elif lang == "en":
        text, fillers, bands = rnd.choice(_EN_TEMPLATES), _EN_FILLERS, _EN_LENGTH_BANDS
    else:
        text = rnd.choice(_MIXED_TEMPLATES)
        fillers = _FA_FILLERS
        bands = _FA_LENGTH_BANDS
    en = lang == "en"
    # A few campaigns go out with the mail-merge placeholder never filled in.
    literal_name = "{name}" in text and rnd.random() < 0.04
    text = text.format(
        code="\0code\0",
        order="\0order\0",
        amount="\0amount\0",
        name="{name}" if literal_name else "\0name\0",
        shop=rnd.choice(_SHOPS[-3:] if en else _SHOPS),
        doctor=rnd.choice(_DOCTORS),
        date=rnd.choice(_EN_DATES if en else _FA_DATES),
        time=rnd.choice(_EN_TIMES if en else _FA_TIMES),
        link=rnd.choice(_LINKS),
    )
    # Grow towards a target length with filler sentences (best fit, so the
    # result lands near the target instead of overshooting by a paragraph).
    # The opt-out line ("لغو11", "reply 11 to unsubscribe") stays last.
    text, _, opt_out = text.partition("\nلغو")
    low, high, _ = rnd.choices(bands, [b[2] for b in bands])[0]
    target = rnd.randint(low, high) - (len(opt_out) + 5 if opt_out else 0)
    sep = "\n" if rnd.random() < 0.4 else " "
    unused = list(fillers)
    while (room := target - _estimated_len(text)) > 8:
        fits = [f for f in unused if len(f) <= room + 6]
        if not fits:
            break
        pick = rnd.choice(fits)
        unused.remove(pick)
        text += sep + pick
    if opt_out:
        text += "\nلغو" + opt_out
    if rnd.random() < 0.12:
        emoji = rnd.choice(_EMOJI)
        text = f"{emoji} {text}" if rnd.random() < 0.5 else f"{text} {emoji}"
    if lang != "en" and rnd.random() < 0.10:
        # Arabic keyboard on Windows: Arabic yeh/kaf instead of the Persian letters.
        text = text.replace("ی", "ي").replace("ک", "ك")
    if en and rnd.random() < 0.06:
        # Pasted from Word: curly quotes and a no-break space.
        text = text.replace("'", "’").replace(" is ", " is\u00a0", 1)
        text = text.replace('"', "“", 1).replace('"', "”", 1)
    if "\n" in text and rnd.random() < 0.15:
        text = text.replace("\n", "\r\n")
    return text


def _build_pool(seed: int) -> _Pool:
    """Build :data:`_POOL_SIZE` message templates, deterministic for ``seed``."""
    rnd = random.Random(f"messages:{seed}")
    parts: list[list[str]] = [[] for _ in range(_MAX_SLOTS + 1)]
    kinds: list[list[int]] = [[] for _ in range(_MAX_SLOTS)]
    code_len: list[int] = []
    order_len: list[int] = []
    fa_digits: list[bool] = []
    english: list[bool] = []
    langs = [lang for lang, _ in _LANG_SHARES]
    lang_w = [w for _, w in _LANG_SHARES]
    for _ in range(_POOL_SIZE):
        lang = rnd.choices(langs, lang_w)[0]
        en = lang == "en"
        text = _campaign_text(rnd, lang)
        pieces = text.split("\0")
        # split gives text, kind, text, kind, ..., text
        texts, slot_kinds = pieces[0::2], pieces[1::2]
        if len(slot_kinds) > _MAX_SLOTS:
            raise AssertionError(f"template has too many per-row slots: {text!r}")
        texts += [""] * (_MAX_SLOTS + 1 - len(texts))
        for i in range(_MAX_SLOTS + 1):
            parts[i].append(texts[i])
        for i in range(_MAX_SLOTS):
            kinds[i].append(_ROW_SLOTS.index(slot_kinds[i]) if i < len(slot_kinds) else -1)
        code_len.append(rnd.choice((4, 5, 5, 6, 6, 6)))
        order_len.append(rnd.randint(6, 9))
        fa_digits.append(not en and rnd.random() < 0.7)
        english.append(en)
    return _Pool(
        parts=tuple(pl.Series(p, dtype=pl.String) for p in parts),
        kinds=tuple(np.asarray(k, dtype=np.int8) for k in kinds),
        code_len=np.asarray(code_len, dtype=np.int64),
        order_len=np.asarray(order_len, dtype=np.int64),
        fa_digits=np.asarray(fa_digits, dtype=bool),
        english=np.asarray(english, dtype=bool),
        size=_POOL_SIZE,
    )


def _choose(branches: Sequence[tuple[pl.Expr, pl.Expr]], otherwise: pl.Expr) -> pl.Expr:
    """``when(c1).then(v1).when(c2)...otherwise(x)``: the first true condition wins."""
    chain: Any = pl  # pl.when(...) starts the chain, .when(...) continues it
    for cond, value in branches:
        chain = chain.when(cond).then(value)
    return cast(pl.Expr, chain.otherwise(otherwise))


def _mean(s: pl.Series) -> float:
    """Mean of a numeric or boolean series as a float (0.0 when empty)."""
    value = s.mean()
    return float(value) if isinstance(value, int | float) else 0.0


_SLOT_MARK: Final = re.compile("\0[a-z]+\0")


def _estimated_len(text: str) -> int:
    """Length once the per-row slots are filled (about 7 characters each)."""
    return len(_SLOT_MARK.sub("1234567", text))


def _amounts(rnd: random.Random, n: int) -> list[str]:
    """Money as Iranian notices print it: thousands separated by commas."""
    return [f"{rnd.randint(1, 99_999) * 1000:,}" for _ in range(n)]


def _messages_batch(pool: _Pool, rng: np.random.Generator, rnd: random.Random, n: int) -> pl.Series:
    t = rng.integers(0, pool.size, n)
    ti = pl.Series(t)
    code = pl.Series(rng.integers(0, 10**6, n) % 10 ** pool.code_len[t]).cast(pl.String)
    order_len = pool.order_len[t]
    order = pl.Series(rng.integers(10 ** (order_len - 1), 10**order_len)).cast(pl.String)
    amount_pool = pl.Series(_amounts(rnd, 2000))
    amount = amount_pool.gather(rng.integers(0, 2000, n))
    fa_name = pl.Series(_FA_NAMES).gather(rng.integers(0, len(_FA_NAMES), n))
    en_name = pl.Series(_EN_NAMES).gather(rng.integers(0, len(_EN_NAMES), n))
    df = pl.DataFrame(
        {
            "code": code,
            "code_len": pl.Series(pool.code_len[t]),
            "order": order,
            "amount": amount,
            "en": pl.Series(pool.english[t]),
            "fa_name": fa_name,
            "en_name": en_name,
            "fa": pl.Series(pool.fa_digits[t]),
            **{f"k{i}": pl.Series(pool.kinds[i][t]) for i in range(_MAX_SLOTS)},
            **{f"p{i}": pool.parts[i].gather(ti) for i in range(_MAX_SLOTS + 1)},
        }
    )
    df = df.with_columns(
        # OTP codes keep their leading zeros ("0042"): that is how they are sent.
        pl.col("code").str.zfill(pl.col("code_len")),
        pl.when(pl.col("en")).then(pl.col("en_name")).otherwise(pl.col("fa_name")).alias("name"),
    )
    # Persian templates print the per-row numbers in Persian digits (most of them).
    df = df.with_columns(
        pl.when(pl.col("fa"))
        .then(pl.col(c).str.replace_many(_ASCII_DIGITS, _PERSIAN_DIGITS))
        .otherwise(pl.col(c))
        .alias(c)
        for c in ("code", "order", "amount")
    )

    def slot(i: int) -> pl.Expr:
        k = pl.col(f"k{i}")
        return _choose(
            [(k == kind, pl.col(name)) for kind, name in enumerate(_ROW_SLOTS)], pl.lit("")
        )

    pieces: list[pl.Expr] = [pl.col("p0")]
    for i in range(_MAX_SLOTS):
        pieces += [slot(i), pl.col(f"p{i + 1}")]
    msg = df.select(pl.concat_str(pieces).alias("message")).to_series()
    empty = pl.Series(rng.random(n) < _EMPTY_MESSAGE_SHARE)
    return pl.select(pl.when(empty).then(pl.lit("")).otherwise(msg)).to_series().alias("message")


# --------------------------------------------------------------------------- recipients


def _scramble(index: np.ndarray, digits: int, seed: int) -> np.ndarray:
    """A keyed bijection on [0, 10**digits): distinct rows get distinct NSN tails.

    Drawing tails at random would make accidental duplicates (about 3% of 10M rows by
    the birthday bound), which would blur the duplicate share this data promises.
    Affine steps modulo 10**k (multiplier coprime to 10) and a per-digit permutation
    are each bijective, so their composition is too, and it looks random enough.
    """
    m = 10**digits
    r = np.random.default_rng([seed, digits, 0x5C7A])
    x = index % m
    for _ in range(2):
        a = int(r.integers(1, m // 10)) * 10 + int(r.choice([1, 3, 7, 9]))  # coprime to 10
        b = int(r.integers(0, m))
        x = (x * a + b) % m
        out = np.zeros_like(x)
        for k in range(digits):
            perm = r.permutation(10)
            d = (x // 10**k) % 10
            out += perm[d] * 10**k
        x = out
    return np.asarray(x, dtype=np.int64)


def _variant_codes(form: np.ndarray, u: np.ndarray) -> np.ndarray:
    """Pick a variant per row for forms that have variants (uniform u in [0, 1))."""
    var = np.zeros(form.shape, dtype=np.int16)
    for name, variants in _VARIANTS.items():
        mask = form == _FORM_CODE[name]
        w = np.asarray([v[1] for v in variants], dtype=float)
        var[mask] = np.searchsorted(np.cumsum(w) / w.sum(), u[mask], side="right")
    return var


def _recipient_expr() -> pl.Expr:
    """The written cell for every valid Iranian form, from columns nsn, form, variant."""
    nsn = pl.col("nsn")
    form, var = pl.col("form_code"), pl.col("variant")

    def g(a: int, n: int) -> pl.Expr:
        return nsn.str.slice(a, n)

    def cat(*xs: str | pl.Expr) -> pl.Expr:
        return pl.concat_str([pl.lit(x) if isinstance(x, str) else x for x in xs])

    def fa(e: pl.Expr) -> pl.Expr:
        return e.str.replace_many(_ASCII_DIGITS, _PERSIAN_DIGITS)

    def ar(e: pl.Expr) -> pl.Expr:
        return e.str.replace_many(_ASCII_DIGITS, _ARABIC_DIGITS)

    national = cat("0", nsn)
    grouped = {  # nsn 9123456789 -> groups 912 345 6789
        "sp-4-3-4": cat("0", g(0, 3), " ", g(3, 3), " ", g(6, 4)),
        "dash-4-3-4": cat("0", g(0, 3), "-", g(3, 3), "-", g(6, 4)),
        "paren-4-3-4": cat("(0", g(0, 3), ") ", g(3, 3), " ", g(6, 4)),
        "plus98-sp": cat("+98 ", g(0, 3), " ", g(3, 3), " ", g(6, 4)),
        "sp-4-3-2-2": cat("0", g(0, 3), " ", g(3, 3), " ", g(6, 2), " ", g(8, 2)),
        "dot-4-3-4": cat("0", g(0, 3), ".", g(3, 3), ".", g(6, 4)),
        "plus98-dash": cat("+98-", g(0, 3), "-", g(3, 3), "-", g(6, 4)),
        "paren-plus98": cat("(+98) ", g(0, 3), " ", g(3, 3), " ", g(6, 4)),
        "0098-sp": cat("0098 ", g(0, 3), " ", g(3, 3), " ", g(6, 4)),
        "endash-4-3-4": cat("0", g(0, 3), "\u2013", g(3, 3), "\u2013", g(6, 4)),
        "sp-4-7": cat("0", g(0, 3), " ", g(3, 7)),
        "plus98-paren": cat("+98 (", g(0, 3), ") ", g(3, 3), "-", g(6, 4)),
        "plus98-3-7": cat("+98 ", g(0, 3), " ", g(3, 7)),
    }
    branches: dict[str, dict[str, pl.Expr]] = {
        "persian": {
            "fa-national": fa(national),
            "fa-plus98": fa(cat("+98", nsn)),
            "fa-spaced": fa(grouped["sp-4-3-4"]),
        },
        "arabic-mixed": {
            "ar-national": ar(national),
            "fa-then-ascii": cat(fa(cat("0", g(0, 3))), g(3, 7)),
            "ascii-then-fa": cat("0", g(0, 3), fa(g(3, 7))),
            "fa-then-ar": cat(fa(cat("0", g(0, 5))), ar(g(5, 5))),
        },
        "separators": grouped,
        "invisible": {
            "lrm-prefix": cat("\u200e", national),
            "rlm-suffix": cat(national, "\u200f"),
            "lre-pdf": cat("\u202a+98", nsn, "\u202c"),
            "lro-pdf-spaced": cat("\u202d", grouped["plus98-sp"], "\u202c"),
            "bom-prefix": cat("\ufeff", national),
            "zwnj-inside": cat("0", g(0, 3), "\u200c", g(3, 3), "\u200c", g(6, 4)),
            "nbsp-inside": cat("0", g(0, 3), "\u00a0", g(3, 3), "\u00a0", g(6, 4)),
            "spaces-around": cat(" ", national, "  "),
            "tab-prefix": cat("\t", national),
            "isolate": cat("\u2066+98", nsn, "\u2069"),
            "zwsp-suffix": cat(national, "\u200b"),
            "nnbsp-plus98": cat("+98\u202f", g(0, 3), "\u202f", g(3, 3), "\u202f", g(6, 4)),
        },
        "float": {"nsn-dot0": cat(nsn, ".0"), "cc98-dot0": cat("98", nsn, ".0")},
        "excel-marker": {
            "apostrophe": cat("'", national),
            "eq-quoted": cat('="', national, '"'),
            "eq-bare": cat("=", national),
            "quoted": cat('"', national, '"'),
        },
    }
    plain = {
        "national": national,
        "plus98": cat("+98", nsn),
        "cc98": cat("98", nsn),
        "nsn10": nsn,
        "intl0098": cat("0098", nsn),
    }
    choices = [(form == _FORM_CODE[name], e) for name, e in plain.items()]
    for name, by_variant in branches.items():
        names = [v for v, _ in _VARIANTS[name]]
        choices += [
            ((form == _FORM_CODE[name]) & (var == names.index(vname)), e)
            for vname, e in by_variant.items()
        ]
    # invalid and foreign rows: built in Python, see _rare_cells
    return _choose(choices, pl.col("rare"))


_FOREIGN: Final = (  # (written prefix, E.164 prefix, random digits); all valid MOBILE
    ("+97150", "+97150", 7), ("+97155", "+97155", 7), ("+447400", "+447400", 6),
    ("00447400", "+447400", 6), ("+7912", "+7912", 7), ("+90532", "+90532", 7),
    ("+964 780", "+964780", 7), ("+93 70", "+9370", 7), ("+49151", "+49151", 8),
)  # fmt: skip


def _digits(rnd: random.Random, n: int) -> str:
    return "".join(rnd.choices("0123456789", k=n))


def _invalid_cell(kind: str, nsn: str, rnd: random.Random) -> str:
    """One cell a normalizer must reject (reason in spec §4), built around ``nsn``."""
    if kind == "scientific":
        # What Excel's General format saves: 6 significant digits (9.12346E+09).
        value = float(rnd.choice((nsn, "98" + nsn)))
        text = format(value, ".6G")
        return rnd.choice((text, text, text, text.lower(), text.replace(".", ",")))
    if kind == "too-short":
        return rnd.choice(("0" + nsn[:-1], nsn[:-1], "+98" + nsn[:-1], "0" + nsn[:-2]))
    if kind == "too-long":
        return rnd.choice(("0" + nsn + _digits(rnd, 1), "+98" + nsn + "0", "09" + nsn))
    if kind == "landline":
        area = rnd.choice(("21", "21", "21", "26", "31", "51", "71", "41"))
        local = _digits(rnd, 8)
        return rnd.choice(
            (f"0{area}{local}", f"+98{area}{local}", f"{area}{local}", f"0{area}-{local}")
        )
    if kind == "bad-block":
        return "0" + rnd.choice(("906", "908", "940", "950", "997", "926")) + _digits(rnd, 7)
    if kind == "sender-line":
        return rnd.choice(
            (
                "3000505",
                "+983000505",
                "50001234",
                "1000" + _digits(rnd, rnd.randint(4, 8)),
                "2000" + _digits(rnd, rnd.randint(3, 6)),
                "+98300012345",
                "30001" + _digits(rnd, 7),
            )
        )
    if kind == "junk":
        other = "093" + _digits(rnd, 8)
        return rnd.choice(
            (
                f"0{nsn} ext 12",
                f"Ali 0{nsn}",
                f"0{nsn[:-1]}O",
                f"0{nsn}, {other}",
                f"0{nsn} / {other}",
                f"tel:+98{nsn}",
                f"0{nsn[:3]}-{nsn[3:6]}-{nsn[6:]} داخلی ۲",
                f"0{nsn} (همراه)",
                f"98{nsn}+",
                f"{nsn[0]},{nsn[1:4]},{nsn[4:7]},{nsn[7:]}",
                f"++98{nsn}",
                f"98+{nsn}",
                f"0{nsn[:3]}*{nsn[3:]}",
            )
        )
    if kind == "empty":
        return rnd.choice(("", "", "", "   ", "\u200e"))
    if kind == "null-marker":
        return rnd.choice(("nan", "#N/A", "NULL", "None", "N/A"))
    if kind == "unassigned-989":
        return rnd.choice(("989", "0989")) + _digits(rnd, 7)
    if kind == "double-zero":
        return "00" + nsn
    if kind == "float-9-digits":
        return nsn[:9] + ".0"
    raise AssertionError(kind)


def _rare_cells(
    form: np.ndarray, nsn: Sequence[str], rnd: random.Random
) -> tuple[list[str | None], list[str | None], list[str | None]]:
    """Cells, labels and expected E.164 for the invalid and foreign rows (None elsewhere)."""
    n = len(form)
    cells: list[str | None] = [None] * n
    labels: list[str | None] = [None] * n
    expect: list[str | None] = [None] * n
    kinds, weights = zip(*_INVALID_KINDS, strict=True)
    for i in np.flatnonzero(form == _FORM_CODE["invalid"]).tolist():
        kind = rnd.choices(kinds, weights)[0]
        cells[i] = _invalid_cell(kind, nsn[i], rnd)
        labels[i] = f"invalid:{kind}"
    for i in np.flatnonzero(form == _FORM_CODE["foreign"]).tolist():
        written, e164, k = rnd.choice(_FOREIGN)
        tail = _digits(rnd, k)
        cells[i] = written + tail
        expect[i] = e164 + tail
    return cells, labels, expect


# --------------------------------------------------------------------------- batches


def _batch(seed: int, index: int, start: int, n: int, pool: _Pool) -> pl.DataFrame:
    rng = np.random.default_rng([seed, index])
    rnd = random.Random(f"{seed}:{index}")

    # 1. Every row gets a valid NSN, unique per row (see _scramble).
    prefixes = [p for p, _ in _BLOCKS]
    bw = np.asarray([w for _, w in _BLOCKS], dtype=float)
    block = rng.choice(len(prefixes), n, p=bw / bw.sum())
    plen = np.asarray([len(p) for p in prefixes])[block]
    pint = np.asarray([int(p) for p in prefixes], dtype=np.int64)[block]
    gidx = np.arange(start, start + n, dtype=np.int64)
    tail7, tail6 = _scramble(gidx, 7, seed), _scramble(gidx, 6, seed)
    nsn_int = np.where(plen == 3, pint * 10**7 + tail7, pint * 10**6 + tail6)

    # 2. A written form per row.
    fw = np.asarray([w for _, w in _FORMS], dtype=float)
    form = rng.choice(len(_FORMS), n, p=fw / fw.sum()).astype(np.int16)

    # 3. Duplicates: later rows take an earlier row's number in another plain form.
    # Sources are valid rows that are not duplicates themselves, so a chain never
    # points at a row whose number was just replaced.
    dup_of = np.full(n, -1, dtype=np.int64)
    n_dup = round(_DUP_SHARE * n)
    if n_dup and n > 1:
        dups = np.sort(rng.choice(np.arange(1, n), size=min(n_dup, n - 1), replace=False))
        is_dup = np.zeros(n, dtype=bool)
        is_dup[dups] = True
        source_ok = np.isin(form, [_FORM_CODE[f] for f in _DUP_FORMS]) & ~is_dup
        sources = np.flatnonzero(source_ok)
        before = np.searchsorted(sources, dups)  # sources with a smaller index
        have = before > 0
        dups, before = dups[have], before[have]
        src = sources[(rng.random(len(dups)) * before).astype(np.int64)]
        dup_codes = np.asarray([_FORM_CODE[f] for f in _DUP_FORMS], dtype=np.int16)
        new_form = dup_codes[rng.integers(0, len(dup_codes), len(dups))]
        # "a *different* form": step to the next plain form when the draw repeats it
        same = new_form == form[src]
        pos = np.searchsorted(dup_codes, new_form[same])  # dup_codes is sorted
        new_form[same] = dup_codes[(pos + 1) % len(dup_codes)]
        nsn_int[dups] = nsn_int[src]
        form[dups] = new_form
        dup_of[dups] = src + start

    nsn = pl.Series("nsn", nsn_int).cast(pl.String)
    variant = _variant_codes(form, rng.random(n))
    rare, rare_label, rare_expect = _rare_cells(form, nsn.to_list(), rnd)

    msg = _messages_batch(pool, rng, rnd, n)
    if (dup_rows := np.flatnonzero(dup_of >= 0)).size:
        # Half of the duplicates repeat the message too (an exact re-import), half
        # carry a different message (the same person in two campaigns).
        same_msg = dup_rows[rng.random(dup_rows.size) < 0.5]
        take = np.arange(n)
        take[same_msg] = dup_of[same_msg] - start
        msg = msg.gather(take)

    df = pl.DataFrame(
        {
            "nsn": nsn,
            "form_code": pl.Series(form),
            "variant": pl.Series(variant),
            "rare": pl.Series(rare, dtype=pl.String),
            "rare_label": pl.Series(rare_label, dtype=pl.String),
            "rare_expect": pl.Series(rare_expect, dtype=pl.String),
            "message": msg,
            "dup_of": pl.Series(dup_of),
        }
    )
    names = pl.Series(_FORM_NAMES)
    valid_iran = pl.col("form_code") < _FORM_CODE["foreign"]
    return df.select(
        _recipient_expr().alias("recipient"),
        "message",
        pl.coalesce(pl.col("rare_label"), pl.col("form_code").replace_strict(
            list(range(len(names))), names.to_list(), return_dtype=pl.String
        )).alias("form"),
        pl.when(valid_iran).then(pl.concat_str(pl.lit("+98"), "nsn"))
        .otherwise(pl.col("rare_expect")).alias("expect_e164"),
        pl.when(pl.col("dup_of") >= 0).then(pl.col("dup_of")).alias("dup_of"),
    )  # fmt: skip


def batches(rows: int, seed: int = DEFAULT_SEED) -> Iterator[pl.DataFrame]:
    """Yield the data in batches of at most :data:`BATCH_ROWS` rows.

    Columns: recipient, message (the cells), form, expect_e164, dup_of (truth).
    """
    if rows < 0:
        raise ValueError("rows must be >= 0")
    pool = _build_pool(seed)
    for index, start in enumerate(range(0, rows, BATCH_ROWS)):
        yield _batch(seed, index, start, min(BATCH_ROWS, rows - start), pool)


def frame(rows: int, seed: int = DEFAULT_SEED) -> pl.DataFrame:
    """All rows in one DataFrame (recipient, message, form, expect_e164, dup_of)."""
    parts = list(batches(rows, seed))
    if not parts:
        return pl.DataFrame(
            schema={
                "recipient": pl.String,
                "message": pl.String,
                "form": pl.String,
                "expect_e164": pl.String,
                "dup_of": pl.Int64,
            }
        )
    return pl.concat(parts, rechunk=True)


def recipients(rows: int, seed: int = DEFAULT_SEED) -> list[str]:
    """The recipient cells of :func:`frame` as a list (aligned with :func:`messages`)."""
    return frame(rows, seed).get_column("recipient").to_list()


def messages(rows: int, seed: int = DEFAULT_SEED) -> list[str]:
    """The message cells of :func:`frame` as a list (aligned with :func:`recipients`)."""
    return frame(rows, seed).get_column("message").to_list()


# --------------------------------------------------------------------------- writers


def _newlines_before(message: pl.Series, first_line: int) -> pl.Series:
    """Physical CSV line on which each record starts (header is line 1).

    A record spans 1 + (line breaks inside its quoted fields) lines; a CRLF inside a
    field is one break, and only messages can hold breaks.
    """
    breaks = message.str.count_matches("\n").cast(pl.Int64)
    return (breaks.cum_sum() - breaks + pl.Series(np.arange(len(message)))) + first_line


def write_csv(
    path: str | Path,
    rows: int,
    seed: int = DEFAULT_SEED,
    *,
    crlf: bool = False,
    bom: bool = False,
    truth: str | Path | None = None,
) -> int:
    """Write ``rows`` rows as CSV (RFC 4180 quoting), streaming batch by batch.

    Fields are quoted only when they hold ``,``, ``"``, CR or LF; an empty cell is
    written bare (``,``), as Excel does. Record ends are LF (``crlf=True`` for CRLF,
    what Excel writes); ``bom=True`` starts the file with a UTF-8 BOM (Excel's "CSV
    UTF-8"). ``truth`` writes form/expect_e164/dup_of/line to a Parquet file.
    Returns the number of bytes written.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    truth_parts: list[pl.DataFrame] = []
    next_line = 2
    with path.open("wb") as out:
        if bom:
            out.write(b"\xef\xbb\xbf")
        out.write(b"recipient,message" + (b"\r\n" if crlf else b"\n"))
        for batch in batches(rows, seed):
            cells = batch.select(
                # "" -> null, so polars writes a bare empty field instead of "".
                pl.col("recipient").replace("", None),
                pl.col("message").replace("", None),
            )
            cells.write_csv(out, include_header=False, line_terminator="\r\n" if crlf else "\n")
            if truth is not None:
                lines = _newlines_before(batch.get_column("message"), next_line)
                truth_parts.append(batch.with_columns(lines.alias("line")))
                last = batch.get_column("message").tail(1).str.count_matches("\n").item()
                next_line = int(lines[-1]) + 1 + int(last)
        size = out.tell()
    if truth is not None:
        _write_truth(truth, truth_parts)
    return size


def _write_truth(path: str | Path, parts: list[pl.DataFrame]) -> None:
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    df = pl.concat(parts) if parts else pl.DataFrame()
    df.with_row_index("row", offset=1).write_parquet(path)


_XLSX_NUMERIC_SHARE: Final = 0.20
_NUMERIC_CELL: Final = r"^[1-9][0-9]{0,14}$"


def write_xlsx(
    path: str | Path,
    rows: int,
    seed: int = DEFAULT_SEED,
    *,
    truth: str | Path | None = None,
) -> int:
    """Write ``rows`` rows as one XLSX sheet with xlsxwriter in ``constant_memory`` mode.

    Like a real Excel export: about 20% of recipients are numeric cells. Every cell
    that is all ASCII digits without a leading zero (``9123456789``, ``98912…``) is
    stored as a number, and, to reach the share, some national ``0912…`` cells too,
    with the zero gone (what Excel does to a column typed as General). Two data
    rows are left blank. Everything else, formulas-looking text included, is a
    string. Returns the file size in bytes.
    """
    import xlsxwriter

    if rows > XLSX_MAX_DATA_ROWS:
        raise ValueError(f"an XLSX sheet holds at most {XLSX_MAX_DATA_ROWS:_} data rows")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng([seed, 0xE7CE1])
    # Blank rows sit between data rows; they shift the Excel row numbers after them.
    blank_after = (
        set(rng.choice(np.arange(1, rows), size=2, replace=False).tolist()) if (rows > 2) else set()
    )
    wb = xlsxwriter.Workbook(str(path), {"constant_memory": True})
    ws = wb.add_worksheet("Sheet1")
    ws.write_string(0, 0, "recipient")
    ws.write_string(0, 1, "message")
    excel_row = 1  # 0-based for xlsxwriter; row 0 is the header
    data_row = 0
    truth_parts: list[pl.DataFrame] = []
    for batch in batches(rows, seed):
        n = batch.height
        numeric = batch.get_column("recipient").str.contains(_NUMERIC_CELL).to_numpy()
        need = max(0, round(_XLSX_NUMERIC_SHARE * n) - int(numeric.sum()))
        national = np.flatnonzero((batch.get_column("form") == "national").to_numpy())
        convert = rng.choice(national, size=min(need, national.size), replace=False)
        rec = batch.get_column("recipient").to_list()
        for i in convert.tolist():
            rec[i] = rec[i][1:]  # "09123456789" -> 9123456789
        numeric[convert] = True
        msgs = batch.get_column("message").to_list()
        rows_out = np.empty(n, dtype=np.int64)
        for i in range(n):
            if data_row in blank_after:
                excel_row += 1
            rows_out[i] = excel_row + 1  # 1-based Excel row number
            value = rec[i]
            if numeric[i]:
                ws.write_number(excel_row, 0, float(value))
            elif value:
                ws.write_string(excel_row, 0, value)
            if msgs[i]:
                ws.write_string(excel_row, 1, msgs[i])
            excel_row += 1
            data_row += 1
        if truth is not None:
            truth_parts.append(
                batch.with_columns(
                    pl.Series("recipient", rec, dtype=pl.String),
                    pl.Series("xlsx_number", numeric),
                    pl.Series("line", rows_out),
                )
            )
    wb.close()
    if truth is not None:
        _write_truth(truth, truth_parts)
    return path.stat().st_size


# --------------------------------------------------------------------------- describe


def describe(rows: int, seed: int = DEFAULT_SEED) -> str:
    """Shares of forms and message shapes, and a phonenumbers sanity check."""
    df = frame(rows, seed)
    out: list[str] = [f"rows={rows:_} seed={seed}"]
    shares = (
        df.group_by(pl.col("form").str.split(":").list.first().alias("group"))
        .len()
        .sort("len", descending=True)
    )
    out.append("\nform group           share")
    out += [f"  {g:<18} {c / rows:7.2%}" for g, c in shares.iter_rows()]
    invalid = df.filter(pl.col("form").str.starts_with("invalid")).group_by("form").len()
    out.append(f"\ninvalid total {invalid['len'].sum() / rows:.2%}:")
    out += [f"  {f:<26} {c / rows:7.3%}" for f, c in invalid.sort("form").iter_rows()]
    dup_rows = df.with_row_index().filter(pl.col("dup_of").is_not_null())
    msgs = df.get_column("message")
    same_msg = _mean(
        msgs.gather(dup_rows.get_column("index")) == msgs.gather(dup_rows.get_column("dup_of"))
    )
    e164 = df.get_column("expect_e164").drop_nulls()
    out.append(
        f"\nduplicates (dup_of set): {dup_rows.height / rows:.2%}, same message {same_msg:.0%}"
        f"; distinct expect_e164 {e164.n_unique():_} of {e164.len():_} valid rows"
    )

    out += _sanity(df, rows, seed)
    out += _message_shapes(df.get_column("message"))
    return "\n".join(out)


def _sanity(df: pl.DataFrame, rows: int, seed: int) -> list[str]:
    """Check the truth columns with phonenumbers, independently of p2pfile.

    After *simple* cleaning every valid cell must be a valid mobile for phonenumbers,
    equal to expect_e164, and no invalid cell may clean to one. Simple cleaning =
    digits to ASCII, drop Cf/space/separators, the Excel markers and a ".0": the
    spec's §4 steps, with only the plain routings (0…, 98…, 10 digits, +, 00).
    """
    import unicodedata

    import phonenumbers

    trans = str.maketrans("۰۱۲۳۴۵۶۷۸۹٠١٢٣٤٥٦٧٨٩", "01234567890123456789")

    def clean(s: str) -> str:
        s = "".join(c for c in s.translate(trans) if unicodedata.category(c) != "Cf").strip()
        s = s.removeprefix("'").removeprefix("=").strip('"')
        s = re.sub(r"^([0-9]+)\.0+$", r"\1", s)
        return re.sub(r"[\s\-.()/\u2013]", "", s)

    def judge(s: str) -> str | None:
        d = clean(s)
        if not re.fullmatch(r"\+?[0-9]+", d):
            return None
        if d.startswith("00"):
            d = "+" + d[2:]
        if not d.startswith("+"):
            if len(d) == 12 and d.startswith("98"):
                d = "+" + d
            elif len(d) == 11 and d.startswith("0"):
                d = "+98" + d[1:]
            elif len(d) == 10:
                d = "+98" + d
            else:
                return None
        try:
            num = phonenumbers.parse(d, None)
        except phonenumbers.NumberParseException:
            return None
        if not phonenumbers.is_valid_number(num):
            return None
        if phonenumbers.number_type(num) not in (
            phonenumbers.PhoneNumberType.MOBILE,
            phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE,
        ):
            return None
        return phonenumbers.format_number(num, phonenumbers.PhoneNumberFormat.E164)

    sample = df.sample(min(rows, 50_000), seed=seed)
    bad: list[tuple[str, str, str | None, str | None]] = []
    for cell, form, expect in sample.select("recipient", "form", "expect_e164").iter_rows():
        got = judge(cell)
        if got != expect:
            bad.append((form, cell, expect, got))
    out: list[str] = []
    out.append(f"\nphonenumbers sanity on {sample.height:_} sampled rows: {len(bad)} disagreements")
    out += [f"  {f:<24} {c!r:<30} expect={e} got={g}" for f, c, e, g in bad[:20]]
    return out


def _message_shapes(m: pl.Series) -> list[str]:
    # Rough: code points, not units; bench_core measures the real thing.
    out: list[str] = []
    lengths = m.str.len_chars()
    bands = [(0, 0), (1, 59), (60, 75), (76, 149), (150, 170), (171, 335), (336, 899), (900, 5000)]
    out.append("\nmessage length (code points)")
    for lo, hi in bands:
        share = _mean((lengths >= lo) & (lengths <= hi))
        out.append(f"  {lo:>4}-{hi:<5} {share:7.2%}")
    checks = {
        "Persian/Arabic letters": r"[\u0600-\u06FF]",
        "ZWNJ": "\u200c",
        "Arabic yeh/kaf": "[\u064a\u0643]",
        "CRLF": "\r\n",
        "LF": "\n",
        'comma or "': '[,"]',
        "GSM extension (ASCII-only rows)": r"^[\x00-\x7f€]*[\[\]{}~^|\\€][\x00-\x7f€]*$",
        "astral (emoji)": r"[\U00010000-\U0010FFFF]",
        "curly quote / NBSP": "[\u2018\u2019\u201c\u201d\u00a0]",
        "{name} placeholder": r"\{name\}",
    }
    out.append("\nmessage features")
    out += [f"  {k:<34} {_mean(m.str.contains(v)):7.2%}" for k, v in checks.items()]
    out.append(f"  {'empty':<34} {_mean(m == ''):7.2%}")
    return out


# --------------------------------------------------------------------------- CLI


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--rows", type=int, default=1_000_000)
    p.add_argument("--seed", type=int, default=DEFAULT_SEED)
    p.add_argument("--format", choices=("csv", "xlsx"), default="csv")
    p.add_argument("-o", "--output", type=Path, help="default: benchmarks/data/<rows>.<format>")
    p.add_argument("--crlf", action="store_true", help="CSV: CRLF record ends (Excel)")
    p.add_argument("--bom", action="store_true", help="CSV: start with a UTF-8 BOM")
    p.add_argument("--truth", type=Path, help="also write ground truth as Parquet")
    p.add_argument(
        "--describe", action="store_true", help="print shares and sanity checks; write nothing"
    )
    args = p.parse_args(argv)
    if args.describe:
        print(describe(args.rows, args.seed))
        return 0
    out = args.output or Path(__file__).parent / "data" / f"{args.rows}.{args.format}"
    t0 = time.perf_counter()
    if args.format == "csv":
        size = write_csv(out, args.rows, args.seed, crlf=args.crlf, bom=args.bom, truth=args.truth)
    else:
        if args.crlf or args.bom:
            p.error("--crlf and --bom apply to CSV only")
        if args.rows > XLSX_MAX_DATA_ROWS:
            p.error(f"an XLSX sheet holds at most {XLSX_MAX_DATA_ROWS:_} data rows")
        size = write_xlsx(out, args.rows, args.seed, truth=args.truth)
    took = time.perf_counter() - t0
    print(
        f"wrote {out} ({args.rows:_} rows, {size / 2**20:.1f} MiB) in {took:.1f} s",
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
