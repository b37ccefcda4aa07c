//! Attribute macros of the platform crate, re-exported from there
//! (`platform::db::query_span`); services do not depend on this crate.
//!
//! Written on `proc_macro` alone: the macro only prepends one attribute, so
//! it needs no parser.

use proc_macro::{TokenStream, TokenTree};

/// `#[query_span("SELECT", "products")]` on a store function: the call runs
/// in a client span named `SELECT products` with the database attributes of
/// OpenTelemetry's semantic conventions (`db.system`, `db.operation.name`,
/// `db.collection.name`), as every database call of the shop does. The
/// function's arguments are not recorded (they may hold personal data).
#[proc_macro_attribute]
pub fn query_span(attr: TokenStream, item: TokenStream) -> TokenStream {
    let (operation, collection) = match operation_and_collection(attr) {
        Ok(pair) => pair,
        Err(message) => return compile_error(&message),
    };
    let span = format!(
        "#[::tracing::instrument(name = \"db\", skip_all, fields(\
         otel.name = \"{operation} {collection}\", otel.kind = \"client\", db.system = \"postgresql\", \
         db.operation.name = \"{operation}\", db.collection.name = \"{collection}\"))]"
    );
    let mut expanded: TokenStream = span.parse().expect("the attribute is valid Rust");
    expanded.extend(item);
    expanded
}

/// The two string literals of the attribute, without their quotes.
fn operation_and_collection(attr: TokenStream) -> Result<(String, String), String> {
    let usage = "expected #[query_span(\"OPERATION\", \"table\")]";
    let mut words = Vec::new();
    for token in attr {
        match token {
            TokenTree::Punct(comma) if comma.as_char() == ',' => {}
            TokenTree::Literal(literal) => {
                let text = literal.to_string();
                let word = text.strip_prefix('"').and_then(|t| t.strip_suffix('"')).ok_or(usage)?;
                if word.is_empty() || word.contains(['"', '\\']) {
                    return Err(usage.to_owned());
                }
                words.push(word.to_owned());
            }
            _ => return Err(usage.to_owned()),
        }
    }
    match <[String; 2]>::try_from(words) {
        Ok([operation, collection]) => Ok((operation, collection)),
        Err(_) => Err(usage.to_owned()),
    }
}

fn compile_error(message: &str) -> TokenStream {
    format!("::core::compile_error!({message:?});").parse().expect("a compile_error! invocation")
}
