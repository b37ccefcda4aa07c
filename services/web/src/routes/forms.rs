//! A posted form, taken only when it carries this browser's CSRF token: the
//! check runs before the handler, so no handler can forget it.

use axum::Form;
use axum::extract::{FromRequest, FromRequestParts, Request};
use serde::de::DeserializeOwned;

use super::{PageError, State};
use crate::visitor::Visitor;

/// A form with a `csrf` field.
pub trait Posted: DeserializeOwned {
    fn csrf(&self) -> &str;
}

/// `T`, parsed from the body (a bad body is a 400 page) and checked
/// against the browser's nonce (a missing or foreign token is a 403 page).
pub struct Checked<T>(pub T);

impl<T: Posted> FromRequest<State> for Checked<T> {
    type Rejection = PageError;

    async fn from_request(request: Request, state: &State) -> Result<Self, Self::Rejection> {
        let (mut parts, body) = request.into_parts();
        let Ok(visitor) = Visitor::from_request_parts(&mut parts, state).await;
        let Form(form) =
            Form::<T>::from_request(Request::from_parts(parts, body), state).await.map_err(|r| state.fail(r))?;
        state.check_csrf(&visitor, form.csrf())?;
        Ok(Self(form))
    }
}

/// Implements [`Posted`] for forms whose token field is `csrf`.
macro_rules! posted {
    ($($form:ty),+ $(,)?) => {
        $(impl $crate::routes::forms::Posted for $form {
            fn csrf(&self) -> &str {
                &self.csrf
            }
        })+
    };
}
pub(crate) use posted;
