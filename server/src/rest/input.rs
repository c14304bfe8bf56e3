//! Request bodies that clients send either as JSON or as an HTML form.

use axum::extract::{FromRequest, Request};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::{Form, Json};
use serde::de::DeserializeOwned;

pub struct FormOrJson<T>(pub T);

impl<S, T> FromRequest<S> for FormOrJson<T>
where
    S: Send + Sync,
    T: DeserializeOwned,
{
    type Rejection = Response;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        let is_json = request
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("application/json"));
        if is_json {
            let Json(value) = Json::<T>::from_request(request, state)
                .await
                .map_err(IntoResponse::into_response)?;
            Ok(FormOrJson(value))
        } else {
            let Form(value) = Form::<T>::from_request(request, state)
                .await
                .map_err(IntoResponse::into_response)?;
            Ok(FormOrJson(value))
        }
    }
}
