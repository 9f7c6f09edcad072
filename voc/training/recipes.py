"""Training recipes: which labelled files train the heads, how their labels map, and how each
is held out for evaluation.

The built-in ``default`` recipe trains the shipped heads from the project's shared data
folder (``../shared/datasets/`` next to the repository, or ``$VOC_DATASETS_DIR``). Every
source records its licence, so a model card can state exactly what the weights derive from.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Literal

from voc.errors import ConfigError
from voc.heads.labels import Task
from voc.training.data import LabelMap

Role = Literal["train", "eval"]
# How a held-out set is scored: "all" labels; "binary" = argmax over negative/positive only
# (for data without a neutral class); "negative_vs_rest" = predicted negative or not.
EvalMode = Literal["all", "binary", "negative_vs_rest"]
EVAL_MODES: tuple[EvalMode, ...] = ("all", "binary", "negative_vs_rest")

DATASETS_ENV = "VOC_DATASETS_DIR"
_REPO_ROOT = Path(__file__).resolve().parents[2]

# GoEmotions label ids index each variant's labels.txt; multi-label rows ("3,6") and the
# ambiguous group fall to "*" and are dropped.
_GOEMOTIONS_EKMAN: LabelMap = {
    "0": "anger", "1": "disgust", "2": "fear", "3": "joy", "4": "neutral", "5": "sadness",
    "6": "surprise", "*": None,
}
_GOEMOTIONS_GROUP: LabelMap = {"0": None, "1": "negative", "2": "neutral", "3": "positive",
                               "*": None}
_ABSA_SENTENCE: LabelMap = {"positive": "positive", "negative": "negative",
                             "neutral": "neutral", "conflict": None, "mixed": None,
                             "none": None}
# Banking77 intents: a customer reporting that something went wrong (a failed, declined,
# unrecognised, duplicated or missing payment, card or transfer) is a negative experience,
# however flat the wording; how-to questions are neutral. Intents that hold both (card
# arrival: "still waiting" and "can I track it"; refunds; card acceptance) are left out.
_BANKING77_PROBLEMS = (
    "balance_not_updated_after_bank_transfer", "balance_not_updated_after_cheque_or_cash_deposit",
    "card_not_working", "card_payment_fee_charged", "card_payment_not_recognised",
    "card_payment_wrong_exchange_rate", "card_swallowed", "cash_withdrawal_charge",
    "cash_withdrawal_not_recognised", "compromised_card", "contactless_not_working",
    "declined_card_payment", "declined_cash_withdrawal", "declined_transfer",
    "direct_debit_payment_not_recognised", "extra_charge_on_statement", "failed_transfer",
    "lost_or_stolen_card", "lost_or_stolen_phone", "pending_card_payment",
    "pending_cash_withdrawal", "pending_top_up", "pending_transfer", "pin_blocked",
    "Refund_not_showing_up", "reverted_card_payment?", "top_up_failed", "top_up_reverted",
    "transaction_charged_twice", "transfer_fee_charged", "transfer_not_received_by_recipient",
    "unable_to_verify_identity", "virtual_card_not_working", "wrong_amount_of_cash_received",
    "wrong_exchange_rate_for_cash_withdrawal", "beneficiary_not_allowed",
)
_BANKING77_MIXED = ("card_arrival", "request_refund", "card_acceptance")
_BANKING77_SENTIMENT: LabelMap = {
    **dict.fromkeys(_BANKING77_PROBLEMS, "negative"),
    **dict.fromkeys(_BANKING77_MIXED, None),
    "*": "neutral",
}
# The VoC sense of sentiment (model card): negative = the customer reports a problem,
# failure, delay, defect, extra effort, unmet expectation or dissatisfaction, however calmly;
# neutral = questions, requests and descriptions without judgement; positive = praise.
# Star ratings are weak labels of it: 1-2 negative, 4-5 positive; what 3 stars become is
# measured by leave-one-source-out (bench/sentiment_transfer.py) and set by THREE_STARS.
THREE_STARS: str | None = None
# Held-out rows per customer source (DataSource.max_heldout_rows).
HELDOUT_CAP = 600
EVAL_CAP = 1500


def star_map(three: str | None = THREE_STARS) -> LabelMap:
    """Ratings on a 1-5 scale (half and fractional stars included); 0 = no rating."""
    return {"1..2": "negative", "3..3": three, "4..5": "positive", "*": None}


_PERSIAN_EMOTION: LabelMap = {
    "ANGRY": "anger", "HATE": "disgust", "FEAR": "fear", "HAPPY": "joy", "SAD": "sadness",
    "SURPRISE": "surprise", "OTHER": "neutral",
}


@dataclass(frozen=True)
class DataSource:
    """One labelled file and how it is used.

    ``heldout`` is the file scored for the report: ``None`` splits ``heldout_fraction`` off
    ``path`` (stratified, seeded); a path uses that file instead (e.g. GoEmotions' dev set).
    A source with ``role="eval"`` is never trained on: all of it is held out.
    """

    name: str
    task: Task
    path: str
    text_col: str
    label_col: str
    label_map: LabelMap | str | None = None
    language: str = ""
    licence: str = "not stated"
    origin: str = ""
    role: Role = "train"
    heldout: str | None = None
    max_train_rows: int | None = None
    # Held-out rows scored at most (a seeded sample): every held-out text goes through the
    # encoder at each training run, and a few hundred rows per source already tell sources
    # apart (each one's figure carries about +-2 points at 600 rows).
    max_heldout_rows: int | None = None
    eval_mode: EvalMode = "all"
    note: str = ""
    # Keep only rows whose named columns hold these values (see load_labelled).
    where: tuple[tuple[str, str], ...] = ()
    # Loss weight of this source's rows relative to others (1 = as many rows, as much say).
    weight: float = 1.0
    # Real customer feedback (reviews, complaints, support messages): leave-one-source-out
    # scores each such source with a model trained without it (bench/sentiment_transfer.py).
    customer: bool = False


@dataclass(frozen=True)
class Recipe:
    name: str
    sources: tuple[DataSource, ...]
    data_root: Path | None = None
    heldout_fraction: float = 0.15
    # Early stopping watches this share of each source's training part.
    dev_fraction: float = 0.1
    description: str = ""

    def resolve(self, relative: str) -> Path:
        path = Path(relative).expanduser()
        if path.is_absolute() or self.data_root is None:
            return path
        return self.data_root / path


def default_data_root() -> Path:
    """``$VOC_DATASETS_DIR``, else ``../shared/datasets`` beside the repository."""
    if override := os.environ.get(DATASETS_ENV):
        return Path(override).expanduser()
    return (_REPO_ROOT.parent / "shared" / "datasets").resolve()


# GoEmotions' sentence groups as a sentiment training source: not in the default recipe
# (see there); the transfer bench trains on it in its variants.
GOEMOTIONS_GROUP_TRAINING = DataSource(
    name="en_goemotions_group", task="sentiment", path="en_goemotions/group/train.tsv",
    text_col="0", label_col="1", label_map=_GOEMOTIONS_GROUP, language="en",
    licence="Apache-2.0", origin="google-research GoEmotions",
    heldout="en_goemotions/group/dev.tsv",
    note="single-label rows; ambiguous dropped",
)


def _semeval_restaurants(year: int, task: str, aspects: str) -> DataSource:
    """SemEval ABSA restaurant sentences, labelled with the polarity all aspects agree on
    (mixed, conflicting and aspect-free sentences dropped)."""
    return DataSource(
        name=f"en_semeval{year % 100}_restaurants", task="sentiment",
        path=f"en_semeval_absa_restaurants/semeval{year}_restaurants_train.jsonl",
        text_col="text", label_col=f"{aspects}[].polarity", label_map=_ABSA_SENTENCE,
        language="en", licence="research use", origin=f"SemEval-{year} {task} (ABSA)",
        note="restaurant review sentences; label = the polarity all aspects agree on",
        customer=True,
    )


DEFAULT_SOURCES: tuple[DataSource, ...] = (
    DataSource(
        name="fa_snappfood_sentiment", task="sentiment",
        path="fa_snappfood_sentiment/train.csv", text_col="comment", label_col="label",
        label_map={"HAPPY": "positive", "SAD": "negative"}, language="fa",
        licence="not stated (research use)",
        origin="mehdighelich1379/snappfood-sentiment-classification (ParsBERT SnappFood)",
        eval_mode="binary", note="food-delivery comments; some label noise",
        customer=True,
    ),
    DataSource(
        name="fa_deepsentipers", task="sentiment", path="fa_deepsentipers/train.csv",
        text_col="text", label_col="label",
        label_map={"-2": "negative", "-1": "negative", "0": "neutral", "1": "positive",
                   "2": "positive"},
        language="fa", licence="not stated (SentiPers: research use)",
        origin="JoyeBright/DeepSentiPers",
        note="Digikala product sentences; the main source of Persian neutral examples",
        customer=True,
    ),
    DataSource(
        name="fa_taaghche_reviews", task="sentiment", path="fa_taaghche_reviews/train.csv",
        text_col="text", label_col="label",
        label_map={"0": "negative", "1": "neutral", "2": "positive"}, language="fa",
        licence="MIT repository; data licence not stated",
        origin="miirzamiir/taaghche-feelings-analyzer",
        note="labels derived from e-book star ratings",
        customer=True,
    ),
    DataSource(
        name="fa_digikala_quera", task="sentiment",
        path="fa_digikala_reviews/quera_digikala_train.csv", text_col="comment",
        label_col="recommend",
        label_map={"recommended": "positive", "not_recommended": "negative"}, language="fa",
        licence="not stated", origin="sina-negarandeh/naive-bayes-classifier-digikala-comments",
        max_train_rows=2000, eval_mode="binary",
        note="recommendation is a proxy for sentiment, so only a 2,000-row sample trains",
        customer=True,
    ),
    DataSource(
        name="en_uci_sentences", task="sentiment", path="en_uci_sentences/all.csv",
        text_col="text", label_col="label", label_map={"0": "negative", "1": "positive"},
        language="en", licence="CC BY 4.0",
        origin="UCI Sentiment Labelled Sentences (Kotzias et al. 2015)", eval_mode="binary",
        customer=True,
    ),
    # Scored, not trained: GoEmotions' `neutral` means "no emotion" in Reddit comments, not
    # the VoC neutral (a flat complaint is neutral there and negative here). Leave-one-
    # source-out (bench/sentiment_transfer.py) found its sentence groups help no customer
    # source and cost the complaint proxy ~1 point; without its neutral rows they moved
    # English sources +0.3 and complaints -0.8, within noise, so the simpler recipe stays.
    replace(GOEMOTIONS_GROUP_TRAINING, role="eval", path="en_goemotions/group/dev.tsv",
            heldout=None, note="GoEmotions' sense of neutral: scored for reference only"),
    _semeval_restaurants(2014, "Task 4", "aspect_categories"),
    _semeval_restaurants(2015, "Task 12", "opinions"),
    DataSource(
        name="en_banking77_problems", task="sentiment", path="en_banking77/train.csv",
        text_col="text", label_col="category", label_map=_BANKING77_SENTIMENT,
        language="en", licence="CC BY 4.0", origin="PolyAI-LDN/task-specific-datasets",
        note="customer-service messages to a bank: problem-report intents = negative, "
             "how-to questions = neutral (a proxy: intent is not sentiment)",
        customer=True,
    ),
    DataSource(
        name="fa_armanemo", task="emotion", path="fa_armanemo/train.tsv", text_col="0",
        label_col="1", label_map=_PERSIAN_EMOTION, language="fa",
        licence="CC BY-NC-SA 4.0 (non-commercial)",
        origin="Arman-Rayan-Sharif/arman-text-emotion",
    ),
    DataSource(
        name="fa_shortpersianemo", task="emotion", path="fa_shortpersianemo/train.csv",
        text_col="text", label_col="label", label_map=_PERSIAN_EMOTION, language="fa",
        licence="GPL-3.0", origin="vkiani/ShortPersianEmo",
        note="no disgust or surprise examples",
    ),
    DataSource(
        name="en_goemotions_ekman", task="emotion", path="en_goemotions/ekman/train.tsv",
        text_col="0", label_col="1", label_map=_GOEMOTIONS_EKMAN, language="en",
        licence="Apache-2.0", origin="google-research GoEmotions",
        heldout="en_goemotions/ekman/dev.tsv",
        note="single-label rows",
    ),
    DataSource(
        name="en_complaints_social_media", task="sentiment",
        path="en_complaints_social_media/complaints-data.csv", text_col="text",
        label_col="is_complaint", label_map={"1": "negative", "0": "neutral"}, language="en",
        licence="not stated", origin="danielpreotiuc/complaints-social-media (ACL 2019)",
        role="eval", eval_mode="negative_vs_rest",
        note="zero-shot proxy: is_complaint=1 scored as negative, 0 as not negative",
        customer=True,
    ),
)


def customer_sources(three: str | None = THREE_STARS) -> tuple[DataSource, ...]:
    """Real customer feedback in both languages, mapped to the VoC sense of sentiment.

    Rows per source are capped so that no one scrape dominates the mix and training stays
    within the CPU budget; near-duplicates are removed before any split (voc.training.dedup).
    """
    stars = star_map(three)
    return (
        DataSource(
            name="en_googleplay_videoconf", task="sentiment",
            path="en_googleplay_videoconf_reviews/googleplay_videoconf_reviews.csv",
            text_col="text", label_col="score_bucket",
            label_map={"1-2": "negative", "3": three, "4-5": "positive"}, language="en",
            licence="not stated", origin="Google Play reviews of video-call apps",
            max_train_rows=8000, customer=True, max_heldout_rows=HELDOUT_CAP,
            note="star buckets; app complaints ('keeps crashing', 'can't join')",
        ),
        DataSource(
            name="en_booking_parts", task="sentiment",
            path="en_booking_hotel_reviews/booking_hotel_review_segments.csv",
            text_col="text", label_col="polarity", where=(("placeholder", "0"),),
            language="en", licence="not stated", origin="Booking.com hotel reviews",
            customer=True, max_heldout_rows=HELDOUT_CAP, eval_mode="binary",
            note="the guest's 'negative' part vs 'positive' part; placeholders such as "
                 "'Nothing' in the negative part are dropped (they are not complaints)",
        ),
        DataSource(
            name="en_app_review_types", task="sentiment",
            path="en_app_review_types/app_review_types.csv", text_col="text_original",
            label_col="label",
            label_map={"bug report": "negative", "feature request": "neutral", "*": None},
            language="en", licence="not stated",
            origin="William-HTP/Google-Play-App-Reviews-Datasets", customer=True,
            max_heldout_rows=HELDOUT_CAP,
            note="bug reports = negative, feature requests = neutral (requests); "
                 "'user experience' and 'rating' reviews carry no polarity label, dropped",
        ),
        DataSource(
            name="en_womens_clothing", task="sentiment",
            path="en_womens_clothing_reviews/womens_clothing_reviews.csv", text_col="text",
            label_col="rating", label_map=stars, language="en",
            licence="not stated (commonly CC0)", origin="Women's e-commerce clothing reviews",
            max_train_rows=6000, customer=True, max_heldout_rows=HELDOUT_CAP,
        ),
        DataSource(
            name="en_yelp_reviews", task="sentiment",
            path="en_yelp_reviews_10k/yelp_reviews_10k.csv", text_col="text",
            label_col="stars", label_map=stars, language="en",
            licence="Yelp dataset terms (non-commercial)", origin="Yelp reviews (10k sample)",
            max_train_rows=4000, customer=True, max_heldout_rows=HELDOUT_CAP,
        ),
        DataSource(
            name="en_amazon_reviews", task="sentiment",
            path="en_amazon_multidomain_electronics_kitchen/"
                 "amazon_electronics_kitchen_reviews.csv",
            text_col="text", label_col="label", language="en", licence="not stated",
            origin="Multi-Domain Sentiment Dataset (Blitzer et al. 2007)", customer=True,
            max_heldout_rows=HELDOUT_CAP,
            eval_mode="binary", note="rating 1-2 vs 4-5",
        ),
        DataSource(
            name="en_amazon_alexa", task="sentiment",
            path="en_amazon_alexa_reviews/amazon_alexa_reviews.csv", text_col="text",
            label_col="rating", label_map=stars, language="en", licence="not stated",
            origin="Amazon Echo reviews", customer=True, max_heldout_rows=HELDOUT_CAP,
        ),
        DataSource(
            name="en_bank_reviews_in", task="sentiment",
            path="en_bank_reviews/bankbazaar_india_bank_reviews.csv", text_col="text",
            label_col="rating", label_map=stars, language="en", licence="not stated",
            origin="BankBazaar reviews of Indian banks", customer=True,
            max_heldout_rows=HELDOUT_CAP,
        ),
        DataSource(
            name="en_bank_reviews_us", task="sentiment",
            path="en_bank_reviews/us_lender_reviews_1or5.csv", text_col="text",
            label_col="stars", label_map=stars, language="en", licence="MIT",
            origin="US lender reviews (1 or 5 stars)", customer=True,
            max_heldout_rows=HELDOUT_CAP, eval_mode="binary",
            role="eval",  # cross-source sign agreement with 1 vs 5 stars
        ),
        DataSource(
            name="en_opspam_hotels", task="sentiment",
            path="en_opspam_truthful_hotel_reviews/opspam_truthful_hotel_reviews.csv",
            text_col="text", label_col="polarity", language="en",
            licence="CC BY-NC-SA 3.0", origin="Ott et al. truthful hotel reviews",
            customer=True, max_heldout_rows=HELDOUT_CAP, eval_mode="binary",
        ),
        DataSource(
            name="en_sanders_tweets", task="sentiment",
            path="en_sanders_tech_tweets/sanders_tweets.csv", text_col="text",
            label_col="sentiment", language="en", licence="not stated",
            origin="Sanders tweets about tech brands (human labels)", customer=True,
            max_heldout_rows=EVAL_CAP,
            role="eval",  # the shipped heads' cross-source English customer tweets
        ),
        DataSource(
            name="en_sxsw_tweets", task="sentiment",
            path="en_sxsw_brand_tweets/sxsw_brand_tweets.csv", text_col="text",
            label_col="sentiment", label_map={"unknown": None}, language="en",
            licence="not stated", origin="SXSW brand tweets (crowd labels)", customer=True,
            max_heldout_rows=HELDOUT_CAP,
        ),
        DataSource(
            name="en_apple_tweets", task="sentiment",
            path="en_apple_tweets_dfe/apple_tweets.csv", text_col="text",
            label_col="sentiment_label", language="en", licence="not stated",
            origin="Apple tweets (CrowdFlower)", customer=True, max_heldout_rows=HELDOUT_CAP,
        ),
        DataSource(
            name="fa_digikala_rated", task="sentiment",
            path="fa_digikala_reviews/radeai_digikala_comments_tiny.csv", text_col="body",
            label_col="rate", label_map=stars, language="fa", licence="not stated",
            origin="Amirali-Amirifar/digikala-sentiment-analysis", max_train_rows=8000,
            customer=True,
            max_heldout_rows=HELDOUT_CAP, note="Digikala product reviews with star ratings",
        ),
        DataSource(
            name="fa_digikala_suggestion", task="sentiment",
            path="fa_digikala_reviews/zhpinkman_digikala_comments.csv", text_col="Text",
            label_col="Suggestion", label_map={"1": "positive", "2": "negative", "3": None},
            language="fa", licence="not stated", origin="zhpinkman/sentiment-analysis-digikala",
            customer=True, max_heldout_rows=EVAL_CAP, eval_mode="binary",
            note="recommend / not recommend (a proxy); 'no idea' dropped",
            role="eval",  # Persian cross-source: another scrape and labelling of Digikala
        ),
        DataSource(
            name="fa_itrc_instagram", task="sentiment",
            path="fa_itrc_instagram_comments/itrc_instagram_comments.csv", text_col="text",
            label_col="sentiment_label", where=(("labels_agree", "1"),), language="fa",
            licence="not stated", origin="ITRC Instagram comments on internet service",
            customer=True, max_heldout_rows=HELDOUT_CAP,
            note="colloquial complaints and requests; only rows whose two labels agree",
        ),
        DataSource(
            name="fa_sentipersian_vod", task="sentiment",
            path="fa_sentipersian_vod_comments/sentipersian_comments.csv", text_col="text",
            label_col="sentiment", language="fa", licence="MIT",
            origin="SentiPersian comments on films and series", max_train_rows=8000,
            customer=True, max_heldout_rows=HELDOUT_CAP, note="may hold GAN-augmented rows",
        ),
    )


DEFAULT_SOURCES = DEFAULT_SOURCES + customer_sources()


def default_recipe(data_root: Path | str | None = None) -> Recipe:
    """The recipe that trained the shipped heads, reading from ``data_root``."""
    root = Path(data_root).expanduser() if data_root is not None else default_data_root()
    return Recipe(
        name="default",
        sources=DEFAULT_SOURCES,
        data_root=root,
        description="Persian and English sentiment and emotion from the shared data folder",
    )


RECIPES = {"default": default_recipe}


def get_recipe(name: str, data_root: Path | str | None = None) -> Recipe:
    try:
        factory = RECIPES[name]
    except KeyError:
        raise ConfigError(
            f"unknown recipe {name!r}; built-in recipes: {', '.join(sorted(RECIPES))}"
        ) from None
    recipe = factory(data_root)
    missing = [recipe.resolve(s.path) for s in recipe.sources]
    missing = [path for path in missing if not path.is_file()]
    if missing:
        more = f" and {len(missing) - 1} more files" if len(missing) > 1 else ""
        raise ConfigError(
            f"recipe {name!r} needs {missing[0]}{more}; point --data-root or "
            f"${DATASETS_ENV} at the datasets folder"
        )
    return recipe


def custom_recipe(sources: list[DataSource], data_root: Path | None = None,
                  base: Recipe | None = None) -> Recipe:
    """A recipe from user-given files, optionally on top of a built-in one."""
    if base is not None:
        return replace(base, name=f"{base.name}+custom", sources=base.sources + tuple(sources))
    return Recipe(name="custom", sources=tuple(sources), data_root=data_root)
