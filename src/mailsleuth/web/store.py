"""The history store: every analysed mail with its report, so it can be listed and re-rendered.

SQLAlchemy Core/ORM over any database URL: SQLite by default (a file, or ``sqlite://`` for memory),
PostgreSQL (``postgresql+psycopg://...``) works too. One table, ``mailsleuth_reports``.

Each row keeps the answers its analysis got (geo-IP, ASN, feeds: the evidence bundle without the mail
and the report, which have their own columns), so a later rendering replays them and shows the verdict
that was stored, even after the feeds changed. Rows written before that column existed have none and
are analysed again; the column is added to an older table when the store opens.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import threading
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import (
    DateTime,
    Float,
    LargeBinary,
    String,
    Text,
    create_engine,
    delete,
    event,
    func,
    inspect,
    select,
    text,
)
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, sessionmaker
from sqlalchemy.pool import StaticPool


class Base(DeclarativeBase):
    pass


class ReportRow(Base):
    __tablename__ = "mailsleuth_reports"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    created: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), index=True)
    verdict: Mapped[str] = mapped_column(String(16))
    score: Mapped[float] = mapped_column(Float)
    brand: Mapped[str | None] = mapped_column(String(200), nullable=True)
    brand_en: Mapped[str | None] = mapped_column(String(200), nullable=True)
    subject: Mapped[str] = mapped_column(Text)
    report_json: Mapped[str] = mapped_column(Text)
    raw: Mapped[bytes] = mapped_column(LargeBinary)
    answers_json: Mapped[str | None] = mapped_column(Text, nullable=True)


@dataclass(frozen=True, slots=True)
class Stored:
    id: str
    created: dt.datetime
    verdict: str
    score: float
    brand: str | None
    brand_en: str | None
    subject: str
    report: dict[str, Any]
    raw: bytes
    answers: dict[str, Any] | None = None  # {"analysed_at", "options", "answers"}; None: not recorded


def default_db_url() -> str:
    path = Path.home() / ".local" / "share" / "mailsleuth" / "web.sqlite"
    return f"sqlite:///{path}"


def _engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        args: dict[str, Any] = {"connect_args": {"check_same_thread": False}}
        if url in ("sqlite://", "sqlite:///:memory:"):
            args["poolclass"] = StaticPool  # one shared in-memory database
        else:
            db = url.split("///", 1)[-1]
            if db and not db.startswith(":"):
                Path(db).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, **args)
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(url, pool_pre_ping=True)


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    with contextlib.suppress(Exception):  # in-memory databases have no WAL
        cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA busy_timeout=10000")
    cur.close()


class Store:
    def __init__(self, url: str) -> None:
        self.engine = _engine(url)
        # SQLite has one writer at a time and its busy handler backs off in steps of up to 100 ms: writers in
        # this process take turns here instead (other processes still rely on the busy timeout).
        self._write = threading.Lock() if url.startswith("sqlite") else contextlib.nullcontext()
        Base.metadata.create_all(self.engine)
        self._add_missing_columns()
        self._session = sessionmaker(self.engine, expire_on_commit=False)

    def _add_missing_columns(self) -> None:
        """Bring a table made by an older version up to date (only nullable columns were added since)."""
        def columns() -> set[str]:
            return {c["name"] for c in inspect(self.engine).get_columns(ReportRow.__tablename__)}

        if "answers_json" in columns():
            return
        try:
            with self.engine.begin() as conn:
                conn.execute(text(f"ALTER TABLE {ReportRow.__tablename__} ADD COLUMN answers_json TEXT"))
        except DBAPIError:
            if "answers_json" not in columns():  # not another process adding it at the same moment
                raise

    def close(self) -> None:
        self.engine.dispose()

    def add(self, report: dict[str, Any], raw: bytes, answers: dict[str, Any] | None = None) -> Stored:
        brand = report.get("brand") or {}
        row = ReportRow(
            id=uuid.uuid4().hex, created=dt.datetime.now(dt.UTC), verdict=str(report["verdict"]),
            score=float(report["score"]), brand=brand.get("name"), brand_en=brand.get("name_en"),
            subject=str(report.get("subject") or ""), report_json=json.dumps(report, ensure_ascii=False), raw=raw,
            answers_json=json.dumps(answers, ensure_ascii=False) if answers is not None else None)
        with self._write, self._session() as s, s.begin():
            s.add(row)
        return _stored(row)

    def get(self, report_id: str) -> Stored | None:
        with self._session() as s:
            row = s.get(ReportRow, report_id)
            return _stored(row) if row is not None else None

    def list(self, limit: int = 100, offset: int = 0) -> tuple[int, list[Stored]]:
        with self._session() as s:
            total = s.scalar(select(func.count()).select_from(ReportRow)) or 0
            rows = s.scalars(select(ReportRow).order_by(ReportRow.created.desc(), ReportRow.id)
                             .limit(limit).offset(offset)).all()
            return int(total), [_stored(r) for r in rows]

    def delete(self, report_id: str) -> bool:
        with self._write, self._session() as s, s.begin():
            return bool(s.execute(delete(ReportRow).where(ReportRow.id == report_id)).rowcount)  # type: ignore[attr-defined]

    def clear(self) -> int:
        with self._write, self._session() as s, s.begin():
            return int(s.execute(delete(ReportRow)).rowcount)  # type: ignore[attr-defined]


def _stored(row: ReportRow) -> Stored:
    created = row.created if row.created.tzinfo else row.created.replace(tzinfo=dt.UTC)  # SQLite drops the zone
    return Stored(id=row.id, created=created, verdict=row.verdict, score=row.score, brand=row.brand,
                  brand_en=row.brand_en, subject=row.subject, report=json.loads(row.report_json), raw=row.raw,
                  answers=json.loads(row.answers_json) if row.answers_json else None)
