"""The bound a laptop's next delta sync reads changes from.

A delta sync asks for the records written since the previous sync began,
by the ERP's clock. On PostgreSQL a record's `write_date` (and
`create_date`) is the start of the transaction that wrote it, and the
record becomes visible only when that transaction commits: a long
transaction (an inventory, a batch invoice posting, a slow import) that
began before a sync and commits after it writes rows dated *before* the
sync's start, which the next delta would never ask for. So the clock the
laptop takes as its bound is the start of the oldest transaction still
running on this database, when there is one, and the server's time
otherwise: whatever commits later is dated at or after it.

On PostgreSQL that bound is exact (`capabilities` says so), and the laptop
reads from it with no overlap. It is taken `MARGIN` early: PostgreSQL
dates a transaction when its first statement arrives and lists it in
`pg_stat_activity` an instant later, so a transaction starting as the
clock is read could be dated before the clock yet not be listed; the
margin re-reads a second of changes rather than miss one. On SQLite a
write is dated when it is made and seen when its transaction commits, so
the laptop keeps an overlap there.
"""
import datetime as dt

from trytond import backend
from trytond.model import Model
from trytond.model.exceptions import AccessError
from trytond.pool import Pool, PoolMeta
from trytond.rpc import RPC
from trytond.transaction import Transaction

# How much earlier than the oldest running transaction (or now) the clock
# answers on PostgreSQL: the instant between a transaction taking its start
# time and showing in pg_stat_activity, with room for a busy server.
MARGIN = dt.timedelta(seconds=1)
# How long a confirmation waits for the credit limit check's table locks
# before it fails (and the laptop tries again).
LOCK_TIMEOUT = '30s'


class Sync(Model):
    "Fieldbook Sync"
    __name__ = 'fieldbook.sync'

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls.__rpc__['capabilities'] = RPC(readonly=True)
        cls.__rpc__['clock'] = RPC(readonly=True)
        cls.__rpc__['survey'] = RPC(readonly=True)
        cls.__rpc__['reads'] = RPC(readonly=True)

    @classmethod
    def capabilities(cls):
        """What this module offers a laptop, asked once per session:
        `exact_clock` when every change not yet committed, or committed
        after `clock` answered, is dated at or after that answer, so a delta
        from it needs no overlap (PostgreSQL, where `clock` sees every
        running transaction of Tryton's database role)."""
        return {'exact_clock': backend.name == 'postgresql'}

    @classmethod
    def clock(cls):
        """Returns (naive, UTC) the time from which every change not yet
        read is dated: the start of the oldest other transaction on this
        database still running, or now; on PostgreSQL, `MARGIN` before."""
        now = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)
        if backend.name != 'postgresql':
            # SQLite runs one writer at a time and dates a write when it
            # is made.
            return now
        cursor = Transaction().connection.cursor()
        # Tryton's workers share one database role, so this role sees the
        # other workers' transactions in pg_stat_activity.
        cursor.execute(
            "SELECT min(xact_start) AT TIME ZONE 'UTC', "
            "clock_timestamp() AT TIME ZONE 'UTC' "
            "FROM pg_stat_activity "
            "WHERE datname = current_database() "
            "AND pid <> pg_backend_pid() "
            "AND backend_type = 'client backend' "
            "AND xact_start IS NOT NULL")
        oldest, server_now = cursor.fetchone()
        if oldest is None or oldest > server_now:
            return server_now - MARGIN
        return oldest - MARGIN

    @classmethod
    def survey(cls, queries):
        """What a laptop's delta sync needs to know before it reads a page,
        in one request: the clock (see `clock`), then for each query
        `[model, domain, context, models]` the number of `model` records in
        `domain` (searched with `context` added), or, when the user may not
        read `model` or one of `models`, `{"denied": model, "message": ...}`.

        Each count runs with the caller's rights and record rules, as the
        same `search_count` over JSON-RPC would: a sync with nothing new
        asks this once instead of once per entity."""
        pool = Pool()
        ModelAccess = pool.get('ir.model.access')
        transaction = Transaction()
        clock = cls.clock()
        answers = []
        for model, domain, context, models in queries:
            denied = model
            try:
                for name in [model] + list(models or []):
                    denied = name
                    ModelAccess.check(name, 'read')
                denied = model
                Target = pool.get(model)
                with transaction.set_context(**(context or {})):
                    answers.append({'count': Target.search_count(domain)})
            except AccessError as error:
                answers.append({'denied': denied, 'message': error.message})
        return {'clock': clock, 'answers': answers}

    @classmethod
    def reads(cls, queries):
        """Several reads in one request, each as the same call over JSON-RPC
        would answer it, with the caller's rights: `["search_read", model,
        domain, fields, context]` or `["read", model, ids, fields, context]`.
        What a laptop needs before it sends an order (the sale with its
        uuid, the customer's payment term, the products' units) costs one
        request instead of three."""
        pool = Pool()
        transaction = Transaction()
        results = []
        for kind, model, first, fields, context in queries:
            Target = pool.get(model)
            with transaction.set_context(**(context or {})):
                if kind == 'search_read':
                    results.append(Target.search_read(
                            first, order=[('id', 'ASC')], fields_names=fields))
                elif kind == 'read':
                    results.append(Target.read(first, fields))
                else:
                    raise ValueError("unknown read %r" % kind)
        return results


class Sale(metaclass=PoolMeta):
    __name__ = 'sale.sale'

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls.__rpc__['fieldbook_process'] = RPC(
            readonly=False, instantiate=0)

    @classmethod
    def fieldbook_process(cls, sales, confirm):
        """Takes sales to quotation, and to confirmed when `confirm`, in one
        request and one transaction, through the same buttons (and so the
        same rights and checks) as the client's; returns what a laptop
        records of each: number, state, totals and each line's product,
        quantity and unit price. Refused at confirmation
        (a credit limit), nothing of it is kept: the sale stays a draft."""
        if confirm:
            cls._fieldbook_wait_for_credit_limit_locks(sales)
        drafts = [s for s in sales if s.state == 'draft']
        if drafts:
            cls.quote(drafts)
        if confirm:
            quotations = [s for s in cls.browse(sales) if s.state == 'quotation']
            if quotations:
                cls.confirm(quotations)
        rows = cls.read([s.id for s in sales], [
                'number', 'state', 'untaxed_amount', 'tax_amount',
                'total_amount'])
        # Each line's price as the ERP now holds it (after the promotions
        # applied at quotation), for the laptop to compare with what it
        # showed: [product, quantity, unit_price].
        lines = {s.id: [
                [l.product.id if l.product else None, l.quantity,
                    l.unit_price]
                for l in s.lines if l.type == 'line']
            for s in cls.browse(sales)}
        for row in rows:
            row['fieldbook_lines'] = lines[row['id']]
        return rows

    @classmethod
    def _fieldbook_wait_for_credit_limit_locks(cls, sales):
        """Takes, waiting its turn, the table locks Tryton's credit limit
        check takes at confirmation (`sale_credit_limit`: move lines, sales,
        sale lines, in `Party._credit_limit_to_lock`).

        Tryton takes them with NOWAIT and gives up after a few retries of a
        tenth of a second: two laptops confirming at once, or one
        confirming while another's sale was being written, made the second
        fail with "could not obtain lock" (HTTP 503). Waiting for them
        first, before this transaction writes anything (so it holds nothing
        another confirmation waits for), queues confirmations instead; they
        are then marked as taken so Tryton's own `lock()` goes through.
        Tables are locked in one order, so two confirmations never wait on
        each other crosswise; after `LOCK_TIMEOUT` the request fails as
        before and the laptop tries again."""
        if backend.name != 'postgresql':
            # SQLite runs one writer at a time.
            return
        from psycopg.sql import SQL, Identifier, Literal
        pool = Pool()
        Party = pool.get('party.party')
        to_lock = getattr(Party, '_credit_limit_to_lock', None)
        checks = [s for s in sales
            if s.state in {'draft', 'quotation'}
            and getattr(s, 'must_check_credit_limit', None)
            and s.must_check_credit_limit()]
        if to_lock is None or not checks:
            return
        transaction = Transaction()
        # Tryton 8.2's record of the tables this transaction has locked.
        locked = getattr(transaction, '_locked_tables', None)
        if locked is None:
            return
        tables = sorted({pool.get(m)._table for m in to_lock()} - locked)
        if not tables:
            return
        cursor = transaction.connection.cursor()
        cursor.execute(
            SQL("SET LOCAL lock_timeout = {}").format(Literal(LOCK_TIMEOUT)))
        cursor.execute(SQL('LOCK {} IN EXCLUSIVE MODE').format(
                SQL(', ').join(map(Identifier, tables))))
        cursor.execute(SQL("SET LOCAL lock_timeout = DEFAULT"))
        locked.update(tables)
