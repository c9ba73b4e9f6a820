//! The store reads as layers: no module uses one that uses it back, so
//! each can be read knowing only those below it.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// Each module of `src/` and the modules it names with `crate::…`.
fn uses() -> BTreeMap<String, BTreeSet<String>> {
    // Cargo's value at run time: the compiled-in one may name another clone
    // that built into the same target folder.
    let source = Path::new(&std::env::var("CARGO_MANIFEST_DIR").unwrap()).join("src");
    let mut modules = BTreeMap::new();
    for file in std::fs::read_dir(&source).unwrap() {
        let path = file.unwrap().path();
        let name = path.file_stem().unwrap().to_string_lossy().into_owned();
        if name != "lib" {
            modules.insert(name, std::fs::read_to_string(&path).unwrap());
        }
    }
    let names: BTreeSet<String> = modules.keys().cloned().collect();
    modules
        .iter()
        .map(|(module, text)| {
            let named = named_modules(text)
                .into_iter()
                .filter(|used| used != module && names.contains(used))
                .collect();
            (module.clone(), named)
        })
        .collect()
}

/// The first path segment after every `crate::`, grouped uses included
/// (`crate::{a::x, b::y}` names `a` and `b`).
fn named_modules(text: &str) -> BTreeSet<String> {
    let mut named = BTreeSet::new();
    for (at, _) in text.match_indices("crate::") {
        let rest = &text[at + "crate::".len()..];
        if let Some(group) = rest.strip_prefix('{') {
            let group = &group[..group.find('}').unwrap_or(group.len())];
            for item in group.split(',') {
                if let Some((first, _)) = item.trim().split_once("::") {
                    named.insert(first.to_owned());
                }
            }
        } else {
            let first: String = rest
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            named.insert(first);
        }
    }
    named
}

/// A cycle through `from`, if any: the modules in order, back to `from`.
fn cycle(
    uses: &BTreeMap<String, BTreeSet<String>>,
    from: &str,
    path: &mut Vec<String>,
) -> Option<Vec<String>> {
    for next in &uses[path.last().unwrap()] {
        if next == from {
            let mut found = path.clone();
            found.push(next.clone());
            return Some(found);
        }
        if !path.contains(next) {
            path.push(next.clone());
            if let Some(found) = cycle(uses, from, path) {
                return Some(found);
            }
            path.pop();
        }
    }
    None
}

#[test]
fn no_module_of_the_store_uses_one_that_uses_it_back() {
    let uses = uses();
    // The scan found the modules and their uses.
    assert!(uses.len() >= 10, "{uses:?}");
    assert!(uses["sales"].contains("outbox"), "{:?}", uses["sales"]);
    for module in uses.keys() {
        if let Some(found) = cycle(&uses, module, &mut vec![module.clone()]) {
            panic!("modules of the store use each other: {}", found.join(" → "));
        }
    }
}

#[test]
fn the_scan_sees_grouped_and_inline_uses() {
    let named = named_modules(
        "use crate::{apply::time, Store};\nlet x = crate::local::canonical(tx, id);\nuse crate::error::Refusal;",
    );
    assert_eq!(
        named,
        ["apply", "error", "local"].map(String::from).into(),
        "Store is the crate root's, not a module"
    );
}
