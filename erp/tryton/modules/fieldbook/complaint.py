"""After-sales requests about a customer alone.

Tryton's `sale_complaint` files every complaint against a document (a sale,
a sale line, an invoice or an invoice line): a complaint type must name
one. A salesperson is also asked for things no document covers (training,
a visit, samples), so here a complaint type may have no origin: a request
of such a type is about its customer alone. `sale.complaint` itself already
requires an origin only when its type has one, and it has no actions to
take without one, so approving, rejecting and closing work as for any
complaint.
"""
from trytond.model import fields
from trytond.pool import PoolMeta


class ComplaintType(metaclass=PoolMeta):
    __name__ = 'sale.complaint.type'

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls.origin.required = False


class Complaint(metaclass=PoolMeta):
    __name__ = 'sale.complaint'

    @fields.depends('type')
    def get_origin(self):
        # A type without origin offers no document to choose.
        if self.type and not self.type.origin:
            return [('', '')]
        return super().get_origin()
