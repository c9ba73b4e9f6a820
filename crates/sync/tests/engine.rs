//! The executor against a fake ERP held in memory: every interruption
//! point, deletions, and changes made while a pull runs. (The same paths run
//! against the real Tryton in the end-to-end tests; here every call can be
//! made to fail, deterministically.)

use chrono::{DateTime, Duration as Span, TimeZone, Utc};
use fieldbook_core::{
    Credit, Currency, Customer, DraftLine, Entity, ErpId, Product, Records, RequestState,
    SaleDraft, SaleKind, SaleRef, SaleState, StockLevel, Warehouse,
};
use fieldbook_erp::{Erp, ErpError, PullRequest, Question, SentCustomer, SentSale, Survey};
use fieldbook_store::Store;
use fieldbook_store::{CustomerRef, ProductRef};
use fieldbook_sync::{SyncOptions, pull};
use rust_decimal::Decimal;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

#[derive(Clone)]
struct FakeCustomer {
    name: String,
    active: bool,
    changed: DateTime<Utc>,
}

#[derive(Default)]
struct World {
    now: DateTime<Utc>,
    customers: BTreeMap<ErpId, FakeCustomer>,
    products: BTreeMap<ErpId, (String, DateTime<Utc>)>,
    stock: BTreeMap<ErpId, Decimal>,
    stock_moved: BTreeMap<ErpId, DateTime<Utc>>,
    /// Sales by the client's uuid, as the ERP holds them.
    sales: BTreeMap<String, SentSale>,
    /// Sales of this customer are refused (as over a credit limit).
    refuse_customer: Option<ErpId>,
    /// Sales of this customer are made, then refused (as at confirmation):
    /// the ERP keeps the quotation.
    refuse_half_way: Option<ErpId>,
    /// The user lacks the right to make sales for this customer (as when
    /// Tryton's sale rules keep them to their own customers).
    no_right_customer: Option<ErpId>,
    /// Sales of this customer raise a warning until it is acknowledged.
    warn_customer: Option<ErpId>,
    /// How many of the next sales are made but their answer lost.
    lose_answers: usize,
    /// How many times a quotation became an order.
    confirmations: usize,
    /// Records made from customer entries, by the client's uuid.
    made: BTreeMap<String, ErpId>,
    /// The customer each sale was sent for, by the sale's uuid.
    sale_customers: BTreeMap<String, ErpId>,
    /// Entities the user may not read, and whether they may not read the
    /// lines that move credit.
    not_readable: BTreeSet<Entity>,
    credit_moves_not_readable: bool,
    /// Pages of this entity are refused, not for rights.
    rejected: Option<Entity>,
    /// Whether the ERP answers a delta's survey in one request (as Tryton
    /// with Fieldbook's module does).
    surveys: bool,
    /// Whether the ERP's clock dates every change not yet read (as Tryton
    /// on PostgreSQL with Fieldbook's module).
    exact_clock: bool,
    /// Requests for records (pages, counts, ids), by entity.
    asked: BTreeMap<Entity, u64>,
    /// Decimals of the company's currency.
    currency_digits: u32,
}

fn not_permitted(model: &str) -> ErpError {
    ErpError::NotPermitted {
        login: "sales".into(),
        action: "read",
        model: model.into(),
        detail: format!("You are not allowed to access \"{model}\"."),
    }
}

/// An ERP in memory. `fail_at` makes the n-th call (counting from 0) fail
/// as if the network dropped; `on_call` lets a test change the ERP between
/// two calls.
struct FakeErp {
    world: Mutex<World>,
    calls: AtomicU64,
    fail_at: Option<u64>,
}

impl FakeErp {
    fn new(world: World, fail_at: Option<u64>) -> Arc<FakeErp> {
        Arc::new(FakeErp {
            world: Mutex::new(world),
            calls: AtomicU64::new(0),
            fail_at,
        })
    }

    fn call(&self) -> Result<std::sync::MutexGuard<'_, World>, ErpError> {
        let call = self.calls.fetch_add(1, Ordering::SeqCst);
        let mut world = self.world.lock().unwrap();
        world.now += Span::seconds(1);
        if Some(call) == self.fail_at {
            return Err(ErpError::Unreachable {
                url: "fake".into(),
                detail: format!("dropped at call {call}"),
            });
        }
        Ok(world)
    }
}

fn epoch() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 25, 8, 0, 0).unwrap()
}

impl Erp for FakeErp {
    fn currency(&self) -> Currency {
        Currency {
            code: "CNY".into(),
            digits: self.world.lock().unwrap().currency_digits,
        }
    }

    fn default_price_list(&self) -> Option<ErpId> {
        None
    }

    async fn survey(&self, questions: &[Question]) -> Result<Option<Survey>, ErpError> {
        if !self.world.lock().unwrap().surveys {
            return Ok(None);
        }
        let world = self.call()?;
        let answer = |question: &Question| -> Result<u64, ErpError> {
            let count = |n: usize| Ok(n as u64);
            match *question {
                Question::Changed { entity, .. } | Question::Live(entity)
                    if world.not_readable.contains(&entity) =>
                {
                    Err(not_permitted(entity.name()))
                }
                Question::CreditMoved(_) if world.credit_moves_not_readable => {
                    Err(not_permitted("account.move.line"))
                }
                Question::Changed { entity, since } => match entity {
                    Entity::Customers => count(
                        world
                            .customers
                            .values()
                            .filter(|c| c.changed >= since)
                            .count(),
                    ),
                    Entity::Products => {
                        count(world.products.values().filter(|p| p.1 >= since).count())
                    }
                    _ => Ok(0),
                },
                Question::Live(entity) => match entity {
                    Entity::Customers => {
                        count(world.customers.values().filter(|c| c.active).count())
                    }
                    Entity::Products => count(world.products.len()),
                    Entity::Warehouses => Ok(1),
                    _ => Ok(0),
                },
                Question::StockMoved(since) => count(
                    world
                        .stock_moved
                        .values()
                        .filter(|time| **time >= since)
                        .count(),
                ),
                Question::CreditMoved(_) => Ok(0),
            }
        };
        Ok(Some(Survey {
            clock: world.now,
            answers: questions.iter().map(answer).collect(),
        }))
    }

    async fn clock(&self) -> Result<DateTime<Utc>, ErpError> {
        Ok(self.call()?.now)
    }

    fn exact_clock(&self) -> bool {
        self.world.lock().unwrap().exact_clock
    }

    async fn pull(&self, entity: Entity, request: PullRequest) -> Result<Records, ErpError> {
        let mut world = self.call()?;
        *world.asked.entry(entity).or_default() += 1;
        if world.not_readable.contains(&entity) {
            return Err(not_permitted(entity.name()));
        }
        if world.rejected == Some(entity) {
            return Err(ErpError::Rejected {
                message: "Invalid domain".into(),
                description: None,
            });
        }
        let changed = |time: DateTime<Utc>| request.since.is_none_or(|since| time >= since);
        Ok(match entity {
            Entity::Warehouses => {
                Records::Warehouses(if request.since.is_none() && request.after_id < 1 {
                    vec![Warehouse {
                        erp_id: 1,
                        code: None,
                        name: "Main".into(),
                        active: true,
                    }]
                } else {
                    vec![]
                })
            }
            Entity::Customers => Records::Customers(
                world
                    .customers
                    .range(request.after_id + 1..)
                    .filter(|(_, c)| changed(c.changed) && (c.active || request.since.is_some()))
                    .take(request.limit)
                    .map(|(&erp_id, c)| Customer {
                        erp_id,
                        code: Some(format!("C{erp_id}")),
                        name: c.name.clone(),
                        tax_id: None,
                        price_list_id: None,
                        active: c.active,
                    })
                    .collect(),
            ),
            Entity::Products => Records::Products(
                world
                    .products
                    .range(request.after_id + 1..)
                    .filter(|(_, (_, time))| changed(*time))
                    .take(request.limit)
                    .map(|(&erp_id, (name, _))| Product {
                        erp_id,
                        code: Some(format!("P{erp_id}")),
                        name: name.clone(),
                        description: None,
                        unit: "u".into(),
                        list_price: Some(Decimal::ONE),
                        salable: true,
                        pricing: Default::default(),
                        active: true,
                    })
                    .collect(),
            ),
            Entity::Addresses => Records::Addresses(vec![]),
            Entity::Contacts => Records::Contacts(vec![]),
            Entity::Orders => Records::Orders(vec![]),
            Entity::OrderLines => Records::OrderLines(vec![]),
            Entity::Invoices => Records::Invoices(vec![]),
            Entity::Payments => Records::Payments(vec![]),
            Entity::Complaints
            | Entity::Categories
            | Entity::PriceLists
            | Entity::PriceListLines
            | Entity::Promotions => Records::empty(entity),
        })
    }

    async fn count(&self, entity: Entity) -> Result<u64, ErpError> {
        Ok(self.ids(entity).await?.len() as u64)
    }

    async fn ids(&self, entity: Entity) -> Result<Vec<ErpId>, ErpError> {
        let mut world = self.call()?;
        *world.asked.entry(entity).or_default() += 1;
        if world.not_readable.contains(&entity) {
            return Err(not_permitted(entity.name()));
        }
        Ok(match entity {
            Entity::Customers => world
                .customers
                .iter()
                .filter(|(_, c)| c.active)
                .map(|(id, _)| *id)
                .collect(),
            Entity::Products => world.products.keys().copied().collect(),
            Entity::Warehouses => vec![1],
            _ => vec![],
        })
    }

    async fn stock(
        &self,
        products: &[ErpId],
        warehouses: &[ErpId],
    ) -> Result<Vec<StockLevel>, ErpError> {
        let world = self.call()?;
        Ok(products
            .iter()
            .flat_map(|&product_id| {
                let quantity = world.stock.get(&product_id).copied().unwrap_or_default();
                warehouses.iter().map(move |&warehouse_id| StockLevel {
                    product_id,
                    warehouse_id,
                    on_hand: quantity,
                    forecast: quantity,
                })
            })
            .collect())
    }

    async fn credit(&self, customers: &[ErpId]) -> Result<Vec<Credit>, ErpError> {
        let _world = self.call()?;
        Ok(customers
            .iter()
            .map(|&customer_id| Credit {
                customer_id,
                currency: "CNY".into(),
                limit: None,
                used: Decimal::from(customer_id),
                receivable: Decimal::ZERO,
            })
            .collect())
    }

    async fn products_moved_since(&self, since: DateTime<Utc>) -> Result<Vec<ErpId>, ErpError> {
        let world = self.call()?;
        Ok(world
            .stock_moved
            .iter()
            .filter(|(_, time)| **time >= since)
            .map(|(id, _)| *id)
            .collect())
    }

    async fn customers_with_receivables_since(
        &self,
        _since: DateTime<Utc>,
    ) -> Result<Vec<ErpId>, ErpError> {
        let world = self.call()?;
        if world.credit_moves_not_readable {
            return Err(not_permitted("account.move.line"));
        }
        Ok(vec![])
    }

    async fn send_sale(
        &self,
        uuid: &str,
        draft: &SaleDraft,
        acknowledged_warning: Option<&str>,
    ) -> Result<SentSale, ErpError> {
        let mut world = self.call()?;
        if let Some(sale) = world.sales.get(uuid) {
            return Ok(sale.clone());
        }
        if world.no_right_customer == Some(draft.customer_id) {
            return Err(ErpError::NotPermitted {
                login: "sales".into(),
                action: "create",
                model: "sale.sale".into(),
                detail: "You are not allowed to create \"Sale\".".into(),
            });
        }
        world
            .sale_customers
            .insert(uuid.to_owned(), draft.customer_id);
        if world.refuse_customer == Some(draft.customer_id) {
            return Err(ErpError::Rejected {
                message: "The party will exceed their CNY 5000.00 credit limit.".into(),
                description: None,
            });
        }
        if world.warn_customer == Some(draft.customer_id)
            && acknowledged_warning != Some("credit_limit")
        {
            return Err(ErpError::Warning {
                name: "credit_limit".into(),
                message: "The party will exceed their credit limit.".into(),
            });
        }
        let total = draft.estimated_total(2);
        if world.refuse_half_way == Some(draft.customer_id) {
            let made = SentSale {
                erp_id: 1000 + world.sales.len() as ErpId,
                number: Some(format!("SO{:04}", world.sales.len() + 1)),
                state: SaleState::Quote,
                untaxed: total,
                tax: Decimal::ZERO,
                total,
                differences: Vec::new(),
                lines: None,
            };
            world.sales.insert(uuid.to_owned(), made);
            return Err(ErpError::Rejected {
                message: "The party will exceed their credit limit.".into(),
                description: None,
            });
        }
        let sent = SentSale {
            erp_id: 1000 + world.sales.len() as ErpId,
            number: Some(format!("SO{:04}", world.sales.len() + 1)),
            state: match draft.kind {
                SaleKind::Quote => SaleState::Quote,
                SaleKind::Order => SaleState::Confirmed,
            },
            untaxed: total,
            tax: Decimal::ZERO,
            total,
            differences: Vec::new(),
            // The fake charges what the laptop showed.
            lines: Some(
                draft
                    .lines
                    .iter()
                    .filter_map(|line| {
                        Some((line.product_id, line.quantity, line.charged_price()?))
                    })
                    .collect(),
            ),
        };
        world.sales.insert(uuid.to_owned(), sent.clone());
        if world.lose_answers > 0 {
            world.lose_answers -= 1;
            return Err(ErpError::Timeout { url: "fake".into() });
        }
        Ok(sent)
    }

    async fn confirm_sale(
        &self,
        sale: &SaleRef,
        _acknowledged_warning: Option<&str>,
    ) -> Result<SentSale, ErpError> {
        let mut world = self.call()?;
        let world = &mut *world;
        let found = world.sales.iter_mut().find(|(uuid, sent)| match sale {
            SaleRef::Entry(wanted) => *uuid == wanted,
            SaleRef::Erp(id) => sent.erp_id == *id,
        });
        let Some((_, sent)) = found else {
            return Err(ErpError::Rejected {
                message: "the quotation is no longer in the ERP".into(),
                description: None,
            });
        };
        if sent.state == SaleState::Quote {
            sent.state = SaleState::Confirmed;
            world.confirmations += 1;
        }
        Ok(sent.clone())
    }

    async fn create_customer(
        &self,
        uuid: &str,
        draft: &fieldbook_core::customers::CustomerDraft,
    ) -> Result<SentCustomer, ErpError> {
        let mut world = self.call()?;
        let uuids = std::iter::once(uuid.to_owned())
            .chain(draft.addresses.iter().map(|a| a.uuid.clone()))
            .chain(draft.contacts.iter().map(|c| c.uuid.clone()));
        Ok(world.make(uuids))
    }

    async fn edit_customer(
        &self,
        edit: &fieldbook_core::customers::CustomerEdit,
    ) -> Result<SentCustomer, ErpError> {
        let mut world = self.call()?;
        assert!(edit.customer_id > 0, "sent with the ERP's id");
        if edit
            .new_addresses
            .iter()
            .any(|address| address.country.as_deref() == Some("XQ"))
        {
            return Err(ErpError::Rejected {
                message: "address 1: the ERP knows no country with code XQ".into(),
                description: None,
            });
        }
        let uuids = edit
            .new_addresses
            .iter()
            .map(|a| a.uuid.clone())
            .chain(edit.new_contacts.iter().map(|c| c.uuid.clone()));
        let mut sent = world.make(uuids);
        sent.erp_id = edit.customer_id;
        Ok(sent)
    }

    async fn file_request(
        &self,
        uuid: &str,
        draft: &fieldbook_core::requests::RequestDraft,
        _acknowledged_warning: Option<&str>,
    ) -> Result<fieldbook_erp::SentRequest, ErpError> {
        let mut world = self.call()?;
        assert!(draft.customer_id > 0, "sent with the ERP's id");
        let sent = world.make(std::iter::once(uuid.to_owned()));
        Ok(fieldbook_erp::SentRequest {
            erp_id: sent.erp_id,
            number: Some(format!("R{}", sent.erp_id)),
            state: RequestState::Waiting,
        })
    }

    async fn held(
        &self,
        kind: fieldbook_core::Created,
        uuid: &str,
    ) -> Result<Option<fieldbook_core::HeldRecord>, ErpError> {
        let world = self.call()?;
        Ok(match kind {
            fieldbook_core::Created::Sale => world
                .sales
                .get(uuid)
                .filter(|sale| sale.state != SaleState::Cancelled)
                .map(|sale| fieldbook_core::HeldRecord {
                    erp_id: sale.erp_id,
                    number: sale.number.clone(),
                    state: Some(sale.state.name().to_owned()),
                }),
            _ => world.made.get(uuid).map(|id| fieldbook_core::HeldRecord {
                erp_id: *id,
                number: None,
                state: None,
            }),
        })
    }
}

impl World {
    /// Records for these uuids, found if made before, else made now.
    fn make(&mut self, uuids: impl Iterator<Item = String>) -> SentCustomer {
        let mut ids = Vec::new();
        for uuid in uuids {
            let next = 5000 + self.made.len() as ErpId;
            let id = *self.made.entry(uuid.clone()).or_insert(next);
            ids.push((uuid, id));
        }
        SentCustomer {
            erp_id: ids.first().map(|(_, id)| *id).unwrap_or_default(),
            code: Some("C-NEW".into()),
            ids,
            conflicts: Vec::new(),
        }
    }
}

fn world() -> World {
    let mut world = World {
        now: epoch(),
        currency_digits: 2,
        ..World::default()
    };
    for id in 1..=23 {
        world.customers.insert(
            id,
            FakeCustomer {
                name: format!("Customer {id}"),
                active: id % 10 != 0,
                changed: epoch(),
            },
        );
    }
    for id in 1..=17 {
        world
            .products
            .insert(id, (format!("Product {id}"), epoch()));
        world.stock.insert(id, Decimal::from(id * 3));
    }
    world
}

fn options() -> SyncOptions {
    SyncOptions {
        page_size: 5,
        refresh_chunk: 4,
        overlap: Duration::ZERO,
        not_readable_retry: Duration::from_secs(3600),
    }
}

async fn sync(erp: &Arc<FakeErp>, store: &mut Store) -> Result<(), fieldbook_sync::SyncError> {
    let now = Utc::now;
    pull(erp, store, &options(), &now, &mut |_| {})
        .await
        .map(|_| ())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_sync_keeps_the_currency_the_erp_keeps_its_amounts_in() {
    let erp = FakeErp::new(world(), None);
    let mut store = Store::open_in_memory().unwrap();
    assert_eq!(store.currency().unwrap(), None);
    sync(&erp, &mut store).await.unwrap();
    let currency = store.currency().unwrap().unwrap().value;
    assert_eq!((currency.code.as_str(), currency.digits), ("CNY", 2));
    // The company's currency loses its decimals (as yen have none): the
    // next sync says so.
    erp.world.lock().unwrap().currency_digits = 0;
    sync(&erp, &mut store).await.unwrap();
    assert_eq!(store.currency_digits().unwrap(), 0);
    assert_eq!(store.house_currency().unwrap().as_deref(), Some("CNY"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sync_cut_at_any_call_resumes_and_ends_equal_to_an_uncut_one() {
    let clean_erp = FakeErp::new(world(), None);
    let mut clean = Store::open_in_memory().unwrap();
    sync(&clean_erp, &mut clean).await.unwrap();
    let calls = clean_erp.calls.load(Ordering::SeqCst);
    assert!(
        calls > 15,
        "the clean sync should take many calls, took {calls}"
    );
    let expected = clean.snapshot().unwrap();
    assert_eq!(expected["customers"].len(), 21);
    assert_eq!(expected["stock_levels"].len(), 17);

    for cut in 0..calls {
        let mut store = Store::open_in_memory().unwrap();
        let failing = FakeErp::new(world(), Some(cut));
        let error = sync(&failing, &mut store).await.unwrap_err();
        assert!(error.is_transient(), "cut {cut}: {error}");
        let resumed = FakeErp::new(world(), None);
        sync(&resumed, &mut store).await.unwrap();
        assert_eq!(store.snapshot().unwrap(), expected, "cut at call {cut}");
        // Every live customer is found, whichever page the cut left to be
        // indexed later.
        for id in [1, 9, 11, 23] {
            let hits = store.search(&format!("Customer {id}"), 30).unwrap();
            assert!(
                hits.iter().any(|hit| hit.erp_id == id),
                "cut at call {cut}: customer {id} not found: {hits:?}"
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn changes_made_while_a_full_pull_runs_arrive_with_the_next_delta() {
    let erp = FakeErp::new(world(), None);
    let mut store = Store::open_in_memory().unwrap();
    // Rename customer 2 after its page was read but before the pull ended:
    // the full run does not see it; the next delta must.
    let mut renamed = false;
    let now = Utc::now;
    let erp_for_progress = Arc::clone(&erp);
    let mut on_progress = move |event: fieldbook_sync::Progress| {
        if let fieldbook_sync::Progress::Pulling {
            entity: Entity::Customers,
            done: 10,
            ..
        } = event
            && !renamed
        {
            let mut world = erp_for_progress.world.lock().unwrap();
            let now = world.now;
            let customer = world.customers.get_mut(&2).unwrap();
            customer.name = "Renamed during the pull".into();
            customer.changed = now;
            renamed = true;
        }
    };
    pull(&erp, &mut store, &options(), &now, &mut on_progress)
        .await
        .unwrap();
    assert_eq!(
        store
            .customer(CustomerRef::Code("C2"))
            .unwrap()
            .unwrap()
            .customer
            .value
            .name,
        "Customer 2"
    );
    sync(&erp, &mut store).await.unwrap();
    assert_eq!(
        store
            .customer(CustomerRef::Code("C2"))
            .unwrap()
            .unwrap()
            .customer
            .value
            .name,
        "Renamed during the pull"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deletions_deactivations_and_stock_moves_arrive_with_a_delta() {
    for surveys in [false, true] {
        deletions_deactivations_and_stock_moves_arrive_with_a_delta_when(surveys).await;
    }
}

async fn deletions_deactivations_and_stock_moves_arrive_with_a_delta_when(surveys: bool) {
    let erp = FakeErp::new(World { surveys, ..world() }, None);
    let mut store = Store::open_in_memory().unwrap();
    sync(&erp, &mut store).await.unwrap();
    // Nothing new: one request when the ERP answers a survey.
    let before = erp.calls.load(Ordering::SeqCst);
    let snapshot = store.snapshot().unwrap();
    sync(&erp, &mut store).await.unwrap();
    assert_eq!(store.snapshot().unwrap(), snapshot);
    let idle = erp.calls.load(Ordering::SeqCst) - before;
    if surveys {
        assert_eq!(idle, 1, "an idle delta with a survey");
    } else {
        assert!(idle > 10, "an idle delta step by step: {idle}");
    }
    {
        let mut world = erp.world.lock().unwrap();
        let now = world.now;
        world.customers.remove(&3);
        let customer = world.customers.get_mut(&4).unwrap();
        customer.active = false;
        customer.changed = now;
        world.stock.insert(5, Decimal::from(999));
        world.stock_moved.insert(5, now);
    }
    sync(&erp, &mut store).await.unwrap();
    assert!(
        store.customer(CustomerRef::Code("C3")).unwrap().is_none(),
        "deleted in the ERP"
    );
    assert!(
        store.customer(CustomerRef::Code("C4")).unwrap().is_none(),
        "deactivated in the ERP"
    );
    assert!(store.customer(CustomerRef::Code("C5")).unwrap().is_some());
    let stock = store
        .product(ProductRef::Code("P5"))
        .unwrap()
        .unwrap()
        .stock;
    assert_eq!(stock[0].level.on_hand, Decimal::from(999));
    assert_eq!(store.local_ids(Entity::Customers).unwrap().len(), 19);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_change_is_read_again_within_the_overlap_only_from_an_inexact_clock() {
    for (exact_clock, surveys) in [(false, false), (false, true), (true, false), (true, true)] {
        let erp = FakeErp::new(
            World {
                exact_clock,
                surveys,
                // Records dated long before the first sync: only what
                // changes after it falls within a delta's overlap.
                now: epoch() + Span::minutes(10),
                ..world()
            },
            None,
        );
        let mut store = Store::open_in_memory().unwrap();
        let options = SyncOptions {
            overlap: Duration::from_secs(60),
            ..options()
        };
        customers_pulled(&erp, &mut store, &options).await;
        {
            let mut world = erp.world.lock().unwrap();
            let now = world.now;
            world.customers.get_mut(&4).unwrap().changed = now;
        }
        assert_eq!(
            customers_pulled(&erp, &mut store, &options).await,
            1,
            "exact {exact_clock}, surveys {surveys}"
        );
        // The next delta comes seconds later, within the overlap.
        let again = customers_pulled(&erp, &mut store, &options).await;
        let expected = if exact_clock { 0 } else { 1 };
        assert_eq!(again, expected, "exact {exact_clock}, surveys {surveys}");
    }
}

async fn customers_pulled(erp: &Arc<FakeErp>, store: &mut Store, options: &SyncOptions) -> u64 {
    let report = pull(erp, store, options, &Utc::now, &mut |_| {})
        .await
        .unwrap();
    report.pulled.get(&Entity::Customers).copied().unwrap_or(0)
}

// --- Push: the outbox reaches the ERP exactly once -------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn what_the_erp_user_may_not_read_is_skipped_told_and_tried_again_hourly() {
    for surveys in [false, true] {
        what_the_erp_user_may_not_read_is_skipped_when(surveys).await;
    }
}

async fn what_the_erp_user_may_not_read_is_skipped_when(surveys: bool) {
    use fieldbook_core::SyncPart;
    let erp = FakeErp::new(
        World {
            not_readable: [Entity::Products].into(),
            credit_moves_not_readable: true,
            surveys,
            ..world()
        },
        None,
    );
    let mut store = Store::open_in_memory().unwrap();
    let clock = Mutex::new(epoch());
    let now = || *clock.lock().unwrap();
    let run = async |store: &mut Store, options: &SyncOptions| {
        pull(&erp, store, options, &now, &mut |_| {}).await
    };

    // The first sync: products refused, everything else in.
    let report = run(&mut store, &options()).await.unwrap();
    let parts = |report: &fieldbook_sync::SyncReport| -> Vec<SyncPart> {
        report
            .not_readable
            .iter()
            .map(|refused| refused.part)
            .collect()
    };
    assert_eq!(parts(&report), [SyncPart::Records(Entity::Products)]);
    assert!(
        report.not_readable[0]
            .detail
            .contains("may not read products")
    );
    assert_eq!(store.local_count(Entity::Customers).unwrap(), 21);
    assert_eq!(store.local_count(Entity::Products).unwrap(), 0);
    assert_eq!(store.not_readable().unwrap(), report.not_readable);

    // A delta: credit moves refused too; products not asked for again
    // within the hour.
    *clock.lock().unwrap() += Span::minutes(5);
    let asked = erp.world.lock().unwrap().asked[&Entity::Products];
    let report = run(&mut store, &options()).await.unwrap();
    assert_eq!(
        parts(&report),
        [SyncPart::Records(Entity::Products), SyncPart::CreditMoves]
    );
    assert_eq!(erp.world.lock().unwrap().asked[&Entity::Products], asked);

    // The administrator gives the rights: the next sync within the hour
    // still skips them; the first after it reads them and forgets the
    // refusals.
    {
        let mut world = erp.world.lock().unwrap();
        world.not_readable.clear();
        world.credit_moves_not_readable = false;
    }
    *clock.lock().unwrap() += Span::minutes(30);
    let report = run(&mut store, &options()).await.unwrap();
    assert_eq!(report.not_readable.len(), 2);
    assert_eq!(store.local_count(Entity::Products).unwrap(), 0);

    *clock.lock().unwrap() += Span::minutes(26);
    let report = run(&mut store, &options()).await.unwrap();
    assert_eq!(
        parts(&report),
        [SyncPart::CreditMoves],
        "refused 56 min ago"
    );
    assert_eq!(store.local_count(Entity::Products).unwrap(), 17);
    assert!(report.stock_refreshed >= 17, "new products' stock is read");

    *clock.lock().unwrap() += Span::minutes(30);
    let report = run(&mut store, &options()).await.unwrap();
    assert!(report.not_readable.is_empty());
    assert!(store.not_readable().unwrap().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refusal_that_is_not_about_rights_still_stops_the_sync() {
    // Any other refusal of a read is a fault to report, not a part to skip
    // in silence.
    let erp = FakeErp::new(
        World {
            rejected: Some(Entity::Products),
            ..world()
        },
        None,
    );
    let mut store = Store::open_in_memory().unwrap();
    let error = sync(&erp, &mut store).await.unwrap_err();
    assert!(
        matches!(
            error,
            fieldbook_sync::SyncError::Erp(ErpError::Rejected { .. })
        ),
        "{error:?}"
    );
    assert!(store.not_readable().unwrap().is_empty());
}

fn order(customer_id: ErpId, quantity: i64) -> SaleDraft {
    SaleDraft {
        kind: SaleKind::Order,
        customer_id,
        invoice_address_id: None,
        shipment_address_id: None,
        warehouse_id: None,
        requested_date: None,
        reference: None,
        note: Some(format!("{quantity} boxes")),
        price_list_id: None,
        lines: vec![DraftLine::typed(
            1,
            Decimal::from(quantity),
            Decimal::from(10),
            Decimal::ZERO,
        )],
    }
}

/// A cache holding customers 1 to 3 and product 1, synced from `erp`.
async fn cache_with_outbox(erp: &Arc<FakeErp>, orders: &[(ErpId, i64)]) -> Store {
    let mut store = Store::open_in_memory().unwrap();
    sync(erp, &mut store).await.unwrap();
    for (index, (customer, quantity)) in orders.iter().enumerate() {
        store
            .add_sale(
                &format!("uuid-{index}"),
                &order(*customer, *quantity),
                None,
                epoch(),
            )
            .unwrap();
    }
    store
}

fn now() -> DateTime<Utc> {
    epoch() + Span::hours(1)
}

const NOW: fieldbook_sync::PushOptions = fieldbook_sync::PushOptions {
    respect_backoff: false,
};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_entry_reaches_the_erp_once_whatever_is_cut_or_lost() {
    let orders = [(1, 1), (2, 2), (3, 3), (1, 4)];
    // The push cut at each of its calls, then run again; and answers lost
    // after the ERP made the sale.
    for cut in 0..orders.len() as u64 {
        for lost in 0..2 {
            let erp = FakeErp::new(world(), None);
            let mut store = cache_with_outbox(&erp, &orders).await;
            let before = erp.calls.load(Ordering::SeqCst);
            let cut_erp = Arc::new(FakeErp {
                world: Mutex::new(std::mem::take(&mut *erp.world.lock().unwrap())),
                calls: AtomicU64::new(before),
                fail_at: Some(before + cut),
            });
            cut_erp.world.lock().unwrap().lose_answers = lost;
            let first = fieldbook_sync::push(&*cut_erp, &mut store, NOW, &now).await;
            assert!(first.unwrap_err().is_transient(), "cut {cut}");
            // Pushed again until it goes through (a lost answer and a cut
            // may each stop one push).
            let mut tries = 0;
            let report = loop {
                tries += 1;
                match fieldbook_sync::push(&*cut_erp, &mut store, NOW, &now).await {
                    Ok(report) => break report,
                    Err(error) => assert!(error.is_transient() && tries < 3, "cut {cut}: {error}"),
                }
            };
            assert!(report.rejected.is_empty(), "cut {cut}: {report:?}");
            let world = cut_erp.world.lock().unwrap();
            assert_eq!(
                world.sales.len(),
                orders.len(),
                "cut {cut}, lost {lost}: one sale per entry"
            );
            for entry in store.outbox().unwrap() {
                assert_eq!(entry.state, fieldbook_store::EntryState::Done, "cut {cut}");
                let sale = &world.sales[&entry.uuid];
                assert_eq!(entry.erp_number, sale.number, "cut {cut}");
                assert_eq!(entry.erp_id, Some(sale.erp_id));
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_push_reports_each_entry_the_erp_answered_out_of_those_that_may_go() {
    let erp = FakeErp::new(world(), None);
    let mut store = cache_with_outbox(&erp, &[(1, 1), (2, 2), (3, 3)]).await;
    erp.world.lock().unwrap().refuse_customer = Some(2);
    let mut seen = Vec::new();
    let report = fieldbook_sync::push_reporting(&*erp, &mut store, NOW, &now, &mut |progress| {
        seen.push(progress)
    })
    .await
    .unwrap();
    assert_eq!(report.accepted.len(), 2);
    let sending = |done, total| fieldbook_sync::Progress::Sending { done, total };
    // A refusal is an answer too.
    assert_eq!(
        seen,
        [sending(0, 3), sending(1, 3), sending(2, 3), sending(3, 3)]
    );
    // Nothing left to send: nothing reported.
    seen.clear();
    fieldbook_sync::push_reporting(&*erp, &mut store, NOW, &now, &mut |progress| {
        seen.push(progress)
    })
    .await
    .unwrap();
    assert_eq!(seen, []);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_entry_stops_only_itself_and_a_warning_goes_once_acknowledged() {
    let erp = FakeErp::new(world(), None);
    let mut store = cache_with_outbox(&erp, &[(1, 1), (2, 2), (3, 3)]).await;
    erp.world.lock().unwrap().refuse_customer = Some(2);
    erp.world.lock().unwrap().warn_customer = Some(3);
    let report = fieldbook_sync::push(&*erp, &mut store, NOW, &now)
        .await
        .unwrap();
    assert_eq!(report.accepted.len(), 1);
    assert_eq!(report.rejected.len(), 1);
    assert!(report.rejected[0].1.contains("credit limit"), "{report:?}");
    assert_eq!(report.warnings.len(), 1);
    let entries = store.outbox().unwrap();
    assert_eq!(entries[1].state, fieldbook_store::EntryState::Rejected);
    assert_eq!(
        entries[1].payload,
        fieldbook_store::EntryPayload::Sale(order(2, 2))
    );
    assert_eq!(
        entries[2].warning.as_ref().map(|w| w.name.as_str()),
        Some("credit_limit")
    );

    // Nothing more goes until the salesperson acts.
    let again = fieldbook_sync::push(&*erp, &mut store, NOW, &now)
        .await
        .unwrap();
    assert_eq!(again, fieldbook_sync::PushReport::default());
    // They acknowledge the warning and resend; the refused one stays refused.
    store.retry(entries[2].seq, now()).unwrap();
    let report = fieldbook_sync::push(&*erp, &mut store, NOW, &now)
        .await
        .unwrap();
    assert_eq!(report.accepted.len(), 1, "{report:?}");
    assert_eq!(erp.world.lock().unwrap().sales.len(), 2);
    // The ERP lets customer 2 buy again; the refused entry is resent as typed.
    erp.world.lock().unwrap().refuse_customer = None;
    store.retry(entries[1].seq, now()).unwrap();
    let report = fieldbook_sync::push(&*erp, &mut store, NOW, &now)
        .await
        .unwrap();
    assert_eq!(report.accepted.len(), 1);
    assert_eq!(erp.world.lock().unwrap().sales.len(), 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_entry_the_erp_user_has_no_right_to_send_waits_with_why_and_the_rest_goes() {
    let erp = FakeErp::new(world(), None);
    let mut store = cache_with_outbox(&erp, &[(1, 1), (2, 2), (3, 3)]).await;
    erp.world.lock().unwrap().no_right_customer = Some(2);
    let report = fieldbook_sync::push(&*erp, &mut store, NOW, &now)
        .await
        .unwrap();
    assert_eq!(report.accepted.len(), 2, "{report:?}");
    assert!(report.rejected.is_empty());
    let entries = store.outbox().unwrap();
    assert_eq!(report.not_permitted.len(), 1, "tried once in a push");
    assert_eq!(report.not_permitted[0].0, entries[1].seq);
    assert!(
        report.not_permitted[0]
            .1
            .contains("may not create sale.sale")
    );
    // Kept as typed, pending, with the reason: not the salesperson's to fix.
    assert_eq!(entries[1].state, fieldbook_store::EntryState::Pending);
    assert_eq!(
        entries[1].payload,
        fieldbook_store::EntryPayload::Sale(order(2, 2))
    );
    assert!(
        entries[1]
            .erp_message
            .as_deref()
            .is_some_and(|m| m.contains("Fieldbook salesperson"))
    );

    // The administrator gives the right: the next sync sends it, once.
    erp.world.lock().unwrap().no_right_customer = None;
    let report = fieldbook_sync::push(&*erp, &mut store, NOW, &now)
        .await
        .unwrap();
    assert_eq!(report.accepted.len(), 1);
    assert_eq!(erp.world.lock().unwrap().sales.len(), 3);
}

/// An answer lost after the ERP made the sale leaves the entry in flight:
/// it may be in the ERP, so it is neither edited, retried nor discarded
/// until a sync settles it. Before the in-flight mark only `attempts > 0`
/// stopped an edit, and `outbox retry` reset it to 0: the entry could then
/// be edited, and the next push, finding the sale made from the old
/// content, marked it done with the new one.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_entry_whose_answer_was_lost_is_not_edited_retried_or_discarded_until_settled() {
    let erp = FakeErp::new(world(), None);
    let mut store = cache_with_outbox(&erp, &[(1, 1)]).await;
    let seq = store.outbox().unwrap()[0].seq;
    assert!(!store.outbox().unwrap()[0].in_flight);
    assert_eq!(store.outbox().unwrap()[0].first_sent_at, None);
    erp.world.lock().unwrap().lose_answers = 1;
    let lost = fieldbook_sync::push(&*erp, &mut store, NOW, &now).await;
    assert!(lost.unwrap_err().is_transient());
    assert_eq!(erp.world.lock().unwrap().sales.len(), 1, "the ERP has it");

    let entry = store.outbox_entry(seq).unwrap().unwrap();
    assert!(entry.in_flight);
    assert_eq!(entry.first_sent_at, Some(now()));
    let in_flight = |result: Result<(), fieldbook_store::StoreError>| {
        assert!(
            matches!(result, Err(fieldbook_store::StoreError::Refused(fieldbook_store::Refusal::InFlight { entry })) if entry == seq),
            "{result:?}"
        )
    };
    in_flight(store.retry(seq, now()));
    in_flight(store.replace_sale(seq, &order(1, 5), now()));
    in_flight(store.discard(seq, now()).map(|_| ()));
    // Still so after the salesperson's `outbox retry` was refused: the
    // entry is as it was.
    assert_eq!(store.outbox_entry(seq).unwrap().unwrap(), entry);

    // The next push finds the sale by its uuid and settles the entry.
    let report = fieldbook_sync::push(&*erp, &mut store, NOW, &now)
        .await
        .unwrap();
    assert_eq!(report.accepted.len(), 1);
    let settled = store.outbox_entry(seq).unwrap().unwrap();
    assert_eq!(settled.state, fieldbook_store::EntryState::Done);
    assert!(!settled.in_flight);
    assert_eq!(erp.world.lock().unwrap().sales.len(), 1);
}

/// A refusal settles an entry: it can be edited and resent or discarded,
/// and the discard says that it was sent once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_entry_is_settled_and_its_discard_says_it_was_sent() {
    let erp = FakeErp::new(world(), None);
    let mut store = cache_with_outbox(&erp, &[(2, 1), (1, 1)]).await;
    erp.world.lock().unwrap().refuse_customer = Some(2);
    fieldbook_sync::push(&*erp, &mut store, NOW, &now)
        .await
        .unwrap();
    let entries = store.outbox().unwrap();
    assert_eq!(entries[0].state, fieldbook_store::EntryState::Rejected);
    assert!(!entries[0].in_flight);
    let discarded = store.discard(entries[0].seq, now()).unwrap();
    assert_eq!(
        discarded,
        fieldbook_store::Discarded {
            entries: 1,
            ever_sent: 1
        }
    );
}

/// A sale refused half-way (made, then refused at confirmation) and then
/// discarded is still in the ERP: every sync reports it until the ERP
/// cancels it; one refused outright is forgotten at the first lookup.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_discarded_entry_the_erp_still_holds_is_reported_until_it_is_cancelled() {
    let erp = FakeErp::new(world(), None);
    let mut store = cache_with_outbox(&erp, &[(2, 1), (1, 1)]).await;
    {
        let mut world = erp.world.lock().unwrap();
        world.refuse_half_way = Some(2);
        world.refuse_customer = Some(1);
    }
    let report = fieldbook_sync::push(&*erp, &mut store, NOW, &now)
        .await
        .unwrap();
    assert_eq!(report.rejected.len(), 2);
    assert!(report.discarded_in_erp.is_empty());
    let entries = store.outbox().unwrap();
    let (half, outright) = (&entries[0], &entries[1]);
    store.discard(half.seq, now()).unwrap();
    store.discard(outright.seq, now()).unwrap();
    let waiting = store.discarded().unwrap();
    assert_eq!(waiting.len(), 2, "both were sent once: {waiting:?}");
    assert!(waiting.iter().all(|entry| entry.in_erp.is_none()));

    for _ in 0..2 {
        let report = fieldbook_sync::push(&*erp, &mut store, NOW, &now)
            .await
            .unwrap();
        let [reported] = report.discarded_in_erp.as_slice() else {
            panic!("{:?}", report.discarded_in_erp);
        };
        assert_eq!(reported.seq, half.seq);
        assert_eq!(reported.uuid, half.uuid);
        assert_eq!(reported.kind, fieldbook_core::Created::Sale);
        let held = reported.in_erp.as_ref().unwrap();
        assert_eq!(held.state.as_deref(), Some("quote"));
        assert_eq!(held.number.as_deref(), Some("SO0001"));
        assert_eq!(store.discarded().unwrap(), report.discarded_in_erp);
    }

    erp.world
        .lock()
        .unwrap()
        .sales
        .get_mut(&half.uuid)
        .unwrap()
        .state = SaleState::Cancelled;
    let report = fieldbook_sync::push(&*erp, &mut store, NOW, &now)
        .await
        .unwrap();
    assert!(report.discarded_in_erp.is_empty());
    assert!(store.discarded().unwrap().is_empty());
}

/// An entry never sent leaves nothing to look up when discarded.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_discarded_entry_never_sent_is_not_looked_up() {
    let erp = FakeErp::new(world(), None);
    let mut store = cache_with_outbox(&erp, &[(2, 1)]).await;
    let seq = store.outbox().unwrap()[0].seq;
    let discarded = store.discard(seq, now()).unwrap();
    assert_eq!(discarded.ever_sent, 0);
    assert!(store.discarded().unwrap().is_empty());
    let calls = erp.calls.load(Ordering::SeqCst);
    fieldbook_sync::push(&*erp, &mut store, NOW, &now)
        .await
        .unwrap();
    assert_eq!(erp.calls.load(Ordering::SeqCst), calls, "no lookup");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_a_passing_failure_an_entry_waits_its_back_off_in_the_background() {
    let erp = FakeErp::new(world(), None);
    let mut store = cache_with_outbox(&erp, &[(1, 1)]).await;
    let calls = erp.calls.load(Ordering::SeqCst);
    let down = Arc::new(FakeErp {
        world: Mutex::new(std::mem::take(&mut *erp.world.lock().unwrap())),
        calls: AtomicU64::new(calls),
        fail_at: Some(calls),
    });
    assert!(
        fieldbook_sync::push(&*down, &mut store, NOW, &now)
            .await
            .is_err()
    );
    let entry = &store.outbox().unwrap()[0];
    assert_eq!(entry.attempts, 1);
    assert!(
        entry
            .erp_message
            .as_deref()
            .unwrap()
            .contains("cannot reach the ERP")
    );
    let background = fieldbook_sync::PushOptions {
        respect_backoff: true,
    };
    // Within the back-off the background loop leaves it; after, it goes.
    let report = fieldbook_sync::push(&*down, &mut store, background, &now)
        .await
        .unwrap();
    assert!(report.accepted.is_empty());
    let later = || now() + Span::hours(1);
    let report = fieldbook_sync::push(&*down, &mut store, background, &later)
        .await
        .unwrap();
    assert_eq!(report.accepted.len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_quote_turned_into_an_order_is_confirmed_once_after_the_quote() {
    let erp = FakeErp::new(world(), None);
    let mut store = cache_with_outbox(&erp, &[]).await;
    let mut quote = order(2, 5);
    quote.kind = SaleKind::Quote;
    store.add_sale("quote", &quote, None, epoch()).unwrap();
    let change = fieldbook_core::QuoteToOrder {
        sale: SaleRef::Entry("quote".into()),
        customer_id: 2,
        label: "the quote".into(),
        estimated_total: Decimal::from(50),
    };
    let confirm = store
        .add_quote_to_order("confirm", &change, epoch())
        .unwrap();
    // Cut at each call of the push, then pushed again: one quotation, one
    // confirmation.
    for cut in 0..4 {
        let erp = FakeErp::new(world(), None);
        let mut store = cache_with_outbox(&erp, &[]).await;
        store.add_sale("quote", &quote, None, epoch()).unwrap();
        store
            .add_quote_to_order("confirm", &change, epoch())
            .unwrap();
        let calls = erp.calls.load(Ordering::SeqCst);
        let cutting = Arc::new(FakeErp {
            world: Mutex::new(std::mem::take(&mut *erp.world.lock().unwrap())),
            calls: AtomicU64::new(calls),
            fail_at: Some(calls + cut),
        });
        let _ = fieldbook_sync::push(&*cutting, &mut store, NOW, &now).await;
        let healed = FakeErp::new(std::mem::take(&mut *cutting.world.lock().unwrap()), None);
        fieldbook_sync::push(&*healed, &mut store, NOW, &now)
            .await
            .unwrap();
        let world = healed.world.lock().unwrap();
        assert_eq!(world.sales.len(), 1, "cut at {cut}");
        assert_eq!(
            world.sales["quote"].state,
            SaleState::Confirmed,
            "cut at {cut}"
        );
        assert_eq!(world.confirmations, 1, "cut at {cut}");
        assert_eq!(store.outbox_counts().unwrap(), (0, 0), "cut at {cut}");
    }

    let report = fieldbook_sync::push(&*erp, &mut store, NOW, &now)
        .await
        .unwrap();
    assert_eq!(report.accepted.len(), 2, "{report:?}");
    assert_eq!(report.accepted[0].1.state, SaleState::Quote);
    assert_eq!(report.accepted[1].0, confirm);
    assert_eq!(report.accepted[1].1.state, SaleState::Confirmed);
    assert_eq!(
        report.accepted[0].1.erp_id, report.accepted[1].1.erp_id,
        "the same sale"
    );

    // A quotation the ERP no longer has is refused with the ERP's words.
    let gone = fieldbook_core::QuoteToOrder {
        sale: SaleRef::Erp(4242),
        ..change
    };
    let seq = store.add_quote_to_order("gone", &gone, epoch()).unwrap();
    let report = fieldbook_sync::push(&*erp, &mut store, NOW, &now)
        .await
        .unwrap();
    assert_eq!(report.rejected.len(), 1, "{report:?}");
    assert!(
        store
            .outbox_entry(seq)
            .unwrap()
            .unwrap()
            .erp_message
            .unwrap()
            .contains("no longer in the ERP")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_order_for_a_customer_created_offline_goes_after_it_with_the_erps_ids() {
    use fieldbook_core::customers::{AddressDraft, CustomerDraft};
    let erp = FakeErp::new(world(), None);
    let mut store = cache_with_outbox(&erp, &[]).await;
    let new = store
        .add_customer(
            "new-customer",
            &CustomerDraft {
                name: "新客户 New Customer Ltd.".into(),
                addresses: vec![AddressDraft {
                    uuid: "new-address".into(),
                    street: Some("科技园 1号".into()),
                    postal_code: None,
                    city: Some("深圳".into()),
                    country: Some("CN".into()),
                    invoice: true,
                    delivery: true,
                }],
                contacts: vec![],
            },
            epoch(),
        )
        .unwrap();
    assert!(new.customer_id < 0);
    let view = store
        .customer(CustomerRef::Code(&new.code))
        .unwrap()
        .unwrap();
    let address = view.addresses[0].erp_id;
    let mut draft = order(new.customer_id, 2);
    draft.invoice_address_id = Some(address);
    draft.shipment_address_id = Some(address);
    let order_seq = store.add_sale("order-new", &draft, None, epoch()).unwrap();
    let request_seq = store
        .add_request(
            "request-new",
            &fieldbook_core::requests::RequestDraft {
                customer_id: new.customer_id,
                description: "想要样品 / wants samples".into(),
                order_id: None,
                invoice_id: None,
            },
            epoch(),
        )
        .unwrap();
    assert_eq!(
        store
            .outbox_entry(request_seq)
            .unwrap()
            .unwrap()
            .depends_on
            .as_deref(),
        Some("new-customer")
    );
    assert_eq!(
        store
            .customer(CustomerRef::Code(&new.code))
            .unwrap()
            .unwrap()
            .requests[0]
            .value
            .state,
        RequestState::Draft,
        "shown with the customer at once"
    );
    assert_eq!(
        store
            .outbox_entry(order_seq)
            .unwrap()
            .unwrap()
            .depends_on
            .as_deref(),
        Some("new-customer"),
        "the order waits for its customer"
    );
    // A full pull meanwhile keeps what was written offline.
    sync(&erp, &mut store).await.unwrap();
    assert!(
        store
            .customer(CustomerRef::Code(&new.code))
            .unwrap()
            .is_some()
    );

    let report = fieldbook_sync::push(&*erp, &mut store, NOW, &now)
        .await
        .unwrap();
    assert_eq!(report.customers.len(), 1, "{report:?}");
    assert_eq!(report.accepted.len(), 1, "{report:?}");
    assert_eq!(report.requests.len(), 1, "{report:?}");
    let world = erp.world.lock().unwrap();
    let customer = world.made["new-customer"];
    assert_eq!(
        world.sale_customers["order-new"], customer,
        "sent with the ERP's id"
    );
    drop(world);
    let view = store.customer(CustomerRef::Id(customer)).unwrap().unwrap();
    assert_eq!(view.customer.value.code.as_deref(), Some("C-NEW"));
    assert_eq!(view.addresses.len(), 1);
    assert!(view.addresses[0].erp_id > 0, "{:?}", view.addresses);
    assert!(
        store
            .customer(CustomerRef::Id(new.customer_id))
            .unwrap()
            .is_none()
    );
    assert_eq!(store.search("新客户", 5).unwrap()[0].erp_id, customer);
    let request = &view.requests[0].value;
    assert!(request.erp_id > 0, "{request:?}");
    assert_eq!(
        (request.state, request.customer_id),
        (RequestState::Waiting, customer)
    );
    assert_eq!(request.number, Some(format!("R{}", request.erp_id)));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_entry_naming_a_record_whose_creation_was_refused_is_refused_and_the_rest_goes_on() {
    use fieldbook_core::customers::{AddressDraft, CustomerEdit};
    let erp = FakeErp::new(world(), None);
    let mut store = cache_with_outbox(&erp, &[]).await;
    let address = |uuid: &str, country: &str| AddressDraft {
        uuid: uuid.into(),
        street: Some("科技园 1号".into()),
        postal_code: None,
        city: Some("深圳".into()),
        country: Some(country.into()),
        invoice: true,
        delivery: true,
    };
    let edit = |addresses| CustomerEdit {
        customer_id: 2,
        fields: vec![],
        new_addresses: addresses,
        new_contacts: vec![],
    };
    // Two separate edits add an address each; the first will be refused.
    store
        .edit_customer("edit-refused", &edit(vec![address("a-bad", "XQ")]), epoch())
        .unwrap();
    store
        .edit_customer("edit-fine", &edit(vec![address("a-good", "CN")]), epoch())
        .unwrap();
    let view = store.customer(CustomerRef::Id(2)).unwrap().unwrap();
    let id = |uuid_city: usize| view.addresses[uuid_city].erp_id;
    let (bad, good) = (id(0).max(id(1)), id(0).min(id(1)));
    assert!(bad < 0 && good < 0);
    let mut draft = order(2, 1);
    draft.invoice_address_id = Some(bad);
    draft.shipment_address_id = Some(good);
    let order_seq = store.add_sale("order-two", &draft, None, epoch()).unwrap();
    let later = store
        .add_sale("order-later", &order(3, 1), None, epoch())
        .unwrap();

    let report = fieldbook_sync::push(&*erp, &mut store, NOW, &now)
        .await
        .expect("a refused dependency stops only what needs it");
    let refused: Vec<i64> = report.rejected.iter().map(|(seq, _)| *seq).collect();
    assert!(refused.contains(&order_seq), "{report:?}");
    assert!(
        report.accepted.iter().any(|(seq, _)| *seq == later),
        "{report:?}"
    );
    let entry = store.outbox_entry(order_seq).unwrap().unwrap();
    assert!(
        entry
            .erp_message
            .unwrap()
            .contains("has not reached the ERP"),
        "says why"
    );
}

#[test]
fn back_off_doubles_up_to_half_an_hour_and_differs_between_entries() {
    let waits: Vec<i64> = (0..10)
        .map(|attempt| fieldbook_sync::backoff("a", attempt).num_seconds())
        .collect();
    assert!(waits.windows(2).all(|pair| pair[0] <= pair[1]), "{waits:?}");
    assert!(waits[0] >= 30 && waits[0] <= 36, "{waits:?}");
    assert!(waits[9] >= 1800 && waits[9] <= 2160, "{waits:?}");
    assert_ne!(
        fieldbook_sync::backoff("a", 3),
        fieldbook_sync::backoff("b", 3)
    );
}
