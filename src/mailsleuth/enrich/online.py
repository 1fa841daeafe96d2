"""The online look-ups of one message, run concurrently under one deadline.

``mailsleuth analyze --online`` asks, for one mail: DKIM/SPF/DMARC and the origin's reverse DNS
(:mod:`.auth`), where the link hosts resolve (:mod:`.hosting`), who registered the link and
sender domains and who holds the origin address (RDAP, WHOIS as fallback), and - when the user
gave API keys - what reputation services know of the links. These are independent, each waits on
the network, and one slow registry must not hold the report: they run in a thread pool, and
whatever has not answered when ``deadline`` seconds have passed is reported as "skipped, because
the deadline ... passed" (its own time-outs still bound each look-up).

Every answer goes through the message's :class:`~.journal.Journal`, so the run can be written to
an evidence bundle and replayed. A replay runs the same tasks one after the other against the
recorded answers, and skips the tasks the recording had to give up on, with the same words.
"""

from __future__ import annotations

import concurrent.futures as cf
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from ..models import CLICKABLE
from .auth import Authenticator, AuthResults
from .enricher import Enricher
from .hosting import LinkHosting, resolve_link_hosts
from .journal import Entry, Journal, failure_text
from .providers import Skipped, decoder, encode_list, encode_optional, list_decoder

if TYPE_CHECKING:
    from ..evidence import Evidence
    from .dnsprovider import DnsProvider
    from .registration import DomainRegistration, IpRegistration, RegistrationProvider
    from .reputation import ReputationAnswer, ReputationProvider

DEFAULT_DEADLINE = 20.0  # seconds for all online look-ups of one message
MAX_DOMAINS = 5  # registrable domains asked about per message (links first, then the sender's)
MAX_REPUTATION_LINKS = 5  # links asked about per reputation service
NEGATIVE_TTL = 3600


@dataclass(frozen=True, slots=True)
class OnlineResults:
    """What the online look-ups of one message found."""

    auth: AuthResults | None = None
    hosting: tuple[LinkHosting, ...] = ()
    registrations: tuple[DomainRegistration, ...] = ()
    origin_registration: IpRegistration | None = None
    reputation: tuple[ReputationAnswer, ...] = ()
    skipped: tuple[Skipped, ...] = ()
    deadline: float = DEFAULT_DEADLINE

    def registration_of(self, domain: str) -> DomainRegistration | None:
        return next((r for r in self.registrations if r.domain == domain), None)

    def to_dict(self) -> dict[str, Any]:
        return {
            "registrations": [r.to_dict() for r in self.registrations],
            "origin_registration": self.origin_registration.to_dict() if self.origin_registration else None,
            "reputation": [r.to_dict() for r in self.reputation],
            "skipped": [s.to_dict() for s in self.skipped],
            "deadline": self.deadline,
        }


@dataclass
class OnlineLookups:
    """The online providers of a run (shared by all its messages) and the per-message deadline."""

    dns: DnsProvider | None = None
    registration: RegistrationProvider | None = None
    reputation: Sequence[ReputationProvider] = field(default_factory=tuple)
    deadline: float = DEFAULT_DEADLINE
    max_domains: int = MAX_DOMAINS
    authenticator: Authenticator | None = None  # brand-domain hook etc.; its dns is replaced per message

    def run(self, ev: Evidence, raw: bytes, enricher: Enricher, journal: Journal) -> OnlineResults:
        """Every look-up for one message; never raises, never waits much past ``deadline``."""
        dns = self.dns.with_journal(journal) if self.dns is not None else None
        tasks: dict[str, Callable[[], Any]] = {}
        if dns is not None:
            auth = replace(self.authenticator or Authenticator(), dns=dns)
            tasks["auth"] = lambda: auth.authenticate(ev, raw)
            tasks["hosting"] = lambda: resolve_link_hosts(ev.links, dns, enricher)
        if self.registration is not None:
            reg = self.registration
            for dom in self._domains(ev):
                tasks[f"registration {dom}"] = _ask_domain(journal, reg, dom)
            if ev.origin is not None and ev.origin.ip:
                tasks[f"registration {ev.origin.ip}"] = _ask_ip(journal, reg, ev.origin.ip)
        for provider in self.reputation:
            for link in _reputation_links(ev):
                tasks[f"reputation {provider.name} {link[0]}"] = _ask_reputation(journal, provider, *link)
        done, missed = self._execute(tasks, journal)
        return self._gather(done, missed)

    def _domains(self, ev: Evidence) -> list[str]:
        """The links' registrable domains in order, then the sender's, ``max_domains`` at most."""
        out: dict[str, None] = {}
        for link in ev.links:
            if len(out) >= self.max_domains:
                break
            if link.source in CLICKABLE and link.registrable_domain:
                out.setdefault(link.registrable_domain)
        domains = list(out)
        sender = ev.from_addr.registrable_domain if ev.from_addr else ""
        if sender and sender not in out:
            domains.insert(min(len(domains), self.max_domains - 1), sender)
        return domains[: self.max_domains]

    def _execute(self, tasks: dict[str, Callable[[], Any]], journal: Journal,
                 ) -> tuple[dict[str, Any], list[str]]:
        """Results by task name, and the names of the tasks the deadline cut off."""
        done: dict[str, Any] = {}
        if journal.replaying:
            cut = {e.key for e in journal.replayed() if e.kind == "deadline"}
            for name, fn in tasks.items():
                if name in cut:
                    journal.note(Entry("online", "deadline", name))
                else:
                    done[name] = _safely(fn)
            return done, [n for n in tasks if n in cut]
        if not tasks:
            return done, []
        pool = cf.ThreadPoolExecutor(max_workers=min(8, len(tasks)), thread_name_prefix="mailsleuth-online")
        futures = {pool.submit(_safely, fn): name for name, fn in tasks.items()}
        finished, _pending = cf.wait(futures, timeout=self.deadline)
        pool.shutdown(wait=False, cancel_futures=True)  # look-ups still running end on their own time-outs
        missed = []
        for fut, name in futures.items():
            if fut in finished:
                done[name] = fut.result()
            else:
                missed.append(name)
                journal.note(Entry("online", "deadline", name))
        journal.close()
        return done, missed

    def _gather(self, done: dict[str, Any], missed: list[str]) -> OnlineResults:
        skipped: list[Skipped] = []
        regs: list[DomainRegistration] = []
        origin_reg: IpRegistration | None = None
        rep: list[ReputationAnswer] = []
        auth: AuthResults | None = None
        hosting: list[LinkHosting] = []
        for name, result in done.items():
            if isinstance(result, Skipped):
                skipped.append(result)
            elif name == "auth":
                auth = result
            elif name == "hosting":
                hosting = result
            elif name.startswith("registration "):
                if result is None:
                    continue
                if hasattr(result, "domain"):
                    regs.append(result)
                else:
                    origin_reg = result
            elif name.startswith("reputation "):
                rep.extend(result)
        for name in missed:
            skipped.append(Skipped("online", f"skipped, because the deadline of {self.deadline:g} s per message "
                                             "passed before it answered", name))
        return OnlineResults(auth=auth, hosting=tuple(hosting), registrations=tuple(regs),
                             origin_registration=origin_reg, reputation=tuple(rep), skipped=tuple(skipped),
                             deadline=self.deadline)


def _safely(fn: Callable[[], Any]) -> Any:
    try:
        return fn()
    except Exception as exc:  # each task's own failure: a "skipped" entry, never an exception
        return Skipped("online", f"skipped, because {failure_text(exc)}")


def _reputation_links(ev: Evidence) -> list[tuple[str, str, str]]:
    out: dict[str, tuple[str, str, str]] = {}
    for link in ev.links:
        if len(out) >= MAX_REPUTATION_LINKS:
            break
        if link.source in CLICKABLE and link.registrable_domain and link.url not in out:
            out[link.url] = (link.url, link.host, link.registrable_domain)
    return list(out.values())


def _ask_domain(journal: Journal, reg: RegistrationProvider, domain: str) -> Callable[[], Any]:
    return _ask_registration(journal, reg, "registration-domain", domain, reg.domain)


def _ask_ip(journal: Journal, reg: RegistrationProvider, ip: str) -> Callable[[], Any]:
    return _ask_registration(journal, reg, "registration-ip", ip, reg.ip)


def _ask_registration(journal: Journal, reg: RegistrationProvider, kind: str, key: str,
                      fn: Callable[[str], Any]) -> Callable[[], Any]:
    def run() -> Any:
        from .registration import DomainRegistration, IpRegistration

        cls = DomainRegistration if kind == "registration-domain" else IpRegistration
        try:
            return journal.ask(reg.name, kind, key, lambda: fn(key), encode_optional, decoder(cls), _ttl)
        except Exception as exc:
            return Skipped(reg.name, _because(exc), key)

    return run


def _ask_reputation(journal: Journal, provider: ReputationProvider, url: str, host: str,
                    domain: str) -> Callable[[], Any]:
    def run() -> Any:
        from .reputation import ReputationAnswer

        try:
            return journal.ask(provider.name, "reputation", url, lambda: provider.lookup(url, host, domain),
                               encode_list, list_decoder(ReputationAnswer),
                               lambda answers: min((a.ttl or 0 for a in answers), default=0) or None)
        except Exception as exc:
            return Skipped(provider.name, _because(exc), url)

    return run


def _because(exc: BaseException) -> str:
    text = failure_text(exc)
    return text if text.startswith("skipped, because") else f"skipped, because {text}"


def _ttl(answer: Any) -> int | None:
    """How long a registration answer is reused; "no such domain" for an hour (it may be registered next)."""
    return getattr(answer, "ttl", None) if answer is not None else NEGATIVE_TTL


__all__ = ["DEFAULT_DEADLINE", "OnlineLookups", "OnlineResults"]
