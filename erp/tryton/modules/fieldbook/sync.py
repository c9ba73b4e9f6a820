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
"""
import datetime as dt

from trytond import backend
from trytond.model import Model
from trytond.model.exceptions import AccessError
from trytond.pool import Pool
from trytond.rpc import RPC
from trytond.transaction import Transaction


class Sync(Model):
    "Fieldbook Sync"
    __name__ = 'fieldbook.sync'

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls.__rpc__['clock'] = RPC(readonly=True)
        cls.__rpc__['survey'] = RPC(readonly=True)

    @classmethod
    def clock(cls):
        """Returns (naive, UTC) the time from which every change not yet
        read is dated: the start of the oldest other transaction on this
        database still running, or now."""
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
            return server_now
        return oldest

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
