//! Any bytes as an answer from the ERP: decoding them as JSON-RPC and
//! reading them as records, ids and fields must never panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|body: &[u8]| {
    fieldbook_erp::tryton::fuzz_answer(body);
});
