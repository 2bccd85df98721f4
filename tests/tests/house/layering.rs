//! The layering the tree keeps, read from its sources: within each crate no
//! two modules import each other (directly or round a longer loop), and the
//! front ends (`usd1`, `usd1-oracle`, `usd1-localnet`, `usd1-gateway`, `usd1-desk`) build no USD1
//! instruction and derive no PDA themselves: `usd1-client` does. The
//! services' shared machinery (`usd1-service`) knows no chain and exists once:
//! no service defines again what it defines.
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

const CRATES: [&str; 9] = [
    "programs/usd1/src",
    "client/src",
    "cli/src",
    "oracle/src",
    "localnet/src",
    "service/src",
    "gateway/src",
    "desk/src",
    "tests/src",
];

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("workspace")
        .to_path_buf()
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("read_dir") {
        let path = entry.expect("entry").path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// A file's code without its comments (doc links name modules too).
fn code(path: &Path) -> String {
    let text = std::fs::read_to_string(path).expect("source");
    text.lines()
        .map(|line| line.split("//").next().unwrap_or_default())
        .collect::<Vec<_>>()
        .join("\n")
}

/// The modules a path names after `prefix` (`crate::` or `super::`):
/// `prefix name` or `prefix {a, b::c}`.
fn named_after(text: &str, prefix: &str) -> Vec<String> {
    let mut named = Vec::new();
    for (at, _) in text.match_indices(prefix) {
        let rest = &text[at + prefix.len()..];
        match rest.strip_prefix('{') {
            Some(group) => named.extend(
                group
                    .split('}')
                    .next()
                    .unwrap_or_default()
                    .split(',')
                    .map(|item| {
                        item.trim()
                            .split("::")
                            .next()
                            .unwrap_or_default()
                            .to_string()
                    }),
            ),
            None => named.push(
                rest.split(|c: char| !(c.is_alphanumeric() || c == '_'))
                    .next()
                    .unwrap_or_default()
                    .to_string(),
            ),
        }
    }
    named
}

/// For each submodule of the module whose folder is `dir` (`store/`), the
/// sibling submodules its files name (through `super::` from the files
/// directly in the folder, through `crate::…::` from any).
fn nested_graph(root: &Path, dir: &Path) -> BTreeMap<String, BTreeSet<String>> {
    let mut files = Vec::new();
    rust_files(dir, &mut files);
    let top = |path: &Path| {
        let first = path.strip_prefix(dir).expect("inside").components().next();
        let name = first.expect("component").as_os_str().to_string_lossy();
        name.trim_end_matches(".rs").to_string()
    };
    let modules: BTreeSet<String> = files
        .iter()
        .map(|f| top(f))
        .filter(|m| m != "mod")
        .collect();
    let path = dir
        .strip_prefix(root)
        .expect("inside")
        .to_string_lossy()
        .replace('/', "::");
    let absolute = format!("crate::{path}::");
    let mut graph: BTreeMap<String, BTreeSet<String>> = modules
        .iter()
        .map(|m| (m.clone(), BTreeSet::new()))
        .collect();
    for file in &files {
        let from = top(file);
        let Some(edges) = graph.get_mut(&from) else {
            continue;
        };
        let text = code(file);
        let mut names = named_after(&text, &absolute);
        if file.parent() == Some(dir) {
            names.extend(named_after(&text.replace("super::super::", ""), "super::"));
        }
        for name in names {
            if name != from && modules.contains(&name) {
                edges.insert(name);
            }
        }
    }
    graph
}

/// Every folder of modules under `root` (`store/`, `store/cases/`).
fn module_folders(root: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(root).expect("read_dir") {
        let path = entry.expect("entry").path();
        if path.is_dir() {
            out.push(path.clone());
            module_folders(&path, out);
        }
    }
}

/// For each top-level module of the crate at `root`, the sibling modules its
/// files name through `crate::`.
fn module_graph(root: &Path) -> BTreeMap<String, BTreeSet<String>> {
    let mut files = Vec::new();
    rust_files(root, &mut files);
    let top = |path: &Path| {
        let first = path.strip_prefix(root).expect("inside").components().next();
        let name = first.expect("component").as_os_str().to_string_lossy();
        name.trim_end_matches(".rs").to_string()
    };
    let modules: BTreeSet<String> = files
        .iter()
        .map(|f| top(f))
        .filter(|m| m != "lib" && m != "main")
        .collect();
    let mut graph: BTreeMap<String, BTreeSet<String>> = modules
        .iter()
        .map(|m| (m.clone(), BTreeSet::new()))
        .collect();
    for file in &files {
        let from = top(file);
        let Some(edges) = graph.get_mut(&from) else {
            continue;
        };
        let text = code(file);
        for (at, _) in text.match_indices("crate::") {
            let rest = &text[at + "crate::".len()..];
            // `crate::name` or `crate::{a, b::c}`.
            let names: Vec<&str> = match rest.strip_prefix('{') {
                Some(group) => group
                    .split('}')
                    .next()
                    .unwrap_or_default()
                    .split(',')
                    .map(|item| item.trim().split("::").next().unwrap_or_default())
                    .collect(),
                None => vec![rest
                    .split(|c: char| !(c.is_alphanumeric() || c == '_'))
                    .next()
                    .unwrap_or_default()],
            };
            for name in names {
                if name != from && modules.contains(name) {
                    edges.insert(name.to_string());
                }
            }
        }
    }
    graph
}

/// A loop of modules, each importing the next, if there is one.
fn find_cycle(graph: &BTreeMap<String, BTreeSet<String>>) -> Option<Vec<String>> {
    fn visit(
        node: &str,
        graph: &BTreeMap<String, BTreeSet<String>>,
        path: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) -> Option<Vec<String>> {
        if let Some(start) = path.iter().position(|n| n == node) {
            let mut cycle = path[start..].to_vec();
            cycle.push(node.to_string());
            return Some(cycle);
        }
        if done.contains(node) {
            return None;
        }
        path.push(node.to_string());
        for next in &graph[node] {
            if let Some(cycle) = visit(next, graph, path, done) {
                return Some(cycle);
            }
        }
        path.pop();
        done.insert(node.to_string());
        None
    }
    let mut done = BTreeSet::new();
    graph
        .keys()
        .find_map(|node| visit(node, graph, &mut Vec::new(), &mut done))
}

#[test]
fn no_module_imports_a_module_that_imports_it() {
    for krate in CRATES {
        let graph = module_graph(&workspace().join(krate));
        assert!(graph.len() > 3, "{krate}: too few modules found: {graph:?}");
        if let Some(cycle) = find_cycle(&graph) {
            panic!("{krate}: import cycle {}", cycle.join(" → "));
        }
        // And within each folder of modules: `store/`'s submodules too.
        let root = workspace().join(krate);
        let mut folders = Vec::new();
        module_folders(&root, &mut folders);
        for folder in folders {
            let graph = nested_graph(&root, &folder);
            if let Some(cycle) = find_cycle(&graph) {
                panic!("{}: import cycle {}", folder.display(), cycle.join(" → "));
            }
        }
    }
}

#[test]
fn the_cycle_check_sees_a_cycle() {
    let graph: BTreeMap<String, BTreeSet<String>> = [
        ("a", vec!["b"]),
        ("b", vec!["c"]),
        ("c", vec!["a"]),
        ("d", vec![]),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.into_iter().map(String::from).collect()))
    .collect();
    assert_eq!(
        find_cycle(&graph),
        Some(vec!["a".into(), "b".into(), "c".into(), "a".into()])
    );
}

#[test]
fn only_the_client_builds_instructions_and_derives_addresses() {
    for krate in [
        "cli/src",
        "oracle/src",
        "localnet/src",
        "service/src",
        "gateway/src",
        "desk/src",
    ] {
        let mut files = Vec::new();
        rust_files(&workspace().join(krate), &mut files);
        for file in files {
            let text = code(&file);
            for built in [
                "usd1::instruction::",
                "usd1::accounts::",
                "find_program_address",
            ] {
                assert!(
                    !text.contains(built),
                    "{} writes `{built}`: build it in usd1-client",
                    file.display()
                );
            }
        }
    }
}

/// The names a crate's sources define at item level: `fn`, `struct`,
/// `enum`, `trait` (public or not).
fn defined(dir: &Path) -> BTreeSet<(String, String)> {
    let mut files = Vec::new();
    rust_files(dir, &mut files);
    let mut names = BTreeSet::new();
    for file in files {
        for line in code(&file).lines() {
            let words: Vec<&str> = line
                .trim_start()
                .trim_start_matches("pub(crate) ")
                .trim_start_matches("pub ")
                .trim_start_matches("async ")
                .split(|c: char| c.is_whitespace() || c == '(' || c == '<' || c == '{')
                .filter(|w| !w.is_empty())
                .collect();
            if let [kind @ ("fn" | "struct" | "enum" | "trait"), name, ..] = words[..] {
                names.insert((kind.to_string(), name.to_string()));
            }
        }
    }
    names
}

#[test]
fn the_service_kit_knows_no_chain_and_no_service_copies_it() {
    let manifest = std::fs::read_to_string(workspace().join("service/Cargo.toml")).unwrap();
    for chain in ["solana", "anchor", "usd1 ="] {
        assert!(
            !manifest
                .lines()
                .any(|l| l.trim_start().starts_with(chain)),
            "usd1-service depends on {chain}: the kit stores and sends, the services know the chain"
        );
    }
    // The kit's own types and its store's entry points, never a second copy.
    let kit = defined(&workspace().join("service/src"));
    let shared: Vec<&(String, String)> = kit
        .iter()
        // A service's `Store` wraps the kit's (its own tables' methods on it).
        .filter(|(kind, name)| !(kind == "struct" && name == "Store"))
        .filter(|(kind, name)| {
            kind != "fn"
                || [
                    "lease_fair",
                    "record_attempts",
                    "sign",
                    "check_url",
                    "read_json",
                    "serve",
                    "create_key",
                    "key_by_secret",
                    "create_webhook",
                    "cancel_pending",
                ]
                .contains(&name.as_str())
        })
        .collect();
    assert!(
        shared.len() > 15,
        "too few of the kit's items found: {shared:?}"
    );
    for service in ["gateway/src", "desk/src"] {
        let own = defined(&workspace().join(service));
        for item in &shared {
            assert!(
                !own.contains(*item),
                "{service} defines {} {} again: it lives in usd1-service",
                item.0,
                item.1
            );
        }
    }
}
