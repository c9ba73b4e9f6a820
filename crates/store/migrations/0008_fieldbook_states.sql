-- A sale's state is kept in Fieldbook's words (fieldbook_core::SaleState),
-- which the ERP client maps its own onto: Tryton's "quotation" is a
-- "quote". Request states were Fieldbook's words already.
UPDATE orders SET state = 'quote' WHERE state = 'quotation';
UPDATE discarded SET erp_state = 'quote' WHERE kind = 'sale' AND erp_state = 'quotation';
