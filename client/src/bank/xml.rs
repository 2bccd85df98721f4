//! The XML under every ISO 20022 file the platform reads, streamed from the
//! file (never all of it in memory at once): element starts,
//! text and ends in document order with the path of local names around
//! them, the root's namespace, and the refusals a bank file gets before any
//! of it is believed (a DTD or entity declaration, an unknown entity, nesting
//! deeper than any ISO message, a file cut short).
use std::io::BufRead;

use quick_xml::events::{BytesStart, Event};
use quick_xml::Reader;

use super::Fault;

/// Deeper than any ISO 20022 message nests.
const MAX_DEPTH: usize = 40;

pub(crate) enum Node<'a> {
    Start(&'a BytesStart<'a>, &'a [String]),
    /// Text and the path of elements it is inside (its own element last).
    Text(&'a str, &'a [String]),
    /// The end of an element, with its own path (itself last).
    End(&'a [String]),
}

pub(crate) fn local(e: &BytesStart<'_>) -> String {
    String::from_utf8_lossy(e.local_name().as_ref()).into_owned()
}

pub(crate) fn attribute(e: &BytesStart<'_>, key: &str) -> Result<Option<String>, Fault> {
    let bad = |why: String| Fault::Malformed { at: 0, why };
    match e.try_get_attribute(key).map_err(|e| bad(e.to_string()))? {
        Some(a) => Ok(Some(
            a.unescape_value()
                .map_err(|e| bad(e.to_string()))?
                .into_owned(),
        )),
        None => Ok(None),
    }
}

/// The root element's namespace (`xmlns`, or the namespace bound to its
/// prefix), read before anything else is.
pub(crate) fn root_namespace(input: impl BufRead) -> Result<(String, String), Fault> {
    let mut reader = Reader::from_reader(input);
    let mut buf = Vec::new();
    loop {
        buf.clear();
        let at = reader.buffer_position();
        match reader
            .read_event_into(&mut buf)
            .map_err(|e| Fault::Malformed {
                at,
                why: e.to_string(),
            })? {
            Event::DocType(_) => return Err(Fault::Doctype),
            Event::Start(e) | Event::Empty(e) => {
                let name = String::from_utf8_lossy(e.name().as_ref()).into_owned();
                let key = match name.split_once(':') {
                    Some((prefix, _)) => format!("xmlns:{prefix}"),
                    None => "xmlns".into(),
                };
                let ns = attribute(&e, &key)?.unwrap_or_default();
                return Ok((local(&e), ns));
            }
            Event::Eof => {
                return Err(Fault::Malformed {
                    at,
                    why: "no element in the file".into(),
                })
            }
            _ => {}
        }
    }
}

/// Calls `on` for every element start, text and end in document order. The
/// document must close its root, nest at most [`MAX_DEPTH`] deep and hold
/// no DTD.
pub(crate) fn walk(
    input: impl BufRead,
    mut on: impl FnMut(Node<'_>) -> Result<(), Fault>,
) -> Result<(), Fault> {
    let mut reader = Reader::from_reader(input);
    reader.config_mut().trim_text(true);
    let mut path: Vec<String> = Vec::new();
    let mut closed = false;
    let malformed = |at: u64, why: String| Fault::Malformed { at, why };
    let mut buf = Vec::new();
    loop {
        buf.clear();
        let at = reader.buffer_position();
        let event = reader
            .read_event_into(&mut buf)
            .map_err(|e| malformed(at, e.to_string()))?;
        if closed && matches!(event, Event::Start(_) | Event::Empty(_) | Event::Text(_)) {
            return Err(malformed(at, "content after the root element".into()));
        }
        match event {
            Event::DocType(_) => return Err(Fault::Doctype),
            Event::Start(e) => {
                if path.len() >= MAX_DEPTH {
                    return Err(malformed(
                        at,
                        format!("elements nested deeper than {MAX_DEPTH}"),
                    ));
                }
                path.push(local(&e));
                on(Node::Start(&e, &path))?;
            }
            Event::Empty(e) => {
                path.push(local(&e));
                on(Node::Start(&e, &path))?;
                on(Node::End(&path))?;
                path.pop();
                closed = path.is_empty();
            }
            Event::Text(t) => {
                let value = t.unescape().map_err(|e| malformed(at, e.to_string()))?;
                on(Node::Text(value.trim(), &path))?;
            }
            Event::CData(t) => {
                let value = String::from_utf8_lossy(&t).into_owned();
                on(Node::Text(value.trim(), &path))?;
            }
            Event::End(_) => {
                on(Node::End(&path))?;
                path.pop();
                closed = path.is_empty();
            }
            Event::Eof if closed => return Ok(()),
            Event::Eof => {
                return Err(malformed(
                    at,
                    format!(
                        "the file ends inside <{}>: cut short",
                        path.last().map_or("", String::as_str)
                    ),
                ))
            }
            _ => {}
        }
    }
}

/// Escapes text for an element's content or an attribute's value.
pub(crate) fn escape(text: &str) -> std::borrow::Cow<'_, str> {
    quick_xml::escape::escape(text)
}
