//! The OpenAPI 3.1 contract a service serves at `/openapi.json`, assembled
//! from its handlers' `#[utoipa::path]`s and its types' schemas. This floor
//! adds what every service shares, once: the error body, the bearer key and
//! its scopes, the refusals any keyed request may meet (no key, too fast,
//! the database away), and the service's events as OpenAPI `webhooks`, each
//! with the headers its delivery is signed with.
use serde::Serialize;
use utoipa::openapi::path::{HttpMethod, Operation, OperationBuilder, ParameterBuilder};
use utoipa::openapi::request_body::RequestBodyBuilder;
use utoipa::openapi::schema::{Object, ObjectBuilder, Type};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{
    Content, OpenApi, PathItem, Paths, Ref, RefOr, Required, Response, ResponseBuilder, Schema,
};
use utoipa::{PartialSchema, ToSchema};

use crate::signature::{
    EVENT_ID_HEADER, SIGNATURE_HEADER, STANDARD_ID_HEADER, STANDARD_SIGNATURE_HEADER,
    STANDARD_TIMESTAMP_HEADER,
};

/// The security scheme every keyed operation names, with its scopes.
pub const API_KEY: &str = "api_key";

/// Every refusal's body.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorDetail {
    /// Stable, for programs to branch on (`invalid_amount`, `missing_scope`,
    /// …); each operation's responses list the codes it answers with.
    pub code: String,
    /// For people; may change.
    pub message: String,
}

/// A list, as every list endpoint answers.
#[derive(Debug, Serialize, ToSchema)]
pub struct List<T> {
    /// Always `list`.
    pub object: String,
    pub data: Vec<T>,
}

impl<T> List<T> {
    pub fn of(data: Vec<T>) -> Self {
        List {
            object: "list".into(),
            data,
        }
    }
}

fn error_response(description: &str) -> Response {
    ResponseBuilder::new()
        .description(description)
        .content(
            "application/json",
            Content::new(Some(Ref::from_schema_name("ErrorBody"))),
        )
        .build()
}

/// Completes a service's document: its bearer key, the shared error body,
/// and on every operation that takes a key the refusals any keyed request
/// may meet (unless the operation says more of one already).
pub fn finish(doc: &mut OpenApi) {
    let components = doc.components.get_or_insert_with(Default::default);
    components.add_security_scheme(
        API_KEY,
        SecurityScheme::Http(
            HttpBuilder::new()
                .scheme(HttpAuthScheme::Bearer)
                .description(Some(
                    "An API key (the service's `api-key create`), as `Authorization: Bearer <key>`. \
                     Each operation names the scopes it needs; a key without them is refused \
                     with 403 `missing_scope`.",
                ))
                .build(),
        ),
    );
    components
        .schemas
        .insert("ErrorBody".into(), ErrorBody::schema());
    components
        .schemas
        .insert("ErrorDetail".into(), ErrorDetail::schema());
    let shared = [
        ("401", "`unauthorized`: no key, not `Bearer <key>`, or a key unknown or revoked."),
        ("403", "`missing_scope`: the key lacks a scope this operation needs."),
        ("429", "`rate_limited`: too many requests from this key (or, without a valid key, from this address); `Retry-After` says when to try again."),
        ("500", "`internal_error`: the service could not do it; the message carries a reference its log has beside the detail."),
        ("503", "`database_unavailable`: the service's database is not answering; `Retry-After` says when to try again."),
    ];
    // Every service's /v1/webhooks: from a subscription to what takes its id.
    link_created(
        doc,
        "/v1/webhooks",
        "201",
        &[
            "list_deliveries",
            "replay_events",
            "rotate_webhook_secret",
            "delete_webhook",
        ],
    );
    for item in doc.paths.paths.values_mut() {
        for operation in operations(item) {
            if operation.security.as_ref().is_none_or(|s| s.is_empty()) {
                // Said outright: this one takes no key.
                operation.security = Some(Vec::new());
                continue;
            }
            for (status, description) in shared {
                let responses = &mut operation.responses.responses;
                match responses.get_mut(status) {
                    Some(RefOr::T(response)) => {
                        response.description = format!("{description} {}", response.description);
                    }
                    _ => {
                        responses.insert(status.into(), RefOr::T(error_response(description)));
                    }
                }
            }
        }
    }
}

fn operations(item: &mut PathItem) -> impl Iterator<Item = &mut Operation> {
    [
        &mut item.get,
        &mut item.post,
        &mut item.put,
        &mut item.delete,
        &mut item.patch,
    ]
    .into_iter()
    .filter_map(Option::as_mut)
}

/// Links the resource `POST path` makes (answered with `status`, its `id`
/// in the body) to the operations that take that id: how a client, and a
/// tool following links, goes from one to the next.
pub fn link_created(doc: &mut OpenApi, path: &str, status: &str, operation_ids: &[&str]) {
    let Some(RefOr::T(response)) = doc
        .paths
        .paths
        .get_mut(path)
        .and_then(|item| item.post.as_mut())
        .and_then(|operation| operation.responses.responses.get_mut(status))
    else {
        return;
    };
    for id in operation_ids {
        response.links.insert(
            (*id).to_string(),
            RefOr::T(
                utoipa::openapi::link::LinkBuilder::new()
                    .operation_id(*id)
                    .parameter("id", "$response.body#/id")
                    .build(),
            ),
        );
    }
}

/// One kind of event a service sends: its name, what it means, and the
/// schema of its `data`.
pub struct EventDoc {
    pub kind: &'static str,
    pub summary: &'static str,
    pub data: &'static str,
}

/// The schema name of `kind`'s whole body: `invoice.paid` → `InvoicePaidEvent`.
pub fn event_schema_name(kind: &str) -> String {
    let mut name = String::new();
    for part in kind.split(['.', '_']) {
        let mut chars = part.chars();
        if let Some(first) = chars.next() {
            name.extend(first.to_uppercase());
            name.push_str(chars.as_str());
        }
    }
    name + "Event"
}

fn string(description: &str) -> Object {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .description(Some(description))
        .build()
}

/// Adds the service's events as OpenAPI `webhooks`: what a subscriber's URL
/// receives, one POST per event, signed both ways. `sequence_field` carries
/// an event's place in its stream (null for events of no stream).
pub fn add_events(doc: &mut OpenApi, events: &[EventDoc], sequence_field: &str) {
    let mut webhooks = Paths::new();
    for event in events {
        let name = event_schema_name(event.kind);
        let body = ObjectBuilder::new()
            .property("id", string("The event's id: the same event sent again has the same id (deduplicate on it)."))
            .required("id")
            .property(
                "type",
                ObjectBuilder::new()
                    .schema_type(Type::String)
                    .enum_values(Some([event.kind])),
            )
            .required("type")
            .property(
                "created",
                ObjectBuilder::new()
                    .schema_type(Type::Integer)
                    .format(Some(utoipa::openapi::SchemaFormat::KnownFormat(
                        utoipa::openapi::KnownFormat::Int64,
                    )))
                    .description(Some("When the event was recorded, unix seconds.")),
            )
            .required("created")
            .property(
                sequence_field,
                ObjectBuilder::new()
                    .schema_type(utoipa::openapi::schema::SchemaType::from_iter([
                        Type::Integer,
                        Type::Null,
                    ]))
                    .format(Some(utoipa::openapi::SchemaFormat::KnownFormat(
                        utoipa::openapi::KnownFormat::Int64,
                    )))
                    .description(Some(
                        "The event's place in its stream (one invoice's or deposit's events, \
                         delivered in this order); null for an event of no stream.",
                    )),
            )
            .required(sequence_field)
            .property("data", Ref::from_schema_name(event.data))
            .required("data")
            .build();
        doc.components
            .get_or_insert_with(Default::default)
            .schemas
            .insert(name.clone(), RefOr::T(Schema::Object(body)));
        let header = |name: &str, description: &str| {
            ParameterBuilder::new()
                .name(name)
                .parameter_in(utoipa::openapi::path::ParameterIn::Header)
                .required(Required::True)
                .description(Some(description))
                .schema(Some(string("")))
                .build()
        };
        let mut operation = OperationBuilder::new()
            .operation_id(Some(event.kind))
            .summary(Some(event.kind))
            .description(Some(event.summary))
            .tag("events")
            .parameter(header(EVENT_ID_HEADER, "The event's id, as in the body."))
            .parameter(header(
                SIGNATURE_HEADER,
                "`t=<unix>,v1=<hex>`: HMAC-SHA256 of `<t>.<body>` under the webhook's secret \
                 (one `v1` per live secret during a rotation).",
            ))
            .parameter(header(
                STANDARD_ID_HEADER,
                "Standard Webhooks: the event's id.",
            ))
            .parameter(header(
                STANDARD_TIMESTAMP_HEADER,
                "Standard Webhooks: unix seconds of this attempt.",
            ))
            .parameter(header(
                STANDARD_SIGNATURE_HEADER,
                "Standard Webhooks: `v1,<base64>` of HMAC-SHA256 of `<id>.<timestamp>.<body>` \
                 (the `standardwebhooks` libraries verify it).",
            ))
            .request_body(Some(
                RequestBodyBuilder::new()
                    .required(Some(Required::True))
                    .content(
                        "application/json",
                        Content::new(Some(Ref::from_schema_name(name))),
                    )
                    .build(),
            ))
            .response(
                "200",
                ResponseBuilder::new().description(
                    "Any 2xx accepts the delivery. Anything else, or no answer within 10 s, \
                     is retried with backoff; a later event of the same stream waits for it.",
                ),
            )
            .build();
        // The service calls the subscriber: no key of ours.
        operation.security = Some(Vec::new());
        webhooks.add_path_operation(event.kind, vec![HttpMethod::Post], operation);
    }
    doc.webhooks = Some(webhooks);
    // A subscription names these kinds and no other.
    if let Some(RefOr::T(Schema::Object(create))) = doc
        .components
        .as_mut()
        .and_then(|c| c.schemas.get_mut("CreateWebhook"))
    {
        if let Some(RefOr::T(Schema::Array(list))) = create.properties.get_mut("events") {
            list.items = utoipa::openapi::schema::ArrayItems::RefOrSchema(Box::new(
                ObjectBuilder::new()
                    .schema_type(Type::String)
                    .enum_values(Some(events.iter().map(|e| e.kind)))
                    .into(),
            ));
        }
    }
}

/// `GET /openapi.json`'s answer: `document`, rendered once per process into
/// `cache`.
pub fn served(
    cache: &'static std::sync::OnceLock<String>,
    document: fn() -> OpenApi,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    let text = cache.get_or_init(|| render(&document()));
    (
        [(axum::http::header::CONTENT_TYPE, "application/json")],
        text.clone(),
    )
        .into_response()
}

/// The document as served and committed: pretty JSON with a final newline.
pub fn render(doc: &OpenApi) -> String {
    let mut text = doc.to_pretty_json().unwrap_or_default();
    text.push('\n');
    text
}
