"""The client's UUID on what Fieldbook creates, so nothing arrives twice.

A salesperson's laptop gives every record it creates offline (a sale, a
customer, an address, a contact, a complaint) a UUID and sends it with the
record. Before creating, Fieldbook looks the UUID up; and the unique
constraint here makes the ERP itself refuse a second record with the same
UUID, so a retry after a lost answer, a crash between sending and hearing
back, or a second device replaying the same entry never makes a duplicate.
Records made in Tryton itself have none (NULL, which the constraint allows
any number of times), and a copy does not inherit it.
"""
from sql import Null

from trytond.model import Index, Unique, fields
from trytond.pool import PoolMeta


class FieldbookUuidMixin:
    __slots__ = ()

    fieldbook_uuid = fields.Char(
        "Fieldbook UUID", strip=False,
        help="Set by the Fieldbook client that created this record, "
        "so it is never created twice.")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        table = cls.__table__()
        cls._sql_constraints += [
            ('fieldbook_uuid_unique', Unique(table, table.fieldbook_uuid),
                'fieldbook.msg_fieldbook_uuid_unique'),
            ]
        cls._sql_indexes.add(
            Index(table, (table.fieldbook_uuid, Index.Equality()),
                where=table.fieldbook_uuid != Null))

    @classmethod
    def copy(cls, records, default=None):
        default = dict(default or {})
        default.setdefault('fieldbook_uuid', None)
        return super().copy(records, default=default)


class Party(FieldbookUuidMixin, metaclass=PoolMeta):
    __name__ = 'party.party'


class Address(FieldbookUuidMixin, metaclass=PoolMeta):
    __name__ = 'party.address'


class ContactMechanism(FieldbookUuidMixin, metaclass=PoolMeta):
    __name__ = 'party.contact_mechanism'


class Sale(FieldbookUuidMixin, metaclass=PoolMeta):
    __name__ = 'sale.sale'


class Complaint(FieldbookUuidMixin, metaclass=PoolMeta):
    __name__ = 'sale.complaint'
