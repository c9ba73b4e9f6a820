#!/usr/bin/env python3
"""Fill a Fieldbook reference database (made by create_db.py) with data.

    python seed.py --config CONF --database NAME \
        --customers N --products M --sales K --seed S

Records are created in bulk through Tryton's model API, in-process, as the
admin user: no server is needed. The same arguments give the same records
(names, codes, amounts, ids); dates are relative to the day of the run.

Progress goes to stderr; a JSON summary (counts, seconds per phase, fixture
ids) to stdout. Exit status is non-zero on any error.
"""
import argparse
import contextlib
import datetime
import json
import os
import random
import sys
import time
import traceback
from collections import defaultdict
from decimal import ROUND_HALF_UP, Decimal

from trytond.transaction import inactive_records

# On SQLite, trytond checks unique constraints with one nested OR per record:
# a few hundred records in one create overflow SQLite's parser stack.
UNIQUE_BATCH = 80
BATCH = int(os.environ.get('SEED_BATCH', 200))
# Beyond these, customers, products and their stock moves are written in
# SQL, copied from the ORM's rows (see Bulk); --orm-only disables it.
ORM_CUSTOMERS = 300
ORM_PRODUCTS = 1000
# Posting an invoice queues the rendering of its report (an ODT kept as a
# cache): half the posting time. Tryton renders it on first print instead.
RECORD_CACHE = int(os.environ.get('SEED_RECORD_CACHE', 20000))
SKIP_TASKS = {('account.invoice', 'print_invoice')}

FIXED_CREDIT_LIMIT = Decimal('5000.00')
TEA_PRICE = Decimal('168.0000')
TEA_STOCK = {'WH': 500, 'WH-SZ': 300}
LIMIT_SALE_QUANTITY = 25  # 25 x 168.00 = 4200.00 posted, unpaid


def log(msg):
    sys.stderr.write('[seed %s] %s\n' % (time.strftime('%H:%M:%S'), msg))
    sys.stderr.flush()


def batched(items, size):
    items = list(items)
    for i in range(0, len(items), size):
        yield items[i:i + size]


def money(value, exp='0.01'):
    return Decimal(value).quantize(Decimal(exp), rounding=ROUND_HALF_UP)


# ---------------------------------------------------------------------------
# Deterministic data generators
# ---------------------------------------------------------------------------

CN_CITIES = [
    # city, province prefix for street, postal code prefix, region code
    ("北京", "北京市", "100", "110105"),
    ("上海", "上海市", "200", "310115"),
    ("广州", "广东省广州市", "510", "440106"),
    ("深圳", "广东省深圳市", "518", "440305"),
    ("杭州", "浙江省杭州市", "310", "330106"),
    ("南京", "江苏省南京市", "210", "320106"),
    ("苏州", "江苏省苏州市", "215", "320505"),
    ("成都", "四川省成都市", "610", "510107"),
    ("武汉", "湖北省武汉市", "430", "420106"),
    ("西安", "陕西省西安市", "710", "610113"),
    ("重庆", "重庆市", "400", "500103"),
    ("天津", "天津市", "300", "120101"),
    ("青岛", "山东省青岛市", "266", "370202"),
    ("厦门", "福建省厦门市", "361", "350203"),
    ("宁波", "浙江省宁波市", "315", "330203"),
    ("长沙", "湖南省长沙市", "410", "430104"),
    ("郑州", "河南省郑州市", "450", "410105"),
    ("合肥", "安徽省合肥市", "230", "340104"),
    ("昆明", "云南省昆明市", "650", "530102"),
    ("大连", "辽宁省大连市", "116", "210202"),
    ("沈阳", "辽宁省沈阳市", "110", "210102"),
    ("东莞", "广东省东莞市", "523", "441900"),
    ("佛山", "广东省佛山市", "528", "440604"),
    ("无锡", "江苏省无锡市", "214", "320214"),
    ("福州", "福建省福州市", "350", "350102"),
    ]
CN_DISTRICTS = ["高新区", "经济开发区", "朝阳区", "浦东新区", "天河区", "南山区",
    "西湖区", "鼓楼区", "工业园区", "武侯区", "江汉区", "雁塔区", "渝中区",
    "和平区", "市南区", "思明区", "海曙区", "岳麓区", "金水区", "蜀山区"]
CN_STREETS = ["人民路", "解放路", "中山路", "建设路", "和平路", "新华路", "胜利路",
    "长江路", "黄河路", "科技路", "创新大道", "世纪大道", "滨江路", "学府路",
    "文化路", "光明路", "东风路", "青年路", "迎宾大道", "工业大道", "南京路",
    "延安路", "北京路", "深南大道", "科苑路"]
CN_BUILDINGS = ["大厦", "科技园", "商务中心", "产业园", "广场", "国际中心"]
CN_TRADE_NAMES = ["明达", "华信", "恒通", "鑫源", "宏图", "嘉禾", "瑞丰", "金桥",
    "博远", "天成", "永泰", "盛世", "联创", "凯越", "海纳", "东方", "长城", "新锐",
    "德润", "中科", "佳和", "万通", "同心", "荣昌", "卓越", "顺达", "安泰", "启航",
    "正源", "星辰", "睿智", "信诚", "福临", "鸿运", "腾飞", "泰和", "华美", "远景",
    "宝丰", "汇通", "光华", "兴业", "晨曦", "金辉", "云帆", "锦程", "智联", "和谐"]
CN_INDUSTRIES = ["电子科技", "贸易", "实业", "机械设备", "食品", "进出口", "信息技术",
    "化工", "纺织", "建材", "医疗器械", "物流", "汽车配件", "家居用品", "包装材料",
    "五金制品", "农业科技", "办公用品", "电气", "茶业"]
CN_SUFFIXES = ["有限公司", "有限公司", "有限公司", "股份有限公司", "有限责任公司"]
CN_SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾萧田董"
CN_GIVEN = ["伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳",
    "杰", "娟", "涛", "明", "超", "秀英", "霞", "平", "刚", "桂英", "建华", "志强",
    "海燕", "晓东", "文博", "子涵", "雨轩", "浩然"]

EN_PREFIXES = ["Northwind", "Pacific", "Golden", "Silverline", "Evergreen",
    "Bluewater", "Summit", "Harbor", "Redwood", "Crescent", "Pioneer",
    "Orient", "Lotus", "Dragon", "Jade", "Phoenix", "Atlas", "Vertex",
    "Horizon", "Meridian", "Sterling", "Cedar", "Granite", "Beacon", "Union"]
EN_NOUNS = ["Supplies", "Trading", "Imports", "Distribution", "Industries",
    "Logistics", "Foods", "Electronics", "Merchants", "Partners", "Retail",
    "Wholesale", "Hardware", "Textiles", "Components"]
EN_SUFFIXES = ["Ltd.", "Co., Ltd.", "Inc.", "Limited", "Pte. Ltd.", "GmbH",
    "LLC", "Corp."]
FOREIGN = [
    # country code, cities, postal code maker, street maker, phone prefix
    ('HK', ["Hong Kong", "Kowloon"], lambda r: '',
        lambda r: "%d %s Road, %s" % (r.randint(1, 300), r.choice(
                ["Nathan", "Queen's", "Des Voeux", "Hennessy", "Canton"]),
            r.choice(["Central", "Wan Chai", "Tsim Sha Tsui", "Mong Kok"])),
        '+852'),
    ('SG', ["Singapore"], lambda r: '%06d' % r.randint(10000, 829999),
        lambda r: "%d %s" % (r.randint(1, 500), r.choice(
                ["Orchard Road", "Raffles Place", "Jurong East Street 21",
                    "Tampines Avenue 5"])),
        '+65'),
    ('US', ["San Francisco", "Los Angeles", "Seattle", "New York"],
        lambda r: '%05d' % r.randint(10001, 98199),
        lambda r: "%d %s" % (r.randint(10, 9999), r.choice(
                ["Market Street", "Main Street", "5th Avenue", "Pine Street",
                    "Harbor Blvd"])),
        '+1'),
    ('DE', ["Hamburg", "Berlin", "München", "Frankfurt am Main"],
        lambda r: '%05d' % r.randint(10115, 99998),
        lambda r: "%s %d" % (r.choice(["Hauptstraße", "Bahnhofstraße",
                    "Hafenstraße", "Industriestraße"]), r.randint(1, 180)),
        '+49'),
    ('JP', ["Tokyo", "Osaka", "Yokohama"],
        lambda r: '%03d-%04d' % (r.randint(100, 999), r.randint(0, 9999)),
        lambda r: "%d-%d-%d %s" % (r.randint(1, 9), r.randint(1, 30),
            r.randint(1, 20), r.choice(["Shibuya", "Minato", "Chuo",
                    "Kita-ku"])),
        '+81'),
    ]

PRODUCT_KINDS = [
    # english, chinese, unit, price range, specs
    ("Green Tea", "绿茶", 'u', (30, 800), ["100g", "250g", "500g"]),
    ("Oolong Tea", "乌龙茶", 'u', (40, 1200), ["125g", "250g"]),
    ("Pu'er Tea Cake", "普洱茶饼", 'u', (80, 3000), ["357g", "200g"]),
    ("Jasmine Rice", "茉莉香米", 'kg', (4, 30), ["bulk"]),
    ("Soy Sauce", "酱油", 'u', (8, 60), ["500ml", "1L", "1.8L"]),
    ("Sesame Oil", "芝麻油", 'u', (15, 90), ["250ml", "500ml"]),
    ("Dried Shiitake", "干香菇", 'kg', (60, 260), ["bulk"]),
    ("Goji Berries", "枸杞", 'kg', (40, 180), ["bulk"]),
    ("Stainless Steel Bolt", "不锈钢螺栓", 'u', (0.15, 6), ["M6", "M8", "M10",
            "M12"]),
    ("Hex Nut", "六角螺母", 'u', (0.05, 2), ["M6", "M8", "M10"]),
    ("Copper Wire", "铜线", 'kg', (55, 95), ["1.5mm²", "2.5mm²", "4mm²"]),
    ("LED Bulb", "LED灯泡", 'u', (5, 45), ["7W", "9W", "12W", "18W"]),
    ("USB-C Cable", "USB-C数据线", 'u', (6, 80), ["1m", "2m"]),
    ("Power Bank", "移动电源", 'u', (59, 399), ["10000mAh", "20000mAh"]),
    ("Bluetooth Speaker", "蓝牙音箱", 'u', (99, 1299), ["mini", "pro"]),
    ("Office Chair", "办公椅", 'u', (299, 2999), ["mesh", "leather"]),
    ("A4 Copy Paper", "A4复印纸", 'u', (18, 35), ["70g 500张", "80g 500张"]),
    ("Ballpoint Pen", "圆珠笔", 'u', (0.8, 12), ["0.5mm", "0.7mm"]),
    ("Cotton T-Shirt", "纯棉T恤", 'u', (19, 129), ["S", "M", "L", "XL"]),
    ("Silk Scarf", "真丝围巾", 'u', (88, 888), ["90x90", "53x53"]),
    ("Porcelain Tea Set", "陶瓷茶具", 'u', (128, 3800), ["6件", "10件"]),
    ("Bamboo Cutting Board", "竹砧板", 'u', (25, 160), ["S", "M", "L"]),
    ("Packing Tape", "封箱胶带", 'u', (2.5, 15), ["48mm", "60mm"]),
    ("Corrugated Box", "瓦楞纸箱", 'u', (1.2, 12), ["3层", "5层"]),
    ("Hand Sanitizer", "洗手液", 'u', (9, 49), ["300ml", "500ml"]),
    ("Nitrile Gloves", "丁腈手套", 'u', (25, 95), ["100只"]),
    ("Peanut Oil", "花生油", 'u', (45, 220), ["1.8L", "5L"]),
    ("Honey", "蜂蜜", 'kg', (35, 260), ["bulk"]),
    ("Walnut Kernels", "核桃仁", 'kg', (45, 120), ["bulk"]),
    ("PVC Pipe", "PVC管", 'u', (3, 60), ["DN20", "DN25", "DN50"]),
    ]
# Product categories (not the accounting one), parents first: price-list
# lines and promotions match a product's categories and their parents.
CATEGORIES = [
    # key, name, parent key
    ('FOOD', "Food & Drink 食品饮料", None),
    ('TEA', "Tea 茶叶", 'FOOD'),
    ('GROCERY', "Groceries 粮油干货", 'FOOD'),
    ('INDUSTRIAL', "Industrial 工业品", None),
    ('HARDWARE', "Hardware 五金", 'INDUSTRIAL'),
    ('PACKAGING', "Packaging 包装材料", 'INDUSTRIAL'),
    ('CONSUMER', "Consumer Goods 消费品", None),
    ('ELECTRONICS', "Electronics 电子产品", 'CONSUMER'),
    ('OFFICE', "Office 办公用品", 'CONSUMER'),
    ('TEXTILES', "Textiles 纺织品", 'CONSUMER'),
    ('HOUSEHOLD', "Household 家居用品", 'CONSUMER'),
    ]
KIND_CATEGORY = {
    "Green Tea": 'TEA', "Oolong Tea": 'TEA', "Pu'er Tea Cake": 'TEA',
    "Jasmine Rice": 'GROCERY', "Soy Sauce": 'GROCERY',
    "Sesame Oil": 'GROCERY', "Dried Shiitake": 'GROCERY',
    "Goji Berries": 'GROCERY', "Peanut Oil": 'GROCERY', "Honey": 'GROCERY',
    "Walnut Kernels": 'GROCERY',
    "Stainless Steel Bolt": 'HARDWARE', "Hex Nut": 'HARDWARE',
    "Copper Wire": 'HARDWARE', "PVC Pipe": 'HARDWARE',
    "Packing Tape": 'PACKAGING', "Corrugated Box": 'PACKAGING',
    "LED Bulb": 'ELECTRONICS', "USB-C Cable": 'ELECTRONICS',
    "Power Bank": 'ELECTRONICS', "Bluetooth Speaker": 'ELECTRONICS',
    "Office Chair": 'OFFICE', "A4 Copy Paper": 'OFFICE',
    "Ballpoint Pen": 'OFFICE',
    "Cotton T-Shirt": 'TEXTILES', "Silk Scarf": 'TEXTILES',
    "Porcelain Tea Set": 'HOUSEHOLD', "Bamboo Cutting Board": 'HOUSEHOLD',
    "Hand Sanitizer": 'HOUSEHOLD', "Nitrile Gloves": 'HOUSEHOLD',
    }
# A fixture whose list price has all four of Tryton's price digits.
BOLT_PRICE = Decimal('0.1235')

BRANDS = ["Hangzhou", "Jade River", "Golden Bridge", "Longsheng", "Sunrise",
    "Hengtong", "Mingda", "Panda", "Great Wall", "Pearl River", "Yangtze",
    "Lotus", "Red Star", "Tianhe", "Evergreen", "Dragon Gate"]


def uscc(rng, region):
    from stdnum.cn import uscc as std_uscc
    alphabet = '0123456789ABCDEFGHJKLMNPQRTUWXY'
    body = '91' + region + ''.join(rng.choice(alphabet) for _ in range(9))
    number = body + std_uscc.calc_check_digit(body)
    assert std_uscc.is_valid(number), number
    return number


def cn_mobile(rng):
    prefix = rng.choice(['130', '131', '135', '136', '138', '139', '150',
            '152', '158', '166', '177', '180', '186', '188', '199'])
    return '+86 %s %04d %04d' % (prefix, rng.randint(0, 9999),
        rng.randint(0, 9999))


def cn_landline(rng, city_index):
    area = ['10', '21', '20', '755', '571', '25', '512', '28', '27', '29',
        '23', '22', '532', '592', '574', '731', '371', '551', '871', '411',
        '24', '769', '757', '510', '591'][city_index]
    return '+86 %s %04d %04d' % (area, rng.randint(2000, 8999),
        rng.randint(0, 9999))


def cn_address(rng, ci=None):
    if ci is None:
        ci = rng.randrange(len(CN_CITIES))
    city, prov, post, _ = CN_CITIES[ci]
    street = "%s%s%s%d号%s%s" % (prov, rng.choice(CN_DISTRICTS),
        rng.choice(CN_STREETS), rng.randint(1, 999),
        rng.choice(CN_TRADE_NAMES), rng.choice(CN_BUILDINGS))
    if rng.random() < 0.5:
        street += "%d室" % rng.randint(101, 2808)
    return {
        'street_unstructured': street,
        'postal_code': post + '%03d' % rng.randint(0, 999),
        'city': city,
        'country': 'CN',
        }


def gen_customer(rng, i):
    "Return (party values without relations, addresses, mechanisms, ident)"
    chinese = rng.random() < 0.72
    ci = rng.randrange(len(CN_CITIES))
    if chinese:
        city, _, _, region = CN_CITIES[ci]
        name = "%s%s%s%s" % (city + ('市' if rng.random() < 0.3 else ''),
            rng.choice(CN_TRADE_NAMES), rng.choice(CN_INDUSTRIES),
            rng.choice(CN_SUFFIXES))
        domain = 'cn-%06d.example.cn' % i
    else:
        name = "%s %s %s" % (rng.choice(EN_PREFIXES), rng.choice(EN_NOUNS),
            rng.choice(EN_SUFFIXES))
        region = CN_CITIES[ci][3]
        domain = '%s-%06d.example.com' % (
            name.split()[0].lower(), i)
    addresses = []
    foreign = not chinese and rng.random() < 0.5
    for a in range(rng.choice([1, 1, 1, 2, 2, 3])):
        if foreign and a == 0:
            code, cities, postal, street, _ = rng.choice(FOREIGN)
            addresses.append({
                    'street_unstructured': street(rng),
                    'postal_code': postal(rng),
                    'city': rng.choice(cities),
                    'country': code,
                    })
        else:
            addresses.append(cn_address(rng, ci if a == 0 else None))
    mechanisms = []
    contact = rng.choice(CN_SURNAMES) + rng.choice(CN_GIVEN)
    kinds = ['phone', 'email', 'mobile', 'email']
    for k in kinds[:rng.randint(1, 4)]:
        if k == 'phone':
            if foreign:
                prefix = [f for f in FOREIGN
                    if f[0] == addresses[0]['country']][0][4]
                value = '%s %d %04d %04d' % (prefix, rng.randint(2, 9),
                    rng.randint(0, 9999), rng.randint(0, 9999))
            else:
                value = cn_landline(rng, ci)
            mechanisms.append({'type': 'phone', 'value': value})
        elif k == 'mobile':
            mechanisms.append({'type': 'mobile', 'value': cn_mobile(rng),
                    'name': contact})
        else:
            local = rng.choice(['sales', 'info', 'purchase', 'finance',
                    'orders', 'service'])
            if any(m['type'] == 'email' for m in mechanisms):
                local = 'contact%d' % rng.randint(1, 99)
            mechanisms.append({'type': 'email',
                    'value': '%s@%s' % (local, domain)})
    ident = None
    if chinese or not foreign:
        if rng.random() < 0.9:
            ident = uscc(rng, region)
    return name, addresses, mechanisms, ident


def gen_product(rng, i):
    en, cn, unit, (lo, hi), specs = rng.choice(PRODUCT_KINDS)
    brand = rng.choice(BRANDS)
    spec = rng.choice(specs)
    if spec == 'bulk':
        name = "%s %s %s (散装)" % (brand, en, cn)
    else:
        name = "%s %s %s %s" % (brand, en, cn, spec)
    # log-uniform price with 2 to 4 decimals
    import math
    price = math.exp(rng.uniform(math.log(lo), math.log(hi)))
    digits = rng.choice([2, 2, 3, 4])
    list_price = Decimal(str(price)).quantize(Decimal(1).scaleb(-digits),
        rounding=ROUND_HALF_UP)
    if list_price <= 0:
        list_price = Decimal('0.01')
    cost_price = (list_price * Decimal(str(rng.uniform(0.45, 0.8)))).quantize(
        Decimal('0.0001'), rounding=ROUND_HALF_UP)
    description = ("%s — %s，规格：%s。批次 %s-%04d，保质期 %d 个月。" % (
            en, cn, spec, brand[:2].upper(), i % 10000, rng.choice([6, 12, 18,
                    24, 36])))
    return name, unit, list_price, cost_price, description, en


# ---------------------------------------------------------------------------
# Seeder
# ---------------------------------------------------------------------------

class Bulk:
    """Insert rows exactly like those the ORM wrote for the same values.

    Tryton's ORM costs 5-15 ms per record on this machine (validation,
    default values of company-dependent fields, computed columns): 10,000
    customers, 50,000 products and 80,000 stock moves would take 20 minutes.
    So the first records of each kind are created through the ORM and the
    rest are copied in SQL from one of them (the exemplar), overriding the
    columns that vary. Before any SQL insert, the rows the fast path would
    write for the ORM-created records are built and compared column by
    column with what the ORM wrote: any difference stops the seeding.
    """

    def __init__(self):
        from trytond import backend
        from trytond.transaction import Transaction
        self.cursor = Transaction().connection.cursor()
        self._columns = {}
        # SQLite or PostgreSQL: their catalogues and parameter markers
        # differ, and PostgreSQL's ids come from a sequence per table.
        self.postgres = backend.name == 'postgresql'

    def sql(self, text):
        "`?` parameter markers as the backend's driver wants them"
        return text.replace('?', '%s') if self.postgres else text

    def columns(self, table):
        if table not in self._columns:
            if self.postgres:
                self.cursor.execute("SELECT column_name FROM "
                    "information_schema.columns WHERE table_schema = "
                    "current_schema() AND table_name = %s "
                    "ORDER BY ordinal_position", (table,))
                self._columns[table] = [r[0] for r in self.cursor.fetchall()]
            else:
                self.cursor.execute('PRAGMA table_info("%s")' % table)
                self._columns[table] = [r[1] for r in self.cursor.fetchall()]
        return self._columns[table]

    def max_ids(self):
        if self.postgres:
            self.cursor.execute("SELECT table_name FROM "
                "information_schema.tables WHERE table_schema = "
                "current_schema() AND table_type = 'BASE TABLE'")
        else:
            self.cursor.execute("SELECT name FROM sqlite_master WHERE type = "
                "'table' AND name NOT LIKE 'sqlite_%'")
        tables = [r[0] for r in self.cursor.fetchall()]
        result = {}
        for table in tables:
            if 'id' not in self.columns(table):
                continue
            self.cursor.execute('SELECT MAX(id) FROM "%s"' % table)
            result[table] = self.cursor.fetchone()[0] or 0
        return result

    @staticmethod
    def touched(before, after):
        return {t for t in after if after[t] > before.get(t, 0)}

    def rows(self, table, where, params=()):
        columns = self.columns(table)
        self.cursor.execute(self.sql(
                'SELECT %s FROM "%s" WHERE %s ORDER BY id' % (
                    ', '.join('"%s"' % c for c in columns), table, where)),
            params)
        return [dict(zip(columns, r)) for r in self.cursor.fetchall()]

    def compare(self, table, actual, expected, exemplar):
        "Rows the fast path would write (exemplar + overrides) vs the ORM's"
        if len(actual) != len(expected):
            raise RuntimeError("fast path check: %s: %d rows expected, the "
                "ORM wrote %d" % (table, len(expected), len(actual)))
        for a, e in zip(actual, expected):
            for column in self.columns(table):
                if column == 'id':
                    continue
                value = e.get(column, exemplar[column])
                if not same(a[column], value):
                    raise RuntimeError("fast path check: %s.%s of id %s: "
                        "ORM wrote %r, fast path would write %r" % (
                            table, column, a['id'], a[column], value))

    def insert(self, table, exemplar, rows):
        columns = self.columns(table)
        sql = self.sql('INSERT INTO "%s" (%s) VALUES (%s)' % (table,
            ', '.join('"%s"' % c for c in columns),
            ', '.join('?' for _ in columns)))
        self.cursor.executemany(sql, [
                [r[c] if c in r else exemplar[c] for c in columns]
                for r in rows])
        if self.postgres and rows and 'id' in columns:
            # The ids were chosen here: the table's sequence must go on
            # after them, or the ORM's next record collides.
            self.cursor.execute("SELECT setval(pg_get_serial_sequence(%s, "
                "'id'), (SELECT MAX(id) FROM \"%s\"))" % ("%s", table),
                ('"%s"' % table,))
        return len(rows)


def same(a, b):
    "Compare a stored value with a Python one as the adapters store it"
    if isinstance(a, bytes):
        a = a.decode()
    if isinstance(b, bytes):
        b = b.decode()
    if isinstance(b, Decimal) or isinstance(a, Decimal):
        try:
            return Decimal(str(a)) == Decimal(str(b))
        except Exception:
            return False
    if isinstance(b, bool) or isinstance(a, bool):
        return (None if a is None else bool(a)) == (
            None if b is None else bool(b))
    if isinstance(a, float) or isinstance(b, float):
        return a is not None and b is not None and float(a) == float(b)
    # PostgreSQL gives dates and times back as such, SQLite as text.
    if isinstance(a, (datetime.date, datetime.datetime)) != isinstance(b, (
                datetime.date, datetime.datetime)):
        return a is not None and b is not None and str(a) == str(b)
    return a == b


class IdAllocator:
    def __init__(self, start):
        self.next = start + 1

    def __call__(self):
        value = self.next
        self.next += 1
        return value


class Seeder:

    def __init__(self, dbname, args):
        from trytond.pool import Pool
        self.dbname = dbname
        self.args = args
        self.pool = Pool(dbname)
        self.rng = random.Random(args.seed)
        # Pricing draws from its own stream, so that adding it left every
        # other seeded figure as it was.
        self.pricing_rng = random.Random('pricing-%d' % args.seed)
        self.timings = {}
        self.counts = defaultdict(int)
        self.fixtures = {}
        self.today = None
        self.task_times = defaultdict(float)
        # Shipping, posting and paying each queue Sale.process for the
        # sales concerned (to update their states): it is the costliest
        # step, so it is deferred and run once per sale where it matters.
        self.defer_process = False
        self.deferred = set()

    # -- transactions ------------------------------------------------------
    def transaction(self):
        from trytond.transaction import Transaction
        # Workflow methods lock tables and records: trytond's dispatcher
        # retries the request with the locks declared up front; here every
        # table is declared (locks are no-ops on SQLite).
        return Transaction().start(self.dbname, self.admin_id,
            context=self.context, _lock_tables=list(self.tables))

    def drain(self):
        "Run, in this transaction, the tasks queued by workflow methods"
        " (no worker: the server would run them after the request)"
        from trytond.transaction import Transaction
        transaction = Transaction()
        Queue = self.pool.get('ir.queue')
        while transaction.tasks:
            ids = list(transaction.tasks)
            transaction.tasks.clear()
            for task in Queue.browse(ids):
                key = (task.data.get('model'), task.data.get('method'))
                if key in SKIP_TASKS:
                    Queue.delete([task])
                    continue
                if key == ('sale.sale', 'process') and self.defer_process:
                    instances = task.data['instances']
                    if isinstance(instances, int):
                        instances = [instances]
                    self.deferred.update(instances)
                    Queue.delete([task])
                    continue
                started = time.monotonic()
                task.run()
                key = '%s.%s' % (task.data.get('model'),
                    task.data.get('method'))
                self.task_times[key] += time.monotonic() - started

    @contextlib.contextmanager
    def timer(self, key):
        started = time.monotonic()
        try:
            yield
        finally:
            self.task_times[key] += time.monotonic() - started

    def flush_process(self, ids=None):
        "Run Sale.process once for the sales whose processing was deferred"
        Sale = self.pool.get('sale.sale')
        if ids is None:
            ids = self.deferred
        ids = sorted(set(ids) & self.deferred)
        self.deferred.difference_update(ids)
        defer, self.defer_process = self.defer_process, False
        for chunk in batched(ids, BATCH):
            with self.timer('sale.sale.process (deferred)'):
                Sale.process(Sale.browse(chunk))
            self.drain()
        self.defer_process = defer
        return len(ids)

    def phase(self, name, func):
        started = time.monotonic()
        log("%s ..." % name)
        profile = os.environ.get('SEED_PROFILE') == name
        if profile:  # debugging aid: SEED_PROFILE=<phase> python seed.py ...
            import cProfile
            profiler = cProfile.Profile()
            profiler.enable()
        with self.transaction():
            func()
            self.drain()
        if profile:
            profiler.disable()
            profiler.dump_stats('seed-%s.prof' % name)
        elapsed = time.monotonic() - started
        self.timings[name] = round(elapsed, 1)
        log("%s done in %.1fs" % (name, elapsed))

    # -- setup ---------------------------------------------------------------
    def load(self):
        from trytond.transaction import Transaction
        pool = self.pool
        with Transaction().start(self.dbname, 0):
            pool.init()
            from trytond.model import ModelSQL
            self.tables = sorted({cls._table
                    for _, cls in pool.iterobject()
                    if issubclass(cls, ModelSQL) and getattr(
                        cls, '_table', None)})
            from trytond import backend
            if backend.name == 'postgresql':
                # Models without a table of their own (company values
                # kept elsewhere) cannot be locked there.
                cursor = Transaction().connection.cursor()
                cursor.execute("SELECT table_name FROM "
                    "information_schema.tables WHERE table_schema = "
                    "current_schema()")
                existing = {r[0] for r in cursor.fetchall()}
                # ir_cache is written by trytond's own second connection
                # (cache invalidation), which would wait on our lock for
                # ever.
                self.tables = [t for t in self.tables
                    if t in existing and t != 'ir_cache']
            User = pool.get('res.user')
            admin, = User.search([('login', '=', 'admin')])
            if not admin.company:
                raise RuntimeError("the admin user has no company: run"
                    " create_db.py first")
            self.admin_id = admin.id
            self.company_id = admin.company.id
            self.context = {
                'company': admin.company.id,
                'companies': [admin.company.id],
                'employee': admin.employee.id if admin.employee else None,
                'language': 'en',
                '_skip_warnings': True,
                '_record_cache_size': RECORD_CACHE,
                }
        with self.transaction():
            Party = pool.get('party.party')
            if Party.search([('code', '=', 'C-HUAWEI')]):
                raise RuntimeError("database already seeded (C-HUAWEI"
                    " exists): seed a fresh database from create_db.py")
            Date = pool.get('ir.date')
            self.today = Date.today()
            Company = pool.get('company.company')
            company = Company(self.company_id)
            self.currency_id = company.currency.id
            Country = pool.get('country.country')
            self.countries = {c.code: c.id for c in Country.search([])}
            Location = pool.get('stock.location')
            self.warehouses = {}
            for wh in Location.search([('type', '=', 'warehouse')],
                    order=[('id', 'ASC')]):
                self.warehouses[wh.code] = {
                    'id': wh.id, 'name': wh.name,
                    'storage': wh.storage_location.id,
                    }
            if set(self.warehouses) != {'WH', 'WH-SZ'}:
                raise RuntimeError("expected warehouses WH and WH-SZ, got %s"
                    % sorted(self.warehouses))
            self.supplier_loc, = [l.id for l in Location.search(
                    [('type', '=', 'supplier')], limit=1)]
            Uom = pool.get('product.uom')
            self.uom = {
                'u': Uom.search([('symbol', '=', 'u')], limit=1)[0].id,
                'kg': Uom.search([('symbol', '=', 'kg')], limit=1)[0].id,
                }
            Category = pool.get('product.category')
            self.category_id, = [c.id for c in Category.search(
                    [('accounting', '=', True)], limit=1)]
            Term = pool.get('account.invoice.payment_term')
            self.terms = [t.id for t in Term.search([],
                    order=[('id', 'ASC')])]
            PM = pool.get('account.invoice.payment.method')
            pm, = PM.search([], limit=1)
            self.payment_method_id = pm.id
            Party = pool.get('party.party')
            self.default_term = Party.default_customer_payment_term()
            CType = pool.get('sale.complaint.type')
            ctype, = CType.search([('origin.name', '=', 'sale.sale')],
                limit=1)
            self.complaint_type_id = ctype.id

    # -- customers -----------------------------------------------------------
    def _party_values(self, code, name, addresses, mechanisms, ident,
            credit_limit=None, active=True, term=None):
        addrs = []
        for i, a in enumerate(addresses):
            a = dict(a)
            a['country'] = self.countries[a['country']]
            a['invoice'] = i == 0
            a['delivery'] = True
            addrs.append(a)
        values = {
            'code': code,
            'name': name,
            'active': active,
            'addresses': [('create', addrs)],
            'contact_mechanisms': [('create', mechanisms)],
            }
        if ident:
            values['identifiers'] = [('create', [
                        {'type': 'cn_vat', 'code': ident}])]
        if credit_limit is not None:
            values['credit_limit_amount'] = credit_limit
        if term is not None:
            values['customer_payment_term'] = term
        return values

    def create_customers(self):
        Party = self.pool.get('party.party')
        rng = self.rng
        fixed = [
            self._party_values('C-HUAWEI', "深圳市华为技术有限公司", [
                    {'street_unstructured': "广东省深圳市龙岗区坂田华为基地",
                        'postal_code': '518129', 'city': "深圳",
                        'country': 'CN'},
                    {'street_unstructured':
                        "上海市青浦区金泽镇华为练秋湖研发中心",
                        'postal_code': '201799', 'city': "上海",
                        'country': 'CN'},
                    ], [
                    {'type': 'phone', 'value': '+86 755 2878 0808'},
                    {'type': 'email', 'value': 'procurement@huawei.example'},
                    {'type': 'mobile', 'value': '+86 138 0013 8000',
                        'name': "李建国"},
                    ], uscc(random.Random('C-HUAWEI'), '440307'),
                credit_limit=Decimal('5000000.00'), term=self.terms[0]),
            self._party_values('C-ACME', "ACME Trading Co.", [
                    {'street_unstructured': "88 Queensway, Admiralty",
                        'postal_code': '', 'city': "Hong Kong",
                        'country': 'HK'},
                    {'street_unstructured': "上海市浦东新区张杨路500号",
                        'postal_code': '200122', 'city': "上海",
                        'country': 'CN'},
                    ], [
                    {'type': 'phone', 'value': '+852 2523 0000'},
                    {'type': 'email', 'value': 'orders@acme.example'},
                    ], None, credit_limit=Decimal('200000.00'),
                term=self.terms[1]),
            self._party_values('C-LIMIT', "北京小额贸易有限公司", [
                    {'street_unstructured': "北京市朝阳区建国路88号SOHO现代城A座1203室",
                        'postal_code': '100022', 'city': "北京",
                        'country': 'CN'},
                    ], [
                    {'type': 'phone', 'value': '+86 10 8580 1234'},
                    {'type': 'email', 'value': 'finance@xiaoe.example.cn'},
                    {'type': 'mobile', 'value': '+86 139 1088 6688',
                        'name': "张小红"},
                    ], uscc(random.Random('C-LIMIT'), '110105'),
                credit_limit=FIXED_CREDIT_LIMIT, term=self.terms[0]),
            ]
        parties = Party.create(fixed)
        self.fixtures['parties'] = {p.code: p.id for p in parties}
        self.counts['customers_fixed'] = len(parties)

        limits = [Decimal(x) for x in ['20000', '50000', '50000', '100000',
                '100000', '200000', '300000', '500000', '1000000']]
        all_values = []
        for i in range(1, self.args.customers + 1):
            name, addresses, mechanisms, ident = gen_customer(rng, i)
            credit = rng.choice(limits) if rng.random() < 0.8 else None
            active = rng.random() >= 0.03
            term = rng.choice(self.terms) if rng.random() < 0.4 else None
            all_values.append(self._party_values('C%06d' % i, name,
                    addresses, mechanisms, ident, credit_limit=credit,
                    active=active, term=term))
        self.customers = []  # (id, active)
        n_orm = len(all_values) if self.args.orm_only else min(
            len(all_values), ORM_CUSTOMERS)
        bulk = Bulk()
        before = bulk.max_ids()
        for chunk in batched(all_values[:n_orm], UNIQUE_BATCH):
            for p, v in zip(Party.create(chunk), chunk):
                self.customers.append((p.id, v['active']))
        log("  customers %d/%d (ORM)" % (n_orm, len(all_values)))
        if n_orm < len(all_values):
            after = bulk.max_ids()
            self._bulk_parties(bulk, before, after,
                list(zip([c for c, _ in self.customers], all_values[:n_orm])),
                all_values[n_orm:])
            log("  customers %d/%d (SQL)" % (len(all_values),
                    len(all_values)))
        self.counts['customers'] = len(self.customers)
        self.counts['customers_inactive'] = sum(
            1 for _, a in self.customers if not a)
        Address = self.pool.get('party.address')
        Mechanism = self.pool.get('party.contact_mechanism')
        with inactive_records():
            self.counts['addresses'] = Address.search([], count=True)
            self.counts['contact_mechanisms'] = Mechanism.search([],
                count=True)

    PARTY_TABLES = ['party_party', 'party_party_lang', 'party_party_location',
        'party_party_account', 'party_party_credit_limit_amount', 'party_party_payment_term',
        'party_party_sale_price_list',
        'party_address', 'party_contact_mechanism', 'party_identifier']

    def _party_rows(self, pid, v, alloc):
        "Rows the ORM writes for party values v (see _party_values)"
        pool = self.pool
        Party = pool.get('party.party')
        Mechanism = pool.get('party.contact_mechanism')
        Identifier = pool.get('party.identifier')
        new_id = (lambda t: alloc[t]()) if alloc else (lambda t: None)
        party = {'id': pid, 'code': v['code'], 'name': v['name'],
            'active': v['active']}
        party.update(Party(code=v['code']).compute_fields({'code'}))
        rows = {
            'party_party': [party],
            'party_party_lang': [{'id': new_id('party_party_lang'),
                    'party': pid}],
            'party_party_location': [{'id': new_id('party_party_location'),
                    'party': pid}],
            'party_party_account': [{'id': new_id('party_party_account'),
                    'party': pid}],
            'party_party_credit_limit_amount': [{
                    'id': new_id('party_party_credit_limit_amount'),
                    'party': pid,
                    'credit_limit_amount': v.get('credit_limit_amount')}],
            'party_party_payment_term': [{
                    'id': new_id('party_party_payment_term'),
                    'party': pid,
                    'customer_payment_term': v.get('customer_payment_term',
                        self.default_term)}],
            # the company's default list when created (none yet)
            'party_party_sale_price_list': [{
                    'id': new_id('party_party_sale_price_list'),
                    'party': pid}],
            'party_address': [],
            'party_contact_mechanism': [],
            'party_identifier': [],
            }
        for a in v['addresses'][0][1]:
            row = dict(a, id=new_id('party_address'), party=pid)
            rows['party_address'].append(row)
        for m in v['contact_mechanisms'][0][1]:
            row = {'id': new_id('party_contact_mechanism'), 'party': pid,
                'type': m['type'], 'value': m['value'],
                'name': m.get('name')}
            row.update(Mechanism(type=m['type'], value=m['value'])
                .compute_fields({'type', 'value'}))
            rows['party_contact_mechanism'].append(row)
        for i in v.get('identifiers', [(None, [])])[0][1]:
            row = {'id': new_id('party_identifier'), 'party': pid,
                'type': i['type'], 'code': i['code']}
            row.update(Identifier(type=i['type'], code=i['code'])
                .compute_fields({'type', 'code'}))
            rows['party_identifier'].append(row)
        return rows

    def _bulk_parties(self, bulk, before, after, orm, rest):
        touched = bulk.touched(before, after) - {'ir_queue'}
        if touched != set(self.PARTY_TABLES):
            raise RuntimeError("fast path check: creating parties wrote to "
                "%s, expected %s" % (sorted(touched), self.PARTY_TABLES))
        exemplar = {t: bulk.rows(t, 'id = ?', (after[t],))[0]
            for t in self.PARTY_TABLES}
        for pid, v in orm:
            for table, expected in self._party_rows(pid, v, None).items():
                where = 'id = ?' if table == 'party_party' else 'party = ?'
                bulk.compare(table, bulk.rows(table, where, (pid,)),
                    expected, exemplar[table])
        alloc = {t: IdAllocator(after[t]) for t in self.PARTY_TABLES}
        for chunk in batched(rest, 2000):
            rows = defaultdict(list)
            for v in chunk:
                pid = alloc['party_party']()
                for table, trows in self._party_rows(pid, v, alloc).items():
                    rows[table].extend(trows)
                self.customers.append((pid, v['active']))
            for table in self.PARTY_TABLES:
                bulk.insert(table, exemplar[table], rows[table])
        self.counts['customers_sql'] = len(rest)

    # -- products ------------------------------------------------------------
    def _template_values(self, code, name, unit, list_price, cost_price,
            description, active=True, category=None):
        uom = self.uom[unit]
        return {
            'categories': [('add', [self.categories[category]])],
            'name': name,
            'type': 'goods',
            'default_uom': uom,
            'sale_uom': uom,
            'salable': True,
            'account_category': self.category_id,
            'active': active,
            'products': [('create', [{
                            'suffix_code': code,
                            'description': description,
                            'active': active,
                            }])],
            }

    def _set_prices(self, rows):
        "Create the company values of list and cost prices in bulk"
        # Through the template's MultiValue fields, each value is saved on
        # its own: 4 times slower. The ORM saves a default cost price (0)
        # for each new product: replace it.
        ListPrice = self.pool.get('product.list_price')
        CostPrice = self.pool.get('product.cost_price')
        for chunk in batched(rows, 1000):
            CostPrice.delete(CostPrice.search([
                        ('product', 'in', [p for _, p, _, _ in chunk]),
                        ]))
            ListPrice.create([{'template': t, 'company': self.company_id,
                        'list_price': lp} for t, _, lp, _ in chunk])
            CostPrice.create([{'product': p, 'company': self.company_id,
                        'cost_price': cp} for _, p, _, cp in chunk])

    PRODUCT_TABLES = ['product_template', 'product_product',
        'product_list_price', 'product_cost_price',
        'product_cost_price_method', 'ir_translation',
        'product_template-product_category']

    def _product_rows(self, tid, pid, v, m, alloc):
        "Rows the ORM (and _set_prices) write for template values v"
        new_id = (lambda t: alloc[t]()) if alloc else (lambda t: None)
        product = v['products'][0][1][0]
        return {
            'product_template': [{'id': tid, 'name': v['name'],
                    'default_uom': v['default_uom'],
                    'sale_uom': v['sale_uom'], 'active': v['active']}],
            'product_product': [{'id': pid, 'template': tid,
                    'suffix_code': product['suffix_code'],
                    'code': product['suffix_code'],
                    'description': product['description'],
                    'active': product['active']}],
            'product_list_price': [{'id': new_id('product_list_price'),
                    'template': tid, 'list_price': m['price']}],
            'product_cost_price': [{'id': new_id('product_cost_price'),
                    'product': pid, 'cost_price': m['cost']}],
            'product_cost_price_method': [{
                    'id': new_id('product_cost_price_method'),
                    'template': tid}],
            'product_template-product_category': [{
                    'id': new_id('product_template-product_category'),
                    'template': tid,
                    'category': v['categories'][0][1][0]}],
            # translatable fields: the ORM stores the source in the
            # default language too
            'ir_translation': [{'id': new_id('ir_translation'),
                    'name': 'product.template,name', 'res_id': tid,
                    'src': v['name'], 'value': v['name']},
                {'id': new_id('ir_translation'),
                    'name': 'product.product,description', 'res_id': pid,
                    'src': product['description'],
                    'value': product['description']}],
            }

    def create_products(self):
        Template = self.pool.get('product.template')
        Category = self.pool.get('product.category')
        rng = self.rng
        self.categories = {}
        for key, name, parent in CATEGORIES:
            category, = Category.create([{'name': name,
                        'parent': self.categories.get(parent)}])
            self.categories[key] = category.id
        self.fixtures['categories'] = dict(self.categories)
        tea, bolt = Template.create([
                self._template_values('P-TEA',
                    "Longjing Green Tea 龙井茶 250g", 'u', TEA_PRICE,
                    Decimal('95.0000'),
                    "West Lake Longjing, first flush (明前), 250 g tin. "
                    "西湖龙井明前特级，250克罐装。", category='TEA'),
                self._template_values('P-BOLT',
                    "Stainless Steel Bolt M8 不锈钢螺栓 M8", 'u',
                    BOLT_PRICE, Decimal('0.0702'),
                    "A2-70 stainless, M8 x 30 mm, sold by the piece. "
                    "A2-70不锈钢，M8×30毫米，按件销售。",
                    category='HARDWARE'),
                ])
        self.tea_id = tea.products[0].id
        self.bolt_id = bolt.products[0].id
        self._set_prices([
                (tea.id, self.tea_id, TEA_PRICE, Decimal('95.0000')),
                (bolt.id, self.bolt_id, BOLT_PRICE, Decimal('0.0702')),
                ])
        self.fixtures['products'] = {'P-TEA': self.tea_id,
            'P-BOLT': self.bolt_id}
        self.counts['products_fixed'] = 2

        self.products = []  # dicts: id, unit, price, cost, active
        values = []
        meta = []
        for i in range(1, self.args.products + 1):
            name, unit, price, cost, desc, kind = gen_product(rng, i)
            active = rng.random() >= 0.03
            category = KIND_CATEGORY[kind]
            values.append(self._template_values('P%06d' % i, name, unit,
                    price, cost, desc, active=active, category=category))
            meta.append({'unit': unit, 'price': price, 'cost': cost,
                    'active': active, 'category': category})
        n_orm = len(values) if self.args.orm_only else min(
            len(values), ORM_PRODUCTS)
        bulk = Bulk()
        before = bulk.max_ids()
        orm = []
        for chunk, mchunk in zip(batched(values[:n_orm], UNIQUE_BATCH),
                batched(meta[:n_orm], UNIQUE_BATCH)):
            templates = Template.create(chunk)
            with inactive_records():
                templates = Template.browse([t.id for t in templates])
            prices = []
            for t, m, v in zip(templates, mchunk, chunk):
                m['id'] = t.products[0].id
                self.products.append(m)
                prices.append((t.id, m['id'], m['price'], m['cost']))
                orm.append((t.id, m['id'], v, m))
            self._set_prices(prices)
        log("  products %d/%d (ORM)" % (n_orm, len(values)))
        if n_orm < len(values):
            after = bulk.max_ids()
            touched = bulk.touched(before, after)
            if touched != set(self.PRODUCT_TABLES):
                raise RuntimeError("fast path check: creating products "
                    "wrote to %s, expected %s" % (sorted(touched),
                        self.PRODUCT_TABLES))
            exemplar = {t: bulk.rows(t, 'id = ?', (after[t],))[0]
                for t in self.PRODUCT_TABLES}
            keys = {'product_template': ('id', 0), 'product_product': ('id', 1),
                'product_list_price': ('template', 0),
                'product_cost_price': ('product', 1),
                'product_cost_price_method': ('template', 0),
                'product_template-product_category': ('template', 0)}
            for tid, pid, v, m in orm:
                rows = self._product_rows(tid, pid, v, m, None)
                for table, expected in rows.items():
                    if table == 'ir_translation':
                        actual = bulk.rows(table, "(name = "
                            "'product.template,name' AND res_id = ?) OR ("
                            "name = 'product.product,description' AND "
                            "res_id = ?)", (tid, pid))
                    else:
                        column, index = keys[table]
                        actual = bulk.rows(table, '"%s" = ?' % column,
                            ((tid, pid)[index],))
                    bulk.compare(table, actual, expected, exemplar[table])
            alloc = {t: IdAllocator(after[t]) for t in self.PRODUCT_TABLES}
            for chunk, mchunk in zip(batched(values[n_orm:], 5000),
                    batched(meta[n_orm:], 5000)):
                rows = defaultdict(list)
                for v, m in zip(chunk, mchunk):
                    tid = alloc['product_template']()
                    m['id'] = pid = alloc['product_product']()
                    self.products.append(m)
                    for table, trows in self._product_rows(
                            tid, pid, v, m, alloc).items():
                        rows[table].extend(trows)
                for table in self.PRODUCT_TABLES:
                    bulk.insert(table, exemplar[table], rows[table])
            self.counts['products_sql'] = len(values) - n_orm
            log("  products %d/%d (SQL)" % (len(values), len(values)))
        self.counts['products'] = len(self.products)
        self.counts['products_inactive'] = sum(
            1 for p in self.products if not p['active'])

    # -- stock ---------------------------------------------------------------
    def create_stock(self):
        Move = self.pool.get('stock.move')
        rng = self.rng
        date = self.today - datetime.timedelta(days=400)
        moves = []
        for code, qty in TEA_STOCK.items():
            moves.append(self._in_move(self.tea_id, 'u', qty,
                    Decimal('95.0000'), code, date))
        self.stock = defaultdict(dict)  # product id -> {wh code: qty}
        for p in self.products:
            for code, share in [('WH', 0.9), ('WH-SZ', 0.75)]:
                if rng.random() < share:
                    if p['unit'] == 'kg':
                        qty = round(rng.uniform(50, 2000), 1)
                    else:
                        qty = rng.choice([100, 200, 500, 1000, 2000, 5000])
                    moves.append(self._in_move(p['id'], p['unit'], qty,
                            p['cost'], code, date))
                    self.stock[p['id']][code] = qty
        orm_products = {p['id'] for p in self.products[:ORM_PRODUCTS]}
        orm_products.add(self.tea_id)
        if self.args.orm_only:
            orm_moves, sql_moves = moves, []
        else:
            orm_moves = [m for m in moves if m['product'] in orm_products]
            sql_moves = [m for m in moves if m['product'] not in orm_products]
        bulk = Bulk()
        before = bulk.max_ids()
        created = []
        for chunk in batched(orm_moves, 1000):
            records = Move.create(chunk)
            Move.do(records)
            created.extend(r.id for r in records)
        log("  stock moves %d/%d (ORM)" % (len(orm_moves), len(moves)))
        if sql_moves:
            self.drain()
            after = bulk.max_ids()
            touched = bulk.touched(before, after) - {'ir_queue'}
            if touched != {'stock_move'}:
                raise RuntimeError("fast path check: stock moves wrote to "
                    "%s" % sorted(touched))
            exemplar = bulk.rows('stock_move', 'id = ?', (created[-1],))[0]
            for mid, m in zip(created, orm_moves):
                bulk.compare('stock_move', bulk.rows('stock_move', 'id = ?',
                        (mid,)), [self._move_row(mid, m)], exemplar)
            alloc = IdAllocator(after['stock_move'])
            for chunk in batched(sql_moves, 10000):
                bulk.insert('stock_move', exemplar,
                    [self._move_row(alloc(), m) for m in chunk])
            log("  stock moves %d/%d (SQL)" % (len(moves), len(moves)))
        self.counts['stock_moves_in'] = len(moves)
        self.counts['stock_moves_in_sql'] = len(sql_moves)

    def _move_row(self, mid, m):
        "Row of a done incoming move as Move.create + Move.do write it"
        return {'id': mid, 'product': m['product'], 'unit': m['unit'],
            'quantity': m['quantity'], 'internal_quantity': m['quantity'],
            'to_location': m['to_location'], 'unit_price': m['unit_price'],
            'cost_price': m['unit_price']}

    def _in_move(self, product, unit, qty, cost, wh, date):
        return {
            'product': product,
            'unit': self.uom[unit],
            'quantity': qty,
            'from_location': self.supplier_loc,
            'to_location': self.warehouses[wh]['storage'],
            'planned_date': date,
            'effective_date': date,
            'unit_price': cost,
            'currency': self.currency_id,
            'company': self.company_id,
            }

    # -- sales ---------------------------------------------------------------
    def plan_sales(self):
        "Decide every sale (customer, lines, fate, dates) up front"
        rng = self.rng
        today = self.today
        active_customers = [cid for cid, a in self.customers if a]
        # a few customers buy a lot: weight ~ 1/rank
        weights = [1.0 / (1 + (i % 97)) for i in range(len(active_customers))]
        rng.shuffle(active_customers)
        fixed = self.fixtures['parties']
        buyers = active_customers + [fixed['C-HUAWEI'], fixed['C-ACME']]
        weights = weights + [0.8, 0.5]
        sellable = {code: [p for p in self.products
                if p['active'] and code in self.stock.get(p['id'], {})]
            for code in self.warehouses}
        plans = []
        for n in range(self.args.sales):
            age = rng.randint(0, 364)
            r = rng.random()
            if age <= 30 and r < 0.10:
                fate = 'draft'
            elif age <= 30 and r < 0.22:
                fate = 'quotation'
            elif r < 0.03 or (age <= 30 and r < 0.25):
                fate = 'cancelled'
            elif age <= 20 and r < 0.75:
                fate = 'unshipped'
            else:
                fate = 'shipped'
            wh = 'WH' if rng.random() < 0.6 else 'WH-SZ'
            customer = rng.choices(buyers, weights)[0]
            lines = []
            for p in rng.sample(sellable[wh], min(len(sellable[wh]),
                        rng.choices([1, 2, 3, 4, 5, 6, 7, 8],
                            [14, 16, 16, 14, 12, 11, 9, 8])[0])):
                if p['unit'] == 'kg':
                    qty = round(rng.uniform(0.5, 40), 1)
                elif p['price'] < 5:
                    qty = rng.choice([50, 100, 200, 500, 1000])
                else:
                    qty = rng.choice([1, 1, 2, 2, 3, 5, 6, 10, 12, 20, 24,
                            50])
                lines.append((p, qty))
            plan = {
                'date': today - datetime.timedelta(days=age),
                'fate': fate, 'wh': wh, 'customer': customer,
                'lines': lines,
                'invoice_method': 'order' if rng.random() < 0.5
                else 'fulfillment',
                'reference': ('PO-%s-%04d' % (
                        (today - datetime.timedelta(days=age)).strftime(
                            '%y%m'), rng.randint(1, 9999))
                    if rng.random() < 0.6 else None),
                'ship_days': rng.randint(0, 4),
                'unshipped_state': rng.choice(['waiting', 'waiting',
                        'assigned', 'picked', 'packed']),
                'shipping_ahead': rng.randint(1, 14),
                'invoice_delay': rng.randint(0, 3),
                'post': rng.random() < 0.97,
                'pay_roll': rng.random(),
                'pay_ratio': rng.uniform(0.2, 0.8),
                'pay_delay': rng.randint(5, 55),
                'complaint': rng.random() < 0.02,
                }
            plans.append(plan)
        plans.sort(key=lambda p: p['date'])
        return plans

    def create_sales(self):
        Sale = self.pool.get('sale.sale')
        Party = self.pool.get('party.party')
        rng = self.rng
        plans = self.plan_sales()
        # the C-LIMIT sale: 25 x P-TEA from Shanghai, invoiced on order,
        # invoice posted and unpaid, shipment packed (not done)
        limit_plan = {
            'date': self.today - datetime.timedelta(days=42),
            'fate': 'unshipped', 'wh': 'WH',
            'customer': self.fixtures['parties']['C-LIMIT'],
            'lines': [({'id': self.tea_id, 'unit': 'u', 'price': TEA_PRICE},
                    LIMIT_SALE_QUANTITY)],
            'invoice_method': 'order', 'reference': 'XE-2024-001',
            'unshipped_state': 'packed', 'shipping_ahead': 0,
            'invoice_delay': 0, 'post': True, 'pay_roll': 1.0,
            'pay_ratio': 0, 'pay_delay': 0, 'complaint': False,
            'ship_days': 0, 'fixed': True,
            }
        plans.insert(0, limit_plan)

        party_ids = {p['customer'] for p in plans}
        addresses = {}
        terms = {}
        for chunk in batched(sorted(party_ids), 500):
            for party in Party.browse(chunk):
                inv = [a for a in party.addresses if a.invoice] \
                    or list(party.addresses)
                dlv = [a for a in party.addresses if a.delivery] \
                    or list(party.addresses)
                addresses[party.id] = (inv[0].id, rng.choice(dlv).id
                    if len(dlv) > 1 and rng.random() < 0.3 else dlv[0].id)
                terms[party.id] = (party.customer_payment_term.id
                    if party.customer_payment_term else self.terms[0])
        values = []
        fixed_parties = set(self.fixtures['parties'].values())
        discounted = 0
        for plan in plans:
            inv, dlv = addresses[plan['customer']]
            # As Tryton's client sends them: the list price as the base
            # price, and some lines sold at a line discount (sale_discount
            # shows it from the two), never for the fixtures' customers,
            # whose figures the tests know.
            prices = []
            for p, qty in plan['lines']:
                unit_price = p['price']
                if (plan['customer'] not in fixed_parties
                        and self.pricing_rng.random() < 0.15):
                    rate = self.pricing_rng.choice(
                        [Decimal('0.05'), Decimal('0.10'), Decimal('0.15')])
                    unit_price = (p['price'] * (1 - rate)).quantize(
                        Decimal('0.0001'))
                    discounted += 1
                prices.append(unit_price)
            v = {
                'party': plan['customer'],
                'invoice_address': inv,
                'shipment_address': dlv,
                'payment_term': terms[plan['customer']],
                'warehouse': self.warehouses[plan['wh']]['id'],
                'currency': self.currency_id,
                'company': self.company_id,
                'sale_date': plan['date'],
                'invoice_method': plan['invoice_method'],
                'shipment_method': 'order',
                'reference': plan['reference'],
                'lines': [('create', [{
                                'type': 'line',
                                'product': p['id'],
                                'quantity': qty,
                                'unit': self.uom[p['unit']],
                                'base_price': p['price'],
                                'unit_price': unit_price,
                                'description': None,
                                } for (p, qty), unit_price in zip(
                                    plan['lines'], prices)])],
                }
            if plan['fate'] == 'unshipped' and plan['unshipped_state'] == \
                    'waiting':
                v['shipping_date'] = self.today + datetime.timedelta(
                    days=plan['shipping_ahead'])
            values.append(v)
        # descriptions like the Tryton client fills them: product rec_name
        Product = self.pool.get('product.product')
        names = {}
        ids = sorted({l['product'] for v in values
                for l in v['lines'][0][1]})
        for chunk in batched(ids, 1000):
            for p in Product.browse(chunk):
                names[p.id] = p.rec_name
        for v in values:
            for l in v['lines'][0][1]:
                l['description'] = names[l['product']]
        self.sale_ids = []
        for chunk in batched(values, BATCH):
            self.sale_ids.extend(s.id for s in Sale.create(chunk))
        self.plans = dict(zip(self.sale_ids, plans))
        self.limit_sale_id = self.sale_ids[0]
        self.counts['sales'] = len(self.sale_ids)
        self.counts['sale_lines'] = sum(len(p['lines']) for p in plans)
        self.counts['sale_lines_discounted'] = discounted

    def by_fate(self, *fates):
        return [sid for sid in self.sale_ids
            if self.plans[sid]['fate'] in fates]

    def run_sale_workflow(self):
        Sale = self.pool.get('sale.sale')
        to_quote = self.by_fate('quotation', 'cancelled', 'unshipped',
            'shipped')
        for chunk in batched(to_quote, BATCH):
            with self.timer('sale.quote'):
                Sale.quote(Sale.browse(chunk))
        log("  quoted %d" % len(to_quote))
        cancelled = self.by_fate('cancelled')
        for chunk in batched(cancelled, BATCH):
            Sale.cancel(Sale.browse(chunk))
        to_confirm = self.by_fate('unshipped', 'shipped')
        done = 0
        for chunk in batched(to_confirm, BATCH):
            with self.timer('sale.confirm'):
                Sale.confirm(Sale.browse(chunk))
            self.drain()  # process: create invoices (on order), shipments
            done += len(chunk)
            if done % 1000 < 100:
                log("  confirmed+processed %d/%d" % (done, len(to_confirm)))
        for fate in ['draft', 'quotation', 'cancelled']:
            self.counts['sales_' + fate] = len(self.by_fate(fate))
        self.counts['sales_confirmed'] = len(to_confirm)

    def ship(self):
        Shipment = self.pool.get('stock.shipment.out')
        Sale = self.pool.get('sale.sale')
        self.defer_process = True
        shipped, partial = [], defaultdict(list)
        for chunk in batched(self.by_fate('unshipped', 'shipped'), 500):
            for sale in Sale.browse(chunk):
                plan = self.plans[sale.id]
                for shipment in sale.shipments:
                    if plan['fate'] == 'shipped':
                        date = min(self.today, plan['date']
                            + datetime.timedelta(days=plan['ship_days']))
                        shipped.append((shipment.id, date))
                    elif plan['unshipped_state'] != 'waiting':
                        partial[plan['unshipped_state']].append(shipment.id)
        # effective dates in the past (the moves take the shipment's date)
        by_date = defaultdict(list)
        for sid, date in shipped:
            by_date[date].append(sid)
        args = []
        for date, ids in sorted(by_date.items()):
            args.extend([Shipment.browse(ids), {'effective_date': date}])
        if args:
            Shipment.write(*args)
        done_ids = [s for s, _ in shipped]
        done = 0
        for chunk in batched(done_ids, BATCH):
            shipments = Shipment.browse(chunk)
            for step in ['assign_force', 'pick', 'pack', 'do']:
                with self.timer('shipment.' + step):
                    getattr(Shipment, step)(shipments)
            self.drain()
            done += len(chunk)
            if done % 1000 < BATCH:
                log("  shipped %d/%d" % (done, len(done_ids)))
        steps = {'assigned': ['assign_force'],
            'picked': ['assign_force', 'pick'],
            'packed': ['assign_force', 'pick', 'pack']}
        for state, ids in partial.items():
            for chunk in batched(ids, BATCH):
                shipments = Shipment.browse(chunk)
                for step in steps[state]:
                    getattr(Shipment, step)(shipments)
            self.counts['shipments_' + state] = len(ids)
        self.drain()
        # sales invoiced on fulfillment get their invoices now
        self.flush_process([sid for sid in self.sale_ids
                if self.plans[sid]['invoice_method'] == 'fulfillment'])
        self.counts['shipments_done'] = len(done_ids)
        self.counts['shipments_waiting'] = Shipment.search(
            [('state', '=', 'waiting')], count=True)

    def post_invoices(self):
        Invoice = self.pool.get('account.invoice')
        Sale = self.pool.get('sale.sale')
        invoice_plan = {}
        for chunk in batched(self.by_fate('unshipped', 'shipped'), 500):
            for sale in Sale.browse(chunk):
                plan = self.plans[sale.id]
                for invoice in sale.invoices:
                    if invoice.state != 'draft':
                        continue
                    if plan['invoice_method'] == 'order':
                        base = plan['date']
                    else:
                        base = plan['date'] + datetime.timedelta(
                            days=plan['ship_days'])
                    date = min(self.today, base + datetime.timedelta(
                            days=plan['invoice_delay']))
                    if plan['fate'] == 'unshipped' and not plan.get('fixed'):
                        post = plan['post'] and plan['pay_roll'] < 0.5
                    else:
                        post = plan['post']
                    invoice_plan[invoice.id] = (date, post, plan)
        by_date = defaultdict(list)
        for iid, (date, _, _) in invoice_plan.items():
            by_date[date].append(iid)
        args = []
        for date, ids in sorted(by_date.items()):
            args.extend([Invoice.browse(ids), {
                        'invoice_date': date, 'accounting_date': date}])
        for i in range(0, len(args), 2 * 50):
            Invoice.write(*args[i:i + 2 * 50])
        # post in date order: invoice numbers must follow invoice dates
        to_post = sorted((iid for iid, (_, post, _) in invoice_plan.items()
                if post), key=lambda i: (invoice_plan[i][0], i))
        done = 0
        for chunk in batched(to_post, BATCH):
            # post_batch is Tryton's bulk posting (numbers now, moves in a
            # queued task run by drain); it skips the interactive checks
            # of post (default taxes, similar invoices, future dates)
            with self.timer('invoice.post_batch'):
                Invoice.post_batch(Invoice.browse(chunk))
            self.drain()
            done += len(chunk)
            if done % 1000 < BATCH:
                log("  posted %d/%d" % (done, len(to_post)))
        self.invoice_plan = invoice_plan
        self.posted = to_post
        self.counts['invoices'] = len(invoice_plan)
        self.counts['invoices_posted'] = len(to_post)
        self.counts['invoices_draft'] = len(invoice_plan) - len(to_post)

    def pay_invoices(self):
        pool = self.pool
        Invoice = pool.get('account.invoice')
        Move = pool.get('account.move')
        Line = pool.get('account.move.line')
        Period = pool.get('account.period')
        PaymentMethod = pool.get('account.invoice.payment.method')
        Company = pool.get('company.company')
        company = Company(self.company_id)
        method = PaymentMethod(self.payment_method_id)
        today = self.today
        payments = []  # (invoice id, amount or None for full, date)
        for iid in self.posted:
            date, _, plan = self.invoice_plan[iid]
            if plan.get('fixed'):
                continue
            age = (today - date).days
            roll = plan['pay_roll']
            if age > 60:
                full, part = 0.75, 0.87
            elif age > 30:
                full, part = 0.5, 0.7
            else:
                full, part = 0.2, 0.35
            if roll < full:
                kind = 'full'
            elif roll < part:
                kind = 'partial'
            else:
                continue
            pay_date = min(today, date + datetime.timedelta(
                    days=plan['pay_delay']))
            payments.append((iid, kind, plan['pay_ratio'], pay_date))
        periods = {}
        counterpart = {}
        n_full = n_part = 0
        for chunk in batched(payments, BATCH):
            invoices = Invoice.browse([p[0] for p in chunk])
            moves = []
            pay_lines = []
            for invoice, (_, kind, ratio, date) in zip(invoices, chunk):
                total = invoice.amount_to_pay
                if kind == 'full':
                    amount = total
                else:
                    amount = money(total * Decimal(str(ratio)))
                if amount <= 0:
                    continue
                if date not in periods:
                    periods[date] = Period.find(company, date=date)
                    counterpart[date] = method.debit_account.current(
                        date=date)
                pay_line = Line(account=invoice.account, party=invoice.party,
                    debit=Decimal(0), credit=amount)
                other = Line(account=counterpart[date], debit=amount,
                    credit=Decimal(0))
                if other.account.party_required:
                    other.party = invoice.party
                moves.append(Move(journal=method.journal,
                        period=periods[date], date=date, origin=invoice,
                        description=("Payment %s" % invoice.number),
                        company=company, lines=[pay_line, other]))
                pay_lines.append((invoice, kind, amount))
            Move.save(moves)
            Move.post(moves)
            to_add = {}
            to_reconcile = []
            for move, (invoice, kind, amount) in zip(moves, pay_lines):
                line, = [l for l in move.lines
                    if l.account == invoice.account]
                to_add[invoice] = [line]
                if kind == 'full':
                    to_reconcile.append(list(invoice.lines_to_pay) + [line])
                    n_full += 1
                else:
                    n_part += 1
            Invoice.add_payment_lines(to_add)
            if to_reconcile:
                Line.reconcile(*to_reconcile)
            self.drain()  # invoices paid -> sales done
        self.counts['invoices_paid'] = n_full
        self.counts['invoices_partly_paid'] = n_part

    # -- pricing ---------------------------------------------------------------
    def create_pricing(self):
        """Price lists, each customer's list, the company's default list
        and promotions, as a company sets them up: the laptop must price a
        line exactly as Tryton does from all of them."""
        pool = self.pool
        PriceList = pool.get('product.price_list')
        Party = pool.get('party.party')
        Configuration = pool.get('sale.configuration')
        Promotion = pool.get('sale.promotion')
        rng = self.pricing_rng
        cat = self.categories
        today = self.today
        day = datetime.timedelta(days=1)
        salable = sorted((p for p in self.products if p['active']),
            key=lambda p: p['id'])

        def line(sequence, formula, category=None, product=None,
                quantity=None):
            return {'sequence': sequence, 'formula': formula,
                'category': cat[category] if category else None,
                'product': product, 'quantity': quantity}

        special = rng.sample(salable, min(6, len(salable)))
        gold_lines = [
            # a negotiated price, with no sequence: sorted first
            line(None, "Decimal('%s')" % (special[0]['price'] * Decimal(
                        '0.8')).quantize(Decimal('0.01')),
                product=special[0]['id']),
            ] + [
            line(10, "Decimal('%s')" % (p['price'] * Decimal('0.82')
                    ).quantize(Decimal('0.0001')), product=p['id'])
            for p in special[1:3]] + [
            line(20, "unit_price * Decimal('0.85')", category='TEA',
                quantity=10),
            line(30, "unit_price * 0.9", category='TEA'),
            line(40, "unit_price * 0.88", quantity=50),
            line(50, "unit_price * 0.92"),
            ]
        lists = [
            # key, name, price, lines
            ('STANDARD', "Standard 标准价", 'list_price', [
                    line(10, "unit_price * 0.98", quantity=100),
                    line(20, "unit_price"),
                    ]),
            ('GOLD', "Gold customers 金牌客户", 'list_price', gold_lines),
            ('SILVER', "Silver customers 银牌客户", 'list_price', [
                    line(10, "unit_price * 0.93", category='ELECTRONICS',
                        quantity=20),
                    # a parent category: every tea and grocery
                    line(20, "unit_price * 0.95", category='FOOD'),
                    line(30, "unit_price * 0.97"),
                    ]),
            ('DISTRIBUTOR', "Distributors 经销商", 'cost_price', [
                    line(10, "cost_price * 1.15", quantity=100),
                    line(20, "cost_price * Decimal('1.25') "
                        "if cost_price * Decimal('1.25') > list_price * 0.7 "
                        "else list_price * 0.7"),
                    ]),
            # No catch-all: Tryton gives no price for other products.
            ('PROJECT', "Hardware projects 五金项目价", 'list_price', [
                    line(10, "(unit_price + cost_price) / 2",
                        category='HARDWARE', quantity=1000),
                    line(20, "unit_price * 0.9", category='INDUSTRIAL'),
                    ]),
            ]
        self.price_lists = {}
        for key, name, price, lines in lists:
            price_list, = PriceList.create([{'name': name, 'price': price,
                        'lines': [('create', lines)]}])
            self.price_lists[key] = price_list.id
        self.fixtures['price_lists'] = dict(self.price_lists)

        config = Configuration(1)
        config.sale_price_list = self.price_lists['STANDARD']
        config.save()

        fixed = self.fixtures['parties']
        chosen = defaultdict(list)
        chosen['GOLD'].append(fixed['C-HUAWEI'])
        fixtures = set(fixed.values())
        keys = [None, 'GOLD', 'SILVER', 'DISTRIBUTOR', 'PROJECT']
        weights = [25, 15, 35, 15, 10]
        for cid, _ in self.customers:
            if cid in fixtures:
                continue
            key = rng.choices(keys, weights)[0]
            if key:
                chosen[key].append(cid)
        for key, parties in sorted(chosen.items()):
            for chunk in batched(parties, 500):
                Party.write(Party.browse(chunk),
                    {'sale_price_list': self.price_lists[key]})
            self.counts['customers_on_' + key.lower()] = len(parties)

        specials = rng.sample([p for p in salable if p['price'] > 20],
            min(4, sum(1 for p in salable if p['price'] > 20)))
        promotions = [
            {'name': "Spring tea 春茶特惠", 'formula': "unit_price * 0.9",
                'categories': [('add', [cat['TEA']])],
                'price_list': self.price_lists['GOLD'],
                'start_date': today - 10 * day,
                'end_date': today + 50 * day},
            {'name': "Hardware by the box 五金批量优惠",
                'formula': "unit_price * Decimal('0.95')",
                'categories': [('add', [cat['HARDWARE']])],
                'quantity': 500, 'unit': self.uom['u']},
            {'name': "Big electronics order 电子大单",
                'formula': "unit_price * 0.92",
                'categories': [('add', [cat['ELECTRONICS']])],
                'amount': Decimal('20000'), 'currency': self.currency_id,
                'untaxed_amount': True},
            {'name': "Office over 5,000 办公满五千",
                'formula': "unit_price * 0.9",
                'categories': [('add', [cat['OFFICE']])],
                'amount': Decimal('5000'), 'currency': self.currency_id,
                'untaxed_amount': True},
            {'name': "This week's specials 本周特价",
                'formula': "unit_price - 5",
                'products': [('add', [p['id'] for p in specials])],
                'start_date': today - 3 * day,
                'end_date': today + 4 * day},
            {'name': "Mid-autumn 中秋礼遇", 'formula': "unit_price * 0.8",
                'categories': [('add', [cat['FOOD']])],
                'start_date': today - 90 * day,
                'end_date': today - 60 * day},
            ]
        created = Promotion.create(promotions)
        self.fixtures['promotions'] = {p.name: p.id for p in created}
        self.counts['price_lists'] = len(lists)
        self.counts['promotions'] = len(created)

    def create_complaints(self):
        Complaint = self.pool.get('sale.complaint')
        Sale = self.pool.get('sale.sale')
        rng = self.rng
        shipped = self.by_fate('shipped')
        chosen = [sid for sid in shipped if self.plans[sid]['complaint']]
        for sid in shipped:
            if len(chosen) >= 3:
                break
            if sid not in chosen:
                chosen.append(sid)
        texts = [
            "Two cartons arrived damaged; customer requests replacement. "
            "两箱外包装破损，客户要求换货。",
            "Quantity short by one unit against the delivery note. "
            "实收数量比送货单少一件。",
            "Wrong specification delivered. 发货规格与订单不符。",
            "Late delivery, customer asks for a discount. "
            "交货延迟，客户要求折扣。",
            "Quality issue reported on part of the batch. 部分批次质量问题。",
            ]
        values = []
        for sale in Sale.browse(sorted(chosen)):
            plan = self.plans[sale.id]
            values.append({
                    'customer': sale.party.id,
                    'company': self.company_id,
                    'type': self.complaint_type_id,
                    'origin': 'sale.sale,%d' % sale.id,
                    'date': min(self.today, plan['date']
                        + datetime.timedelta(days=plan['ship_days'] + 3)),
                    'description': rng.choice(texts),
                    'reference': 'RMA-%05d' % rng.randint(1, 99999),
                    })
        complaints = Complaint.create(values)
        waiting = complaints[::2]
        if waiting:
            Complaint.wait(waiting)
        self.counts['complaints'] = len(complaints)
        self.counts['complaints_waiting'] = len(waiting)

    def update_sale_states(self):
        self.counts['sales_reprocessed'] = self.flush_process()
        self.defer_process = False

    def cleanup(self):
        Queue = self.pool.get('ir.queue')
        tasks = Queue.search([('finished_at', '!=', None)])
        Queue.delete(tasks)
        left = Queue.search([], count=True)
        if left:
            raise RuntimeError("%d queued tasks were not run" % left)

    def check(self):
        "Facts the tests and the demo rely on"
        pool = self.pool
        Party = pool.get('party.party')
        Product = pool.get('product.product')
        Invoice = pool.get('account.invoice')
        from trytond.transaction import Transaction
        fixed = self.fixtures['parties']
        limit = Party(fixed['C-LIMIT'])
        self.fixtures['C-LIMIT'] = {
            'credit_limit_amount': str(limit.credit_limit_amount),
            'credit_amount': str(limit.credit_amount),
            }
        if limit.credit_amount != TEA_PRICE * LIMIT_SALE_QUANTITY:
            raise RuntimeError("C-LIMIT credit amount is %s"
                % limit.credit_amount)
        tea = {}
        for code, wh in self.warehouses.items():
            with Transaction().set_context(locations=[wh['id']]):
                p = Product(self.tea_id)
                tea[code] = {'warehouse_id': wh['id'],
                    'quantity': p.quantity,
                    'forecast_quantity': p.forecast_quantity}
        self.fixtures['P-TEA stock'] = tea
        self.fixtures['warehouses'] = {code: {'id': wh['id'],
                'name': wh['name']} for code, wh in self.warehouses.items()}
        self.fixtures['complaint_type_id'] = self.complaint_type_id
        self.fixtures['limit_sale_id'] = self.limit_sale_id
        due = Invoice.search([('type', '=', 'out'), ('state', '=', 'posted')])
        self.counts['invoices_open'] = len(due)

    def run(self):
        self.load()
        self.phase('customers', self.create_customers)
        self.phase('products', self.create_products)
        self.phase('stock', self.create_stock)
        self.phase('sales_create', self.create_sales)
        self.phase('sales_workflow', self.run_sale_workflow)
        self.phase('shipments', self.ship)
        self.phase('invoices_post', self.post_invoices)
        self.phase('payments', self.pay_invoices)
        self.phase('sales_states', self.update_sale_states)
        self.phase('complaints', self.create_complaints)
        self.phase('pricing', self.create_pricing)
        self.phase('cleanup', self.cleanup)
        self.phase('check', self.check)


def fold_wal(dbname, dbfile):
    import gc
    import sqlite3

    from trytond import backend
    backend.Database(dbname).close()
    gc.collect()
    conn = sqlite3.connect(dbfile, timeout=30)
    try:
        conn.execute('PRAGMA optimize')
        busy, _, _ = conn.execute(
            'PRAGMA wal_checkpoint(TRUNCATE)').fetchone()
        if busy:
            raise RuntimeError("could not checkpoint the WAL of %s" % dbfile)
        try:
            conn.execute('PRAGMA journal_mode = DELETE')
        except sqlite3.OperationalError:
            pass
    finally:
        conn.close()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--config', required=True)
    parser.add_argument('--database', required=True)
    parser.add_argument('--customers', type=int, default=60)
    parser.add_argument('--products', type=int, default=150)
    parser.add_argument('--sales', type=int, default=80)
    parser.add_argument('--seed', type=int, default=1)
    parser.add_argument('--orm-only', action='store_true',
        help="create every customer, product and stock move through the "
        "ORM (slow: ~10 ms each)")
    args = parser.parse_args()
    for name in ['customers', 'products', 'sales']:
        if getattr(args, name) < 0:
            raise SystemExit("seed: --%s must be >= 0" % name)
    if args.products < 10 or args.customers < 1:
        raise SystemExit("seed: need at least 1 customer and 10 products")
    conf = os.path.abspath(args.config)
    if not os.path.isfile(conf):
        raise SystemExit("seed: config file %s not found" % conf)
    from trytond import config as tconfig
    tconfig.update_etc(conf)
    postgres = (tconfig.get('database', 'uri') or '').startswith('postgresql')
    path = tconfig.get('database', 'path')
    dbfile = os.path.join(path or '', args.database + '.sqlite')
    if not postgres and not os.path.isfile(dbfile):
        raise SystemExit("seed: database file %s not found: run create_db.py"
            % dbfile)
    started = time.monotonic()
    if os.environ.get('SEED_GC'):
        import gc
        gc.set_threshold(*map(int, os.environ['SEED_GC'].split(',')))
    seeder = Seeder(args.database, args)
    try:
        seeder.run()
        if postgres:
            from trytond import backend
            backend.Database(args.database).close()
        else:
            fold_wal(args.database, dbfile)
    except BaseException as exc:
        traceback.print_exc()
        sys.stderr.write("seed: FAILED: %s: %s\n" % (
                type(exc).__name__, exc))
        sys.exit(1)
    total = time.monotonic() - started
    log("done in %.1fs" % total)
    print(json.dumps({
                'database': args.database,
                'args': {'customers': args.customers,
                    'products': args.products, 'sales': args.sales,
                    'seed': args.seed},
                'today': str(seeder.today),
                'counts': dict(seeder.counts),
                'seconds': seeder.timings,
                'seconds_total': round(total, 1),
                'seconds_queued_tasks': {k: round(v, 1)
                    for k, v in seeder.task_times.items()},
                'fixtures': seeder.fixtures,
                }, ensure_ascii=False, indent=1, default=str))


if __name__ == '__main__':
    main()
