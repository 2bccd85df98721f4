//! OFAC's two XML publications of the SDN list, read as a stream (the
//! Advanced file is large): only Solana addresses are kept.
//!
//! SDN Advanced XML: `ReferenceValueSets/FeatureTypeValues/FeatureType
//! ID=…` names the feature types; each `DistinctParty/Profile` has
//! `Identity` elements (the primary `Alias`'s `NamePartValue`s are the
//! name) and `Feature FeatureTypeID=…` elements whose
//! `FeatureVersion/VersionDetail` is the address and whose
//! `IdentityReference IdentityID=…` says whose it is; `SanctionsEntries`
//! give each profile's programs (`SanctionsMeasure/Comment`); the date is
//! `DateOfIssue/{Year,Month,Day}`.
//!
//! Classic SDN XML: `publshInformation/Publish_Date` (MM/DD/YYYY, OFAC's
//! spelling), `sdnEntry` with `uid`, `firstName`, `lastName`,
//! `programList/program` and `idList/id` of `uid`, `idType`, `idNumber`.
use std::collections::HashMap;

use quick_xml::events::{BytesStart, Event};
use quick_xml::Reader;

use super::{address, Entry, ParseError, Parsed, Rejected, MAX_DEPTH, OFAC_SOL_TYPE};

const SOURCE: &str = "OFAC SDN";

fn reader(text: &str) -> Reader<&[u8]> {
    let mut reader = Reader::from_str(text);
    reader.config_mut().trim_text(true);
    reader
}

fn name(e: &BytesStart<'_>) -> String {
    String::from_utf8_lossy(e.local_name().as_ref()).into_owned()
}

fn attribute(e: &BytesStart<'_>, key: &str) -> Result<Option<String>, String> {
    match e.try_get_attribute(key).map_err(|e| e.to_string())? {
        Some(a) => Ok(Some(
            a.unescape_value().map_err(|e| e.to_string())?.into_owned(),
        )),
        None => Ok(None),
    }
}

fn at(reader: &Reader<&[u8]>, e: impl std::fmt::Display) -> String {
    format!("at byte {}: {e}", reader.buffer_position())
}

/// The document's root element.
pub(crate) fn root_element(text: &str) -> Result<String, ParseError> {
    let mut reader = reader(text);
    loop {
        match reader.read_event().map_err(|e| at(&reader, e))? {
            Event::Start(e) | Event::Empty(e) => return Ok(name(&e)),
            Event::Eof => {
                return Err(ParseError::Incomplete(
                    "an XML document with no element".into(),
                ))
            }
            _ => {}
        }
    }
}

/// Drives `on` with every element start (and self-closed element), text
/// (with the path of elements around it) and end, in document order. The
/// document must end with its root closed (a file cut between two elements
/// is not a shorter list) and nest at most [`MAX_DEPTH`] deep.
fn walk(text: &str, mut on: impl FnMut(Node<'_>) -> Result<(), String>) -> Result<(), ParseError> {
    let mut reader = reader(text);
    let mut path: Vec<String> = Vec::new();
    let mut root: Option<String> = None;
    let mut closed = false;
    loop {
        match reader.read_event().map_err(|e| at(&reader, e))? {
            Event::Start(e) => {
                if closed {
                    return Err(at(&reader, "an element after the root was closed").into());
                }
                if path.len() >= MAX_DEPTH {
                    return Err(at(
                        &reader,
                        format!("elements nested deeper than {MAX_DEPTH}: not an OFAC list"),
                    )
                    .into());
                }
                on(Node::Start(&name(&e), &e)).map_err(|e| at(&reader, e))?;
                root.get_or_insert_with(|| name(&e));
                path.push(name(&e));
            }
            Event::Empty(e) => {
                if closed {
                    return Err(at(&reader, "an element after the root was closed").into());
                }
                on(Node::Start(&name(&e), &e)).map_err(|e| at(&reader, e))?;
                on(Node::End(&name(&e), &path)).map_err(|e| at(&reader, e))?;
                root.get_or_insert_with(|| name(&e));
                closed = path.is_empty();
            }
            Event::Text(t) => {
                let value = t.unescape().map_err(|e| at(&reader, e))?;
                on(Node::Text(value.trim(), &path)).map_err(|e| at(&reader, e))?;
            }
            Event::CData(t) => {
                let value = String::from_utf8_lossy(&t).into_owned();
                on(Node::Text(value.trim(), &path)).map_err(|e| at(&reader, e))?;
            }
            Event::End(_) => {
                let element = path.pop().unwrap_or_default();
                on(Node::End(&element, &path)).map_err(|e| at(&reader, e))?;
                closed = path.is_empty();
            }
            Event::Eof if closed => return Ok(()),
            Event::Eof => {
                let root = root.unwrap_or_default();
                return Err(ParseError::Incomplete(format!(
                    "the document ends at byte {} inside <{}> without closing its root <{root}>: a cut-off file",
                    reader.buffer_position(),
                    path.last().map_or(root.as_str(), String::as_str)
                )));
            }
            _ => {}
        }
    }
}

enum Node<'a> {
    /// An element.
    Start(&'a str, &'a BytesStart<'a>),
    /// Text, and the path of elements it is inside (its element last).
    Text(&'a str, &'a [String]),
    /// The end of an element, and the path of its ancestors.
    End(&'a str, &'a [String]),
}

fn parent(path: &[String]) -> &str {
    path.last().map_or("", String::as_str)
}

/// The element around the text's own element.
fn grandparent(path: &[String]) -> &str {
    path.len().checked_sub(2).map_or("", |i| path[i].as_str())
}

fn inside(path: &[String], element: &str) -> bool {
    path.iter().any(|p| p == element)
}

#[derive(Default)]
struct Feature {
    id: String,
    type_id: String,
    value: Option<String>,
    identity: Option<String>,
}

struct Found {
    party: String,
    profile: String,
    feature: Feature,
    subject: Option<String>,
}

pub(crate) fn advanced(text: &str) -> Result<Parsed, ParseError> {
    let mut feature_types: HashMap<String, String> = HashMap::new();
    let mut feature_type_id: Option<String> = None;
    let mut date = [None, None, None];
    let (mut party, mut profile) = (String::new(), String::new());
    let mut identity: Option<String> = None;
    let mut names: HashMap<String, String> = HashMap::new();
    let mut in_primary_alias = false;
    let mut name_parts: Vec<String> = Vec::new();
    let mut feature: Option<Feature> = None;
    let mut profile_features: Vec<Feature> = Vec::new();
    let mut found: Vec<Found> = Vec::new();
    let mut programs: HashMap<String, Vec<String>> = HashMap::new();
    let mut entry_profile: Option<String> = None;
    let mut records = 0;

    walk(text, |node| {
        match node {
            Node::Start(element, e) => match element {
                "FeatureType" => feature_type_id = attribute(e, "ID")?,
                "DistinctParty" => party = attribute(e, "FixedRef")?.unwrap_or_default(),
                "Profile" => {
                    profile = attribute(e, "ID")?.unwrap_or_default();
                    names.clear();
                }
                "Identity" => identity = attribute(e, "ID")?,
                "Alias" => {
                    in_primary_alias = attribute(e, "Primary")?.as_deref() == Some("true")
                        && identity.as_ref().is_some_and(|i| !names.contains_key(i));
                    name_parts.clear();
                }
                "Feature" => {
                    feature = Some(Feature {
                        id: attribute(e, "ID")?.unwrap_or_default(),
                        type_id: attribute(e, "FeatureTypeID")?.unwrap_or_default(),
                        ..Feature::default()
                    })
                }
                "IdentityReference" => {
                    if let Some(feature) = feature.as_mut() {
                        feature.identity = attribute(e, "IdentityID")?;
                    }
                }
                "SanctionsEntry" => entry_profile = attribute(e, "ProfileID")?,
                _ => {}
            },
            Node::Text(value, path) => match parent(path) {
                "FeatureType" => {
                    if let Some(id) = feature_type_id.take() {
                        feature_types.insert(id, value.to_string());
                    }
                }
                "Year" | "Month" | "Day" if inside(path, "DateOfIssue") => {
                    let i = ["Year", "Month", "Day"]
                        .iter()
                        .position(|p| *p == parent(path))
                        .unwrap_or(0);
                    date[i] = value.parse::<u32>().ok();
                }
                "NamePartValue" if in_primary_alias => name_parts.push(value.to_string()),
                "VersionDetail" => {
                    if let Some(feature) = feature.as_mut() {
                        feature.value = Some(value.to_string());
                    }
                }
                "Comment" if inside(path, "SanctionsMeasure") => {
                    if let Some(profile) = &entry_profile {
                        programs
                            .entry(profile.clone())
                            .or_default()
                            .push(value.to_string());
                    }
                }
                _ => {}
            },
            Node::End(element, _) => match element {
                "Alias" if in_primary_alias => {
                    if let Some(identity) = &identity {
                        names.insert(identity.clone(), name_parts.join(" "));
                    }
                    in_primary_alias = false;
                }
                "Feature" => profile_features.extend(feature.take()),
                "DistinctParty" => records += 1,
                "Profile" => {
                    // Only Solana addresses are kept, once the types are known
                    // (they come first), so memory follows what is kept.
                    if !feature_types.is_empty() {
                        profile_features.retain(|f| {
                            feature_types.get(&f.type_id).map(String::as_str) == Some(OFAC_SOL_TYPE)
                        });
                    }
                    for feature in profile_features.drain(..) {
                        let subject = feature
                            .identity
                            .as_ref()
                            .and_then(|i| names.get(i))
                            .or_else(|| names.values().next())
                            .cloned();
                        found.push(Found {
                            party: party.clone(),
                            profile: profile.clone(),
                            feature,
                            subject,
                        });
                    }
                }
                _ => {}
            },
        }
        Ok(())
    })?;

    let sol_types: Vec<&String> = feature_types
        .iter()
        .filter(|(_, name)| name.as_str() == OFAC_SOL_TYPE)
        .map(|(id, _)| id)
        .collect();
    let mut parsed = Parsed {
        records,
        published: match date {
            [Some(y), Some(m), Some(d)] => Some(format!("{y:04}-{m:02}-{d:02}")),
            _ => None,
        },
        ..Parsed::default()
    };
    for f in found
        .into_iter()
        .filter(|f| sol_types.contains(&&f.feature.type_id))
    {
        let entry = format!("DistinctParty {} Feature {}", f.party, f.feature.id);
        let text = f.feature.value.unwrap_or_default();
        match address(&text) {
            Ok(address) => parsed.entries.push(Entry {
                address,
                entry,
                subject: f.subject,
                reason: programs
                    .get(&f.profile)
                    .map_or_else(|| SOURCE.to_string(), |p| p.join(", ")),
                source: SOURCE.into(),
                added_at: None,
            }),
            Err(reason) => parsed.reject(Rejected {
                entry,
                text,
                reason,
            }),
        }
    }
    Ok(parsed)
}

#[derive(Default)]
struct SdnEntry {
    uid: String,
    first: String,
    last: String,
    programs: Vec<String>,
    /// (id uid, idType, idNumber)
    ids: Vec<(String, String, String)>,
}

pub(crate) fn classic(text: &str) -> Result<Parsed, ParseError> {
    let mut parsed = Parsed::default();
    let mut record_count: Option<usize> = None;
    let mut entry = SdnEntry::default();
    let mut id = (String::new(), String::new(), String::new());
    walk(text, |node| {
        match node {
            Node::Start("sdnEntry", _) => entry = SdnEntry::default(),
            Node::Start("id", _) => id = Default::default(),
            Node::Start(..) => {}
            Node::Text(value, path) => match parent(path) {
                "Publish_Date" => parsed.published = us_date(value),
                "Record_Count" if grandparent(path) == "publshInformation" => {
                    record_count = value.parse::<usize>().ok()
                }
                "uid" if grandparent(path) == "id" => id.0 = value.to_string(),
                "uid" if grandparent(path) == "sdnEntry" => entry.uid = value.to_string(),
                "firstName" if grandparent(path) == "sdnEntry" => entry.first = value.to_string(),
                "lastName" if grandparent(path) == "sdnEntry" => entry.last = value.to_string(),
                "program" => entry.programs.push(value.to_string()),
                "idType" => id.1 = value.to_string(),
                "idNumber" => id.2 = value.to_string(),
                _ => {}
            },
            Node::End("id", path) if parent(path) == "idList" => {
                entry.ids.push(std::mem::take(&mut id));
            }
            Node::End("sdnEntry", _) => {
                parsed.records += 1;
                let subject = format!("{} {}", entry.first, entry.last).trim().to_string();
                for (uid, kind, number) in entry.ids.drain(..) {
                    if kind != OFAC_SOL_TYPE {
                        continue;
                    }
                    let at = format!("sdnEntry {} id {uid}", entry.uid);
                    match address(&number) {
                        Ok(address) => parsed.entries.push(Entry {
                            address,
                            entry: at,
                            subject: Some(subject.clone()).filter(|s| !s.is_empty()),
                            reason: if entry.programs.is_empty() {
                                SOURCE.to_string()
                            } else {
                                entry.programs.join(", ")
                            },
                            source: SOURCE.into(),
                            added_at: None,
                        }),
                        Err(reason) => parsed.reject(Rejected {
                            entry: at,
                            text: number,
                            reason,
                        }),
                    }
                }
            }
            Node::End(..) => {}
        }
        Ok(())
    })?;
    // The count OFAC publishes with the list: a file missing entries
    // between two whole ones is not the list it says it is.
    if let Some(count) = record_count.filter(|c| *c != parsed.records) {
        return Err(ParseError::Incomplete(format!(
            "it says it holds {count} records (Record_Count) and holds {}",
            parsed.records
        )));
    }
    Ok(parsed)
}

/// `MM/DD/YYYY` as `YYYY-MM-DD`.
fn us_date(text: &str) -> Option<String> {
    let parts: Vec<u32> = text
        .split('/')
        .map(|p| p.trim().parse().ok())
        .collect::<Option<_>>()?;
    match parts[..] {
        [m, d, y] if (1..=12).contains(&m) && (1..=31).contains(&d) => {
            Some(format!("{y:04}-{m:02}-{d:02}"))
        }
        _ => None,
    }
}
