"""Checks on sender authentication looked up online: DKIM, SPF, DMARC, reverse DNS, and whether
the claimed brand's own SPF would let the origin send.

They read ``ev.auth`` (an :class:`~mailsleuth.enrich.auth.AuthResults` attached by
``analyze(..., online=True)``) and stay silent without it, or when it holds no online
results, so the offline verdict never depends on the network. A look-up that failed
(timeout, server failure) is a ``temperror`` and never counts against the mail.
"""

from __future__ import annotations

from ..enrich.auth import AuthResults
from ..evidence import Evidence
from . import Hit, check

# Mailing lists rewrite subjects and footers (breaking DKIM) and forwarders re-send (breaking
# SPF): on list mail, these failures say little about the original sender.
LIST_MAIL_CONFIDENCE = 0.3


def online_auth(ev: Evidence) -> AuthResults | None:
    """The evidence's authentication results, if the pipeline looked them up online."""
    auth = getattr(ev, "auth", None)
    if ev.inline_forward is not None:
        return None  # the outer headers authenticate the forwarder, not the forwarded sender
    return auth if isinstance(auth, AuthResults) and auth.online else None


def _receiver_says(auth: AuthResults, method: str) -> list[str]:
    return [f"receiver ({r.authserv_id}): {method}={r.result}" + (f" {r.domain}" if r.domain else "")
            for r in auth.header(method)[:2]]


@check("DKIM_FAIL", "auth")
def dkim_fail(ev: Evidence) -> Hit | None:
    """The mail carries a DKIM signature, and none of its signatures verifies."""
    auth = online_auth(ev)
    if auth is None or not auth.dkim or any(d.result == "pass" for d in auth.dkim):
        return None
    failed = [d for d in auth.dkim if d.result in ("fail", "permerror")]
    if not failed:
        return None  # only temperrors: the key could not be fetched
    d = failed[0]
    confidence = 1.0 if d.result == "fail" else 0.5  # permerror: the key is missing or unusable
    if ev.list_info is not None:
        confidence *= LIST_MAIL_CONFIDENCE
    evidence = [f"dkim: {x.result} d={x.domain} s={x.selector}" + (f" ({x.reason})" if x.reason else "")
                for x in auth.dkim]
    evidence += [*_receiver_says(auth, "dkim"), f"source: {d.source} at {d.obtained_at}"]
    return Hit(evidence=evidence, params={"domain": d.domain, "selector": d.selector, "result": d.result},
               confidence=round(confidence, 2))


@check("SPF_FAIL", "auth")
def spf_fail(ev: Evidence) -> Hit | None:
    """The envelope sender's SPF says the origin IP may not send for it (fail; softfail at 0.5)."""
    auth = online_auth(ev)
    if auth is None or auth.spf is None or auth.spf.result not in ("fail", "softfail"):
        return None
    s = auth.spf
    confidence = 1.0 if s.result == "fail" else 0.5
    evidence = [f"spf: {s.result} for {s.ip} as {s.sender} ({s.identity})", f"explanation: {s.explanation}",
                *_receiver_says(auth, "spf"), f"source: {s.source} at {s.obtained_at}"]
    return Hit(evidence=evidence, params={"ip": s.ip, "domain": s.domain, "sender": s.sender, "result": s.result},
               confidence=confidence)


@check("DMARC_FAIL", "auth")
def dmarc_fail(ev: Evidence) -> Hit | None:
    """The From domain publishes a DMARC policy, and neither SPF nor DKIM passes aligned with it."""
    auth = online_auth(ev)
    if auth is None or auth.dmarc is None or auth.dmarc.result != "fail" or auth.dmarc.record is None:
        return None
    d, rec = auth.dmarc, auth.dmarc.record
    confidence = 1.0 if d.policy in ("quarantine", "reject") else 0.6  # p=none: the owner only monitors
    if ev.list_info is not None:
        confidence *= LIST_MAIL_CONFIDENCE
    evidence = [f"dmarc: fail for {d.from_domain}", f"record (_dmarc.{rec.domain}): {rec.record}",
                f"p={d.policy} adkim={rec.adkim} aspf={rec.aspf} pct={rec.pct}",
                f"spf: {auth.spf.result} {auth.spf.domain}" if auth.spf else "spf: not evaluated",
                "dkim: " + (", ".join(f"{x.result} d={x.domain}" for x in auth.dkim) or "no signature"),
                *_receiver_says(auth, "dmarc"), f"source: {d.source} at {d.obtained_at}"]
    return Hit(evidence=evidence, params={"domain": d.from_domain, "policy": d.policy, "record_domain": rec.domain},
               confidence=round(confidence, 2))


@check("AUTH_NONE_BRAND_DOMAIN", "auth")
def auth_none_brand_domain(ev: Evidence) -> Hit | None:
    """The From address is on a brand's official domain, and nothing (DKIM, SPF, DMARC) passes."""
    auth = online_auth(ev)
    if auth is None or ev.from_addr is None or not ev.from_addr.registrable_domain:
        return None
    brand = ev.brand_index.by_domain(ev.from_addr.registrable_domain)
    if brand is None or auth.any_pass():
        return None
    if auth.spf is None or auth.spf.result == "temperror" or any(d.result == "temperror" for d in auth.dkim):
        return None  # a look-up failed: a pass may have been missed
    evidence = [f"from: {ev.from_addr.address} (official domain of {brand.name_en})",
                f"spf: {auth.spf.result} for {auth.spf.ip} as {auth.spf.sender}",
                "dkim: " + (", ".join(f"{x.result} d={x.domain}" for x in auth.dkim) or "no signature"),
                f"dmarc: {auth.dmarc.result} p={auth.dmarc.policy or '-'}" if auth.dmarc else "dmarc: not evaluated",
                f"source: {auth.source} at {auth.obtained_at}"]
    return Hit(evidence=evidence, params={"domain": ev.from_addr.domain, "brand": brand.name,
                                          "brand_en": brand.name_en, "spf": auth.spf.result})


@check("BRAND_SPF_EXCLUDES_ORIGIN", "auth")
def brand_spf_excludes_origin(ev: Evidence) -> Hit | None:
    """The mail claims a brand, and the brand's own SPF would not let the origin IP send for it."""
    auth = online_auth(ev)
    if auth is None:
        return None
    for b in auth.brand_spf:
        if b.allows is not False:
            continue
        brand = ev.brand_index.get(b.brand_id)
        hard = any(r.result == "fail" for r in b.results)
        evidence = [f"brand: {brand.name_en if brand else b.brand_id}", f"origin: {b.ip}",
                    *(f"spf of {r.domain}: {r.result} ({r.explanation})" for r in b.results),
                    f"source: {b.results[0].source} at {b.results[0].obtained_at}"]
        return Hit(evidence=evidence,
                   params={"ip": b.ip, "domains": ", ".join(b.domains), "brand": brand.name if brand else b.brand_id,
                           "brand_en": brand.name_en if brand else b.brand_id},
                   confidence=1.0 if hard else 0.6)
    return None


@check("FCRDNS_FAIL", "auth")
def fcrdns_fail(ev: Evidence) -> Hit | None:
    """The origin's reverse DNS (PTR) name does not resolve back to the origin address."""
    auth = online_auth(ev)
    if auth is None or auth.fcrdns is None or auth.fcrdns.confirmed is not False:
        return None
    f = auth.fcrdns
    names = ", ".join(f.ptr_names)
    evidence = [f"origin: {f.ip}", f"ptr: {names or 'none'}", f"reason: {f.reason}",
                f"source: {f.source} at {f.obtained_at}"]
    # No PTR at all is common for small senders (and RDNS checks on the Received header see it
    # already); a PTR name that does not lead back is a claim that does not hold.
    if f.ptr_names:
        detail_ja = f"逆引きホスト名 {names} を正引きしても {f.ip} に戻りません"
        detail_en = f"its reverse DNS name {names} does not resolve back to {f.ip}"
    else:
        detail_ja, detail_en = "逆引き（PTR）のホスト名が登録されていません", "it has no reverse DNS (PTR) name"
    return Hit(evidence=evidence, params={"ip": f.ip, "names": names, "detail_ja": detail_ja, "detail_en": detail_en},
               confidence=1.0 if f.ptr_names else 0.5)


def receiver_auth(ev: Evidence) -> AuthResults | None:
    """Authentication results of the receiving organisation's headers (online or not)."""
    auth = getattr(ev, "auth", None)
    if ev.inline_forward is not None:
        return None  # the outer headers authenticate the forwarder, not the forwarded sender
    return auth if isinstance(auth, AuthResults) else None


@check("RECEIVER_AUTH_FAIL", "auth")
def receiver_auth_fail(ev: Evidence) -> Hit | None:
    """The receiving server's own Authentication-Results say the sender's domain failed
    authentication: DMARC fail, Microsoft's composite authentication (compauth) fail, or SPF
    fail without a passing DKIM signature. The From address is then probably forged."""
    auth = receiver_auth(ev)
    if auth is None or not auth.header_results or (auth.online and auth.dmarc is not None):
        return None  # online, DMARC_FAIL judges the same question from DNS itself
    if ev.is_delivery_report:
        return None  # it comes from the null sender: SPF can only judge its HELO
    res = auth.header_results
    by = {(r.method, r.result) for r in res}
    dmarc = next((r for r in res if r.method == "dmarc" and r.result == "fail"), None)
    comp = next((r for r in res if r.method == "compauth" and r.result == "fail"), None)
    spf = next((r for r in res if r.method == "spf" and r.result in ("fail", "softfail")), None)
    if dmarc is not None or (comp is not None and comp.reason.startswith("000")):
        confidence, worst = 1.0, dmarc or comp
    elif comp is not None:
        confidence, worst = 0.7, comp
    elif spf is not None and ("dkim", "pass") not in by:
        confidence, worst = (0.6 if spf.result == "fail" else 0.4), spf
    else:
        return None
    assert worst is not None
    if ev.list_info is not None:
        confidence *= LIST_MAIL_CONFIDENCE
    evidence = [f"receiver ({r.authserv_id}): {r.method}={r.result}" + (f" {r.domain}" if r.domain else "")
                + (f" reason={r.reason}" if r.reason else "") for r in res if r.method in
                ("spf", "dkim", "dmarc", "compauth")][:5]
    from_domain = auth.from_domain or (ev.from_addr.domain if ev.from_addr else "")
    return Hit(evidence=evidence, params={"receiver": worst.authserv_id, "method": worst.method,
                                          "result": worst.result, "domain": from_domain or "?"},
               confidence=round(confidence, 2))
