# ruff: noqa: E501
"""Generate the bilingual (Persian + English) sample feedback shipped with voc.

Run from the repository root::

    python sample_feedback/generate.py

Writes, next to this script:

* ``survey_export.csv``   - NPS survey export (UTF-8 with BOM, CRLF, as Excel saves it)
* ``app_reviews.jsonl``   - app-store reviews, one JSON object per line
* ``support_tickets.xlsx`` - support tickets, one sheet named ``tickets``

and the evaluation truth file ``tests/data/sample_feedback_truth.jsonl``.

Everything is synthetic and written by the voc project (CC0). The text pools below were
written by hand; a seeded RNG combines clauses into answers, so the output is byte-for-byte
reproducible. Only the standard library and openpyxl are used.

Conventions used in the text pools
----------------------------------
* A pool entry (``Clause``) is ``(text, stage, touchpoint, polarity)`` where polarity is
  ``"+"`` (praise), ``"-"`` (complaint) or ``"0"`` (neutral / plain request).
* In Persian pools ``_`` marks a zero-width non-joiner (half-space, U+200C); it is converted
  when the pools are loaded, and then sometimes dropped or replaced by a space on purpose.
* ``{order}``, ``{track}``, ``{price}``, ``{date}`` are non-PII numbers filled per answer;
  ``{agent}`` is a person's name (recorded as PII kind ``person_name``).
"""

from __future__ import annotations

import csv
import io
import itertools
import json
import random
import re
import zipfile
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.writer.excel import ExcelWriter

SEED = 14050412
HERE = Path(__file__).resolve().parent
TRUTH_PATH = HERE.parent / "tests" / "data" / "sample_feedback_truth.jsonl"
FIXED_TIMESTAMP = datetime(2026, 11, 1, 9, 0, 0)
ZWNJ = "\u200c"

N_SURVEY = 320
N_REVIEWS = 200
N_TICKETS = 160

# (text, stage, touchpoint, polarity) and, for tickets, + agent-picked category
Clause = tuple[str, str | None, str | None, str]
TicketClause = tuple[str, str | None, str | None, str, str]

STAGES = ("discovery", "evaluation", "purchase", "delivery", "usage", "support", "returns", "loyalty")
TOUCHPOINTS = (
    "search_ads", "social_media", "website", "mobile_app", "product_page", "checkout",
    "payment_gateway", "email_sms", "call_center", "chat", "courier", "store", "returns_portal",
)

# =============================================================================================
# Text pools: answers to "what is the main reason for your score?" and free-form reviews.
# Grouped by journey stage; each stage has an English and a Persian list.
# =============================================================================================

# --- discovery ------------------------------------------------------------------------------
EN_DISCOVERY: list[Clause] = [
    ("Your Instagram ad showed the phone at half price, on the site it was the full price", "discovery", "social_media", "-"),
    ("The Google ad said free shipping and that turned out to be false", "discovery", "search_ads", "-"),
    ("I found you through a Google search and the ad took me straight to the right product", "discovery", "search_ads", "+"),
    ("I keep getting promo SMS at 11pm, it's really annoying", "discovery", "email_sms", "-"),
    ("The weekly newsletter actually has useful deals", "discovery", "email_sms", "+"),
    ("Saw an influencer promoting you on Instagram and the discount code she gave actually worked", "discovery", "social_media", "+"),
    ("The sponsored post said 70% off, the real discount was more like 10%", "discovery", "social_media", "-"),
    ("Your ads follow me on every website since I looked at one blender", "discovery", "search_ads", "-"),
    ("A friend recommended you and I'm glad she did", "discovery", None, "+"),
    ("Your Instagram page is nice and they answer comments quickly", "discovery", "social_media", "+"),
    ("I unsubscribed from your emails three times and I still get them", "discovery", "email_sms", "-"),
    ("The home page is so cluttered with banners that I can't find anything", "discovery", "website", "-"),
    ("I walked past your store in the mall and the staff were really welcoming", "discovery", "store", "+"),
    ("The app home page keeps suggesting stuff I would never buy", "discovery", "mobile_app", "-"),
    ("The clickbait ads make the brand look cheap", "discovery", "search_ads", "-"),
    ("The push notifications about flash sales are actually helpful", "discovery", "mobile_app", "+"),
    ("The Telegram/Instagram giveaway winners were never announced, feels like a scam", "discovery", "social_media", "-"),
    ("Your search ads show prices that are a week old", "discovery", "search_ads", "-"),
    ("Your Google ad had exactly the price I paid, no tricks", "discovery", "search_ads", "+"),
]

FA_DISCOVERY: list[Clause] = [
    ("تو تبلیغ اینستاگرام قیمت رو نصف زده بودید، تو سایت که رفتم قیمت کامل بود", "discovery", "social_media", "-"),
    ("تبلیغ گوگل نوشته بود ارسال رایگان که دروغ بود", "discovery", "search_ads", "-"),
    ("از طریق جستجو در گوگل با فروشگاه آشنا شدم و تبلیغ دقیقاً مرا به همان کالا رساند", "discovery", "search_ads", "+"),
    ("نصف شب پیامک تبلیغاتی می_فرستید، واقعا آزاردهنده_ست", "discovery", "email_sms", "-"),
    ("پیامک_های تخفیف به_موقع و کاربردی هستند", "discovery", "email_sms", "+"),
    ("پیج اینستاگرامتون خیلی خوبه، به کامنت_ها سریع جواب میدن", "discovery", "social_media", "+"),
    ("با معرفی یکی از دوستانم با شما آشنا شدم و پشیمان نیستم", "discovery", None, "+"),
    ("هر سایتی میرم تبلیغ شما میاد بالا، دیگه خسته شدم", "discovery", "search_ads", "-"),
    ("سه بار از خبرنامه لغو عضویت کردم و همچنان ایمیل تبلیغاتی دریافت می_کنم", "discovery", "email_sms", "-"),
    ("صفحه اول سایت پر از بنره، آدم گیج میشه", "discovery", "website", "-"),
    ("صفحه اصلی اپ چیزهایی پیشنهاد میده که اصلا به کارم نمیاد", "discovery", "mobile_app", "-"),
    ("اینفلوئنسری که معرفی_تون کرده بود کد تخفیف داد و واقعا کار کرد", "discovery", "social_media", "+"),
    ("تبلیغ زده بودید ۷۰ درصد تخفیف، در واقع ده درصد هم نبود", "discovery", "social_media", "-"),
    ("از جلوی فروشگاهتون تو پاساژ رد شدم، فروشنده_ها خیلی خوش_برخورد بودن", "discovery", "store", "+"),
    ("نوتیفیکیشن_های حراج لحظه_ای اپ واقعا به دردم خورد", "discovery", "mobile_app", "+"),
    ("تبلیغات اغراق_آمیز اعتبار برندتون رو پایین آورده", "discovery", "search_ads", "-"),
    ("قرعه_کشی اینستاگرام هیچ_وقت برنده_ش اعلام نشد", "discovery", "social_media", "-"),
    ("ایمیل_های معرفی محصولات جدید جذاب و مرتب است", "discovery", "email_sms", "+"),
    ("تبلیغتون تو گوگل دقیقاً همون قیمتی رو داشت که پرداخت کردم", "discovery", "search_ads", "+"),
]

# --- evaluation -----------------------------------------------------------------------------
EN_EVALUATION: list[Clause] = [
    ("The product photos are nothing like what I received", "evaluation", "product_page", "-"),
    ("Specs on the product page were wrong, it said 8GB RAM and it has 4", "evaluation", "product_page", "-"),
    ("Half the 5-star reviews look fake, same wording on every one", "evaluation", "product_page", "-"),
    ("The product pages are detailed and the comparison tool is really useful", "evaluation", "product_page", "+"),
    ("Customer reviews with real photos helped me pick the right size", "evaluation", "product_page", "+"),
    ("Search on the website is useless, typing 'iphone case' shows me shoes", "evaluation", "website", "-"),
    ("The filters in the app reset every time I go back", "evaluation", "mobile_app", "-"),
    ("Huge selection, you can find almost anything", "evaluation", None, "+"),
    ("Prices are better than anywhere else I checked", "evaluation", None, "+"),
    ("I asked a question on chat before buying and got a clear answer in 2 minutes", "evaluation", "chat", "+"),
    ("Nobody answered my question in the Q&A section of the product page for weeks", "evaluation", "product_page", "-"),
    ("The size chart is wrong, I'm always an M and the M was way too small", "evaluation", "product_page", "-"),
    ("The staff in the store let me try the headphones before buying", "evaluation", "store", "+"),
    ("The store staff didn't know anything about the laptops they sell", "evaluation", "store", "-"),
    ("It was listed as original, the seller is clearly selling copies", "evaluation", "product_page", "-"),
    ("Seller ratings are shown clearly so I know who I'm buying from", "evaluation", "product_page", "+"),
    ("The website is fast and easy to browse", "evaluation", "website", "+"),
    ("Out of stock items still show up at the top of search results", "evaluation", "website", "-"),
    ("Your prices are higher than the shop down the street", "evaluation", None, "-"),
    ("Good prices, especially during the Friday sales", "evaluation", None, "+"),
]

FA_EVALUATION: list[Clause] = [
    ("عکس محصول با چیزی که به دستم رسید زمین تا آسمون فرق داشت", "evaluation", "product_page", "-"),
    ("مشخصات فنی درج_شده در صفحه محصول نادرست بود (رم ۴ گیگ بود نه ۸)", "evaluation", "product_page", "-"),
    ("نظرات کاربرا معلومه فیکه، همه عین هم نوشته شدن", "evaluation", "product_page", "-"),
    ("مقایسه کالاها تو سایت خیلی کمک کرد درست انتخاب کنم", "evaluation", "product_page", "+"),
    ("نظرات خریدارها با عکس واقعی کمکم کرد سایز درست رو انتخاب کنم", "evaluation", "product_page", "+"),
    ("جستجوی سایت افتضاحه، قاب گوشی سرچ می_کنم کفش میاره", "evaluation", "website", "-"),
    ("فیلترهای اپ هر بار که برمی_گردم پاک میشن", "evaluation", "mobile_app", "-"),
    ("تنوع کالا خیلی زیاده، هر چی بخوای پیدا میشه", "evaluation", None, "+"),
    ("قیمت_ها از همه جا بهتره، چک کردم", "evaluation", None, "+"),
    ("قبل از خرید تو چت سوال پرسیدم و ظرف دو دقیقه جواب کامل گرفتم", "evaluation", "chat", "+"),
    ("چند هفته_ست تو بخش پرسش و پاسخ محصول سوال پرسیدم، هیچ کس جواب نداده", "evaluation", "product_page", "-"),
    ("جدول سایز اشتباهه، من همیشه M می_پوشم و این خیلی کوچیک بود", "evaluation", "product_page", "-"),
    ("فروشنده حضوری اجازه داد هدفون رو قبل از خرید تست کنم", "evaluation", "store", "+"),
    ("فروشنده_های شعبه هیچ اطلاعاتی درباره لپ_تاپ_ها نداشتن", "evaluation", "store", "-"),
    ("کالا رو اصل معرفی کرده بودید در حالی که کاملا مشخصه تقلبیه", "evaluation", "product_page", "-"),
    ("امتیاز فروشنده_ها واضح نمایش داده میشه و می_دونم از کی دارم می_خرم", "evaluation", "product_page", "+"),
    ("کالاهای ناموجود هنوز اول نتایج جستجو میان", "evaluation", "website", "-"),
    ("سایت سریع و راحته، راحت میشه گشت", "evaluation", "website", "+"),
    ("قیمت_ها نسبت به بقیه فروشگاه_ها گرون_تره", "evaluation", None, "-"),
    ("توضیحات محصولات کامل و دقیق نوشته شده است", "evaluation", "product_page", "+"),
    ("ویدیوی معرفی محصول خیلی کمک کرد", "evaluation", "product_page", "+"),
]

# --- purchase -------------------------------------------------------------------------------
EN_PURCHASE: list[Clause] = [
    ("My discount code kept saying 'invalid' at checkout even though you sent it to me", "purchase", "checkout", "-"),
    ("The payment gateway timed out, the money was taken from my account and no order was placed", "purchase", "payment_gateway", "-"),
    ("Checkout was quick, three taps and done", "purchase", "checkout", "+"),
    ("Shipping cost only appears at the very last step, feels sneaky", "purchase", "checkout", "-"),
    ("The bank page never loaded, I tried 4 times", "purchase", "payment_gateway", "-"),
    ("The dynamic password SMS for my card never came so I couldn't pay", "purchase", "payment_gateway", "-"),
    ("Payment went through smoothly and I got the confirmation SMS right away", "purchase", "email_sms", "+"),
    ("Paying with wallet credit in the app is super easy", "purchase", "mobile_app", "+"),
    ("The app logged me out in the middle of checkout and emptied my cart", "purchase", "mobile_app", "-"),
    ("The price changed between adding it to the cart and paying", "purchase", "checkout", "-"),
    ("I got charged twice for the same order", "purchase", "payment_gateway", "-"),
    ("The installment option at checkout made it possible for me to buy the fridge", "purchase", "checkout", "+"),
    ("The cashier at the store was quick and friendly", "purchase", "store", "+"),
    ("The card machine in the store was broken and they only took cash", "purchase", "store", "-"),
    ("The address form won't accept my postal code", "purchase", "checkout", "-"),
    ("No order confirmation email ever arrived", "purchase", "email_sms", "-"),
    ("Buying on the website was easy, no problems at all", "purchase", "website", "+"),
    ("I paid {price} and the invoice shows a different amount", "purchase", "checkout", "-"),
    ("The bank gateway redirected back fine and the order was registered instantly", "purchase", "payment_gateway", "+"),
    ("Coupon applied without any issue and saved me a lot", "purchase", "checkout", "+"),
    ("Paying by card was instant, the Shaparak page loaded right away", "purchase", "payment_gateway", "+"),
]

FA_PURCHASE: list[Clause] = [
    ("کد تخفیفی که خودتون پیامک کرده بودید موقع پرداخت خطای «نامعتبر» می_داد", "purchase", "checkout", "-"),
    ("متأسفانه درگاه پرداخت قطع شد، مبلغ از حسابم کسر شد اما سفارش ثبت نشد", "purchase", "payment_gateway", "-"),
    ("درگاه شاپرک تایم_اوت شد و پول از حسابم رفت", "purchase", "payment_gateway", "-"),
    ("رمز پویا برام نیومد و نتونستم پرداخت کنم", "purchase", "payment_gateway", "-"),
    ("پرداخت خیلی راحت بود و پیامک تأیید سریع اومد", "purchase", "email_sms", "+"),
    ("فرایند خرید ساده و سریع بود", "purchase", "checkout", "+"),
    ("هزینه ارسال رو فقط آخر کار نشون میدید، حس کلاهبرداری داره", "purchase", "checkout", "-"),
    ("چهار بار رفتم درگاه بانک، صفحه اصلا باز نشد", "purchase", "payment_gateway", "-"),
    ("وسط پرداخت اپ منو لاگ_اوت کرد و سبد خریدم خالی شد", "purchase", "mobile_app", "-"),
    ("قیمت بین افزودن به سبد و پرداخت عوض شد", "purchase", "checkout", "-"),
    ("دو بار برای یک سفارش از حسابم پول کم شد", "purchase", "payment_gateway", "-"),
    ("امکان خرید اقساطی خیلی عالیه، تونستم یخچال بخرم", "purchase", "checkout", "+"),
    ("پرداخت با کیف پول اپ خیلی راحته", "purchase", "mobile_app", "+"),
    ("صندوقدار فروشگاه خیلی سریع و مؤدب بود", "purchase", "store", "+"),
    ("دستگاه کارتخوان شعبه خراب بود و فقط نقدی قبول می_کردن", "purchase", "store", "-"),
    ("فرم آدرس کد پستی منو قبول نمی_کنه", "purchase", "checkout", "-"),
    ("ایمیل تأیید سفارش هیچ_وقت نیومد", "purchase", "email_sms", "-"),
    ("مبلغ {price} پرداخت کردم و فاکتور یه مبلغ دیگه نشون میده", "purchase", "checkout", "-"),
    ("خرید از سایت خیلی راحت و بی_دردسر بود", "purchase", "website", "+"),
    ("درگاه بانکی سریع برگشت و سفارش بلافاصله ثبت شد", "purchase", "payment_gateway", "+"),
    ("کد تخفیف بدون مشکل اعمال شد", "purchase", "checkout", "+"),
    ("رمز پویا سریع اومد و پرداخت تو چند ثانیه انجام شد", "purchase", "payment_gateway", "+"),
]

# --- delivery -------------------------------------------------------------------------------
EN_DELIVERY: list[Clause] = [
    ("Delivery was super fast, ordered at night and got it the next morning", "delivery", "courier", "+"),
    ("The order arrived a week late with no update at all", "delivery", None, "-"),
    ("The courier was rude and threw the box at my door", "delivery", "courier", "-"),
    ("The box arrived crushed and the glasses inside were broken", "delivery", "courier", "-"),
    ("I received the wrong item, ordered black and got pink", "delivery", None, "-"),
    ("The courier called before coming and was very polite", "delivery", "courier", "+"),
    ("Tracking in the app said delivered but nothing came", "delivery", "mobile_app", "-"),
    ("I got an SMS with the courier's number so I could coordinate, nice touch", "delivery", "email_sms", "+"),
    ("The courier asked me to come down 5 floors to pick it up", "delivery", "courier", "-"),
    ("The delivery time slot was respected to the minute", "delivery", "courier", "+"),
    ("Packaging was neat and everything was wrapped well", "delivery", None, "+"),
    ("Delivery to Shiraz took 12 days", "delivery", None, "-"),
    ("Click & collect at the store was ready in 2 hours", "delivery", "store", "+"),
    ("I went to the store to pick up my order and they couldn't find it", "delivery", "store", "-"),
    ("Half of my order was missing from the package", "delivery", None, "-"),
    ("Tracking code {track} doesn't show anything on the post website", "delivery", None, "-"),
    ("The delivery guy wanted extra money for cash on delivery", "delivery", "courier", "-"),
    ("Same-day delivery in Tehran is amazing", "delivery", None, "+"),
    ("Order {order} has been stuck on 'shipped' since {date}", "delivery", None, "-"),
    ("The courier left the package with the neighbour without asking me", "delivery", "courier", "-"),
]

FA_DELIVERY: list[Clause] = [
    ("متأسفانه سفارش من با تأخیر ارسال شد", "delivery", None, "-"),
    ("خیلی دیر اومد", "delivery", None, "-"),
    ("پیک هم بداخلاق بود", "delivery", "courier", "-"),
    ("ارسال خیلی سریع بود، شب سفارش دادم صبح رسید", "delivery", "courier", "+"),
    ("سفارش یک هفته دیرتر رسید و هیچ اطلاع_رسانی هم نشد", "delivery", None, "-"),
    ("جعبه له شده بود و لیوان_ها شکسته بودن", "delivery", "courier", "-"),
    ("کالای اشتباه فرستادید، مشکی سفارش دادم صورتی اومد", "delivery", None, "-"),
    ("پیک قبل از اومدن زنگ زد و خیلی مؤدب بود", "delivery", "courier", "+"),
    ("تو اپ زده تحویل شده، هیچی به دستم نرسیده", "delivery", "mobile_app", "-"),
    ("پیامک کد رهگیری و شماره پیک اومد، خیلی خوب بود", "delivery", "email_sms", "+"),
    ("پیک گفت بیا پایین بگیر، طبقه پنجم بدون آسانسور!", "delivery", "courier", "-"),
    ("دقیقاً در بازه زمانی انتخابی تحویل شد", "delivery", "courier", "+"),
    ("بسته_بندی تمیز و محکم بود", "delivery", None, "+"),
    ("ارسال به مشهد دوازده روز طول کشید", "delivery", None, "-"),
    ("تحویل حضوری از فروشگاه دو ساعته آماده شد", "delivery", "store", "+"),
    ("رفتم شعبه سفارشمو بگیرم، پیداش نکردن", "delivery", "store", "-"),
    ("نصف سفارشم تو بسته نبود", "delivery", None, "-"),
    ("پیک برای پرداخت در محل پول اضافه می_خواست", "delivery", "courier", "-"),
    ("ارسال همون روز تو تهران عالیه", "delivery", None, "+"),
    ("کد رهگیری {track} تو سایت پست هیچی نشون نمیده", "delivery", None, "-"),
    ("سفارش {order} از {date} تو وضعیت «ارسال شده» مونده و هنوز نرسیده", "delivery", None, "-"),
    ("پیک بسته رو بدون هماهنگی به همسایه داده", "delivery", "courier", "-"),
    ("مرسوله سالم و زودتر از موعد مقرر تحویل گردید", "delivery", "courier", "+"),
]

# --- usage ----------------------------------------------------------------------------------
EN_USAGE: list[Clause] = [
    ("The blender broke after one week", "usage", None, "-"),
    ("The phone works perfectly, exactly as described", "usage", None, "+"),
    ("Quality of the shoes is great for the price", "usage", None, "+"),
    ("The charger gets dangerously hot", "usage", None, "-"),
    ("The T-shirt shrank after the first wash", "usage", None, "-"),
    ("The product was clearly used, there were fingerprints all over the screen", "usage", None, "-"),
    ("The headphones are fake, the sound is awful", "usage", None, "-"),
    ("The vacuum cleaner is amazing, better than I expected", "usage", None, "+"),
    ("The product matches the description and the photos exactly", "usage", "product_page", "+"),
    ("The laptop had a dead pixel out of the box", "usage", None, "-"),
    ("The manual was only in Chinese", "usage", None, "-"),
    ("Been using the coffee machine daily for two months, no issues", "usage", None, "+"),
    ("The cream expires next month, it was almost out of date when it arrived", "usage", None, "-"),
    ("The smartwatch stopped syncing with my phone after 10 days", "usage", None, "-"),
    ("Great build quality, feels premium", "usage", None, "+"),
    ("Battery life is much shorter than advertised", "usage", "product_page", "-"),
]

FA_USAGE: list[Clause] = [
    ("مخلوط_کن بعد از یک هفته سوخت", "usage", None, "-"),
    ("گوشی کاملا سالم و مطابق توضیحاته", "usage", None, "+"),
    ("کیفیت کفش با این قیمت عالیه", "usage", None, "+"),
    ("شارژر خیلی داغ میشه، ترسناکه", "usage", None, "-"),
    ("تیشرت با اولین شستشو آب رفت", "usage", None, "-"),
    ("کالا معلوم بود کارکرده_ست، رو صفحه جای انگشت بود", "usage", None, "-"),
    ("هدفون فیک بود، صداش افتضاحه", "usage", None, "-"),
    ("جاروبرقی فوق_العاده_ست، از انتظارم بهتر بود", "usage", None, "+"),
    ("محصول دقیقاً مطابق عکس و توضیحات بود", "usage", "product_page", "+"),
    ("لپ_تاپ از همون اول یه پیکسل سوخته داشت", "usage", None, "-"),
    ("دفترچه راهنما فقط چینی بود", "usage", None, "-"),
    ("دو ماهه هر روز از قهوه_ساز استفاده می_کنم و هیچ مشکلی نداشته", "usage", None, "+"),
    ("تاریخ انقضای کرم ماه بعد بود، تقریبا تاریخ گذشته", "usage", None, "-"),
    ("ساعت هوشمند بعد از ده روز دیگه به گوشی وصل نمیشه", "usage", None, "-"),
    ("کیفیت پارچه خیلی پایین_تر از چیزیه که فکر می_کردم", "usage", None, "-"),
    ("کیفیت ساخت عالیه و کاملا ارزش خرید داره", "usage", None, "+"),
    ("عمر باتری خیلی کمتر از چیزیه که نوشته بودید", "usage", "product_page", "-"),
]

# --- support --------------------------------------------------------------------------------
EN_SUPPORT: list[Clause] = [
    ("I waited 40 minutes on hold at the call center", "support", "call_center", "-"),
    ("I was transferred three times and had to explain everything again each time", "support", "call_center", "-"),
    ("I had to call four times before anyone did anything", "support", "call_center", "-"),
    ("The agent, {agent}, was great and solved it in one call", "support", "call_center", "+"),
    ("The chatbot keeps sending me the same FAQ links in a loop", "support", "chat", "-"),
    ("There is no way to reach a human in the chat", "support", "chat", "-"),
    ("Live chat answered in under a minute and fixed my problem", "support", "chat", "+"),
    ("I emailed support twice and never got a reply", "support", "email_sms", "-"),
    ("They replied to my Instagram DM faster than the call center ever did", "support", "social_media", "+"),
    ("Support closed my ticket without solving anything", "support", None, "-"),
    ("{agent} from support called me back the next day as promised", "support", "call_center", "+"),
    ("The warranty company says it's the seller's problem and the seller says it's the warranty's problem", "support", None, "-"),
    ("The warranty claim was handled quickly", "support", None, "+"),
    ("The store staff helped me set up the phone, really kind", "support", "store", "+"),
    ("The phone menu is endless, press 1, press 3, press 2 and then it hangs up", "support", "call_center", "-"),
    ("They promised a callback within 24 hours, it's been a week", "support", "call_center", "-"),
    ("Support was patient and actually listened", "support", None, "+"),
    ("The call center agent, {agent}, hung up on me", "support", "call_center", "-"),
    ("I messaged you on Instagram and got ignored for 5 days", "support", "social_media", "-"),
]

FA_SUPPORT: list[Clause] = [
    ("چهل دقیقه پشت خط مرکز تماس منتظر موندم", "support", "call_center", "-"),
    ("سه بار تماسمو به یه بخش دیگه وصل کردن و هر بار باید از اول توضیح می_دادم", "support", "call_center", "-"),
    ("چهار بار زنگ زدم تا بالاخره یکی پیگیری کرد", "support", "call_center", "-"),
    ("{agent} از پشتیبانی خیلی کمک کرد و تو همون تماس اول مشکل حل شد", "support", "call_center", "+"),
    ("ربات چت مدام همون لینک_های سوالات متداول رو می_فرسته", "support", "chat", "-"),
    ("تو چت هیچ راهی برای صحبت با اپراتور واقعی نیست", "support", "chat", "-"),
    ("چت آنلاین زیر یک دقیقه جواب داد و مشکلمو حل کرد", "support", "chat", "+"),
    ("دو بار به پشتیبانی ایمیل زدم، هیچ جوابی نگرفتم", "support", "email_sms", "-"),
    ("تو دایرکت اینستاگرام سریع_تر از مرکز تماس جواب دادن", "support", "social_media", "+"),
    ("پشتیبانی تیکتمو بدون حل مشکل بست", "support", None, "-"),
    ("{agent} طبق قولی که داده بود فرداش خودش تماس گرفت", "support", "call_center", "+"),
    ("گارانتی میگه مشکل از فروشنده_ست، فروشنده میگه مشکل از گارانتیه", "support", None, "-"),
    ("درخواست گارانتی خیلی سریع رسیدگی شد", "support", None, "+"),
    ("منوی تلفنی تمومی نداره، یک بزن سه بزن آخرش قطع میشه", "support", "call_center", "-"),
    ("قول دادن ۲۴ ساعته تماس بگیرن، یک هفته گذشته", "support", "call_center", "-"),
    ("پشتیبانی واقعا پاسخگو و صبور بود", "support", None, "+"),
    ("همکارتون تو شعبه کمک کرد گوشی رو راه_اندازی کنم، خیلی لطف کردن", "support", "store", "+"),
    ("پشتیبانی تلفنی اصلا جواب نمیده", "support", "call_center", "-"),
    ("کارشناس مرکز تماس ({agent}) وسط صحبت تلفن رو قطع کرد", "support", "call_center", "-"),
    ("پنج روزه تو دایرکت اینستاگرام پیام دادم، کسی جواب نداده", "support", "social_media", "-"),
    ("پاسخگویی کارشناسان مرکز تماس بسیار محترمانه و دقیق بود", "support", "call_center", "+"),
]

# --- returns --------------------------------------------------------------------------------
EN_RETURNS: list[Clause] = [
    ("My refund has been 'in progress' for three weeks", "returns", None, "-"),
    ("The return pickup never showed up, I stayed home two days for nothing", "returns", "courier", "-"),
    ("Returning was easy, filled the form in the app and they picked it up the next day", "returns", "returns_portal", "+"),
    ("The return form on the website gives an error at the last step", "returns", "returns_portal", "-"),
    ("They refused my return because the box was opened, how else was I supposed to check it?", "returns", None, "-"),
    ("The refund was back on my card in 2 days", "returns", None, "+"),
    ("They refunded me in wallet credit instead of to my card and never asked me", "returns", None, "-"),
    ("The 7-day no-questions-asked return is the reason I buy here", "returns", None, "+"),
    ("The returns page doesn't even have 'wrong item' as a reason", "returns", "returns_portal", "-"),
    ("I returned the shoes at the store and got my money back on the spot", "returns", "store", "+"),
    ("They deducted shipping from my refund even though the item was faulty", "returns", None, "-"),
    ("My return request got rejected with no explanation", "returns", "returns_portal", "-"),
    ("The return status in the portal hasn't changed since I sent it back", "returns", "returns_portal", "-"),
    ("The courier who collected the return was on time and friendly", "returns", "courier", "+"),
    ("Tracking my return in the portal was clear at every step", "returns", "returns_portal", "+"),
    ("The store refused to accept a return for something I bought online", "returns", "store", "-"),
]

FA_RETURNS: list[Clause] = [
    ("سه هفته_ست وضعیت بازگشت وجهم «در حال بررسی» مونده", "returns", None, "-"),
    ("مأمور جمع_آوری مرجوعی نیومد، دو روز بیخودی خونه موندم", "returns", "courier", "-"),
    ("مرجوع کردن خیلی راحت بود، فرم رو تو اپ پر کردم فرداش اومدن بردن", "returns", "returns_portal", "+"),
    ("فرم مرجوعی سایت مرحله آخر خطا میده", "returns", "returns_portal", "-"),
    ("مرجوعی رو قبول نکردن چون جعبه باز شده بود، خب چطوری باید چک می_کردم؟", "returns", None, "-"),
    ("پول دو روزه به کارتم برگشت", "returns", None, "+"),
    ("به جای کارت، پولو به کیف پول برگردوندن بدون اینکه از من بپرسن", "returns", None, "-"),
    ("ضمانت هفت روزه بازگشت کالا دلیل اصلیه که از شما خرید می_کنم", "returns", None, "+"),
    ("تو بخش مرجوعی گزینه «کالای اشتباه» اصلا وجود نداره", "returns", "returns_portal", "-"),
    ("کفش رو تو شعبه پس دادم و همون لحظه پولمو گرفتم", "returns", "store", "+"),
    ("با اینکه کالا معیوب بود هزینه ارسال رو از مبلغ برگشتی کم کردن", "returns", None, "-"),
    ("درخواست مرجوعی بدون هیچ توضیحی رد شد", "returns", "returns_portal", "-"),
    ("از وقتی کالا رو پس فرستادم وضعیت درخواست تو پنل تغییر نکرده", "returns", "returns_portal", "-"),
    ("استرداد وجه بیش از یک ماه طول کشیده است و هنوز واریز نشده", "returns", None, "-"),
    ("مرجوعی با پیک خودتون خیلی منظم انجام شد", "returns", "courier", "+"),
    ("وضعیت مرجوعی تو پنل مرحله به مرحله مشخص بود", "returns", "returns_portal", "+"),
    ("شعبه حاضر نشد کالایی که آنلاین خریده بودم رو پس بگیره", "returns", "store", "-"),
]

# --- loyalty --------------------------------------------------------------------------------
EN_LOYALTY: list[Clause] = [
    ("I've been a customer for 5 years and I'll keep buying here", "loyalty", None, "+"),
    ("Club points expire before you can use them", "loyalty", None, "-"),
    ("Kalano Plus free shipping is totally worth it", "loyalty", None, "+"),
    ("Gold members get nothing special, same prices as everyone", "loyalty", None, "-"),
    ("The birthday discount SMS was a nice touch", "loyalty", "email_sms", "+"),
    ("I already recommended you to my whole family", "loyalty", None, "+"),
    ("I won't be ordering again after this", "loyalty", None, "-"),
    ("Loyalty points never got added for my last 3 orders", "loyalty", "mobile_app", "-"),
    ("Redeeming points in the app is easy", "loyalty", "mobile_app", "+"),
    ("I used to love this shop, it has gone downhill this year", "loyalty", None, "-"),
    ("My subscription renewed automatically without any reminder", "loyalty", "email_sms", "-"),
    ("Always good prices and I trust you", "loyalty", None, "+"),
    ("The club gift was a cheap keychain, not worth the points", "loyalty", None, "-"),
]

FA_LOYALTY: list[Clause] = [
    ("پنج ساله مشتری_تونم و باز هم از شما خرید می_کنم", "loyalty", None, "+"),
    ("امتیازهای باشگاه قبل از اینکه بشه استفاده کرد منقضی میشن", "loyalty", None, "-"),
    ("اشتراک کالانو پلاس با ارسال رایگانش واقعا می_ارزه", "loyalty", None, "+"),
    ("با اینکه مشتری طلایی هستم هیچ مزیت خاصی ندارم", "loyalty", None, "-"),
    ("پیامک تخفیف تولدم خیلی حس خوبی داد", "loyalty", "email_sms", "+"),
    ("به همه خانواده معرفیتون کردم", "loyalty", None, "+"),
    ("دیگه از شما خرید نمی_کنم", "loyalty", None, "-"),
    ("امتیاز سه سفارش آخرم اصلا ثبت نشد", "loyalty", "mobile_app", "-"),
    ("استفاده از امتیازها تو اپ خیلی راحته", "loyalty", "mobile_app", "+"),
    ("قبلا عاشق این فروشگاه بودم، امسال خیلی افت کرده", "loyalty", None, "-"),
    ("اشتراک بدون هیچ یادآوری خودکار تمدید شد", "loyalty", "email_sms", "-"),
    ("همیشه قیمت_ها خوبه و بهتون اعتماد دارم", "loyalty", None, "+"),
    ("به عنوان مشتری قدیمی، همچنان خرید از شما را به دیگران توصیه می_کنم", "loyalty", None, "+"),
    ("هدیه باشگاه مشتریان یه جاکلیدی بی_ارزش بود", "loyalty", None, "-"),
]

# --- no particular stage --------------------------------------------------------------------
EN_GENERAL: list[Clause] = [
    ("Everything was fine", None, None, "+"),
    ("Overall a good experience", None, None, "+"),
    ("Great service overall", None, None, "+"),
    ("Terrible experience from start to finish", None, None, "-"),
    ("Worst online shop in Iran", None, None, "-"),
    ("The app is slow and crashes a lot", None, "mobile_app", "-"),
    ("The app is easy to use", None, "mobile_app", "+"),
    ("The website is down half the time", None, "website", "-"),
    ("The website works well even on my old laptop", None, "website", "+"),
    ("Very professional team", None, None, "+"),
    ("You used to be better", None, None, "-"),
]

FA_GENERAL: list[Clause] = [
    ("همه چی خوب بود", None, None, "+"),
    ("در مجموع تجربه خوبی بود", None, None, "+"),
    ("خدماتتون عالیه", None, None, "+"),
    ("از اول تا آخر افتضاح بود", None, None, "-"),
    ("بدترین فروشگاه اینترنتی ایران", None, None, "-"),
    ("اپ خیلی کنده و مدام کرش می_کنه", None, "mobile_app", "-"),
    ("اپلیکیشن کاربرپسند و راحته", None, "mobile_app", "+"),
    ("سایت نصف وقتا بالا نمیاد", None, "website", "-"),
    ("سایت حتی رو لپ_تاپ قدیمی_ام هم خوب کار می_کنه", None, "website", "+"),
    ("راضی بودم", None, None, "+"),
    ("قبلا خیلی بهتر بودید", None, None, "-"),
    ("از خدمات شما رضایت کامل دارم", None, None, "+"),
]

# Neutral, mostly factual clauses: used for "neutral" answers and as context before a verdict.
EN_NEUTRAL: list[Clause] = [
    ("I ordered a phone case and a charger", "purchase", None, "0"),
    ("Delivery took the usual 3 days", "delivery", "courier", "0"),
    ("Prices are about the same as other shops", "evaluation", None, "0"),
    ("I only used the website, not the app", None, "website", "0"),
    ("Haven't used the product much yet", "usage", None, "0"),
    ("I called once to ask about the warranty", "support", "call_center", "0"),
    ("First time buying here", "purchase", None, "0"),
    ("I mostly buy from the store near my house", None, "store", "0"),
    ("It was okay I guess", None, None, "0"),
    ("Nothing special, it's ok", None, None, "0"),
    ("Average, like any other online shop", None, None, "0"),
    ("I saw the offer in an SMS", "discovery", "email_sms", "0"),
    ("I bought it as a gift so I can't say much about the product", "usage", None, "0"),
]

FA_NEUTRAL: list[Clause] = [
    ("یه قاب گوشی و یه شارژر سفارش دادم", "purchase", None, "0"),
    ("ارسال مثل همیشه سه روز طول کشید", "delivery", "courier", "0"),
    ("قیمت_ها تقریبا مثل بقیه_ست", "evaluation", None, "0"),
    ("فقط از سایت خرید کردم، اپ رو نصب نکردم", None, "website", "0"),
    ("هنوز زیاد از محصول استفاده نکردم", "usage", None, "0"),
    ("یک بار برای سؤال درباره گارانتی تماس گرفتم", "support", "call_center", "0"),
    ("اولین خریدم بود", "purchase", None, "0"),
    ("بیشتر از شعبه نزدیک خونه خرید می_کنم", None, "store", "0"),
    ("معمولی بود، نه خوب نه بد", None, None, "0"),
    ("مثل بقیه فروشگاه_های اینترنتی", None, None, "0"),
    ("تخفیف رو تو پیامک دیدم", "discovery", "email_sms", "0"),
    ("برای کادو خریدم، از خود کالا اطلاعی ندارم", "usage", None, "0"),
    ("نظر خاصی ندارم", None, None, "0"),
]

# --- Finglish (Persian in Latin letters), all stages ----------------------------------------
FINGLISH: list[Clause] = [
    ("kheili dir resid", "delivery", None, "-"),
    ("poshtibani ham javab nemide", "support", None, "-"),
    ("peyk kheili bad akhlagh bood", "delivery", "courier", "-"),
    ("ersal kheili sari bood, merci", "delivery", "courier", "+"),
    ("pool az hesabam kam shod vali sefaresh sabt nashod", "purchase", "payment_gateway", "-"),
    ("dargah bank hey error mide", "purchase", "payment_gateway", "-"),
    ("code takhfif kar nemikone", "purchase", "checkout", "-"),
    ("ramz pooya nayoomad", "purchase", "payment_gateway", "-"),
    ("ghimatatoon az hame ja behtare", "evaluation", None, "+"),
    ("aks mahsool ba chizi ke oomad kheili fargh dasht", "evaluation", "product_page", "-"),
    ("nazarat hamash fake e", "evaluation", "product_page", "-"),
    ("jostojoo too app kheili bade", "evaluation", "mobile_app", "-"),
    ("app hamash crash mikone", None, "mobile_app", "-"),
    ("app kheili rahate", None, "mobile_app", "+"),
    ("ye hafte nashode kharab shod", "usage", None, "-"),
    ("keyfiatesh aalie", "usage", None, "+"),
    ("3 bar zang zadam ta yeki javab dad", "support", "call_center", "-"),
    ("nim saat posht khat moondam", "support", "call_center", "-"),
    ("chatbot faghat link mide, adam vaghei nist", "support", "chat", "-"),
    ("poshtibani chat kheili khoob javab dad", "support", "chat", "+"),
    ("{agent} az poshtibani kheili komak kard", "support", "call_center", "+"),
    ("3 hafte ast pool marjooi ro pas nadadin", "returns", None, "-"),
    ("mamoor marjooi nayoomad", "returns", "courier", "-"),
    ("marjoo kardan kheili rahat bood", "returns", "returns_portal", "+"),
    ("form marjooi too site error mide", "returns", "returns_portal", "-"),
    ("emtiaz bashgah monghazi shod", "loyalty", None, "-"),
    ("hamishe az shoma kharid mikonam", "loyalty", None, "+"),
    ("dige kharid nemikonam", "loyalty", None, "-"),
    ("tablighe instagram dorugh bood", "discovery", "social_media", "-"),
    ("too google tabligh didam", "discovery", "search_ads", "0"),
    ("sms tablighati kheili ziad mifrestin", "discovery", "email_sms", "-"),
    ("forooshande haye shobe kheili khosh barkhord boodan", "evaluation", "store", "+"),
    ("kart khan forooshgah kharab bood", "purchase", "store", "-"),
    ("sefaresh eshtebah oomad", "delivery", None, "-"),
    ("baste bandi aali bood", "delivery", None, "+"),
    ("zoodtar az zaman moghare resid", "delivery", "courier", "+"),
    ("site kheili kond bala miad", None, "website", "-"),
    ("ghimat vasat sabad kharid avaz shod", "purchase", "checkout", "-"),
    ("garanti javabgoo nabood", "support", None, "-"),
    ("be hame pishnahad mikonam", "loyalty", None, "+"),
    ("khoob bood", None, None, "+"),
    ("ma'mooli bood", None, None, "0"),
    ("afteza bood", None, None, "-"),
    ("kheiliii khoobe", None, None, "+"),
    ("sms peygiri oomad, kheili khoob", "delivery", "email_sms", "+"),
    ("kalano plus kamelan erzesh dare", "loyalty", None, "+"),
    ("hazine ersal akhare kar ezafe mishe", "purchase", "checkout", "-"),
    ("pardakht ba kif pool kheili rahate", "purchase", "mobile_app", "+"),
    ("dargah zood vasl shod, moshkeli nabood", "purchase", "payment_gateway", "+"),
    ("too instagram zood javab dadan", "support", "social_media", "+"),
    ("email zadam javab nadadin", "support", "email_sms", "-"),
    ("tablighe google ro didam va rahat peyda kardam", "discovery", "search_ads", "+"),
    ("safhe mahsool kamel tozih dade", "evaluation", "product_page", "+"),
    ("shobe kala ro zood pas gereft", "returns", "store", "+"),
]

# --- Persian + English in one answer (code-switching) ---------------------------------------
MIXED: list[Clause] = [
    ("اپ crash میکنه every time I pay", "purchase", "mobile_app", "-"),
    ("status سفارشم delivered زده، هنوز هیچی نرسیده", "delivery", "mobile_app", "-"),
    ("customer service خیلی ضعیفه", "support", None, "-"),
    ("delivery خیلی fast بود، مرسی", "delivery", "courier", "+"),
    ("discount code کار نمی_کنه at checkout", "purchase", "checkout", "-"),
    ("payment gateway هی error میده", "purchase", "payment_gateway", "-"),
    ("پول از account ام کم شد but order ثبت نشد", "purchase", "payment_gateway", "-"),
    ("quality محصول عالی بود", "usage", None, "+"),
    ("product page اطلاعات غلط داره", "evaluation", "product_page", "-"),
    ("reviews همه fake هستن", "evaluation", "product_page", "-"),
    ("chatbot فقط FAQ میفرسته، useless", "support", "chat", "-"),
    ("call center رو سه بار زنگ زدم، no answer", "support", "call_center", "-"),
    ("refund هنوز نیومده after 3 weeks", "returns", None, "-"),
    ("return pickup نیومد", "returns", "courier", "-"),
    ("app خیلی user friendly هست", None, "mobile_app", "+"),
    ("search تو app خیلی بده", "evaluation", "mobile_app", "-"),
    ("Instagram ads تون misleading هست", "discovery", "social_media", "-"),
    ("SMS های promotion خیلی زیاده", "discovery", "email_sms", "-"),
    ("courier خیلی polite بود", "delivery", "courier", "+"),
    ("packaging داغون بود، box له شده بود", "delivery", "courier", "-"),
    ("loyalty points ام expire شد", "loyalty", None, "-"),
    ("Kalano Plus واقعا worth it هست", "loyalty", None, "+"),
    ("قیمتا best in town", "evaluation", None, "+"),
    ("checkout خیلی smooth بود", "purchase", "checkout", "+"),
    ("return کردن از طریق app راحت بود", "returns", "returns_portal", "+"),
    ("store staff خیلی helpful بودن", "evaluation", "store", "+"),
    ("website همش down میشه", None, "website", "-"),
    ("live chat سریع جواب داد، thanks", "support", "chat", "+"),
    ("warranty claim رو reject کردن", "support", None, "-"),
    ("overall راضیم", None, None, "+"),
    ("email support هیچ reply نداد", "support", "email_sms", "-"),
    ("Google ad نوشته بود free shipping، دروغ بود", "discovery", "search_ads", "-"),
    ("wrong item فرستادن", "delivery", None, "-"),
    ("بعد از update جدید app باز نمیشه", None, "mobile_app", "-"),
    ("price ها تو app با site فرق داره", "evaluation", "mobile_app", "-"),
    ("gateway بانک خیلی سریع بود", "purchase", "payment_gateway", "+"),
    ("Instagram page تون خیلی cute ـه", "discovery", "social_media", "+"),
    ("refund رو دو روزه واریز کردن، great", "returns", None, "+"),
    ("ticket رو بدون جواب close کردن", "support", None, "-"),
    ("سفارشم رو از app ثبت کردم", "purchase", "mobile_app", "0"),
    ("اولین order ام بود", "purchase", None, "0"),
    ("delivery مثل همیشه سه روز طول کشید", "delivery", "courier", "0"),
    ("quality محصول معمولی بود، نه خوب نه بد", "usage", None, "0"),
]

# --- other languages (customers who are not Persian or English speakers) --------------------
OTHER: dict[str, list[Clause]] = {
    "ar": [
        ("التوصيل كان سريع جدا، شكرا لكم", "delivery", "courier", "+"),
        ("وصل المنتج مكسوراً", "delivery", "courier", "-"),
        ("خدمة العملاء لا ترد على الهاتف", "support", "call_center", "-"),
        ("الأسعار ممتازة", "evaluation", None, "+"),
        ("لم يصلني المبلغ المسترد حتى الآن", "returns", None, "-"),
    ],
    "tr": [
        ("Kargo çok geç geldi", "delivery", "courier", "-"),
        ("Ürün fotoğraftaki gibi değil", "evaluation", "product_page", "-"),
        ("Fiyatlar çok uygun, teşekkürler", "evaluation", None, "+"),
        ("Ödeme sayfası sürekli hata veriyor", "purchase", "payment_gateway", "-"),
        ("Uygulama çok kullanışlı", None, "mobile_app", "+"),
    ],
    "fr": [
        ("Livraison rapide", "delivery", "courier", "+"),
        ("Le produit était abîmé", "delivery", None, "-"),
        ("Le remboursement prend beaucoup trop de temps", "returns", None, "-"),
        ("Service client très aimable", "support", "call_center", "+"),
    ],
    "de": [
        ("Die App stürzt ständig ab", None, "mobile_app", "-"),
        ("Schnelle Lieferung, alles bestens", "delivery", "courier", "+"),
    ],
    "ru": [
        ("Доставка быстрая, всё понравилось", "delivery", "courier", "+"),
        ("Оплата не прошла, а деньги списали", "purchase", "payment_gateway", "-"),
    ],
}

# (emoji-only answer, polarity)
EMOJI_ONLY: list[tuple[str, str]] = [
    ("👍👍", "+"), ("😡😡😡", "-"), ("❤️❤️", "+"), ("👎", "-"), ("🙏🌹", "+"),
    ("😐", "0"), ("🤬🤬", "-"), ("⭐⭐⭐⭐⭐", "+"), ("👌", "+"), ("💔", "-"),
    ("🤷‍♂️", "0"), ("😶", "0"), ("🤔", "0"), ("😍😍😍", "+"), ("👎👎", "-"), ("💯", "+"),
    ("😤", "-"), ("🙂", "+"), ("😐😐", "0"), ("🔥🔥", "+"), ("👍", "+"), ("😊😊", "+"),
    ("🥰", "+"), ("👏👏👏", "+"), ("💐", "+"), ("😠", "-"), ("🤮", "-"), ("😒😒", "-"),
    ("👎🏻👎🏻👎🏻", "-"), ("😑", "0"), ("🫤", "0"),
]

# Skipped-in-spirit answers: whitespace or punctuation only.
JUNK_ANSWERS: list[str] = [" ", "-", ".", "...", "   ", "—", "N/A", "..", "-.", "؟", "--", "n/a",
                           "  ", "_", ". ", "?", "-----", ".."]

# =============================================================================================
# Answers to "What one thing should we improve?"
# =============================================================================================
EN_IMPROVE: list[Clause] = [
    ("Stop sending promo SMS late at night", "discovery", "email_sms", "-"),
    ("Make the Instagram ads show the real prices", "discovery", "social_media", "-"),
    ("Fewer ads, honestly they're everywhere", "discovery", "search_ads", "-"),
    ("Correct the specs and use real photos on product pages", "evaluation", "product_page", "-"),
    ("Remove the fake reviews", "evaluation", "product_page", "-"),
    ("Better search", "evaluation", "website", "0"),
    ("Keep my filters when I go back in the app", "evaluation", "mobile_app", "0"),
    ("Add a way to compare more than two products", "evaluation", "product_page", "0"),
    ("Fix the payment gateway, it fails all the time", "purchase", "payment_gateway", "-"),
    ("Make coupon codes actually work", "purchase", "checkout", "-"),
    ("Show the shipping cost at the start, not at the end", "purchase", "checkout", "0"),
    ("More payment options, like installments for small orders", "purchase", "checkout", "0"),
    ("Don't log people out during checkout!", "purchase", "mobile_app", "-"),
    ("Faster delivery outside Tehran", "delivery", None, "0"),
    ("Train your couriers to be polite", "delivery", "courier", "-"),
    ("Let me choose an exact delivery time", "delivery", "courier", "0"),
    ("Better packaging for fragile items", "delivery", None, "0"),
    ("Send tracking updates by SMS", "delivery", "email_sms", "0"),
    ("Quality control before shipping", "usage", None, "0"),
    ("Stop selling fake products", "usage", None, "-"),
    ("Answer the phone faster", "support", "call_center", "-"),
    ("Let me talk to a real human instead of the bot", "support", "chat", "-"),
    ("Stop transferring calls between departments", "support", "call_center", "-"),
    ("Give your agents the power to actually fix things", "support", "call_center", "0"),
    ("24/7 chat support", "support", "chat", "0"),
    ("Reply to emails, at least once", "support", "email_sms", "-"),
    ("Faster refunds!!", "returns", None, "-"),
    ("Make the pickup guy show up when you say he will", "returns", "courier", "-"),
    ("A simpler return form", "returns", "returns_portal", "0"),
    ("Refund to my card, not wallet credit", "returns", None, "0"),
    ("Points should not expire so fast", "loyalty", None, "0"),
    ("Real benefits for gold members", "loyalty", None, "0"),
    ("Remind me before the subscription renews", "loyalty", "email_sms", "0"),
    ("The app needs to be faster", None, "mobile_app", "-"),
    ("More stores in other cities", None, "store", "0"),
    ("Dark mode in the app please", None, "mobile_app", "0"),
    ("Make the website work on older phones", None, "website", "0"),
    ("Let me return online orders in the store", "returns", "store", "0"),
    ("Answer Instagram DMs", "support", "social_media", "-"),
]

FA_IMPROVE: list[Clause] = [
    ("نصف شب پیامک تبلیغاتی نفرستید", "discovery", "email_sms", "-"),
    ("تو تبلیغات قیمت واقعی رو بذارید", "discovery", "social_media", "0"),
    ("تبلیغات گوگلتون کمتر و واقعی_تر باشه", "discovery", "search_ads", "0"),
    ("مشخصات و عکس_های محصول را اصلاح کنید", "evaluation", "product_page", "0"),
    ("نظرات فیک رو پاک کنید", "evaluation", "product_page", "-"),
    ("جستجوی سایت رو درست کنید", "evaluation", "website", "-"),
    ("فیلترهای اپ بعد از برگشتن پاک نشه", "evaluation", "mobile_app", "0"),
    ("درگاه پرداخت رو درست کنید، همش قطعه", "purchase", "payment_gateway", "-"),
    ("کدهای تخفیف واقعا کار کنه", "purchase", "checkout", "-"),
    ("هزینه ارسال رو از اول نشون بدید", "purchase", "checkout", "0"),
    ("روش_های پرداخت بیشتر، مثلا اقساط برای خریدهای کوچیک", "purchase", "checkout", "0"),
    ("ارسال به شهرستان_ها سریع_تر بشه", "delivery", None, "0"),
    ("به پیک_ها آموزش برخورد با مشتری بدید", "delivery", "courier", "-"),
    ("امکان انتخاب ساعت دقیق تحویل", "delivery", "courier", "0"),
    ("بسته_بندی کالاهای شکستنی بهتر بشه", "delivery", None, "0"),
    ("پیامک وضعیت ارسال بفرستید", "delivery", "email_sms", "0"),
    ("کنترل کیفیت قبل از ارسال", "usage", None, "0"),
    ("جنس تقلبی نفروشید", "usage", None, "-"),
    ("تلفن رو زودتر جواب بدید", "support", "call_center", "-"),
    ("یه راه برای صحبت با اپراتور واقعی بذارید نه ربات", "support", "chat", "-"),
    ("تماس رو هی به بخش دیگه وصل نکنید", "support", "call_center", "-"),
    ("به کارشناس_ها اختیار بیشتری بدید", "support", "call_center", "0"),
    ("پشتیبانی چت ۲۴ ساعته باشه", "support", "chat", "0"),
    ("بازگشت وجه سریع_تر انجام شود", "returns", None, "0"),
    ("مأمور مرجوعی سر وقت بیاد", "returns", "courier", "-"),
    ("فرم مرجوعی ساده_تر بشه", "returns", "returns_portal", "0"),
    ("پول رو به کارت برگردونید نه کیف پول", "returns", None, "0"),
    ("امتیازها انقدر زود منقضی نشه", "loyalty", None, "0"),
    ("برای مشتری_های طلایی مزیت واقعی بذارید", "loyalty", None, "0"),
    ("قبل از تمدید اشتراک خبر بدید", "loyalty", "email_sms", "0"),
    ("سرعت اپ رو بیشتر کنید", None, "mobile_app", "0"),
    ("تو شهرهای دیگه هم شعبه بزنید", None, "store", "0"),
    ("حالت شب برای اپ اضافه کنید", None, "mobile_app", "0"),
    ("پاسخگویی پشتیبانی بهتر بشه", "support", None, "0"),
    ("قیمت_ها رو منصفانه_تر کنید", "evaluation", None, "-"),
    ("به ایمیل_ها جواب بدید", "support", "email_sms", "-"),
    ("امکان مرجوع کردن خرید اینترنتی تو شعبه", "returns", "store", "0"),
    ("سایت رو برای گوشی_های قدیمی بهینه کنید", None, "website", "0"),
]

FINGLISH_IMPROVE: list[Clause] = [
    ("dargah pardakht ro dorost konid", "purchase", "payment_gateway", "-"),
    ("ersal saritar beshe", "delivery", None, "0"),
    ("poshtibani javabgoo bashe", "support", None, "-"),
    ("be peyk ha amoozesh bedid", "delivery", "courier", "-"),
    ("pool marjooi ro zoodtar bargardoonid", "returns", None, "0"),
    ("app ro sari tar konid", None, "mobile_app", "0"),
    ("sms tablighati nafrestid", "discovery", "email_sms", "-"),
    ("nazarat fake ro pak konid", "evaluation", "product_page", "-"),
    ("code takhfif ha kar kone", "purchase", "checkout", "-"),
    ("emtiaz ha zood monghazi nashe", "loyalty", None, "0"),
    ("chat ba adam vaghei bashe na robot", "support", "chat", "-"),
]

MIXED_IMPROVE: list[Clause] = [
    ("payment gateway رو fix کنید", "purchase", "payment_gateway", "-"),
    ("delivery سریع_تر بشه", "delivery", None, "0"),
    ("یه live agent واقعی بذارید نه bot", "support", "chat", "-"),
    ("refund ها رو faster کنید", "returns", None, "0"),
    ("app performance رو بهتر کنید", None, "mobile_app", "0"),
    ("fake reviews رو حذف کنید", "evaluation", "product_page", "-"),
    ("return form رو ساده_تر کنید", "returns", "returns_portal", "0"),
]

# "Nothing to improve" style answers (no stage).
EN_NOTHING: list[Clause] = [
    ("Nothing, keep it up!", None, None, "+"),
    ("Honestly nothing, you're doing great", None, None, "+"),
    ("Keep doing what you're doing", None, None, "+"),
    ("Can't think of anything", None, None, "0"),
    ("Nothing really", None, None, "0"),
    ("Not sure", None, None, "0"),
]

FA_NOTHING: list[Clause] = [
    ("هیچی، همین_طوری ادامه بدید", None, None, "+"),
    ("همه چی عالیه", None, None, "+"),
    ("ممنون از زحماتتون", None, None, "+"),
    ("خسته نباشید", None, None, "+"),
    ("فعلا چیزی به ذهنم نمیرسه", None, None, "0"),
    ("نظری ندارم", None, None, "0"),
]

FINGLISH_NOTHING: list[Clause] = [
    ("hichi, aalie", None, None, "+"),
    ("nazari nadaram", None, None, "0"),
]

MIXED_NOTHING: list[Clause] = [
    ("nothing، همه چی اوکیه", None, None, "+"),
]

# =============================================================================================
# App-store reviews: clauses about the app itself (mixed with the stage pools above).
# =============================================================================================
EN_APP: list[Clause] = [
    ("Login OTP never arrives", None, "email_sms", "-"),
    ("Love the new design, much cleaner", None, "mobile_app", "+"),
    ("Fast, smooth, never had a problem", None, "mobile_app", "+"),
    ("Way too many notifications and you can't turn them off", "discovery", "mobile_app", "-"),
    ("The app eats my battery", None, "mobile_app", "-"),
    ("Tracking the courier on the map is really cool", "delivery", "mobile_app", "+"),
    ("The barcode scanner for finding products is genius", "evaluation", "mobile_app", "+"),
    ("Search results in the app are worse than on the website", "evaluation", "mobile_app", "-"),
    ("The cart keeps emptying itself", "purchase", "mobile_app", "-"),
    ("Best shopping app in Iran, hands down", None, "mobile_app", "+"),
    ("Huge app size for what it does", None, "mobile_app", "-"),
    ("Can't change my address in the app, have to call support", "purchase", "mobile_app", "-"),
    ("Returns are super easy right from the order page", "returns", "returns_portal", "+"),
    ("The app shows prices in Rial in one place and Toman in another, confusing", "evaluation", "mobile_app", "-"),
    ("Dark mode finally! Thanks", None, "mobile_app", "+"),
    ("Images take forever to load on mobile data", "evaluation", "mobile_app", "-"),
    ("Works great on my old phone too", None, "mobile_app", "+"),
    ("The chat inside the app is handy", "support", "chat", "+"),
    ("The payment page freezes on iOS", "purchase", "payment_gateway", "-"),
    ("Wishlist sync between phone and website works perfectly", "evaluation", "mobile_app", "+"),
]

FA_APP: list[Clause] = [
    ("کد ورود پیامکی نمیاد", None, "email_sms", "-"),
    ("طراحی جدید خیلی قشنگ و خلوت_تره", None, "mobile_app", "+"),
    ("سریع و روانه، تا حالا مشکلی نداشتم", None, "mobile_app", "+"),
    ("نوتیفیکیشن زیاد میده، خاموش هم نمیشه", "discovery", "mobile_app", "-"),
    ("باتری گوشیمو می_خوره", None, "mobile_app", "-"),
    ("پیگیری پیک روی نقشه خیلی باحاله", "delivery", "mobile_app", "+"),
    ("اسکن بارکد برای پیدا کردن کالا عالیه", "evaluation", "mobile_app", "+"),
    ("نتایج جستجو تو اپ از سایت بدتره", "evaluation", "mobile_app", "-"),
    ("سبد خرید خودبه_خود خالی میشه", "purchase", "mobile_app", "-"),
    ("بهترین اپ خرید ایران", None, "mobile_app", "+"),
    ("حجم برنامه خیلی زیاده", None, "mobile_app", "-"),
    ("تو اپ نمیشه آدرس رو عوض کرد، باید زنگ بزنی", "purchase", "mobile_app", "-"),
    ("مرجوع کردن از صفحه سفارش خیلی راحته", "returns", "returns_portal", "+"),
    ("یه جا قیمت ریاله یه جا تومن، آدم گیج میشه", "evaluation", "mobile_app", "-"),
    ("بالاخره حالت شب اضافه شد، مرسی", None, "mobile_app", "+"),
    ("عکس_ها با اینترنت گوشی خیلی دیر لود میشن", "evaluation", "mobile_app", "-"),
    ("رو گوشی قدیمی_ام هم خوب کار می_کنه", None, "mobile_app", "+"),
    ("چت داخل اپ خیلی به درد بخوره", "support", "chat", "+"),
    ("صفحه پرداخت رو آیفون هنگ می_کنه", "purchase", "payment_gateway", "-"),
    ("لیست علاقه_مندی_ها بین اپ و سایت همگام میشه، عالیه", "evaluation", "mobile_app", "+"),
]

# Reviews of release 5.12.0, which crashed on the payment step (fixed in 5.12.1).
EN_APP_CRASH: list[Clause] = [
    ("App crashes every time I try to pay since the last update", "purchase", "mobile_app", "-"),
    ("After updating to the new version the app won't even open", None, "mobile_app", "-"),
    ("New update is broken, it closes as soon as I hit the pay button", "purchase", "mobile_app", "-"),
    ("Since the update I can't finish any order, the app just quits", "purchase", "mobile_app", "-"),
]
FA_APP_CRASH: list[Clause] = [
    ("از آپدیت آخر هر بار می_خوام پرداخت کنم اپ بسته میشه", "purchase", "mobile_app", "-"),
    ("بعد از آپدیت جدید اپ اصلا باز نمیشه", None, "mobile_app", "-"),
    ("آپدیت جدید خرابه، دکمه پرداخت رو که می_زنم می_پره بیرون", "purchase", "mobile_app", "-"),
    ("از وقتی آپدیت کردم نمی_تونم هیچ سفارشی ثبت کنم", "purchase", "mobile_app", "-"),
]
EN_APP_FIXED: list[Clause] = [
    ("The 5.12.1 update fixed the payment crash, thank you", "purchase", "mobile_app", "+"),
    ("Crash is gone after the latest update", None, "mobile_app", "+"),
]
FA_APP_FIXED: list[Clause] = [
    ("آپدیت 5.12.1 مشکل کرش موقع پرداخت رو حل کرد، دمتون گرم", "purchase", "mobile_app", "+"),
    ("با آپدیت جدید دیگه کرش نمی_کنه", None, "mobile_app", "+"),
]

# =============================================================================================
# Support tickets: (text, stage, touchpoint, polarity, category picked by the agent)
# =============================================================================================
EN_TICKET: list[TicketClause] = [
    ("I can't log in, the verification code never arrives", None, "email_sms", "-", "account"),
    ("Please delete my account and all my data", None, None, "0", "account"),
    ("I want to change the phone number on my account", None, None, "0", "account"),
    ("Can I change the delivery address for order {order}?", "delivery", None, "0", "delivery"),
    ("Please cancel order {order}, I ordered it by mistake", "purchase", None, "0", "order"),
    ("I need an official invoice for my company for order {order}", "purchase", None, "0", "other"),
    ("How long is the warranty on this vacuum cleaner?", "support", None, "0", "warranty"),
    ("My gift card says it's already used but I never used it", "purchase", "checkout", "-", "payment"),
    ("I was charged {price} but the order shows as cancelled", "purchase", "payment_gateway", "-", "payment"),
    ("The money was deducted on {date} and the order was never registered", "purchase", "payment_gateway", "-", "payment"),
    ("Tracking shows delivered but I never got the package", "delivery", "courier", "-", "delivery"),
    ("The parcel arrived damaged, I have photos", "delivery", "courier", "-", "delivery"),
    ("I received someone else's order", "delivery", None, "-", "delivery"),
    ("My refund for order {order} still hasn't arrived", "returns", None, "-", "refund"),
    ("The return pickup was scheduled for yesterday and nobody came", "returns", "courier", "-", "returns"),
    ("The return portal won't let me upload photos", "returns", "returns_portal", "-", "returns"),
    ("The phone I bought restarts by itself, I want to use the warranty", "support", None, "-", "warranty"),
    ("The item doesn't match the description, it's a different model", "evaluation", "product_page", "-", "product"),
    ("Just wanted to say thanks, {agent} solved my issue yesterday", "support", "call_center", "+", "other"),
    ("Thanks for the quick refund!", "returns", None, "+", "refund"),
    ("The app crashes when I open my orders page", None, "mobile_app", "-", "app"),
    ("My loyalty points disappeared from my account", "loyalty", None, "-", "account"),
    ("Is this product original? The seller's listing is unclear", "evaluation", "product_page", "0", "product"),
    ("The coupon from your newsletter doesn't work at checkout", "purchase", "checkout", "-", "payment"),
    ("I keep getting marketing SMS even though I opted out", "discovery", "email_sms", "-", "account"),
]

FA_TICKET: list[TicketClause] = [
    ("نمی_تونم وارد حسابم بشم، کد تأیید نمیاد", None, "email_sms", "-", "account"),
    ("لطفاً حساب کاربری من و اطلاعاتم را حذف کنید", None, None, "0", "account"),
    ("می_خوام شماره موبایل حسابمو عوض کنم", None, None, "0", "account"),
    ("امکان تغییر آدرس تحویل سفارش {order} وجود دارد؟", "delivery", None, "0", "delivery"),
    ("سفارش {order} رو اشتباهی ثبت کردم، لطفا لغوش کنید", "purchase", None, "0", "order"),
    ("برای سفارش {order} فاکتور رسمی با کد اقتصادی لازم دارم", "purchase", None, "0", "other"),
    ("گارانتی این جاروبرقی چند ماهه است؟", "support", None, "0", "warranty"),
    ("کارت هدیه_م رو می_زنم میگه قبلا استفاده شده در حالی که استفاده نکردم", "purchase", "checkout", "-", "payment"),
    ("مبلغ {price} از حسابم کسر شده و سفارش لغو شده نشون میده", "purchase", "payment_gateway", "-", "payment"),
    ("تاریخ {date} پول از حسابم کم شد و سفارش ثبت نشد", "purchase", "payment_gateway", "-", "payment"),
    ("تو سیستم زده تحویل شده، بسته به دست من نرسیده", "delivery", "courier", "-", "delivery"),
    ("بسته آسیب دیده رسیده، عکسش رو دارم", "delivery", "courier", "-", "delivery"),
    ("سفارش یه نفر دیگه به دست من رسیده", "delivery", None, "-", "delivery"),
    ("وجه مرجوعی سفارش {order} هنوز واریز نشده", "returns", None, "-", "refund"),
    ("قرار بود دیروز مرجوعی رو ببرن، کسی نیومد", "returns", "courier", "-", "returns"),
    ("تو پنل مرجوعی نمیشه عکس آپلود کرد", "returns", "returns_portal", "-", "returns"),
    ("گوشی که خریدم خودش ریست میشه، می_خوام از گارانتی استفاده کنم", "support", None, "-", "warranty"),
    ("کالا با توضیحات سایت فرق داره، مدلش یه چیز دیگه_ست", "evaluation", "product_page", "-", "product"),
    ("فقط خواستم تشکر کنم، {agent} دیروز مشکلمو حل کرد", "support", "call_center", "+", "other"),
    ("ممنون از بازگشت سریع وجه", "returns", None, "+", "refund"),
    ("اپ موقع باز کردن صفحه سفارش_ها بسته میشه", None, "mobile_app", "-", "app"),
    ("امتیازهای باشگاهم پاک شده", "loyalty", None, "-", "account"),
    ("این کالا اصله؟ توضیحات فروشنده واضح نیست", "evaluation", "product_page", "0", "product"),
    ("لطفاً نسبت به پیگیری شکایت اینجانب در خصوص تأخیر ارسال اقدام فرمایید", "delivery", None, "-", "delivery"),
    ("کد تخفیف خبرنامه موقع پرداخت قبول نمیشه", "purchase", "checkout", "-", "payment"),
    ("با اینکه لغو اشتراک کردم هنوز پیامک تبلیغاتی میاد", "discovery", "email_sms", "-", "account"),
]

FINGLISH_TICKET: list[TicketClause] = [
    ("sefaresh {order} hanooz naresid", "delivery", None, "-", "delivery"),
    ("pool kam shode vali sefaresh sabt nashode", "purchase", "payment_gateway", "-", "payment"),
    ("mikham sefaresham ro cancel konam", "purchase", None, "0", "order"),
    ("pool marjooi hanooz nayoomade", "returns", None, "-", "refund"),
    ("nemitoonam login konam, code nemiad", None, "email_sms", "-", "account"),
    ("kala kharab resid, mikham pas bedam", "returns", None, "-", "returns"),
]

MIXED_TICKET: list[TicketClause] = [
    ("order {order} هنوز deliver نشده", "delivery", None, "-", "delivery"),
    ("payment fail شد ولی پول کم شده", "purchase", "payment_gateway", "-", "payment"),
    ("refund سفارشم کی واریز میشه؟", "returns", None, "0", "refund"),
    ("app موقع login هنگ می_کنه", None, "mobile_app", "-", "app"),
]

# Call-center tickets are often typed by the agent, in the third person.
FA_AGENT_NOTES: list[TicketClause] = [
    ("مشتری تماس گرفت و اعلام کرد سفارش {order} با تأخیر رسیده و از برخورد پیک ناراضی است", "delivery", "courier", "-", "delivery"),
    ("مشتری اعلام کرد مبلغ از حساب کسر شده و سفارش ثبت نشده؛ ارجاع به واحد مالی", "purchase", "payment_gateway", "-", "payment"),
    ("مشتری جهت پیگیری بازگشت وجه تماس گرفت؛ بار سوم تماس", "returns", None, "-", "refund"),
    ("مشتری برای تشکر از ارسال سریع تماس گرفت", "delivery", "courier", "+", "other"),
    ("مشتری درباره نحوه استفاده از گارانتی سؤال داشت؛ راهنمایی شد", "support", None, "0", "warranty"),
    ("مشتری از عدم مراجعه مأمور جمع_آوری مرجوعی شکایت دارد؛ زمان جدید هماهنگ شد", "returns", "courier", "-", "returns"),
]
EN_AGENT_NOTES: list[TicketClause] = [
    ("Customer called, says the courier never showed up for the return pickup. Rescheduled", "returns", "courier", "-", "returns"),
    ("Customer reports a double charge for order {order}. Escalated to finance", "purchase", "payment_gateway", "-", "payment"),
    ("Customer asked about delivery time to Tabriz. Informed 3-5 working days", "delivery", None, "0", "delivery"),
    ("Cust. angry, 4th call about the same refund, wants a supervisor", "returns", None, "-", "refund"),
    ("Customer says the product page listed the wrong colour; offered an exchange", "evaluation", "product_page", "-", "product"),
]

# Sentences that signal repeated contact (high customer effort).
EN_EFFORT: list[Clause] = [
    ("This is my third message about this", "support", None, "-"),
    ("I've called twice already and nobody did anything", "support", "call_center", "-"),
    ("Third ticket, same problem", "support", None, "-"),
    ("I already explained this to your call center twice", "support", "call_center", "-"),
    ("Your chat told me to open a ticket, so here I am again", "support", "chat", "-"),
]
FA_EFFORT: list[Clause] = [
    ("این بار سومه که پیام میدم", "support", None, "-"),
    ("دو بار زنگ زدم و هر بار گفتن پیگیری می_کنیم", "support", "call_center", "-"),
    ("برای بار چندم درخواست میدم", "support", None, "-"),
    ("قبلا هم تیکت زدم، بدون جواب بستنش", "support", None, "-"),
    ("چت گفت تیکت ثبت کنم، دوباره دارم توضیح میدم", "support", "chat", "-"),
]

# Non-content framing (no stage, no polarity).
GREETINGS = {
    "en": ["Hi,", "Hello,", "Hi team,", "Dear Kalano support,", "Hello there.", "Hi"],
    "fa": ["سلام،", "سلام وقت بخیر.", "با سلام و احترام،", "درود،", "سلام", "سلام خسته نباشید."],
    "fin": ["salam,", "salam vaght bekheir,", "salam"],
}
REQUESTS = {
    "en": ["Please look into it.", "Please call me back.", "I want my money back.", "Please fix this ASAP.", "Waiting for your reply.", "What should I do?"],
    "fa": ["لطفا پیگیری کنید.", "لطفاً در اسرع وقت رسیدگی شود.", "منتظر پاسخ هستم.", "لطفا باهام تماس بگیرید.", "پولمو می_خوام.", "چیکار باید بکنم؟"],
    "fin": ["lotfan peygiri konid.", "montazeram.", "lotfan zang bezanid."],
}
OPENERS = {
    "en": ["Honestly, ", "To be honest, ", "Well, ", "tbh ", "So, "],
    "fa": ["راستش ", "والا ", "سلام، ", "صادقانه بگم ", "ببینید، "],
    "fin": ["salam, ", "rastesh ", "vala "],
}
IMPROVE_OPENERS = {
    "en": ["Please, ", "One thing: ", "IMO ", "Simple: ", "Just ", "Definitely "],
    "fa": ["لطفا ", "به نظرم ", "خواهشاً ", "فقط ", "یه پیشنهاد: ", "به نظر من "],
    "fin": ["lotfan ", "be nazaram ", "faghat "],
}
CLOSERS = {
    ("en", "+"): [" Thanks!", " Keep it up.", " Thank you.", " 10/10"],
    ("en", "-"): [" Very disappointed.", " Not happy at all.", " Fix it please.", " Ridiculous."],
    ("fa", "+"): [" ممنون", " مرسی از همتون", " دمتون گرم", " خسته نباشید"],
    ("fa", "-"): [" واقعا ناراحت شدم.", " خیلی بده.", " حیف.", " اصلا راضی نیستم."],
    ("fin", "+"): [" merci", " mamnoon", " damet garm"],
    ("fin", "-"): [" vaghan bad bood", " heyf"],
}
EMOJI_BY_POLARITY = {
    "+": ["👍", "❤️", "😍", "🙏", "👌", "⭐", "🌹", "😊"],
    "-": ["😡", "😤", "👎", "😞", "💔", "🤬", "😠", "🙄"],
    "0": ["🤷‍♂️", "😐", "🤔"],
}

EN_TYPOS = {
    "received": "recieved", "definitely": "definately", "disappointed": "dissapointed",
    "until": "untill", "address": "adress", "delivery": "delivary", "because": "becuase",
    "experience": "expirience", "immediately": "immediatly", "really": "realy",
    "their": "thier", "warranty": "waranty", "money": "mony",
}
STRETCH = {
    "خیلی": "خیییییلی", "عالی": "عاااالی", "دیر": "دیییییر", "افتضاح": "افتضااااح",
    "واقعا": "واقعاااا", "ممنون": "ممنووون", "بد": "بددد", "so": "sooo", "very": "veeery",
    "slow": "sloooow", "love": "looove", "kheili": "kheiliiii", "dir": "diiiir",
    "هیچ": "هیییچ", "اصلا": "اصلاااا", "سریع": "سرییییع", "مرسی": "مرسیییی", "great": "greaaat",
    "never": "neverrr", "aalie": "aaaalie",
}

# =============================================================================================
# Long answers (1,500+ characters) covering several stages.
# =============================================================================================
RANT_EN = (
    "Where do I even start. I saw your ad on Instagram for a 55-inch TV with 30% off, clicked it and the "
    "price on the site was completely different, the 'discount' was for another model. Fine, I still "
    "ordered the TV because the reviews looked good (now I'm pretty sure half of them are fake). At "
    "checkout the coupon from your own SMS didn't work, then the bank gateway timed out TWICE and the "
    "money was taken from my account both times but no order was registered. I called the call center, "
    "waited 35 minutes on hold, got transferred to 'finance' and the line dropped. Called again the next "
    "day, explained everything from scratch, they said the money would come back within 72 hours. It "
    "took 9 days.\n"
    "Eventually I placed the order a third time (order {order}) and it was supposed to arrive in 3 days. "
    "It arrived after 11 days, the courier refused to bring it up to the 4th floor and the box had a huge "
    "dent in it. The screen has a line of dead pixels on the left side. I requested a return through the "
    "website, the form crashed at the last step, so I had to call AGAIN. They scheduled a pickup for "
    "Saturday, nobody came. Rescheduled for Tuesday, nobody came. When they finally picked it up the "
    "refund took another three weeks and they kept {price} for 'shipping' even though the product was "
    "faulty. I have been a gold member for four years and honestly I don't know why I stayed this long. "
    "Your prices are good, I'll give you that, but nothing is worth this much stress. I won't be "
    "recommending you to anyone, and I've already told my sister to cancel her Kalano Plus."
)

RANT_FA = (
    "سلام. واقعا نمی_دونم از کجا شروع کنم. تو اینستاگرام تبلیغ یخچال ساید بای ساید رو دیدم با ۲۵ درصد تخفیف، "
    "رفتم تو سایت دیدم تخفیف مال یه مدل دیگه_ست. باز گفتم اشکال نداره، نظرات خریدارها خوب بود (که الان "
    "مطمئنم نصفش فیکه). موقع پرداخت کد تخفیفی که خودتون پیامک کرده بودید کار نکرد، بعدش درگاه پرداخت دو بار "
    "قطع شد و هر دو بار پول از حسابم کم شد ولی سفارش ثبت نشد. زنگ زدم مرکز تماس، ۴۰ دقیقه پشت خط موندم، "
    "وصلم کردن به واحد مالی و تماس قطع شد. تو همون چهل دقیقه سه تا پیامک تبلیغاتی حراج هم ازتون اومد که واقعا "
    "نمک روی زخم بود. تو چت سایت هم ربات فقط لینک سوالات متداول رو می_فرستاد و هیچ راهی برای صحبت با یه آدم "
    "واقعی نبود. فرداش دوباره زنگ زدم و از اول همه چیو توضیح دادم، گفتن تا ۷۲ "
    "ساعت پول برمی_گرده، ده روز طول کشید.\n"
    "بالاخره بار سوم سفارش ثبت شد، کد سفارش {order}. قرار بود سه روزه برسه، دوازده روز بعد رسید. پیک گفت "
    "آسانسور ندارید من نمیارم بالا، خودتون بیاید پایین! یخچال هم یه طرفش فرورفتگی داشت. از همون هفته اول "
    "صدای عجیب میده و برفک می_زنه. زنگ زدم گارانتی، گفتن باید فروشنده تأیید کنه، فروشنده گفت مشکل از "
    "گارانتیه. خواستم مرجوع کنم، فرم مرجوعی سایت مرحله آخر خطا داد و مجبور شدم باز زنگ بزنم. دو بار قرار "
    "گذاشتن بیان ببرن و هیچ کدوم نیومدن. آخرش که بردن، سه هفته طول کشید تا پول برگرده و {price} هم بابت "
    "«هزینه ارسال» کم کردن در حالی که کالا معیوب بود. چهار ساله مشتری طلایی_تونم و واقعا نمی_فهمم چرا تا "
    "الان موندم. قیمتاتون خوبه قبول دارم، ولی این همه اعصاب_خوردی به هیچ قیمتی نمی_ارزه. دیگه به هیچ کس "
    "معرفیتون نمی_کنم و به همه دوستام هم میگم از شما خرید نکنن. امیدوارم حداقل این پیام رو یه نفر بخونه و "
    "به جای جواب کپی_پیست، واقعا یه کاری بکنه."
)

RANTS: list[tuple[str, str, list[Clause]]] = [
    (
        RANT_EN, "en",
        [
            ("", "purchase", "payment_gateway", "-"), ("", "discovery", "social_media", "-"),
            ("", "evaluation", "product_page", "-"), ("", "purchase", "checkout", "-"),
            ("", "support", "call_center", "-"), ("", "delivery", "courier", "-"),
            ("", "usage", None, "-"), ("", "returns", "returns_portal", "-"),
            ("", "loyalty", None, "-"), ("", "evaluation", None, "+"),
        ],
    ),
    (
        RANT_FA, "fa",
        [
            ("", "purchase", "payment_gateway", "-"), ("", "discovery", "social_media", "-"),
            ("", "evaluation", "product_page", "-"), ("", "purchase", "checkout", "-"),
            ("", "support", "call_center", "-"), ("", "delivery", "courier", "-"),
            ("", "usage", None, "-"), ("", "returns", "returns_portal", "-"),
            ("", "loyalty", None, "-"), ("", "evaluation", None, "+"),
        ],
    ),
]

# =============================================================================================
# Names, non-PII numbers and PII (with valid checksums)
# =============================================================================================
AGENT_NAMES = {
    "en": ["Sara", "Reza", "Mr. Mohammadi", "Ms. Karimi", "Ali", "Neda", "Mrs. Rahimi", "Amir"],
    "fa": ["آقای محمدی", "خانم کریمی", "سارا", "آقای رضایی", "خانم احمدی", "علی", "خانم نوری", "آقای حسینی"],
    "fin": ["agha mohammadi", "khanom karimi", "Sara", "Reza"],
}
CUSTOMER_NAMES = {
    "en": ["Neda Rahimi", "Babak Azizi", "Shirin Moradi", "Kaveh Jafari", "Laleh Sadeghi"],
    "fa": ["مریم احمدی", "حمید تهرانی", "شیرین مرادی", "کاوه جعفری", "لاله صادقی", "رضا کاظمی"],
    "fin": ["Maryam Ahmadi", "Hamid Tehrani"],
}
SIGNATURES = {
    "en": ["Regards, {name}", "Thanks, {name}", "- {name}"],
    "fa": ["با تشکر، {name}", "ارادتمند، {name}", "{name}"],
    "fin": ["merci, {name}"],
}
EMAIL_LOCALS = ["sara.ahmadi88", "m.rezaei", "ali_karimi1370", "neda.r", "hamid.t64", "b.azizi",
                "shirin.moradi", "kaveh1990", "laleh.s", "reza.kazemi.work"]
EMAIL_DOMAINS = ["example.com", "example.org", "example.net"]
URL_SLUGS = ["samsung-galaxy-a55", "philips-blender-hr2041", "nike-air-zoom-42", "xiaomi-redmi-note-13",
             "bosch-vacuum-bgs05", "lenovo-ideapad-3", "delonghi-coffee-maker", "adidas-tshirt-m"]
CARD_BINS = ["603799", "610433", "589210", "627353", "603769", "621986", "502229"]
IBAN_BANKS = ["017", "012", "056", "018", "019", "015", "057"]
MOBILE_PREFIXES = ["0912", "0935", "0919", "0901", "0990", "0938", "0921", "0913"]
LANDLINE_PREFIXES = ["021", "031", "051", "071", "041"]
JALALI_MONTHS = ["فروردین", "اردیبهشت", "خرداد", "تیر", "مرداد", "شهریور", "مهر", "آبان", "آذر",
                 "دی", "بهمن", "اسفند"]

PII_TEMPLATES: dict[str, dict[str, list[str]]] = {
    "en": {
        "email": ["You can reach me at {v}", "My email is {v}", "Please reply to {v}, nobody answers in the app", "Email me: {v}"],
        "mobile": ["Call me on {v}", "My number is {v}", "Please call me back on {v}", "Contact: {v}"],
        "landline": ["You can also call my office at {v}", "Landline: {v}"],
        "card": ["The money was taken from my card {v}", "Card number {v}, please check the transaction", "Refund to this card please: {v}"],
        "iban": ["Please refund to my IBAN {v}", "My sheba number for the refund: {v}"],
        "national_id": ["My national ID is {v} if you need it for the warranty", "National code: {v}"],
        "url": ["This is the product: {v}", "Look at this listing {v} the photo is totally different", "Link: {v}"],
    },
    "fa": {
        "email": ["ایمیلم {v} هست، لطفا جواب بدید", "لطفاً پاسخ را به ایمیل {v} ارسال کنید", "ایمیل: {v}"],
        "mobile": ["شماره من {v} هست، لطفا تماس بگیرید", "لطفا با این شماره تماس بگیرید: {v}", "شماره تماس: {v}", "با {v} تماس بگیرید"],
        "landline": ["شماره ثابت: {v}", "ساعت اداری با {v} تماس بگیرید"],
        "card": ["پول از کارت {v} کم شد", "شماره کارت جهت واریز: {v}", "مبلغ رو به این کارت برگردونید {v}"],
        "iban": ["شماره شبا جهت عودت وجه: {v}", "لطفا به شبای {v} واریز کنید"],
        "national_id": ["کد ملی {v} به نام خودمه", "کد ملی: {v}"],
        "url": ["لینک محصول: {v}", "اینم لینکش {v}", "این کالا رو ببینید {v}"],
    },
    "fin": {
        "email": ["emailam {v}", "be {v} email bezanid"],
        "mobile": ["shomaram {v}", "ba {v} tamas begirid"],
        "landline": ["shomare sabet {v}"],
        "card": ["az cartam {v} kam shod", "shomare cart {v}"],
        "iban": ["sheba {v}"],
        "national_id": ["code melli {v}"],
        "url": ["linkesh {v}"],
    },
}
COMPLAINT_KINDS = {"card", "iban"}
COMPLAINT_TEMPLATES = {"Look at this listing {v} the photo is totally different", "این کالا رو ببینید {v}"}
PII_WEIGHTS = {
    "survey": {"email": 3, "mobile": 4, "landline": 2, "card": 3, "iban": 2, "national_id": 2, "url": 3},
    "reviews": {"email": 3, "mobile": 2, "landline": 1, "card": 1, "iban": 0.5, "national_id": 0.5, "url": 4},
    "tickets": {"email": 2, "mobile": 3, "landline": 2, "card": 3.5, "iban": 3, "national_id": 2.5, "url": 1},
}

_DIGITS = {"latin": "0123456789", "fa": "۰۱۲۳۴۵۶۷۸۹", "ar": "٠١٢٣٤٥٦٧٨٩"}
_ANY_DIGIT = {ord(ch): i for style in _DIGITS.values() for i, ch in enumerate(style)}


def to_digits(text: str, style: str) -> str:
    """Rewrite every Latin/Persian/Arabic-Indic digit in ``text`` in the given style."""
    target = _DIGITS[style]
    return text.translate({k: target[v] for k, v in _ANY_DIGIT.items()})


def only_digits(text: str) -> str:
    return "".join(to_digits(ch, "latin") for ch in text if ord(ch) in _ANY_DIGIT)


def luhn_check_digit(payload: str) -> str:
    total = 0
    for i, ch in enumerate(reversed(payload)):
        d = int(ch)
        if i % 2 == 0:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return str((10 - total % 10) % 10)


def luhn_valid(number: str) -> bool:
    digits = only_digits(number)
    return len(digits) == 16 and luhn_check_digit(digits[:-1]) == digits[-1]


def iban_check_digits(country: str, bban: str) -> str:
    numeric = "".join(str(int(ch, 36)) for ch in bban + country + "00")
    return f"{98 - int(numeric) % 97:02d}"


def iban_valid(iban: str) -> bool:
    compact = iban[:2] + only_digits(iban[2:])
    if not re.fullmatch(r"IR\d{24}", compact):
        return False
    rearranged = compact[4:] + compact[:4]
    return int("".join(str(int(ch, 36)) for ch in rearranged)) % 97 == 1


def national_id_check_digit(first9: str) -> str:
    remainder = sum(int(d) * (10 - i) for i, d in enumerate(first9)) % 11
    return str(remainder if remainder < 2 else 11 - remainder)


def national_id_valid(code: str) -> bool:
    digits = only_digits(code)
    if len(digits) != 10 or len(set(digits)) == 1:
        return False
    return national_id_check_digit(digits[:9]) == digits[9]


def _native_digits(value: str, rng: random.Random, lang: str, share: float) -> str:
    """In Persian text, write ``share`` of the numbers in Persian (sometimes Arabic-Indic) digits."""
    if lang in ("fa", "mix") and rng.random() < share:
        return to_digits(value, "ar" if rng.random() < 0.25 else "fa")
    return value


def _group(digits: str, size: int, sep: str) -> str:
    return sep.join(digits[i:i + size] for i in range(0, len(digits), size))


def make_card(rng: random.Random, lang: str) -> str:
    """A Luhn-valid 16-digit card number: a real-looking BIN, then zeros (obviously fake)."""
    payload = rng.choice(CARD_BINS) + "0000" + "".join(rng.choice("0123456789") for _ in range(5))
    digits = payload + luhn_check_digit(payload)
    assert luhn_valid(digits)
    value = rng.choice([_group(digits, 4, " "), _group(digits, 4, "-"), digits, digits])
    return _native_digits(value, rng, lang, 0.4)


def make_iban(rng: random.Random, lang: str) -> str:
    """A mod-97-valid Iranian IBAN (IR + 2 check digits + 22 digits) with a run of zeros."""
    bban = rng.choice(IBAN_BANKS) + "0000000" + "".join(rng.choice("0123456789") for _ in range(12))
    iban = "IR" + iban_check_digits("IR", bban) + bban
    assert iban_valid(iban)
    return _group(iban, 4, " ") if rng.random() < 0.35 else iban


def make_national_id(rng: random.Random, lang: str) -> str:
    """A 10-digit national code that passes the checksum (prefix 00x, as Tehran codes)."""
    while True:
        first9 = "00" + str(rng.randint(1, 9)) + "".join(rng.choice("0123456789") for _ in range(6))
        code = first9 + national_id_check_digit(first9)
        if national_id_valid(code):
            break
    return _native_digits(code, rng, lang, 0.4)


def make_mobile(rng: random.Random, lang: str) -> str:
    prefix = rng.choice(MOBILE_PREFIXES)
    rest = "000" + "".join(rng.choice("0123456789") for _ in range(4))
    number = prefix + rest
    value = rng.choice([
        number,
        f"{prefix} {rest[:3]} {rest[3:]}",
        f"+98 {prefix[1:]} {rest[:3]} {rest[3:]}",
        f"+98{number[1:]}",
        f"{prefix}-{rest[:3]}-{rest[3:]}",
    ])
    return _native_digits(value, rng, lang, 0.45)


def make_landline(rng: random.Random, lang: str) -> str:
    area = rng.choice(LANDLINE_PREFIXES)
    local = "8800" + "".join(rng.choice("0123456789") for _ in range(4))
    value = rng.choice([f"{area}-{local}", f"{area} {local[:4]} {local[4:]}", f"({area}) {local}", area + local])
    return _native_digits(value, rng, lang, 0.3)


def make_email(rng: random.Random, lang: str) -> str:
    return f"{rng.choice(EMAIL_LOCALS)}@{rng.choice(EMAIL_DOMAINS)}"


def make_url(rng: random.Random, lang: str) -> str:
    pid = rng.randint(1_000_000, 9_999_999)
    return rng.choice([
        f"https://www.kalano.ir/product/klp-{pid}/{rng.choice(URL_SLUGS)}/",
        f"https://kalano.ir/p/klp-{pid}",
        f"www.kalano.ir/product/klp-{pid}",
        f"https://www.kalano.ir/search/?q={rng.choice(URL_SLUGS)}",
    ])


PII_MAKERS: dict[str, Callable[[random.Random, str], str]] = {
    "email": make_email, "mobile": make_mobile, "landline": make_landline, "card": make_card,
    "iban": make_iban, "national_id": make_national_id, "url": make_url,
}


def gregorian_to_jalali(day: date) -> tuple[int, int, int]:
    gy, gm, gd = day.year, day.month, day.day
    cumulative = [0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334]
    gy2 = gy + 1 if gm > 2 else gy
    days = (355666 + 365 * gy + (gy2 + 3) // 4 - (gy2 + 99) // 100 + (gy2 + 399) // 400
            + gd + cumulative[gm - 1])
    jy = -1595 + 33 * (days // 12053)
    days %= 12053
    jy += 4 * (days // 1461)
    days %= 1461
    if days > 365:
        jy += (days - 1) // 365
        days = (days - 1) % 365
    if days < 186:
        return jy, 1 + days // 31, 1 + days % 31
    return jy, 7 + (days - 186) // 30, 1 + (days - 186) % 30


def make_price(rng: random.Random, lang: str) -> str:
    amount = rng.choice([rng.randint(8, 99) * 10_000, rng.randint(10, 250) * 50_000,
                         rng.randint(5, 90) * 1_000_000 + rng.choice([0, 250_000, 500_000])])
    if lang == "en":
        if amount >= 1_000_000 and rng.random() < 0.3:
            return f"{amount / 1_000_000:g}M toman"
        return f"{amount:,} " + rng.choice(["toman", "Toman", "tomans", "T"])
    sep = rng.choice([",", ",", "٬", "."])
    return f"{amount:,}".replace(",", sep) + " " + rng.choice(["تومان", "تومان", "تومن"])


def make_date(rng: random.Random, lang: str, when: date) -> str:
    day = when - timedelta(days=rng.randint(2, 25))
    if lang == "en":
        return rng.choice([day.strftime("%b %d").replace(" 0", " "), f"{day.day} {day.strftime('%B')}",
                           day.strftime("%d/%m")])
    jy, jm, jd = gregorian_to_jalali(day)
    if rng.random() < 0.3:
        return f"{jd} {JALALI_MONTHS[jm - 1]}"
    return rng.choice([f"{jy}/{jm:02d}/{jd:02d}", f"{jy}/{jm}/{jd}"])


def make_order(rng: random.Random, lang: str) -> str:
    number = str(rng.randint(10_000_000, 99_999_999))
    if lang == "en":
        return rng.choice([number, "#" + number, "KL-" + number])
    return number


def make_track(rng: random.Random, lang: str) -> str:
    return str(rng.randint(1, 8)) + "".join(rng.choice("0123456789") for _ in range(11))


# =============================================================================================
# Answers and their truth
# =============================================================================================
@dataclass
class Text:
    """One open-text answer plus everything the truth file records about it."""

    text: str
    lang: str  # fa | en | mixed | other
    lang_detail: str  # fa, en, fa+en, ar, tr, fr, de, ru, emoji, none
    finglish: bool = False
    kind: str = "text"  # text | emoji | junk | agent_note | long
    clauses: list[Clause] = field(default_factory=list)
    primary_index: int | None = None
    sentiment_override: str | None = None
    pii: list[str] = field(default_factory=list)
    pii_values: list[str] = field(default_factory=list)
    non_pii: list[str] = field(default_factory=list)
    non_pii_values: list[str] = field(default_factory=list)
    noise: list[str] = field(default_factory=list)
    duplicate_of: str | None = None

    @property
    def sentiment(self) -> str:
        if self.sentiment_override:
            return self.sentiment_override
        pols = {c[3] for c in self.clauses}
        if "+" in pols and "-" in pols:
            return "mixed"
        return "positive" if "+" in pols else "negative" if "-" in pols else "neutral"

    def primary(self) -> Clause | None:
        if self.primary_index is not None:
            return self.clauses[self.primary_index]
        content = [c for c in self.clauses if c[1] or c[2]]
        if not content:
            return None
        wanted = {"negative": "-", "mixed": "-", "positive": "+"}.get(self.sentiment, "0")
        return min(content, key=lambda c: (c[3] != wanted, c[1] is None))

    def truth(self, file: str, row_id: str, question: str) -> dict[str, object]:
        main = self.primary()
        return {
            "file": file, "id": row_id, "question": question, "lang": self.lang,
            "finglish": self.finglish, "stage": main[1] if main else None,
            "touchpoint": main[2] if main else None, "sentiment": self.sentiment,
            "pii": self.pii, "pii_values": self.pii_values,
            "non_pii": self.non_pii, "non_pii_values": self.non_pii_values,
            "stages": sorted({c[1] for c in self.clauses if c[1]}, key=STAGES.index),
            "touchpoints": sorted({c[2] for c in self.clauses if c[2]}, key=TOUCHPOINTS.index),
            "aspects": [{"stage": c[1], "touchpoint": c[2], "polarity": POLARITY_NAMES[c[3]]}
                        for c in self.clauses if c[1] or c[2]],
            "lang_detail": self.lang_detail, "kind": self.kind, "noise": self.noise,
            "duplicate_of": self.duplicate_of,
        }


MIXED_TEXTS = {c[0].replace("_", ZWNJ) for c in MIXED + MIXED_IMPROVE + MIXED_NOTHING + MIXED_TICKET}
POLARITY_NAMES = {"+": "positive", "-": "negative", "0": "neutral"}


def _fa(pool: Sequence[tuple]) -> list:
    """Turn the ``_`` half-space marker into a real zero-width non-joiner."""
    return [(entry[0].replace("_", ZWNJ), *entry[1:]) for entry in pool]


REASON: dict[str, list[Clause]] = {
    "en": EN_DISCOVERY + EN_EVALUATION + EN_PURCHASE + EN_DELIVERY + EN_USAGE + EN_SUPPORT
    + EN_RETURNS + EN_LOYALTY + EN_GENERAL + EN_NEUTRAL,
    "fa": _fa(FA_DISCOVERY + FA_EVALUATION + FA_PURCHASE + FA_DELIVERY + FA_USAGE + FA_SUPPORT
              + FA_RETURNS + FA_LOYALTY + FA_GENERAL + FA_NEUTRAL),
    "fin": FINGLISH,
    "mix": _fa(MIXED),
    **OTHER,
}
IMPROVE: dict[str, list[Clause]] = {
    "en": EN_IMPROVE, "fa": _fa(FA_IMPROVE), "fin": FINGLISH_IMPROVE, "mix": _fa(MIXED_IMPROVE),
}
NOTHING: dict[str, list[Clause]] = {
    "en": EN_NOTHING, "fa": _fa(FA_NOTHING), "fin": FINGLISH_NOTHING, "mix": _fa(MIXED_NOTHING),
}
APP: dict[str, list[Clause]] = {"en": EN_APP, "fa": _fa(FA_APP)}
APP_CRASH: dict[str, list[Clause]] = {"en": EN_APP_CRASH, "fa": _fa(FA_APP_CRASH)}
APP_FIXED: dict[str, list[Clause]] = {"en": EN_APP_FIXED, "fa": _fa(FA_APP_FIXED)}
TICKET: dict[str, list[TicketClause]] = {
    "en": EN_TICKET, "fa": _fa(FA_TICKET), "fin": FINGLISH_TICKET, "mix": _fa(MIXED_TICKET),
}
AGENT_NOTES: dict[str, list[TicketClause]] = {"en": EN_AGENT_NOTES, "fa": _fa(FA_AGENT_NOTES)}
EFFORT: dict[str, list[Clause]] = {"en": EN_EFFORT, "fa": _fa(FA_EFFORT)}
OTHER_LANGS = tuple(OTHER)

ADDITIVE = {
    "en": [". ", ", and ", ", ", ". Also, ", " and ", ". "],
    "fa": ["، ", " و ", ". ", "؛ ", "، ضمناً ", "، "],
    "fin": [", ", " va ", ". ", ", "],
    "ar": ["، و"], "tr": [", ", " ve "], "fr": [", ", " et "], "de": [", ", " und "], "ru": [", ", " и "],
}
ADDITIVE["mix"] = ADDITIVE["fa"]
CONTRAST = {
    "en": [", but ", ". But ", " but ", ". However, ", ", however ", ". That said, ", ", but "],
    "fa": ["، ولی ", " ولی ", "، اما ", ". اما ", " ولی خب ", "؛ با این حال ", "، ولی "],
    "fin": [" vali ", ", vali ", " ama ", ". vali "],
    "mix": ["، ولی ", " ولی ", "، اما ", " but ", ", but "],
    "ar": ["، لكن ", " لكن "], "tr": [" ama ", ", ama "], "fr": [" mais ", ", mais "],
    "de": [", aber "], "ru": [", но "],
}
LATIN_SCRIPT = {"en", "fin", "tr", "fr", "de", "ru"}
KEEP_CASE = {"I", "I'm", "I've", "I'll", "Kalano", "Instagram", "Google", "Telegram/Instagram",
             "Tehran", "Shiraz", "Tabriz", "Q&A", "T-shirt", "Die"}
SENTENCE_END = (".", "!", "?", "؟", "…")
PLACEHOLDER = re.compile(r"(\{\w+\})")


def _outside_placeholders(text: str, fn: Callable[[str], str]) -> str:
    parts = PLACEHOLDER.split(text)
    return "".join(p if PLACEHOLDER.fullmatch(p) else fn(p) for p in parts)


def _lower_first(text: str) -> str:
    first = text.split(" ", 1)[0]
    if first in KEEP_CASE or first.startswith("{") or (len(first) > 1 and first.isupper()):
        return text
    return text[:1].lower() + text[1:]


def _upper_first(text: str) -> str:
    return text[:1].upper() + text[1:]


class Decks:
    """Shuffled decks per pool, so every clause is used before any is reused.

    Also remembers every answer written so far, so that no answer repeats by accident.
    """

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.queues: dict[str, list[tuple]] = {}
        self.seen: set[str] = set()

    def unique[R](self, make: Callable[..., R], *args: object) -> R:
        """Call ``make(*args)`` until its answer (a Text, None, or a tuple starting with a Text)
        was not written before; give up after 40 tries."""
        for _ in range(40):
            result = make(*args)
            t = result[0] if isinstance(result, tuple) else result
            if not isinstance(t, Text) or t.text not in self.seen:
                break
        if isinstance(t, Text):
            self.seen.add(t.text)
        return result

    def draw(self, name: str, pool: Sequence[tuple], pred: Callable[[tuple], bool]) -> tuple | None:
        queue = self.queues.setdefault(name, [])
        for refill in (False, True):
            if refill:
                fresh = list(pool)
                self.rng.shuffle(fresh)
                queue.extend(fresh)
            for i, item in enumerate(queue):
                if pred(item):
                    return queue.pop(i)
        return None


def join_clauses(texts: list[str], pols: list[str], lang: str, rng: random.Random) -> str:
    out = texts[0]
    for prev_pol, text, pol in zip(pols, texts[1:], pols[1:], strict=False):
        contrast = {prev_pol, pol} == {"+", "-"}
        conn = rng.choice((CONTRAST if contrast else ADDITIVE)[lang])
        if out.endswith(SENTENCE_END):
            word = conn.strip(",. ،؛")
            conn = " " + (_upper_first(word) + " " if word else "")
            if lang in LATIN_SCRIPT and not word:
                text = _upper_first(text)
        if lang in LATIN_SCRIPT and not conn.rstrip().endswith("."):
            text = _lower_first(text)
        out += conn + text
    return out


def noise_en(text: str, rng: random.Random, t: Text, angry: bool) -> str:
    if rng.random() < 0.12:
        present = [w for w in EN_TYPOS if re.search(rf"\b{w}\b", text)]
        if present:
            word = rng.choice(present)
            text = re.sub(rf"\b{word}\b", EN_TYPOS[word], text, count=1)
            t.noise.append("typo")
    if rng.random() < 0.05:
        words = [w for w in re.findall(r"\b[a-z]{5,}\b", PLACEHOLDER.sub("", text))]
        if words:
            word = rng.choice(words)
            i = rng.randrange(len(word) - 1)
            swapped = word[:i] + word[i + 1] + word[i] + word[i + 2:]
            text = re.sub(rf"\b{word}\b", swapped, text, count=1)
            t.noise.append("typo")
    if angry and rng.random() < 0.12:
        text = _outside_placeholders(text, str.upper)
        t.noise.append("all_caps")
    elif rng.random() < 0.07:
        text = _outside_placeholders(text, str.lower)
        t.noise.append("lowercase")
    if rng.random() < 0.05 and " I " in text:
        text = text.replace(" I ", " i ")
        t.noise.append("lowercase_i")
    return text


def noise_fa(text: str, rng: random.Random, t: Text) -> str:
    roll = rng.random()
    if roll < 0.14:
        if roll < 0.07:
            text = text.replace("ی", "ي").replace("ک", "ك")
        elif roll < 0.11:
            text = text.replace("ی", "ي")
        else:
            text = text.replace("ک", "ك")
        t.noise.append("arabic_letters")
    if ZWNJ in text:
        roll = rng.random()
        if roll < 0.22:
            text = text.replace(ZWNJ, " ")
            t.noise.append("zwnj_as_space")
        elif roll < 0.38:
            text = text.replace(ZWNJ, "")
            t.noise.append("no_zwnj")
    text = stretch(text, rng, t, 0.15)
    if "،" in text and rng.random() < 0.12:
        text = text.replace("،", ",")
        t.noise.append("latin_comma")
    return text


def stretch(text: str, rng: random.Random, t: Text, chance: float) -> str:
    if rng.random() >= chance:
        return text
    present = [w for w in STRETCH if re.search(rf"(?<!\w){w}(?!\w)", text)]
    if not present:
        return text
    word = rng.choice(present)
    t.noise.append("stretched")
    return re.sub(rf"(?<!\w){word}(?!\w)", STRETCH[word], text, count=1)


def fill_placeholders(text: str, t: Text, rng: random.Random, lang: str, when: date, digits: str) -> str:
    value_lang = "en" if lang in LATIN_SCRIPT else "fa"
    name_lang = lang if lang in ("en", "fa", "fin") else ("en" if value_lang == "en" else "fa")

    def replace(match: re.Match[str]) -> str:
        key = match.group(1)
        if key == "agent":
            value = rng.choice(AGENT_NAMES[name_lang])
            t.pii.append("person_name")
            t.pii_values.append(value)
            return value
        makers: dict[str, Callable[[], str]] = {
            "order": lambda: make_order(rng, value_lang),
            "track": lambda: make_track(rng, value_lang),
            "price": lambda: make_price(rng, value_lang),
            "date": lambda: make_date(rng, value_lang, when),
        }
        value = to_digits(makers[key](), digits)
        t.non_pii.append({"order": "order_id", "track": "tracking_code"}.get(key, key))
        t.non_pii_values.append(value)
        return value

    return re.sub(r"\{(\w+)\}", replace, text)


def pick_digit_style(rng: random.Random, lang: str) -> str:
    if lang == "fa":
        return rng.choices(["fa", "latin", "ar"], [52, 36, 12])[0]
    if lang == "mix":
        return rng.choices(["fa", "latin"], [45, 55])[0]
    return "latin"


def finish(t: Text, body: str, rng: random.Random, lang: str, when: date, *,
           target: str, decorate: bool = True, openers: dict[str, list[str]] = OPENERS,
           opener_rate: float = 0.12) -> None:
    """Punctuation, openers/closers, noise and numbers; sets ``t.text``."""
    key = "fa" if lang == "mix" else lang
    angry = target == "-"
    if decorate and key in openers and rng.random() < opener_rate:
        body = rng.choice(openers[key]) + (_lower_first(body) if key in LATIN_SCRIPT else body)
    if decorate and not body.endswith(SENTENCE_END):
        body += rng.choices(["", ".", "!", "!!!"], [30, 55, 10, 5 if angry else 0])[0]
        if (key, target) in CLOSERS and rng.random() < 0.15:
            if not body.endswith(SENTENCE_END):
                body += "."
            body += rng.choice(CLOSERS[(key, target)])
    if lang == "en":
        body = _upper_first(body)
        body = noise_en(body, rng, t, angry)
    elif lang in ("fa", "mix"):
        body = noise_fa(body, rng, t)
    elif lang == "fin":
        body = stretch(body, rng, t, 0.1)
        if rng.random() < 0.3:
            body = _upper_first(body)
    else:
        body = _upper_first(body)
    digits = pick_digit_style(rng, lang)
    body = to_digits(body, digits) if digits != "latin" else body
    if digits != "latin" and any(ch.isdigit() for ch in body):
        t.noise.append(f"{digits}_digits")
    t.text = fill_placeholders(body, t, rng, lang, when, digits)


def add_emoji(t: Text, rng: random.Random, polarity: str) -> None:
    emoji = "".join(rng.choice(EMOJI_BY_POLARITY[polarity]) for _ in range(rng.choice([1, 1, 2, 3])))
    t.text = t.text.rstrip() + rng.choice([" ", "", " "]) + emoji
    t.noise.append("emoji")


def add_sentence(t: Text, sentence: str, lang: str, rng: random.Random) -> None:
    text = t.text.rstrip()
    if not text.endswith(SENTENCE_END):
        text += "." if lang in LATIN_SCRIPT else rng.choice([".", ".", "،", ""])
    t.text = text + rng.choice([" ", " ", "\n"]) + sentence


def add_pii(t: Text, rng: random.Random, lang: str, weights: dict[str, float], n: int = 1) -> None:
    key = lang if lang in PII_TEMPLATES else "fa"
    happy = t.sentiment == "positive"
    # Card/IBAN sentences talk about money taken or refunds: keep them out of praise.
    kinds = [k for k in weights if not (happy and k in COMPLAINT_KINDS)]
    for _ in range(n):
        kind = rng.choices(kinds, [weights[k] for k in kinds])[0]
        value = PII_MAKERS[kind](rng, key if key != "fin" else "en")
        templates = [x for x in PII_TEMPLATES[key][kind] if not (happy and x in COMPLAINT_TEMPLATES)]
        sentence = rng.choice(templates).format(v=value)
        if rng.random() < 0.4 and key != "fa":
            sentence += "."
        add_sentence(t, sentence, lang, rng)
        t.pii.append(kind)
        t.pii_values.append(value)


def lang_info(lang: str) -> tuple[str, str, bool]:
    """Profile key -> (truth lang, lang_detail, finglish)."""
    if lang == "fin":
        return "fa", "fa-latn", True
    if lang == "mix":
        return "mixed", "fa+en", False
    if lang in ("fa", "en"):
        return lang, lang, False
    return "other", lang, False


def plan_polarities(target: str, rng: random.Random) -> list[str]:
    if target == "+":
        return ["+"] * rng.choices([1, 2, 3], [50, 40, 10])[0]
    if target == "-":
        return ["-"] * rng.choices([1, 2, 3], [45, 40, 15])[0]
    if target == "mixed":
        return rng.choice([["+", "-"], ["+", "-"], ["-", "+"], ["+", "-", "-"], ["-", "-", "+"]])
    return ["0"] * rng.choice([1, 1, 2])


def compose(decks: Decks, rng: random.Random, lang: str, target: str, when: date, *,
            pools: dict[str, list[Clause]] | None = None, pool_name: str = "reason",
            first: list[Clause] | None = None, want_tp: str | None = None,
            n: int | None = None, context: bool = True) -> Text:
    """Build one answer in profile ``lang`` with overall sentiment ``target``."""
    pools = pools or REASON
    truth_lang, detail, finglish = lang_info(lang)
    t = Text("", truth_lang, detail, finglish)
    pols = plan_polarities(target, rng)[: n or None]
    clauses: list[Clause] = [c[:4] for c in first or []]
    for c in clauses:
        if c[3] in pols:
            pols.remove(c[3])
    used_stages = {c[1] for c in clauses}
    for i, pol in enumerate(pols):
        src_lang = lang
        if lang == "mix" and (clauses or i > 0) and rng.random() < 0.5:
            src_lang = "fa"
        pool = pools.get(src_lang) or REASON[src_lang]
        deck = f"{pool_name}:{src_lang}" if src_lang in pools else f"reason:{src_lang}"
        tp = want_tp if (i == 0 and not clauses) else None

        def ok(c: tuple, pol: str = pol, tp: str | None = tp) -> bool:
            return c[3] == pol and (tp is None or c[2] == tp) and (c[1] is None or c[1] not in used_stages)

        clause = decks.draw(deck, pool, ok)
        if clause is None and tp is not None:
            clause = decks.draw(deck, pool, lambda c, p=pol: c[3] == p)
        if clause is None:
            clause = decks.draw(f"reason:{src_lang}", REASON[src_lang], lambda c, p=pol: c[3] == p)
        if clause is None and src_lang == "mix":
            clause = decks.draw("reason:fa", REASON["fa"], lambda c, p=pol: c[3] == p)
        if clause is None:
            continue
        clauses.append(clause[:4])
        used_stages.add(clause[1])
    if not clauses:  # e.g. no neutral clause exists in this language: take any
        clauses.append(decks.draw(f"reason:{lang}", REASON[lang], lambda c: True)[:4])  # type: ignore[index]
    if (context and target in ("+", "-") and lang in ("en", "fa") and pool_name == "reason"
            and rng.random() < 0.12):
        ctx = decks.draw(f"neutral:{lang}", REASON[lang], lambda c: c[3] == "0" and c[1] is not None)
        if ctx:
            clauses.insert(0, ctx)
    t.clauses = clauses
    if lang == "mix" and not any(c[0] in MIXED_TEXTS for c in clauses):
        t.lang, t.lang_detail = "fa", "fa"
    body = join_clauses([c[0] for c in clauses], [c[3] for c in clauses], lang, rng)
    improve = pool_name == "improve"
    finish(t, body, rng, lang, when, target="+" if target == "+" else "-" if target in ("-", "mixed") else "0",
           openers=IMPROVE_OPENERS if improve else OPENERS, opener_rate=0.35 if improve else 0.12)
    return t


def emoji_only(rng: random.Random) -> Text:
    text, pol = rng.choice(EMOJI_ONLY)
    return Text(text, "other", "emoji", kind="emoji", clauses=[("", None, None, pol)])


def junk(rng: random.Random) -> Text:
    return Text(rng.choice(JUNK_ANSWERS), "other", "none", kind="junk", sentiment_override="neutral")


def rant(rng: random.Random, which: int, when: date) -> Text:
    body, lang, labels = RANTS[which]
    t = Text("", lang, lang, kind="long", clauses=list(labels), primary_index=0,
             sentiment_override="negative")
    body = body.replace("_", ZWNJ)
    digits = "fa" if lang == "fa" else "latin"
    t.text = fill_placeholders(body, t, rng, lang, when, digits)
    return t


# =============================================================================================
# survey_export.csv
# =============================================================================================
SURVEY_CHANNELS = (["website", "mobile_app", "call_center", "store", "email", "chat", "social"],
                   [22, 25, 15, 10, 8, 12, 8])
CHANNEL_TOUCHPOINT = {"website": "website", "mobile_app": "mobile_app", "call_center": "call_center",
                      "store": "store", "email": "email_sms", "chat": "chat", "social": "social_media"}
TIERS = (["new", "regular", "gold"], [30, 50, 20])
SURVEY_PROFILES = (["fa", "en", "fin", "mix", "other", "emoji"], [44, 35.5, 8, 7, 3, 2.5])
# A payment-gateway outage: complaints about the bank gateway spike in these days.
GATEWAY_OUTAGE = (date(2026, 9, 14), date(2026, 9, 18))
PERIOD = (datetime(2026, 7, 1, 0, 0), datetime(2026, 10, 31, 23, 59))
SKIPPED_SHARE = 0.06


@dataclass
class SurveyRow:
    response_id: str
    submitted_at: datetime
    channel: str
    tier: str
    score: int
    q1: Text | None
    q2: Text | None


def random_times(rng: random.Random, n: int, hours: Sequence[float]) -> list[datetime]:
    """``n`` sorted minute-resolution timestamps in PERIOD, hour of day weighted by ``hours``."""
    days = (PERIOD[1].date() - PERIOD[0].date()).days + 1
    out = []
    for _ in range(n):
        day = PERIOD[0] + timedelta(days=rng.randrange(days))
        hour = rng.choices(range(24), hours)[0]
        out.append(day.replace(hour=hour, minute=rng.randrange(60)))
    return sorted(out)


DAY_HOURS = [1, 1, 0.5, 0.3, 0.3, 0.5, 1, 2, 4, 6, 7, 7, 6, 6, 6, 6, 6, 6, 7, 8, 9, 9, 7, 4]


def rotation(rng: random.Random, names: Sequence[str]) -> Iterator[str]:
    """Endless round-robin over ``names`` in a shuffled order (every language shows up)."""
    order = list(names)
    rng.shuffle(order)
    return itertools.cycle(order)


def quota(rng: random.Random, names: Sequence[str], weights: Sequence[float], n: int) -> list[str]:
    """Exactly proportional assignment of ``names`` to ``n`` slots, shuffled."""
    counts = [int(w / sum(weights) * n) for w in weights]
    for i in sorted(range(len(names)), key=lambda i: -weights[i])[: n - sum(counts)]:
        counts[i] += 1
    out = [name for name, c in zip(names, counts, strict=True) for _ in range(c)]
    rng.shuffle(out)
    return out


def nps_score(rng: random.Random, tier: str, channel: str) -> int:
    weights = [5, 3, 4, 4, 5, 7, 8, 13, 14, 16, 21]
    if tier == "gold":
        weights = [w * (1.6 if s >= 9 else 1) for s, w in enumerate(weights)]
    if channel in ("call_center", "social"):
        weights = [w * (1.5 if s <= 6 else 1) for s, w in enumerate(weights)]
    return rng.choices(range(11), weights)[0]


def target_for_score(score: int, rng: random.Random) -> str:
    if score <= 4:
        return rng.choices(["-", "mixed", "+"], [85, 12, 3])[0]
    if score <= 6:
        return rng.choices(["-", "mixed", "0", "+"], [55, 35, 7, 3])[0]
    if score <= 8:
        return rng.choices(["mixed", "+", "0", "-"], [40, 35, 15, 10])[0]
    return rng.choices(["+", "mixed", "0", "-"], [80, 13, 5, 2])[0]


def emoji_for(rng: random.Random, target: str) -> Text:
    pol = {"mixed": "0"}.get(target, target)
    options = [e for e in EMOJI_ONLY if e[1] == pol] or EMOJI_ONLY
    text, pol = rng.choice(options)
    return Text(text, "other", "emoji", kind="emoji", clauses=[("", None, None, pol)])


def decorate(t: Text, rng: random.Random, lang: str, file: str, emoji_rate: float, pii_rate: float) -> Text:
    if lang not in OTHER_LANGS and rng.random() < pii_rate:
        add_pii(t, rng, lang, PII_WEIGHTS[file], n=rng.choice([1, 1, 1, 2]))
    if rng.random() < emoji_rate:
        pol = {"positive": "+", "negative": "-"}.get(t.sentiment, "0")
        add_emoji(t, rng, pol)
    return t


def survey_q1(decks: Decks, rng: random.Random, profile: str, score: int, channel: str,
              ts: datetime) -> Text | None:
    if rng.random() < 0.02:
        return junk(rng)
    target = target_for_score(score, rng)
    if profile == "emoji":
        return emoji_for(rng, target)
    first = None
    want_tp = CHANNEL_TOUCHPOINT[channel] if rng.random() < 0.4 else None
    outage = GATEWAY_OUTAGE[0] <= ts.date() <= GATEWAY_OUTAGE[1]
    if outage and target in ("-", "mixed") and profile in ("en", "fa", "fin", "mix") and rng.random() < 0.7:
        pool = REASON[profile]
        first = [decks.draw(f"reason:{profile}", pool, lambda c: c[3] == "-" and c[2] == "payment_gateway")]
        want_tp = None
    t = compose(decks, rng, profile, target, ts.date(), first=first, want_tp=want_tp)
    return decorate(t, rng, profile, "survey", 0.11, 0.11)


def survey_q2(decks: Decks, rng: random.Random, profile: str, score: int, ts: datetime) -> Text | None:
    if rng.random() < 0.02:
        return junk(rng)
    if profile == "emoji":
        return emoji_for(rng, target_for_score(score, rng)) if rng.random() < 0.4 else None
    when = ts.date()
    if profile in OTHER_LANGS:
        if rng.random() < 0.5:
            return None
        return compose(decks, rng, profile, target_for_score(score, rng), when, n=1)
    if score >= 9 and rng.random() < 0.4:
        t = compose(decks, rng, profile, rng.choice(["+", "+", "0"]), when, pools=NOTHING,
                    pool_name="nothing", n=1)
    elif rng.random() < 0.12:
        t = compose(decks, rng, profile, "-", when, n=1, context=False)
    else:
        t = compose(decks, rng, profile, rng.choice(["-", "0"]), when, pools=IMPROVE,
                    pool_name="improve", n=rng.choice([1, 1, 1, 2]))
    return decorate(t, rng, profile, "survey", 0.08, 0.05)


def copy_text(t: Text, duplicate_of: str) -> Text:
    return Text(**{**t.__dict__, "duplicate_of": duplicate_of,
                   **{k: list(v) for k, v in t.__dict__.items() if isinstance(v, list)}})


def gen_survey(decks: Decks, rng: random.Random) -> list[SurveyRow]:
    times = random_times(rng, N_SURVEY, DAY_HOURS)
    rant_slots = sorted(rng.sample(range(40, N_SURVEY - 10), len(RANTS)))
    profiles = quota(rng, *SURVEY_PROFILES, N_SURVEY)
    others = rotation(rng, OTHER_LANGS)
    # Skipped questions: an exact share of the cells (emoji-only and other-language respondents
    # also skip q2 now and then, which adds about one point).
    cells = [(i, q) for i in range(N_SURVEY) for q in ("q1", "q2") if not (i in rant_slots and q == "q1")]
    skipped = set(rng.sample(cells, round(SKIPPED_SHARE * 2 * N_SURVEY)))
    rows = []
    for i, ts in enumerate(times):
        channel = rng.choices(*SURVEY_CHANNELS)[0]
        tier = rng.choices(*TIERS)[0]
        score = nps_score(rng, tier, channel)
        profile = profiles[i]
        if profile == "other":
            profile = next(others)
        if i in rant_slots:
            which = rant_slots.index(i)
            profile, score = RANTS[which][1], rng.randint(0, 2)
            q1: Text | None = rant(rng, which, ts.date())
        else:
            q1 = None if (i, "q1") in skipped else decks.unique(survey_q1, decks, rng, profile, score, channel, ts)
        q2 = None if (i, "q2") in skipped else decks.unique(survey_q2, decks, rng, profile, score, ts)
        if q1 and q2 and profile in OTHER_LANGS and q1.clauses[:1] == q2.clauses[:1]:
            q2 = None  # tiny pools: don't let the second answer repeat the first
        rows.append(SurveyRow(f"R-{10001 + i}", ts, channel, tier, score, q1, q2))
    # People sometimes paste the same text into both questions.
    pasted = [r for r in rows if r.q1 and r.q1.kind == "text" and r.q1.sentiment == "negative"]
    for row in rng.sample(pasted, 2):
        assert row.q1 is not None
        row.q2 = copy_text(row.q1, f"survey_export.csv:{row.response_id}:q1_reason")
    return rows


# =============================================================================================
# app_reviews.jsonl
# =============================================================================================
STORES = (["google_play", "app_store", "cafebazaar", "myket"], [35, 20, 30, 15])
STORE_PROFILES = {
    "google_play": [35, 43, 10, 8, 2, 2],
    "app_store": [28, 60, 3, 4, 3, 2],
    "cafebazaar": [72, 10, 8, 8, 0, 2],
    "myket": [72, 10, 8, 8, 0, 2],
}
PROFILE_NAMES = ["fa", "en", "fin", "mix", "other", "emoji"]
STORE_PREFIX = {"google_play": "gp", "app_store": "as", "cafebazaar": "cb", "myket": "mk"}
VERSIONS = [
    ("5.9.2", date(2026, 6, 10)), ("5.10.0", date(2026, 7, 8)), ("5.10.3", date(2026, 7, 22)),
    ("5.11.0", date(2026, 8, 5)), ("5.12.0", date(2026, 8, 20)), ("5.12.1", date(2026, 9, 2)),
    ("5.13.0", date(2026, 9, 24)), ("5.13.2", date(2026, 10, 12)),
]
CRASH_VERSION, FIX_VERSION = "5.12.0", "5.12.1"
RATING = {
    "positive": ([5, 4, 3], [70, 27, 3]), "negative": ([1, 2, 3], [65, 25, 10]),
    "mixed": ([2, 3, 4], [25, 45, 30]), "neutral": ([3, 4, 2], [50, 30, 20]),
}


@dataclass
class Review:
    review_id: str
    day: date
    store: str
    version: str
    rating: int
    text: Text


def app_version(rng: random.Random, day: date) -> str:
    released = [v for v, d in VERSIONS if d <= day]
    if len(released) > 1 and rng.random() < 0.2:
        return released[-2]
    return released[-1]


def review_text(decks: Decks, rng: random.Random, profile: str, version: str, day: date) -> Text:
    if version == CRASH_VERSION:
        target = rng.choices(["-", "mixed", "+", "0"], [70, 15, 10, 5])[0]
    else:
        target = rng.choices(["+", "-", "mixed", "0"], [45, 30, 17, 8])[0]
    if profile == "emoji":
        return emoji_for(rng, target)
    first = None
    if profile in ("en", "fa") and target != "0":
        pol = "+" if target == "+" else "-" if target == "-" else rng.choice("+-")
        if version == CRASH_VERSION and pol == "-" and rng.random() < 0.75:
            first = [decks.draw(f"crash:{profile}", APP_CRASH[profile], lambda c: True)]
        elif version == FIX_VERSION and pol == "+" and rng.random() < 0.5:
            first = [decks.draw(f"fixed:{profile}", APP_FIXED[profile], lambda c: True)]
        elif rng.random() < 0.55:
            first = [decks.draw(f"app:{profile}", APP[profile], lambda c, p=pol: c[3] == p)]
    t = compose(decks, rng, profile, target, day, first=first)
    return decorate(t, rng, profile, "reviews", 0.14, 0.07)


def gen_reviews(decks: Decks, rng: random.Random) -> list[Review]:
    days = [t.date() for t in random_times(rng, N_REVIEWS - 1, DAY_HOURS)]
    others = rotation(rng, OTHER_LANGS)
    reviews = []
    for day in days:
        store = rng.choices(*STORES)[0]
        profile = rng.choices(PROFILE_NAMES, STORE_PROFILES[store])[0]
        if profile == "other":
            profile = next(others)
        version = app_version(rng, day)
        text = decks.unique(review_text, decks, rng, profile, version, day)
        rating = rng.choices(*RATING[text.sentiment])[0]
        if rng.random() < 0.04:
            rating = rng.randint(1, 5)  # mis-taps happen
        review_id = f"{STORE_PREFIX[store]}-{rng.getrandbits(40):010x}"
        reviews.append(Review(review_id, day, store, version, rating, text))
    # The same review posted on both Iranian stores.
    source = rng.choice([r for r in reviews if r.store == "cafebazaar" and r.text.kind == "text"])
    dup = Review(f"mk-{rng.getrandbits(40):010x}", source.day + timedelta(days=1), "myket",
                 source.version, source.rating, copy_text(source.text, f"app_reviews.jsonl:{source.review_id}:review"))
    reviews.append(dup)
    reviews.sort(key=lambda r: (r.day, r.review_id))
    return reviews


# =============================================================================================
# support_tickets.xlsx
# =============================================================================================
TICKET_CHANNELS = (["call_center", "chat", "email", "social"], [30, 30, 25, 15])
TICKET_PROFILES = (["fa", "en", "fin", "mix", "other"], [48, 35, 8, 7, 2])
# Extra reference numbers a customer adds, by ticket category (all non-PII).
DETAILS = {
    "en": {"order": ["Order number: {order}", "Order {order}"], "track": ["Tracking code: {track}"],
           "paid": ["Paid {price} on {date}", "Amount: {price}"]},
    "fa": {"order": ["کد سفارش: {order}", "شماره سفارش {order}"], "track": ["کد رهگیری: {track}"],
           "paid": ["مبلغ {price} در تاریخ {date}", "مبلغ: {price}"]},
    "fin": {"order": ["code sefaresh {order}"], "track": ["code rahgiri {track}"], "paid": ["mablagh {price}"]},
}
DETAILS_FOR_CATEGORY = {
    "delivery": ["order", "track"], "order": ["order"], "payment": ["order", "paid"],
    "refund": ["order", "paid"], "returns": ["order", "track"], "product": ["order"],
    "warranty": ["order"],
}
CATEGORY_CONFUSIONS = {"refund": "returns", "returns": "refund", "delivery": "order", "order": "delivery",
                       "product": "warranty", "warranty": "product", "payment": "order", "account": "app",
                       "app": "account", "other": "delivery"}


@dataclass
class Ticket:
    created_at: datetime
    channel: str
    category: str
    text: Text
    csat: int | None
    ces: int | None
    ticket_id: str = ""


def category_for(clause: Clause) -> str:
    text, stage, tp, _ = clause
    lowered = text.lower()
    if tp in ("payment_gateway", "checkout"):
        return "payment"
    if stage == "returns":
        return "returns" if tp in ("returns_portal", "courier", "store") else "refund"
    if stage == "delivery":
        return "delivery"
    if stage in ("usage", "evaluation"):
        return "product"
    if stage == "support" and any(w in lowered for w in ("warrant", "گارانتی", "garanti")):
        return "warranty"
    if stage == "loyalty" or tp == "email_sms":
        return "account"
    if tp in ("mobile_app", "website"):
        return "app"
    return "other"


def end_sentence(text: str, lang: str, rng: random.Random) -> str:
    if text.endswith(SENTENCE_END) or not text:
        return text
    return text + ("." if lang in LATIN_SCRIPT or rng.random() < 0.6 else "")


def compose_ticket(decks: Decks, rng: random.Random, lang: str, channel: str,
                   when: date) -> tuple[Text, str, bool]:
    """Return (text, agent-picked category, repeated-contact flag)."""
    if lang in OTHER_LANGS:
        t = compose(decks, rng, lang, "-", when, n=2, context=False)
        main = t.primary()
        return t, category_for(main) if main else "other", False
    truth_lang, detail, finglish = lang_info(lang)
    key = "fa" if lang == "mix" else lang
    t = Text("", truth_lang, detail, finglish)
    if channel == "call_center" and lang in AGENT_NOTES and rng.random() < 0.3:
        note = decks.draw(f"note:{lang}", AGENT_NOTES[lang], lambda c: True)
        assert note is not None
        t.kind, t.clauses, t.primary_index = "agent_note", [note[:4]], 0
        finish(t, note[0] + ".", rng, lang, when, target=note[3], decorate=False)
        return t, note[4], "بار سوم" in note[0] or "4th call" in note[0]
    roll = rng.random()
    pol = "0" if roll < 0.14 else "+" if roll < 0.19 else "-"
    if pol == "-" and rng.random() < 0.45:
        reason = decks.draw(f"reason:{lang}", REASON[lang], lambda c: c[3] == "-" and c[1] is not None)
        assert reason is not None
        main, category = reason, category_for(reason)
    else:
        picked = decks.draw(f"ticket:{lang}", TICKET[lang], lambda c, p=pol: c[3] == p)
        if picked is None:  # small pools (Finglish, mixed) lack some polarities
            picked = decks.draw(f"reason:{lang}", REASON[lang], lambda c, p=pol: c[3] == p and c[1] is not None)
            assert picked is not None
            picked = (*picked, category_for(picked))
        main, category = picked[:4], picked[4]
    effort = pol == "-" and lang in EFFORT and rng.random() < 0.3
    parts: list[str] = []
    if effort:
        e = decks.draw(f"effort:{lang}", EFFORT[lang], lambda c: True)
        assert e is not None
        t.clauses.append(e)
        parts.append(e[0])
    t.clauses.append(main)
    t.primary_index = len(t.clauses) - 1
    parts.append(main[0])
    if pol == "-" and rng.random() < 0.2:
        extra = decks.draw(f"reason:{lang}", REASON[lang], lambda c: c[3] == "-" and c[1] not in (None, main[1]))
        if extra:
            t.clauses.append(extra)
            parts.append(extra[0])
    if "{" not in main[0] and category in DETAILS_FOR_CATEGORY and rng.random() < 0.4:
        parts.append(rng.choice(DETAILS[key][rng.choice(DETAILS_FOR_CATEGORY[category])]))
    if pol != "+" and rng.random() < 0.5:
        parts.append(rng.choice(REQUESTS[key]).replace("_", ZWNJ))
    body = " ".join(end_sentence(p, lang, rng) for p in parts)
    greeting = rng.choice(GREETINGS[key]) if rng.random() < (0.8 if channel == "email" else 0.45) else ""
    if greeting:
        body = greeting + ("\n\n" if channel == "email" else " ") + body
    finish(t, body, rng, lang, when, target=pol, decorate=False)
    if rng.random() < 0.3:
        add_pii(t, rng, lang, ticket_pii_weights(category), n=rng.choice([1, 1, 2]))
    if rng.random() < (0.35 if channel == "email" else 0.1):
        name = rng.choice(CUSTOMER_NAMES[key])
        sep = "\n\n" if channel == "email" else rng.choice([" ", "\n"])
        t.text = t.text.rstrip() + sep + rng.choice(SIGNATURES[key]).format(name=name)
        t.pii.append("person_name")
        t.pii_values.append(name)
    if rng.random() < 0.05:
        add_emoji(t, rng, {"positive": "+", "negative": "-"}.get(t.sentiment, "0"))
    return t, category, effort


def ticket_pii_weights(category: str) -> dict[str, float]:
    weights = dict(PII_WEIGHTS["tickets"])
    if category in ("refund", "payment", "returns"):
        weights["card"] *= 2
        weights["iban"] *= 2
    if category in ("warranty", "account"):
        weights["national_id"] *= 2.5
    return weights


def satisfaction(rng: random.Random, sentiment: str, category: str, effort: bool) -> tuple[int | None, int | None]:
    """CSAT 1-5 and CES 1-7 (high = hard) given after the ticket was handled."""
    if sentiment == "positive":
        csat, ces = rng.choice([5, 5, 5, 4]), rng.choice([1, 1, 2, 2, 3])
    elif sentiment == "neutral":
        csat, ces = rng.choices([3, 4, 5], [2, 4, 5])[0], rng.choices([1, 2, 3, 4], [3, 4, 2, 1])[0]
    else:
        csat, ces = rng.choices([1, 2, 3, 4, 5], [24, 22, 20, 19, 15])[0], rng.randint(2, 6)
    if effort:
        csat, ces = min(csat, rng.randint(1, 3)), rng.choice([5, 6, 7, 7])
    if category in ("refund", "returns") and sentiment != "positive":
        csat = max(1, csat - 1)
    return (None if rng.random() < 0.05 else csat), (None if rng.random() < 0.05 else ces)


def gen_tickets(decks: Decks, rng: random.Random) -> list[Ticket]:
    n_duplicates = 3
    times = random_times(rng, N_TICKETS - n_duplicates, DAY_HOURS)
    profiles = quota(rng, *TICKET_PROFILES, len(times))
    others = rotation(rng, ["ar", "fr", "tr"])
    tickets = []
    for ts, profile in zip(times, profiles, strict=True):
        channel = rng.choices(*TICKET_CHANNELS)[0]
        if profile == "other":
            profile = next(others)
        text, category, effort = decks.unique(compose_ticket, decks, rng, profile, channel, ts.date())
        if rng.random() < 0.06:
            category = CATEGORY_CONFUSIONS[category]
        csat, ces = satisfaction(rng, text.sentiment, category, effort)
        tickets.append(Ticket(ts, channel, category, text, csat, ces))
    # Customers re-open the same complaint by pasting it again a few hours later.
    pairs = []
    for source in rng.sample([t for t in tickets if t.text.kind == "text" and t.text.sentiment == "negative"],
                             n_duplicates):
        later = source.created_at + timedelta(hours=rng.randint(2, 30), minutes=rng.randrange(60))
        dup = Ticket(later, rng.choice(TICKET_CHANNELS[0]), source.category, copy_text(source.text, ""),
                     rng.choice([1, 2]), rng.choice([6, 7]))
        tickets.append(dup)
        pairs.append((source, dup))
    tickets.sort(key=lambda t: t.created_at)
    next_id = 26_000
    for t in tickets:
        next_id += rng.randint(1, 9)
        t.ticket_id = f"TCK-{next_id:06d}"
    for source, dup in pairs:
        dup.text.duplicate_of = f"support_tickets.xlsx:{source.ticket_id}:description"
    return tickets


# =============================================================================================
# Writers
# =============================================================================================
def cell(t: Text | None) -> str:
    return t.text if t else ""


def write_survey(rows: list[SurveyRow], path: Path) -> list[dict[str, object]]:
    truth = []
    with path.open("w", encoding="utf-8-sig", newline="") as f:
        writer = csv.writer(f, lineterminator="\r\n")
        writer.writerow(["response_id", "submitted_at", "channel", "customer_tier", "nps_score",
                         "q1_reason", "q2_improve"])
        for r in rows:
            writer.writerow([r.response_id, r.submitted_at.strftime("%Y-%m-%d %H:%M"), r.channel, r.tier,
                             r.score, cell(r.q1), cell(r.q2)])
            for question, t in (("q1_reason", r.q1), ("q2_improve", r.q2)):
                if t is not None:
                    truth.append(t.truth(path.name, r.response_id, question))
    return truth


def write_reviews(reviews: list[Review], path: Path) -> list[dict[str, object]]:
    truth = []
    with path.open("w", encoding="utf-8", newline="\n") as f:
        for r in reviews:
            record = {"review_id": r.review_id, "date": r.day.isoformat(), "store": r.store,
                      "app_version": r.version, "rating": r.rating, "review": r.text.text}
            f.write(json.dumps(record, ensure_ascii=False) + "\n")
            truth.append(r.text.truth(path.name, r.review_id, "review"))
    return truth


def write_tickets(tickets: list[Ticket], path: Path) -> list[dict[str, object]]:
    wb = Workbook()
    ws = wb.active
    ws.title = "tickets"
    header = ["ticket_id", "created_at", "channel", "category", "description", "csat_score", "ces_score"]
    ws.append(header)
    for c in ws[1]:
        c.font = Font(bold=True)
    truth = []
    for t in tickets:
        ws.append([t.ticket_id, t.created_at, t.channel, t.category, t.text.text, t.csat, t.ces])
        truth.append(t.text.truth(path.name, t.ticket_id, "description"))
    for row in ws.iter_rows(min_row=2):
        row[1].number_format = "yyyy-mm-dd hh:mm"
        row[4].alignment = Alignment(wrap_text=True, vertical="top")
    for letter, width in zip("ABCDEFG", [13, 17, 12, 11, 80, 11, 10], strict=True):
        ws.column_dimensions[letter].width = width
    ws.freeze_panes = "A2"
    wb.properties.creator = "voc sample data generator"
    wb.properties.created = FIXED_TIMESTAMP
    wb.properties.modified = FIXED_TIMESTAMP
    # openpyxl's save() stamps "modified" with now() and the zip entries with the wall clock;
    # write through ExcelWriter and re-pack with fixed entry times so the bytes are stable.
    raw = io.BytesIO()
    with zipfile.ZipFile(raw, "w", zipfile.ZIP_DEFLATED) as archive:
        ExcelWriter(wb, archive).write_data()
    with zipfile.ZipFile(raw) as src, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            fixed = zipfile.ZipInfo(info.filename, date_time=FIXED_TIMESTAMP.timetuple()[:6])
            fixed.compress_type = zipfile.ZIP_DEFLATED
            fixed.external_attr = 0o644 << 16
            dst.writestr(fixed, src.read(info.filename))
    return truth


def check_pii(truth: list[dict[str, object]]) -> None:
    validators = {"card": luhn_valid, "iban": iban_valid, "national_id": national_id_valid}
    for row in truth:
        for kind, value in zip(row["pii"], row["pii_values"], strict=True):  # type: ignore[call-overload]
            if kind in validators:
                assert validators[kind](value), (kind, value)


def main() -> None:
    decks = Decks(random.Random(SEED))
    survey = gen_survey(decks, random.Random(SEED + 1))
    reviews = gen_reviews(decks, random.Random(SEED + 2))
    tickets = gen_tickets(decks, random.Random(SEED + 3))
    truth = (write_survey(survey, HERE / "survey_export.csv")
             + write_reviews(reviews, HERE / "app_reviews.jsonl")
             + write_tickets(tickets, HERE / "support_tickets.xlsx"))
    check_pii(truth)
    TRUTH_PATH.parent.mkdir(parents=True, exist_ok=True)
    with TRUTH_PATH.open("w", encoding="utf-8", newline="\n") as f:
        for row in truth:
            f.write(json.dumps(row, ensure_ascii=False) + "\n")
    print(f"survey_export.csv: {len(survey)} rows; app_reviews.jsonl: {len(reviews)} lines; "
          f"support_tickets.xlsx: {len(tickets)} rows; truth: {len(truth)} answers")


if __name__ == "__main__":
    main()
