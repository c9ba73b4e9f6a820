-- Where the ERP accepted a quote or order at other prices than the laptop
-- showed (a promotion the laptop did not know yet, a line only the ERP
-- could price): a JSON list of fieldbook_core::PriceDifference, NULL when
-- there is none.
ALTER TABLE outbox ADD COLUMN price_differences TEXT;
