"""Checks from the trained text model (:mod:`mailsleuth.classifier`): does the wording read like
the phishing, or the spam, the model was trained on?

Two checks, not one, because a hit has one kind in ``scores.toml``: phishing evidence counts
toward the "phishing" verdict, spam evidence does not. The model's classes are exclusive and both
thresholds are above one half, so at most one of the two fires for a message. The model is run
once per message (the second check reuses the first one's prediction).

A check fires only when the probability reaches its threshold; the hit's confidence then grows
from 0.5 at the threshold to 1.0 at certainty, so a borderline prediction weighs half as much.
The thresholds come from cross-validation (data/model/MODEL_CARD.md): at p(phishing) >= 0.8 no
Japanese ham fired and 99.2% of the Japanese phishing did.
"""

from __future__ import annotations

import threading

from ..classifier import Prediction, TextModel, load_model
from ..evidence import Evidence
from . import Hit, check

PHISHING_THRESHOLD = 0.8  # p(phishing) at which TEXT_MODEL_PHISHING fires
SPAM_THRESHOLD = 0.7  # p(spam) at which TEXT_MODEL_SPAM fires
SHOWN_TERMS = 3  # terms named in the explanation (the evidence lists all the model gives)

_last = threading.local()  # (evidence, prediction) of the last message seen in this thread
_override: list[TextModel] = []  # a model set with ``use_model`` (e.g. one the user trained)


def use_model(model: TextModel | None) -> None:
    """Make the checks use ``model`` (``None``: the packaged model again)."""
    _override[:] = [model] if model is not None else []
    _last.pair = None


def prediction(ev: Evidence) -> Prediction:
    """The text model's prediction for ``ev``, computed once per message."""
    cached = getattr(_last, "pair", None)
    if cached is not None and cached[0] is ev:
        pred: Prediction = cached[1]
        return pred
    model = _override[0] if _override else load_model()
    pred = model.predict(ev.subject, ev.text, [link.host for link in ev.links])
    _last.pair = (ev, pred)
    return pred


def confidence(p: float, threshold: float) -> float:
    """0.5 at the threshold, rising linearly to 1.0 at p = 1."""
    if threshold >= 1.0:
        return 1.0
    return round(min(1.0, 0.5 + 0.5 * max(0.0, p - threshold) / (1.0 - threshold)), 2)


def _hit(pred: Prediction, label: str, threshold: float) -> Hit | None:
    p = pred.probs.get(label, 0.0)
    if pred.label != label or p < threshold:
        return None
    terms = [term for term, _ in pred.top_terms]
    shown = terms[:SHOWN_TERMS]
    return Hit(
        evidence=[f"p({label})={p:.2f}", *(f"term: {t}" for t in terms)],
        params={"probability": f"{p:.2f}", "percent": f"{100 * p:.0f}",
                "terms": "」「".join(shown), "terms_en": '", "'.join(shown)},
        confidence=confidence(p, threshold),
    )


@check("TEXT_MODEL_PHISHING", "content")
def text_model_phishing(ev: Evidence) -> Hit | None:
    """The wording reads like the phishing the text model was trained on."""
    return _hit(prediction(ev), "phishing", PHISHING_THRESHOLD)


@check("TEXT_MODEL_SPAM", "content")
def text_model_spam(ev: Evidence) -> Hit | None:
    """The wording reads like the spam the text model was trained on."""
    return _hit(prediction(ev), "spam", SPAM_THRESHOLD)
