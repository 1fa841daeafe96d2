"""What to tell the reader to do, by verdict. Follows the seed article's advice: do not
click; reach the service by a bookmark or the official app; if data was entered, change
the password and call the card company."""

from __future__ import annotations

from .models import Verdict

_ADVICE: dict[Verdict, dict[str, str]] = {
    "phishing": {
        "ja": (
            "このメールのリンクは絶対にクリックせず、返信もしないでください。{brand_ja}"
            "確認したいことがあれば、メール内のリンクではなく、ブックマークや公式アプリからログインしてください。"
            "すでにリンク先で ID・パスワードやカード番号を入力してしまった場合は、すぐにパスワードを変更し、"
            "カード会社に連絡して利用停止を相談してください。"
        ),
        "en": (
            "Do not click any link in this mail and do not reply. {brand_en}"
            "If you need to check your account, log in through a bookmark or the official app, never through the mail. "
            "If you already entered your ID, password or card number on the linked page, change the password now "
            "and call your card company to stop the card."
        ),
    },
    "spam": {
        "ja": "迷惑メールと考えられます。リンクを開かず、返信もせず、削除してください。",
        "en": "This looks like spam. Do not open its links or reply; delete it.",
    },
    "suspicious": {
        "ja": (
            "怪しい点があります。リンクや添付は開かず、差出人に心当たりがあっても、"
            "メール以外の方法（公式サイトのブックマークや公式アプリ、電話）で確かめてください。"
        ),
        "en": (
            "Some signs are suspicious. Do not open links or attachments; check with the sender by another "
            "channel (a bookmarked official site, the official app, or a phone call)."
        ),
    },
    "clean": {
        "ja": "危険な兆候は見つかりませんでした。それでも、ID やパスワードの入力を求めるメールには注意してください。",
        "en": "No sign of danger was found. Still, be careful with any mail that asks for an ID or password.",
    },
}


def advice_for(verdict: Verdict, brand_ja: str = "", brand_en: str = "") -> dict[str, str]:
    text = _ADVICE[verdict]
    bj = f"本物の{brand_ja}からのメールではありません。" if brand_ja else ""
    be = f"It does not come from the real {brand_en}. " if brand_en else ""
    return {"ja": text["ja"].format(brand_ja=bj), "en": text["en"].format(brand_en=be)}
