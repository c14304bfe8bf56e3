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

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use fleck_core::net::ClientAddress;

use super::errors::code;
use super::subscriptions::SocketSubscriptions;
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

/// The most WebSockets one user (or, signed out, one address) may hold open on a replica.
pub const MAX_SOCKETS_PER_CALLER: usize = 16;

/// Open WebSockets per caller, on this replica.
#[derive(Clone, Default)]
pub struct OpenSockets(Arc<Mutex<HashMap<String, usize>>>);

/// One open socket, counted until it closes.
struct Open {
    sockets: OpenSockets,
    caller: String,
}

impl OpenSockets {
    fn open(&self, caller: String) -> Option<Open> {
        let mut open = self.0.lock().unwrap_or_else(|e| e.into_inner());
        let count = open.entry(caller.clone()).or_default();
        if *count >= MAX_SOCKETS_PER_CALLER {
            return None;
        }
        *count += 1;
        Some(Open {
            sockets: self.clone(),
            caller,
        })
    }
}

impl Drop for Open {
    fn drop(&mut self) {
        let mut open = self.sockets.0.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(count) = open.get_mut(&self.caller) {
            *count -= 1;
            if *count == 0 {
                open.remove(&self.caller);
            }
        }
    }
}

pub async fn upgrade(state: AppState, actor: Actor, request: Request) -> Response {
    // A page of another site must not subscribe with the visitor's cookie (browsers send it
    // on WebSocket upgrades, which no CORS check stops).
    let via_cookie = actor.principal().is_some_and(|p| p.via_session);
    if via_cookie && !crate::auth::same_origin(request.headers()) {
        return (
            axum::http::StatusCode::FORBIDDEN,
            "This WebSocket comes from another site's page.",
        )
            .into_response();
    }
    let address = request
        .extensions()
        .get::<ClientAddress>()
        .map(ClientAddress::to_string)
        .unwrap_or_default();
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
    let sockets = state.sockets.clone();
    upgrade
        .protocols([chosen])
        .on_upgrade(move |socket| async move {
            // Held by the connection's set-up, dropped when the socket closes.
            let counted: Arc<Mutex<Option<Open>>> = Arc::default();
            let slot = counted.clone();
            GraphQLWebSocket::new(socket, schema, protocol)
                .on_connection_init(move |payload| async move {
                    let actor = match bearer_in(&payload) {
                        Some(token) => flow::authenticate(&core, &token)
                            .await
                            .map(|principal| Actor::User(Box::new(principal)))
                            .map_err(|_| code("Your token is not valid.", "UNAUTHENTICATED"))?,
                        None => actor,
                    };
                    let caller = match actor.principal() {
                        Some(principal) => principal.user.id.clone(),
                        None => format!("address {address}"),
                    };
                    let open = sockets.open(caller).ok_or_else(|| {
                        code(
                            format!(
                                "At most {MAX_SOCKETS_PER_CALLER} connections may be open at once."
                            ),
                            "TOO_MANY_CONNECTIONS",
                        )
                    })?;
                    *slot.lock().unwrap_or_else(|e| e.into_inner()) = Some(open);
                    let mut data = Data::default();
                    data.insert(actor);
                    data.insert(core);
                    data.insert(SocketSubscriptions::default());
                    Ok(data)
                })
                .serve()
                .await;
            drop(counted);
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
