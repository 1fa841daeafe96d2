"""Checks on the links a mail carries."""

from __future__ import annotations

import itertools
import re

from ..domains import is_ip, registrable_domain
from ..evidence import Evidence
from ..lists import in_list, tld_is_suspicious
from ..lookalike import find_lookalike
from ..models import CLICKABLE, Link
from . import Hit, check
from .sender import brand_owns, official_list

# Link text that is itself an address: "https://www.amazon.co.jp/", "www.paypal.com/signin".
_URL_TEXT_RE = re.compile(r"(?i)(?:https?://)?((?:[a-z0-9-]+\.)+[a-z]{2,})(?::\d+)?(?:[/?#]\S*)?")


def clickable(ev: Evidence) -> list[Link]:
    """Links a reader can click (images and frames are loaded, not clicked)."""
    return [link for link in ev.links if link.source in CLICKABLE]


@check("LINK_BRAND_IN_FOREIGN_DOMAIN", "links")
def link_brand_in_foreign_domain(ev: Evidence) -> Hit | None:
    """A brand's name placed in a host of someone else's domain (``www.eki-net-member.revapec.cn``)."""
    for link in clickable(ev):
        found = ev.brand_index.in_host(link.host)
        if found:
            brand, token = found[0]
            return Hit(evidence=[f"url: {link.url}", f"token: {token}", f"registrable: {link.registrable_domain}"],
                       params={"host": link.host, "token": token, "domain": link.registrable_domain or link.host,
                               "brand": brand.name, "official": official_list(brand)})
    return None


@check("LINK_LOOKALIKE_DOMAIN", "links")
def link_lookalike_domain(ev: Evidence) -> Hit | None:
    for link in clickable(ev):
        look = find_lookalike(link.registrable_domain, ev.brand_index)
        if look:
            return Hit(evidence=[f"url: {link.url}", f"imitates: {look.official} ({look.kind})"],
                       params={"domain": link.registrable_domain, "official": look.official,
                               "brand": look.brand.name, "kind": look.kind})
    return None


_COUNTRY = frozenset({"jp", "br", "uk", "au", "cn", "kr", "tw", "in"})
_SECOND = frozenset({"co", "ne", "or", "com", "net", "go", "ac"})
_GENERIC = frozenset({"com", "net", "org"})
_HYPHEN_SUFFIX_RE = re.compile(r"(?:^|-)(?:co|ne|or)-jp(?:-|$)|(?:^|-)com-(?:jp|br|au)(?:-|$)")


def deceptive_part(link: Link) -> str:
    """The part of a link host that imitates the end of a real address: a domain suffix
    placed where it does not end the host (``amazon.co.jp.signin-verify.top``,
    ``www.eki.jp.co.zhrtupd.cn``, ``paypal.com.secure.top``, ``mistoeras--co-jp.top``)."""
    reg = link.registrable_domain
    if not reg:
        return ""
    sub = link.host[: -len(reg) - 1] if link.host.endswith("." + reg) else ""
    labels = sub.split(".") if sub else []
    for a, b in itertools.pairwise(labels):
        if (a in _COUNTRY and b in _SECOND) or (a in _SECOND and b in _COUNTRY):
            return f"{a}.{b}"
    if len(labels) >= 2 and labels[-1] in _GENERIC:
        return f"{labels[-2]}.{labels[-1]}"
    for label in (*labels, reg.split(".")[0]):
        if _HYPHEN_SUFFIX_RE.search(label):
            return label
    return ""


@check("LINK_DECEPTIVE_HOST", "links")
def link_deceptive_host(ev: Evidence) -> Hit | None:
    """A link host that puts a domain ending in its middle, so that its start reads like a
    real address."""
    for link in clickable(ev):
        part = deceptive_part(link)
        if part and ev.brand_index.by_domain(link.registrable_domain) is None:
            return Hit(evidence=[f"url: {link.url}", f"imitated ending: {part}",
                                 f"registrable: {link.registrable_domain}"],
                       params={"host": link.host, "part": part, "domain": link.registrable_domain})
    return None


@check("ANCHOR_TEXT_URL_MISMATCH", "links")
def anchor_text_url_mismatch(ev: Evidence) -> Hit | None:
    """The link text is an address, and the link goes to another one. Newsletters route links
    through click trackers, so a mismatch counts fully only when the address shown belongs to
    a brand; a tracker on a known bulk-mail domain is not a mismatch."""
    best: Hit | None = None
    for link in ev.links:
        if link.source != "href" or not link.text or not link.registrable_domain:
            continue
        m = _URL_TEXT_RE.fullmatch(link.text.strip())
        if not m:
            continue
        shown = registrable_domain(m.group(1))
        if not shown or shown == link.registrable_domain:
            continue
        if in_list("bulk_mailer_url_root_domains", link.host):
            continue
        branded = ev.brand_index.by_domain(shown) is not None
        hit = Hit(evidence=[f"text: {link.text[:120]}", f"href: {link.url}"],
                  params={"shown": shown, "actual": link.registrable_domain},
                  confidence=1.0 if branded else 0.5)
        if branded:
            return hit
        best = best or hit
    return best


@check("LINK_IP_LITERAL", "links")
def link_ip_literal(ev: Evidence) -> Hit | None:
    for link in clickable(ev):
        if is_ip(link.host):
            return Hit(evidence=[f"url: {link.url}"], params={"url": link.url, "host": link.host})
    return None


@check("LINK_SHORTENER", "links")
def link_shortener(ev: Evidence) -> Hit | None:
    """A URL shortener hides where the link goes."""
    for link in clickable(ev):
        if in_list("url_shorteners", link.host):
            return Hit(evidence=[f"url: {link.url}"], params={"host": link.host})
    return None


@check("LINK_SUSPICIOUS_TLD", "links")
def link_suspicious_tld(ev: Evidence) -> Hit | None:
    hosts = sorted({link.host for link in clickable(ev) if tld_is_suspicious(link.host)
                    and not ev.brand_index.is_brand_domain(link.registrable_domain)})  # proton.me is Proton's
    if not hosts:
        return None
    return Hit(evidence=[f"host: {h}" for h in hosts[:5]], params={"hosts": ", ".join(hosts[:3])})


@check("BRAND_CLAIM_FOREIGN_LINKS", "links")
def brand_claim_foreign_links(ev: Evidence) -> Hit | None:
    """The mail claims a brand, and none of its links go to that brand's domains."""
    claims = ev.brand_claims
    links = [link for link in clickable(ev) if link.registrable_domain or is_ip(link.host)]
    if not claims or not links:
        return None
    brand = claims[0].brand
    confidence = 0.5 if claims[0].weak else 1.0
    if not brand.official_domains:
        return None
    if ev.from_addr and brand_owns(ev, brand, ev.from_addr):
        return None  # the brand's own mail may route links through its mail provider
    if any(ev.brand_index.is_official(brand, link.registrable_domain)
           or link.registrable_domain in brand.free_mail_domains for link in links):
        return None  # a mail provider's pages live on its mail domain (account.proton.me)
    foreign = sorted({link.registrable_domain or link.host for link in links})
    return Hit(evidence=[f"brand: {brand.name}", *(f"link domain: {d}" for d in foreign[:5])],
               params={"brand": brand.name, "domains": ", ".join(foreign[:3]),
                       "official": official_list(brand)}, confidence=confidence)


_HOSTING_LISTS = ("free_file_hosts", "free_subdomain_hosts", "self_service_creation_platform_domains")


@check("LINK_FREE_HOSTING", "links")
def link_free_hosting(ev: Evidence) -> Hit | None:
    """A link to a page anyone can put up for free (cloud storage buckets, site builders, form
    services): phishing kits live there because the host's own name is trusted."""
    for link in clickable(ev):
        for name in _HOSTING_LISTS:
            if in_list(name, link.host):
                return Hit(evidence=[f"url: {link.url}", f"list: {name}"], params={"host": link.host})
    return None


@check("PDF_ATTACHMENT_LINK", "links")
def pdf_attachment_link(ev: Evidence) -> Hit | None:
    """A PDF attachment carries a link to someone else's site: the "document" lure, whose button
    leads to the phishing page while the mail itself shows little or nothing to check."""
    sender = ev.from_addr.registrable_domain if ev.from_addr else ""
    in_pdf = [link for link in ev.links if link.source == "pdf" and link.registrable_domain
              and link.registrable_domain != sender]
    if not in_pdf:
        return None
    own = [link for link in ev.links if link.source in ("href", "text", "form")]
    link = in_pdf[0]
    # The lure works when the document is all there is: a mail full of its own links is more
    # likely a newsletter or an invoice with a link to the shop.
    confidence = 1.0 if len(own) <= 2 else 0.5
    evidence = [f"{x.text}: {x.url}" for x in in_pdf[:5]]
    evidence.append(f"links in the mail itself: {len(own)}")
    return Hit(evidence=evidence, params={"url": link.url, "host": link.host, "file": link.text.removeprefix("PDF: ")},
               confidence=confidence)
