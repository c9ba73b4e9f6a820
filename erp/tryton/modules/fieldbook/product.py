"""Stock per warehouse and list prices for many products in one call.

Reading `quantity` and `forecast_quantity` on `product.product` costs about
2 ms per product and warehouse: Tryton's own query is one SQL statement, but
rounding each result to its unit instantiates every product and template.
For a laptop's first sync of 50,000 products that is three minutes of the
ERP's time. `fieldbook_stock` runs the same query as those fields
(`stock.move.compute_quantities_query`, a warehouse with its children, the
same dates and forecast flag) and rounds with the units read in one query,
so its figures are Tryton's own, for every product at once.

`list_price_used` costs about half a millisecond per product: the price is
company-dependent (`product.list_price`, a row for the variant or for its
template), and Tryton finds it by instantiating each product, its template
and their price rows. `fieldbook_list_price` reads the same rows for a whole
page of products at once and picks the one `list_price_used` would pick.
"""
import datetime
from collections import defaultdict

from sql import Null

from trytond import backend
from trytond.model import fields
from trytond.modules.product import price_digits
from trytond.pool import Pool, PoolMeta
from trytond.rpc import RPC
from trytond.tools import grouped_slice
from trytond.transaction import Transaction


class Product(metaclass=PoolMeta):
    __name__ = 'product.product'

    fieldbook_list_price = fields.Function(
        fields.Numeric("List Price (Fieldbook)", digits=price_digits),
        'get_fieldbook_list_price')

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls.__rpc__['fieldbook_stock'] = RPC(readonly=True)

    @classmethod
    def get_fieldbook_list_price(cls, products, name):
        """`list_price_used` for many products at once.

        As `Product.get_list_price_used` does through `get_multivalue`: the
        first of the variant's own price rows (`product` set) for the
        context's company or for no company, company rows first, then by id;
        when there is none or its price is empty, the first of the
        template's rows without a variant, in the same order.
        """
        pool = Pool()
        ListPrice = pool.get('product.list_price')
        company = Transaction().context.get('company')
        ids = [p.id for p in products]
        template_of = {
            row['id']: row['template'] for row in cls.read(ids, ['template'])}
        of_company = [('company', '=', None)]
        if company is not None:
            of_company = ['OR', ('company', '=', company)] + of_company
        size = backend.MAX_QUERY_PARAMS // 2
        rows = []
        for key, values in [
                ('product', ids),
                ('template', sorted(set(template_of.values()))),
                ]:
            for chunk in grouped_slice(values, size):
                found = ListPrice.search([
                        (key, 'in', list(chunk)),
                        of_company,
                        ] + ([('product', '=', None)]
                        if key == 'template' else []),
                    order=[('id', 'ASC')])
                rows.extend(ListPrice.read(
                        [r.id for r in found],
                        ['template', 'product', 'company', 'list_price']))
        # Rows for a company before rows for none; by id within each.
        rows.sort(key=lambda r: (r['company'] is None, r['id']))
        variant_price, template_price = {}, {}
        for row in rows:
            if row['product'] is not None:
                variant_price.setdefault(row['product'], row['list_price'])
            else:
                template_price.setdefault(row['template'], row['list_price'])
        prices = {}
        for product_id in ids:
            price = variant_price.get(product_id)
            if price is None:
                price = template_price.get(template_of[product_id])
            prices[product_id] = price
        return prices

    @classmethod
    def fieldbook_stock(cls, warehouse_ids, product_ids=None):
        """Returns, for each warehouse, `[product_id, quantity, forecast]`
        for every product with a non-zero quantity or forecast there, in the
        product's default unit, as `product.product` reads them in the
        context `{"locations": [warehouse_id]}`. Products not listed have
        both at zero. `product_ids`, when given, limits the answer to them.
        """
        pool = Pool()
        Location = pool.get('stock.location')
        Move = pool.get('stock.move')
        Date = pool.get('ir.date')
        transaction = Transaction()

        warehouses = Location.browse(warehouse_ids)
        for warehouse in warehouses:
            if warehouse.type != 'warehouse':
                raise ValueError(
                    "location %s is not a warehouse" % warehouse.id)
        grouping_filter = None
        if product_ids is not None:
            grouping_filter = (list(map(int, product_ids)),)

        today = Date.today()
        figures = {}
        for warehouse in warehouses:
            quantities = defaultdict(lambda: [0.0, 0.0])
            for index, (forecast, date_end) in enumerate([
                        (False, today),
                        (True, datetime.date.max),
                        ]):
                with transaction.set_context(
                        forecast=forecast, stock_date_end=date_end):
                    query = Move.compute_quantities_query(
                        [warehouse.id], with_childs=True,
                        grouping=('product',),
                        grouping_filter=grouping_filter)
                if query is None:
                    continue
                cursor = transaction.connection.cursor()
                cursor.execute(*query)
                for _, product_id, quantity in cursor:
                    if product_id is not None:
                        quantities[product_id][index] += quantity or 0
            rounded = cls._fieldbook_round(quantities)
            figures[str(warehouse.id)] = [
                [product_id, quantity, forecast]
                for product_id, (quantity, forecast) in sorted(rounded.items())
                if quantity or forecast]
        return figures

    @classmethod
    def _fieldbook_round(cls, quantities):
        "Rounds each product's figures to its default unit, as Tryton does."
        pool = Pool()
        Template = pool.get('product.template')
        Uom = pool.get('product.uom')
        product = cls.__table__()
        template = Template.__table__()
        cursor = Transaction().connection.cursor()
        unit_of = {}
        ids = list(quantities)
        for start in range(0, len(ids), 1000):
            chunk = ids[start:start + 1000]
            cursor.execute(*product.join(
                    template, condition=product.template == template.id
                    ).select(product.id, template.default_uom,
                    where=fields.SQL_OPERATORS['in'](product.id, chunk)
                    & (template.default_uom != Null)))
            unit_of.update(cursor)
        units = {u.id: u for u in Uom.browse(list(set(unit_of.values())))}
        return {
            product_id: [units[unit_of[product_id]].round(figure)
                for figure in figures]
            for product_id, figures in quantities.items()
            if product_id in unit_of}
