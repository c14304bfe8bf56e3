//! GraphQL over WebSocket on `/graphql`, in both protocols clients use: Apollo's `graphql-ws`
//! and `graphql-transport-ws`. The token comes in the `connection_init` payload.

use std::str::FromStr;

use async_graphql::http::WebSocketProtocols;
use async_graphql::Data;
use async_graphql_axum::{GraphQLProtocol, GraphQLWebSocket};
use axum::extract::{FromRequestParts, Request, WebSocketUpgrade};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use fleck_core::auth::{flow, Actor};
use serde_json::Value;

use super::errors::code;
use crate::state::AppState;

/// Whether a request asks to upgrade to a WebSocket.
pub fn is_upgrade(request: &Request) -> bool {
    request
        .headers()
        .get(header::UPGRADE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.eq_ignore_ascii_case("websocket"))
}

/// The first protocol the client offers that we speak, in the client's order of preference.
fn chosen_protocol(request: &Request) -> Option<&'static str> {
    let offered = request
        .headers()
        .get(header::SEC_WEBSOCKET_PROTOCOL)?
        .to_str()
        .ok()?;
    offered.split(',').find_map(|p| {
        WebSocketProtocols::from_str(p.trim())
            .ok()
            .map(|p| p.sec_websocket_protocol())
    })
}

pub async fn upgrade(state: AppState, actor: Actor, request: Request) -> Response {
    let Some(chosen) = chosen_protocol(&request) else {
        return (
            axum::http::StatusCode::BAD_REQUEST,
            "Offer the graphql-ws or graphql-transport-ws subprotocol.",
        )
            .into_response();
    };
    let (mut parts, _) = request.into_parts();
    let protocol = match GraphQLProtocol::from_request_parts(&mut parts, &()).await {
        Ok(protocol) => protocol,
        Err(status) => return status.into_response(),
    };
    let upgrade = match WebSocketUpgrade::from_request_parts(&mut parts, &()).await {
        Ok(upgrade) => upgrade,
        Err(rejection) => return rejection.into_response(),
    };
    let schema = state.graphql.clone();
    let core = state.core.clone();
    upgrade
        .protocols([chosen])
        .on_upgrade(move |socket| {
            GraphQLWebSocket::new(socket, schema, protocol)
                .on_connection_init(move |payload| async move {
                    let actor = match bearer_in(&payload) {
                        Some(token) => flow::authenticate(&core, &token)
                            .await
                            .map(|principal| Actor::User(Box::new(principal)))
                            .map_err(|_| code("Your token is not valid.", "UNAUTHENTICATED"))?,
                        None => actor,
                    };
                    let mut data = Data::default();
                    data.insert(actor);
                    data.insert(core);
                    Ok(data)
                })
                .serve()
        })
        .into_response()
}

/// `Bearer <token>` from `{"Authorization": …}` (any case), also nested under `headers`.
fn bearer_in(payload: &Value) -> Option<String> {
    let object = payload.as_object()?;
    let value = object
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("authorization"))
        .map(|(_, v)| v)
        .or_else(|| {
            object
                .get("headers")
                .and_then(|h| h.as_object())
                .and_then(|h| {
                    h.iter()
                        .find(|(k, _)| k.eq_ignore_ascii_case("authorization"))
                        .map(|(_, v)| v)
                })
        })?;
    let text = value.as_str()?.trim();
    let token = text
        .strip_prefix("Bearer ")
        .or_else(|| text.strip_prefix("bearer "))
        .unwrap_or(text);
    (!token.is_empty()).then(|| token.to_string())
}
