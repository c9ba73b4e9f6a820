#!/usr/bin/env python3
"""Give ERP users Fieldbook's "Fieldbook salesperson" group.

Run with the virtualenv's python, after Fieldbook's module is activated:

    python grant_salesperson.py --config CONF --database NAME LOGIN...

What an administrator does in the Tryton client (Administration › Users ›
the user › Groups); the tests and the demo run it on their databases.
"""
import argparse
import sys


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--config', required=True)
    parser.add_argument('--database', required=True)
    parser.add_argument('logins', nargs='+')
    args = parser.parse_args()

    from trytond import config
    config.update_etc(args.config)
    from trytond.pool import Pool
    from trytond.transaction import Transaction

    Pool.start()
    pool = Pool(args.database)
    pool.init()
    with Transaction().start(args.database, 0) as transaction:
        User = pool.get('res.user')
        ModelData = pool.get('ir.model.data')
        group = ModelData.get_id('fieldbook', 'group_fieldbook_salesperson')
        users = User.search([('login', 'in', args.logins)])
        missing = set(args.logins) - {user.login for user in users}
        if missing:
            sys.exit("no ERP user with the login(s) %s" % ', '.join(
                    sorted(missing)))
        User.write(users, {'groups': [('add', [group])]})
        transaction.commit()


if __name__ == '__main__':
    main()
