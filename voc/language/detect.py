"""Rule-based language identification for one feedback record.

Customer feedback in this project is Persian (in Arabic script, or "Finglish": Persian typed
in Latin letters), English, a mix of the two, or occasionally something else (Arabic,
French, Turkish, ...). Records are short and noisy, so general-purpose character n-gram
models mislabel them often (Finglish looks like nothing they were trained on, and a brand
name flips a Persian sentence to English). This module instead combines:

* the writing system of each word (Arabic script, Latin, another script);
* for Arabic script, Persian-only letters (پ چ ژ گ, Persian ی/ک, ZWNJ) against Arabic-only
  letters (ة ى إ أ), Urdu letters and small Persian and Arabic function-word lists;
* for Latin script, compact English, Finglish and "other Latin language" lexicons plus a
  few spelling cues for words the lexicons do not know.

Decision rules (thresholds are module constants):

1. No letters outside URLs, e-mails, @handles, Latin hashtags and placeholders ->
   ``other`` / script ``none`` / ``has_letters=False``.
2. An Arabic-script block is Persian unless its Arabic evidence (function words such as
   في/هذا/كان, letters ة/ى/إ/أ, Urdu letters) beats its Persian evidence *and* reaches
   ``MIN_ARABIC_EVIDENCE``; with no evidence either way it is Persian.
3. ``mixed`` when the Persian part (every word of a Persian Arabic-script block plus the
   Finglish votes) and the English part (English votes, leaving out tech loanwords such as
   "app", "update", "login" that Persian speakers use constantly) are each at least
   ``MIXED_MIN_WORDS`` (2) and each at least ``MIXED_MIN_SHARE`` (25%) of the identifiable
   words (Arabic-script and other-script words plus the Latin words that voted; brand names
   and other unrecognised Latin words are left out).
4. Otherwise the language with the most words wins. Unrecognised Latin words are shared out
   in proportion to the Latin votes, and ignored when no Latin word voted, so
   "اپ snapp خیلی کنده" stays Persian. Ties go to Persian when it has Arabic-script words,
   else to English.
5. A Latin block is Finglish (``lang="fa"``, ``finglish=True``) when its Finglish votes
   outnumber both its English and its other-language votes. A Latin-only text with no
   votes at all (a brand name, "xyz") is English with confidence 0.25.

``confidence`` is a heuristic ordering score in 0..1 (the winning language's share of the
words times a factor that grows with the amount of evidence), not a calibrated probability.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Final, Literal

Lang = Literal["fa", "en", "mixed", "other"]
Script = Literal["arabic", "latin", "mixed", "none"]

# Both languages must each contribute this many words and this share of the identifiable
# words before a record is called mixed; one brand name or a single "merci" never does.
MIXED_MIN_WORDS: Final = 2
MIXED_MIN_SHARE: Final = 0.25
# Arabic-script text is only called non-Persian with at least this much evidence (one
# Arabic function word or Arabic-only letter is worth 3), so a couple of ال- words
# ("فوق العاده") cannot flip a Persian record.
MIN_ARABIC_EVIDENCE: Final = 2.0
# The minority script must reach this share of the letters (and two words) for "mixed".
SCRIPT_MIXED_MIN_SHARE: Final = 0.25


@dataclass(frozen=True)
class LanguageGuess:
    """Language of one record.

    Attributes:
        lang: ``fa`` (Persian, either script), ``en``, ``mixed`` (Persian and English both
            substantial) or ``other`` (another language, or no letters at all).
        script: dominant writing system of the letters; ``none`` when there are no Arabic
            or Latin letters (also for text written only in another script).
        finglish: the Persian part is written in Latin letters.
        confidence: heuristic score in 0..1; higher means more evidence for ``lang``.
        has_letters: False for text made only of emoji, digits, punctuation, URLs, etc.
    """

    lang: Lang
    script: Script
    finglish: bool
    confidence: float
    has_letters: bool


# --------------------------------------------------------------------------------------
# Character classes, tokenisers and noise
# --------------------------------------------------------------------------------------

# Arabic-script letters only: digits (U+0660-9, U+06F0-9), punctuation (، ؛ ؟ ٪ ۔), tatweel
# and harakat are excluded so that "۱۲۳" or "؟؟" never count as Persian words.
_AR_LETTER = (
    "\u0621-\u063a\u0641-\u064a\u066e\u066f\u0671-\u06d3\u06d5\u06ee\u06ef\u06fa-\u06fc"
    "\u06ff\u0750-\u077f\u08a0-\u08c9\ufb50-\ufd3d\ufd50-\ufdfb\ufe70-\ufefc"
)
# ZWNJ, tatweel and harakat may sit inside a word; the ZWNJ keeps "می‌خوام" one token.
_AR_WORD_RE = re.compile(f"[{_AR_LETTER}][{_AR_LETTER}\u064b-\u065f\u0670\u0640\u200c]*")
# Matched on lower-cased text; U+00F7 (division sign) is carved out of the Latin-1 range.
_LAT = "a-z\u00df-\u00f6\u00f8-\u024f"
# Latin runs are matched together with digits so that codes and model numbers glued to
# letters ("SB98XRG1", "iphone13", "2nd") can be dropped whole afterwards; a pattern that
# excluded them inside the regex needs look-arounds that make the scan several times slower.
_LAT_RUN_RE = re.compile(f"[{_LAT}0-9]++(?:'[{_LAT}0-9]++)*+")
# Words in the other scripts likely in customer text: Greek, Cyrillic, Armenian, Hebrew,
# Indic, Thai, Georgian, kana, CJK, Hangul. (A positive class scans much faster than
# "any letter that is not Arabic or Latin".)
_OTHER_WORD_RE = re.compile(
    "[\u0370-\u03ff\u0400-\u052f\u0531-\u058f\u05d0-\u05ea\u0900-\u0dff\u0e01-\u0e5b"
    "\u10a0-\u10ff\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af]+"
)
# Things that contain letters but are not language: URLs, e-mail addresses, @handles, Latin
# hashtags (campaign and brand tags; Persian ones are often real phrases), anonymisation
# placeholders ([PHONE], <EMAIL>, {name}) and bare domains (snappfood.ir). Each pattern only
# runs when a cheap substring test says it can match.
_URL_RE = re.compile(r"(?:https?://|www\.)\S+", re.IGNORECASE)
_AT_RE = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+|@\w+")
_HASHTAG_RE = re.compile(r"#[A-Za-z0-9_]+")
_PLACEHOLDER_RE = re.compile(r"\[[A-Z][A-Z0-9_ ]*\]|<[A-Z][A-Z0-9_]*>|\{\{?\s*\w+\s*\}?\}")
_TLD = r"\.(?:com|ir|net|org|io|co|app|me|info|biz|uk|de)\b"
_DOMAIN_HINT_RE = re.compile(_TLD, re.IGNORECASE)
_DOMAIN_RE = re.compile(rf"[\w-]+(?:\.[\w-]+)*{_TLD}(?:/\S*)?", re.IGNORECASE)

# Persian-only letters: پ چ ژ گ and ۀ cannot be typed on an Arabic keyboard layout.
_FA_LETTER_RE = re.compile("[پچژگۀ]")
# Any letter that is evidence against Persian; a quick search before counting them.
_NON_FA_LETTER_RE = re.compile("[ةىإأٹڈڑںۓڵڕێۆټډړږښځڅۍېەہۃھے]")
# Arabic-only letters ة and إ are practically absent from Persian.
_AR_ONLY_LETTER_RE = re.compile("[ةإ]")
# Weak non-Persian letters, counted at a lower weight: أ is Arabic but Persian writes it in
# تأخیر and مأمور; ى is Arabic alef maksura but some Persian keyboards type it for final ی
# ("خیلى"); ە ہ ھ ے ۃ are Kurdish/Urdu letters that Persian writers on those keyboards,
# or for decoration, use for ه and ی ("کە", "کنندہ", "خیلے").
_WEAK_NON_FA_LETTER_RE = re.compile("[أىەہۃھے]")
# Urdu, Kurdish, Pashto and Sindhi letters that never stand in for a Persian letter.
_NON_FA_AR_LETTER_RE = re.compile("[ٹڈڑںۓڵڕێۆټډړږښځڅۍې]")
_ZWNJ = "\u200c"

# Elongated words ("goooood", "kheiliiii") are looked up again with letter runs squeezed.
# Only runs of three or more count as elongation: "hell" squeezed to "hel" would match the
# squeezed Dutch "heel".
_ELONGATED_RE = re.compile(r"(.)\1\1")
_REPEAT_RE = re.compile(r"(.)\1+")
# English inflections stripped from unknown words before a second lexicon look-up.
_EN_SUFFIXES = ("'s", "ing", "ers", "es", "ed", "er", "ly", "s", "d")


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


# --------------------------------------------------------------------------------------
# Arabic-script lexicons
# --------------------------------------------------------------------------------------

# Frequent Persian function and feedback words absent from Arabic. Spelled with Persian
# ی/ک; the Arabic-keyboard spellings (ي/ك) are generated below. Words Arabic shares (من،
# هم، بعد، قبل، مثل، فقط، الان، اصلا، عالی، تحویل، جنس ...) are deliberately missing.
_FA_BASE = _words(
    """
    است هست هستش نیست نیستش بود بودم بودن بودند بوده شد شده شدم شدن نشد نشده میشه
    نمیشه بشه نشه کرد کردم کردن کردند کرده کردید کنید کنم کنه کنن کنند کنین میکنه
    نمیکنه میکنم میکنید داره دارم داریم دارید ندارم نداره نداشت داشت داشتم دادم داد
    دادن دادید گرفتم گرفت رسید نرسید رسیده نرسیده باشد باشه میباشد باید نباید تونستم
    را رو این اون آن یه یک خیلی نه که برای از با تو توی ولی چرا چون دیگه دیگر
    خوب خوبه خوبی بد بده بدی عالیه ممنون ممنونم مرسی لطفا لطفاً هیچ همه همین
    همون اگه اگر شما ها های هایی می نمی بیشتر کمتر کمی زیاد چی چیه کی کجا چطور
    چه چند البته واقعا هنوز باز دوباره بازم خیلیی تشکر سپاس
    سفارش سفارشم غذا پیک دیر زود قیمت کیفیت برنامه پشتیبانی ارسالش کالا
    تا بعدش ازش بهش براش اینکه چیزی کسی یکی هر بهتر بهترین بدترین
    افتضاح داغون معمولی ناراضی نبود نمیدونم میخوام میخواستم گفتم گفتن
    العاده فوقالعاده فوق‌العاده العادست العادس العادهه
    """
)
# Arabic function words and a few very common Arabic evaluative words, then Urdu function
# words. Deliberately left out: words shared with Persian (من، ما، به، او، بین، بعد، یعنی،
# والله، بس، جدا، مو، شو، انا as in "انا لله") and Persian words that look Arabic when typed
# with ي/ك (اين، علي، كل، كم); Urdu کا/کے/کو/میں also occur inside Persian names.
_AR_FUNCTION = _words(
    """
    في فى على إلى الى هذا هذه هذي التي الذي الذين كان كانت يكون تكون لقد قد لم لن ليس
    ليست هل ذلك تلك جداً لكن ولكن أو عن مع ثم أنا نحن أنت انت هو هي كيف لماذا
    ماذا متى أين عندي عند لا شكرا شكراً إن أن أي منذ حتى فيه فيها منه منها لها لي
    لك عليه عليها إذا اذا لأن لان سيء سيئ سيئة جيد جيدة كثير شيء شي أفضل افضل يتم تم
    ولا وهو وهي بعض جميع اللي ليش وين كتير
    ہے ہیں سے نہیں تھا تھی تھے بہت یہ وہ ہم آپ
    """
)


def _arabic_keyboard_variants(words: frozenset[str]) -> frozenset[str]:
    """Add the spellings produced by Arabic keyboard layouts (ي for ی, ك for ک, ى final)."""
    out = set(words)
    for word in words:
        arabic = word.replace("ی", "ي").replace("ک", "ك")
        out.update((word.replace("ی", "ي"), word.replace("ک", "ك"), arabic))
        if word.endswith("ی"):
            out.update((word[:-1] + "ى", arabic[:-1] + "ى"))
    return frozenset(out)


_FA_WORDS = _arabic_keyboard_variants(_FA_BASE) - _AR_FUNCTION

# --------------------------------------------------------------------------------------
# Latin-script lexicons
# --------------------------------------------------------------------------------------

# Frequent English function words and customer-feedback vocabulary.
_EN_BASE = _words(
    """
    the a an and or but nor is are was were be been being am have has had having do does
    did done doing not no yes yeah yep nope i me my mine myself you your yours we our us
    they them their he him his she her it its this that these those there here what when
    where why how which who whom whose will would can could should shall may might must to
    of in on at for with from by about as into onto than then so if because just very too
    also only even still again ever never always all any some every each more most much
    many few less least get gets got getting go goes went gone going make makes made
    take took know knew think thought want wanted need needed needs like liked use used
    using work works working worked one two three first last next other another same such
    own out up down off over under after before while until since though although however
    don't doesn't didn't can't cannot won't wouldn't isn't aren't wasn't weren't haven't
    hasn't hadn't shouldn't couldn't i'm i've i'd i'll you're you've it's that's there's
    what's let's we're they're he's she's dont doesnt didnt cant wont isnt wasnt im ive
    oh wow hell dude haha hahaha ugh damn shit fuck fucking bro yay nah yea yup hmm huh
    ooh aww lmfao idk smh fr ngl rn af xd reddit post upvote downvote thread mods sub
    thanks thank please pls plz hello hey ok okay good great poor terrible awful horrible
    excellent amazing awesome love loved hate hated nice best worst fast slow late early
    delivery deliver delivered order ordered orders ordering service services customer
    customers product products quality price prices money refund refunded app account
    payment paid pay card problem problems issue issues time times day days week weeks
    month hour hours minutes waiting wait waited received receive arrived arrive cancel
    cancelled canceled help helpful experience food cold hot fresh driver restaurant store
    shop item items package shipping shipped return returned recommend worth buy bought
    cheap expensive free new well really totally definitely actually never nothing
    something anything everything someone anyone everyone people person staff team
    manager phone call called email answer answered response reply replied fix fixed
    broken wrong right better worse happy unhappy satisfied disappointed disappointing
    frustrated angry annoying useless easy hard difficult simple quick quickly slowly again
    charged charge fee fees discount offer code deal website site online page screen
    button message messages notification notifications feature features option settings
    tried try trying keep kept stop stopped start started open opened close closed show
    shows showing see saw seen look looks looking find found give gave given tell told
    say said ask asked wish hope sorry fine perfect lovely pretty beautiful ugly small
    big large little long short old young high low full empty missing lost wrong correct
    ever yet already soon now today yesterday tomorrow tonight morning night week weekend
    year years way thing things lot lots bit kind sort place home house room table food
    meal taste tasted tastes delicious bland salty sweet portion portions menu chicken
    pizza burger coffee drink drinks water service server waiter waitress friendly rude
    polite clean dirty quiet noisy phone battery charger screen sound camera works
    worked product's company companies bank account transfer transaction balance fee
    atm pin card's top top-up exchange rate rates verify verification identity
    lol lmao omg wtf tbh imo btw gonna wanna gotta kinda ya yeah u ur thx ty hi client
    movie film book story character characters actor acting plot scene music song game
    life world family friend friends guy guys girl man's woman men women kid kids child
    feel feeling feels felt seem seems seemed mean means meant sure maybe probably
    enough almost quite rather anyway instead though through during without within
    against between both either neither whether whatever whenever anybody nobody
    keep keeps add added dark mode error errors crashing loading load loads slow slower
    translation translated overall registered anymore yet twice soggy arrived forgot
    nothing everything nice amazing app's seller sellers delivered packaging box size
    color colour fit fits worked broke broken damaged refund refunds ordered charged
    subscription cancelled unsubscribe login account's contact contacted agent chat live
    cash back pending change cost able extra check declined withdrawal video send play
    files amount virtual news ago ads possible come statement let reason sent different
    read funds search fun videos notes purchase put stars says photos access articles
    information sometimes available transfers far save debit once making group delete
    useful couple watch share level withdraw longer name user taking direct data upload
    reviews photo auto mobile credit line set limit info list activate playing recently
    bring multiple several else process happened unable file details restaurants cool
    view complete pictures deposit stuff options away payments around came transactions
    users stolen takes edit note post automatically second picture latest review date
    especially songs left places business noticed recent trip clear turn changed
    transferred move etc wonderful charges accept sign remove explain system side super
    favorite favourite highly earlier type personal text physical names eat interface
    dinner failed enjoy understand wine end contacts devices ability content article
    coming country foreign checked sending voice function often expect stories
    additional allow device source recognize double main calls word scroll track
    international idea happening later others computer anywhere months past audio easily
    properly frustrating accounts documents real space requested point believe web area
    tool extremely comes whole black countries incorrect everytime connection purchased
    city numbers seeing saying fact huge storage shown abroad machine choose via
    important create profile copy background easier special sucks media white supposed
    current allowed giving click travel accurate daily games finally removed stuck
    downloaded appear applied forever certain suddenly location absolutely unless become
    comments practice remember completed usually program atmosphere exactly steps
    progress reset freeze five previous blocked happens matter half follow waste deleted
    watching alone appears figure due accepted job fantastic dishes hold trouble itself
    visit refresh feed pages provide lunch stay gives editing rating touch constantly
    opinion cause asap address section helps network dish mistake traveling rejected
    block otherwise impossible across solve adding select listen convenient specific
    taken stupid conversation changes ones talk prevent mind salary chance gotten hear
    images original seconds improve force supported running wallet regular disappeared
    lose simply social except example plan comment leave class daughter son husband wife
    typing tasty enter completely verified average inside outside saved literally
    setting require blank restart hide enjoyed improvement indeed variety actual security
    report reach recommended suggest attentive despite run write searching design
    control selection higher types calling prefer neighborhood local moment installed
    reliable interest impressed organized interested entirely strange spend hit finding
    required faster resolve moved checking shopping frequently together perfectly busy
    expected bill appreciate care rest record weird fail posts release language bottom
    win shame decor continue looked future accidentally entered wants single yourself
    you'll value based purchases normal pick related results light head seated sauce
    spicy tracking tired ridiculous press cute dessert dining romantic ambience solution
    active holiday currently assistance allows ways whats turned urgent front limited
    unknown mostly helping zero performance weather wondering case flat
    yes sir madam dear hi hello regards cheers congrats congratulations welcome
    about above across after against along among around because before behind below
    beside besides beyond down during except inside near off onto outside past per
    since through throughout toward towards under underneath unlike upon via within
    it's i'm its itself ourselves themselves himself herself yourselves whoever
    should've would've could've must've ain't y'all shouldnt wouldnt couldnt havent
    hasnt arent werent thats theres whats lets youre theyre
    got gotten become became begin began begun bring brought build built buy catch
    caught choose chose come came cost cut deal dealt draw drew drive drove eat ate fall
    fell feel fight fought fly flew forget forgot forgive freeze froze grow grew hang
    hear heard hide hit hold held hurt keep kept lay lead led learn learnt leave left
    lend lent let lie lose lost meet met pay read ride ring rose run ran say sell sold
    send sent set shake shine shoot shot shut sing sang sit sat sleep slept speak spoke
    spend spent stand stood steal stole stick stuck strike swim swam teach taught tear
    tore throw threw understand understood wake woke wear wore win won write wrote
    written truly sincerely honestly seriously basically literally obviously clearly
    simply exactly certainly apparently unfortunately fortunately hopefully luckily
    person people thing stuff guy kind type sort part side end start middle top bottom
    reason problem question answer idea point fact case example result chance choice
    """
)
# English tech and shopping words that Persian speakers use as loanwords ("app ro update
# kardam", "اپ رو update کردم"). They are half an English vote and never make a Persian
# sentence "mixed".
_LOANWORDS = _words(
    """
    app apps application update updated updates login logout log crash crashes crashed
    bug bugs ok okay support online offline password internet wifi sms link version
    download install server website site game off vpn android ios iphone samsung
    email account code premium gift card"""
)
# Finglish: frequent Persian words in their common Latin spellings (kheili/kheyli/khili,
# khoob/khub, mersi/merci, ...). Words that are also English ("bad", "to", "man", "in",
# "do", "are", "sad" ...) are in _NEUTRAL_LATIN so they cast no vote.
_FI_BASE = _words(
    """
    kheili kheyli khili kheily khayli khaili xeili kheiliii khyli kheli
    khoob khub khob khoobe khube khobe khoobi khubi khubie xub xob khoobam khubam
    kharab kharabe kharab shod xarab kharaab kharabi
    mersi merci mrc mrsi mamnoon mamnun mamnoonam mamnunam mamnon tashakor tashakkor
    salam slm salaam dorood dorud khodafez khodahafez
    bood bud boodam budam boode bude nabood nabud boodan budan
    nist nistam nisti nistan nistesh hast hastam hasti hastim hastid hastin hastesh ast
    dir zood zud zoodtar zudtar dirtar
    ersal ersale ersalesh ersali sefaresh sefareshi sefaresham sefareshe sefareshmo
    poshtibani poshtibaani pasokh pasokhgoo pasokhgu javab javabgoo javabi
    pool pul poolam pulam pulesh poolesh puli pooli
    gheymat gheimat ghimat geymat qeymat gheymatesh gheimatesh gheymata ghimatesh
    gheymate gheimate geroon gerun gheroon ghorun arzoon arzun arzan gerun
    barname barnameh barnamash barnamat barnamatun barnamatoon
    ro ra ke ki chi chie chiye chera chra chon chun chetor chetori chand chanta koja
    kojast kei kay vaghti vagti ye yek yedone yeki hich hichi hichkas
    nemishe mishe nemishod mishod mikham mikhaym mikhay mikhad nemikham nemikhad mikhastam
    shod shode shodam shodim shodid shodan nashod nashode beshe nashe
    kardam kard kardim kardid kardin kardan karde nakardam nakard nakardin nakardid
    mikonam mikone mikonid mikonin mikonan mikonim nemikone nemikonam nemikonid
    nemikonan kon konid konin kone konam bokonid bokonin bokon nakonid nakonin nakon
    vali valy amma ama vali ammaa
    dadam dade dadid dadin dadan nadadam nadadid nadadin nadadan midam midim nemidam
    mide nemide midid nemidid bedid bedin bede bedim
    gereftam gereft gerefte gereftim migiram migire begirid begirin
    miram mire nemire raftam rafte rafti nareft narafte boro berim
    umad oomad omad amad omade umade oomade nayumad nayoomad nayomad nayamad miad nemiad
    miyad nemiyad biad biyad
    resid reside residam naresid nareside mirese nemirese berese
    didam dide mibinam mibine nadidam bebin bebinid bebinin
    goftam gofte goftan goftin goftid migan mige migam nagoftid begid begin begam
    daram dare darim darid darin nadaram nadare nadarim nadarid dashtam dasht dashtim
    tunestam tonestam mitunam mitoonam nemitunam nemitoonam mitunid nemitunid natunestam
    bayad bayd nabayad bezar bezarid befrestid befrestin ferestadam ferestadid mifrestam
    mifrestid nemifrestid
    takhfif takhfifa takhfife kond kand kondi kandi konde kande
    aslan vaghean vaqean vaghan vaqan vaghen haghighatan
    aali ali awli awlii alii aliye alie awlie awliye olaviat mamoli maamooli zaif zaeef
    lotfan lotfn lotf khahesh khaheshan khahshan zahmat bebakhshid bebakhshin bebakhshid
    kasif tamiz sard garm khoshmaze bimaze khosh khoshgel zesht
    behtar behtarin badtar badtarin bozorg kuchik koochik ziad ziyad zyad kami
    bishtar kamtar ajib ajab khastam khaste naraziam narazi razi raziam rahat sakht
    sabr montazer montazeram entezar moshkel moshkele moshkeli moshkelam eshkal eshtebah
    ghalat dorost dorost doros dorst kharid kharidam kharide kharidan kharidim
    foroosh forush forushgah forooshgah pardakht pardakhte pardakhtam variz
    bargasht bargardoon bargardun bargasht enteghad enteghadi
    ghaza ghazaa ghazash ghazaye ghazam peyk paik payk ranande resturan restoran kala
    kalaa jens keyfiat keyfiyat kifiat keifiat kifiyat keyfiyate
    akhe akhar akharesh chetor chie hamash hamishe hamish hame hamin hamun hamoon inke
    inam unam chizi chiz kasi dobare dobaare bazam baz hanuz hanooz hanoz emrooz emruz
    diruz dirooz farda saat daghighe daqiqe rooz ruz ruze rooze hafte mah sal
    ba bi az na bia boro bashe bashid nabashe bashin
    tamas zang zadam zade zadim payam payamak etela ettela etelaat hesab hesabam
    mojoodi mojudi shomare shomaram har harki harchi hichvaght
    cheshmam cheshm tarjome tarjomash namak nadasht moondam mundam moonde munde bastebandi
    shekaste shekast peyda nakard emal taeid anjam sharj hal dafe inghadr enghadr avaz
    taghir vared besham mobarak movafagh movafaghbashid ghashang ghashange jaleb mozakhraf
    khodam khodet khodesh khodetun khodeton khodemun behem behemun behetun behesh azash
    azam azatun barash baram baratun baraye bara vase vasam vasash
    shoma ona unha inha inja unja oonja injoori injuri unjoori kolan kollan tamoom tamum
    khali kharabe nemikone kar kara karesh
    tu tooye tuye toye ruye rooye zir bala paeen payin kenar posht jolo
    sabt sabtnam sabte ramz ramzam ramze jadid ghadimi ghadim akharin avval aval avalin
    hezar toman tomani tomanm
    areh are aare bale baleh kheir nakheir
    estefade estefadeh mikonim dastgah goshi gushi mobail tablighat tabligh
    dastet dastetun dard nakone dadash baba jan joon jun agha aghaa khanom
    heyf hayf vay vaay akh ey ey baba
    dige dg age mage chon pas ham khob khoob ke
    alan alaan albate albatte bad az ghabl
    vaghti hamchin hamchenin shayad hatman vagarna agar
    xeyli xoob xub xarab
    nemidunam nemidoonam nemidonam midunam midoonam midonam nemidunim midunid
    """
)
# Frequent function and feedback words of other Latin-script languages likely to turn up
# (French, German, Spanish, Italian, Portuguese, Dutch, Turkish, Indonesian).
_OT_BASE = _words(
    """
    le la les des du une est et dans pour ne je tu il elle nous vous ils elles ce cette
    ces c'est n'est j'ai qui que quoi avec sur très tres mais où au aux sa ses mon mes
    votre vos notre nos été était avoir être fait bien bon bonne mauvais mauvaise commande
    livraison produit reçu recu toujours jamais rien trop peu moins bonjour depuis
    encore déjà deja aussi leur chez vraiment nul service client qu'il d'un l'application
    der das und ist nicht ich sie wir ein eine einen mit für fur auf sehr gut aber war
    wurde wird noch schon nur auch kein keine zu von bei nach wie hat habe haben sind
    mein meine bitte danke lieferung bestellung paket leider immer nie kann mehr schlecht
    schnell langsam kaputt zurück geld dass oder wenn weil ganz gar dem den des zum zur
    el los las del que y es muy con para una pero está esta este esto lo su sus nos
    gracias hola bueno buena malo mala pedido entrega producto nunca siempre todo nada
    más hace tiene tengo fue era como cuando donde porque también tambien servicio
    llegó llego tarde dinero
    ve bir bu çok cok için icin ile da değil degil ben sen biz siz var yok gibi daha
    mı mu mü güzel guzel kötü kotu teşekkür tesekkur teşekkürler tesekkurler sipariş
    siparis kargo ürün urun hala hâlâ geldi gelmedi hiç hic neden şey sey iyi olarak oldu
    olmadı berbat hemen
    di che non per sono molto grazie ordine prodotto consegna questo questa della delle
    anche ancora perché sempre mai niente tutto
    não nao muito obrigado obrigada com uma você voce ainda também entrega
    foi está estava meu minha isso esse essa ele ela eles dos das pelo pela já só
    bom boa ruim péssimo entregue dias
    het een niet ik van dat zijn met voor ook maar wel nog heel bestelling levering
    dan yang tidak saya ini itu sangat bagus
    veel laat aan kwam goed niet geen naar werd wordt bij heb hebben erg dank jullie
    funktioniert einwandfrei schade toll prima empfehlen bestellt geliefert kunden
    kundenservice leider versand artikel ware
    livré livree arrivée colis remboursement appli vendeur recommande
    pessimo ottimo arrivato rotto chegou atrasado recebi reembolso aplicativo
    """
)
# Known words that belong to two or more of the languages above (any word listed in two
# lexicons is added automatically); they are recognised but cast no vote.
_NEUTRAL_LATIN = _words(
    """
    bad to man in be are do am ham key age dad sad male raft too mi va pas ama por mal
    saat un uno se ne ma en de no me die so also an on plus son o e u y
    sale bar dar star mine park mo begin dare vase hala war hat con era ben biz
    per van met jan
    """
)
# Latin vote classes, indexes into the vote list.
_EN: Final = 0
_LOAN: Final = 1
_FI: Final = 2
_OT: Final = 3
_NONE: Final = 4


def _build_latin_lexicon() -> dict[str, int]:
    """Map every known Latin word to its vote class; words in several lexicons go neutral."""
    en = _EN_BASE | _LOANWORDS
    shared = (en & _FI_BASE) | (en & _OT_BASE) | (_FI_BASE & _OT_BASE) | _NEUTRAL_LATIN
    lexicon = dict.fromkeys(en - _LOANWORDS, _EN)
    lexicon.update(dict.fromkeys(_LOANWORDS, _LOAN))
    lexicon.update(dict.fromkeys(_FI_BASE, _FI))
    lexicon.update(dict.fromkeys(_OT_BASE, _OT))
    lexicon.update(dict.fromkeys(shared, _NONE))
    return lexicon


_LATIN_LEX: Final = _build_latin_lexicon()


def _build_squeezed() -> dict[str, int]:
    """Map lexicon words with repeated letters squeezed ("khoob" -> "khob") to their class.

    Squeezed forms claimed by two classes are dropped.
    """
    out: dict[str, int] = {}
    clashes: set[str] = set()
    for word, cls in _LATIN_LEX.items():
        if cls == _NONE:
            continue
        key = _REPEAT_RE.sub(r"\1", word)
        if out.get(key, cls) != cls:
            clashes.add(key)
        out[key] = cls
    return {k: v for k, v in out.items() if k not in clashes}


_SQUEEZED: Final = _build_squeezed()

# Spelling cues for Latin words no lexicon knows.
# Finglish: "kh"/"zh" (خ ژ), "gh" not preceded by i/u (English "gh" is in -igh/-ough/-augh),
# q without u (ق), x+vowel (خ as in "xeili"), mi-/nemi- verb prefixes on Persian stems,
# "ooz"/"oosh", "aa", "ey" before l/m/f/k/v (kheyli, gheymat, keyfiat, peyk) and typical
# Persian verb and pronoun endings (-dam/-tam/-ram, -esh, -etun, -emun ...).
_FI_CUE_RE = re.compile(
    r"kh|zh|(?:^|[^iu])gh|q(?!u)|^x[aeiou]|oo(?:z|sh|kh|gh)|aa|ey[lmfkv]"
    r"|^(?:ne|na)?mi(?:kh|sh|kon|kar|r[aei]|d[aeiu]|g[aei]|tun|toon|tav|z[ae]|y[aeiu]"
    r"|a[dymn]|bin|bar|fre|fer|por|res|duz|dun|doon|fah|gir|saz|pa|ne|de|kha)"
    r"|(?:[dt]am|[aeiou]ram|stam|[^fr]esh|etun|etoon|eshun|eshoon|emun|emoon)$"
)
# English: common suffixes and letter pairs Finglish spelling does not use.
_EN_CUE_RE = re.compile(
    r"(?:ing|tion|tions|ness|ment|ments|able|ible|ful|less|ly|ed|ies|ous|ity|ive|est)$"
    r"|th|wh|ck|ph|c(?!h)|[^aeiouy]y$"
)
# Other Latin languages: German, Turkish, Spanish and French word endings.
_OT_CUE_RE = re.compile(r"sch|(?:ung|heit|keit|lich|chen|iert|ieren|iyor|cion|mente|eux|euse)$")


@lru_cache(maxsize=1 << 16)
def _unknown_latin_vote(token: str) -> tuple[int, float]:
    """Vote of a Latin word missing from the lexicons, as (class, weight).

    Cached: unknown words follow a Zipf curve too, and the regexes below cost far more than
    a cache hit.
    """
    if not token.isascii():
        # Diacritics (é, ü, ş, ñ, ß ...) are not used in English or Finglish spelling.
        return _OT, 1.0
    if _ELONGATED_RE.search(token):
        token = _REPEAT_RE.sub(r"\1", token)
        cls = _SQUEEZED.get(token)
        if cls is not None:
            return cls, 1.0
    if token.endswith(_EN_SUFFIXES):
        for suffix in _EN_SUFFIXES:
            if not token.endswith(suffix):
                continue
            stem = token[: -len(suffix)]
            # Short stems match too much by accident ("hd" -> "h" + "e" = "he").
            if len(stem) >= 3 and (
                _LATIN_LEX.get(stem) == _EN or _LATIN_LEX.get(stem + "e") == _EN
            ):
                return _EN, 1.0
    if _FI_CUE_RE.search(token):
        return _FI, 0.75
    if _EN_CUE_RE.search(token):
        return _EN, 0.5
    if _OT_CUE_RE.search(token):
        return _OT, 0.5
    return _NONE, 0.0


def _latin_votes(tokens: list[str], use_cues: bool) -> list[float]:
    """Votes of Latin words per class: [english, loanword, finglish, other, none].

    With ``use_cues`` False only lexicon evidence counts (known words, their inflections and
    elongations, diacritics): inside Persian-script text the unknown Latin words are mostly
    brand and model names ("HTC", "amoled"), whose spelling says nothing about language.
    """
    votes = [0.0, 0.0, 0.0, 0.0, 0.0]
    lookup = _LATIN_LEX.get
    for token in tokens:
        cls = lookup(token)
        if cls is None:
            cls, weight = _unknown_latin_vote(token)
            if use_cues or weight >= 1.0:
                votes[cls] += weight
        else:
            votes[cls] += 1.0
    return votes


def _persian_vs_arabic(text: str, tokens: list[str]) -> tuple[float, float]:
    """Evidence that an Arabic-script block is Persian, and that it is Arabic/Urdu/..."""
    fa = 3.0 * len(_FA_LETTER_RE.findall(text))
    # Persian ی/ک are what every Persian keyboard types; Arabic layouts type ي/ك instead.
    fa += 0.5 * (text.count("ی") + text.count("ک"))
    fa += 2.0 * text.count(_ZWNJ)
    fa += 3.0 * sum(map(_FA_WORDS.__contains__, tokens))
    ar = 3.0 * sum(map(_AR_FUNCTION.__contains__, tokens))
    # The article ال- starts most Arabic nouns but only a handful of Persian words.
    ar += 0.5 * (text.count(" ال") + text.startswith("ال"))
    if _NON_FA_LETTER_RE.search(text):
        ar += 3.0 * len(_AR_ONLY_LETTER_RE.findall(text))
        ar += 3.0 * len(_NON_FA_AR_LETTER_RE.findall(text))
        # Per word, not per letter, so that an elongated "عالىىىىىى" counts once.
        ar += 0.5 * sum(1 for t in tokens if _WEAK_NON_FA_LETTER_RE.search(t))
    return fa, ar


def _strip_noise(text: str) -> str:
    """Blank out URLs, e-mails, @handles, Latin hashtags, placeholders and bare domains."""
    if "://" in text or "www." in text or "WWW." in text:
        text = _URL_RE.sub(" ", text)
    if "@" in text:
        text = _AT_RE.sub(" ", text)
    if "#" in text:
        text = _HASHTAG_RE.sub(" ", text)
    if "[" in text or "<" in text or "{" in text:
        text = _PLACEHOLDER_RE.sub(" ", text)
    if "." in text and _DOMAIN_HINT_RE.search(text):
        text = _DOMAIN_RE.sub(" ", text)
    return text


def _latin_words(lowered: str) -> list[str]:
    """Latin words of lower-cased text, without digit-only runs and letter-digit codes."""
    return [
        run
        for run in _LAT_RUN_RE.findall(lowered)
        if run.isalpha() or ("'" in run and run.replace("'", "").isalpha())
    ]


def _script(ar_tokens: list[str], lat_tokens: list[str]) -> Script:
    """Dominant script; ``mixed`` when the minority has two words and a quarter of letters."""
    if not lat_tokens:
        return "arabic"
    if not ar_tokens:
        return "latin"
    ar_letters = sum(map(len, ar_tokens))
    lat_letters = sum(map(len, lat_tokens))
    majority: Script
    if ar_letters >= lat_letters:
        majority, minority_tokens, minority_letters = "arabic", len(lat_tokens), lat_letters
    else:
        majority, minority_tokens, minority_letters = "latin", len(ar_tokens), ar_letters
    total = ar_letters + lat_letters
    if minority_tokens >= 2 and minority_letters >= SCRIPT_MIXED_MIN_SHARE * total:
        return "mixed"
    return majority


def _confidence(winner: float, total: float, evidence: float) -> float:
    """Winner's share of the words, discounted when there is little evidence behind it."""
    share = winner / total if total > 0 else 0.0
    strength = evidence / (evidence + 2.0) if evidence > 0 else 0.0
    return round(share * (0.35 + 0.6 * strength), 3)


_NO_LETTERS: Final = LanguageGuess("other", "none", False, 1.0, False)


def detect_language(text: str) -> LanguageGuess:
    """Guess the language of one feedback record.

    Args:
        text: raw or normalised record text; URLs, e-mails, @handles, placeholders such as
            ``[PHONE]``, digits, emoji and punctuation are ignored.

    Returns:
        A :class:`LanguageGuess`; the module docstring documents the decision rules.
    """
    if not text:
        return _NO_LETTERS
    text = _strip_noise(text)
    ar_tokens: list[str] = _AR_WORD_RE.findall(text)
    lowered = text.lower()
    if "’" in lowered:
        lowered = lowered.replace("’", "'")
    lat_tokens = _latin_words(lowered)
    n_other = 0 if lowered.isascii() else len(_OTHER_WORD_RE.findall(lowered))
    n_ar = len(ar_tokens)
    n_lat = len(lat_tokens)
    if not n_ar and not n_lat:
        # Letters of a script not listed in _OTHER_WORD_RE still make it "other"; Latin
        # letters left here belong to codes such as "SB98XRG1" and do not.
        if n_other or any(ch.isalpha() and ch > "\u024f" for ch in lowered):
            return LanguageGuess("other", "none", False, 0.9, True)
        return _NO_LETTERS

    script = _script(ar_tokens, lat_tokens)

    fa_ev = ar_ev = 0.0
    if n_ar:
        fa_ev, ar_ev = _persian_vs_arabic(text, ar_tokens)
    persian_ar = n_ar if fa_ev >= ar_ev or ar_ev < MIN_ARABIC_EVIDENCE else 0
    arabic_ar = n_ar - persian_ar

    en_core = loan = fi_w = ot_w = 0.0
    if n_lat:
        en_core, loan, fi_w, ot_w, _ = _latin_votes(lat_tokens, use_cues=not persian_ar)
    # Loanwords are half an English vote: Finglish and Persian text use them constantly.
    en_w = en_core + 0.5 * loan

    persian_part = persian_ar + fi_w
    identifiable = n_ar + n_other + en_w + fi_w + ot_w
    if (
        persian_part >= MIXED_MIN_WORDS
        and en_core >= MIXED_MIN_WORDS
        and persian_part >= MIXED_MIN_SHARE * identifiable
        and en_core >= MIXED_MIN_SHARE * identifiable
    ):
        balance = min(persian_part, en_core) / (persian_part + en_core)
        confidence = round(min(0.95, 0.5 + balance), 3)
        return LanguageGuess("mixed", script, fi_w > persian_ar, confidence, True)

    lat_votes = en_w + fi_w + ot_w
    if lat_votes <= 0 and not n_ar and not n_other:
        # Only unknown Latin words (brand names, typos): English is the likeliest
        # Latin-script language in this project's data, but say so weakly.
        return LanguageGuess("en", script, False, 0.25, True)
    # In Latin-only text, share unrecognised Latin words out in proportion to the recognised
    # ones; next to Arabic-script words they are mostly names and stay out of the count.
    scale = 1.0 if n_ar else (n_lat / lat_votes if lat_votes > 0 else 0.0)
    fa_n = persian_ar + fi_w * scale
    en_n = en_w * scale
    ot_n = arabic_ar + n_other + ot_w * scale
    total = fa_n + en_n + ot_n
    # Ties go to Persian when it has Arabic-script words, else to English: "Great service,
    # merci!" is English with a Persian courtesy word, "عالی thanks" is Persian.
    if fa_n >= ot_n and (fa_n > en_n or (fa_n == en_n and persian_ar > 0)):
        finglish = fi_w * scale > persian_ar
        evidence = fi_w if finglish else fa_ev - ar_ev + fi_w
        return LanguageGuess("fa", script, finglish, _confidence(fa_n, total, evidence), True)
    if en_n >= ot_n:
        return LanguageGuess("en", script, False, _confidence(en_n, total, en_w), True)
    evidence = (ar_ev - fa_ev if arabic_ar else 0.0) + ot_w + n_other
    return LanguageGuess("other", script, False, _confidence(ot_n, total, evidence), True)
