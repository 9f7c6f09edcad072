"""Synthetic bilingual feedback for benchmarks: realistic clauses combined at random.

Deterministic for a given seed, so benchmark runs compare like with like.
"""

from __future__ import annotations

import random

PERSIAN = [
    "سفارشم خیلی دیر رسید و پیک هم بداخلاق بود",
    "متأسفانه سفارش من با تأخیر ارسال شد",
    "کیفیت غذا عالی بود و گرم رسید",
    "درگاه پرداخت خطا داد ولی پول از حسابم کم شد",
    "پشتیبانی اصلا جواب نمیده، سه بار زنگ زدم",
    "قیمت‌ها نسبت به بقیه فروشگاه‌ها مناسب‌تره",
    "بسته‌بندی محصول آسیب دیده بود",
    "اپلیکیشن موقع پرداخت بسته میشه",
    "خیییلی ممنون از همکاری خوبتون",
    "کد تخفیف موقع خرید اعمال نشد",
    "مرجوعی کالا دو هفته طول کشید و هنوز پولم برنگشته",
    "عکس محصول با چیزی که رسید فرق داشت",
    "ميخواستم بدونم چرا سفارشم لغو شد",
    "تحویل سریع بود، ممنون",
]
ENGLISH = [
    "The delivery was two days late and the courier was rude",
    "Great prices and fast shipping",
    "The app crashes every time I try to pay",
    "Customer service kept me on hold for 40 minutes",
    "I had to call three times to get a refund",
    "Product quality is excellent, will buy again",
    "The coupon code did not work at checkout",
    "Package arrived damaged and the box was wet",
    "The website search never finds what I need",
    "Love the new loyalty program!!",
    "Refund took THREE WEEKS, unacceptable",
    "The chatbot keeps sending me in circles",
]
FINGLISH = [
    "kheili dir resid, poshtibani ham javab nemide",
    "ghimat ha kheili bala rafte",
    "app hamash crash mikone moghe pardakht",
    "mersi az ersal sari",
]
CONNECTIVES_FA = ["ولی", "اما", "و"]
CONNECTIVES_EN = ["but", "and", "however,"]
EXTRAS = ["", "", "", " 😡", " 👍", " ۰۹۱۲۱۲۳۴۵۶۷", " call me 0912 345 6789", " a.b@mail.com"]


def _answer(rng: random.Random) -> str:
    kind = rng.random()
    if kind < 0.45:
        parts = rng.sample(PERSIAN, rng.randint(1, 3))
        text = f" {rng.choice(CONNECTIVES_FA)} ".join(parts)
    elif kind < 0.85:
        parts = rng.sample(ENGLISH, rng.randint(1, 3))
        text = f" {rng.choice(CONNECTIVES_EN)} ".join(parts) + rng.choice([".", "!", ""])
    elif kind < 0.93:
        text = " vali ".join(rng.sample(FINGLISH, rng.randint(1, 2)))
    else:
        text = f"{rng.choice(PERSIAN)} but {rng.choice(ENGLISH).lower()}"
    return text + rng.choice(EXTRAS)


def synthetic_answers(count: int, seed: int = 13) -> list[str]:
    rng = random.Random(seed)
    return [_answer(rng) for _ in range(count)]
