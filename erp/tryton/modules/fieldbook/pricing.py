"""Sale lines a laptop sends without a unit price.

A laptop prices each line offline as the ERP would (the customer's price
list with its quantity tiers, the promotions) and sends that price. Where it
cannot know the ERP's price (a price-list formula it cannot evaluate, a list
whose prices include taxes), it sends the line without one, and the ERP
prices it here exactly as Tryton's own client does when a product or a
quantity is entered: `compute_unit_price`, and with `sale_discount`
`compute_base_price`, on a line of the sale it belongs to (so with the
sale's party, price list, date and currency).

Only lines of sales written by Fieldbook (with a `fieldbook_uuid`) are
priced; any other line without a price is refused by Tryton as before, and
so is a Fieldbook line the ERP has no price for either.
"""
from trytond.pool import Pool, PoolMeta


class SaleLine(metaclass=PoolMeta):
    __name__ = 'sale.line'

    @classmethod
    def create(cls, vlist):
        pool = Pool()
        Sale = pool.get('sale.sale')
        vlist = [dict(values) for values in vlist]
        for values in vlist:
            if (values.get('type', 'line') != 'line'
                    or values.get('unit_price') is not None
                    or values.get('product') is None
                    or values.get('sale') is None):
                continue
            sale = Sale(values['sale'])
            if not sale.fieldbook_uuid:
                continue
            # The fields pricing reads, as the client has them when it
            # prices a line; the laptop sends no taxes.
            line = cls(
                sale=sale, type='line', product=values['product'],
                quantity=values.get('quantity'), unit=values.get('unit'),
                taxes=[], company=sale.company)
            values['unit_price'] = line.compute_unit_price()
            if ('base_price' in cls._fields
                    and values.get('base_price') is None):
                values['base_price'] = line.compute_base_price()
        return super().create(vlist)
