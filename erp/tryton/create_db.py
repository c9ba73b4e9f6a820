#!/usr/bin/env python3
"""Create and configure the Fieldbook reference Tryton database.

Run with the virtualenv's python:

    python create_db.py --config CONF --database NAME [--admin-password PW]

CONF is a trytond configuration file. With an SQLite ``[database] uri`` and
``path``, the database file is PATH/NAME.sqlite and must not exist yet; with
a PostgreSQL ``uri`` (``postgresql://USER@HOST:PORT/``), the database NAME
must not exist yet and is created on that server.

Everything runs in-process (trytond's Pool/Transaction API, proteus for the two
setup wizards); no server is needed. On any error the script exits non-zero
with a message on stderr and removes the half-made database file.
"""
import argparse
import datetime
import os
import sys
import time
import traceback
from decimal import Decimal

MODULES = [
    'party', 'company', 'currency', 'country', 'product', 'stock', 'sale',
    'account', 'account_invoice', 'account_credit_limit', 'sale_credit_limit',
    'sale_complaint', 'product_price_list', 'sale_price_list',
    'sale_discount', 'sale_promotion',
    ]

COMPANY_NAME = "Fieldbook Demo Trading Co., Ltd. / 示例贸易有限公司"
TIMEZONE = 'Asia/Shanghai'

# name, code, nested children codes
WAREHOUSES = [
    # (name, code, input, output, storage)
    ("Shanghai Warehouse 上海仓", 'WH',
        ("Shanghai Input 上海收货区", 'IN'),
        ("Shanghai Output 上海发货区", 'OUT'),
        ("Shanghai Storage 上海存储区", 'STO')),
    ("Shenzhen Warehouse 深圳仓", 'WH-SZ',
        ("Shenzhen Input 深圳收货区", 'IN-SZ'),
        ("Shenzhen Output 深圳发货区", 'OUT-SZ'),
        ("Shenzhen Storage 深圳存储区", 'STO-SZ')),
    ]

COUNTRIES = [
    ('CN', 'CHN', '156', "China"),
    ('HK', 'HKG', '344', "Hong Kong"),
    ('TW', 'TWN', '158', "Taiwan"),
    ('SG', 'SGP', '702', "Singapore"),
    ('JP', 'JPN', '392', "Japan"),
    ('KR', 'KOR', '410', "Korea, Republic of"),
    ('US', 'USA', '840', "United States"),
    ('GB', 'GBR', '826', "United Kingdom"),
    ('DE', 'DEU', '276', "Germany"),
    ('FR', 'FRA', '250', "France"),
    ('AU', 'AUS', '036', "Australia"),
    ]

SALES_LOGIN = 'sales'
SALES_PASSWORD = 'fieldbook-sales-pw'
SALES_GROUPS = [
    # xml ids of the groups a company gives a salesperson: not Accounting
    # (every journal entry) nor the credit limit group. Fieldbook's module
    # adds its "Fieldbook salesperson" group (grant_salesperson.py).
    ('sale', 'group_sale'),            # Sales: sales, complaints, invoices
    ('stock', 'group_stock'),          # Stock: shipments, moves
    ]
COMPLAINT_TYPE_NAME = "Sale complaint 销售投诉"


def log(msg):
    sys.stderr.write('[create_db %s] %s\n' % (
            time.strftime('%H:%M:%S'), msg))
    sys.stderr.flush()


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--config', required=True)
    parser.add_argument('--database', required=True)
    parser.add_argument('--admin-password', default='admin')
    return parser.parse_args()


def create_empty_database(dbname, admin_password):
    "Create the file, initialise ir/res and the admin user (like trytond's"
    " test helpers do)"
    from sql import Table

    from trytond import backend
    from trytond.pool import Pool
    from trytond.transaction import Transaction

    database = backend.Database()
    database.connect()
    connection = database.get_connection(autocommit=True)
    try:
        database.create(connection, dbname)
    finally:
        database.put_connection(connection)
        database.close()

    database = backend.Database(dbname)
    connection = database.get_connection()
    try:
        with connection.cursor() as cursor:
            database.init()
            ir_configuration = Table('ir_configuration')
            cursor.execute(*ir_configuration.insert(
                    [ir_configuration.language], [['en']]))
        connection.commit()
    finally:
        database.put_connection(connection)

    pool = Pool(dbname)
    pool.init(update=['res', 'ir'], lang=['en'])
    with Transaction().start(dbname, 0):
        User = pool.get('res.user')
        Lang = pool.get('ir.lang')
        Module = pool.get('ir.module')
        language, = Lang.search([('code', '=', 'en')])
        language.translatable = True
        language.save()
        # As root (user 0) the password is not validated: "admin" for the
        # login "admin" would be refused otherwise.
        User.create([{
                    'login': 'admin',
                    'name': 'Administrator',
                    'administrator': True,
                    'password': admin_password,
                    'language': language.id,
                    }])
        Module.update_list()

    log("activating modules: %s" % ' '.join(MODULES))
    with Transaction().start(dbname, 0) as transaction:
        Module = pool.get('ir.module')
        modules = Module.search([('name', 'in', MODULES)])
        missing = set(MODULES) - {m.name for m in modules}
        if missing:
            raise RuntimeError("modules not installed in the virtualenv: %s"
                % ', '.join(sorted(missing)))
        # activate_modules() of trytond.tests.tools does the same through
        # the buttons and the ir.module.activate_upgrade wizard
        Module.activate(modules)
        transaction.commit()
        update = [m.name for m in Module.search([
                    ('state', 'in', ['to activate', 'to upgrade']),
                    ])]
    pool.init(update=update, lang=['en'], activatedeps=True)
    with Transaction().start(dbname, 0):
        Module = pool.get('ir.module')
        not_active = [m.name for m in Module.search([
                    ('name', 'in', MODULES),
                    ('state', '!=', 'activated'),
                    ])]
        if not_active:
            raise RuntimeError("modules not activated: %s" % not_active)


def setup(dbname, conf):
    "Company, accounting, stock and users, through proteus in-process"
    from dateutil.relativedelta import relativedelta

    from proteus import Model, Wizard
    from proteus import config as pconfig

    cfg = pconfig.set_trytond(database=dbname, user='admin',
        config_file=conf)

    Currency = Model.get('currency.currency')
    Country = Model.get('country.country')
    Party = Model.get('party.party')
    User = Model.get('res.user')
    Lang = Model.get('ir.lang')

    # Currencies (the currency module ships none)
    log("currencies, countries, company")
    cny = Currency(name="Chinese Yuan Renminbi", code='CNY', numeric_code='156',
        symbol='¥', rounding=Decimal('0.01'), digits=2)
    cny.save()
    for code, num, name, symbol in [
            ('USD', '840', "US Dollar", '$'),
            ('EUR', '978', "Euro", '€'),
            ]:
        Currency(name=name, code=code, numeric_code=num, symbol=symbol,
            rounding=Decimal('0.01'), digits=2).save()

    countries = []
    for code, code3, num, name in COUNTRIES:
        countries.append(Country(code=code, code3=code3, code_numeric=num,
                name=name))
    Country.save(countries)
    china, = Country.find([('code', '=', 'CN')])

    # Company
    company_party = Party(name=COMPANY_NAME, code='FIELDBOOK')
    address, = company_party.addresses
    address.street = "浦东新区世纪大道100号 / 100 Century Avenue, Pudong"
    address.postal_code = '200120'
    address.city = "上海 Shanghai"
    address.country = china
    company_party.save()

    company_config = Wizard('company.company.config')
    company_config.execute('company')
    company = company_config.form
    company.party = company_party
    company.currency = cny
    company.timezone = TIMEZONE
    company_config.execute('add')
    cfg._context = User.get_preferences(True, {})
    Company = Model.get('company.company')
    company, = Company.find()

    # Chart of accounts (the minimal English chart shipped by account)
    log("chart of accounts, fiscal years")
    from trytond.modules.account.tests.tools import (
        create_chart, get_accounts)
    create_chart(company)
    accounts = get_accounts(company)
    for kind in ['receivable', 'payable', 'revenue', 'expense', 'cash']:
        if kind not in accounts:
            raise RuntimeError("chart has no %s account" % kind)

    # Fiscal years: previous, current and next calendar year, each with its
    # own move and invoice sequences and monthly periods.
    FiscalYear = Model.get('account.fiscalyear')
    SequenceStrict = Model.get('ir.sequence.strict')
    SequenceType = Model.get('ir.sequence.type')
    move_type, = SequenceType.find([('name', '=', "Account Move")], limit=1)
    invoice_type, = SequenceType.find([('name', '=', "Invoice")], limit=1)
    today = datetime.date.today()
    for year in [today.year - 1, today.year, today.year + 1]:
        fy = FiscalYear(name=str(year), company=company)
        fy.start_date = datetime.date(year, 1, 1)
        fy.end_date = datetime.date(year, 12, 31)
        fy.move_sequence = SequenceStrict(name="Move %s" % year,
            sequence_type=move_type, company=company)
        fy.move_sequence.save()
        inv_seq = SequenceStrict(name="Invoice %s" % year,
            sequence_type=invoice_type, company=company,
            prefix='INV%s-' % year, padding=5)
        inv_seq.save()
        seq, = fy.invoice_sequences
        seq.out_invoice_sequence = inv_seq
        seq.in_invoice_sequence = inv_seq
        seq.out_credit_note_sequence = inv_seq
        seq.in_credit_note_sequence = inv_seq
        fy.save()
        fy.click('create_period')

    # Payment terms
    log("payment terms, payment method, product category")
    PaymentTerm = Model.get('account.invoice.payment_term')
    net30 = PaymentTerm(name="30 days net 30天净付")
    line = net30.lines.new(type='remainder')
    line.relativedeltas.new(days=30)
    net30.save()
    net60 = PaymentTerm(name="60 days net 60天净付")
    line = net60.lines.new(type='remainder')
    line.relativedeltas.new(days=60)
    net60.save()
    direct = PaymentTerm(name="Cash on delivery 货到付款")
    direct.lines.new(type='remainder')
    direct.save()

    # Default customer payment term
    AccountConfig = Model.get('account.configuration')
    account_config = AccountConfig(1)
    account_config.default_customer_payment_term = net30
    account_config.save()

    # Invoice payment method (needed to pay invoices)
    Journal = Model.get('account.journal')
    PaymentMethod = Model.get('account.invoice.payment.method')
    cash_journal, = Journal.find([('type', '=', 'cash')])
    pm = PaymentMethod(name="Bank transfer 银行转账", company=company,
        journal=cash_journal, credit_account=accounts['cash'],
        debit_account=accounts['cash'])
    pm.save()

    # Account category for products
    ProductCategory = Model.get('product.category')
    category = ProductCategory(name="Goods 商品", accounting=True,
        account_revenue=accounts['revenue'],
        account_expense=accounts['expense'])
    category.save()

    # Sale complaint type (origin sale.sale)
    IrModel = Model.get('ir.model')
    sale_model, = IrModel.find([('name', '=', 'sale.sale')])
    ComplaintType = Model.get('sale.complaint.type')
    ComplaintType(name=COMPLAINT_TYPE_NAME, origin=sale_model).save()

    # Warehouses: rename the default one, add a second one
    log("warehouses")
    Location = Model.get('stock.location')
    (wh_name, wh_code, (in_n, in_c), (out_n, out_c), (sto_n, sto_c)) = \
        WAREHOUSES[0]
    warehouse, = Location.find([('type', '=', 'warehouse')])
    warehouse.name = wh_name
    warehouse.save()
    for loc, name in [(warehouse.input_location, in_n),
            (warehouse.output_location, out_n),
            (warehouse.storage_location, sto_n)]:
        loc.name = name
        loc.save()
    (wh_name, wh_code, (in_n, in_c), (out_n, out_c), (sto_n, sto_c)) = \
        WAREHOUSES[1]
    lost_found, = Location.find([('type', '=', 'lost_found')], limit=1)
    children = {}
    for key, name, code in [('input', in_n, in_c), ('output', out_n, out_c),
            ('storage', sto_n, sto_c)]:
        loc = Location(name=name, code=code, type='storage')
        loc.save()
        children[key] = loc
    warehouse2 = Location(name=wh_name, code=wh_code, type='warehouse',
        input_location=children['input'],
        output_location=children['output'],
        storage_location=children['storage'],
        lost_found_location=lost_found)
    warehouse2.save()
    for loc in children.values():
        loc.reload()
        if loc.parent != warehouse2:
            raise RuntimeError("warehouse child %s has no parent" % loc.name)

    # Sales user with an employee
    log("users")
    Employee = Model.get('company.employee')
    Group = Model.get('res.group')
    ModelData = Model.get('ir.model.data')

    admin, = User.find([('login', '=', 'admin')])
    admin_emp_party = Party(name="Administrator 管理员", code='EMP-ADMIN')
    admin_emp_party.save()
    admin_employee = Employee(party=admin_emp_party, company=company)
    admin_employee.save()
    admin.employees.append(admin_employee)
    admin.employee = admin_employee
    admin.save()

    emp_party = Party(name="王小明 Wang Xiaoming", code='EMP-SALES')
    mech = emp_party.contact_mechanisms.new(type='email')
    mech.value = 'wang.xiaoming@fieldbook.example'
    emp_party.save()
    employee = Employee(party=emp_party, company=company)
    employee.save()

    groups = []
    for module, fs_id in SALES_GROUPS:
        groups.append(Group(ModelData.get_id(module, fs_id, {})))
    sales = User(name="Sales 销售 (Wang Xiaoming)", login=SALES_LOGIN)
    sales.companies.append(Company(company.id))
    sales.company = company
    sales.employees.append(Employee(employee.id))
    sales.employee = employee
    sales.email = 'sales@fieldbook.example'
    for group in groups:
        sales.groups.append(group)
    sales.save()
    return {
        'company': company.id,
        'warehouses': [warehouse.id, warehouse2.id],
        'sales_user': sales.id,
        'payment_method': pm.id,
        }


def set_sales_password(dbname, password):
    from trytond.pool import Pool
    from trytond.transaction import Transaction
    with Transaction().start(dbname, 0):
        User = Pool().get('res.user')
        user, = User.search([('login', '=', SALES_LOGIN)])
        User.write([user], {'password': password})
        # the credit limit group must not be among the sales user's groups
        names = {g.name for g in user.groups}
        if "Account Credit Limit" in names:
            raise RuntimeError("sales user is in the Account Credit Limit"
                " group")


def finish(dbname, dbfile):
    "Fold the WAL into the database file so that the .sqlite file alone is"
    " a complete copy"
    import gc
    import sqlite3

    from trytond import backend
    backend.Database(dbname).close()
    gc.collect()  # close the connections trytond left to the GC
    conn = sqlite3.connect(dbfile, timeout=30)
    try:
        busy, _, _ = conn.execute('PRAGMA wal_checkpoint(TRUNCATE)').fetchone()
        if busy:
            raise RuntimeError("could not checkpoint the WAL of %s" % dbfile)
        try:
            conn.execute('PRAGMA journal_mode = DELETE')
        except sqlite3.OperationalError:
            pass  # another connection still open: the WAL is empty anyway
    finally:
        conn.close()


def drop_database(dbname):
    "Remove a half-made PostgreSQL database"
    import gc

    from trytond import backend
    try:
        backend.Database(dbname).close()
        gc.collect()
        database = backend.Database()
        database.connect()
        connection = database.get_connection(autocommit=True)
        try:
            database.drop(connection, dbname)
        finally:
            database.put_connection(connection)
            database.close()
    except Exception:
        traceback.print_exc()


def main():
    args = parse_args()
    started = time.monotonic()
    conf = os.path.abspath(args.config)
    if not os.path.isfile(conf):
        raise SystemExit("create_db: config file %s not found" % conf)
    from trytond import config as tconfig
    tconfig.update_etc(conf)
    uri = tconfig.get('database', 'uri')
    if not uri or not uri.startswith(('sqlite', 'postgresql')):
        raise SystemExit("create_db: [database] uri must be sqlite:// or"
            " postgresql:// (got %r)" % uri)
    postgres = uri.startswith('postgresql')
    dbname = args.database
    if os.sep in dbname or not dbname:
        raise SystemExit("create_db: bad database name %r" % dbname)
    if postgres:
        dbfile = None
    else:
        path = tconfig.get('database', 'path')
        if not path or not os.path.isdir(path):
            raise SystemExit("create_db: [database] path %r is not a"
                " directory" % path)
        dbfile = os.path.join(path, dbname + '.sqlite')
        if os.path.exists(dbfile):
            raise SystemExit("create_db: %s already exists; remove it first"
                % dbfile)

    try:
        log("creating %s" % (dbfile or dbname))
        create_empty_database(dbname, args.admin_password)
        t_modules = time.monotonic() - started
        log("modules activated in %.1fs" % t_modules)
        info = setup(dbname, conf)
        set_sales_password(dbname, SALES_PASSWORD)
        if postgres:
            from trytond import backend
            backend.Database(dbname).close()
        else:
            finish(dbname, dbfile)
    except BaseException as exc:
        traceback.print_exc()
        sys.stderr.write("create_db: FAILED: %s: %s\n" % (
                type(exc).__name__, exc))
        if postgres:
            drop_database(dbname)
        else:
            for suffix in ['', '-wal', '-shm']:
                try:
                    os.remove(dbfile + suffix)
                except OSError:
                    pass
        sys.exit(1)
    elapsed = time.monotonic() - started
    log("done in %.1fs" % elapsed)
    import json
    print(json.dumps({
                'database': dbname,
                'file': dbfile,
                'seconds': round(elapsed, 1),
                'seconds_modules': round(t_modules, 1),
                **info,
                }))


if __name__ == '__main__':
    main()
